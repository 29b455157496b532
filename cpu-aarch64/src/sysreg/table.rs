//! The system register table: one entry per register of the emulated Cortex-A72 in
//! AArch64 (name, encoding, lowest EL with access, read/write direction, trap checks,
//! storage). MRS/MSR go through `mrs`/`msr`, which apply, in the order of the Arm ARM's
//! register pseudo-code:
//! 1. UNDEFINED for an encoding that is not a register of this PE (one warning per
//!    encoding), for a register of a higher EL than the current one, and for a write to a
//!    read-only (read of a write-only) register;
//! 2. the register's `check` function: traps to EL1/EL2/EL3 (ESR EC 0x18, or EC 0x07 for
//!    FPCR/FPSR) and UNDEFINED cases that depend on state (SP_EL0 with SPSel = 0, ...);
//! 3. the read or write function (storage in `SysRegs`/`ArchState`, or a hook).
//!
//! The GIC CPU interface registers (ICC_*, ICH_*) are forwarded to the platform
//! (`Platform::icc_access_ctx`, by default `icc_access`); when it answers `None` or
//! `IccResult::Undefined` the access is UNDEFINED.
//!
//! Conventions:
//! - Writes keep only the bits ARMv8.0 defines for the register (RES0 bits read as 0,
//!   RES1 bits as 1), as the A72 silicon does; registers without a mask in the table
//!   store all 64 bits.
//! - Registers whose reset value is architecturally UNKNOWN reset to 0 (`sysreg::reset`
//!   lists the exceptions), as QEMU does, so bare-metal programs agree on both.
//! - To add a register: one `b.add(NAME, (op0, op1, CRn, CRm, op2), lowest EL, access,
//!   check, storage)` line in `build()`; `check` holds every trap rule of its pseudo-code
//!   in the Arm ARM order (EL0 enables, then EL2 traps, then EL3 traps), storage is a
//!   `sys!`/`sys_masked!`/`st!` field, `ro!` value, or a pair of functions. The
//!   `table_encodings_match_gnu_as` test checks the encoding against the assembler.

use super::*;
use crate::exception::{ec, SyncExc};
use crate::platform::Platform;
use crate::state::{DAIF_A, DAIF_F, DAIF_I};
use crate::Cpu;
use std::collections::HashMap;
use std::sync::OnceLock;

/// Why an access is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deny {
    /// UNDEFINED (EC 0x00).
    Undef,
    /// Trapped to this EL with EC 0x18 (the ISS is built from the instruction).
    Trap(u8),
    /// Another exception (FP access trap, ...).
    Exc(SyncExc),
}

/// Direction(s) an MRS/MSR may access a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acc {
    RW,
    RO,
    WO,
}

pub type CheckFn = fn(&Cpu, bool) -> Result<(), Deny>;
pub type ReadFn = fn(&mut Cpu, &mut dyn Platform, SysRegEnc) -> u64;
pub type WriteFn = fn(&mut Cpu, &mut dyn Platform, SysRegEnc, u64);

/// One system register.
#[derive(Clone, Copy)]
pub struct RegInfo {
    pub name: &'static str,
    pub enc: SysRegEnc,
    /// Lowest EL that may access it (below: UNDEFINED). EL0-accessible registers have
    /// their EL0 enable/trap rules in `check`.
    pub min_el: u8,
    pub acc: Acc,
    /// Traps and state-dependent UNDEFINED cases; the argument is `true` for MSR.
    pub check: CheckFn,
    pub read: ReadFn,
    pub write: WriteFn,
    /// Reset value for registers kept in `SysRegs::other` (implementation defined ones).
    pub reset: Option<u64>,
}

impl std::fmt::Debug for RegInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {:?}", self.name, self.enc)
    }
}

pub const CPTR_EL2_RES1: u64 = 0x33ff;
const SCTLR_EL1_RW: u64 = 0x070d_d3bf;
const SCTLR_EL1_RES1: u64 = 0x30d0_0800;
const SCTLR_EL23_RW: u64 = 0x0208_100f;
const SCTLR_EL23_RES1: u64 = 0x30c5_0830;
/// SPSR bits of an AArch64-only PE: NZCV, SS, IL, DAIF, M[4:0].
pub const SPSR_MASK: u64 = 0xf030_03df;

// ---------------------------------------------------------------------------------------
// Trap checks
// ---------------------------------------------------------------------------------------

