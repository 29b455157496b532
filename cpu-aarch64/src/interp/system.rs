//! System instructions: hints, barriers, MSR (immediate), MRS/MSR (register), SYS (DC,
//! IC, AT, TLBI), exception generation (SVC, HVC, SMC, BRK, HLT, DCPS) and ERET/DRPS
//! (Arm ARM C4.1.3 and the instructions' ASL in C6).

use super::{hooked, ExecResult, Flow};
use crate::decode::System;
use crate::exception::{ec, SyncExc};
use crate::mem::fsc;
use crate::mmu::{self, Access, AccessType, AtOp, TlbiOp};
use crate::platform::Platform;
use crate::sysreg::table::{deny_to_exc, el1_trap_target, Deny};
use crate::sysreg::*;
use crate::Cpu;

/// ISS of WFx traps, exception ones from A64: CV = 1, COND = 0b1110.
const ISS_COND_AL: u32 = 0x1e << 20;

pub fn exec(cpu: &mut Cpu, p: &mut dyn Platform, i: &System, raw: u32) -> ExecResult {
    let pc = cpu.st.pc;
    let el = cpu.st.pstate.el;
    match *i {
        // ---- Hints --------------------------------------------------------------------
        System::Nop | System::Yield => Ok(Flow::Next),
        // Unallocated hints execute as NOP (ARMv8.1+ hints such as ESB, PACIASP, BTI too).
        System::Hint { .. } => Ok(Flow::Next),
        System::Wfe => {
            if cpu.event {
                cpu.event = false;
                return Ok(Flow::Next);
            }
            wfx_traps(cpu, true)?;
            cpu.wait_start = p.counter_at(cpu.icount);
            Ok(Flow::Wfe)
        }
        System::Wfi => {
            if crate::exception::interrupt_pending(cpu, p) {
                return Ok(Flow::Next);
            }
            wfx_traps(cpu, false)?;
            Ok(Flow::Wfi)
        }
        System::Sev => {
            // The event is signalled to every PE of the system, this one included.
            cpu.event = true;
            p.send_event(cpu.cfg.index);
            Ok(Flow::Next)
        }
        System::Sevl => {
            cpu.event = true;
            Ok(Flow::Next)
        }

        // ---- Barriers: a sequential model needs no ordering work -----------------------
        System::Clrex { .. } => {
            cpu.monitor.clear();
            Ok(Flow::Next)
        }
        System::Dsb { .. } | System::Dmb { .. } | System::Isb { .. } => Ok(Flow::Next),

        // ---- MSR (immediate) ---------------------------------------------------------------
        System::MsrSpsel { crm } => {
            if el == 0 {
                return Err(SyncExc::undefined());
            }
            cpu.st.pstate.sp = (crm & 1) as u8;
            Ok(Flow::Next)
        }
        System::MsrDaifset { crm } | System::MsrDaifclr { crm } => {
            if el == 0 && cpu.sys.sctlr[1] & SCTLR_UMA == 0 {
                return Err(deny_to_exc(Deny::Trap(el1_trap_target(cpu)), raw));
            }
            let bits = (crm & 0xf) << 6;
            if matches!(*i, System::MsrDaifset { .. }) {
                cpu.st.pstate.daif |= bits;
            } else {
                cpu.st.pstate.daif &= !bits;
            }
            Ok(Flow::Next)
        }

        // ---- MRS / MSR (register) ----------------------------------------------------------
        System::Mrs { o0, op1, crn, crm, op2, rt } => {
            let e = SysRegEnc::new(2 + o0 as u8, op1 as u8, crn as u8, crm as u8, op2 as u8);
            let v = mrs(cpu, p, e, raw)?;
            cpu.st.set_xr(rt, v);
            Ok(Flow::Next)
        }
        System::MsrReg { o0, op1, crn, crm, op2, rt } => {
            let e = SysRegEnc::new(2 + o0 as u8, op1 as u8, crn as u8, crm as u8, op2 as u8);
            let v = cpu.st.xr(rt);
            msr(cpu, p, e, v, raw)?;
            Ok(Flow::Next)
        }

        // ---- SYS / SYSL ------------------------------------------------------------------
        System::Sys { op1, crn, crm, op2, rt } => sys(cpu, p, op1, crn, crm, op2, rt, raw),
        System::Sysl { op1, crn, crm, op2, .. } => {
            // ARMv8.0 defines no SYSL operation; the Cortex-A72 has none either.
            cpu.warn_once(&format!("sysl:{op1}:{crn}:{crm}:{op2}"), || {
                format!("SYSL #{op1}, C{crn}, C{crm}, #{op2} at pc {pc:#x}: UNDEFINED")
            });
            Err(SyncExc::undefined())
        }

        // ---- Exception generation ---------------------------------------------------------
        System::Svc { imm16 } => {
            // AArch64.CallSupervisor: to EL1 from EL0 (EL2 with HCR_EL2.TGE), else the
            // current EL; returns to the next instruction.
            let mut e = SyncExc::new(ec::SVC64, imm16);
            e.elr = Some(pc.wrapping_add(4));
            Err(e)
        }
        System::Hvc { imm16 } => hvc(cpu, p, imm16),
        System::Smc { imm16 } => smc(cpu, p, imm16),
        System::Brk { imm16 } => {
            // AArch64.SoftwareBreakpoint: EC 0x3C, preferred return = this instruction;
            // from EL0/EL1 routed to EL2 by HCR_EL2.TGE or MDCR_EL2.TDE.
            let mut e = SyncExc::new(ec::BRK64, imm16);
            if el <= 1 && cpu.el2_enabled() && (cpu.sys.hcr_el2 & HCR_TGE != 0 || cpu.sys.mdcr_el2 & MDCR_TDE != 0) {
                e = e.to_el(2);
            }
            Err(e)
        }
        System::Hlt { imm16 } => {
            // Semihosting (HLT #0xF000) and other platform uses first. Otherwise HLT is
            // UNDEFINED: halting needs EDSCR.HDE = 1, i.e. an external debugger.
            match hooked(p.hlt(cpu, imm16 as u16)) {
                Some(f) => Ok(f),
                None => Err(SyncExc::undefined()),
            }
        }
        // DCPS<n> and DRPS are UNDEFINED when the PE is not in Debug state.
        System::Dcps1 { .. } | System::Dcps2 { .. } | System::Dcps3 { .. } | System::Drps => Err(SyncExc::undefined()),
        System::Eret => {
            if el == 0 {
                return Err(SyncExc::undefined());
            }
            cpu.eret();
            Ok(Flow::Stay)
        }
    }
}

