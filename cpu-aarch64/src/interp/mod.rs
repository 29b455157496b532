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
pub fn exec(cpu: &mut Cpu, p: &mut dyn Platform, insn: &Insn, raw: u32) -> ExecResult {
    match insn {
        Insn::Undefined(w) => {
            let pc = cpu.st.pc;
            cpu.warn_once(&format!("undef:{w:08x}"), || format!("undefined instruction {w:#010x} at pc {pc:#x}"));
            Err(SyncExc::undefined())
        }
        _ => dispatch(cpu, p, insn, raw),
    }
}

include!(concat!(env!("OUT_DIR"), "/a64_dispatch.rs"));

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

/// Executes one instruction (or takes one interrupt). Returns `Some(exit)` if the run loop
/// must stop after it.
pub fn step(cpu: &mut Cpu, p: &mut dyn Platform) -> Option<Exit> {
    if check_interrupts(cpu, p) {
        return None;
    }
    // Software step in the active-pending state: the step exception comes first.
    if let Some(e) = crate::exception::software_step_pending(cpu) {
        cpu.take_sync(e);
        return None;
    }
    let stepping = crate::exception::software_step_active(cpu);
    let pc = cpu.st.pc;
    let raw = match cpu.fetch(p, pc) {
        Ok(w) => w,
        Err(e) => {
            // A failed fetch still takes time, so a PE stuck in a fetch-abort loop keeps
            // consuming its budget (and virtual time) instead of hanging the host.
            cpu.icount += 1;
            cpu.take_sync(e);
            return None;
        }
    };
    // Hardware breakpoints (after a fault-free fetch, before the Illegal state check).
    if let Err(e) = crate::exception::check_breakpoints(cpu, pc) {
        cpu.take_sync(e);
        return None;
    }
    // PSTATE.IL (after an illegal exception return): the instruction is not executed.
    if let Err(e) = crate::exception::check_illegal_state(cpu) {
        cpu.take_sync(e);
        return None;
    }
    let insn = decode::decode(raw);
    cpu.icount += 1;
    cpu.stats.icount_el[cpu.st.pstate.el as usize] += 1;
    let r = exec(cpu, p, &insn, raw);
    if stepping && r.is_ok() {
        crate::exception::software_step_completed(cpu, &insn);
    }
    match r {
        Ok(Flow::Next) => cpu.st.pc = pc.wrapping_add(4),
        Ok(Flow::Jump(t)) => cpu.st.pc = t,
        Ok(Flow::Stay) => {}
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
        Err(e) => cpu.take_sync(e),
    }
    None
}

/// Runs up to `budget` instructions.
pub fn run(cpu: &mut Cpu, p: &mut dyn Platform, budget: u64) -> Exit {
    if cpu.off {
        return Exit::Off;
    }
    let end = cpu.icount.saturating_add(budget);
    while cpu.icount < end {
        // A hook may power the PE off (PSCI CPU_OFF).
        if cpu.off {
            return Exit::Off;
        }
        if cpu.waiting.is_some() && !crate::exception::wake_pending(cpu, p) {
            return Exit::Wait;
        }
        cpu.waiting = None;
        if let Some(x) = step(cpu, p) {
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
        Hooked::Jumped => Some(Flow::Stay),
    }
}