fn el(c: &Cpu) -> u8 {
    c.st.pstate.el
}
/// HCR_EL2 as it applies to EL0/EL1 now (0 when EL2 is not enabled).
fn hcr(c: &Cpu) -> u64 {
    if c.el2_enabled() { c.sys.hcr_el2 } else { 0 }
}
/// Target of a trap that the Arm ARM sends "to EL1" from EL0: EL2 when HCR_EL2.TGE is 1.
pub fn el1_trap_target(c: &Cpu) -> u8 {
    if hcr(c) & HCR_TGE != 0 { 2 } else { 1 }
}
fn trap(cond: bool, to: u8) -> Result<(), Deny> {
    if cond { Err(Deny::Trap(to)) } else { Ok(()) }
}
fn ok(_: &Cpu, _: bool) -> Result<(), Deny> {
    Ok(())
}
/// HCR_EL2.TVM (writes) / TRVM (reads): the EL1 virtual memory controls.
fn ck_tvm(c: &Cpu, w: bool) -> Result<(), Deny> {
    trap(el(c) == 1 && hcr(c) & if w { HCR_TVM } else { HCR_TRVM } != 0, 2)
}
fn ck_tid1(c: &Cpu, _: bool) -> Result<(), Deny> {
    trap(el(c) == 1 && hcr(c) & HCR_TID1 != 0, 2)
}
fn ck_tid2(c: &Cpu, _: bool) -> Result<(), Deny> {
    trap(el(c) == 1 && hcr(c) & HCR_TID2 != 0, 2)
}
fn ck_tid3(c: &Cpu, _: bool) -> Result<(), Deny> {
    trap(el(c) == 1 && hcr(c) & HCR_TID3 != 0, 2)
}
fn ck_ctr(c: &Cpu, _: bool) -> Result<(), Deny> {
    if el(c) == 0 && c.sys.sctlr[1] & SCTLR_UCT == 0 {
        return Err(Deny::Trap(el1_trap_target(c)));
    }
    trap(el(c) <= 1 && hcr(c) & HCR_TID2 != 0, 2)
}
fn ck_tacr(c: &Cpu, _: bool) -> Result<(), Deny> {
    trap(el(c) == 1 && hcr(c) & HCR_TACR != 0, 2)
}
/// Implementation defined registers of the Cortex-A72: HCR_EL2.TIDCP traps EL1 accesses;
/// EL1/EL2 writes need the register's enable bit in ACTLR_EL3 (and ACTLR_EL2 for EL1),
/// else they trap to the lowest EL that denies them (TRM 4.3.x, "ACTLR_EL2/EL3").
fn ck_impdef(c: &Cpu, w: bool, bit: Option<u32>) -> Result<(), Deny> {
    trap(el(c) == 1 && hcr(c) & HCR_TIDCP != 0, 2)?;
    if let (true, Some(b)) = (w, bit) {
        if el(c) == 1 && c.el2_enabled() && c.sys.actlr[2] >> b & 1 == 0 {
            return Err(Deny::Trap(2));
        }
        if el(c) <= 2 && c.has_el3() && c.sys.actlr[3] >> b & 1 == 0 {
            return Err(Deny::Trap(3));
        }
    }
    Ok(())
}
fn ck_impdef_ro(c: &Cpu, w: bool) -> Result<(), Deny> {
    ck_impdef(c, w, None)
}
fn ck_cpuactlr(c: &Cpu, w: bool) -> Result<(), Deny> {
    ck_impdef(c, w, Some(0))
}
fn ck_cpuectlr(c: &Cpu, w: bool) -> Result<(), Deny> {
    ck_impdef(c, w, Some(1))
}
fn ck_l2ctlr(c: &Cpu, w: bool) -> Result<(), Deny> {
    ck_impdef(c, w, Some(4))
}
fn ck_l2ectlr(c: &Cpu, w: bool) -> Result<(), Deny> {
    ck_impdef(c, w, Some(5))
}
fn ck_l2actlr(c: &Cpu, w: bool) -> Result<(), Deny> {
    ck_impdef(c, w, Some(6))
}
/// CPACR_EL1: CPTR_EL2.TCPAC traps EL1 accesses, CPTR_EL3.TCPAC EL1 and EL2 accesses.
fn ck_cpacr(c: &Cpu, _: bool) -> Result<(), Deny> {
    trap(el(c) == 1 && c.el2_enabled() && c.sys.cptr_el2 & CPTR_TCPAC != 0, 2)?;
    trap(el(c) <= 2 && c.has_el3() && c.sys.cptr_el3 & CPTR_TCPAC != 0, 3)
}
fn ck_cptr_el2(c: &Cpu, _: bool) -> Result<(), Deny> {
    trap(el(c) == 2 && c.has_el3() && c.sys.cptr_el3 & CPTR_TCPAC != 0, 3)
}
fn ck_fp(c: &Cpu, _: bool) -> Result<(), Deny> {
    c.check_fp_enabled().map_err(Deny::Exc)
}
fn ck_uma(c: &Cpu, _: bool) -> Result<(), Deny> {
    trap(el(c) == 0 && c.sys.sctlr[1] & SCTLR_UMA == 0, el1_trap_target(c))
}
fn ck_sp_el0(c: &Cpu, _: bool) -> Result<(), Deny> {
    if c.st.pstate.sp == 0 { Err(Deny::Undef) } else { Ok(()) }
}
/// Debug register traps: MDCR_EL2.<bit> or TDE (EL0/1, to EL2), MDCR_EL3.<bit> (EL0-2).
fn ck_mdcr(c: &Cpu, bit: u64) -> Result<(), Deny> {
    trap(el(c) <= 1 && c.el2_enabled() && c.sys.mdcr_el2 & (bit | MDCR_TDE) != 0, 2)?;
    trap(el(c) <= 2 && c.has_el3() && c.sys.mdcr_el3 & bit != 0, 3)
}
fn ck_tda(c: &Cpu, _: bool) -> Result<(), Deny> {
    ck_mdcr(c, MDCR_TDA)
}
fn ck_tdosa(c: &Cpu, _: bool) -> Result<(), Deny> {
    ck_mdcr(c, MDCR_TDOSA)
}
fn ck_tdra(c: &Cpu, _: bool) -> Result<(), Deny> {
    ck_mdcr(c, MDCR_TDRA)
}
/// The debug communication channel registers at EL0: MDSCR_EL1.TDCC, then TDA.
fn ck_dcc(c: &Cpu, _: bool) -> Result<(), Deny> {
    trap(el(c) == 0 && c.sys.mdscr_el1 & (1 << 12) != 0, el1_trap_target(c))?;
    ck_mdcr(c, MDCR_TDA)
}
/// DSPSR_EL0/DLR_EL0 exist only in Debug state, which lsemu never enters.
fn ck_debug_state(_: &Cpu, _: bool) -> Result<(), Deny> {
    Err(Deny::Undef)
}
/// PMU traps: EL0 needs PMUSERENR_EL0.EN or one of `el0_bits`; MDCR_EL2.TPM (and
/// `tpmcr` for PMCR_EL0) trap EL0/1 to EL2; MDCR_EL3.TPM traps EL0-2 to EL3.
fn ck_pmu(c: &Cpu, el0_bits: u64, tpmcr: bool) -> Result<(), Deny> {
    if el(c) == 0 && c.sys.pmuserenr_el0 & (1 | el0_bits) == 0 {
        return Err(Deny::Trap(el1_trap_target(c)));
    }
    let m2 = MDCR_TPM | if tpmcr { MDCR_TPMCR } else { 0 };
    trap(el(c) <= 1 && c.el2_enabled() && c.sys.mdcr_el2 & m2 != 0, 2)?;
    trap(el(c) <= 2 && c.has_el3() && c.sys.mdcr_el3 & MDCR_TPM != 0, 3)
}
fn ck_pmu_en(c: &Cpu, _: bool) -> Result<(), Deny> {
    ck_pmu(c, 0, false)
}
fn ck_pmcr(c: &Cpu, _: bool) -> Result<(), Deny> {
    ck_pmu(c, 0, true)
}
fn ck_pmswinc(c: &Cpu, _: bool) -> Result<(), Deny> {
    ck_pmu(c, 1 << 1, false)
}
/// PMCCNTR_EL0: EL0 reads allowed by PMUSERENR.CR, writes need EN.
fn ck_pmccntr(c: &Cpu, w: bool) -> Result<(), Deny> {
    ck_pmu(c, if w { 0 } else { 1 << 2 }, false)
}
/// Event counters and PMSELR_EL0: EL0 reads allowed by PMUSERENR.ER (and PMSELR writes).
fn ck_pmevcnt(c: &Cpu, w: bool) -> Result<(), Deny> {
    ck_pmu(c, if w { 0 } else { 1 << 3 }, false)
}
fn ck_pmselr(c: &Cpu, _: bool) -> Result<(), Deny> {
    ck_pmu(c, 1 << 3, false)
}
/// PMUSERENR_EL0: read-only at EL0 (writes UNDEFINED there), TPM traps.
fn ck_pmuserenr(c: &Cpu, w: bool) -> Result<(), Deny> {
    if el(c) == 0 && w {
        return Err(Deny::Undef);
    }
    trap(el(c) <= 1 && c.el2_enabled() && c.sys.mdcr_el2 & MDCR_TPM != 0, 2)?;
    trap(el(c) <= 2 && c.has_el3() && c.sys.mdcr_el3 & MDCR_TPM != 0, 3)
}
fn ck_pm_el1(c: &Cpu, _: bool) -> Result<(), Deny> {
    ck_pmu(c, 0, false)
}

const CNTKCTL_EL0PCTEN: u64 = 1 << 0;
const CNTKCTL_EL0VCTEN: u64 = 1 << 1;
const CNTKCTL_EL0VTEN: u64 = 1 << 8;
const CNTKCTL_EL0PTEN: u64 = 1 << 9;
const CNTHCTL_EL1PCTEN: u64 = 1 << 0;
const CNTHCTL_EL1PCEN: u64 = 1 << 1;