/// AArch64.CheckForWFxTrap at each level: SCTLR_EL1.nTWI/nTWE (EL0, to EL1 or EL2 with
/// TGE), HCR_EL2.TWI/TWE (EL0/1, to EL2), SCR_EL3.TWI/TWE (EL0-2, to EL3).
fn wfx_traps(cpu: &Cpu, wfe: bool) -> Result<(), SyncExc> {
    let el = cpu.st.pstate.el;
    let exc = |to: u8| SyncExc::new(ec::WFX, ISS_COND_AL | wfe as u32).to_el(to);
    let (n_sctlr, hcr_bit, scr_bit) = if wfe { (SCTLR_NTWE, HCR_TWE, SCR_TWE) } else { (SCTLR_NTWI, HCR_TWI, SCR_TWI) };
    if el == 0 && cpu.sys.sctlr[1] & n_sctlr == 0 {
        return Err(exc(el1_trap_target(cpu)));
    }
    if el <= 1 && cpu.el2_enabled() && cpu.sys.hcr_el2 & hcr_bit != 0 {
        return Err(exc(2));
    }
    if el <= 2 && cpu.has_el3() && cpu.sys.scr_el3 & scr_bit != 0 {
        return Err(exc(3));
    }
    Ok(())
}

/// HVC: UNDEFINED at EL0, at Secure EL1, without EL2, or when SCR_EL3.HCE = 0 (HCR_EL2.HCD
/// = 1 without EL3). Otherwise the platform may handle it (firmware model); if not, EC
/// 0x16 to EL2 (EL3 when executed at EL3), returning to the next instruction.
fn hvc(cpu: &mut Cpu, p: &mut dyn Platform, imm16: u32) -> ExecResult {
    let el = cpu.st.pstate.el;
    if !cpu.has_el2() || el == 0 || (el == 1 && cpu.is_secure()) {
        return Err(SyncExc::undefined());
    }
    let enabled = if cpu.has_el3() { cpu.sys.scr_el3 & SCR_HCE != 0 } else { cpu.sys.hcr_el2 & HCR_HCD == 0 };
    if !enabled {
        return Err(SyncExc::undefined());
    }
    if let Some(f) = hooked(p.hvc(cpu, imm16 as u16)) {
        return Ok(f);
    }
    let mut e = SyncExc::new(ec::HVC64, imm16).to_el(if el == 3 { 3 } else { 2 });
    e.elr = Some(cpu.st.pc.wrapping_add(4));
    Err(e)
}

