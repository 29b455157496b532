//! Register-level tests of the GIC-500 model. Expected values come from the GICv3
//! architecture specification (Arm IHI 0069, cited by register name / section) and the
//! GIC-500 TRM (Arm DDI 0516); they are written out by hand, not computed by the model.

#![allow(clippy::identity_op, clippy::erasing_op)]

use super::*;
use crate::IrqLine;

// ICC encodings (op0, op1, CRn, CRm, op2), IHI 0069 §12.1 "AArch64 System register
// encodings" / Arm ARM system register index.
const PMR: SysRegId = SysRegId::new(3, 0, 4, 6, 0);
const IAR0: SysRegId = SysRegId::new(3, 0, 12, 8, 0);
const EOIR0: SysRegId = SysRegId::new(3, 0, 12, 8, 1);
const AP0R0: SysRegId = SysRegId::new(3, 0, 12, 8, 4);
const AP0R1: SysRegId = SysRegId::new(3, 0, 12, 8, 5);
const AP1R0: SysRegId = SysRegId::new(3, 0, 12, 9, 0);
const DIR: SysRegId = SysRegId::new(3, 0, 12, 11, 1);
const RPR: SysRegId = SysRegId::new(3, 0, 12, 11, 3);
const SGI1R: SysRegId = SysRegId::new(3, 0, 12, 11, 5);
const SGI0R: SysRegId = SysRegId::new(3, 0, 12, 11, 7);
const IAR1: SysRegId = SysRegId::new(3, 0, 12, 12, 0);
const EOIR1: SysRegId = SysRegId::new(3, 0, 12, 12, 1);
const HPPIR1: SysRegId = SysRegId::new(3, 0, 12, 12, 2);
const BPR1: SysRegId = SysRegId::new(3, 0, 12, 12, 3);
const CTLR: SysRegId = SysRegId::new(3, 0, 12, 12, 4);
const SRE: SysRegId = SysRegId::new(3, 0, 12, 12, 5);
const IGRPEN0: SysRegId = SysRegId::new(3, 0, 12, 12, 6);
const IGRPEN1: SysRegId = SysRegId::new(3, 0, 12, 12, 7);
const SRE_EL2: SysRegId = SysRegId::new(3, 4, 12, 9, 5);
const ICH_HCR_EL2: SysRegId = SysRegId::new(3, 4, 12, 11, 0);
const CTLR_EL3: SysRegId = SysRegId::new(3, 6, 12, 12, 4);
const IGRPEN1_EL3: SysRegId = SysRegId::new(3, 6, 12, 12, 7);

const NS: CpuCtx = CpuCtx::NS_EL1;

fn new_gic(ds: bool) -> (Gic, Arc<IrqBank>) {
    let bank = IrqBank::new(256);
    let mut cfg = GicConfig::ls2088a();
    cfg.security_disabled = ds;
    (Gic::new(&cfg, bank.clone()), bank)
}

/// The usual Linux situation: DS = 0, firmware did the Secure set-up.
fn linux_gic() -> (Gic, Arc<IrqBank>) {
    let (mut g, b) = new_gic(false);
    g.el3_firmware_init();
    (g, b)
}

fn rd(g: &mut Gic, off: u64) -> u64 {
    let mut sched = crate::Scheduler::default();
    let mut cx = DevCtx { now: 0, sched: &mut sched };
    g.read(&mut cx, off, Size::B4).unwrap()
}
fn wr(g: &mut Gic, off: u64, v: u64) {
    let mut sched = crate::Scheduler::default();
    let mut cx = DevCtx { now: 0, sched: &mut sched };
    g.write(&mut cx, off, Size::B4, v).unwrap()
}
fn rds(g: &mut Gic, off: u64) -> u64 {
    g.read_attr(off, Size::B4, true).unwrap()
}
fn wrs(g: &mut Gic, off: u64, v: u64) {
    g.write_attr(off, Size::B4, v, true).unwrap()
}
fn mrs(g: &mut Gic, cpu: usize, ctx: CpuCtx, r: SysRegId) -> u64 {
    g.icc_access(cpu, ctx, r, None).unwrap()
}
fn msr(g: &mut Gic, cpu: usize, ctx: CpuCtx, r: SysRegId, v: u64) {
    g.icc_access(cpu, ctx, r, Some(v)).unwrap();
}

/// GICR RD_base / SGI_base offsets of `cpu` in the window.
fn rd_base(cpu: u64) -> u64 {
    0x10_0000 + cpu * 0x2_0000
}
fn sgi_base(cpu: u64) -> u64 {
    rd_base(cpu) + 0x1_0000
}

/// Enables the CPU interface of `cpu` like Linux (PMR 0xF0, IGRPEN1 = 1).
fn cpu_on(g: &mut Gic, cpu: usize) {
    msr(g, cpu, NS, PMR, 0xf0);
    msr(g, cpu, NS, IGRPEN1, 1);
}

/// Makes SPI `intid` (>= 32) enabled with a Secure-written priority, routed to `aff`.
fn spi_setup(g: &mut Gic, intid: u64, prio: u8, aff: u64) {
    g.write_attr(0x400 + intid, Size::B1, prio as u64, true).unwrap();
    g.write_attr(0x6000 + 8 * intid, Size::B8, aff, true).unwrap();
    wr(g, 0x100 + intid / 32 * 4, 1 << (intid % 32));
}

fn spi_line(b: &Arc<IrqBank>, intid: u32) -> IrqLine {
    IrqLine::new(b.clone(), intid - 32)
}

// ---- identification ------------------------------------------------------------------

#[test]
fn test_pidr2_archrev_is_gicv3() {
    // IHI 0069 §12.9 GICD_PIDR2 / §12.10 GICR_PIDR2: ArchRev [7:4] = 0x3 for GICv3.
    let (mut g, _) = new_gic(false);
    assert_eq!(rd(&mut g, 0xFFE8) >> 4 & 0xf, 3);
    for cpu in 0..8 {
        assert_eq!(rd(&mut g, rd_base(cpu) + 0xFFE8) >> 4 & 0xf, 3);
    }
    // GIC-500 TRM: GICD_PIDR0 = 0x92, GICR_PIDR0 = 0x93, CIDR0..3 = 0x0D, 0xF0, 0x05, 0xB1.
    assert_eq!(rd(&mut g, 0xFFE0), 0x92);
    assert_eq!(rd(&mut g, rd_base(0) + 0xFFE0), 0x93);
    assert_eq!(
        [rd(&mut g, 0xFFF0), rd(&mut g, 0xFFF4), rd(&mut g, 0xFFF8), rd(&mut g, 0xFFFC)],
        [0x0D, 0xF0, 0x05, 0xB1]
    );
}

#[test]
fn test_iidr_is_gic500() {
    // GIC-500 TRM: GICD_IIDR = GICR_IIDR = 0x0200043B (r1p1? ProductID 0, Arm 0x43B).
    let (mut g, _) = new_gic(false);
    assert_eq!(rd(&mut g, 0x0008), 0x0200_043B);
    assert_eq!(rd(&mut g, rd_base(3) + 0x0004), 0x0200_043B);
}

#[test]
fn test_gicd_typer_ls2088a() {
    // IHI 0069 GICD_TYPER: ITLinesNumber [4:0] = 256/32 = 8 (INTIDs up to 287),
    // CPUNumber [7:5] = 7, SecurityExtn [10] = 1 with DS = 0, LPIS [17] = 1,
    // IDbits [23:19] = 15 (16 bits), MBIS [16] = 0.
    let (mut g, _) = new_gic(false);
    assert_eq!(rd(&mut g, 0x0004), 0x007A_04E8);
    let (mut g, _) = new_gic(true);
    assert_eq!(rd(&mut g, 0x0004), 0x007A_00E8, "SecurityExtn = 0 with DS = 1");
    assert_eq!(rd(&mut g, 0x000C), 0, "GICD_TYPER2 RAZ");
}