/// CNTFRQ_EL0: EL0 reads need EL0PCTEN or EL0VCTEN; only the highest EL may write it.
fn ck_cntfrq(c: &Cpu, w: bool) -> Result<(), Deny> {
    if el(c) == 0 && c.sys.cntkctl_el1 & (CNTKCTL_EL0PCTEN | CNTKCTL_EL0VCTEN) == 0 {
        return Err(Deny::Trap(el1_trap_target(c)));
    }
    let top = if c.has_el3() { 3 } else if c.has_el2() { 2 } else { 1 };
    if w && el(c) != top { Err(Deny::Undef) } else { Ok(()) }
}
fn ck_cntpct(c: &Cpu, _: bool) -> Result<(), Deny> {
    trap(el(c) == 0 && c.sys.cntkctl_el1 & CNTKCTL_EL0PCTEN == 0, el1_trap_target(c))?;
    trap(el(c) <= 1 && c.el2_enabled() && c.sys.cnthctl_el2 & CNTHCTL_EL1PCTEN == 0, 2)
}
fn ck_cntvct(c: &Cpu, _: bool) -> Result<(), Deny> {
    trap(el(c) == 0 && c.sys.cntkctl_el1 & CNTKCTL_EL0VCTEN == 0, el1_trap_target(c))
}
fn ck_cntp(c: &Cpu, _: bool) -> Result<(), Deny> {
    trap(el(c) == 0 && c.sys.cntkctl_el1 & CNTKCTL_EL0PTEN == 0, el1_trap_target(c))?;
    trap(el(c) <= 1 && c.el2_enabled() && c.sys.cnthctl_el2 & CNTHCTL_EL1PCEN == 0, 2)
}
fn ck_cntv(c: &Cpu, _: bool) -> Result<(), Deny> {
    trap(el(c) == 0 && c.sys.cntkctl_el1 & CNTKCTL_EL0VTEN == 0, el1_trap_target(c))
}
/// CNTPS_*_EL1: Secure EL1 only with SCR_EL3.ST = 1 (else trap to EL3); UNDEFINED at
/// Non-secure EL1 and at EL2.
fn ck_cntps(c: &Cpu, _: bool) -> Result<(), Deny> {
    match el(c) {
        1 if !c.is_secure() => Err(Deny::Undef),
        1 => trap(c.sys.scr_el3 & SCR_ST == 0, 3),
        2 => Err(Deny::Undef),
        _ => Ok(()),
    }
}
/// Registers readable at EL0 only through their own rules (DCZID_EL0, NZCV, TPIDR*).
fn ck_el0_ok(_: &Cpu, _: bool) -> Result<(), Deny> {
    Ok(())
}
/// TPIDRRO_EL0: read-only at EL0.
fn ck_tpidrro(c: &Cpu, w: bool) -> Result<(), Deny> {
    if el(c) == 0 && w { Err(Deny::Undef) } else { Ok(()) }
}

// ---------------------------------------------------------------------------------------
// Storage helpers
// ---------------------------------------------------------------------------------------

/// Read/write functions for a `SysRegs` field (optionally with a write mask).
macro_rules! sys {
    ($($f:tt)+) => {
        (
            |c: &mut Cpu, _p: &mut dyn Platform, _e: SysRegEnc| -> u64 { c.sys.$($f)+ },
            |c: &mut Cpu, _p: &mut dyn Platform, _e: SysRegEnc, v: u64| { c.sys.$($f)+ = v },
        )
    };
}
macro_rules! sys_masked {
    ($mask:expr, $res1:expr, $($f:tt)+) => {
        (
            |c: &mut Cpu, _p: &mut dyn Platform, _e: SysRegEnc| -> u64 { c.sys.$($f)+ },
            |c: &mut Cpu, _p: &mut dyn Platform, _e: SysRegEnc, v: u64| { c.sys.$($f)+ = (v & $mask) | $res1 },
        )
    };
}
/// Read/write functions for an `ArchState` field.
macro_rules! st {
    ($($f:tt)+) => {
        (
            |c: &mut Cpu, _p: &mut dyn Platform, _e: SysRegEnc| -> u64 { c.st.$($f)+ },
            |c: &mut Cpu, _p: &mut dyn Platform, _e: SysRegEnc, v: u64| { c.st.$($f)+ = v },
        )
    };
}
/// A read-only value computed from the CPU.
macro_rules! ro {
    (|$c:ident, $p:ident| $e:expr) => {
        (
            |$c: &mut Cpu, $p: &mut dyn Platform, _e: SysRegEnc| -> u64 {
                let _ = &$p;
                let _ = &$c;
                $e
            },
            wi as WriteFn,
        )
    };
}
fn wi(_: &mut Cpu, _: &mut dyn Platform, _: SysRegEnc, _: u64) {}
fn raz(_: &mut Cpu, _: &mut dyn Platform, _: SysRegEnc) -> u64 {
    0
}
fn other_read(c: &mut Cpu, _: &mut dyn Platform, e: SysRegEnc) -> u64 {
    c.sys.other.get(&e).copied().unwrap_or(0)
}
fn other_write(c: &mut Cpu, _: &mut dyn Platform, e: SysRegEnc, v: u64) {
    c.sys.other.insert(e, v);
}

// PMU helpers: PMCCNTR counts retired instructions (one "cycle" each) while enabled.
fn pmu_mask() -> u64 {
    (1u64 << 31) | ((1u64 << id::PMU_COUNTERS) - 1)
}
fn pmccntr_enabled(c: &Cpu) -> bool {
    c.sys.pmcr_el0 & 1 != 0 && c.sys.pmcntenset_el0 >> 31 & 1 != 0
}
/// Folds the running cycle count into `pmccntr_el0`.
fn pmu_fold(c: &mut Cpu) {
    if let Some(base) = c.sys.pmccntr_base.take() {
        let d = c.icount.wrapping_sub(base);
        // PMCR_EL0.D (bit 3): count every 64th cycle; lsemu applies it when folding.
        let d = if c.sys.pmcr_el0 & 8 != 0 { d / 64 } else { d };
        c.sys.pmccntr_el0 = c.sys.pmccntr_el0.wrapping_add(d);
    }
}
fn pmu_restart(c: &mut Cpu) {
    c.sys.pmccntr_base = if pmccntr_enabled(c) { Some(c.icount) } else { None };
}
fn pmu_update(c: &mut Cpu, f: impl FnOnce(&mut Cpu)) {
    pmu_fold(c);
    f(c);
    pmu_restart(c);
}
fn pm_sel(c: &Cpu) -> usize {
    (c.sys.pmselr_el0 & 31) as usize
}

fn icc_el(e: SysRegEnc) -> u8 {
    match e.op1 {
        4 => 2,
        6 => 3,
        _ => 1,
    }
}

/// Whether `e` is in the GIC CPU interface space (ICC_PMR_EL1, and op0 = 3, CRn = 12,
/// CRm >= 8: ICC_*, ICH_*).
pub fn is_gic_reg(e: SysRegEnc) -> bool {
    e.op0 == 3 && ((e.crn == 12 && e.crm >= 8) || (e.op1 == 0 && e.crn == 4 && e.crm == 6 && e.op2 == 0))
}

/// Whether `e` is in a space reserved for IMPLEMENTATION DEFINED registers.
pub fn is_impdef_space(e: SysRegEnc) -> bool {
    e.op0 == 3 && (e.crn == 11 || e.crn == 15)
}

// ---------------------------------------------------------------------------------------
// The table
// ---------------------------------------------------------------------------------------

struct Builder(Vec<RegInfo>);

impl Builder {
    #[allow(clippy::too_many_arguments)]
    fn add(&mut self, name: &'static str, e: (u8, u8, u8, u8, u8), min_el: u8, acc: Acc, check: CheckFn, rw: (ReadFn, WriteFn)) {
        self.0.push(RegInfo {
            name,
            enc: SysRegEnc::new(e.0, e.1, e.2, e.3, e.4),
            min_el,
            acc,
            check,
            read: rw.0,
            write: rw.1,
            reset: None,
        });
    }
    fn storage(&mut self, name: &'static str, e: (u8, u8, u8, u8, u8), min_el: u8, check: CheckFn) {
        self.add(name, e, min_el, Acc::RW, check, (other_read, other_write));
        if let Some(last) = self.0.last_mut() {
            last.reset = Some(0);
        }
    }
    fn impdef(&mut self, name: &'static str, e: (u8, u8, u8, u8, u8), acc: Acc, check: CheckFn, reset: u64) {
        self.add(name, e, 1, acc, check, (other_read, other_write));
        if let Some(last) = self.0.last_mut() {
            last.reset = Some(reset);
            if acc == Acc::RO {
                last.write = wi;
            }
        }
    }
}

use Acc::*;

