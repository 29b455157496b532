//! GICv3 virtualization of the CPU interface (IHI 0069 chapter 6 "Virtual interrupt
//! handling and prioritization", §12.4 ICH_* and §12.3 ICV_* register descriptions):
//! the hypervisor's ICH_*_EL2 registers (list registers, maintenance interrupt) and the
//! virtual CPU interface that Non-secure EL1 reaches through the ICC_* encodings when
//! HCR_EL2.IMO (Group 1) / FMO (Group 0) are set.
//!
//! Cortex-A72 parameters: 4 list registers, 5 bits of virtual priority and preemption
//! (the Cortex-A72 TRM, ARM 100095, chapter 8, and the A53/A35 TRMs give GICH_VTR =
//! 0x9000_0003 for this CPU interface family: PRIbits = PREbits = 0b100, ListRegs = 3),
//! so only ICH_AP0R0/ICH_AP1R0 exist; ICH_VTR_EL2's GICv3 fields as the Arm GICv3 CPU
//! interfaces report them (Cortex-A76 TRM, ARM 100798, B4.23 ICH_VTR_EL2: IDbits = 0
//! (16 bits), SEIS = 0, A3V = 1, nV4 = 0; TDS = 0 as in GICv3.0: ICH_HCR_EL2.TDIR is RES0).
//! QEMU's cortex-a72 uses the same ListRegs/PRIbits/PREbits (target/arm/cpu64.c:
//! gic_num_lrs = 4, gic_vpribits = 5, gic_vprebits = 5) but reports IDbits = 24 bits and
//! TDS = 1. A3V = 1 matches this model's ICC_CTLR_EL1.A3V.

use super::{CpuCtx, Gic, INTID_SPURIOUS};

/// ICH_VTR_EL2 of the Cortex-A72: PRIbits \[31:29\] = 4, PREbits \[28:26\] = 4, IDbits
/// \[25:23\] = 0, SEIS \[22\] = 0, A3V \[21\] = 1, nV4 \[20\] = 0, TDS \[19\] = 0, ListRegs \[4:0\] = 3.
pub const ICH_VTR: u64 = 4 << 29 | 4 << 26 | 1 << 21 | 3;
/// Number of list registers.
pub const NUM_LRS: usize = 4;
/// Implemented virtual priority bits (5).
const VPRI_MASK: u8 = 0xF8;
/// Minimum VBPR0 with 5 bits of preemption (7 - PREbits... = 2) and VBPR1 (one more).
const VBPR0_MIN: u8 = 2;
const VBPR1_MIN: u8 = 3;

// ICH_HCR_EL2 fields (IHI 0069, ICH_HCR_EL2 description).
const HCR_EN: u32 = 1 << 0;
const HCR_UIE: u32 = 1 << 1;
const HCR_LRENPIE: u32 = 1 << 2;
const HCR_NPIE: u32 = 1 << 3;
const HCR_VGRP0EIE: u32 = 1 << 4;
const HCR_VGRP0DIE: u32 = 1 << 5;
const HCR_VGRP1EIE: u32 = 1 << 6;
const HCR_VGRP1DIE: u32 = 1 << 7;
const HCR_TC: u32 = 1 << 10;
const HCR_TALL0: u32 = 1 << 11;
const HCR_TALL1: u32 = 1 << 12;
const HCR_EOICOUNT_SHIFT: u32 = 27;
/// Writable bits: En, UIE, LRENPIE, NPIE, VGrp{0,1}{E,D}IE, TC, TALL0, TALL1, EOIcount.
/// TSEI (SEIS = 0) and TDIR (TDS = 0) are RES0.
const HCR_WMASK: u32 = 0xFF | HCR_TC | HCR_TALL0 | HCR_TALL1 | 0x1F << HCR_EOICOUNT_SHIFT;

// ICH_VMCR_EL2 fields.
const VMCR_VENG0: u32 = 1 << 0;
const VMCR_VENG1: u32 = 1 << 1;
const VMCR_VFIQEN: u32 = 1 << 3;
const VMCR_VCBPR: u32 = 1 << 4;
const VMCR_VEOIM: u32 = 1 << 9;
const VMCR_VBPR1_SHIFT: u32 = 18;
const VMCR_VBPR0_SHIFT: u32 = 21;
const VMCR_VPMR_SHIFT: u32 = 24;

