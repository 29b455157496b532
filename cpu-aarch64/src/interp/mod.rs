//! The reference interpreter: fetch, decode, execute one instruction at a time. Each table
//! group (`isa/<group>.decode`) has its executor in `interp/<group>.rs` with an exhaustive
//! `match` over that group's encodings.

use crate::decode::{self, *};
use crate::exception::SyncExc;
use crate::platform::{Hooked, Platform};
use crate::Cpu;

/// What an instruction did to the flow of control.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Continue with the next instruction (PC + 4).
    Next,
    /// Branch to this address.
    Jump(u64),
    /// PC was already set by the instruction (ERET, exception taken by a hook, …).
    Stay,
    /// WFI: wait for an interrupt. PC advances.
    Wfi,
    /// WFE: wait for an event. PC advances.
    Wfe,
    /// Stop the machine with this exit code (semihosting SYS_EXIT, PSCI SYSTEM_OFF).
    Halt(i32),
}

/// The result of executing one instruction.
pub type ExecResult = Result<Flow, SyncExc>;

/// Why `run` returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Exit {
    /// The instruction budget is used up.
    Budget,
    /// The PE waits (WFI/WFE) for an interrupt or event.
    Wait,
    /// The PE is off.
    Off,
    /// The machine must stop with this exit code.
    Halt(i32),
}

/// Executes one decoded instruction. `raw` is the instruction word.
#[inline]
pub fn exec(cpu: &mut Cpu, p: &mut dyn Platform, insn: &Insn, raw: u32) -> ExecResult {
    // The generated `dispatch`, written out so that it is inlined into the run loop (the
    // match is exhaustive: a new group fails to compile here).
    match insn {
        Insn::Branch(i) => branch::exec(cpu, p, i, raw),
        Insn::Crypto(i) => crypto::exec(cpu, p, i, raw),
        Insn::DpImm(i) => dp_imm::exec(cpu, p, i, raw),
        Insn::DpReg(i) => dp_reg::exec(cpu, p, i, raw),
        Insn::Fp(i) => fp::exec(cpu, p, i, raw),
        Insn::Ldst(i) => ldst::exec(cpu, p, i, raw),
        Insn::Simd(i) => simd::exec(cpu, p, i, raw),
        Insn::SimdFp(i) => simd_fp::exec(cpu, p, i, raw),
        Insn::System(i) => system::exec(cpu, p, i, raw),
        Insn::Undefined(w) => undefined(cpu, *w),
    }
}

#[cold]
#[inline(never)]
fn undefined(cpu: &mut Cpu, w: u32) -> ExecResult {
    let pc = cpu.st.pc;
    cpu.warn_once(&format!("undef:{w:08x}"), || format!("undefined instruction {w:#010x} at pc {pc:#x}"));
    Err(SyncExc::undefined())
}

/// The generated dispatcher (`exec` has the same match, inlined).
#[allow(dead_code)]
mod generated {
    use super::*;
    include!(concat!(env!("OUT_DIR"), "/a64_dispatch.rs"));
}

pub mod branch;
pub mod crypto;
pub mod dp_imm;
pub mod dp_reg;
pub mod fp;
pub mod ldst;
pub mod simd;
pub mod simd_fp;
pub mod system;

/// Takes a pending, unmasked interrupt if there is one. Returns true when one was taken.
pub fn check_interrupts(cpu: &mut Cpu, p: &mut dyn Platform) -> bool {
    crate::exception::check_interrupts(cpu, p)
}

/// Entries of the decoded-instruction cache (a power of two).
const DCACHE_ENTRIES: usize = 4096;

/// A direct-mapped cache of decoded instructions keyed by the instruction word itself:
/// `decode` is a pure function of the word, so an entry can never be stale (self-modifying
/// code and code written by other PEs need no invalidation).
#[derive(Clone)]
pub struct DecodeCache {
    e: Box<[(u32, Insn)]>,
}

impl Default for DecodeCache {
    fn default() -> Self {
        DecodeCache { e: vec![(0, decode::decode(0)); DCACHE_ENTRIES].into_boxed_slice() }
    }
}

impl std::fmt::Debug for DecodeCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodeCache").finish_non_exhaustive()
    }
}

impl DecodeCache {
    /// `decode::decode(raw)`, cached.
    #[inline(always)]
    pub fn get(&mut self, raw: u32) -> Insn {
        let i = (raw.wrapping_mul(0x9e37_79b1) >> (32 - DCACHE_ENTRIES.trailing_zeros())) as usize;
        let e = &mut self.e[i & (DCACHE_ENTRIES - 1)];
        if e.0 != raw {
            *e = (raw, decode::decode(raw));
        }
        e.1
    }
}

/// Executes one instruction (or takes one interrupt). Returns `Some(exit)` if the run loop
/// must stop after it.
pub fn step(cpu: &mut Cpu, p: &mut dyn Platform) -> Option<Exit> {
    cpu.fast.irq_check = true;
    step_inner(cpu, p)
}