fn build() -> Vec<RegInfo> {
    let mut b = Builder(Vec::with_capacity(400));

    // ---- Identification -----------------------------------------------------------
    b.add("MIDR_EL1", (3, 0, 0, 0, 0), 1, RO, ok, ro!(|c, p| if el(c) == 1 && c.el2_enabled() { c.sys.vpidr_el2 } else { c.sys.midr }));
    b.add("MPIDR_EL1", (3, 0, 0, 0, 5), 1, RO, ok, ro!(|c, p| if el(c) == 1 && c.el2_enabled() { c.sys.vmpidr_el2 } else { c.sys.mpidr }));
    b.add("REVIDR_EL1", (3, 0, 0, 0, 6), 1, RO, ck_tid1, ro!(|c, p| id::REVIDR));
    b.add("AIDR_EL1", (3, 1, 0, 0, 7), 1, RO, ck_tid1, ro!(|c, p| id::AIDR));
    for crm in 1..=7u8 {
        for op2 in 0..=7u8 {
            b.add(id::id_name(crm, op2), (3, 0, 0, crm, op2), 1, RO, ck_tid3, (|_c, _p, e| id::id_space(e.crm, e.op2), wi));
        }
    }
    b.add("CTR_EL0", (3, 3, 0, 0, 1), 0, RO, ck_ctr, ro!(|c, p| id::CTR_EL0));
    b.add("DCZID_EL0", (3, 3, 0, 0, 7), 0, RO, ck_el0_ok, ro!(|c, p| {
        // DZP: DC ZVA is prohibited at the current EL (SCTLR_EL1.DZE at EL0, HCR_EL2.TDZ).
        let dzp = (el(c) == 0 && c.sys.sctlr[1] & SCTLR_DZE == 0) || (el(c) <= 1 && hcr(c) & HCR_TDZ != 0);
        id::DCZID_BS | (dzp as u64) << 4
    }));
    b.add("CLIDR_EL1", (3, 1, 0, 0, 1), 1, RO, ck_tid2, ro!(|c, p| id::CLIDR));
    b.add("CCSIDR_EL1", (3, 1, 0, 0, 0), 1, RO, ck_tid2, ro!(|c, p| id::ccsidr(c.sys.csselr_el1)));
    b.add("CSSELR_EL1", (3, 2, 0, 0, 0), 1, RW, ck_tid2, sys_masked!(0xf, 0, csselr_el1));
    b.add("VPIDR_EL2", (3, 4, 0, 0, 0), 2, RW, ok, sys_masked!(0xffff_ffff, 0, vpidr_el2));
    b.add("VMPIDR_EL2", (3, 4, 0, 0, 5), 2, RW, ok, sys_masked!(0xff_c1ff_ffff, 1 << 31, vmpidr_el2));

    // ---- EL1 system control ---------------------------------------------------------
    b.add("SCTLR_EL1", (3, 0, 1, 0, 0), 1, RW, ck_tvm, sys_masked!(SCTLR_EL1_RW, SCTLR_EL1_RES1, sctlr[1]));
    b.add("ACTLR_EL1", (3, 0, 1, 0, 1), 1, RW, ck_tacr, sys!(actlr[1]));
    b.add("CPACR_EL1", (3, 0, 1, 0, 2), 1, RW, ck_cpacr, sys_masked!(CPACR_FPEN | CPACR_TTA, 0, cpacr_el1));
    b.add("TTBR0_EL1", (3, 0, 2, 0, 0), 1, RW, ck_tvm, sys!(ttbr0[1]));
    b.add("TTBR1_EL1", (3, 0, 2, 0, 1), 1, RW, ck_tvm, sys!(ttbr1_el1));
    b.add("TCR_EL1", (3, 0, 2, 0, 2), 1, RW, ck_tvm, sys_masked!(0x0000_0077_ffff_ffbf, 0, tcr[1]));
    b.add("AFSR0_EL1", (3, 0, 5, 1, 0), 1, RW, ck_tvm, sys!(afsr0[1]));
    b.add("AFSR1_EL1", (3, 0, 5, 1, 1), 1, RW, ck_tvm, sys!(afsr1[1]));
    b.add("ESR_EL1", (3, 0, 5, 2, 0), 1, RW, ck_tvm, sys_masked!(0xffff_ffff, 0, esr[1]));
    b.add("FAR_EL1", (3, 0, 6, 0, 0), 1, RW, ck_tvm, sys!(far[1]));
    b.add("PAR_EL1", (3, 0, 7, 4, 0), 1, RW, ok, sys!(par_el1));
    b.add("MAIR_EL1", (3, 0, 10, 2, 0), 1, RW, ck_tvm, sys!(mair[1]));
    b.add("AMAIR_EL1", (3, 0, 10, 3, 0), 1, RW, ck_tvm, sys!(amair[1]));
    b.add("VBAR_EL1", (3, 0, 12, 0, 0), 1, RW, ok, sys_masked!(!0x7ffu64, 0, vbar[1]));
    b.add("ISR_EL1", (3, 0, 12, 1, 0), 1, RO, ok, ro!(|c, p| isr(c, p)));
    b.add("CONTEXTIDR_EL1", (3, 0, 13, 0, 1), 1, RW, ck_tvm, sys_masked!(0xffff_ffff, 0, contextidr_el1));
    b.add("TPIDR_EL1", (3, 0, 13, 0, 4), 1, RW, ok, sys!(tpidr[1]));
    b.add("TPIDR_EL0", (3, 3, 13, 0, 2), 0, RW, ck_el0_ok, sys!(tpidr[0]));
    b.add("TPIDRRO_EL0", (3, 3, 13, 0, 3), 0, RW, ck_tpidrro, sys!(tpidrro_el0));
    b.add("CNTKCTL_EL1", (3, 0, 14, 1, 0), 1, RW, ok, sys_masked!(0x3ff, 0, cntkctl_el1));

    // ---- Special-purpose registers (PSTATE, SP, ELR, SPSR, FP) ------------------------
    b.add("SPSR_EL1", (3, 0, 4, 0, 0), 1, RW, ok, (|c, _p, _e| c.st.spsr[1], |c, _p, _e, v| c.st.spsr[1] = v & SPSR_MASK));
    b.add("ELR_EL1", (3, 0, 4, 0, 1), 1, RW, ok, st!(elr[1]));
    b.add("SP_EL0", (3, 0, 4, 1, 0), 1, RW, ck_sp_el0, st!(sp_el[0]));
    b.add("SPSel", (3, 0, 4, 2, 0), 1, RW, ok, (|c, _p, _e| c.st.pstate.sp as u64, |c, _p, _e, v| c.st.pstate.sp = (v & 1) as u8));
    b.add("CurrentEL", (3, 0, 4, 2, 2), 1, RO, ok, ro!(|c, p| (el(c) as u64) << 2));
    b.add("NZCV", (3, 3, 4, 2, 0), 0, RW, ck_el0_ok, (|c, _p, _e| c.st.pstate.nzcv as u64, |c, _p, _e, v| c.st.pstate.nzcv = v as u32 & 0xf000_0000));
    b.add("DAIF", (3, 3, 4, 2, 1), 0, RW, ck_uma, (|c, _p, _e| c.st.pstate.daif as u64, |c, _p, _e, v| c.st.pstate.daif = v as u32 & 0x3c0));
    b.add("FPCR", (3, 3, 4, 4, 0), 0, RW, ck_fp, (|c, _p, _e| c.st.fpcr as u64, |c, _p, _e, v| c.st.fpcr = v as u32 & 0x07f7_0000));
    b.add("FPSR", (3, 3, 4, 4, 1), 0, RW, ck_fp, (|c, _p, _e| c.st.fpsr as u64, |c, _p, _e, v| c.st.fpsr = v as u32 & 0xf800_009f));
    b.add("DSPSR_EL0", (3, 3, 4, 5, 0), 0, RW, ck_debug_state, (raz, wi));
    b.add("DLR_EL0", (3, 3, 4, 5, 1), 0, RW, ck_debug_state, (raz, wi));
    b.add("SPSR_EL2", (3, 4, 4, 0, 0), 2, RW, ok, (|c, _p, _e| c.st.spsr[2], |c, _p, _e, v| c.st.spsr[2] = v & SPSR_MASK));
    b.add("ELR_EL2", (3, 4, 4, 0, 1), 2, RW, ok, st!(elr[2]));
    b.add("SP_EL1", (3, 4, 4, 1, 0), 2, RW, ok, st!(sp_el[1]));
    b.add("SPSR_irq", (3, 4, 4, 3, 0), 2, RW, ok, sys_masked!(0xffff_ffff, 0, spsr_aarch32[0]));
    b.add("SPSR_abt", (3, 4, 4, 3, 1), 2, RW, ok, sys_masked!(0xffff_ffff, 0, spsr_aarch32[1]));
    b.add("SPSR_und", (3, 4, 4, 3, 2), 2, RW, ok, sys_masked!(0xffff_ffff, 0, spsr_aarch32[2]));
    b.add("SPSR_fiq", (3, 4, 4, 3, 3), 2, RW, ok, sys_masked!(0xffff_ffff, 0, spsr_aarch32[3]));
    b.add("SPSR_EL3", (3, 6, 4, 0, 0), 3, RW, ok, (|c, _p, _e| c.st.spsr[3], |c, _p, _e, v| c.st.spsr[3] = v & SPSR_MASK));
    b.add("ELR_EL3", (3, 6, 4, 0, 1), 3, RW, ok, st!(elr[3]));
    b.add("SP_EL2", (3, 6, 4, 1, 0), 3, RW, ok, st!(sp_el[2]));

    // ---- EL2 ----------------------------------------------------------------------------
    b.add("SCTLR_EL2", (3, 4, 1, 0, 0), 2, RW, ok, sys_masked!(SCTLR_EL23_RW, SCTLR_EL23_RES1, sctlr[2]));
    b.add("ACTLR_EL2", (3, 4, 1, 0, 1), 2, RW, ok, sys!(actlr[2]));
    b.add("HCR_EL2", (3, 4, 1, 1, 0), 2, RW, ok, sys_masked!(HCR_V80_MASK, HCR_RW, hcr_el2));
    b.add("MDCR_EL2", (3, 4, 1, 1, 1), 2, RW, ok, sys_masked!(0xfff, 0, mdcr_el2));
    b.add("CPTR_EL2", (3, 4, 1, 1, 2), 2, RW, ck_cptr_el2, sys_masked!(CPTR_TCPAC | CPTR_TTA | CPTR_TFP, CPTR_EL2_RES1, cptr_el2));
    b.add("HSTR_EL2", (3, 4, 1, 1, 3), 2, RW, ok, sys_masked!(0xbfef, 0, hstr_el2));
    b.add("HACR_EL2", (3, 4, 1, 1, 7), 2, RW, ok, sys!(hacr_el2));
    b.add("TTBR0_EL2", (3, 4, 2, 0, 0), 2, RW, ok, sys!(ttbr0[2]));
    b.add("TCR_EL2", (3, 4, 2, 0, 2), 2, RW, ok, sys_masked!(0x0017_ff3f, 0x8080_0000, tcr[2]));
    b.add("VTTBR_EL2", (3, 4, 2, 1, 0), 2, RW, ok, sys!(vttbr_el2));
    b.add("VTCR_EL2", (3, 4, 2, 1, 2), 2, RW, ok, sys_masked!(0x0007_ffff, 0x8000_0000, vtcr_el2));
    b.add("AFSR0_EL2", (3, 4, 5, 1, 0), 2, RW, ok, sys!(afsr0[2]));
    b.add("AFSR1_EL2", (3, 4, 5, 1, 1), 2, RW, ok, sys!(afsr1[2]));
    b.add("ESR_EL2", (3, 4, 5, 2, 0), 2, RW, ok, sys_masked!(0xffff_ffff, 0, esr[2]));
    b.add("FAR_EL2", (3, 4, 6, 0, 0), 2, RW, ok, sys!(far[2]));
    b.add("HPFAR_EL2", (3, 4, 6, 0, 4), 2, RW, ok, sys_masked!(0x0000_0fff_ffff_fff0, 0, hpfar_el2));
    b.add("MAIR_EL2", (3, 4, 10, 2, 0), 2, RW, ok, sys!(mair[2]));
    b.add("AMAIR_EL2", (3, 4, 10, 3, 0), 2, RW, ok, sys!(amair[2]));
    b.add("VBAR_EL2", (3, 4, 12, 0, 0), 2, RW, ok, sys_masked!(!0x7ffu64, 0, vbar[2]));
    b.add("TPIDR_EL2", (3, 4, 13, 0, 2), 2, RW, ok, sys!(tpidr[2]));
    b.add("CNTHCTL_EL2", (3, 4, 14, 1, 0), 2, RW, ok, sys_masked!(0xff, 0, cnthctl_el2));
    b.add("CNTVOFF_EL2", (3, 4, 14, 0, 3), 2, RW, ok, sys!(cntvoff_el2));

    // ---- EL3 ----------------------------------------------------------------------------
    b.add("SCTLR_EL3", (3, 6, 1, 0, 0), 3, RW, ok, sys_masked!(SCTLR_EL23_RW, SCTLR_EL23_RES1, sctlr[3]));
    b.add("ACTLR_EL3", (3, 6, 1, 0, 1), 3, RW, ok, sys!(actlr[3]));
    b.add("SCR_EL3", (3, 6, 1, 1, 0), 3, RW, ok, sys_masked!(0x3f8f, 0x30 | SCR_RW, scr_el3));
    b.add("CPTR_EL3", (3, 6, 1, 1, 2), 3, RW, ok, sys_masked!(CPTR_TCPAC | CPTR_TTA | CPTR_TFP, 0, cptr_el3));
    b.add("MDCR_EL3", (3, 6, 1, 3, 1), 3, RW, ok, sys_masked!(0x0031_c640, 0, mdcr_el3));
    b.add("TTBR0_EL3", (3, 6, 2, 0, 0), 3, RW, ok, sys!(ttbr0[3]));
    b.add("TCR_EL3", (3, 6, 2, 0, 2), 3, RW, ok, sys_masked!(0x0017_ff3f, 0x8080_0000, tcr[3]));
    b.add("AFSR0_EL3", (3, 6, 5, 1, 0), 3, RW, ok, sys!(afsr0[3]));
    b.add("AFSR1_EL3", (3, 6, 5, 1, 1), 3, RW, ok, sys!(afsr1[3]));
    b.add("ESR_EL3", (3, 6, 5, 2, 0), 3, RW, ok, sys_masked!(0xffff_ffff, 0, esr[3]));
    b.add("FAR_EL3", (3, 6, 6, 0, 0), 3, RW, ok, sys!(far[3]));
    b.add("MAIR_EL3", (3, 6, 10, 2, 0), 3, RW, ok, sys!(mair[3]));
    b.add("AMAIR_EL3", (3, 6, 10, 3, 0), 3, RW, ok, sys!(amair[3]));
    b.add("VBAR_EL3", (3, 6, 12, 0, 0), 3, RW, ok, sys_masked!(!0x7ffu64, 0, vbar[3]));
    b.add("RVBAR_EL3", (3, 6, 12, 0, 1), 3, RO, ok, ro!(|c, p| c.sys.rvbar_el3));
    // RMR_EL3: AA64 (bit 0) RAO/WI; a write of RR (bit 1) requests a warm reset, which
    // lsemu does not model (warned).
    b.add("RMR_EL3", (3, 6, 12, 0, 2), 3, RW, ok, (|c, _p, _e| c.sys.rmr_el3 | 1, |c, _p, _e, v| {
        if v & 2 != 0 {
            c.warn_once("rmr-rr", || "RMR_EL3.RR warm reset request ignored".into());
        }
        c.sys.rmr_el3 = v & 2;
    }));
    b.add("TPIDR_EL3", (3, 6, 13, 0, 2), 3, RW, ok, sys!(tpidr[3]));

    // ---- Generic timers -----------------------------------------------------------------
    b.add("CNTFRQ_EL0", (3, 3, 14, 0, 0), 0, RW, ck_cntfrq, sys_masked!(0xffff_ffff, 0, cntfrq_el0));
    b.add("CNTPCT_EL0", (3, 3, 14, 0, 1), 0, RO, ck_cntpct, ro!(|c, p| p.counter_at(c.icount)));
    b.add("CNTVCT_EL0", (3, 3, 14, 0, 2), 0, RO, ck_cntvct, ro!(|c, p| c.virtual_count(p.counter_at(c.icount))));
    timer_regs(&mut b);

    // ---- Debug --------------------------------------------------------------------------
    b.add("MDCCINT_EL1", (2, 0, 0, 2, 0), 1, RW, ck_tda, sys_masked!(0x6000_0000, 0, mdccint_el1));
    b.add("MDSCR_EL1", (2, 0, 0, 2, 2), 1, RW, ck_tda, sys_masked!(0x6000_f041 | 3 << 22 | 1 << 26 | 1 << 27, 0, mdscr_el1));
    b.add("MDCCSR_EL0", (2, 3, 0, 1, 0), 0, RO, ck_dcc, (raz, wi));
    b.add("DBGDTR_EL0", (2, 3, 0, 4, 0), 0, RW, ck_dcc, (raz, wi));
    b.add("DBGDTRRX_EL0", (2, 3, 0, 5, 0), 0, RW, ck_dcc, (raz, wi));
    b.add("MDRAR_EL1", (2, 0, 1, 0, 0), 1, RO, ck_tdra, (raz, wi));
    b.add("OSLAR_EL1", (2, 0, 1, 0, 4), 1, WO, ck_tdosa, (raz, |c, _p, _e, v| c.sys.oslsr_el1 = (c.sys.oslsr_el1 & !2) | (v & 1) << 1));
    b.add("OSLSR_EL1", (2, 0, 1, 1, 4), 1, RO, ck_tdosa, ro!(|c, p| c.sys.oslsr_el1));
    b.add("OSDLR_EL1", (2, 0, 1, 3, 4), 1, RW, ck_tdosa, sys_masked!(1, 0, osdlr_el1));
    b.add("DBGPRCR_EL1", (2, 0, 1, 4, 4), 1, RW, ck_tdosa, sys_masked!(1, 0, dbgprcr_el1));
    b.add("DBGCLAIMSET_EL1", (2, 0, 7, 8, 6), 1, RW, ck_tda, (|_c, _p, _e| 0xff, |c, _p, _e, v| c.sys.dbgclaim |= v & 0xff));
    b.add("DBGCLAIMCLR_EL1", (2, 0, 7, 9, 6), 1, RW, ck_tda, (|c, _p, _e| c.sys.dbgclaim, |c, _p, _e, v| c.sys.dbgclaim &= !v));
    b.add("DBGAUTHSTATUS_EL1", (2, 0, 7, 14, 6), 1, RO, ck_tda, ro!(|c, p| id::DBGAUTHSTATUS));
    for n in 0..id::NUM_BRPS as u8 {
        b.add("DBGBVR<n>_EL1", (2, 0, 0, n, 4), 1, RW, ck_tda, (|c, _p, e| c.sys.dbgbvr[e.crm as usize % id::NUM_BRPS], |c, _p, e, v| c.sys.dbgbvr[e.crm as usize % id::NUM_BRPS] = v));
        b.add("DBGBCR<n>_EL1", (2, 0, 0, n, 5), 1, RW, ck_tda, (|c, _p, e| c.sys.dbgbcr[e.crm as usize % id::NUM_BRPS], |c, _p, e, v| c.sys.dbgbcr[e.crm as usize % id::NUM_BRPS] = v & 0x00ff_e1e7));
    }
    for n in 0..id::NUM_WRPS as u8 {
        b.add("DBGWVR<n>_EL1", (2, 0, 0, n, 6), 1, RW, ck_tda, (|c, _p, e| c.sys.dbgwvr[e.crm as usize % id::NUM_WRPS], |c, _p, e, v| c.sys.dbgwvr[e.crm as usize % id::NUM_WRPS] = v & !3));
        b.add("DBGWCR<n>_EL1", (2, 0, 0, n, 7), 1, RW, ck_tda, (|c, _p, e| c.sys.dbgwcr[e.crm as usize % id::NUM_WRPS], |c, _p, e, v| c.sys.dbgwcr[e.crm as usize % id::NUM_WRPS] = v & 0x1f11_ffff));
    }

    // ---- PMU ----------------------------------------------------------------------------
    // PMCR_EL0.N [15:11]: reads at EL0/EL1 with EL2 enabled return MDCR_EL2.HPMN (the
    // counters the hypervisor leaves to the guest; Arm ARM PMCR_EL0.N).
    b.add("PMCR_EL0", (3, 3, 9, 12, 0), 0, RW, ck_pmcr, (|c, _p, _e| {
        if el(c) <= 1 && c.el2_enabled() {
            (c.sys.pmcr_el0 & !(0x1f << 11)) | (c.sys.mdcr_el2 & 0x1f) << 11
        } else {
            c.sys.pmcr_el0
        }
    }, |c, _p, _e, v| {
        pmu_update(c, |c| {
            if v & 2 != 0 {
                c.sys.pmevcntr = [0; 31];
            }
            if v & 4 != 0 {
                c.sys.pmccntr_el0 = 0;
            }
            c.sys.pmcr_el0 = (c.sys.pmcr_el0 & !0x79) | (v & 0x79);
        })
    }));
    b.add("PMCNTENSET_EL0", (3, 3, 9, 12, 1), 0, RW, ck_pmu_en, (|c, _p, _e| c.sys.pmcntenset_el0, |c, _p, _e, v| pmu_update(c, |c| c.sys.pmcntenset_el0 |= v & pmu_mask())));
    b.add("PMCNTENCLR_EL0", (3, 3, 9, 12, 2), 0, RW, ck_pmu_en, (|c, _p, _e| c.sys.pmcntenset_el0, |c, _p, _e, v| pmu_update(c, |c| c.sys.pmcntenset_el0 &= !v)));
    b.add("PMOVSCLR_EL0", (3, 3, 9, 12, 3), 0, RW, ck_pmu_en, (|c, _p, _e| c.sys.pmovsset_el0, |c, _p, _e, v| c.sys.pmovsset_el0 &= !v));
    b.add("PMSWINC_EL0", (3, 3, 9, 12, 4), 0, WO, ck_pmswinc, (raz, wi));
    b.add("PMSELR_EL0", (3, 3, 9, 12, 5), 0, RW, ck_pmselr, sys_masked!(31, 0, pmselr_el0));
    b.add("PMCEID0_EL0", (3, 3, 9, 12, 6), 0, RO, ck_pmu_en, ro!(|c, p| id::PMCEID0));
    b.add("PMCEID1_EL0", (3, 3, 9, 12, 7), 0, RO, ck_pmu_en, ro!(|c, p| id::PMCEID1));
    b.add("PMCCNTR_EL0", (3, 3, 9, 13, 0), 0, RW, ck_pmccntr, (|c, _p, _e| {
        pmu_fold(c);
        pmu_restart(c);
        c.sys.pmccntr_el0
    }, |c, _p, _e, v| pmu_update(c, |c| c.sys.pmccntr_el0 = v)));
    // PMXEVTYPER/PMXEVCNTR: the counter selected by PMSELR_EL0.SEL (31 = the cycle
    // counter's filter for PMXEVTYPER). A SEL >= N is CONSTRAINED UNPREDICTABLE: RAZ/WI.
    b.add("PMXEVTYPER_EL0", (3, 3, 9, 13, 1), 0, RW, ck_pmu_en, (|c, _p, _e| match pm_sel(c) {
        31 => c.sys.pmccfiltr_el0,
        n if n < id::PMU_COUNTERS as usize => c.sys.pmevtyper[n],
        _ => 0,
    }, |c, _p, _e, v| match pm_sel(c) {
        31 => c.sys.pmccfiltr_el0 = v & 0xfc00_0000,
        n if n < id::PMU_COUNTERS as usize => c.sys.pmevtyper[n] = v & 0xfc00_03ff,
        _ => {}
    }));
    b.add("PMXEVCNTR_EL0", (3, 3, 9, 13, 2), 0, RW, ck_pmevcnt, (|c, _p, _e| match pm_sel(c) {
        n if n < id::PMU_COUNTERS as usize => c.sys.pmevcntr[n],
        _ => 0,
    }, |c, _p, _e, v| {
        let n = pm_sel(c);
        if n < id::PMU_COUNTERS as usize {
            c.sys.pmevcntr[n] = v & 0xffff_ffff;
        }
    }));
    b.add("PMUSERENR_EL0", (3, 3, 9, 14, 0), 0, RW, ck_pmuserenr, sys_masked!(0xf, 0, pmuserenr_el0));
    b.add("PMINTENSET_EL1", (3, 0, 9, 14, 1), 1, RW, ck_pm_el1, (|c, _p, _e| c.sys.pmintenset_el1, |c, _p, _e, v| c.sys.pmintenset_el1 |= v & pmu_mask()));
    b.add("PMINTENCLR_EL1", (3, 0, 9, 14, 2), 1, RW, ck_pm_el1, (|c, _p, _e| c.sys.pmintenset_el1, |c, _p, _e, v| c.sys.pmintenset_el1 &= !v));
    b.add("PMOVSSET_EL0", (3, 3, 9, 14, 3), 0, RW, ck_pmu_en, (|c, _p, _e| c.sys.pmovsset_el0, |c, _p, _e, v| c.sys.pmovsset_el0 |= v & pmu_mask()));
    for n in 0..id::PMU_COUNTERS as u8 {
        let (crm, op2) = (8 + n / 8, n % 8);
        b.add("PMEVCNTR<n>_EL0", (3, 3, 14, crm, op2), 0, RW, ck_pmevcnt, (|c, _p, e| c.sys.pmevcntr[pmev_index(e)], |c, _p, e, v| c.sys.pmevcntr[pmev_index(e)] = v & 0xffff_ffff));
        b.add("PMEVTYPER<n>_EL0", (3, 3, 14, crm + 4, op2), 0, RW, ck_pmu_en, (|c, _p, e| c.sys.pmevtyper[pmev_index(e)], |c, _p, e, v| c.sys.pmevtyper[pmev_index(e)] = v & 0xfc00_03ff));
    }
    b.add("PMCCFILTR_EL0", (3, 3, 14, 15, 7), 0, RW, ck_pmu_en, sys_masked!(0xfc00_0000, 0, pmccfiltr_el0));

    // ---- AArch32 state registers -------------------------------------------------------
    // lsemu's PE has no AArch32, and the Arm ARM makes these UNDEFINED on such a PE; the
    // Cortex-A72 silicon has them, and firmware and hypervisors built for it (TF-A with
    // CTX_INCLUDE_AARCH32_REGS, KVM/Xen context switches) save and restore them
    // unconditionally. lsemu keeps them as plain storage with their EL and trap rules so
    // that such software runs; they have no other effect.
    b.storage("DACR32_EL2", (3, 4, 3, 0, 0), 2, ok);
    b.storage("IFSR32_EL2", (3, 4, 5, 0, 1), 2, ok);
    b.storage("FPEXC32_EL2", (3, 4, 5, 3, 0), 2, ck_fp);
    b.storage("DBGVCR32_EL2", (2, 4, 0, 7, 0), 2, ck_tda);
    b.storage("SDER32_EL3", (3, 6, 1, 1, 1), 3, ok);

    // ---- Cortex-A72 implementation defined registers (TRM 4.3) -------------------------
    b.impdef("CPUACTLR_EL1", (3, 1, 15, 2, 0), RW, ck_cpuactlr, 0);
    b.impdef("CPUECTLR_EL1", (3, 1, 15, 2, 1), RW, ck_cpuectlr, 0);
    b.impdef("CPUMERRSR_EL1", (3, 1, 15, 2, 2), RW, ck_impdef_ro, 0);
    b.impdef("L2MERRSR_EL1", (3, 1, 15, 2, 3), RW, ck_impdef_ro, 0);
    // L2CTLR_EL1: bits 25:24 = number of cores in the cluster - 1 (2 on the LS2088A).
    b.impdef("L2CTLR_EL1", (3, 1, 11, 0, 2), RW, ck_l2ctlr, 1 << 24);
    b.impdef("L2ECTLR_EL1", (3, 1, 11, 0, 3), RW, ck_l2ectlr, 0);
    b.impdef("L2ACTLR_EL1", (3, 1, 15, 0, 0), RW, ck_l2actlr, 0x10);
    // CBAR_EL1: the GIC's PERIPHBASE; the LS2088A does not use it (GICv3 found by DT).
    b.impdef("CBAR_EL1", (3, 1, 15, 3, 0), RO, ck_impdef_ro, 0);

    b.0
}