// ICH_LR<n>_EL2 fields.
const LR_VINTID_MASK: u64 = 0xFFFF_FFFF;
const LR_PINTID_SHIFT: u32 = 32;
const LR_PINTID_MASK: u64 = 0x1FFF;
const LR_EOI: u64 = 1 << 41;
const LR_PRIO_SHIFT: u32 = 48;
const LR_GROUP: u64 = 1 << 60;
const LR_HW: u64 = 1 << 61;
const LR_STATE_SHIFT: u32 = 62;
const LR_ACTIVE: u64 = 1 << 63;

/// Virtual CPU interface state of one PE (the ICH_*_EL2 registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VCpuIfState {
    pub hcr: u32,
    pub vmcr: u32,
    pub ap0r: u32,
    pub ap1r: u32,
    pub lr: [u64; NUM_LRS],
}

impl Default for VCpuIfState {
    /// Reset: 0, except that ICH_VMCR_EL2 (architecturally UNKNOWN at reset) reads as if 0
    /// had been written: VFIQEn (RES1) and the minimum binary points (as QEMU resets it).
    fn default() -> Self {
        VCpuIfState { hcr: 0, vmcr: vmcr_sanitise(0), ap0r: 0, ap1r: 0, lr: [0; NUM_LRS] }
    }
}

/// Outcome of a CPU interface register access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IccOutcome {
    /// The value read (0 for a write).
    Value(u64),
    /// UNDEFINED.
    Undefined,
    /// Trapped to this EL (EC 0x18).
    Trap(u8),
}

/// The ICH registers.
#[allow(non_camel_case_types)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IchReg {
    ICH_AP0R0_EL2,
    ICH_AP1R0_EL2,
    ICH_HCR_EL2,
    ICH_VTR_EL2,
    ICH_MISR_EL2,
    ICH_EISR_EL2,
    ICH_ELRSR_EL2,
    ICH_VMCR_EL2,
    ICH_LR_EL2(u8),
}

impl IchReg {
    /// IHI 0069 §12.1 register summary (op0 = 3, op1 = 4, CRn = 12). ICH_AP{0,1}R{1,2,3}
    /// exist only with 6 or 7 bits of preemption; ICH_LR4..15 only with more list registers.
    pub fn decode(e: super::SysRegId) -> Option<IchReg> {
        use IchReg::*;
        if (e.op0, e.op1, e.crn) != (3, 4, 12) {
            return None;
        }
        Some(match (e.crm, e.op2) {
            (8, 0) => ICH_AP0R0_EL2,
            (9, 0) => ICH_AP1R0_EL2,
            (11, 0) => ICH_HCR_EL2,
            (11, 1) => ICH_VTR_EL2,
            (11, 2) => ICH_MISR_EL2,
            (11, 3) => ICH_EISR_EL2,
            (11, 5) => ICH_ELRSR_EL2,
            (11, 7) => ICH_VMCR_EL2,
            (12, n) if (n as usize) < NUM_LRS => ICH_LR_EL2(n),
            _ => return None,
        })
    }
    fn read_only(self) -> bool {
        matches!(self, IchReg::ICH_VTR_EL2 | IchReg::ICH_MISR_EL2 | IchReg::ICH_EISR_EL2 | IchReg::ICH_ELRSR_EL2)
    }
}

/// Which ICC encodings are redirected to the virtual interface by which HCR_EL2 bit
/// (IHI 0069 chapter 6 and the ICC_* pseudo-code: Group 0 registers by FMO, Group 1 ones by
/// IMO, the common ones (CTLR, PMR, RPR, DIR) by either).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VClass {
    G0,
    G1,
    Common,
}

fn lr_state(lr: u64) -> u64 {
    lr >> LR_STATE_SHIFT & 3
}
fn lr_prio(lr: u64) -> u8 {
    (lr >> LR_PRIO_SHIFT) as u8
}
fn lr_group1(lr: u64) -> bool {
    lr & LR_GROUP != 0
}
fn lr_vintid(lr: u64) -> u32 {
    (lr & LR_VINTID_MASK) as u32
}
/// An LR whose deactivation asks for a maintenance interrupt: invalid, HW = 0, EOI = 1.
fn lr_eoi_pending(lr: u64) -> bool {
    lr_state(lr) == 0 && lr & LR_HW == 0 && lr & LR_EOI != 0
}