// ---- GICD_CTLR ----------------------------------------------------------------------

#[test]
fn test_gicd_ctlr_secure_and_nonsecure_views() {
    // IHI 0069 GICD_CTLR, DS = 0. Secure view: ARE_NS [5], ARE_S [4] (RAO on the GIC-500),
    // EnableGrp1S [2], EnableGrp1NS [1], EnableGrp0 [0]. Non-secure view: ARE_NS [4],
    // EnableGrp1A [1].
    let (mut g, _) = new_gic(false);
    assert_eq!(rds(&mut g, 0), 0x30);
    assert_eq!(rd(&mut g, 0), 0x10);
    wrs(&mut g, 0, 0x07);
    assert_eq!(rds(&mut g, 0), 0x37);
    assert_eq!(rd(&mut g, 0), 0x12);
    wr(&mut g, 0, 0); // NS write clears EnableGrp1NS only
    assert_eq!(rds(&mut g, 0), 0x35);
    wr(&mut g, 0, 0x13); // what Linux writes: ARE_NS | EnableGrp1A | EnableGrp1
    assert_eq!(rds(&mut g, 0), 0x37);
    assert_eq!(rd(&mut g, 0) & 0x8000_0000, 0, "RWP reads 0");
}

#[test]
fn test_gicd_ctlr_ds_set_by_secure_write() {
    // IHI 0069 GICD_CTLR.DS [6]: written by Secure accesses; with DS = 1 the register
    // has one view: DS [6], ARE [4], EnableGrp1 [1], EnableGrp0 [0].
    let (mut g, _) = new_gic(false);
    wr(&mut g, 0, 0x40); // Non-secure: no DS bit in its view
    assert_eq!(rds(&mut g, 0) & 0x40, 0);
    wrs(&mut g, 0, 0x40 | 0x3);
    assert_eq!(rd(&mut g, 0), 0x53);
    assert_eq!(rd(&mut g, 0x4) & (1 << 10), 0, "SecurityExtn = 0 once DS = 1");
}

// ---- set/clear registers ---------------------------------------------------------------

#[test]
fn test_isenabler_icenabler_set_clear() {
    // IHI 0069 GICD_ISENABLER<n>/ICENABLER<n>: write 1 sets/clears, 0 no effect; both
    // read the enable state.
    let (mut g, _) = linux_gic();
    wr(&mut g, 0x104, 0x5);
    wr(&mut g, 0x104, 0x0);
    assert_eq!(rd(&mut g, 0x104), 0x5);
    assert_eq!(rd(&mut g, 0x184), 0x5);
    wr(&mut g, 0x184, 0x1);
    assert_eq!(rd(&mut g, 0x104), 0x4);
    // INTIDs 0-31 in the distributor are RAZ/WI with affinity routing.
    wr(&mut g, 0x100, 0xffff_ffff);
    assert_eq!(rd(&mut g, 0x100), 0);
    // Redistributor SGI_base ISENABLER0 is per CPU.
    wr(&mut g, sgi_base(2) + 0x100, 1 << 30);
    assert_eq!(rd(&mut g, sgi_base(2) + 0x100), 1 << 30);
    assert_eq!(rd(&mut g, sgi_base(1) + 0x100), 0);
    wr(&mut g, sgi_base(2) + 0x180, 1 << 30);
    assert_eq!(rd(&mut g, sgi_base(2) + 0x100), 0);
}

#[test]
fn test_ispendr_icpendr_level_interrupt() {
    // IHI 0069 §4.1.2 / GICD_ICPENDR: for a level-sensitive interrupt, the pending state
    // follows the input while it is asserted; ICPENDR clears only the software latch.
    let (mut g, b) = linux_gic();
    let l = spi_line(&b, 40);
    assert_eq!(rd(&mut g, 0x204) & (1 << 8), 0);
    l.set_level(true);
    assert_eq!(rd(&mut g, 0x204) & (1 << 8), 1 << 8);
    wr(&mut g, 0x284, 1 << 8);
    assert_eq!(rd(&mut g, 0x204) & (1 << 8), 1 << 8, "line still high");
    l.set_level(false);
    assert_eq!(rd(&mut g, 0x204) & (1 << 8), 0);
    wr(&mut g, 0x204, 1 << 8); // software pending
    assert_eq!(rd(&mut g, 0x284) & (1 << 8), 1 << 8);
    wr(&mut g, 0x284, 1 << 8);
    assert_eq!(rd(&mut g, 0x204) & (1 << 8), 0);
}

#[test]
fn test_isactiver_icactiver_set_clear() {
    // IHI 0069 GICD_ISACTIVER<n>/ICACTIVER<n>, GICR_ISACTIVER0/ICACTIVER0.
    let (mut g, _) = linux_gic();
    wr(&mut g, 0x308, 0x8000_0001);
    assert_eq!(rd(&mut g, 0x308), 0x8000_0001);
    assert_eq!(rd(&mut g, 0x388), 0x8000_0001);
    wr(&mut g, 0x388, 0x1);
    assert_eq!(rd(&mut g, 0x308), 0x8000_0000);
    wr(&mut g, sgi_base(7) + 0x300, 0x3);
    assert_eq!(rd(&mut g, sgi_base(7) + 0x300), 0x3);
    wr(&mut g, sgi_base(7) + 0x380, 0x1);
    assert_eq!(rd(&mut g, sgi_base(7) + 0x300), 0x2);
}

#[test]
fn test_igroupr_igrpmodr_secure_only() {
    // IHI 0069 GICD_IGROUPR<n>, GICD_IGRPMODR<n>: with DS = 0, RAZ/WI for Non-secure
    // accesses.
    let (mut g, _) = new_gic(false);
    wr(&mut g, 0x84, 0xffff_ffff);
    assert_eq!(rds(&mut g, 0x84), 0);
    assert_eq!(rd(&mut g, 0x84), 0);
    wrs(&mut g, 0x84, 0xf0f0_f0f0);
    assert_eq!(rds(&mut g, 0x84), 0xf0f0_f0f0);
    assert_eq!(rd(&mut g, 0x84), 0, "NS reads RAZ");
    wrs(&mut g, 0xD04, 0x1);
    assert_eq!(rds(&mut g, 0xD04), 0x1);
    assert_eq!(rd(&mut g, 0xD04), 0);
    // With DS = 1, IGROUPR is accessible and IGRPMODR is RAZ/WI.
    let (mut g, _) = new_gic(true);
    wr(&mut g, 0x84, 0xffff_ffff);
    assert_eq!(rd(&mut g, 0x84), 0xffff_ffff);
    wr(&mut g, 0xD04, 0x1);
    assert_eq!(rd(&mut g, 0xD04), 0);
}

#[test]
fn test_ns_access_to_secure_interrupt_is_raz_wi() {
    // IHI 0069 §4.8 / GICD_ISENABLER<n>: with DS = 0, bits of Secure (Group 0 / Group 1
    // Secure) interrupts are RAZ/WI for Non-secure accesses.
    let (mut g, _) = new_gic(false); // everything Group 0 after reset
    wr(&mut g, 0x104, 0x3);
    assert_eq!(rds(&mut g, 0x104), 0);
    wrs(&mut g, 0x84, 0x2); // INTID 33 Group 1 NS
    wr(&mut g, 0x104, 0x3);
    assert_eq!(rds(&mut g, 0x104), 0x2);
    wrs(&mut g, 0x104, 0x1);
    assert_eq!(rd(&mut g, 0x104), 0x2, "NS read hides the Secure interrupt's bit");
}