fn pmev_index(e: SysRegEnc) -> usize {
    (((e.crm as usize & 3) << 3) | e.op2 as usize) % 31
}

fn timer_regs(b: &mut Builder) {
    use timer::{Timer, CTL_ENABLE, CTL_IMASK};
    // CTL: ENABLE and IMASK stored, ISTATUS computed. TVAL: computed from CVAL.
    macro_rules! tmr {
        ($name_ctl:expr, $name_cval:expr, $name_tval:expr, $op1:expr, $crm:expr, $min:expr, $ck:expr, $t:expr, $ctl:ident, $cval:ident) => {
            b.add($name_tval, (3, $op1, 14, $crm, 0), $min, RW, $ck, (
                |c, p, _e| c.timer_tval($t, p.counter_at(c.icount)),
                |c, p, _e, v| {
                    c.sys.$cval = c.timer_cval_from_tval($t, p.counter_at(c.icount), v);
                    timer_written(c, p);
                },
            ));
            b.add($name_ctl, (3, $op1, 14, $crm, 1), $min, RW, $ck, (
                |c, p, _e| c.timer_ctl($t, p.counter_at(c.icount)),
                |c, p, _e, v| {
                    c.sys.$ctl = v & (CTL_ENABLE | CTL_IMASK);
                    timer_written(c, p);
                },
            ));
            b.add($name_cval, (3, $op1, 14, $crm, 2), $min, RW, $ck, (
                |c: &mut Cpu, _p: &mut dyn Platform, _e: SysRegEnc| -> u64 { c.sys.$cval },
                |c: &mut Cpu, p: &mut dyn Platform, _e: SysRegEnc, v: u64| {
                    c.sys.$cval = v;
                    timer_written(c, p);
                },
            ));
        };
    }
    tmr!("CNTP_CTL_EL0", "CNTP_CVAL_EL0", "CNTP_TVAL_EL0", 3, 2, 0, ck_cntp, Timer::Phys, cntp_ctl_el0, cntp_cval_el0);
    tmr!("CNTV_CTL_EL0", "CNTV_CVAL_EL0", "CNTV_TVAL_EL0", 3, 3, 0, ck_cntv, Timer::Virt, cntv_ctl_el0, cntv_cval_el0);
    tmr!("CNTHP_CTL_EL2", "CNTHP_CVAL_EL2", "CNTHP_TVAL_EL2", 4, 2, 2, ok, Timer::Hyp, cnthp_ctl_el2, cnthp_cval_el2);
    tmr!("CNTPS_CTL_EL1", "CNTPS_CVAL_EL1", "CNTPS_TVAL_EL1", 7, 2, 1, ck_cntps, Timer::SecPhys, cntps_ctl_el1, cntps_cval_el1);
}