const HCR_IMO: u64 = 1 << 4;
const HCR_FMO: u64 = 1 << 3;

impl Gic {
    /// An MRS/MSR of a GIC CPU interface encoding with the full PE context: ICH_* at EL2/EL3,
    /// and at Non-secure EL1 the ICV_* view when HCR_EL2.IMO/FMO select it (`hcr_el2` is
    /// HCR_EL2 as it applies now: 0 when EL2 is disabled), plus the ICH_HCR_EL2.TC/TALL0/
    /// TALL1 traps and the ICC_SGI*R_EL1 traps to EL2 (IMO or FMO set).
    pub fn icc_access_virt(
        &mut self,
        cpu: usize,
        ctx: CpuCtx,
        hcr_el2: u64,
        enc: super::SysRegId,
        write: Option<u64>,
    ) -> IccOutcome {
        use super::IccReg::*;
        if let Some(r) = IchReg::decode(enc) {
            // EL checks (EL2 or EL3) are done by the CPU; refuse lower ELs anyway.
            if ctx.el < 2 || cpu >= self.st.cpus.len() {
                return IccOutcome::Undefined;
            }
            return match write {
                None => IccOutcome::Value(self.ich_read(cpu, r)),
                Some(_) if r.read_only() => IccOutcome::Undefined,
                Some(v) => {
                    self.ich_write(cpu, r, v);
                    self.refresh();
                    IccOutcome::Value(0)
                }
            };
        }
        let Some(reg) = super::IccReg::decode(enc) else {
            return IccOutcome::Undefined;
        };
        let virt_ctx = ctx.el == 1 && !ctx.secure && hcr_el2 & (HCR_IMO | HCR_FMO) != 0;
        if virt_ctx {
            // ICC_SGI0R/SGI1R/ASGI1R_EL1 trap to EL2 when IMO or FMO is set (IHI 0069
            // ICC_SGI1R_EL1 pseudo-code).
            if matches!(reg, ICC_SGI0R_EL1 | ICC_SGI1R_EL1 | ICC_ASGI1R_EL1) && write.is_some() {
                return IccOutcome::Trap(2);
            }
        }
        let class = match reg {
            ICC_IAR0_EL1 | ICC_EOIR0_EL1 | ICC_HPPIR0_EL1 | ICC_BPR0_EL1 | ICC_AP0R0_EL1 | ICC_IGRPEN0_EL1 => {
                Some(VClass::G0)
            }
            ICC_IAR1_EL1 | ICC_EOIR1_EL1 | ICC_HPPIR1_EL1 | ICC_BPR1_EL1 | ICC_AP1R0_EL1 | ICC_IGRPEN1_EL1 => {
                Some(VClass::G1)
            }
            ICC_CTLR_EL1 | ICC_PMR_EL1 | ICC_RPR_EL1 | ICC_DIR_EL1 => Some(VClass::Common),
            _ => None,
        };
        // ICH_HCR_EL2 traps of Non-secure EL1 accesses (IHI 0069 ICH_HCR_EL2.TC/TALL0/TALL1),
        // which apply whether the access is to the ICC or the ICV register. They need EL2
        // enabled; the context carries HCR_EL2 = 0 when it is not, so HCR_EL2 = 0 is taken
        // as "EL2 disabled" (a hypervisor running a guest always sets some HCR_EL2 bits).
        if ctx.el == 1 && !ctx.secure && hcr_el2 != 0 {
            let h = self.st.cpus.get(cpu).map_or(0, |c| c.vif.hcr);
            // TC also covers the SGI generation registers (common to both groups).
            let sgi = matches!(reg, ICC_SGI0R_EL1 | ICC_SGI1R_EL1 | ICC_ASGI1R_EL1);
            let t = match class {
                Some(VClass::G0) => h & HCR_TALL0 != 0,
                Some(VClass::G1) => h & HCR_TALL1 != 0,
                Some(VClass::Common) => h & HCR_TC != 0,
                None => sgi && h & HCR_TC != 0,
            };
            if t {
                return IccOutcome::Trap(2);
            }
        }
        let to_virt = virt_ctx
            && match class {
                Some(VClass::G0) => hcr_el2 & HCR_FMO != 0,
                Some(VClass::G1) => hcr_el2 & HCR_IMO != 0,
                Some(VClass::Common) => true,
                None => false,
            };
        if !to_virt {
            return match self.icc_access_phys(cpu, ctx, enc, write) {
                Some(v) => IccOutcome::Value(v),
                None => IccOutcome::Undefined,
            };
        }
        match write {
            None if reg.readable() => {
                let v = self.icv_read(cpu, reg);
                tracing::debug!(target: "gic", cpu, "MRS ICV {reg:?} -> {v:#x}");
                self.refresh();
                IccOutcome::Value(v)
            }
            Some(v) if reg.writable() => {
                tracing::debug!(target: "gic", cpu, "MSR ICV {reg:?} <- {v:#x}");
                self.icv_write(cpu, reg, v);
                self.refresh();
                IccOutcome::Value(0)
            }
            _ => IccOutcome::Undefined,
        }
    }