#[test]
fn test_ipriorityr_byte_access_and_implemented_bits() {
    // IHI 0069 GICD_IPRIORITYR<n>: byte-accessible; GIC-500 implements 5 priority bits, so
    // bits [2:0] are RAZ/WI.
    let (mut g, _) = new_gic(false);
    g.write_attr(0x400 + 35, Size::B1, 0xff, true).unwrap();
    g.write_attr(0x400 + 36, Size::B1, 0x47, true).unwrap();
    assert_eq!(g.read_attr(0x400 + 35, Size::B1, true).unwrap(), 0xf8);
    assert_eq!(rds(&mut g, 0x420), 0xf800_0000, "INTID 35 = byte 3 of IPRIORITYR8");
    assert_eq!(rds(&mut g, 0x424), 0x0000_0040);
    wrs(&mut g, 0x428, 0x1122_3344);
    assert_eq!(rds(&mut g, 0x428), 0x1020_3040);
    // INTIDs 0-31 in GICD: RAZ/WI; in GICR: per CPU.
    wrs(&mut g, 0x400, 0xffff_ffff);
    assert_eq!(rds(&mut g, 0x400), 0);
    g.write_attr(sgi_base(1) + 0x41E, Size::B1, 0x80, true).unwrap();
    assert_eq!(rds(&mut g, sgi_base(1) + 0x41C), 0x0080_0000);
    assert_eq!(rds(&mut g, sgi_base(0) + 0x41C), 0);
}

#[test]
fn test_ipriorityr_nonsecure_view() {
    // IHI 0069 §4.8.6: with DS = 0, a Non-secure write of priority v to a Non-secure
    // Group 1 interrupt stores (v >> 1) | 0x80; a Non-secure read returns (stored << 1).
    let (mut g, _) = linux_gic();
    g.write(&mut DevCtx { now: 0, sched: &mut crate::Scheduler::default() }, 0x400 + 40, Size::B1, 0xa0).unwrap();
    assert_eq!(g.read_attr(0x400 + 40, Size::B1, true).unwrap(), 0xd0);
    assert_eq!(g.read_attr(0x400 + 40, Size::B1, false).unwrap(), 0xa0);
}

#[test]
fn test_icfgr_edge_level_and_sgi_readonly() {
    // IHI 0069 GICD_ICFGR<n>: Int_config[1] (odd bit) = 1 edge-triggered. GICR_ICFGR0 (SGIs)
    // is RO, reads 0b10 per SGI (0xAAAAAAAA).
    let (mut g, _) = linux_gic();
    assert_eq!(rd(&mut g, sgi_base(0) + 0xC00), 0xAAAA_AAAA);
    wr(&mut g, sgi_base(0) + 0xC00, 0);
    assert_eq!(rd(&mut g, sgi_base(0) + 0xC00), 0xAAAA_AAAA);
    wr(&mut g, 0xC08, 0x8000_0002); // INTIDs 32 and 47 edge
    assert_eq!(rd(&mut g, 0xC08), 0x8000_0002);
    wr(&mut g, 0xC08, 0x1); // bit 0 (Int_config[0]) is RES0
    assert_eq!(rd(&mut g, 0xC08), 0);
    wr(&mut g, sgi_base(0) + 0xC04, 0x2000_0000); // PPI 30 edge
    assert_eq!(rd(&mut g, sgi_base(0) + 0xC04), 0x2000_0000);
    // GICD_ICFGR0/1 (INTIDs 0-31) RAZ/WI with affinity routing.
    assert_eq!(rd(&mut g, 0xC00), 0);
}

#[test]
fn test_irouter_64bit_and_halves() {
    // IHI 0069 GICD_IROUTER<n> at 0x6000 + 8n: Aff3 [39:32], IRM [31], Aff2 [23:16],
    // Aff1 [15:8], Aff0 [7:0]; other bits RES0. 64-bit and 32-bit accesses.
    let (mut g, _) = linux_gic();
    let off = 0x6000 + 8 * 100;
    g.write_attr(off, Size::B8, 0xffff_ffff_ffff_ffff, false).unwrap();
    assert_eq!(g.read_attr(off, Size::B8, false).unwrap(), 0x0000_00ff_80ff_ffff);
    wr(&mut g, off, 0x0000_0301);
    assert_eq!(rd(&mut g, off), 0x301);
    assert_eq!(rd(&mut g, off + 4), 0xff);
    // IROUTER<0..31> are reserved.
    assert_eq!(g.read_attr(0x6000 + 8 * 5, Size::B8, true), Err(MmioError::NoRegister));
}

// ---- redistributors ----------------------------------------------------------------------

#[test]
fn test_gicr_typer_ls2088a_cpus() {
    // IHI 0069 GICR_TYPER: Affinity_Value [63:32] = Aff3.Aff2.Aff1.Aff0 of the PE,
    // Processor_Number [23:8], Last [4] on the last redistributor, PLPIS [0] = 1;
    // VLPIS [1], DirectLPI [3] = 0 on the GIC-500. MPIDRs from the LS2088A RDB DTB.
    let want: [u64; 8] = [
        0x0000_0000_0000_0001,
        0x0000_0001_0000_0101,
        0x0000_0100_0000_0201,
        0x0000_0101_0000_0301,
        0x0000_0200_0000_0401,
        0x0000_0201_0000_0501,
        0x0000_0300_0000_0601,
        0x0000_0301_0000_0711,
    ];
    let (mut g, _) = new_gic(false);
    for (cpu, w) in want.iter().enumerate() {
        let off = rd_base(cpu as u64) + 8;
        assert_eq!(g.read_attr(off, Size::B8, false).unwrap(), *w, "cpu {cpu}");
        assert_eq!(rd(&mut g, off), w & 0xffff_ffff);
        assert_eq!(rd(&mut g, off + 4), w >> 32);
    }
}

#[test]
fn test_gicr_waker_handshake() {
    // IHI 0069 GICR_WAKER: ProcessorSleep [1] resets to 1, ChildrenAsleep [2] reads 1 while
    // the interface is quiescent. Clearing ProcessorSleep wakes it (ChildrenAsleep -> 0).
    // With DS = 0, ProcessorSleep is RAZ/WI to Non-secure accesses.
    let (mut g, _) = new_gic(false);
    let w = rd_base(4) + 0x14;
    assert_eq!(rds(&mut g, w), 0x6);
    assert_eq!(rd(&mut g, w), 0x4);
    wr(&mut g, w, 0); // Non-secure: ignored
    assert_eq!(rds(&mut g, w), 0x6);
    wrs(&mut g, w, 0); // Secure (firmware) wakes it
    assert_eq!(rds(&mut g, w), 0x0);
    assert_eq!(rd(&mut g, w), 0x0, "what Linux polls for");
    wrs(&mut g, w, 0x2);
    assert_eq!(rds(&mut g, w), 0x6);
    // Single security state: Linux's own handshake (gic_enable_redist) works.
    let (mut g, _) = new_gic(true);
    let v = rd(&mut g, w);
    assert_eq!(v, 0x6);
    wr(&mut g, w, v & !0x2);
    assert_eq!(rd(&mut g, w) & 0x4, 0);
}

#[test]
fn test_gicr_sleeping_redistributor_forwards_nothing() {
    // IHI 0069 §11 (power management): while ProcessorSleep = 1 the redistributor does not
    // forward interrupts to the CPU interface.
    let (mut g, _) = new_gic(true);
    wr(&mut g, 0, 0x3);
    wr(&mut g, sgi_base(0) + 0x80, 0xffff_ffff);
    wr(&mut g, sgi_base(0) + 0x100, 1 << 30);
    cpu_on(&mut g, 0);
    g.set_ppi(0, 30, true);
    assert_eq!(g.irq_levels(0), (false, false));
    wr(&mut g, rd_base(0) + 0x14, 0);
    assert_eq!(g.irq_levels(0), (true, false));
}

