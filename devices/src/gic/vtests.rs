//! Register-level tests of the GICv3 virtualization (ICH_*_EL2, ICV_*). Expected values are
//! worked out by hand from Arm IHI 0069 (GICv3/v4 architecture specification): chapter 6
//! "Virtual interrupt handling and prioritization", §12 register descriptions and their
//! pseudo-code (cited by register name), and from the Cortex-A72 TRM (ARM DDI 0488,
//! ICH_VTR_EL2). They are not computed by the model.

use super::*;

// Encodings (op0, op1, CRn, CRm, op2), IHI 0069 §12.1 / Arm ARM system register index.
const ICH_AP0R0: SysRegId = SysRegId::new(3, 4, 12, 8, 0);
const ICH_AP0R1: SysRegId = SysRegId::new(3, 4, 12, 8, 1);
const ICH_AP1R0: SysRegId = SysRegId::new(3, 4, 12, 9, 0);
const ICH_HCR: SysRegId = SysRegId::new(3, 4, 12, 11, 0);
const ICH_VTR: SysRegId = SysRegId::new(3, 4, 12, 11, 1);
const ICH_MISR: SysRegId = SysRegId::new(3, 4, 12, 11, 2);
const ICH_EISR: SysRegId = SysRegId::new(3, 4, 12, 11, 3);
const ICH_ELRSR: SysRegId = SysRegId::new(3, 4, 12, 11, 5);
const ICH_VMCR: SysRegId = SysRegId::new(3, 4, 12, 11, 7);
const fn ich_lr(n: u8) -> SysRegId {
    SysRegId::new(3, 4, 12, 12 + n / 8, n % 8)
}
const PMR: SysRegId = SysRegId::new(3, 0, 4, 6, 0);
const IAR0: SysRegId = SysRegId::new(3, 0, 12, 8, 0);
const EOIR0: SysRegId = SysRegId::new(3, 0, 12, 8, 1);
const BPR0: SysRegId = SysRegId::new(3, 0, 12, 8, 3);
const AP1R0: SysRegId = SysRegId::new(3, 0, 12, 9, 0);
const DIR: SysRegId = SysRegId::new(3, 0, 12, 11, 1);
const RPR: SysRegId = SysRegId::new(3, 0, 12, 11, 3);
const SGI1R: SysRegId = SysRegId::new(3, 0, 12, 11, 5);
const IAR1: SysRegId = SysRegId::new(3, 0, 12, 12, 0);
const EOIR1: SysRegId = SysRegId::new(3, 0, 12, 12, 1);
const HPPIR1: SysRegId = SysRegId::new(3, 0, 12, 12, 2);
const BPR1: SysRegId = SysRegId::new(3, 0, 12, 12, 3);
const CTLR: SysRegId = SysRegId::new(3, 0, 12, 12, 4);
const IGRPEN1: SysRegId = SysRegId::new(3, 0, 12, 12, 7);

// HCR_EL2 bits (Arm ARM D13.2.46).
const IMO: u64 = 1 << 4;
const FMO: u64 = 1 << 3;

// ICH_HCR_EL2 bits (IHI 0069 ICH_HCR_EL2).
const EN: u64 = 1;
const UIE: u64 = 1 << 1;
const LRENPIE: u64 = 1 << 2;
const NPIE: u64 = 1 << 3;
const VGRP0EIE: u64 = 1 << 4;
const VGRP0DIE: u64 = 1 << 5;
const VGRP1EIE: u64 = 1 << 6;
const VGRP1DIE: u64 = 1 << 7;
const TC: u64 = 1 << 10;
const TALL1: u64 = 1 << 12;

/// ICH_VMCR_EL2 value (IHI 0069 ICH_VMCR_EL2: VPMR [31:24], VBPR0 [23:21], VBPR1 [20:18],
/// VEOIM [9], VCBPR [4], VFIQEn [3], VENG1 [1], VENG0 [0]).
fn vmcr(vpmr: u64, vbpr0: u64, vbpr1: u64, veoim: bool, veng0: bool, veng1: bool) -> u64 {
    vpmr << 24 | vbpr0 << 21 | vbpr1 << 18 | (veoim as u64) << 9 | 1 << 3 | (veng1 as u64) << 1 | veng0 as u64
}

