//! Register-level tests. Expected values are worked out by hand from Linux 6.1's
//! drivers/soc/fsl/dpio/qbman-portal.c (offsets QBMAN_CINH_SWP_*, qbman_set_swp_cfg,
//! qbman_swp_init) and ls2088a-reference.md §4.1/§5, not taken from the model.

use super::*;

/// Portal p's CINH page offset within the window: 0x400_0000 + p × 64 KiB (reference §4.1:
/// CINH at 0x8_1C00_0000 + p·0x10000, window base 0x8_1800_0000).
fn cinh(p: u64, reg: u64) -> u64 {
    0x400_0000 + p * 0x1_0000 + reg
}

fn cena(p: u64, reg: u64) -> u64 {
    p * 0x1_0000 + reg
}

/// The register sequence of qbman_swp_init + dpaa2_io_create for QMan 4.1 (reference §5.2).
#[test]
fn linux_swp_init_sequence_finds_an_enabled_portal() {
    let mut q = Qbman::new();
    let p = 3;
    // qbman_set_swp_cfg(8, 1, 0, 3, 2, 2, 1, 1, 1, 1, 0, 0):
    // 8<<20 | 1<<14 | 3<<12 | 2<<10 | 2<<8 | 1<<5 | 1<<4 | 1<<3 | 1<<2 = 0x00807A3C.
    let cfg = (8 << 20) | (1 << 14) | (3 << 12) | (2 << 10) | (2 << 8) | (1 << 5) | (1 << 4) | (1 << 3) | (1 << 2);
    assert_eq!(cfg, 0x0080_7a3c);
    q.write(cinh(p, 0xd00), Size::B4, cfg).unwrap();
    // "qbman: the portal is not enabled!" iff this reads 0.
    assert_eq!(q.read(cinh(p, 0xd00), Size::B4).unwrap(), 0x0080_7a3c);
    q.write(cinh(p, 0xb00), Size::B4, 0).unwrap(); // SDQCR = 0
    // EQCR_PI: index (bits 3:0 with an 8-entry ring, mask 0xF) and valid bit 0x80.
    let pi = q.read(cinh(p, 0x800), Size::B4).unwrap();
    assert_eq!(pi & 0xf, 0, "EQCR producer index starts at entry 0");
    assert_eq!(pi & 0x80, 0x80, "EQCR valid bit starts at 1 (the other rings' start value, §5.3)");
    assert_eq!(q.read(cinh(p, 0x840), Size::B4).unwrap() & 0xf, 0, "EQCR_CI = 0: ring empty");
    // qbman_swp_set_irq_coalescing(p, 8 - 1, 0): DQRR_ITR 0xA80, ITPR 0xF40.
    q.write(cinh(p, 0xa80), Size::B4, 7).unwrap();
    q.write(cinh(p, 0xf40), Size::B4, 0).unwrap();
    assert_eq!(q.read(cinh(p, 0xa80), Size::B4).unwrap(), 7);
    // dpaa2_io_create: IER = DQRI (0x04), ISR <- 0xFFFFFFFF, SDQCR = 0x21BB0001.
    q.write(cinh(p, 0xe40), Size::B4, 0x04).unwrap();
    q.write(cinh(p, 0xe00), Size::B4, 0xffff_ffff).unwrap();
    // SDQCR: FC up-to-3 (1<<29) | DCT prio-ICS (1<<24) | token 0xBB<<16 | channel 0 bit.
    let sdqcr = (1 << 29) | (1 << 24) | (0xbb << 16) | 1;
    assert_eq!(sdqcr, 0x21bb_0001);
    q.write(cinh(p, 0xb00), Size::B4, sdqcr).unwrap();
    assert_eq!(q.read(cinh(p, 0xe40), Size::B4).unwrap(), 0x04);
    assert_eq!(q.read(cinh(p, 0xe00), Size::B4).unwrap(), 0, "ISR: nothing pending");
    assert_eq!(q.read(cinh(p, 0xb00), Size::B4).unwrap(), 0x21bb_0001);
    // Another portal is untouched: SWP_CFG still reads 0 ("not enabled").
    assert_eq!(q.read(cinh(4, 0xd00), Size::B4).unwrap(), 0);
    assert!(q.warnings.is_empty(), "the init sequence touches only modelled registers: {:?}", q.warnings);
}

