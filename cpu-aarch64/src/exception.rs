//! Exception entry and return (Arm ARM D1.10, AArch64.TakeException / ExceptionReturn),
//! the routing and masking of physical and virtual interrupts (D1.13), WFI wake-up
//! events, illegal exception returns and PSTATE.IL, and software step (D2.12).
//!
//! Hardware breakpoints (unlinked address match) and watchpoints (unlinked). Not
//! modelled: linked and context-ID breakpoints, Debug state (halting), vector catch, and
//! AArch32 (the PE is AArch64-only).

use crate::Cpu;

/// Exception class values of ESR_ELx.EC used by lsemu.
pub mod ec {
    pub const UNKNOWN: u8 = 0x00;
    pub const WFX: u8 = 0x01;
    pub const FP_ACCESS: u8 = 0x07;
    pub const ILLEGAL_STATE: u8 = 0x0e;
    pub const SVC64: u8 = 0x15;
    pub const HVC64: u8 = 0x16;
    pub const SMC64: u8 = 0x17;
    pub const SYSREG: u8 = 0x18;
    pub const IABT_LOWER: u8 = 0x20;
    pub const IABT_SAME: u8 = 0x21;
    pub const PC_ALIGN: u8 = 0x22;
    pub const DABT_LOWER: u8 = 0x24;
    pub const DABT_SAME: u8 = 0x25;
    pub const SP_ALIGN: u8 = 0x26;
    pub const FP_EXC64: u8 = 0x2c;
    pub const SERROR: u8 = 0x2f;
    pub const BREAKPT_LOWER: u8 = 0x30;
    pub const BREAKPT_SAME: u8 = 0x31;
    pub const SSTEP_LOWER: u8 = 0x32;
    pub const SSTEP_SAME: u8 = 0x33;
    pub const WATCHPT_LOWER: u8 = 0x34;
    pub const WATCHPT_SAME: u8 = 0x35;
    pub const BRK64: u8 = 0x3c;
}

/// A synchronous exception raised by an instruction (or its fetch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncExc {
    pub ec: u8,
    pub iss: u32,
    /// Instruction length bit (1 for A64 except where the architecture says 0).
    pub il: bool,
    /// Faulting virtual address, written to FAR_ELx (aborts, PC/SP alignment, watchpoints).
    pub far: Option<u64>,
    /// Faulting IPA for stage-2 aborts taken to EL2 (HPFAR_EL2).
    pub ipa: Option<u64>,
    /// Target EL. `None`: the default routing (EL1, or EL2 when HCR_EL2.TGE routes EL0
    /// exceptions there, or the current EL if higher).
    pub target: Option<u8>,
    /// Preferred return address override (SVC/HVC/SMC return to the next instruction).
    pub elr: Option<u64>,
}

impl SyncExc {
    pub fn new(ec: u8, iss: u32) -> Self {
        SyncExc { ec, iss, il: true, far: None, ipa: None, target: None, elr: None }
    }
    /// UNDEFINED instruction: EC 0, IL 1.
    pub fn undefined() -> Self {
        Self::new(ec::UNKNOWN, 0)
    }
    pub fn to_el(mut self, el: u8) -> Self {
        self.target = Some(el);
        self
    }
    pub fn with_far(mut self, far: u64) -> Self {
        self.far = Some(far);
        self
    }
    pub fn esr(&self) -> u64 {
        ((self.ec as u64) << 26) | ((self.il as u64) << 25) | (self.iss as u64 & 0x1ff_ffff)
    }
}

/// IsExternalAbort for a fault status code: synchronous External abort, on a translation
/// table walk (levels 0-3), or a parity/ECC error (also on a walk).
pub fn is_external_fsc(fsc: u32) -> bool {
    matches!(fsc, 0x10 | 0x14..=0x17 | 0x18 | 0x1c..=0x1f)
}