/// ICH_LR<n>_EL2 value (IHI 0069 ICH_LR<n>_EL2: State [63:62] (1 pending, 2 active, 3 both),
/// HW [61], Group [60], Priority [55:48], pINTID [44:32] (bit 41 = EOI when HW = 0),
/// vINTID [31:0]).
fn lr(state: u64, hw: bool, g1: bool, prio: u64, pintid: u64, vintid: u64) -> u64 {
    state << 62 | (hw as u64) << 61 | (g1 as u64) << 60 | prio << 48 | pintid << 32 | vintid
}
const LR_EOI: u64 = 1 << 41;

fn gic() -> Gic {
    let bank = IrqBank::new(256);
    let mut g = Gic::new(&GicConfig::ls2088a(), bank);
    g.el3_firmware_init();
    g
}

fn ich_r(g: &mut Gic, r: SysRegId) -> u64 {
    match g.icc_access_virt(0, CpuCtx::NS_EL2, 0, r, None) {
        IccOutcome::Value(v) => v,
        o => panic!("{r:?}: {o:?}"),
    }
}
fn ich_w(g: &mut Gic, r: SysRegId, v: u64) {
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL2, 0, r, Some(v)), IccOutcome::Value(0), "{r:?}");
}
/// MRS at Non-secure EL1 with HCR_EL2 = `hcr`.
fn el1_r(g: &mut Gic, hcr: u64, r: SysRegId) -> u64 {
    match g.icc_access_virt(0, CpuCtx::NS_EL1, hcr, r, None) {
        IccOutcome::Value(v) => v,
        o => panic!("{r:?}: {o:?}"),
    }
}
fn el1_w(g: &mut Gic, hcr: u64, r: SysRegId, v: u64) {
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL1, hcr, r, Some(v)), IccOutcome::Value(0), "{r:?}");
}
/// GICR_ISPENDR0 / GICD_ISACTIVER reads (Non-secure).
fn mmio_r(g: &mut Gic, off: u64) -> u64 {
    g.read_attr(off, crate::Size::B4, false).unwrap()
}
const GICR0_ISPENDR0: u64 = 0x10_0000 + 0x1_0000 + 0x200;

#[test]
fn test_ich_vtr_and_access_rules() {
    let mut g = gic();
    // ICH_VTR_EL2 (see vcpuif.rs: A72 TRM GICH_VTR 0x9000_0003 + GICv3 fields): PRIbits 0b100 [31:29], PREbits 0b100 [28:26], IDbits 0
    // [25:23], SEIS 0 [22], A3V 1 [21], ListRegs 0b00011 [4:0] = 0x9020_0003.
    assert_eq!(ich_r(&mut g, ICH_VTR), 0x9020_0003);
    // Read-only registers: MSR is UNDEFINED.
    for r in [ICH_VTR, ICH_MISR, ICH_EISR, ICH_ELRSR] {
        assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL2, 0, r, Some(0)), IccOutcome::Undefined);
    }
    // ICH_* from EL1: UNDEFINED (whatever HCR_EL2 says); EL3 may access them.
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL1, IMO, ICH_HCR, None), IccOutcome::Undefined);
    assert_eq!(g.icc_access_virt(0, CpuCtx::EL3, 0, ICH_VTR, None), IccOutcome::Value(0x9020_0003));
    // Only AP0R0 (5 preemption bits) and LR0-3 (4 list registers) exist.
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL2, 0, ICH_AP0R1, None), IccOutcome::Undefined);
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL2, 0, ich_lr(4), None), IccOutcome::Undefined);
    // Reset: everything 0, all LRs empty (ELRSR = 0b1111).
    assert_eq!(ich_r(&mut g, ICH_HCR), 0);
    assert_eq!(ich_r(&mut g, ICH_ELRSR), 0xF);
    assert_eq!(ich_r(&mut g, ICH_EISR), 0);
}