/// After a write to a timer register: the PE's timer outputs go to the platform at once
/// (`Platform::timer_levels`); the MSR makes the PE sample its interrupt inputs before
/// the next instruction.
fn timer_written(c: &mut Cpu, p: &mut dyn Platform) {
    let t = c.timer_irqs(p.counter_at(c.icount));
    p.timer_levels(c.cfg.index, t);
}

/// ISR_EL1: pending SError (A), IRQ (I), FIQ (F). At EL1/EL0 in Non-secure state with
/// HCR_EL2.{AMO,IMO,FMO} set, the bit shows the virtual interrupt instead.
fn isr(c: &mut Cpu, p: &mut dyn Platform) -> u64 {
    let lv = p.irq_levels(c.cfg.index);
    let h = hcr(c);
    let virt = el(c) <= 1 && h & HCR_TGE == 0;
    let bit = |ovr: u64, phys: bool, v: bool| if virt && h & ovr != 0 { v } else { phys };
    let mut r = 0;
    if bit(HCR_AMO, lv.serror, h & HCR_VSE != 0) {
        r |= DAIF_A as u64;
    }
    if bit(HCR_IMO, lv.irq, h & HCR_VI != 0 || lv.virq) {
        r |= DAIF_I as u64;
    }
    if bit(HCR_FMO, lv.fiq, h & HCR_VF != 0 || lv.vfiq) {
        r |= DAIF_F as u64;
    }
    r
}