/// Kind of exception, selecting the vector offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sync = 0x000,
    Irq = 0x080,
    Fiq = 0x100,
    SError = 0x180,
}

impl Cpu {
    /// Default target for a synchronous exception from the current EL.
    pub fn default_sync_target(&self) -> u8 {
        let el = self.st.pstate.el;
        if el == 0 {
            if self.el2_enabled() && self.sys.hcr_el2 & crate::sysreg::HCR_TGE != 0 { 2 } else { 1 }
        } else {
            el
        }
    }

    /// Takes a synchronous exception: the state is left as the architecture specifies.
    pub fn take_sync(&mut self, e: SyncExc) {
        // AArch64.Abort: SCR_EL3.EA routes synchronous External aborts to EL3.
        let abort = matches!(e.ec, ec::IABT_SAME | ec::IABT_LOWER | ec::DABT_SAME | ec::DABT_LOWER);
        let ea_to_el3 = abort && is_external_fsc(e.iss & 0x3f) && self.has_el3() && self.sys.scr_el3 & crate::sysreg::SCR_EA != 0;
        let target = if ea_to_el3 { Some(3) } else { e.target };
        let target = target.unwrap_or_else(|| self.default_sync_target()).max(self.st.pstate.el).max(1);
        let elr = e.elr.unwrap_or(self.st.pc);
        // An exception from a lower EL reports the "lower" EC variants of aborts.
        let mut ec = e.ec;
        if target > self.st.pstate.el {
            ec = match ec {
                ec::IABT_SAME => ec::IABT_LOWER,
                ec::DABT_SAME => ec::DABT_LOWER,
                ec::BREAKPT_SAME => ec::BREAKPT_LOWER,
                ec::SSTEP_SAME => ec::SSTEP_LOWER,
                ec::WATCHPT_SAME => ec::WATCHPT_LOWER,
                x => x,
            };
        }
        // SSAdvance: SVC, HVC and SMC complete their step before the exception is taken.
        if e.elr.is_some() && matches!(e.ec, ec::SVC64 | ec::HVC64 | ec::SMC64) && self.sys.mdscr_el1 & MDSCR_SS != 0 {
            self.st.pstate.ss = false;
        }
        let esr = SyncExc { ec, ..e }.esr();
        self.sys.esr[target as usize] = esr;
        if let Some(far) = e.far {
            self.sys.far[target as usize] = far;
        }
        if target == 2 {
            if let Some(ipa) = e.ipa {
                self.sys.hpfar_el2 = (ipa >> 12 << 4) & 0x0000_0fff_ffff_fff0;
            }
        }
        self.enter(target, Kind::Sync, elr);
    }

    /// Takes an asynchronous exception (IRQ, FIQ, SError) to `target`.
    pub fn take_async(&mut self, target: u8, kind: Kind, esr: Option<u64>) {
        if let Some(esr) = esr {
            self.sys.esr[target as usize] = esr;
        }
        let pc = self.st.pc;
        self.enter(target, kind, pc);
    }

    fn enter(&mut self, target: u8, kind: Kind, elr: u64) {
        self.el_stats_sync();
        let from = self.st.pstate.el;
        let pc = self.st.pc;
        let spsr = self.st.pstate.spsr();
        let t = target as usize;
        self.st.spsr[t] = spsr;
        self.st.elr[t] = elr;
        let base = if target > from {
            0x400
        } else if self.st.pstate.sp == 0 {
            0x000
        } else {
            0x200
        };
        self.st.pstate.el = target;
        self.st.pstate.sp = 1;
        self.st.pstate.daif = crate::state::DAIF_D | crate::state::DAIF_A | crate::state::DAIF_I | crate::state::DAIF_F;
        self.st.pstate.ss = false;
        self.st.pstate.il = false;
        self.st.pc = (self.sys.vbar[t] & !0x7ff) + base + kind as u64;
        self.stats.exceptions += 1;
        match kind {
            Kind::Sync => self.stats.exc_sync[(self.sys.esr[t] >> 26) as usize & 63][t] += 1,
            Kind::Irq => self.stats.exc_irq[t] += 1,
            Kind::Fiq => self.stats.exc_fiq[t] += 1,
            Kind::SError => self.stats.exc_serror[t] += 1,
        }
        let flag = if matches!(kind, Kind::Irq | Kind::Fiq) { crate::trace::IRQ } else { crate::trace::EXC };
        if self.trace.on(flag) {
            self.trace_exception(kind, from, target, elr, pc);
        }
    }