#[test]
fn test_ich_register_write_read() {
    let mut g = gic();
    // LR: Priority keeps its 5 implemented bits [55:51] (0xA7 -> 0xA0).
    ich_w(&mut g, ich_lr(2), lr(1, false, true, 0xA7, 0, 40));
    assert_eq!(ich_r(&mut g, ich_lr(2)), lr(1, false, true, 0xA0, 0, 40));
    ich_w(&mut g, ich_lr(3), lr(3, true, false, 0x08, 33, 1000));
    assert_eq!(ich_r(&mut g, ich_lr(3)), 0xE008_0021_0000_03E8);
    // ELRSR: LR2 and LR3 hold interrupts.
    assert_eq!(ich_r(&mut g, ICH_ELRSR), 0b0011);
    // ICH_HCR_EL2: bits 8, 9 (RES0), TSEI [13] (SEIS = 0) and TDIR [14] (TDS = 0) are RES0.
    ich_w(&mut g, ICH_HCR, 0xFFFF_FFFF);
    assert_eq!(ich_r(&mut g, ICH_HCR), 0xF800_1CFF);
    // ICH_VMCR_EL2: VAckCtl [2] RES0, VFIQEn [3] RES1, VPMR 5 bits, VBPR0 >= 2, VBPR1 >= 3.
    ich_w(&mut g, ICH_VMCR, 0x0000_0004);
    assert_eq!(ich_r(&mut g, ICH_VMCR), 2 << 21 | 3 << 18 | 1 << 3);
    ich_w(&mut g, ICH_VMCR, 0xFFFF_FFFF);
    assert_eq!(ich_r(&mut g, ICH_VMCR), 0xF8 << 24 | 7 << 21 | 7 << 18 | 1 << 9 | 1 << 4 | 1 << 3 | 3);
    ich_w(&mut g, ICH_AP1R0, 0x8000_0001);
    assert_eq!(ich_r(&mut g, ICH_AP1R0), 0x8000_0001);
    ich_w(&mut g, ICH_AP0R0, 0x10);
    assert_eq!(ich_r(&mut g, ICH_AP0R0), 0x10);
}