    /// Virtual IRQ and FIQ outputs of `cpu` (IHI 0069 chapter 6: the highest-priority pending
    /// virtual interrupt of an enabled group, above VPMR and the virtual running priority,
    /// with ICH_HCR_EL2.En = 1; Group 1 is vIRQ, Group 0 vFIQ as ICH_VMCR_EL2.VFIQEn is
    /// RES1 with the system register interface). The CPU takes them only when
    /// HCR_EL2.IMO/FMO route them.
    pub fn virq_levels(&self, cpu: usize) -> (bool, bool) {
        let Some(v) = self.st.cpus.get(cpu).map(|c| &c.vif) else {
            return (false, false);
        };
        if v.hcr & HCR_EN == 0 {
            return (false, false);
        }
        match vhppi(v) {
            Some(i) if can_preempt(v, i) => {
                let g1 = v.lr.get(i).is_some_and(|&lr| lr_group1(lr));
                (g1, !g1)
            }
            _ => (false, false),
        }
    }

    /// ICH_MISR_EL2 of `cpu` (the maintenance interrupt conditions).
    pub fn ich_misr(&self, cpu: usize) -> u32 {
        self.st.cpus.get(cpu).map_or(0, |c| misr(&c.vif))
    }

    /// Drives the maintenance interrupt (PPI 25, level-sensitive) of every CPU from its
    /// ICH_HCR_EL2.En and ICH_MISR_EL2 (IHI 0069 chapter 6, "Maintenance interrupts").
    pub(super) fn update_maintenance(&mut self) {
        for c in self.st.cpus.iter_mut() {
            let level = c.vif.hcr & HCR_EN != 0 && misr(&c.vif) != 0;
            if let Some(s) = c.redist.private.get_mut(25) {
                if s.edge && level && !s.level {
                    s.pending = true;
                }
                s.level = level;
            }
        }
    }

    fn ich_read(&self, cpu: usize, r: IchReg) -> u64 {
        let Some(v) = self.st.cpus.get(cpu).map(|c| c.vif) else {
            return 0;
        };
        match r {
            IchReg::ICH_AP0R0_EL2 => v.ap0r as u64,
            IchReg::ICH_AP1R0_EL2 => v.ap1r as u64,
            IchReg::ICH_HCR_EL2 => v.hcr as u64,
            IchReg::ICH_VTR_EL2 => ICH_VTR,
            IchReg::ICH_MISR_EL2 => misr(&v) as u64,
            IchReg::ICH_EISR_EL2 => {
                (0..NUM_LRS).filter(|&i| v.lr.get(i).is_some_and(|&l| lr_eoi_pending(l))).fold(0, |a, i| a | 1 << i)
            }
            // ELRSR: LRs with no valid interrupt and no EOI maintenance request.
            IchReg::ICH_ELRSR_EL2 => (0..NUM_LRS)
                .filter(|&i| v.lr.get(i).is_some_and(|&l| lr_state(l) == 0 && !lr_eoi_pending(l)))
                .fold(0, |a, i| a | 1 << i),
            IchReg::ICH_VMCR_EL2 => v.vmcr as u64,
            IchReg::ICH_LR_EL2(n) => v.lr.get(n as usize).copied().unwrap_or(0),
        }
    }