    /// Reports an exception just taken (`trace::EXC` / `trace::IRQ`).
    #[cold]
    #[inline(never)]
    fn trace_exception(&self, kind: Kind, from_el: u8, to_el: u8, elr: u64, pc: u64) {
        let t = to_el as usize & 3;
        let esr = if matches!(kind, Kind::Sync | Kind::SError) { self.sys.esr[t] } else { 0 };
        // FAR_ELx is set (and meaningful) for aborts, PC alignment and watchpoints.
        let ec = (esr >> 26) as u8;
        let far_valid = kind == Kind::Sync
            && matches!(ec, ec::IABT_LOWER | ec::IABT_SAME | ec::PC_ALIGN | ec::DABT_LOWER | ec::DABT_SAME | ec::WATCHPT_LOWER | ec::WATCHPT_SAME);
        let far = far_valid.then_some(self.sys.far[t]);
        let event = crate::trace::Event::Exception { kind, from_el, to_el, esr, far, elr, vector: self.st.pc };
        self.trace.emit(&crate::trace::Record { cpu: self.cfg.index, el: Some(from_el), pc: Some(pc), event });
    }

    /// ERET from the current EL (EL1..3): Arm ARM AArch64.ExceptionReturn. An illegal
    /// return (IllegalExceptionReturn) keeps EL and SP, restores NZCV/DAIF, and sets
    /// PSTATE.IL so that the next instruction takes an Illegal Execution state exception.
    /// The local exclusive monitor is cleared and the event register set.
    pub fn eret(&mut self) {
        self.el_stats_sync();
        let el = self.st.pstate.el as usize;
        let spsr = self.st.spsr[el & 3];
        let elr = self.st.elr[el & 3];
        let illegal = self.illegal_return(spsr);
        let cur = self.st.pstate;
        let ss = self.debug_exception_return_ss(spsr, illegal);
        self.st.pstate.set_from_spsr(spsr);
        self.st.pstate.ss = ss;
        if illegal {
            self.st.pstate.el = cur.el;
            self.st.pstate.sp = cur.sp;
            self.st.pstate.il = true;
        }
        self.monitor.clear();
        self.event = true;
        let pc = self.st.pc;
        self.st.pc = self.branch_addr(elr, self.st.pstate.el);
        if self.trace.on(crate::trace::EXC) {
            let event = crate::trace::Event::Eret { from_el: cur.el, to_el: self.st.pstate.el, target: self.st.pc, spsr, illegal };
            self.trace.emit(&crate::trace::Record { cpu: self.cfg.index, el: Some(cur.el), pc: Some(pc), event });
        }
    }

    /// DebugExceptionReturnSS: PSTATE.SS after an exception return takes SPSR.SS only
    /// when software step is enabled (MDSCR_EL1.SS), debug exceptions are disabled at
    /// the source EL and enabled at the destination.
    fn debug_exception_return_ss(&self, spsr: u64, illegal: bool) -> bool {
        if self.sys.mdscr_el1 & MDSCR_SS == 0 {
            return false;
        }
        let at_source = self.debug_exceptions_enabled();
        let dest = if illegal { self.st.pstate.el } else { ((spsr >> 2) & 3) as u8 };
        let secure = self.is_secure_below_el3_state() || dest == 3;
        let at_dest = self.debug_exceptions_enabled_from(dest, secure, spsr >> 9 & 1 == 1);
        !at_source && at_dest && spsr >> 21 & 1 == 1
    }