/// ICV_IAR1_EL1 and ICV_EOIR1_EL1 pseudo-code (IHI 0069 §12.3): the highest-priority
/// pending LR is acknowledged (pending -> active, its group priority set in ICH_AP1R0_EL2),
/// EOI drops the priority and, with VEOIM = 0, deactivates it (active -> invalid).
#[test]
fn test_icv_ack_and_eoi() {
    let mut g = gic();
    ich_w(&mut g, ICH_HCR, EN);
    ich_w(&mut g, ICH_VMCR, vmcr(0xF8, 2, 3, false, false, true));
    ich_w(&mut g, ich_lr(0), lr(1, false, true, 0x80, 0, 40));
    ich_w(&mut g, ich_lr(1), lr(1, false, true, 0x40, 0, 41));
    assert_eq!(g.virq_levels(0), (true, false));
    assert_eq!(el1_r(&mut g, IMO, HPPIR1), 41);
    assert_eq!(el1_r(&mut g, IMO, RPR), 0xFF);
    assert_eq!(el1_r(&mut g, IMO, IAR1), 41);
    // LR1 active (State 0b10), group priority 0x40 (VBPR1 = 3: bits [7:3]) = APR bit 8.
    assert_eq!(ich_r(&mut g, ich_lr(1)), lr(2, false, true, 0x40, 0, 41));
    assert_eq!(ich_r(&mut g, ICH_AP1R0), 1 << 8);
    assert_eq!(el1_r(&mut g, IMO, AP1R0), 1 << 8);
    assert_eq!(el1_r(&mut g, IMO, RPR), 0x40);
    // 0x80 does not preempt 0x40: no vIRQ, IAR reads 1023; HPPIR still sees LR0.
    assert_eq!(g.virq_levels(0), (false, false));
    assert_eq!(el1_r(&mut g, IMO, IAR1), 1023);
    assert_eq!(el1_r(&mut g, IMO, HPPIR1), 40);
    el1_w(&mut g, IMO, EOIR1, 41);
    assert_eq!(ich_r(&mut g, ICH_AP1R0), 0);
    assert_eq!(ich_r(&mut g, ich_lr(1)), lr(0, false, true, 0x40, 0, 41));
    assert_eq!(ich_r(&mut g, ICH_ELRSR), 0b1110);
    assert_eq!(g.virq_levels(0), (true, false));
    assert_eq!(el1_r(&mut g, IMO, IAR1), 40);
    // An EOI of a vINTID no LR holds: priority drop, and EOIcount [31:27] += 1.
    el1_w(&mut g, IMO, EOIR1, 99);
    assert_eq!(ich_r(&mut g, ICH_AP1R0), 0);
    assert_eq!(ich_r(&mut g, ICH_HCR), EN | 1 << 27);
    assert_eq!(ich_r(&mut g, ich_lr(0)), lr(2, false, true, 0x80, 0, 40), "LR0 still active");
    // A Group 0 LR is not returned by ICV_IAR1 but by ICV_IAR0 (FMO), signalled as vFIQ.
    ich_w(&mut g, ich_lr(2), lr(1, false, false, 0x10, 0, 50));
    ich_w(&mut g, ICH_VMCR, vmcr(0xF8, 2, 3, false, true, true));
    assert_eq!(g.virq_levels(0), (false, true));
    assert_eq!(el1_r(&mut g, IMO | FMO, IAR1), 1023);
    assert_eq!(el1_r(&mut g, IMO | FMO, IAR0), 50);
    // Group 0 group priority with VBPR0 = 2: bits [7:3] -> 0x10 = APR bit 2.
    assert_eq!(ich_r(&mut g, ICH_AP0R0), 1 << 2);
    el1_w(&mut g, IMO | FMO, EOIR0, 50);
    assert_eq!(ich_r(&mut g, ICH_AP0R0), 0);
    assert_eq!(ich_r(&mut g, ich_lr(2)), lr(0, false, false, 0x10, 0, 50));
}

/// ICV_EOIR1_EL1 of an HW = 1 LR deactivates the physical interrupt pINTID (IHI 0069 chapter 6,
/// ICH_LR<n>_EL2.HW); with VEOIM = 1 only ICV_DIR_EL1 deactivates.
#[test]
fn test_icv_hw_deactivation_and_split_eoi() {
    let mut g = gic();
    // Physical SPI 50 (INTID 82) active: GICD_ISACTIVER2 bit 18.
    g.write_attr(0x308, crate::Size::B4, 1 << 18, false).unwrap();
    assert_eq!(mmio_r(&mut g, 0x308), 1 << 18);
    ich_w(&mut g, ICH_HCR, EN);
    ich_w(&mut g, ICH_VMCR, vmcr(0xF8, 2, 3, false, false, true));
    ich_w(&mut g, ich_lr(0), lr(1, true, true, 0xA0, 82, 27));
    assert_eq!(el1_r(&mut g, IMO, IAR1), 27);
    el1_w(&mut g, IMO, EOIR1, 27);
    assert_eq!(ich_r(&mut g, ich_lr(0)), lr(0, true, true, 0xA0, 82, 27));
    assert_eq!(mmio_r(&mut g, 0x308), 0, "physical INTID 82 deactivated");
    // VEOIM = 1: EOIR only drops the priority; DIR deactivates (and the HW interrupt).
    g.write_attr(0x308, crate::Size::B4, 1 << 18, false).unwrap();
    ich_w(&mut g, ICH_VMCR, vmcr(0xF8, 2, 3, true, false, true));
    assert_eq!(el1_r(&mut g, IMO, CTLR), 0x8402, "ICV_CTLR: A3V, PRIbits 4, EOImode");
    ich_w(&mut g, ich_lr(0), lr(1, true, true, 0xA0, 82, 27));
    assert_eq!(el1_r(&mut g, IMO, IAR1), 27);
    el1_w(&mut g, IMO, EOIR1, 27);
    assert_eq!(ich_r(&mut g, ICH_AP1R0), 0);
    assert_eq!(ich_r(&mut g, ich_lr(0)), lr(2, true, true, 0xA0, 82, 27));
    assert_eq!(mmio_r(&mut g, 0x308), 1 << 18);
    el1_w(&mut g, IMO, DIR, 27);
    assert_eq!(ich_r(&mut g, ich_lr(0)), lr(0, true, true, 0xA0, 82, 27));
    assert_eq!(mmio_r(&mut g, 0x308), 0);
    // DIR of an INTID no LR holds active: EOIcount += 1.
    el1_w(&mut g, IMO, DIR, 27);
    assert_eq!(ich_r(&mut g, ICH_HCR) >> 27, 1);
    // Pending and active (State 0b11): DIR leaves it pending.
    ich_w(&mut g, ich_lr(1), lr(3, false, true, 0x20, 0, 33));
    el1_w(&mut g, IMO, DIR, 33);
    assert_eq!(ich_r(&mut g, ich_lr(1)), lr(1, false, true, 0x20, 0, 33));
}