#[test]
fn test_gicr_ctlr_propbaser_pendbaser() {
    // IHI 0069 GICR_CTLR.EnableLPIs [0]; GICR_PROPBASER/PENDBASER are RO while
    // EnableLPIs = 1. PENDBASER.PTZ [62] is WO (reads 0).
    let (mut g, _) = linux_gic();
    let r = rd_base(1);
    assert_eq!(rd(&mut g, r), 0);
    g.write_attr(r + 0x70, Size::B8, 0x0700_0000_8012_340f | 0x400 | 0x380, false).unwrap();
    assert_eq!(g.read_attr(r + 0x70, Size::B8, false).unwrap(), 0x0700_0000_8012_378f);
    g.write_attr(r + 0x78, Size::B8, 0x4000_0000_8123_0000 | 0x780, false).unwrap();
    assert_eq!(g.read_attr(r + 0x78, Size::B8, false).unwrap(), 0x0000_0000_8123_0780);
    wr(&mut g, r, 1);
    assert_eq!(rd(&mut g, r), 1);
    g.write_attr(r + 0x70, Size::B8, 0, false).unwrap();
    assert_eq!(g.read_attr(r + 0x70, Size::B8, false).unwrap(), 0x0700_0000_8012_378f);
    assert_eq!(rd(&mut g, r + 0xC0), 0, "GICR_SYNCR.Busy = 0");
}

// ---- CPU interface -------------------------------------------------------------------------

#[test]
fn test_icc_iar1_priority_order_and_running_priority() {
    // IHI 0069 §4.1.1 / ICC_IAR1_EL1: the highest-priority pending interrupt is
    // acknowledged; while it is active, only interrupts with a higher group priority
    // than the running priority (ICC_RPR_EL1) are signalled.
    let (mut g, b) = linux_gic();
    cpu_on(&mut g, 0);
    spi_setup(&mut g, 40, 0x80, 0);
    spi_setup(&mut g, 41, 0x40, 0);
    spi_line(&b, 40).set_level(true);
    spi_line(&b, 41).set_level(true);
    assert_eq!(g.irq_levels(0), (true, false));
    assert_eq!(mrs(&mut g, 0, NS, HPPIR1), 41);
    assert_eq!(mrs(&mut g, 0, NS, RPR), 0xff, "idle");
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 41);
    assert_eq!(mrs(&mut g, 0, NS, RPR), 0x40);
    assert_eq!(g.irq_levels(0), (false, false), "0x80 does not preempt 0x40");
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 1023);
    spi_line(&b, 41).set_level(false); // the handler quiets the device
    msr(&mut g, 0, NS, EOIR1, 41);
    assert_eq!(mrs(&mut g, 0, NS, RPR), 0xff);
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 40);
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 1023, "40 is active (and pending)");
    msr(&mut g, 0, NS, EOIR1, 40);
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 40, "level still high: signalled again");
}

#[test]
fn test_icc_pmr_masks_lower_priorities() {
    // IHI 0069 ICC_PMR_EL1: an interrupt is signalled only if its priority is higher
    // (numerically lower) than the mask. 5 implemented bits: [2:0] RAZ/WI.
    let (mut g, b) = linux_gic();
    cpu_on(&mut g, 0);
    spi_setup(&mut g, 50, 0x40, 0);
    spi_line(&b, 50).set_level(true);
    msr(&mut g, 0, NS, PMR, 0x40);
    assert_eq!(g.irq_levels(0), (false, false));
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 1023);
    assert_eq!(mrs(&mut g, 0, NS, HPPIR1), 50, "HPPIR ignores PMR");
    msr(&mut g, 0, NS, PMR, 0x4f);
    assert_eq!(mrs(&mut g, 0, NS, PMR), 0x48);
    assert_eq!(g.irq_levels(0), (true, false));
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 50);
}

#[test]
fn test_icc_eoimode1_split_drop_and_deactivate() {
    // IHI 0069 §4.1.1 / ICC_CTLR_EL1.EOImode [1] = 1: EOIR only drops the running priority,
    // DIR deactivates.
    let (mut g, _) = linux_gic();
    cpu_on(&mut g, 0);
    msr(&mut g, 0, NS, CTLR, 0x2);
    assert_eq!(mrs(&mut g, 0, NS, CTLR) & 0x2, 0x2);
    spi_setup(&mut g, 60, 0xa0, 0);
    wr(&mut g, 0x200 + 60 / 32 * 4, 1 << (60 % 32)); // ISPENDR
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 60);
    msr(&mut g, 0, NS, EOIR1, 60);
    assert_eq!(mrs(&mut g, 0, NS, RPR), 0xff);
    assert_eq!(rd(&mut g, 0x304) & (1 << 28), 1 << 28, "still active");
    msr(&mut g, 0, NS, DIR, 60);
    assert_eq!(rd(&mut g, 0x304) & (1 << 28), 0);
}

#[test]
fn test_icc_eoimode0_eoi_deactivates() {
    let (mut g, _) = linux_gic();
    cpu_on(&mut g, 0);
    spi_setup(&mut g, 60, 0xa0, 0);
    wr(&mut g, 0x204, 1 << 28);
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 60);
    assert_eq!(rd(&mut g, 0x304) & (1 << 28), 1 << 28);
    assert_eq!(rd(&mut g, 0x204) & (1 << 28), 0, "edge/software pending cleared by ack");
    msr(&mut g, 0, NS, EOIR1, 60);
    assert_eq!(rd(&mut g, 0x304) & (1 << 28), 0);
    // Special INTIDs are ignored by EOIR (IHI 0069 §2.2.1).
    msr(&mut g, 0, NS, EOIR1, 1023);
}

#[test]
fn test_icc_bpr1_preemption_and_ap1r() {
    // IHI 0069 §4.8.3: with ICC_BPR1_EL1 = 5 the group priority is bits [7:5]. Active
    // priority 0x40 -> AP1R0 bit (0x40 >> 3) = 8. A pending 0x38 (group 0x20) preempts,
    // 0x50 (group 0x40) does not.
    let (mut g, _) = linux_gic();
    cpu_on(&mut g, 0);
    assert_eq!(mrs(&mut g, 0, NS, BPR1), 3, "reset: minimum BPR0 (2) + 1");
    msr(&mut g, 0, NS, BPR1, 0);
    assert_eq!(mrs(&mut g, 0, NS, BPR1), 3, "writes below the minimum give the minimum");
    msr(&mut g, 0, NS, BPR1, 5);
    spi_setup(&mut g, 33, 0x40, 0);
    spi_setup(&mut g, 34, 0x50, 0);
    spi_setup(&mut g, 35, 0x38, 0);
    wr(&mut g, 0x204, 1 << 1);
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 33);
    assert_eq!(mrs(&mut g, 0, NS, AP1R0), 1 << 8);
    wr(&mut g, 0x204, 1 << 2);
    assert_eq!(g.irq_levels(0), (false, false));
    wr(&mut g, 0x204, 1 << 3);
    assert_eq!(g.irq_levels(0), (true, false));
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 35);
    assert_eq!(mrs(&mut g, 0, NS, AP1R0), 1 << 8 | 1 << 4);
    assert_eq!(mrs(&mut g, 0, NS, RPR), 0x20);
    msr(&mut g, 0, NS, EOIR1, 35);
    assert_eq!(mrs(&mut g, 0, NS, AP1R0), 1 << 8);
}