    fn ich_write(&mut self, cpu: usize, r: IchReg, val: u64) {
        let Some(v) = self.st.cpus.get_mut(cpu).map(|c| &mut c.vif) else {
            return;
        };
        match r {
            IchReg::ICH_AP0R0_EL2 => v.ap0r = val as u32,
            IchReg::ICH_AP1R0_EL2 => v.ap1r = val as u32,
            IchReg::ICH_HCR_EL2 => v.hcr = val as u32 & HCR_WMASK,
            IchReg::ICH_VMCR_EL2 => v.vmcr = vmcr_sanitise(val as u32),
            IchReg::ICH_LR_EL2(n) => {
                // Unimplemented priority bits are RAZ/WI.
                let pmask = !((!(VPRI_MASK as u64) & 0xff) << LR_PRIO_SHIFT);
                if let Some(l) = v.lr.get_mut(n as usize) {
                    *l = val & pmask;
                }
            }
            _ => {}
        }
    }

    fn icv_read(&mut self, cpu: usize, reg: super::IccReg) -> u64 {
        use super::IccReg::*;
        let Some(v) = self.st.cpus.get(cpu).map(|c| c.vif) else {
            return 0;
        };
        match reg {
            ICC_PMR_EL1 => (v.vmcr >> VMCR_VPMR_SHIFT) as u64 & 0xff,
            ICC_BPR0_EL1 => vbpr0(&v) as u64,
            ICC_BPR1_EL1 => vbpr1_read(&v) as u64,
            ICC_AP0R0_EL1 => v.ap0r as u64,
            ICC_AP1R0_EL1 => v.ap1r as u64,
            ICC_RPR_EL1 => vrunning(&v) as u64,
            // ICV_CTLR_EL1: PRIbits [10:8], IDbits [13:11], SEIS [14], A3V [15] from
            // ICH_VTR_EL2; EOImode [1] = VEOIM, CBPR [0] = VCBPR.
            ICC_CTLR_EL1 => {
                (ICH_VTR >> 29 & 7) << 8
                    | (ICH_VTR >> 23 & 7) << 11
                    | (ICH_VTR >> 22 & 1) << 14
                    | (ICH_VTR >> 21 & 1) << 15
                    | ((v.vmcr & VMCR_VEOIM != 0) as u64) << 1
                    | (v.vmcr & VMCR_VCBPR != 0) as u64
            }
            ICC_IGRPEN0_EL1 => (v.vmcr & VMCR_VENG0 != 0) as u64,
            ICC_IGRPEN1_EL1 => (v.vmcr & VMCR_VENG1 != 0) as u64,
            ICC_IAR0_EL1 => self.icv_ack(cpu, false) as u64,
            ICC_IAR1_EL1 => self.icv_ack(cpu, true) as u64,
            ICC_HPPIR0_EL1 | ICC_HPPIR1_EL1 => {
                let g1 = reg == ICC_HPPIR1_EL1;
                // Not masked by VPMR or the running priority (ICV_HPPIR<n>_EL1).
                match vhppi(&v).and_then(|i| v.lr.get(i).copied()) {
                    Some(lr) if lr_group1(lr) == g1 => lr_vintid(lr) as u64 & 0xFF_FFFF,
                    _ => INTID_SPURIOUS as u64,
                }
            }
            _ => 0,
        }
    }