/// ICH_MISR_EL2, ICH_EISR_EL2, ICH_ELRSR_EL2 (IHI 0069 register descriptions) and the
/// maintenance interrupt, PPI 25, asserted while ICH_HCR_EL2.En = 1 and MISR != 0.
#[test]
fn test_misr_eisr_elrsr_maintenance() {
    let mut g = gic();
    ich_w(&mut g, ICH_VMCR, vmcr(0xF8, 2, 3, false, false, true));
    // U: UIE and at most one valid LR. NP: NPIE and no pending LR.
    ich_w(&mut g, ICH_HCR, UIE | NPIE);
    assert_eq!(ich_r(&mut g, ICH_MISR), 0b1010);
    // Not enabled (En = 0): no maintenance interrupt.
    assert_eq!(mmio_r(&mut g, GICR0_ISPENDR0) >> 25 & 1, 0);
    ich_w(&mut g, ICH_HCR, EN | UIE | NPIE);
    assert_eq!(mmio_r(&mut g, GICR0_ISPENDR0) >> 25 & 1, 1, "PPI 25 pending");
    ich_w(&mut g, ich_lr(0), lr(1, false, true, 0x80, 0, 40) | LR_EOI);
    ich_w(&mut g, ich_lr(1), lr(1, false, true, 0x90, 0, 41));
    // Two valid LRs, two pending: no U, no NP.
    assert_eq!(ich_r(&mut g, ICH_MISR), 0);
    assert_eq!(mmio_r(&mut g, GICR0_ISPENDR0) >> 25 & 1, 0);
    // EOI of the LR with EOI = 1 (HW = 0): EISR bit 0, MISR.EOI; LR0 is not in ELRSR.
    assert_eq!(el1_r(&mut g, IMO, IAR1), 40);
    el1_w(&mut g, IMO, EOIR1, 40);
    assert_eq!(ich_r(&mut g, ICH_EISR), 0b0001);
    assert_eq!(ich_r(&mut g, ICH_ELRSR), 0b1100);
    // One valid LR now (LR1): U too.
    assert_eq!(ich_r(&mut g, ICH_MISR), 0b0011);
    assert_eq!(mmio_r(&mut g, GICR0_ISPENDR0) >> 25 & 1, 1);
    // The hypervisor cleans the LR: EOI condition gone.
    ich_w(&mut g, ich_lr(0), 0);
    assert_eq!(ich_r(&mut g, ICH_EISR), 0);
    assert_eq!(ich_r(&mut g, ICH_MISR), 0b0010);
    // LRENP: LRENPIE and EOIcount != 0.
    ich_w(&mut g, ICH_HCR, EN | LRENPIE | 2 << 27);
    assert_eq!(ich_r(&mut g, ICH_MISR), 0b0100);
    // VGrp{0,1}{E,D}: VENG0 = 0, VENG1 = 1 -> VGrp0D and VGrp1E.
    ich_w(&mut g, ICH_HCR, EN | VGRP0EIE | VGRP0DIE | VGRP1EIE | VGRP1DIE);
    assert_eq!(ich_r(&mut g, ICH_MISR), 1 << 5 | 1 << 6);
    ich_w(&mut g, ICH_HCR, 0);
    assert_eq!(ich_r(&mut g, ICH_MISR), 0);
    assert_eq!(mmio_r(&mut g, GICR0_ISPENDR0) >> 25 & 1, 0);
}