#[test]
fn test_group0_is_fiq_and_iar0() {
    // IHI 0069 §4.6.2: Group 0 interrupts are signalled as FIQ. ICC_IAR1 does not
    // acknowledge them (1023); ICC_IAR0 does, in Secure state. With DS = 0 a Group 0
    // interrupt is Secure, invisible to Non-secure ICC_IAR0 (CheckGroup0ForSpecialIdentifiers).
    let (mut g, _) = new_gic(false);
    g.el3_firmware_init();
    let s = CpuCtx::S_EL1;
    wrs(&mut g, 0x84, 0); // INTIDs 32-63 back to Group 0
    msr(&mut g, 0, s, PMR, 0xf0);
    msr(&mut g, 0, s, IGRPEN0, 1);
    msr(&mut g, 0, NS, IGRPEN1, 1);
    g.write_attr(0x400 + 45, Size::B1, 0x10, true).unwrap();
    wrs(&mut g, 0x104, 1 << 13);
    wrs(&mut g, 0x204, 1 << 13);
    assert_eq!(g.irq_levels_in(0, NS), (false, true));
    assert_eq!(g.irq_levels_in(0, s), (false, true));
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 1023);
    assert_eq!(mrs(&mut g, 0, NS, IAR0), 1023);
    assert_eq!(mrs(&mut g, 0, s, IAR1), 1023);
    assert_eq!(mrs(&mut g, 0, s, IAR0), 45);
    assert_eq!(mrs(&mut g, 0, s, AP0R0), 1 << 2);
    msr(&mut g, 0, s, EOIR0, 45);
    assert_eq!(mrs(&mut g, 0, s, AP0R0), 0);
    assert_eq!(g.irq_levels(0), (false, false));
    // DS = 1: Group 0 is visible to everybody.
    let (mut g, _) = new_gic(true);
    wr(&mut g, 0, 0x3);
    wr(&mut g, rd_base(0) + 0x14, 0);
    msr(&mut g, 0, NS, PMR, 0xf0);
    msr(&mut g, 0, NS, IGRPEN0, 1);
    wr(&mut g, 0x104, 1 << 13);
    wr(&mut g, 0x204, 1 << 13);
    assert_eq!(g.irq_levels(0), (false, true));
    assert_eq!(mrs(&mut g, 0, NS, IAR0), 45);
}

#[test]
fn test_irq_fiq_by_security_state() {
    // IHI 0069 §4.6.2 table "Interrupt signalling": Group 1 of the current Security state
    // -> IRQ, Group 1 of the other Security state -> FIQ; at EL3 all Group 1 -> FIQ.
    // At EL3, ICC_IAR0_EL1 returns 1021 for a pending Group 1 Non-secure interrupt and
    // 1020 for Group 1 Secure (IHI 0069 §2.2.1).
    let (mut g, _) = new_gic(false);
    g.el3_firmware_init(); // SPI 32..: Group 1 NS
    msr(&mut g, 0, CpuCtx::EL3, IGRPEN1_EL3, 0x3);
    msr(&mut g, 0, NS, PMR, 0xf0);
    spi_setup(&mut g, 70, 0x80, 0);
    wr(&mut g, 0x208, 1 << 6);
    assert_eq!(g.irq_levels_in(0, CpuCtx::NS_EL1), (true, false));
    assert_eq!(g.irq_levels_in(0, CpuCtx::NS_EL2), (true, false));
    assert_eq!(g.irq_levels_in(0, CpuCtx::S_EL1), (false, true));
    assert_eq!(g.irq_levels_in(0, CpuCtx::EL3), (false, true));
    assert_eq!(mrs(&mut g, 0, CpuCtx::EL3, IAR0), 1021);
    assert_eq!(mrs(&mut g, 0, CpuCtx::EL3, HPPIR1), 70, "EL3 sees Group 1 NS via HPPIR1");
    assert_eq!(mrs(&mut g, 0, CpuCtx::S_EL1, IAR1), 1023);
    // Make it Group 1 Secure (IGROUPR = 0, IGRPMODR = 1).
    wrs(&mut g, 0x88, 0);
    wrs(&mut g, 0xD08, 1 << 6);
    assert_eq!(g.irq_levels_in(0, CpuCtx::NS_EL1), (false, true));
    assert_eq!(g.irq_levels_in(0, CpuCtx::S_EL1), (true, false));
    assert_eq!(mrs(&mut g, 0, CpuCtx::EL3, IAR0), 1020);
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 1023);
    assert_eq!(mrs(&mut g, 0, CpuCtx::S_EL1, IAR1), 70);
}

#[test]
fn test_icc_sgi1r_routes_by_affinity() {
    // IHI 0069 ICC_SGI1R_EL1: INTID [27:24], Aff3 [55:48], Aff2 [39:32], Aff1 [23:16],
    // RS [47:44], TargetList [15:0] (bit n = Aff0 16*RS + n), IRM [40] = all but self.
    let (mut g, _) = linux_gic();
    for cpu in 0..8u64 {
        // SGI 0-15 already Group 1 NS; enable them.
        wr(&mut g, sgi_base(cpu) + 0x100, 0xffff);
    }
    for t in 0..8u64 {
        // From CPU 0, SGI 3 to CPU t: Aff1 = cluster t / 2, TargetList bit t % 2.
        let v = 3 << 24 | (t / 2) << 16 | 1 << (t % 2);
        msr(&mut g, 0, NS, SGI1R, v);
        for c in 0..8u64 {
            let p = rd(&mut g, sgi_base(c) + 0x200) & (1 << 3);
            assert_eq!(p != 0, c == t, "target {t}, cpu {c}");
        }
        wr(&mut g, sgi_base(t) + 0x280, 1 << 3);
    }
    // Cluster 2, both cores, SGI 5.
    msr(&mut g, 1, NS, SGI1R, 5 << 24 | 2 << 16 | 0b11);
    let pend: Vec<u64> = (0..8).map(|c| rd(&mut g, sgi_base(c) + 0x200)).collect();
    assert_eq!(pend, [0, 0, 0, 0, 1 << 5, 1 << 5, 0, 0]);
    // RS is RES0 because ICC_CTLR_EL1.RSS = 0 (IHI 0069 ICC_SGI1R_EL1.RS): treated as 0,
    // so TargetList bits 0 and 1 of cluster 0 reach CPUs 0 and 1.
    msr(&mut g, 1, NS, SGI1R, 6 << 24 | 1 << 44 | 0xffff);
    let pend: Vec<bool> = (0..8).map(|c| rd(&mut g, sgi_base(c) + 0x200) & (1 << 6) != 0).collect();
    assert_eq!(pend, [true, true, false, false, false, false, false, false]);
    // IRM = 1: everybody except the sender (CPU 3).
    msr(&mut g, 3, NS, SGI1R, 7 << 24 | 1 << 40);
    let pend: Vec<bool> = (0..8).map(|c| rd(&mut g, sgi_base(c) + 0x200) & (1 << 7) != 0).collect();
    assert_eq!(pend, [true, true, true, false, true, true, true, true]);
}

#[test]
fn test_sgi_group_must_match() {
    // IHI 0069 ICC_SGI0R_EL1 / ICC_SGI1R_EL1 forwarding rules: a Non-secure SGI1R write
    // sets a Group 1 NS SGI pending, but not one configured as Group 0 (NSACR = 0).
    let (mut g, _) = linux_gic();
    wrs(&mut g, sgi_base(1) + 0x80, 0xfffe); // SGI 0 of CPU 1 -> Group 0
    msr(&mut g, 0, NS, SGI1R, 0 << 24 | 0b10);
    assert_eq!(rds(&mut g, sgi_base(1) + 0x200) & 1, 0);
    msr(&mut g, 0, CpuCtx::EL3, SGI0R, 0 << 24 | 0b10);
    assert_eq!(rds(&mut g, sgi_base(1) + 0x200) & 1, 1);
    msr(&mut g, 0, NS, SGI1R, 1 << 24 | 0b10);
    assert_eq!(rds(&mut g, sgi_base(1) + 0x200) & 2, 2);
}