struct Table {
    regs: Vec<RegInfo>,
    /// (Looked up at every MRS/MSR the interpreter runs: a cheap hasher, not SipHash.)
    by_enc: HashMap<SysRegEnc, usize, std::hash::BuildHasherDefault<crate::mmu::tlb::KeyHasher>>,
}

fn table() -> &'static Table {
    static T: OnceLock<Table> = OnceLock::new();
    T.get_or_init(|| {
        let regs = build();
        let by_enc = regs.iter().enumerate().map(|(i, r)| (r.enc, i)).collect();
        Table { regs, by_enc }
    })
}

/// All registers of the table (for tests, the debugger and documentation).
pub fn registers() -> &'static [RegInfo] {
    &table().regs
}

/// The table entry for an encoding.
pub fn lookup(e: SysRegEnc) -> Option<&'static RegInfo> {
    let t = table();
    t.by_enc.get(&e).and_then(|&i| t.regs.get(i))
}

/// The table entry by architectural name (e.g. "SCTLR_EL1").
pub fn by_name(name: &str) -> Option<&'static RegInfo> {
    registers().iter().find(|r| r.name.eq_ignore_ascii_case(name))
}

/// Sets the reset values of the implementation defined registers kept in `other`.
pub fn reset_impdef(s: &mut SysRegs) {
    for r in registers() {
        if let Some(v) = r.reset {
            s.other.insert(r.enc, v);
        }
    }
}