/// The virtual IRQ output (IHI 0069 chapter 6: a pending LR of an enabled group (VENG1), with
/// priority above VPMR and the virtual running priority, ICH_HCR_EL2.En = 1).
#[test]
fn test_virq_output_masking() {
    let mut g = gic();
    ich_w(&mut g, ich_lr(0), lr(1, false, true, 0x80, 0, 40));
    ich_w(&mut g, ICH_VMCR, vmcr(0xF8, 2, 3, false, false, true));
    assert_eq!(g.virq_levels(0), (false, false), "En = 0");
    ich_w(&mut g, ICH_HCR, EN);
    assert_eq!(g.virq_levels(0), (true, false));
    assert_eq!(g.virq_levels(1), (false, false), "other CPU");
    ich_w(&mut g, ICH_VMCR, vmcr(0xF8, 2, 3, false, false, false));
    assert_eq!(g.virq_levels(0), (false, false), "VENG1 = 0");
    assert_eq!(el1_r(&mut g, IMO, IAR1), 1023);
    // VPMR = 0x80: priority 0x80 is not higher; 0x88 lets it through.
    ich_w(&mut g, ICH_VMCR, vmcr(0x80, 2, 3, false, false, true));
    assert_eq!(g.virq_levels(0), (false, false), "VPMR");
    el1_w(&mut g, IMO, PMR, 0x88);
    assert_eq!(ich_r(&mut g, ICH_VMCR) >> 24, 0x88);
    assert_eq!(g.virq_levels(0), (true, false));
    // Active priority 0x80 in AP1R0 (bit 16) masks it (group priority not higher).
    ich_w(&mut g, ICH_AP1R0, 1 << 16);
    assert_eq!(g.virq_levels(0), (false, false), "running priority");
    ich_w(&mut g, ICH_AP1R0, 0);
    // Active LR (not pending): no output.
    ich_w(&mut g, ich_lr(0), lr(2, false, true, 0x80, 0, 40));
    assert_eq!(g.virq_levels(0), (false, false));
}