/// SMC (AArch64.CheckForSMCUndefOrTrap, then SCR_EL3.SMD): UNDEFINED at EL0; trapped to
/// EL2 from EL1 by HCR_EL2.TSC (EC 0x17, returning to the SMC itself); UNDEFINED when
/// SCR_EL3.SMD = 1. Otherwise the platform's EL3 firmware model may handle it; if not,
/// EC 0x17 to EL3, returning to the next instruction. Without EL3, an untrapped SMC is
/// offered to the platform (a firmware model standing in for EL3) and is UNDEFINED if
/// it declines.
fn smc(cpu: &mut Cpu, p: &mut dyn Platform, imm16: u32) -> ExecResult {
    let el = cpu.st.pstate.el;
    if el == 0 {
        return Err(SyncExc::undefined());
    }
    if el == 1 && cpu.el2_enabled() && cpu.sys.hcr_el2 & HCR_TSC != 0 {
        return Err(SyncExc::new(ec::SMC64, imm16).to_el(2));
    }
    if !cpu.has_el3() {
        return hooked(p.smc(cpu, imm16 as u16)).ok_or_else(SyncExc::undefined);
    }
    if cpu.sys.scr_el3 & SCR_SMD != 0 {
        return Err(SyncExc::undefined());
    }
    if let Some(f) = hooked(p.smc(cpu, imm16 as u16)) {
        return Ok(f);
    }
    let mut e = SyncExc::new(ec::SMC64, imm16).to_el(3);
    e.elr = Some(cpu.st.pc.wrapping_add(4));
    Err(e)
}

/// What a SYS encoding is on a Cortex-A72.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SysOp {
    IcIalluis,
    IcIallu,
    IcIvau,
    DcIvac,
    DcIsw,
    DcCsw,
    DcCisw,
    DcZva,
    DcCvac,
    DcCvau,
    DcCivac,
    At(AtOp),
    /// A TLBI operation and whether it is the Inner Shareable form.
    Tlbi(TlbiOp, bool),
}