    fn is_secure_below_el3_state(&self) -> bool {
        self.has_el3() && self.sys.scr_el3 & crate::sysreg::SCR_NS == 0
    }

    /// The EL debug exceptions are taken to (DebugTargetFrom): EL2 when HCR_EL2.TGE or
    /// MDCR_EL2.TDE route them there in Non-secure state, else EL1.
    pub fn debug_target(&self, secure: bool) -> u8 {
        use crate::sysreg::{HCR_TGE, MDCR_TDE};
        if self.has_el2() && !secure && (self.sys.hcr_el2 & HCR_TGE != 0 || self.sys.mdcr_el2 & MDCR_TDE != 0) { 2 } else { 1 }
    }

    /// AArch64.GenerateDebugExceptionsFrom(from, secure, mask): no OS lock / double
    /// lock, MDCR_EL3.SDD allows Secure debug, and either the debug target is above
    /// `from` or it is `from` itself with MDSCR_EL1.KDE = 1 and PSTATE.D (`mask`) clear.
    pub fn debug_exceptions_enabled_from(&self, from: u8, secure: bool, mask: bool) -> bool {
        let s = &self.sys;
        let os_lock = s.oslsr_el1 & 2 != 0;
        let double_lock = s.osdlr_el1 & 1 != 0 && s.dbgprcr_el1 & 1 == 0;
        if os_lock || double_lock {
            return false;
        }
        let target = self.debug_target(secure);
        let enabled = !self.has_el3() || !secure || s.mdcr_el3 & (1 << 16) == 0;
        if from == target {
            enabled && s.mdscr_el1 & MDSCR_KDE != 0 && !mask
        } else {
            enabled && target > from
        }
    }

    /// AArch64.GenerateDebugExceptions() for the current EL and PSTATE.D.
    pub fn debug_exceptions_enabled(&self) -> bool {
        self.debug_exceptions_enabled_from(self.st.pstate.el, self.is_secure(), self.st.pstate.daif & crate::state::DAIF_D != 0)
    }

    /// IllegalExceptionReturn(spsr) for an AArch64-only PE.
    pub fn illegal_return(&self, spsr: u64) -> bool {
        let el = self.st.pstate.el;
        let target = ((spsr >> 2) & 3) as u8;
        spsr >> 4 & 1 == 1 // AArch32 is not implemented at any EL
            || spsr >> 1 & 1 == 1 // M[1] must be 0
            || (target == 0 && spsr & 1 == 1) // EL0 uses SP_EL0 only
            || target > el
            || (target == 2 && !self.has_el2())
            || (target == 3 && !self.has_el3())
            || (target == 2 && self.has_el3() && self.sys.scr_el3 & crate::sysreg::SCR_NS == 0)
            || (target == 1 && self.el2_enabled() && self.sys.hcr_el2 & crate::sysreg::HCR_TGE != 0)
    }

    /// AArch64.BranchAddr: removes a top-byte tag when TBI applies to `va` in the
    /// translation regime of `el` (ARMv8.0: TBI covers instruction addresses too). In the
    /// EL1&0 regime bit 55 selects TBI0/TBI1 and is sign-extended into the top byte; the
    /// EL2 and EL3 regimes zero the top byte.
    pub fn branch_addr(&self, va: u64, el: u8) -> u64 {
        let s = &self.sys;
        let el2_regime = el == 0 && self.el2_enabled() && s.hcr_el2 & crate::sysreg::HCR_TGE != 0;
        let (tbi, sign_extend) = match el {
            0 | 1 if !el2_regime => {
                let bit = if va >> 55 & 1 == 1 { 38 } else { 37 };
                (s.tcr[1] >> bit & 1 == 1, true)
            }
            0..=2 => (s.tcr[2] >> 20 & 1 == 1, false),
            _ => (s.tcr[3] >> 20 & 1 == 1, false),
        };
        match (tbi, sign_extend) {
            (false, _) => va,
            (true, true) => (((va << 8) as i64) >> 8) as u64,
            (true, false) => va & 0x00ff_ffff_ffff_ffff,
        }
    }
}