/// Which register an EL1 access reaches (IHI 0069 §12.3 ICV_* "Configurations": Group 1
/// registers with HCR_EL2.IMO, Group 0 with FMO, CTLR/PMR/RPR/DIR with either), the
/// ICC_SGI1R_EL1 trap (IMO or FMO) and ICH_HCR_EL2.TALL1.
#[test]
fn test_icv_redirection_and_traps() {
    let mut g = gic();
    // Physical PMR = 0xF0 at EL1 without IMO/FMO.
    el1_w(&mut g, 0, PMR, 0xF0);
    ich_w(&mut g, ICH_VMCR, vmcr(0x40, 2, 3, false, false, true));
    assert_eq!(el1_r(&mut g, 0, PMR), 0xF0);
    assert_eq!(el1_r(&mut g, IMO, PMR), 0x40);
    assert_eq!(el1_r(&mut g, FMO, PMR), 0x40, "common register: either bit");
    // ICV_IGRPEN1 is VMCR.VENG1 with IMO; the physical one without.
    assert_eq!(el1_r(&mut g, IMO, IGRPEN1), 1);
    el1_w(&mut g, FMO, IGRPEN1, 0);
    assert_eq!(ich_r(&mut g, ICH_VMCR) & 2, 2, "FMO alone: physical ICC_IGRPEN1");
    el1_w(&mut g, IMO, IGRPEN1, 0);
    assert_eq!(ich_r(&mut g, ICH_VMCR) & 2, 0);
    // At EL2 the physical registers are accessed whatever HCR_EL2 says.
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL2, IMO, PMR, None), IccOutcome::Value(0xF0));
    // ICV_BPR1: minimum 3; with VCBPR it reads VBPR0 + 1 and ignores writes.
    el1_w(&mut g, IMO, BPR1, 0);
    assert_eq!(el1_r(&mut g, IMO, BPR1), 3);
    el1_w(&mut g, IMO | FMO, BPR0, 4);
    el1_w(&mut g, IMO, CTLR, 1);
    assert_eq!(el1_r(&mut g, IMO, BPR1), 5);
    el1_w(&mut g, IMO, BPR1, 7);
    assert_eq!(ich_r(&mut g, ICH_VMCR) >> 18 & 7, 3);
    // SGI generation from a guest traps to EL2.
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL1, IMO, SGI1R, Some(1)), IccOutcome::Trap(2));
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL1, 0, SGI1R, Some(1)), IccOutcome::Value(0));
    // TALL1: Group 1 registers trap, common ones do not.
    ich_w(&mut g, ICH_HCR, TALL1);
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL1, IMO, IAR1, None), IccOutcome::Trap(2));
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL1, IMO, PMR, None), IccOutcome::Value(0x40));
    // TC: the common registers (CTLR, DIR, PMR, RPR, SGI*R) trap, also when IMO = FMO = 0
    // (with EL2 enabled: some HCR_EL2 bit set, here RW).
    ich_w(&mut g, ICH_HCR, TC);
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL1, IMO, PMR, None), IccOutcome::Trap(2));
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL1, 1 << 31, RPR, None), IccOutcome::Trap(2));
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL1, 1 << 31, SGI1R, Some(1)), IccOutcome::Trap(2));
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL1, 1 << 31, IAR1, None), IccOutcome::Value(1023));
    // Not at EL2.
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL2, 1 << 31, PMR, None), IccOutcome::Value(0xF0));
}

/// A vLPI (vINTID >= 8192) has no active state: ICV_IAR1 makes its LR invalid (and sets
/// the active priority); its EOI drops the priority and, finding no LR, does not count in
/// EOIcount (IHI 0069 ICV_IAR1_EL1 / ICH_HCR_EL2.EOIcount; Linux's KVM emulation of
/// ICV_EOIR1 in vgic-v3-sr.c does the same: "Do not bump EOIcount for LPIs").
#[test]
fn test_vlpi_ack_and_eoi() {
    let mut g = gic();
    ich_w(&mut g, ICH_HCR, EN);
    ich_w(&mut g, ICH_VMCR, vmcr(0xF8, 2, 3, false, false, true));
    ich_w(&mut g, ich_lr(0), lr(1, false, true, 0x20, 0, 8200));
    assert_eq!(el1_r(&mut g, IMO, IAR1), 8200);
    assert_eq!(ich_r(&mut g, ich_lr(0)), lr(0, false, true, 0x20, 0, 8200));
    assert_eq!(ich_r(&mut g, ICH_AP1R0), 1 << 4);
    el1_w(&mut g, IMO, EOIR1, 8200);
    assert_eq!(ich_r(&mut g, ICH_AP1R0), 0);
    assert_eq!(ich_r(&mut g, ICH_HCR), EN, "EOIcount unchanged");
}