/// Decodes the SYS operation `op1, CRn, CRm, op2` (Arm ARM C5.3, ARMv8.0 encodings).
pub fn sys_op(op1: u32, crn: u32, crm: u32, op2: u32) -> Option<SysOp> {
    use SysOp::*;
    use TlbiOp as T;
    Some(match (op1, crn, crm, op2) {
        (0, 7, 1, 0) => IcIalluis,
        (0, 7, 5, 0) => IcIallu,
        (3, 7, 5, 1) => IcIvau,
        (0, 7, 6, 1) => DcIvac,
        (0, 7, 6, 2) => DcIsw,
        (0, 7, 10, 2) => DcCsw,
        (0, 7, 14, 2) => DcCisw,
        (3, 7, 4, 1) => DcZva,
        (3, 7, 10, 1) => DcCvac,
        (3, 7, 11, 1) => DcCvau,
        (3, 7, 14, 1) => DcCivac,
        (0, 7, 8, 0) => At(AtOp::S1e1r),
        (0, 7, 8, 1) => At(AtOp::S1e1w),
        (0, 7, 8, 2) => At(AtOp::S1e0r),
        (0, 7, 8, 3) => At(AtOp::S1e0w),
        (4, 7, 8, 0) => At(AtOp::S1e2r),
        (4, 7, 8, 1) => At(AtOp::S1e2w),
        (4, 7, 8, 4) => At(AtOp::S12e1r),
        (4, 7, 8, 5) => At(AtOp::S12e1w),
        (4, 7, 8, 6) => At(AtOp::S12e0r),
        (4, 7, 8, 7) => At(AtOp::S12e0w),
        (6, 7, 8, 0) => At(AtOp::S1e3r),
        (6, 7, 8, 1) => At(AtOp::S1e3w),
        (0, 8, crm @ (3 | 7), op2) => {
            let op = match op2 {
                0 => T::Vmalle1,
                1 => T::Vae1,
                2 => T::Aside1,
                3 => T::Vaae1,
                5 => T::Vale1,
                7 => T::Vaale1,
                _ => return None,
            };
            Tlbi(op, crm == 3)
        }
        (4, 8, crm @ (0 | 4), op2) => {
            let op = match op2 {
                1 => T::Ipas2e1,
                5 => T::Ipas2le1,
                _ => return None,
            };
            Tlbi(op, crm == 0)
        }
        (4, 8, crm @ (3 | 7), op2) => {
            let op = match op2 {
                0 => T::Alle2,
                1 => T::Vae2,
                4 => T::Alle1,
                5 => T::Vale2,
                6 => T::Vmalls12e1,
                _ => return None,
            };
            Tlbi(op, crm == 3)
        }
        (6, 8, crm @ (3 | 7), op2) => {
            let op = match op2 {
                0 => T::Alle3,
                1 => T::Vae3,
                5 => T::Vale3,
                _ => return None,
            };
            Tlbi(op, crm == 3)
        }
        _ => return None,
    })
}

/// Lowest EL at which a SYS operation exists (below it: UNDEFINED, except the EL0 cache
/// operations, whose EL0 enables are checked separately).
fn sys_min_el(op: SysOp) -> u8 {
    use SysOp::*;
    match op {
        IcIvau | DcZva | DcCvac | DcCvau | DcCivac => 0,
        IcIalluis | IcIallu | DcIvac | DcIsw | DcCsw | DcCisw => 1,
        At(a) => match a {
            AtOp::S1e1r | AtOp::S1e1w | AtOp::S1e0r | AtOp::S1e0w => 1,
            AtOp::S1e3r | AtOp::S1e3w => 3,
            _ => 2,
        },
        Tlbi(t, _) => match t {
            TlbiOp::Vmalle1 | TlbiOp::Vae1 | TlbiOp::Aside1 | TlbiOp::Vaae1 | TlbiOp::Vale1 | TlbiOp::Vaale1 => 1,
            TlbiOp::Alle3 | TlbiOp::Vae3 | TlbiOp::Vale3 => 3,
            _ => 2,
        },
    }
}

