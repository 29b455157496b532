//! The SMMU in the machine: the MMU-500 window at 0x0500_0000 programmed through the bus
//! the way Linux's arm-smmu driver does it for a stage-1 DMA domain (ls2088a-reference.md
//! §3: SMR/S2CR, CBA2R/CBAR, TCR2/TCR/TTBR0/MAIR0/SCTLR), page tables in guest RAM, and a
//! bus master's DMA through `SysBus::with_dma` with its stream ID. Expected values are
//! worked out by hand from the descriptor formats (Arm ARM D5.3) and SMMUv2 registers;
//! the fault interrupt is checked on the GIC SPI the RDB DTB gives context bank 0
//! (SPI 146).

mod common;
use common::{w32, r32};

use cpu_aarch64::platform::{BusAttrs, PhysAddr};
use cpu_aarch64::Bus;
use devices::DmaError;
use soc_ls2088::machine::Firmware;
use soc_ls2088::Machine;

const SMMU: u64 = 0x0500_0000;
const GR1: u64 = SMMU + 0x1_0000;
const CB0: u64 = SMMU + 0x40_0000;
const RAM: u64 = 0x8000_0000;

fn w64(m: &mut Machine, pa: u64, v: u64) {
    m.bus.write(PhysAddr(pa), &v.to_le_bytes(), BusAttrs::default()).unwrap();
}

#[test]
fn dma_through_a_linux_style_stage1_domain() {
    let mut m = common::machine(Firmware::Builtin, 1);
    // Before the OS enables the SMMU (sCR0.CLIENTPD = 1 after reset) DMA is untranslated.
    w64(&mut m, RAM + 0x1000, 0x1122_3344_5566_7788);
    assert_eq!(m.bus.with_dma(0x17, |d| d.read_u64(RAM + 0x1000)), Ok(0x1122_3344_5566_7788));

    // Stage-1 tables, 4K granule, 39-bit IOVA (T0SZ 25): L1 at RAM+0x10_0000,
    // L2 at +0x10_1000, L3 at +0x10_2000. IOVA 0x1000 → L1[0], L2[0], L3[1] → RAM+0x20_0000.
    let (l1, l2, l3) = (RAM + 0x10_0000, RAM + 0x10_1000, RAM + 0x10_2000);
    w64(&mut m, l1, l2 | 3);
    w64(&mut m, l2, l3 | 3);
    // Page: AF (bit 10), AP[2:1] = 01 (read/write, unprivileged too), inner-shareable.
    w64(&mut m, l3 + 8, (RAM + 0x20_0000) | 3 | 1 << 10 | 1 << 6 | 3 << 8);
    w64(&mut m, RAM + 0x20_0010, 0xdead_beef);

    // CB0: CBA2R.VA64, CBAR type 1 (S1, S2 bypass) | BPSHCFG NSH | MEMATTR WB.
    w32(&mut m, GR1 + 0x800, 1);
    w32(&mut m, GR1, 1 << 16 | 3 << 8 | 0xf << 12);
    // TCR2: PASIZE 48-bit, SEP upstream; TCR: T0SZ 25, EPD1, WBWA inner-shareable.
    w32(&mut m, CB0 + 0x10, 5 | 7 << 15);
    w32(&mut m, CB0 + 0x30, 25 | 1 << 8 | 1 << 10 | 3 << 12 | 1 << 23);
    w64(&mut m, CB0 + 0x20, 1 << 48 | l1);
    w32(&mut m, CB0 + 0x38, 0x0004_04ff);
    // SCTLR: M | TRE | AFE | CFRE | CFIE | ASIDPNE.
    w32(&mut m, CB0, 1 | 1 << 1 | 1 << 2 | 1 << 5 | 1 << 6 | 1 << 12);
    // Stream 0x17 (an fsl-mc container ICID) → CB0; SMR0 = VALID | ID, S2CR0 = translate | CB 0.
    w32(&mut m, SMMU + 0x800, 1 << 31 | 0x17);
    w32(&mut m, SMMU + 0xc00, 0);
    // sCR0: GFRE | GFIE | GCFGFRE | GCFGFIE | VMIDPNE | PTM | USFCFG, CLIENTPD = 0.
    w32(&mut m, SMMU, 1 << 1 | 1 << 2 | 1 << 4 | 1 << 5 | 1 << 11 | 1 << 12 | 1 << 10);

    assert_eq!(m.bus.with_dma(0x17, |d| d.read_u32(0x1010)), Ok(0xdead_beef));
    m.bus.with_dma(0x17, |d| d.write(0x1020, &[0xaa, 0xbb])).unwrap();
    let mut b = [0u8; 2];
    m.bus.read(PhysAddr(RAM + 0x20_0020), &mut b, BusAttrs::default()).unwrap();
    assert_eq!(b, [0xaa, 0xbb]);

    // An unmapped IOVA: translation fault (CB0 FSR.TF, FAR = IOVA) and SPI 146 raised.
    assert_eq!(m.bus.with_dma(0x17, |d| d.read_u32(0x3000)), Err(DmaError::Fault));
    assert_eq!(r32(&mut m, CB0 + 0x58) & 2, 2);
    assert_eq!(r32(&mut m, CB0 + 0x60), 0x3000);
    assert!(m.bus.spis.level(146));
    w32(&mut m, CB0 + 0x58, 0xffff_ffff);
    assert!(!m.bus.spis.level(146));

    // Another stream, unmatched with USFCFG = 1: global USF (sGFSR bit 1, sGFSYNR1 = SID)
    // on the first global interrupt, SPI 13.
    assert_eq!(m.bus.with_dma(0x30, |d| d.read_u32(0x1000)), Err(DmaError::Fault));
    assert_eq!(r32(&mut m, SMMU + 0x48), 2);
    assert_eq!(r32(&mut m, SMMU + 0x54), 0x30);
    assert!(m.bus.spis.level(13));
    assert!(m.bus.smmu.describe().contains("SMR0: id 0x17 mask 0x0 -> context bank 0"));
}