/// MDSCR_EL1.SS (software step enable) and KDE (local debug enable).
pub const MDSCR_SS: u64 = 1 << 0;
pub const MDSCR_KDE: u64 = 1 << 13;

/// Whether software step is active (MDSCR_EL1.SS = 1 and debug exceptions enabled at
/// the current EL) in the active-not-pending state (PSTATE.SS = 1): the next
/// instruction is stepped.
pub fn software_step_active(cpu: &Cpu) -> bool {
    cpu.st.pstate.ss && cpu.sys.mdscr_el1 & MDSCR_SS != 0 && cpu.debug_exceptions_enabled()
}

/// The Software Step exception of the active-pending state (step active, PSTATE.SS = 0):
/// EC 0x32/0x33, ISS ISV = 1, EX = the stepped instruction was a load-exclusive, IFSC
/// 0x22; ELR = the next instruction; taken to the debug target EL.
pub fn software_step_pending(cpu: &Cpu) -> Option<SyncExc> {
    if cpu.st.pstate.ss || cpu.sys.mdscr_el1 & MDSCR_SS == 0 || !cpu.debug_exceptions_enabled() {
        return None;
    }
    let iss = 1 << 24 | (cpu.step_ex as u32) << 6 | 0x22;
    Some(SyncExc::new(ec::SSTEP_SAME, iss).to_el(cpu.debug_target(cpu.is_secure())))
}

/// Called after a stepped instruction completes without an exception: the step state
/// becomes active-pending (ERET sets PSTATE.SS itself, from SPSR.SS).
pub fn software_step_completed(cpu: &mut Cpu, insn: &crate::Insn) {
    use crate::decode::System;
    if matches!(insn, crate::Insn::System(System::Eret)) {
        return;
    }
    cpu.st.pstate.ss = false;
    cpu.step_ex = matches!(insn.name(), "LDXRB" | "LDAXRB" | "LDXRH" | "LDAXRH" | "LDXR" | "LDAXR" | "LDXP" | "LDAXP");
}

/// MDSCR_EL1.MDE: breakpoints and watchpoints enabled.
pub const MDSCR_MDE: u64 = 1 << 15;

/// Hardware breakpoints (AArch64.CheckBreakpoint, called for an instruction fetch that
/// translated without a fault): an enabled unlinked address-match breakpoint
/// (DBGBCR<n>.E = 1, BT = 0b0000) whose DBGBVR<n>[48:2] equals the PC, whose
/// SSC/HMC/PMC state match the current EL and Security state, with MDSCR_EL1.MDE = 1 and
/// debug exceptions enabled, raises a Breakpoint exception (EC 0x30/0x31, IFSC 0x22)
/// to the debug target EL. Linked and context-ID breakpoints never match here.
pub fn check_breakpoints(cpu: &Cpu, pc: u64) -> Result<(), SyncExc> {
    if cpu.sys.mdscr_el1 & MDSCR_MDE == 0 || !cpu.debug_exceptions_enabled() {
        return Ok(());
    }
    let el = cpu.st.pstate.el;
    let secure = cpu.is_secure();
    for (bcr, bvr) in cpu.sys.dbgbcr.iter().zip(cpu.sys.dbgbvr.iter()) {
        let bcr = *bcr;
        if bcr & 1 == 0 || (bcr >> 20) & 0xf != 0 {
            continue;
        }
        if (bvr ^ pc) & 0x0001_ffff_ffff_fffc != 0 {
            continue;
        }
        let pmc = (bcr >> 1) & 3;
        let hmc = (bcr >> 13) & 1 == 1;
        let ssc = (bcr >> 14) & 3;
        let priv_match = match el {
            3 => cpu.has_el3() && hmc && ssc & 1 == 0,
            2 => cpu.has_el2() && hmc,
            1 => pmc & 1 == 1,
            _ => pmc & 2 == 2,
        };
        let security_match = match ssc {
            1 => !secure,
            2 => secure,
            _ => true,
        };
        if priv_match && security_match {
            return Err(SyncExc::new(ec::BREAKPT_SAME, 0x22).to_el(cpu.debug_target(secure)));
        }
    }
    Ok(())
}