/// `step`, sampling the interrupt inputs only when `cpu.fast.irq_check` says they (or
/// the PE's routing and masks) may have changed since the last sample; see `FastMem`.
/// Whatever changes them (an exception, a System-group instruction, a bus access that is
/// not served from the RAM cache) sets the flag before the next instruction, so a pending
/// interrupt is taken at the same instruction as with a check before every instruction.
#[inline(always)]
fn step_inner(cpu: &mut Cpu, p: &mut dyn Platform) -> Option<Exit> {
    if cpu.fast.irq_check {
        cpu.fast.irq_check = false;
        if check_interrupts(cpu, p) {
            cpu.fast.invalidate();
            return None;
        }
    }
    // Software step and breakpoints need MDSCR_EL1.SS / MDE (or PSTATE.SS): with all of
    // them clear, none of the debug checks below can fire.
    use crate::exception::{MDSCR_MDE, MDSCR_SS};
    let debug = cpu.sys.mdscr_el1 & (MDSCR_MDE | MDSCR_SS) != 0 || cpu.st.pstate.ss;
    // Software step in the active-pending state: the step exception comes first.
    let stepping = debug && {
        if let Some(e) = crate::exception::software_step_pending(cpu) {
            cpu.take_sync(e);
            cpu.fast.invalidate();
            return None;
        }
        crate::exception::software_step_active(cpu)
    };
    let pc = cpu.st.pc;
    let raw = match cpu.fetch(p, pc) {
        Ok(w) => w,
        Err(e) => {
            // A failed fetch still takes time, so a PE stuck in a fetch-abort loop keeps
            // consuming its budget (and virtual time) instead of hanging the host.
            cpu.icount += 1;
            cpu.take_sync(e);
            cpu.fast.invalidate();
            return None;
        }
    };
    // Hardware breakpoints (after a fault-free fetch, before the Illegal state check).
    if debug {
        if let Err(e) = crate::exception::check_breakpoints(cpu, pc) {
            cpu.take_sync(e);
            cpu.fast.invalidate();
            return None;
        }
    }
    // PSTATE.IL (after an illegal exception return): the instruction is not executed.
    if let Err(e) = crate::exception::check_illegal_state(cpu) {
        cpu.take_sync(e);
        cpu.fast.invalidate();
        return None;
    }
    let insn = cpu.dcache.get(raw);
    cpu.icount += 1;
    cpu.stats.icount_el[cpu.st.pstate.el as usize] += 1;
    let r = exec(cpu, p, &insn, raw);
    if stepping && r.is_ok() {
        crate::exception::software_step_completed(cpu, &insn);
    }
    // System-group instructions may change the translation regime, TLB, PSTATE, the
    // debug registers, the interrupt controller or anything else a platform hook touches.
    if matches!(insn, Insn::System(_)) {
        cpu.fast.invalidate();
    }
    match r {
        Ok(Flow::Next) => cpu.st.pc = pc.wrapping_add(4),
        Ok(Flow::Jump(t)) => cpu.st.pc = t,
        // PC set by the instruction itself (ERET, an exception taken by a hook, ...).
        Ok(Flow::Stay) => cpu.fast.invalidate(),
        Ok(Flow::Wfi) => {
            cpu.st.pc = pc.wrapping_add(4);
            cpu.waiting = Some(crate::WaitKind::Wfi);
            return Some(Exit::Wait);
        }
        Ok(Flow::Wfe) => {
            cpu.st.pc = pc.wrapping_add(4);
            cpu.waiting = Some(crate::WaitKind::Wfe);
            return Some(Exit::Wait);
        }
        Ok(Flow::Halt(code)) => {
            cpu.st.pc = pc.wrapping_add(4);
            return Some(Exit::Halt(code));
        }
        Err(e) => {
            cpu.take_sync(e);
            cpu.fast.invalidate();
        }
    }
    None
}

/// Runs up to `budget` instructions.
pub fn run(cpu: &mut Cpu, p: &mut dyn Platform, budget: u64) -> Exit {
    if cpu.off {
        return Exit::Off;
    }
    // The machine may have changed anything (interrupt lines, TLB, registers) since the
    // last call: start with empty fast caches and an interrupt check.
    cpu.fast.invalidate();
    cpu.fast.live = true;
    let x = run_inner(cpu, p, budget);
    cpu.fast.live = false;
    cpu.fast.invalidate();
    x
}

fn run_inner(cpu: &mut Cpu, p: &mut dyn Platform, budget: u64) -> Exit {
    let end = cpu.icount.saturating_add(budget);
    while cpu.icount < end {
        if cpu.waiting.is_some() {
            if !crate::exception::wake_pending(cpu, p) {
                return Exit::Wait;
            }
            cpu.fast.irq_check = true;
        }
        cpu.waiting = None;
        if let Some(x) = step_inner(cpu, p) {
            return x;
        }
    }
    Exit::Budget
}

/// Calls a platform hook and converts its answer into a flow (used by SMC/HVC/HLT).
pub fn hooked(h: Hooked) -> Option<Flow> {
    match h {
        Hooked::No => None,
        Hooked::Done => Some(Flow::Next),
        Hooked::Halt(c) => Some(Flow::Halt(c)),
    }
}