#[test]
fn test_sgi_delivery_and_ack() {
    // An SGI acknowledged through ICC_IAR1_EL1 reads its INTID (no source CPU field with
    // affinity routing, IHI 0069 §2.2.1).
    let (mut g, _) = linux_gic();
    cpu_on(&mut g, 1);
    wr(&mut g, sgi_base(1) + 0x100, 1 << 2);
    msr(&mut g, 0, NS, SGI1R, 2 << 24 | 0b10);
    assert_eq!(g.irq_levels(1), (true, false));
    assert_eq!(g.irq_levels(0), (false, false));
    assert_eq!(mrs(&mut g, 1, NS, IAR1), 2);
    assert_eq!(g.irq_levels(1), (false, false));
    msr(&mut g, 1, NS, EOIR1, 2);
    assert_eq!(rd(&mut g, sgi_base(1) + 0x300), 0);
}

#[test]
fn test_irouter_routes_spi_to_one_cpu() {
    // IHI 0069 §5.1 / GICD_IROUTER with IRM = 0: the SPI goes to the PE with that affinity.
    let (mut g, b) = linux_gic();
    for c in 0..8 {
        cpu_on(&mut g, c);
    }
    spi_setup(&mut g, 100, 0xa0, 0x201); // CPU 5
    spi_line(&b, 100).set_level(true);
    let lv: Vec<bool> = (0..8).map(|c| g.irq_levels(c).0).collect();
    assert_eq!(lv, [false, false, false, false, false, true, false, false]);
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 1023);
    assert_eq!(mrs(&mut g, 5, NS, IAR1), 100);
    // An affinity that names no PE: delivered nowhere.
    spi_setup(&mut g, 101, 0xa0, 0x402);
    spi_line(&b, 101).set_level(true);
    assert!((0..8).all(|c| mrs(&mut g, c, NS, HPPIR1) != 101));
}

#[test]
fn test_irouter_irm_one_of_n() {
    // IHI 0069 §5.1 (1 of N): IRM = 1 lets the GIC pick any participating PE (awake, group
    // enabled). This model picks the lowest-numbered one, deterministically.
    let (mut g, b) = linux_gic();
    for c in 0..8 {
        cpu_on(&mut g, c);
    }
    spi_setup(&mut g, 90, 0xa0, 1 << 31);
    spi_line(&b, 90).set_level(true);
    let lv: Vec<bool> = (0..8).map(|c| g.irq_levels(c).0).collect();
    assert_eq!(lv, [true, false, false, false, false, false, false, false]);
    msr(&mut g, 0, NS, IGRPEN1, 0);
    let lv: Vec<bool> = (0..8).map(|c| g.irq_levels(c).0).collect();
    assert_eq!(lv, [false, true, false, false, false, false, false, false]);
    wrs(&mut g, rd_base(1) + 0x14, 0x2); // CPU 1 asleep
    assert_eq!(mrs(&mut g, 2, NS, IAR1), 90);
}

#[test]
fn test_edge_spi_latches_rising_edge() {
    // IHI 0069 §4.1.2: an edge-triggered interrupt becomes pending on a rising edge and
    // stays pending after the input falls, until acknowledged.
    let (mut g, b) = linux_gic();
    cpu_on(&mut g, 0);
    spi_setup(&mut g, 64, 0xa0, 0);
    wr(&mut g, 0xC10, 0x2); // ICFGR4: INTID 64 edge
    let l = spi_line(&b, 64);
    l.set_level(true);
    assert_eq!(g.irq_levels(0), (true, false), "edge seen before it is latched");
    l.set_level(false);
    // The pulse fell before the GIC sampled its inputs: the bank remembers the edge.
    assert_eq!(g.irq_levels(0), (true, false), "a pulse between two samples is not lost");
    assert_eq!(rd(&mut g, 0x208) & 1, 1, "latched");
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 64);
    assert_eq!(rd(&mut g, 0x208) & 1, 0);
    msr(&mut g, 0, NS, EOIR1, 64);
    l.set_level(true);
    g.sync_inputs();
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 64);
    msr(&mut g, 0, NS, EOIR1, 64);
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 1023, "a level held high is not a new edge");
}

#[test]
fn test_level_spi_active_and_pending() {
    // IHI 0069 §4.1.2: a level-sensitive interrupt acknowledged while its input is still
    // asserted is active and pending; after deactivation it is signalled again.
    let (mut g, b) = linux_gic();
    cpu_on(&mut g, 0);
    spi_setup(&mut g, 80, 0xa0, 0);
    let l = spi_line(&b, 80);
    l.set_level(true);
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 80);
    assert_eq!(rd(&mut g, 0x208) & (1 << 16), 1 << 16);
    assert_eq!(rd(&mut g, 0x308) & (1 << 16), 1 << 16);
    msr(&mut g, 0, NS, EOIR1, 80);
    assert_eq!(g.irq_levels(0), (true, false));
    l.set_level(false);
    assert_eq!(g.irq_levels(0), (false, false));
    assert_eq!(rd(&mut g, 0x208) & (1 << 16), 0);
}

#[test]
fn test_ppi_timer_per_cpu() {
    // PPIs are private: the NS physical timer PPI (INTID 30) of CPU 3 reaches CPU 3 only.
    let (mut g, _) = linux_gic();
    for c in 0..8 {
        cpu_on(&mut g, c);
        wr(&mut g, sgi_base(c as u64) + 0x100, 1 << 30);
    }
    g.set_ppi(3, 30, true);
    let lv: Vec<bool> = (0..8).map(|c| g.irq_levels(c).0).collect();
    assert_eq!(lv, [false, false, false, true, false, false, false, false]);
    assert_eq!(mrs(&mut g, 3, NS, IAR1), 30);
    g.set_ppi(3, 30, false);
    msr(&mut g, 3, NS, EOIR1, 30);
    assert_eq!(g.irq_levels(3), (false, false));
    g.set_ppi(3, 99, true); // not a PPI: ignored
    g.set_ppi(9, 30, true); // no such CPU: ignored
}

#[test]
fn test_icc_ctlr_sre_fields() {
    // Cortex-A72 / GIC-500: ICC_CTLR_EL1.PRIbits [10:8] = 4 (5 bits), IDbits [13:11] = 0
    // (16 bits), A3V [15] = 1. ICC_SRE_EL1: SRE, DFB, DIB RAO/WI.
    let (mut g, _) = linux_gic();
    assert_eq!(mrs(&mut g, 0, NS, CTLR), 0x8400);
    msr(&mut g, 0, NS, CTLR, 0x3);
    assert_eq!(mrs(&mut g, 0, NS, CTLR), 0x8403);
    // EOImode_EL1NS [4], CBPR_EL1NS [1] in ICC_CTLR_EL3 are the same bits.
    assert_eq!(mrs(&mut g, 0, CpuCtx::EL3, CTLR_EL3), 0x8400 | 1 << 4 | 1 << 1);
    assert_eq!(mrs(&mut g, 0, NS, SRE), 0x7);
    msr(&mut g, 0, NS, SRE, 0);
    assert_eq!(mrs(&mut g, 0, NS, SRE), 0x7);
    assert_eq!(mrs(&mut g, 0, CpuCtx::NS_EL2, SRE_EL2), 0xf, "Enable set by the firmware");
}

#[test]
fn test_icc_cbpr_aliases_bpr1() {
    // IHI 0069 ICC_CTLR_EL1.CBPR: BPR0 is used for Group 1 too; BPR1 reads BPR0 + 1
    // (saturated at 7) and writes to it are ignored.
    let (mut g, _) = linux_gic();
    msr(&mut g, 0, NS, CTLR, 0x1);
    msr(&mut g, 0, NS, SysRegId::new(3, 0, 12, 8, 3), 4);
    assert_eq!(mrs(&mut g, 0, NS, BPR1), 5);
    msr(&mut g, 0, NS, BPR1, 7);
    assert_eq!(mrs(&mut g, 0, NS, BPR1), 5);
}