/// Hardware watchpoints (AArch64.CheckWatchpoint, called for a data access that
/// translated without a fault): an enabled unlinked watchpoint (DBGWCR<n>.E = 1, WT = 0)
/// whose LSC matches the direction, whose PAC/HMC/SSC match the EL (LDTR/STTR count as
/// EL0) and Security state, and whose watched bytes overlap `[va, va + size)` raises a
/// Watchpoint exception (EC 0x34/0x35, WnR, CM, DFSC 0x22) to the debug target EL, with
/// FAR = the larger of `va` and the first watched byte it touches (as QEMU reports it;
/// the architecture allows any address of the access or the watched range). Watched
/// bytes: DBGWCR.MASK >= 3 gives a 2^MASK-byte aligned range; else BAS selects bytes of
/// the doubleword (or, when DBGWVR[2] = 1, the word) at DBGWVR.
pub fn check_watchpoints(cpu: &Cpu, va: u64, size: u64, acc: &crate::mmu::Access) -> Result<(), SyncExc> {
    use crate::mmu::AccessType;
    if acc.ty == AccessType::Fetch || cpu.sys.mdscr_el1 & MDSCR_MDE == 0 || !cpu.debug_exceptions_enabled() {
        return Ok(());
    }
    const VA: u64 = 0x0001_ffff_ffff_ffff;
    let el = cpu.st.pstate.el;
    let secure = cpu.is_secure();
    let is_write = acc.ty == AccessType::Write;
    let ispriv = el != 0 && !acc.unpriv;
    let (lo, hi) = (va & VA, (va & VA).wrapping_add(size.max(1) - 1));
    for (wcr, wvr) in cpu.sys.dbgwcr.iter().zip(cpu.sys.dbgwvr.iter()) {
        let (wcr, wvr) = (*wcr, *wvr & VA);
        if wcr & 1 == 0 || (wcr >> 20) & 1 == 1 {
            continue;
        }
        let lsc = (wcr >> 3) & 3;
        if (is_write && lsc & 2 == 0) || (!is_write && lsc & 1 == 0) {
            continue;
        }
        let pac = (wcr >> 1) & 3;
        let hmc = (wcr >> 13) & 1 == 1;
        let ssc = (wcr >> 14) & 3;
        let priv_match = match el {
            3 => cpu.has_el3() && hmc && ssc & 1 == 0,
            2 => cpu.has_el2() && hmc,
            1 if ispriv => pac & 1 == 1,
            _ => pac & 2 == 2,
        };
        let security_match = match ssc {
            1 => !secure,
            2 => secure,
            _ => true,
        };
        if !(priv_match && security_match) {
            continue;
        }
        let mask = (wcr >> 24) & 0x1f;
        let first = if mask >= 3 {
            let base = wvr & !((1u64 << mask) - 1);
            let end = base.wrapping_add((1u64 << mask) - 1);
            if hi < base || lo > end { None } else { Some(base.max(lo)) }
        } else if mask == 0 {
            let (base, n) = if wvr & 4 != 0 { (wvr & !3, 4) } else { (wvr & !7, 8) };
            let bas = (wcr >> 5) & 0xff;
            (0..n).map(|i| base + i).filter(|b| bas >> (b - base) & 1 == 1).find(|b| *b >= lo && *b <= hi)
        } else {
            None // MASK 1 and 2 are reserved: lsemu treats the watchpoint as disabled
        };
        if let Some(hit) = first {
            let iss = (acc.cache_maint as u32) << 8 | ((is_write || acc.cache_maint) as u32) << 6 | 0x22;
            return Err(SyncExc::new(ec::WATCHPT_SAME, iss).with_far(hit.max(lo) | (va & !VA)).to_el(cpu.debug_target(secure)));
        }
    }
    Ok(())
}