/// The ISS of an EC 0x18 trap (MSR, MRS, or SYS instruction; also MSR immediate) from
/// the instruction word: Op0, Op2, Op1, CRn, Rt, CRm, Direction (1 = read).
pub fn trap_iss(raw: u32) -> u32 {
    let op0 = (raw >> 19) & 3;
    let op1 = (raw >> 16) & 7;
    let crn = (raw >> 12) & 15;
    let crm = (raw >> 8) & 15;
    let op2 = (raw >> 5) & 7;
    let rt = raw & 31;
    let dir = (raw >> 21) & 1;
    op0 << 20 | op2 << 17 | op1 << 14 | crn << 10 | rt << 5 | crm << 1 | dir
}

/// Converts a refusal into the exception the instruction `raw` raises.
pub fn deny_to_exc(d: Deny, raw: u32) -> SyncExc {
    match d {
        Deny::Undef => SyncExc::undefined(),
        Deny::Trap(el) => SyncExc::new(ec::SYSREG, trap_iss(raw)).to_el(el),
        Deny::Exc(e) => e,
    }
}

/// Access checks common to MRS and MSR; returns the entry to use.
fn check(cpu: &mut Cpu, e: SysRegEnc, write: bool) -> Result<Option<&'static RegInfo>, Deny> {
    let cur = cpu.st.pstate.el;
    if is_gic_reg(e) {
        if cur < icc_el(e) {
            return Err(Deny::Undef);
        }
        return Ok(None);
    }
    let Some(r) = lookup(e) else {
        // Accesses to unimplemented IMPLEMENTATION DEFINED encodings still trap with
        // HCR_EL2.TIDCP (EL1); everything else is UNDEFINED.
        if is_impdef_space(e) && cur == 1 && hcr(cpu) & HCR_TIDCP != 0 {
            return Err(Deny::Trap(2));
        }
        let pc = cpu.st.pc;
        cpu.warn_once(&format!("sysreg:{e:?}"), || {
            format!(
                "{} of unknown system register S{}_{}_C{}_C{}_{} at pc {pc:#x}: UNDEFINED",
                if write { "MSR" } else { "MRS" },
                e.op0,
                e.op1,
                e.crn,
                e.crm,
                e.op2
            )
        });
        return Err(Deny::Undef);
    };
    if cur < r.min_el || (r.min_el == 2 && !cpu.has_el2()) || (r.min_el == 3 && !cpu.has_el3()) {
        return Err(Deny::Undef);
    }
    match (r.acc, write) {
        (Acc::RO, true) | (Acc::WO, false) => return Err(Deny::Undef),
        _ => {}
    }
    (r.check)(cpu, write)?;
    Ok(Some(r))
}

/// MRS: reads the system register `e` for the instruction `raw`.
pub fn mrs(cpu: &mut Cpu, p: &mut dyn Platform, e: SysRegEnc, raw: u32) -> Result<u64, SyncExc> {
    match check(cpu, e, false).map_err(|d| deny_to_exc(d, raw))? {
        Some(r) => {
            let v = (r.read)(cpu, p, e);
            tracing::debug!(target: "sysreg", cpu = cpu.cfg.index, "MRS {} -> {v:#x}", r.name);
            Ok(v)
        }
        None => icc(cpu, p, e, None, raw),
    }
}

/// MSR (register): writes `v` to the system register `e` for the instruction `raw`.
pub fn msr(cpu: &mut Cpu, p: &mut dyn Platform, e: SysRegEnc, v: u64, raw: u32) -> Result<(), SyncExc> {
    match check(cpu, e, true).map_err(|d| deny_to_exc(d, raw))? {
        Some(r) => {
            tracing::debug!(target: "sysreg", cpu = cpu.cfg.index, "MSR {} <- {v:#x}", r.name);
            (r.write)(cpu, p, e, v);
            Ok(())
        }
        None => icc(cpu, p, e, Some(v), raw).map(|_| ()),
    }
}

/// Forwards a GIC CPU interface register access to the platform.
fn icc(cpu: &mut Cpu, p: &mut dyn Platform, e: SysRegEnc, v: Option<u64>, raw: u32) -> Result<u64, SyncExc> {
    use crate::platform::{IccContext, IccResult};
    let ctx = IccContext { cpu: cpu.cfg.index, el: el(cpu), secure: cpu.is_secure(), hcr_el2: hcr(cpu), scr_el3: cpu.sys.scr_el3 };
    let r = p.icc_access_ctx(&ctx, e, v);
    tracing::debug!(target: "sysreg", cpu = cpu.cfg.index, "ICC {e:?} {v:?} -> {r:?}");
    match r {
        IccResult::Value(x) => Ok(x),
        IccResult::Undefined => Err(SyncExc::undefined()),
        IccResult::Trap(to) => Err(deny_to_exc(Deny::Trap(to), raw)),
    }
}

/// Reads a register by name without any access check (debugger, tests).
pub fn peek(cpu: &mut Cpu, p: &mut dyn Platform, name: &str) -> Option<u64> {
    let r = by_name(name)?;
    Some((r.read)(cpu, p, r.enc))
}

/// Writes a register by name without any access check (debugger, tests, loaders).
pub fn poke(cpu: &mut Cpu, p: &mut dyn Platform, name: &str, v: u64) -> bool {
    match by_name(name) {
        Some(r) => {
            (r.write)(cpu, p, r.enc, v);
            true
        }
        None => false,
    }
}