    fn icv_write(&mut self, cpu: usize, reg: super::IccReg, val: u64) {
        use super::IccReg::*;
        match reg {
            ICC_EOIR0_EL1 => return self.icv_eoi(cpu, (val & 0xFF_FFFF) as u32, false),
            ICC_EOIR1_EL1 => return self.icv_eoi(cpu, (val & 0xFF_FFFF) as u32, true),
            ICC_DIR_EL1 => return self.icv_dir(cpu, (val & 0xFF_FFFF) as u32),
            _ => {}
        }
        let Some(v) = self.st.cpus.get_mut(cpu).map(|c| &mut c.vif) else {
            return;
        };
        let set = |vmcr: u32, mask: u32, on: bool| if on { vmcr | mask } else { vmcr & !mask };
        match reg {
            ICC_PMR_EL1 => {
                v.vmcr = v.vmcr & !(0xff << VMCR_VPMR_SHIFT) | ((val as u8 & VPRI_MASK) as u32) << VMCR_VPMR_SHIFT
            }
            ICC_BPR0_EL1 => {
                let b = (val as u8 & 7).max(VBPR0_MIN) as u32;
                v.vmcr = v.vmcr & !(7 << VMCR_VBPR0_SHIFT) | b << VMCR_VBPR0_SHIFT;
            }
            // With VCBPR, ICV_BPR1_EL1 writes are ignored (ICV_BPR1_EL1 description).
            ICC_BPR1_EL1 if v.vmcr & VMCR_VCBPR != 0 => {}
            ICC_BPR1_EL1 => {
                let b = (val as u8 & 7).max(VBPR1_MIN) as u32;
                v.vmcr = v.vmcr & !(7 << VMCR_VBPR1_SHIFT) | b << VMCR_VBPR1_SHIFT;
            }
            ICC_AP0R0_EL1 => v.ap0r = val as u32,
            ICC_AP1R0_EL1 => v.ap1r = val as u32,
            ICC_CTLR_EL1 => {
                v.vmcr = set(v.vmcr, VMCR_VEOIM, val & 2 != 0);
                v.vmcr = set(v.vmcr, VMCR_VCBPR, val & 1 != 0);
            }
            ICC_IGRPEN0_EL1 => v.vmcr = set(v.vmcr, VMCR_VENG0, val & 1 != 0),
            ICC_IGRPEN1_EL1 => v.vmcr = set(v.vmcr, VMCR_VENG1, val & 1 != 0),
            _ => {}
        }
    }

    /// ICV_IAR0/1_EL1 read (IHI 0069 ICV_IAR1_EL1 pseudo-code): the highest-priority
    /// pending virtual interrupt, if it is of the register's group and may preempt (above
    /// VPMR and the virtual running priority), is acknowledged: its LR goes pending →
    /// active (a vLPI's LR becomes invalid) and its group priority is set in ICH_AP{0,1}R0.
    fn icv_ack(&mut self, cpu: usize, group1: bool) -> u32 {
        let Some(v) = self.st.cpus.get_mut(cpu).map(|c| &mut c.vif) else {
            return INTID_SPURIOUS;
        };
        let Some(i) = vhppi(v) else {
            return INTID_SPURIOUS;
        };
        let Some(lr) = v.lr.get(i).copied() else {
            return INTID_SPURIOUS;
        };
        if lr_group1(lr) != group1 || !can_preempt(v, i) {
            return INTID_SPURIOUS;
        }
        let intid = lr_vintid(lr) & 0xFF_FFFF;
        if (1020..1024).contains(&intid) {
            return intid;
        }
        let gp = vgroup_prio(v, lr_prio(lr), group1);
        let bit = 1u32 << ((gp >> 3) & 31);
        if group1 {
            v.ap1r |= bit;
        } else {
            v.ap0r |= bit;
        }
        let state = if intid >= 8192 { 0 } else { LR_ACTIVE };
        if let Some(l) = v.lr.get_mut(i) {
            *l = *l & !(3 << LR_STATE_SHIFT) | state;
        }
        intid
    }

    /// ICV_EOIR0/1_EL1 write (IHI 0069 ICV_EOIR1_EL1 pseudo-code): special INTIDs are
    /// ignored; otherwise the highest active virtual priority is dropped (nothing more
    /// when none is active: CONSTRAINED UNPREDICTABLE, this model does not check the LRs).
    /// With VEOIM = 0 the interrupt is also deactivated: its active LR (same vINTID, same
    /// group) loses the active state, and an HW = 1 LR deactivates its physical pINTID; when
    /// no LR holds it, ICH_HCR_EL2.EOIcount is incremented (not for a vLPI).
    fn icv_eoi(&mut self, cpu: usize, intid: u32, group1: bool) {
        if (1020..1024).contains(&intid) {
            return;
        }
        let Some(v) = self.st.cpus.get_mut(cpu).map(|c| &mut c.vif) else {
            return;
        };
        let a = v.ap0r | v.ap1r;
        if a == 0 {
            return;
        }
        let bit = 1u32 << a.trailing_zeros();
        // Group 0 first when both groups have the same priority active.
        if v.ap0r & bit != 0 {
            v.ap0r &= !bit;
        } else {
            v.ap1r &= !bit;
        }
        if v.vmcr & VMCR_VEOIM != 0 {
            return;
        }
        match find_active(v, intid) {
            Some(i) if v.lr.get(i).is_some_and(|&l| lr_group1(l) == group1) => self.icv_deactivate(cpu, i),
            // The LR holds the interrupt in the other group: nothing is deactivated.
            Some(_) => {}
            // LPIs have no active state (their LR is invalid once acknowledged): an EOI of a
            // vLPI does not count (ICH_HCR_EL2.EOIcount counts deactivations without an LR).
            None if intid >= 8192 => {}
            None => inc_eoicount(v),
        }
    }