/// The Illegal Execution state exception raised before executing any instruction while
/// PSTATE.IL is set (EC 0x0E, ISS 0). The interpreter calls this after a successful fetch.
pub fn check_illegal_state(cpu: &Cpu) -> Result<(), SyncExc> {
    if cpu.st.pstate.il { Err(SyncExc::new(ec::ILLEGAL_STATE, 0)) } else { Ok(()) }
}

/// Where a physical interrupt of `kind` goes now: `Some((target EL, masked))`, or `None`
/// when its routing targets an EL below the current one (it stays pending). Arm ARM
/// D1.13.1 (ARMv8.0): routing by SCR_EL3.{IRQ,FIQ,EA} and HCR_EL2.{IMO,FMO,AMO,TGE};
/// an interrupt taken to a higher EL ignores PSTATE's mask, one taken to the current
/// EL is masked by PSTATE.{I,F,A}.
fn phys_route(cpu: &Cpu, kind: Kind) -> Option<(u8, bool)> {
    use crate::sysreg::*;
    let el = cpu.st.pstate.el;
    let (scr_bit, hcr_bit, mask) = match kind {
        Kind::Irq => (SCR_IRQ, HCR_IMO, crate::state::DAIF_I),
        Kind::Fiq => (SCR_FIQ, HCR_FMO, crate::state::DAIF_F),
        Kind::SError => (SCR_EA, HCR_AMO, crate::state::DAIF_A),
        Kind::Sync => return None,
    };
    let target = if cpu.has_el3() && cpu.sys.scr_el3 & scr_bit != 0 {
        3
    } else if cpu.el2_enabled() && (el == 2 || cpu.sys.hcr_el2 & (hcr_bit | HCR_TGE) != 0) {
        2
    } else {
        1
    };
    if target < el {
        return None;
    }
    Some((target, target == el && cpu.st.pstate.daif & mask != 0))
}

fn phys_target(cpu: &Cpu, kind: Kind) -> Option<u8> {
    match phys_route(cpu, kind) {
        Some((t, false)) => Some(t),
        _ => None,
    }
}

/// Virtual interrupt pending for EL1&0 (HCR_EL2.VI/VF/VSE or the GIC's virtual lines).
fn virt_pending(cpu: &Cpu, lv: &crate::platform::IrqLevels) -> Option<Kind> {
    use crate::sysreg::*;
    let el = cpu.st.pstate.el;
    if !cpu.el2_enabled() || el > 1 || cpu.sys.hcr_el2 & HCR_TGE != 0 {
        return None;
    }
    let h = cpu.sys.hcr_el2;
    let d = cpu.st.pstate.daif;
    if h & HCR_AMO != 0 && h & HCR_VSE != 0 && d & crate::state::DAIF_A == 0 {
        return Some(Kind::SError);
    }
    if h & HCR_FMO != 0 && (h & HCR_VF != 0 || lv.vfiq) && d & crate::state::DAIF_F == 0 {
        return Some(Kind::Fiq);
    }
    if h & HCR_IMO != 0 && (h & HCR_VI != 0 || lv.virq) && d & crate::state::DAIF_I == 0 {
        return Some(Kind::Irq);
    }
    None
}

