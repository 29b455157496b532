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
    /// A host debugger breakpoint or watchpoint stopped the PE (`Cpu::host_debug.hit`);
    /// the instruction at the PC has not executed.
    Debug,
}

/// Executes one decoded instruction. `raw` is the instruction word.
#[inline(always)]
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
    e: Box<[(u32, Insn); DCACHE_ENTRIES]>,
}

impl Default for DecodeCache {
    fn default() -> Self {
        let v = vec![(0, decode::decode(0)); DCACHE_ENTRIES].into_boxed_slice();
        DecodeCache { e: v.try_into().expect("DCACHE_ENTRIES entries") }
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
        let e = &mut self.e[i % DCACHE_ENTRIES];
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
pub fn step_inner(cpu: &mut Cpu, p: &mut dyn Platform) -> Option<Exit> {
    if cpu.fast.irq_check && irq_check_step(cpu, p) {
        return None;
    }
    let debug = cpu.fast.debug;
    if debug && cpu.host_debug.active() && cpu.host_debug.breakpoint_hit(cpu.st.pc) {
        return Some(Exit::Debug);
    }
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
            cpu.count_failed_fetch();
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
    if debug && cpu.trace_insn() {
        cpu.trace_insn_record(pc, raw);
    }
    exec_fetched(cpu, p, pc, raw, stepping)
}

/// What `step_inner` does first when `cpu.fast.irq_check` is set: clears it, samples
/// the debug enables and takes a pending interrupt. Returns true if one was taken (the
/// step ends there). Public for the JIT.
#[inline(always)]
pub fn irq_check_step(cpu: &mut Cpu, p: &mut dyn Platform) -> bool {
    cpu.fast.irq_check = false;
    // The per-instruction checks of `step_inner` run only when `debug` is set: software
    // step and breakpoints need MDSCR_EL1.SS / MDE, host breakpoints an armed host
    // debugger, instruction records `--trace insn`. MDSCR_EL1 changes only by a
    // System-group instruction, the host debugger and the tracer only between `run`
    // calls; `irq_check` is set after each.
    use crate::exception::{MDSCR_MDE, MDSCR_SS};
    cpu.fast.debug = cpu.sys.mdscr_el1 & (MDSCR_MDE | MDSCR_SS) != 0 || cpu.host_debug.active() || cpu.trace_insn();
    let el = cpu.st.pstate.el;
    if !cpu.host_debug.mask_interrupts && check_interrupts(cpu, p) {
        cpu.fast_after_exception(el);
        return true;
    }
    false
}

/// `decode::decode(raw)` through the PE's decode cache (the one `exec_fetched` uses):
/// for an engine that looks at instructions before they run, so that running them then
/// finds them decoded.
#[inline]
pub fn decode_cached(cpu: &mut Cpu, raw: u32) -> Insn {
    cpu.dcache.get(raw)
}

/// The part of `step_inner` after a fault-free fetch of `raw` at `pc` (and the debug and
/// PSTATE.IL checks): retires the instruction and applies its flow. Public for the JIT,
/// which fetches (or has translated) the instruction itself.
#[inline(always)]
pub fn exec_fetched(cpu: &mut Cpu, p: &mut dyn Platform, pc: u64, raw: u32, stepping: bool) -> Option<Exit> {
    let insn = cpu.dcache.get(raw);
    cpu.icount += 1;
    let el = cpu.st.pstate.el;
    let r = exec(cpu, p, &insn, raw);
    if stepping && r.is_ok() {
        crate::exception::software_step_completed(cpu, &insn);
    }
    // System-group instructions may change the translation regime, TLB, PSTATE, the
    // debug registers, the interrupt controller or anything else a platform hook touches.
    // The frequent ones that can change only interrupt masks or lines (or nothing) keep
    // the RAM cache: hints, barriers, CLREX, MSR SPSel/DAIFSet/DAIFClr, MRS (whose side
    // effects, e.g. an ICC_IAR1_EL1 read acknowledging an interrupt, are interrupt state).
    if let Insn::System(s) = &insn {
        if no_effect(s) {
            // Changes nothing at all: no reason to sample interrupts again.
        } else if matches!(s, System::Eret) && matches!(r, Ok(Flow::Stay)) {
            // An exception return (`Flow::Stay` below does the same for it).
            cpu.fast_after_exception(el);
        } else if keeps_fast_state(s) {
            cpu.fast.irq_check = true;
        } else {
            cpu.fast.invalidate();
        }
    }
    match r {
        Ok(Flow::Next) => cpu.st.pc = pc.wrapping_add(4),
        Ok(Flow::Jump(t)) => cpu.st.pc = t,
        // PC set by the instruction itself (ERET, an exception taken by a hook, ...).
        // (An ERET: its caches were dealt with above.)
        Ok(Flow::Stay) if matches!(insn, Insn::System(System::Eret)) => {}
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
        Err(_) if cpu.host_debug.hit.is_some() => {
            // A host watchpoint: the instruction is abandoned before any effect (it did
            // not retire) and the PE stops with the PC on it.
            // (No EL change on the way: `icount_el` follows from `icount`.)
            cpu.icount = cpu.icount.saturating_sub(1);
            cpu.st.pc = pc;
            cpu.fast.invalidate();
            return Some(Exit::Debug);
        }
        Err(e) => {
            cpu.take_sync(e);
            cpu.fast_after_exception(el);
        }
    }
    None
}

/// Whether the System-group instruction `s` leaves translations and the RAM cache valid
/// (it can change only interrupt masks or lines, memory like a store, or nothing): hints,
/// barriers, CLREX, MSR SPSel/DAIFSet/DAIFClr/DAIF, MRS (whose side effects, e.g. an
/// ICC_IAR1_EL1 read acknowledging an interrupt, are interrupt state), cache maintenance. After the others the run loop forgets
/// its fast state; after these it only samples interrupts again.
#[inline]
pub fn keeps_fast_state(s: &System) -> bool {
    matches!(
        s,
        System::Nop
            | System::Yield
            | System::Sev
            | System::Sevl
            | System::Hint { .. }
            | System::Clrex { .. }
            | System::Dsb { .. }
            | System::Dmb { .. }
            | System::Isb { .. }
            | System::MsrSpsel { .. }
            | System::MsrDaifset { .. }
            | System::MsrDaifclr { .. }
            | System::Mrs { .. }
            // MSR DAIF, Xt (op0 3, op1 3, CRn 4, CRm 2, op2 1): interrupt masks only.
            | System::MsrReg { o0: 1, op1: 3, crn: 4, crm: 2, op2: 1, .. }
            // Cache maintenance (IC IALLUIS/IALLU/IVAU; DC IVAC/ISW, ZVA, CVAC/CSW, CVAU,
            // CIVAC/CISW: CRn 7, CRm 1, 5, 6, 4, 10, 11, 14; not AT, CRm 8/9): no cache
            // is modelled, so they change no translation; DC ZVA is a store, the others at
            // most translate (a TLB fill, which `FastMem` notices by itself).
            | System::Sys { crn: 7, crm: 1 | 4 | 5 | 6 | 10 | 11 | 14, .. }
            // TLBI (CRn 8): drops exactly the cached pages of the TLB entries it removes
            // (`Cpu::fast_tlb_removed`); a trapped or UNDEFINED one takes an exception.
            | System::Sys { crn: 8, .. }
    ) || matches!(s, System::MsrReg { o0: 1, op1, crn, crm, op2, .. } if msr_keeps_translation(*op1, *crn, *crm, *op2))
}

/// MSR writes (op0 = 3) to registers that neither the MMU (translation regime, controls,
/// attributes, permissions: SCTLR, TCR, TTBR*, MAIR, HCR, VTCR, VTTBR, SCR, ...) nor the
/// fast state's other dependencies (watchpoints and debug: MDSCR; FP enables and FP
/// control: CPACR, CPTR, FPCR, FPSR) read: exception-return and stack state, fault
/// syndromes, vector bases, thread IDs, timers and the GIC CPU interface (interrupt
/// state: the run loop samples interrupts after them). A write that traps or is
/// UNDEFINED takes an exception, which empties the cache anyway.
fn msr_keeps_translation(op1: u32, crn: u32, crm: u32, op2: u32) -> bool {
    matches!(
        (op1, crn, crm, op2),
        // SPSR_ELx, ELR_ELx, SP_EL0 (EL1), SP_EL1 (EL2), SP_EL2 (EL3)
        (0 | 4 | 6, 4, 0, 0 | 1) | (0 | 4 | 6, 4, 1, 0)
            // ICC_PMR_EL1
            | (0, 4, 6, 0)
            // AFSR0/1_EL1/EL2, ESR_EL1/EL2, FAR_EL1/EL2, HPFAR_EL2, PAR_EL1
            | (0 | 4, 5, 1, 0 | 1) | (0 | 4, 5, 2, 0) | (0 | 4, 6, 0, 0) | (4, 6, 0, 4) | (0, 7, 4, 0)
            // VBAR_EL1/EL2/EL3
            | (0 | 4 | 6, 12, 0, 0)
            // ICC_* EL1 (CRm 8-12: EOIR, DIR, SGI1R, BPR, CTLR, IGRPEN...), ICH_* EL2
            | (0, 12, 8..=12, _) | (4, 12, 8..=15, _)
            // CONTEXTIDR_EL1, TPIDR_EL1, TPIDR_EL0, TPIDRRO_EL0, TPIDR_EL2, TPIDR_EL3
            | (0, 13, 0, 1 | 4) | (3, 13, 0, 2 | 3) | (4 | 6, 13, 0, 2)
            // CNTKCTL_EL1, CNTHCTL_EL2, CNTVOFF_EL2, CNTP_*/CNTV_* EL0, CNTHP_* EL2
            | (0 | 4, 14, 1, 0) | (4, 14, 0, 3) | (3, 14, 2 | 3, 0..=2) | (4, 14, 2, 0..=2)
    )
}

/// Whether the System-group instruction `s` has no effect whatever in this model: NOP,
/// YIELD and the other hints that execute as NOP (PACIASP, AUTIASP, BTI, ...), DMB, DSB,
/// ISB (a sequential model needs no ordering), and MRS of SP_EL0 and TPIDR_EL1 (plain
/// reads: the kernel's `current` and per-CPU offset). After them the interrupt inputs,
/// routing and masks are what they were before (an MRS that is UNDEFINED takes an
/// exception, which resets the fast state anyway), so the run loop need not sample them
/// again.
#[inline]
pub fn no_effect(s: &System) -> bool {
    matches!(
        s,
        System::Nop
            | System::Yield
            | System::Hint { .. }
            | System::Dsb { .. }
            | System::Dmb { .. }
            | System::Isb { .. }
            // SP_EL0 (3, 0, 4, 1, 0), TPIDR_EL1 (3, 0, 13, 0, 4)
            | System::Mrs { o0: 1, op1: 0, crn: 4, crm: 1, op2: 0, .. }
            | System::Mrs { o0: 1, op1: 0, crn: 13, crm: 0, op2: 4, .. }
    )
}

/// Runs up to `budget` instructions.
pub fn run(cpu: &mut Cpu, p: &mut dyn Platform, budget: u64) -> Exit {
    if cpu.off {
        return Exit::Off;
    }
    // The machine may have changed anything (interrupt lines, TLB, registers) since the
    // last call: start with an interrupt check, and with the RAM cache of the last run
    // only if nothing it depends on changed (`Cpu::fast_run_boundary`).
    cpu.fast_run_boundary(true);
    let x = run_inner(cpu, p, budget);
    cpu.fast_run_boundary(false);
    x
}

fn run_inner(cpu: &mut Cpu, p: &mut dyn Platform, budget: u64) -> Exit {
    let end = cpu.icount.saturating_add(budget);
    while cpu.icount < end {
        // A hook may power the PE off (PSCI CPU_OFF).
        if cpu.off {
            return Exit::Off;
        }
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
        Hooked::Jumped => Some(Flow::Stay),
    }
}

#[cfg(test)]
mod fast_path_tests {
    //! The run loop's caches (decoded instructions, RAM host pointers, interrupt sampling
    //! only when something changed) must not change behaviour: `run` is compared with
    //! `step` (which samples interrupts before every instruction and never uses the RAM
    //! cache), and the results with values worked out by hand from the Arm ARM.
    use super::*;
    use crate::platform::{Bus, BusAttrs, BusError, FlatRam, IrqLevels, PhysAddr, RamSpan};
    use crate::{Cpu, CpuConfig};

    /// FlatRam with an IRQ line held high.
    #[derive(Clone)]
    struct Plat {
        ram: FlatRam,
    }
    impl Bus for Plat {
        fn read(&mut self, pa: PhysAddr, buf: &mut [u8], a: BusAttrs) -> Result<(), BusError> {
            self.ram.read(pa, buf, a)
        }
        fn write(&mut self, pa: PhysAddr, buf: &[u8], a: BusAttrs) -> Result<(), BusError> {
            self.ram.write(pa, buf, a)
        }
        fn ram_span(&self, pa: PhysAddr) -> Option<RamSpan> {
            self.ram.ram_span(pa)
        }
    }
    impl Platform for Plat {
        fn counter(&self) -> u64 {
            0
        }
        fn irq_levels(&self, _cpu: u8) -> IrqLevels {
            IrqLevels { irq: true, ..Default::default() }
        }
    }

    const BASE: u64 = 0x8000_0000;
    const VBAR: u64 = BASE + 0x2000;
    const DATA: u64 = BASE + 0x8000;
    const L1: u64 = BASE + 0x10000;
    const L2: u64 = BASE + 0x11000;
    const L3: u64 = BASE + 0x12000;
    const ALIAS_VA: u64 = 0x8010_0000;
    const PAGE_A: u64 = 0x8030_0000;
    const PAGE_B: u64 = 0x8030_1000;
    /// Level-3 page descriptor: AF, Inner Shareable, AttrIndx 0 (MAIR 0xff), EL1 RW.
    const fn page(pa: u64) -> u64 {
        pa | 1 << 10 | 3 << 8 | 0b11
    }

    /// Encodings from aarch64-linux-gnu-as (objdump listing in the comments).
    const CODE: [u32; 17] = [
        0xf9000020, // 00: str  x0, [x1]
        0xf9400024, // 04: ldr  x4, [x1]
        0x91000484, // 08: add  x4, x4, #1
        0xb9000043, // 0c: str  w3, [x2]        (patches 0x10)
        0xd2800025, // 10: mov  x5, #1          (becomes mov x5, #2 = 0xd2800045)
        0xf94000e6, // 14: ldr  x6, [x7]        (alias page -> PAGE_A)
        0xf900012c, // 18: str  x12, [x9]       (same descriptor again: warms the store path)
        0xf94000e6, // 1c: ldr  x6, [x7]        (alias page -> PAGE_A)
        0xf9000128, // 20: str  x8, [x9]        (alias descriptor -> PAGE_B)
        0xd508871f, // 24: tlbi vmalle1
        0xd5033f9f, // 28: dsb  sy
        0xd5033fdf, // 2c: isb
        0xf94000ea, // 30: ldr  x10, [x7]       (alias page -> PAGE_B)
        0xd503201f, // 34: nop                  (nothing slow happens here)
        0xd50342ff, // 38: msr  daifclr, #2     (the pending IRQ is taken before 0x3c)
        0xd280002b, // 3c: mov  x11, #1         (not executed)
        0x14000000, // 40: b    .
    ];
    /// IRQ handler at VBAR + 0x280 (current EL with SP_ELx).
    const HANDLER: [u32; 2] = [
        0xd28000f4, // mov x20, #7
        0x14000000, // b .
    ];

    fn setup() -> (Cpu, Plat) {
        let mut ram = FlatRam::new(BASE, 4 << 20);
        let words = |w: &[u32]| -> Vec<u8> { w.iter().flat_map(|w| w.to_le_bytes()).collect() };
        ram.load(BASE, &words(&CODE));
        ram.load(VBAR + 0x280, &words(&HANDLER));
        // L1[2] -> L2; L2[0] -> L3 (identity pages), L2[1] block identity; L3[0x100] alias.
        ram.load(L1 + 2 * 8, &(L2 | 0b11).to_le_bytes());
        ram.load(L2, &(L3 | 0b11).to_le_bytes());
        ram.load(L2 + 8, &((BASE + (2 << 20)) | 1 << 10 | 3 << 8 | 0b01).to_le_bytes());
        for i in 0..512u64 {
            ram.load(L3 + i * 8, &page(BASE + (i << 12)).to_le_bytes());
        }
        ram.load(L3 + 0x100 * 8, &page(PAGE_A).to_le_bytes());
        ram.load(PAGE_A, &0x1111u64.to_le_bytes());
        ram.load(PAGE_B, &0x2222u64.to_le_bytes());
        let mut cpu = Cpu::new(CpuConfig::default());
        cpu.reset(BASE);
        cpu.sys.mair[1] = 0xff;
        cpu.sys.tcr[1] = 32 | (0b01 << 8) | (0b01 << 10) | (0b11 << 12) | (1 << 23);
        cpu.sys.ttbr0[1] = L1;
        cpu.sys.sctlr[1] |= 1 | (1 << 2) | (1 << 12);
        cpu.sys.scr_el3 |= 1 | (1 << 10);
        cpu.sys.hcr_el2 |= 1 << 31;
        cpu.sys.vbar[1] = VBAR;
        cpu.st.pstate.el = 1;
        cpu.st.pstate.sp = 1;
        let x = &mut cpu.st.x;
        x[0] = 0x1234;
        x[1] = DATA;
        x[2] = BASE + 0x10;
        x[3] = 0xd280_0045;
        x[7] = ALIAS_VA;
        x[8] = page(PAGE_B);
        x[9] = L3 + 0x100 * 8;
        x[12] = page(PAGE_A);
        (cpu, Plat { ram })
    }

    fn check_hand_worked(cpu: &Cpu, plat: &Plat) {
        let s = &cpu.st;
        assert_eq!(plat.ram.mem[(DATA - BASE) as usize], 0x34);
        assert_eq!(s.x[4], 0x1235);
        assert_eq!(s.x[5], 2, "the patched instruction executes");
        assert_eq!(s.x[6], 0x1111, "alias page before the TLBI");
        assert_eq!(s.x[10], 0x2222, "alias page after the TLBI");
        assert_eq!(s.x[11], 0, "IRQ taken right after MSR DAIFClr");
        assert_eq!(s.x[20], 7, "IRQ handler ran");
        assert_eq!(s.elr[1], BASE + 0x3c);
        // SPSR_EL1: D, A, F masked, I clear, EL1h.
        assert_eq!(s.spsr[1], 0b1101 << 6 | 0b0101);
        assert_eq!(s.pc, VBAR + 0x284);
        assert_eq!(cpu.stats.exceptions, 1);
    }

    #[test]
    fn run_matches_step_and_hand_worked_results() {
        let (mut a, mut pa) = setup();
        let (mut b, mut pb) = setup();
        for _ in 0..10 {
            assert_eq!(run(&mut a, &mut pa, 7), Exit::Budget);
        }
        while b.icount < 70 {
            assert_eq!(step(&mut b, &mut pb), None);
        }
        check_hand_worked(&a, &pa);
        check_hand_worked(&b, &pb);
        assert_eq!(a.icount, 70);
        assert_eq!(a.st, b.st);
        assert_eq!(a.sys, b.sys);
        assert_eq!(a.stats, b.stats);
        assert_eq!(a.tlb.fills, b.tlb.fills);
        assert!(pa.ram.mem == pb.ram.mem);
    }

    /// A run whose budget ends in the middle, then continues: same as one long run.
    #[test]
    fn run_in_one_piece_matches_budget_slices() {
        let (mut a, mut pa) = setup();
        let (mut b, mut pb) = setup();
        assert_eq!(run(&mut a, &mut pa, 70), Exit::Budget);
        for _ in 0..70 {
            assert_eq!(run(&mut b, &mut pb, 1), Exit::Budget);
        }
        check_hand_worked(&a, &pa);
        assert_eq!(a.st, b.st);
        assert_eq!(a.sys, b.sys);
        assert!(pa.ram.mem == pb.ram.mem);
    }
}