    /// ICV_DIR_EL1 write: with VEOIM = 1, deactivates the LR holding `intid` active (or
    /// increments EOIcount when none does). With VEOIM = 0 the write is UNPREDICTABLE:
    /// ignored. Special INTIDs are ignored.
    fn icv_dir(&mut self, cpu: usize, intid: u32) {
        if (1020..1024).contains(&intid) {
            return;
        }
        let Some(v) = self.st.cpus.get_mut(cpu).map(|c| &mut c.vif) else {
            return;
        };
        if v.vmcr & VMCR_VEOIM == 0 {
            return;
        }
        match find_active(v, intid) {
            Some(i) => self.icv_deactivate(cpu, i),
            None if intid >= 8192 => {}
            None => inc_eoicount(v),
        }
    }

    /// Deactivates LR `i` of `cpu`: active → invalid, pending+active → pending; with
    /// HW = 1 the physical interrupt pINTID is deactivated too (IHI 0069 chapter 6, "Virtual
    /// interrupts with a physical counterpart"; pINTID 1020-1023 have none).
    fn icv_deactivate(&mut self, cpu: usize, i: usize) {
        let Some(lr) = self.st.cpus.get_mut(cpu).and_then(|c| c.vif.lr.get_mut(i)) else {
            return;
        };
        *lr &= !LR_ACTIVE;
        let l = *lr;
        if l & LR_HW != 0 {
            let p = (l >> LR_PINTID_SHIFT & LR_PINTID_MASK) as u32;
            if p < 1020 {
                self.deactivate(cpu, p);
            }
        }
    }
}

/// VFIQEn is RES1 and VAckCtl RES0 with the system register interface; VPMR keeps the
/// implemented bits; VBPR0/VBPR1 have their minimums (IHI 0069 ICH_VMCR_EL2).
fn vmcr_sanitise(val: u32) -> u32 {
    let keep = VMCR_VENG0 | VMCR_VENG1 | VMCR_VCBPR | VMCR_VEOIM;
    let bpr1 = ((val >> VMCR_VBPR1_SHIFT & 7) as u8).max(VBPR1_MIN) as u32;
    let bpr0 = ((val >> VMCR_VBPR0_SHIFT & 7) as u8).max(VBPR0_MIN) as u32;
    let pmr = (val >> VMCR_VPMR_SHIFT) as u8 & VPRI_MASK;
    val & keep | VMCR_VFIQEN | bpr1 << VMCR_VBPR1_SHIFT | bpr0 << VMCR_VBPR0_SHIFT | (pmr as u32) << VMCR_VPMR_SHIFT
}

fn vbpr0(v: &VCpuIfState) -> u8 {
    ((v.vmcr >> VMCR_VBPR0_SHIFT & 7) as u8).max(VBPR0_MIN)
}
fn vbpr1_read(v: &VCpuIfState) -> u8 {
    if v.vmcr & VMCR_VCBPR != 0 {
        (vbpr0(v) + 1).min(7)
    } else {
        ((v.vmcr >> VMCR_VBPR1_SHIFT & 7) as u8).max(VBPR1_MIN)
    }
}