/// Takes the highest-priority pending, unmasked interrupt. Returns true if one was taken.
/// Physical interrupts routed above the current EL, then physical ones at it (SError,
/// FIQ, IRQ), then virtual ones (Arm ARM D1.13: the order between simultaneous
/// asynchronous exceptions is IMPLEMENTATION DEFINED; this order is one choice).
pub fn check_interrupts(cpu: &mut Cpu, p: &mut dyn crate::platform::Platform) -> bool {
    let lv = p.irq_levels(cpu.cfg.index);
    // The usual answer, at once: no line up and no virtual interrupt pending in HCR_EL2
    // (then neither the loop nor `virt_pending` below can find one).
    use crate::sysreg::{HCR_VF, HCR_VI, HCR_VSE};
    if !(lv.serror || lv.fiq || lv.irq || lv.vfiq || lv.virq) && cpu.sys.hcr_el2 & (HCR_VSE | HCR_VF | HCR_VI) == 0 {
        return false;
    }
    for (line, kind) in [(lv.serror, Kind::SError), (lv.fiq, Kind::Fiq), (lv.irq, Kind::Irq)] {
        if line {
            if let Some(t) = phys_target(cpu, kind) {
                let esr = if kind == Kind::SError { Some((ec::SERROR as u64) << 26 | 1 << 25) } else { None };
                cpu.take_async(t, kind, esr);
                return true;
            }
        }
    }
    if let Some(kind) = virt_pending(cpu, &lv) {
        let esr = if kind == Kind::SError {
            // Taking the virtual SError clears HCR_EL2.VSE. Its ISS is IMPLEMENTATION
            // DEFINED without the RAS extension: lsemu reports 0.
            cpu.sys.hcr_el2 &= !crate::sysreg::HCR_VSE;
            Some((ec::SERROR as u64) << 26 | 1 << 25)
        } else {
            None
        };
        cpu.take_async(1, kind, esr);
        return true;
    }
    false
}

/// Whether an interrupt is pending that wakes the PE from WFI (Arm ARM D1.17.2, "WFI
/// wake-up events"): any physical IRQ/FIQ/SError, whatever PSTATE.{A,I,F} say and
/// whichever EL it targets (EL3 firmware waits in WFI for interrupts routed to EL1/EL2,
/// e.g. PSCI CPU_SUSPEND standby); a virtual interrupt when the PE is at EL0/EL1 in
/// Non-secure state with the matching HCR_EL2.{IMO,FMO,AMO} set and TGE clear.
pub fn interrupt_pending(cpu: &Cpu, p: &mut dyn crate::platform::Platform) -> bool {
    use crate::sysreg::*;
    let lv = p.irq_levels(cpu.cfg.index);
    if lv.irq || lv.fiq || lv.serror {
        return true;
    }
    let el = cpu.st.pstate.el;
    let h = cpu.sys.hcr_el2;
    cpu.el2_enabled()
        && el <= 1
        && h & HCR_TGE == 0
        && ((h & HCR_AMO != 0 && h & HCR_VSE != 0)
            || (h & HCR_FMO != 0 && (h & HCR_VF != 0 || lv.vfiq))
            || (h & HCR_IMO != 0 && (h & HCR_VI != 0 || lv.virq)))
}

/// Whether a waiting PE must wake: for WFI a pending interrupt (`interrupt_pending`), for
/// WFE also the event register (which WFE then clears) or an event stream edge since the
/// WFE (`Cpu::next_event_stream`, which the machine can use as a wake-up deadline).
pub fn wake_pending(cpu: &mut Cpu, p: &mut dyn crate::platform::Platform) -> bool {
    if interrupt_pending(cpu, p) {
        return true;
    }
    if cpu.waiting == Some(crate::WaitKind::Wfe) {
        if cpu.event {
            cpu.event = false;
            return true;
        }
        // A timer event stream edge since the WFE started is an event.
        if cpu.next_event_stream(cpu.wait_start).is_some_and(|t| t <= p.counter_at(cpu.icount)) {
            return true;
        }
    }
    false
}