/// Preemption uses the group priority of the virtual binary point (IHI 0069 §4.8 and the
/// ICV_* pseudo-code's VPriorityGroup: Group 1 with VCBPR = 0 uses VBPR1 - 1, i.e. the
/// mask Ones(8 - VBPR1):Zeros(VBPR1)), so with VBPR1 = 5 priorities 0x48 and 0x50 are in
/// the same group (0x40) and 0x48 cannot preempt an active 0x50; with VBPR1 = 3 (mask
/// 0xF8) it can.
#[test]
fn test_binary_point_decides_virtual_preemption() {
    for (vbpr1, rpr, apr_bit, preempts) in [(5u64, 0x40u64, 8u32, false), (3, 0x50, 10, true)] {
        let mut g = gic();
        ich_w(&mut g, ICH_HCR, EN);
        ich_w(&mut g, ICH_VMCR, vmcr(0xF8, 2, vbpr1, false, false, true));
        ich_w(&mut g, ich_lr(0), lr(1, false, true, 0x50, 0, 40));
        assert_eq!(el1_r(&mut g, IMO, IAR1), 40, "VBPR1 {vbpr1}");
        // The active priority bit is the group priority >> 3 (5 preemption bits).
        assert_eq!(ich_r(&mut g, ICH_AP1R0), 1 << apr_bit, "VBPR1 {vbpr1}");
        assert_eq!(el1_r(&mut g, IMO, RPR), rpr, "VBPR1 {vbpr1}");
        ich_w(&mut g, ich_lr(1), lr(1, false, true, 0x48, 0, 41));
        assert_eq!(g.virq_levels(0), (preempts, false), "VBPR1 {vbpr1}");
        assert_eq!(el1_r(&mut g, IMO, IAR1), if preempts { 41 } else { 1023 }, "VBPR1 {vbpr1}");
        // HPPIR1 reports the highest-priority pending LR either way.
        if !preempts {
            assert_eq!(el1_r(&mut g, IMO, HPPIR1), 41);
        }
    }
}

/// ICH_HCR_EL2.TALL0 traps the Group 0 ICC/ICV registers to EL2 and leaves Group 1 ones
/// alone (IHI 0069 ICH_HCR_EL2.TALL0); ICV_CTLR_EL1.EOImode [1] is ICH_VMCR_EL2.VEOIM [9] and
/// CBPR [0] is VCBPR [4] (IHI 0069 ICV_CTLR_EL1).
#[test]
fn test_tall0_and_icv_ctlr_aliases() {
    let mut g = gic();
    ich_w(&mut g, ICH_HCR, EN | 1 << 11);
    ich_w(&mut g, ICH_VMCR, vmcr(0xF8, 2, 3, false, true, true));
    for r in [IAR0, EOIR0, BPR0] {
        let w = if r == EOIR0 { Some(0) } else { None };
        assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL1, IMO | FMO, r, w), IccOutcome::Trap(2), "{r:?}");
    }
    assert_eq!(el1_r(&mut g, IMO | FMO, IAR1), 1023);
    // TALL0 traps "Non-secure EL1 accesses to ICC_* and ICV_*" Group 0 registers: without
    // FMO (the physical ICC_BPR0_EL1) too, as long as EL2 is enabled.
    assert_eq!(g.icc_access_virt(0, CpuCtx::NS_EL1, IMO, BPR0, None), IccOutcome::Trap(2));
    // Not at EL2.
    assert!(matches!(g.icc_access_virt(0, CpuCtx::NS_EL2, IMO, BPR0, None), IccOutcome::Value(_)));
    el1_w(&mut g, IMO, CTLR, 2);
    assert_eq!(ich_r(&mut g, ICH_VMCR) >> 9 & 1, 1, "EOImode -> VEOIM");
    assert_eq!(ich_r(&mut g, ICH_VMCR) >> 4 & 1, 0);
    assert_eq!(el1_r(&mut g, IMO, CTLR) & 3, 2);
    el1_w(&mut g, IMO, CTLR, 1);
    assert_eq!(ich_r(&mut g, ICH_VMCR) >> 9 & 1, 0);
    assert_eq!(ich_r(&mut g, ICH_VMCR) >> 4 & 1, 1, "CBPR -> VCBPR");
}