/// The trap checks of a SYS operation allowed at the current EL.
fn sys_traps(cpu: &Cpu, op: SysOp) -> Result<(), Deny> {
    use SysOp::*;
    let el = cpu.st.pstate.el;
    let hcr = if cpu.el2_enabled() { cpu.sys.hcr_el2 } else { 0 };
    let sctlr1 = cpu.sys.sctlr[1];
    // EL0 enables in SCTLR_EL1 (UCI for cache maintenance, DZE for DC ZVA).
    let el0_enable = match op {
        IcIvau | DcCvac | DcCvau | DcCivac => Some(SCTLR_UCI),
        DcZva => Some(SCTLR_DZE),
        _ => None,
    };
    if let (0, Some(bit)) = (el, el0_enable) {
        if sctlr1 & bit == 0 {
            return Err(Deny::Trap(el1_trap_target(cpu)));
        }
    }
    let hcr_bit = match op {
        IcIalluis | IcIallu | IcIvau | DcCvau => HCR_TPU,
        DcIvac | DcCvac | DcCivac => HCR_TPC,
        DcIsw | DcCsw | DcCisw => HCR_TSW,
        DcZva => HCR_TDZ,
        Tlbi(..) if el == 1 => HCR_TTLB,
        _ => 0,
    };
    // IC IALLU(IS) and the set/way operations do not exist at EL0, so "EL0/EL1" is exact.
    if el <= 1 && hcr & hcr_bit != 0 {
        return Err(Deny::Trap(2));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn sys(cpu: &mut Cpu, p: &mut dyn Platform, op1: u32, crn: u32, crm: u32, op2: u32, rt: u32, raw: u32) -> ExecResult {
    let Some(op) = sys_op(op1, crn, crm, op2) else {
        let pc = cpu.st.pc;
        cpu.warn_once(&format!("sys:{op1}:{crn}:{crm}:{op2}"), || {
            format!("SYS #{op1}, C{crn}, C{crm}, #{op2} at pc {pc:#x}: unallocated, UNDEFINED")
        });
        return Err(SyncExc::undefined());
    };
    let el = cpu.st.pstate.el;
    if el < sys_min_el(op) {
        return Err(SyncExc::undefined());
    }
    sys_traps(cpu, op).map_err(|d| deny_to_exc(d, raw))?;
    let x = cpu.st.xr(rt);
    match op {
        // Instruction caches are not modelled: the interpreter always fetches from memory.
        SysOp::IcIalluis | SysOp::IcIallu | SysOp::IcIvau => {}
        // Set/way operations: no cache model, nothing to do.
        SysOp::DcIsw | SysOp::DcCsw | SysOp::DcCisw => {}
        // By-VA maintenance: translated for its faults (DC IVAC needs write permission),
        // reported as data aborts with CM = 1, WnR = 1; no other effect.
        SysOp::DcIvac | SysOp::DcCvac | SysOp::DcCvau | SysOp::DcCivac => {
            let ty = if op == SysOp::DcIvac { AccessType::Write } else { AccessType::Read };
            let acc = Access { ty, size: 1, unpriv: false, atomic: false, cache_maint: true, syndrome: None };
            mmu::translate(cpu, p, x, acc)?;
        }
        SysOp::DcZva => dc_zva(cpu, p, x)?,
        SysOp::At(a) => {
            let par = mmu::at(cpu, p, a, x);
            cpu.sys.par_el1 = par;
        }
        SysOp::Tlbi(t, is) => {
            cpu.tlb.start_removals();
            mmu::tlbi(cpu, t, x);
            cpu.fast_tlb_removed();
            // HCR_EL2.FB upgrades EL1's TLB maintenance to Inner Shareable.
            let fb = el == 1 && cpu.el2_enabled() && cpu.sys.hcr_el2 & HCR_FB != 0;
            if is || fb {
                p.tlbi_broadcast(cpu.cfg.index, t, x);
            }
        }
    }
    Ok(Flow::Next)
}

/// DC ZVA: zeroes the naturally aligned 64-byte block (DCZID_EL0.BS) containing `va`,
/// as a store (data aborts with WnR = 1, CM = 0, ISV = 0). Device memory gives an
/// Alignment fault. Faults report the address in Xt in FAR.
fn dc_zva(cpu: &mut Cpu, p: &mut dyn Platform, va: u64) -> Result<(), SyncExc> {
    let base = va & !(crate::sysreg::id::DCZVA_BYTES - 1);
    let fix_far = |mut e: SyncExc| {
        if e.far.is_some() {
            e.far = Some(va);
        }
        e
    };
    let t = mmu::translate(cpu, p, base, Access::write(16)).map_err(fix_far)?;
    if t.mem == mmu::MemType::Device {
        return Err(cpu.abort(va, &Access::write(16), fsc::ALIGNMENT));
    }
    let mut off = 0;
    while off < crate::sysreg::id::DCZVA_BYTES {
        cpu.write_mem(p, base.wrapping_add(off), 0, Access::write(16)).map_err(fix_far)?;
        off += 16;
    }
    Ok(())
}

#[cfg(test)]
#[path = "system_tests.rs"]
mod tests;