/// Interrupt registers: ISR is write-1-to-clear (the IRQ handler writes back the status it
/// read), IER/ISDR/IIR read back (IIR is written 0xFFFFFFFF / 0 to inhibit/uninhibit).
#[test]
fn interrupt_registers() {
    let mut q = Qbman::new();
    for (reg, v) in [(0xe40, 0x1f), (0xe80, 0x2), (0xec0, 0xffff_ffff)] {
        q.write(cinh(0, reg), Size::B4, v).unwrap();
        assert_eq!(q.read(cinh(0, reg), Size::B4).unwrap(), v, "reg {reg:#x}");
    }
    q.write(cinh(0, 0xec0), Size::B4, 0).unwrap();
    assert_eq!(q.read(cinh(0, 0xec0), Size::B4).unwrap(), 0);
    // ISR cannot be set by software: writing ones clears.
    q.write(cinh(0, 0xe00), Size::B4, 0x4).unwrap();
    assert_eq!(q.read(cinh(0, 0xe00), Size::B4).unwrap(), 0);
}

/// The ring area (0x000-0x7FF) is storage shared by the CENA and CINH pages of one portal
/// (Linux with 2 regions maps the CINH page for the rings, reference §4.7), separate per
/// portal; EQAR/RAR report a free slot (success bit 0x100, valid bit 0x80).
#[test]
fn ring_area_and_allocation_registers() {
    let mut q = Qbman::new();
    // A management command body in CR (0x600) through the CINH page, seen in the CENA page.
    q.write(cinh(2, 0x608), Size::B8, 0x1122_3344_5566_7788).unwrap();
    assert_eq!(q.read(cena(2, 0x608), Size::B8).unwrap(), 0x1122_3344_5566_7788);
    assert_eq!(q.read(cena(2, 0x60c), Size::B4).unwrap(), 0x1122_3344);
    assert_eq!(q.read(cena(1, 0x608), Size::B8).unwrap(), 0, "portal 1 is separate");
    // A command verb (first byte) is not executed: one warning, no result in RR0 (0x700).
    q.write(cinh(2, 0x600), Size::B1, 0x80 | 0x37).unwrap();
    assert_eq!(q.read(cinh(2, 0x700), Size::B1).unwrap(), 0);
    assert_eq!(q.take_warnings().len(), 1);
    q.write(cinh(2, 0x600), Size::B1, 0x37).unwrap();
    assert!(q.take_warnings().is_empty(), "warned once per offset");
    for reg in [0x8c0, 0xcc0] {
        let v = q.read(cinh(5, reg), Size::B4).unwrap();
        assert_eq!(v & 0x100, 0x100, "{reg:#x}: success");
        assert_eq!(v & 0x7, 0, "{reg:#x}: slot 0");
        assert_eq!(v & 0x80, 0x80, "{reg:#x}: valid bit");
    }
}

/// Bad accesses are errors, not panics: registers are 32-bit, ring accesses aligned,
/// offsets beyond the 128 MiB window rejected; the last portal (1023) is reachable.
#[test]
fn bad_accesses() {
    let mut q = Qbman::new();
    assert_eq!(q.read(cinh(0, 0xd00), Size::B8), Err(MmioError::BadSize));
    assert_eq!(q.write(cinh(0, 0xd00), Size::B2, 1), Err(MmioError::BadSize));
    assert_eq!(q.read(cinh(0, 0x604), Size::B8), Err(MmioError::Unaligned));
    assert_eq!(q.read(0x800_0000, Size::B4), Err(MmioError::NoRegister));
    assert_eq!(q.read(u64::MAX, Size::B4), Err(MmioError::NoRegister));
    q.write(cinh(1023, 0xd00), Size::B4, 1).unwrap();
    assert_eq!(q.read(cinh(1023, 0xd00), Size::B4).unwrap(), 1);
    // An unmodelled offset (QMan 5 memory-backed layout) reads 0 with a warning.
    assert_eq!(q.read(cinh(0, 0x1600), Size::B4).unwrap(), 0);
    assert_eq!(q.take_warnings().len(), 1);
}