#[test]
fn test_icc_invalid_accesses_are_undefined() {
    // Read of a WO register, write of a RO register, ICH_* (not modelled), ICC_AP0R1_EL1
    // (needs 6+ bits of preemption): all UNDEFINED (None).
    let (mut g, _) = linux_gic();
    assert_eq!(g.icc_access(0, NS, IAR1, Some(0)), None);
    assert_eq!(g.icc_access(0, NS, EOIR1, None), None);
    assert_eq!(g.icc_access(0, NS, SGI1R, None), None);
    assert_eq!(g.icc_access(0, NS, RPR, Some(0)), None);
    assert_eq!(g.icc_access(0, NS, ICH_HCR_EL2, None), None, "ICH_* from EL1");
    assert_eq!(g.icc_access(0, NS, AP0R1, None), None);
    assert_eq!(g.icc_access(8, NS, PMR, None), None, "no such CPU");
}

// ---- invalid accesses, state ------------------------------------------------------------

#[test]
fn test_invalid_offset_and_size() {
    let (mut g, _) = linux_gic();
    let mut sched = crate::Scheduler::default();
    let mut cx = DevCtx { now: 0, sched: &mut sched };
    // Reserved offsets.
    assert_eq!(g.read(&mut cx, 0x0020, Size::B4), Err(MmioError::NoRegister));
    assert_eq!(g.read(&mut cx, 0x8000, Size::B4), Err(MmioError::NoRegister));
    assert_eq!(g.read(&mut cx, rd_base(0) + 0x20, Size::B4), Err(MmioError::NoRegister));
    assert_eq!(g.read(&mut cx, sgi_base(0) + 0x84, Size::B4), Err(MmioError::NoRegister));
    assert_eq!(g.write(&mut cx, sgi_base(0) + 0x500, Size::B4, 0), Err(MmioError::NoRegister));
    assert_eq!(g.read(&mut cx, GITS_OFFSET + 0x20, Size::B4), Err(MmioError::NoRegister), "ITS reserved offset");
    assert_eq!(g.read(&mut cx, WINDOW_SIZE, Size::B4), Err(MmioError::NoRegister));
    // Bad sizes: 32-bit registers accept only 32-bit accesses; IPRIORITYR bytes or words;
    // 64-bit registers 32 or 64.
    assert_eq!(g.read(&mut cx, 0x0000, Size::B1), Err(MmioError::BadSize));
    assert_eq!(g.read(&mut cx, 0x0000, Size::B8), Err(MmioError::BadSize));
    assert_eq!(g.write(&mut cx, 0x0100, Size::B2, 0), Err(MmioError::BadSize));
    assert_eq!(g.read(&mut cx, 0x0400, Size::B2), Err(MmioError::BadSize));
    assert_eq!(g.read(&mut cx, 0x6100, Size::B2), Err(MmioError::BadSize));
    assert_eq!(g.read(&mut cx, rd_base(0) + 0x8, Size::B1), Err(MmioError::BadSize));
    assert_eq!(g.write(&mut cx, rd_base(0) + 0x10, Size::B8, 0), Err(MmioError::BadSize));
    // Unaligned.
    assert_eq!(g.read(&mut cx, 0x0002, Size::B4), Err(MmioError::Unaligned));
    assert_eq!(g.read(&mut cx, 0x6104, Size::B8), Err(MmioError::Unaligned));
}

#[test]
fn test_state_roundtrip() {
    let (mut g, b) = linux_gic();
    cpu_on(&mut g, 2);
    spi_setup(&mut g, 77, 0x90, 0x100);
    wr(&mut g, 0x208, 1 << 13);
    let st = g.state().clone();
    let g2 = Gic::from_state(st.clone(), b);
    assert_eq!(g2.state(), &st);
    assert_eq!(g2.irq_levels(2), (true, false));
}

// ---- Linux 6.1 bring-up replay -------------------------------------------------------------