/// An fsl-mc object's MSI through the SMMU: Linux maps the ITS page (GITS_TRANSLATER at
/// 0x0603_0040) at IOVA 0x0800_0000 (MSI_IOVA_BASE) in the DMA domain; the MSI write to
/// IOVA 0x0800_0040 must reach the ITS (which, not enabled here, refuses it with
/// `Disabled` — proof the write was routed there), while an IOVA that is not mapped is
/// stopped by the SMMU with a context fault.
#[test]
fn msi_write_through_the_smmu_reaches_the_its() {
    use soc_ls2088::machine::MsiError;
    let mut m = common::machine(Firmware::Builtin, 1);
    // Untranslated (CLIENTPD = 1 after reset): the physical GITS_TRANSLATER.
    assert_eq!(m.bus.device_msi(23, 23, 0x0603_0040, 5), Err(MsiError::Its(devices::gic::ItsError::Disabled)));
    // Stage 1, 4K, T0SZ 25: IOVA 0x0800_0000 = L1[0], L2[0x40], L3[0] → device page 0x0603_0000.
    let (l1, l2, l3) = (RAM + 0x10_0000, RAM + 0x10_1000, RAM + 0x10_2000);
    w64(&mut m, l1, l2 | 3);
    w64(&mut m, l2 + 0x40 * 8, l3 | 3);
    w64(&mut m, l3, 0x0603_0000 | 3 | 1 << 10 | 1 << 6);
    w32(&mut m, GR1 + 0x800, 1);
    w32(&mut m, GR1, 1 << 16);
    w32(&mut m, CB0 + 0x10, 5 | 7 << 15);
    w32(&mut m, CB0 + 0x30, 25 | 1 << 23);
    w64(&mut m, CB0 + 0x20, l1);
    w32(&mut m, CB0, 1 | 1 << 5 | 1 << 6);
    // ICID 23 with the DT's stream-match-mask 0x7c00.
    w32(&mut m, SMMU + 0x800, 1 << 31 | 0x7c00 << 16 | 23);
    w32(&mut m, SMMU + 0xc00, 0);
    w32(&mut m, SMMU, 1 << 1 | 1 << 2 | 1 << 10);
    assert_eq!(m.bus.device_msi(23, 23, 0x0800_0040, 5), Err(MsiError::Its(devices::gic::ItsError::Disabled)));
    // The physical address is no longer what the device may use: translation fault.
    assert!(matches!(m.bus.device_msi(23, 23, 0x0603_0040, 5), Err(MsiError::Smmu(_))));
    assert_eq!(r32(&mut m, CB0 + 0x58) & 2, 2);
    assert_eq!(r32(&mut m, CB0 + 0x60), 0x0603_0040);
}