/// Group priority of a virtual priority (IHI 0069 §4.8.3 applied to VBPR0/VBPR1: Group 0
/// uses bits [7:VBPR0+1], Group 1 bits [7:VBPR1], or [7:VBPR0+1] with VCBPR).
fn vgroup_prio(v: &VCpuIfState, prio: u8, group1: bool) -> u8 {
    let shift = if !group1 || v.vmcr & VMCR_VCBPR != 0 {
        vbpr0(v) + 1
    } else {
        ((v.vmcr >> VMCR_VBPR1_SHIFT & 7) as u8).max(VBPR1_MIN)
    };
    if shift >= 8 {
        0
    } else {
        prio & (0xffu8 << shift)
    }
}

/// Virtual running priority: the highest priority active in ICH_AP0R0/AP1R0, 0xFF idle.
fn vrunning(v: &VCpuIfState) -> u8 {
    let a = v.ap0r | v.ap1r;
    if a == 0 {
        0xff
    } else {
        (a.trailing_zeros() as u8) << 3
    }
}

/// The LR of the highest-priority pending (state 01) virtual interrupt whose group is
/// enabled in ICH_VMCR_EL2 (VENG0/VENG1); ties go to the lowest LR.
fn vhppi(v: &VCpuIfState) -> Option<usize> {
    let mut best: Option<(usize, u8)> = None;
    for (i, &lr) in v.lr.iter().enumerate() {
        if lr_state(lr) != 1 {
            continue;
        }
        let en = if lr_group1(lr) { v.vmcr & VMCR_VENG1 != 0 } else { v.vmcr & VMCR_VENG0 != 0 };
        if !en {
            continue;
        }
        let p = lr_prio(lr);
        if best.is_none_or(|(_, bp)| p < bp) {
            best = Some((i, p));
        }
    }
    best.map(|(i, _)| i)
}

/// Whether LR `i` may be signalled: priority above VPMR, group priority above the virtual
/// running priority.
fn can_preempt(v: &VCpuIfState, i: usize) -> bool {
    let Some(&lr) = v.lr.get(i) else {
        return false;
    };
    let vpmr = (v.vmcr >> VMCR_VPMR_SHIFT) as u8;
    let p = lr_prio(lr);
    p < vpmr && vgroup_prio(v, p, lr_group1(lr)) < vrunning(v)
}

/// The LR holding `intid` in the active (or active and pending) state.
fn find_active(v: &VCpuIfState, intid: u32) -> Option<usize> {
    v.lr.iter().position(|&l| l & LR_ACTIVE != 0 && lr_vintid(l) & 0xFF_FFFF == intid)
}

fn inc_eoicount(v: &mut VCpuIfState) {
    let c = (v.hcr >> HCR_EOICOUNT_SHIFT).wrapping_add(1) & 0x1F;
    v.hcr = v.hcr & !(0x1F << HCR_EOICOUNT_SHIFT) | c << HCR_EOICOUNT_SHIFT;
}

/// ICH_MISR_EL2 (IHI 0069 ICH_MISR_EL2): EOI \[0\], U \[1\], LRENP \[2\], NP \[3\], VGrp0E \[4\],
/// VGrp0D \[5\], VGrp1E \[6\], VGrp1D \[7\].
fn misr(v: &VCpuIfState) -> u32 {
    let h = v.hcr;
    let mut m = 0;
    if v.lr.iter().any(|&l| lr_eoi_pending(l)) {
        m |= 1;
    }
    if h & HCR_UIE != 0 && v.lr.iter().filter(|&&l| lr_state(l) != 0).count() <= 1 {
        m |= 2;
    }
    if h & HCR_LRENPIE != 0 && h >> HCR_EOICOUNT_SHIFT != 0 {
        m |= 4;
    }
    if h & HCR_NPIE != 0 && !v.lr.iter().any(|&l| lr_state(l) == 1) {
        m |= 8;
    }
    let eng0 = v.vmcr & VMCR_VENG0 != 0;
    let eng1 = v.vmcr & VMCR_VENG1 != 0;
    if h & HCR_VGRP0EIE != 0 && eng0 {
        m |= 1 << 4;
    }
    if h & HCR_VGRP0DIE != 0 && !eng0 {
        m |= 1 << 5;
    }
    if h & HCR_VGRP1EIE != 0 && eng1 {
        m |= 1 << 6;
    }
    if h & HCR_VGRP1DIE != 0 && !eng1 {
        m |= 1 << 7;
    }
    m
}