/// Replays, as Non-secure MMIO and NS EL1 system register accesses, what Linux 6.1's
/// drivers/irqchip/irq-gic-v3.c does at boot (gic_init_bases, gic_dist_init with
/// irq-gic-common.c gic_dist_config, gic_populate_rdist, gic_enable_redist, gic_cpu_init
/// with gic_cpu_config, gic_cpu_sys_reg_init), after the EL3 firmware's GIC set-up, for
/// the boot CPU and CPU 5 (MPIDR 0x201). Then checks the resulting state: a timer PPI, an
/// SPI and an IPI are delivered and handled with split EOI/deactivate.
#[test]
fn test_linux_6_1_init_replay() {
    let (mut g, b) = linux_gic();
    // gic_of_init / gic_validate_dist_version.
    assert_eq!(rd(&mut g, 0xFFE8) & 0xf0, 0x30);
    let typer = rd(&mut g, 0x4);
    let lines = ((typer & 0x1f) + 1) * 32;
    assert_eq!(lines - 32, 256, "\"GICv3: 256 SPIs implemented\"");
    assert_eq!(typer >> 19 & 0x1f, 15);
    assert_ne!(typer & (1 << 17), 0, "LPIs");
    assert_eq!(rd(&mut g, 0x8), 0x0200_043B);
    assert_eq!(rd(&mut g, 0xC), 0);
    // gic_dist_init.
    wr(&mut g, 0, 0);
    assert_eq!(rd(&mut g, 0) & 0x8000_0000, 0);
    for i in (32..lines).step_by(32) {
        wr(&mut g, 0x80 + i / 8, 0xffff_ffff);
    }
    for i in (32..lines).step_by(16) {
        wr(&mut g, 0xC00 + i / 4, 0);
    }
    for i in (32..lines).step_by(4) {
        wr(&mut g, 0x400 + i, 0xa0a0_a0a0);
    }
    for i in (32..lines).step_by(32) {
        wr(&mut g, 0x380 + i / 8, 0xffff_ffff);
        wr(&mut g, 0x180 + i / 8, 0xffff_ffff);
    }
    assert_eq!(rd(&mut g, 0) & 0x8000_0000, 0);
    wr(&mut g, 0, 0x13);
    let mut sched = crate::Scheduler::default();
    let mut cx = DevCtx { now: 0, sched: &mut sched };
    for i in 32..lines {
        g.write(&mut cx, 0x6000 + 8 * i, Size::B8, 0).unwrap();
    }
    for (cpu, mpidr) in [(0usize, 0x000u64), (5, 0x201)] {
        // gic_populate_rdist: walk frames by 128 KiB until Last, match Affinity_Value.
        let mut found = None;
        for f in 0..8u64 {
            assert_eq!(rd(&mut g, rd_base(f) + 0xFFE8) & 0xf0, 0x30);
            let t = g.read(&mut cx, rd_base(f) + 8, Size::B8).unwrap();
            if t >> 32 == mpidr {
                found = Some(f);
                break;
            }
            assert_eq!(t & 0x10 == 0, f < 7);
        }
        let f = found.expect("mpidr has no re-distributor");
        assert_eq!(f as usize, cpu);
        // gic_enable_redist(true).
        let w = rd(&mut g, rd_base(f) + 0x14);
        wr(&mut g, rd_base(f) + 0x14, w & !0x2);
        assert_eq!(rd(&mut g, rd_base(f) + 0x14) & 0x4, 0, "redistributor awake");
        // gic_cpu_init: IGROUPR0 (ignored, DS = 0), gic_cpu_config.
        wr(&mut g, sgi_base(f) + 0x80, 0xffff_ffff);
        wr(&mut g, sgi_base(f) + 0x380, 0xffff_ffff);
        wr(&mut g, sgi_base(f) + 0x180, 0xffff_ffff);
        for i in (0..32).step_by(4) {
            wr(&mut g, sgi_base(f) + 0x400 + i, 0xa0a0_a0a0);
        }
        // gic_cpu_sys_reg_init (booted at EL2: split EOI mode).
        let ctx = CpuCtx::NS_EL1;
        let sre = mrs(&mut g, cpu, ctx, SRE);
        msr(&mut g, cpu, ctx, SRE, sre | 1);
        assert_eq!(mrs(&mut g, cpu, ctx, SRE) & 1, 1, "SRE sticks");
        let pribits = (mrs(&mut g, cpu, ctx, CTLR) >> 8 & 7) + 1;
        assert_eq!(pribits, 5);
        let old = mrs(&mut g, cpu, ctx, PMR);
        msr(&mut g, cpu, ctx, PMR, 1 << (8 - pribits));
        let group0 = mrs(&mut g, cpu, ctx, PMR) != 0;
        msr(&mut g, cpu, ctx, PMR, old);
        assert!(group0, "SCR_EL3.FIQ = 0 view: Linux sees Group 0 access");
        msr(&mut g, cpu, ctx, PMR, 0xf0);
        msr(&mut g, cpu, ctx, BPR1, 0);
        msr(&mut g, cpu, ctx, CTLR, 0x2);
        msr(&mut g, cpu, ctx, AP0R0, 0);
        msr(&mut g, cpu, ctx, AP1R0, 0);
        msr(&mut g, cpu, ctx, IGRPEN1, 1);
        // Timer PPI 30: gic_set_type (ICFGR1 level), unmask (ISENABLER0).
        let cfg = rd(&mut g, sgi_base(f) + 0xC04);
        wr(&mut g, sgi_base(f) + 0xC04, cfg & !(2 << 28));
        wr(&mut g, sgi_base(f) + 0x100, 1 << 30);
        // IPIs: SGIs 0-7 enabled.
        wr(&mut g, sgi_base(f) + 0x100, 0xff);
    }
    // Resulting state, as the Secure side sees it.
    assert_eq!(rds(&mut g, 0), 0x37);
    assert_eq!(g.read_attr(0x400 + 100, Size::B1, true).unwrap(), 0xd0, "0xA0 in the NS range");
    assert_eq!(g.read_attr(0x6000 + 8 * 100, Size::B8, true).unwrap(), 0);
    assert_eq!(rds(&mut g, sgi_base(5) + 0x100), 0x4000_00ff);
    assert_eq!(rds(&mut g, rd_base(5) + 0x14), 0);

    // Timer interrupt on CPU 5.
    g.set_ppi(5, 30, true);
    assert_eq!(g.irq_levels(5), (true, false));
    assert_eq!(mrs(&mut g, 5, NS, IAR1), 30);
    msr(&mut g, 5, NS, EOIR1, 30);
    g.set_ppi(5, 30, false); // the handler reprograms the timer
    msr(&mut g, 5, NS, DIR, 30);
    assert_eq!(g.irq_levels(5), (false, false));

    // A device SPI (UART, SPI 32 = INTID 64), level-high, routed to CPU 0.
    wr(&mut g, 0x108, 1);
    let l = spi_line(&b, 64);
    l.set_level(true);
    assert_eq!(g.irq_levels(0), (true, false));
    assert_eq!(mrs(&mut g, 0, NS, IAR1), 64);
    msr(&mut g, 0, NS, EOIR1, 64);
    l.set_level(false);
    msr(&mut g, 0, NS, DIR, 64);
    assert_eq!(g.irq_levels(0), (false, false));

    // IPI (SGI 1) from CPU 0 to CPU 5: gic_send_sgi(cluster 0x200, tlist 0b10).
    msr(&mut g, 0, NS, SGI1R, 1 << 24 | 2 << 16 | 0b10);
    assert_eq!(g.irq_levels(5), (true, false));
    assert_eq!(mrs(&mut g, 5, NS, IAR1), 1);
    msr(&mut g, 5, NS, EOIR1, 1);
    msr(&mut g, 5, NS, DIR, 1);
    assert_eq!(mrs(&mut g, 5, NS, IAR1), 1023);
    assert_eq!(mrs(&mut g, 5, NS, RPR), 0xff);
}

#[test]
fn test_random_access_script_never_panics() {
    // A register-access script from a fixed-seed LCG (deterministic): any offset, size,
    // value and ICC encoding must give a value or an error, never a panic.
    for ds in [false, true] {
        let (mut g, b) = new_gic(ds);
        let mut seen = 0u32;
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            x >> 16
        };
        for _ in 0..20000 {
            let r = next();
            let size = [Size::B1, Size::B2, Size::B4, Size::B8][(r & 3) as usize];
            let off = match r >> 2 & 3 {
                0 => next() % 0x1_0000,
                1 => 0x10_0000 + next() % 0x10_0000,
                2 => next() % (2 * WINDOW_SIZE),
                _ => [0x0, 0x80, 0x100, 0x200, 0x300, 0x400, 0x6100, 0x10_0014, 0x11_0100][(next() % 9) as usize],
            } & !(size.bytes() as u64 - 1);
            let v = next() | next() << 48;
            let sec = r >> 4 & 1 != 0;
            if r >> 5 & 1 != 0 {
                let _ = g.write_attr(off, size, v, sec);
            } else {
                let _ = g.read_attr(off, size, sec);
            }
            let cpu = (next() % 9) as usize;
            let ctx = CpuCtx { el: (next() % 4) as u8, secure: next() & 1 != 0 };
            let enc =
                SysRegId::new(3, [0, 4, 6][(next() % 3) as usize], 12, (8 + next() % 5) as u8, (next() % 8) as u8);
            let w = if next() & 1 != 0 { Some(next()) } else { None };
            let _ = g.icc_access(cpu, ctx, enc, w);
            IrqLine::new(b.clone(), (next() % 300) as u32).set_level(next() & 1 != 0);
            g.set_ppi((next() % 9) as usize, (next() % 40) as u32, next() & 1 != 0);
            let _ = g.irq_levels(cpu);
            // The cached HPPI (fast path) must always agree with a full rescan.
            g.sync_inputs();
            for c in 0..8 {
                assert_eq!(g.hppi(c), g.hppi_scan(c), "cpu {c}");
                seen += g.hppi(c).is_some() as u32;
            }
        }
        assert!(seen > 1000, "the script reaches states with pending interrupts ({seen})");
    }
}

#[test]
fn test_icc_dir_rules() {
    // IHI 0069 ICC_DIR_EL1: only with EOImode = 1 for the current EL (with EOImode = 0 the
    // write is UNPREDICTABLE: this model ignores it, as QEMU does); Non-secure state cannot
    // deactivate a Secure (Group 0 / Group 1 Secure) interrupt when DS = 0.
    let (mut g, _) = linux_gic();
    wrs(&mut g, 0x88, 0); // INTIDs 64-95 Group 0
    wrs(&mut g, 0x308, 1); // INTID 64 active
    wr(&mut g, 0x30C, 1); // INTID 96 (Group 1 NS) active
    msr(&mut g, 0, NS, DIR, 96); // EOImode = 0: ignored
    assert_eq!(rd(&mut g, 0x30C), 1);
    msr(&mut g, 0, NS, CTLR, 0x2);
    msr(&mut g, 0, NS, DIR, 64); // Secure interrupt: ignored
    assert_eq!(rds(&mut g, 0x308), 1);
    msr(&mut g, 0, NS, DIR, 96);
    assert_eq!(rd(&mut g, 0x30C), 0);
    msr(&mut g, 0, CpuCtx::S_EL1, CTLR, 0x2);
    msr(&mut g, 0, CpuCtx::S_EL1, DIR, 64);
    assert_eq!(rds(&mut g, 0x308), 0);
}
