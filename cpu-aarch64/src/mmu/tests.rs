//! Translation tests with page tables built by hand in a `FlatRam`. Expected values are
//! worked out from the Arm ARM (D5 VMSAv8-64) descriptor formats and written out here.

use super::*;
use crate::exception::ec;
use crate::platform::{Bus, FlatRam};
use crate::sysreg::{HCR_RW, SCR_RW, SCTLR_A};
use crate::CpuConfig;

const RAM: u64 = 0x8000_0000;

/// Descriptor bits (Arm ARM D5.3).
const TABLE: u64 = 0b11; // also "page" at level 3
const BLOCK: u64 = 0b01;
const AF: u64 = 1 << 10;
const NG: u64 = 1 << 11;
const SH_IS: u64 = 0b11 << 8;
const AP_EL0: u64 = 1 << 6; // AP[1]
const AP_RO: u64 = 1 << 7; // AP[2]
const PXN: u64 = 1 << 53;
const UXN: u64 = 1 << 54;
const fn attr_idx(i: u64) -> u64 {
    i << 2
}

/// MAIR: attr0 Device-nGnRnE, attr1 Normal WB RW-alloc (0xff), attr2 Normal NC (0x44),
/// attr3 Device-nGnRE (0x04).
const MAIR: u64 = 0x04_44_ff_00;

/// TCR_EL1 for 4KB granules both ranges, T0SZ = T1SZ = 25 (39-bit VAs, start level 1),
/// IPS = 40 bits, TG1 = 4KB (0b10).
const TCR_39: u64 = 25 | 25 << 16 | 0b10 << 30 | 2 << 32;

fn w64(ram: &mut FlatRam, addr: u64, v: u64) {
    ram.load(addr, &v.to_le_bytes());
}

/// A PE at Non-secure EL1 (EL3 and EL2 present, SCR_EL3.NS = 1, both AArch64).
fn el1_cpu() -> Cpu {
    let mut cpu = Cpu::new(CpuConfig::default());
    cpu.sys.scr_el3 = SCR_NS | SCR_RW;
    cpu.sys.hcr_el2 = HCR_RW;
    cpu.st.pstate.el = 1;
    cpu.sys.mair[1] = MAIR;
    cpu
}

/// Stage-1 tables at 0x8000_0000 (L1), 0x8000_1000 (L2), 0x8000_2000 (L3), 4KB granule,
/// 39-bit VA, TTBR0_EL1 = L1 with ASID 1:
/// - VA 0x4000_0000.. (L1[1]) -> L2; L2[0] -> L3;
///   L3[5]: page PA 0x8010_0000, Normal (attr1), EL0 RW, Inner Shareable, nG;
///   L3[6]: page 0x8010_1000 with AF = 0;
///   L3[7]: page 0x8010_2000 read-only at EL1, no EL0 access, PXN;
///   L3[8]: page 0x8010_3000 read-only at EL0 and EL1, UXN;
///   L3[9]: page 0x8010_4000 Device-nGnRE (attr3), EL1 RW;
///   L3[10]: invalid.
/// - L2[1]: 2MB block at 0x8040_0000, Normal NC, EL1 RW, global.
/// - L1[2]: 1GB block at PA 0x4000_0000 (VA 0x8000_0000).
fn setup_4k() -> (Cpu, FlatRam) {
    let mut cpu = el1_cpu();
    let mut ram = FlatRam::new(RAM, 16 << 20);
    let (l1, l2, l3) = (RAM, RAM + 0x1000, RAM + 0x2000);
    w64(&mut ram, l1 + 8, l2 | TABLE);
    w64(&mut ram, l1 + 2 * 8, 0x4000_0000 | BLOCK | AF | attr_idx(1));
    w64(&mut ram, l2, l3 | TABLE);
    w64(&mut ram, l2 + 8, 0x8040_0000 | BLOCK | AF | attr_idx(2));
    w64(&mut ram, l3 + 5 * 8, 0x8010_0000 | TABLE | AF | NG | SH_IS | AP_EL0 | attr_idx(1));
    w64(&mut ram, l3 + 6 * 8, 0x8010_1000 | TABLE | attr_idx(1));
    w64(&mut ram, l3 + 7 * 8, 0x8010_2000 | TABLE | AF | AP_RO | PXN | attr_idx(1));
    w64(&mut ram, l3 + 8 * 8, 0x8010_3000 | TABLE | AF | AP_RO | AP_EL0 | UXN | attr_idx(1));
    w64(&mut ram, l3 + 9 * 8, 0x8010_4000 | TABLE | AF | attr_idx(3));
    cpu.sys.tcr[1] = TCR_39;
    cpu.sys.ttbr0[1] = l1 | 1 << 48;
    cpu.sys.sctlr[1] |= SCTLR_M;
    (cpu, ram)
}

fn tr(cpu: &mut Cpu, ram: &mut FlatRam, va: u64, acc: Access) -> Result<Translation, SyncExc> {
    translate(cpu, ram, va, acc)
}

/// DFSC/IFSC of an abort.
fn fsc(e: &SyncExc) -> u32 {
    e.iss & 0x3f
}

#[test]
fn s1_4k_page_block_and_attrs() {
    let (mut cpu, mut ram) = setup_4k();
    // L3[5]: VA 0x4000_5123 -> PA 0x8010_0123, MAIR attr1 = 0xff, SH = Inner.
    let t = tr(&mut cpu, &mut ram, 0x4000_5123, Access::read(4)).unwrap();
    assert_eq!(t.pa, 0x8010_0123);
    assert_eq!(t.attr, 0xff);
    assert_eq!(t.mem, MemType::Normal);
    assert_eq!(t.sh, 0b11);
    assert!(!t.secure);
    // 2MB block (L2[1]): VA 0x4023_4567 -> 0x8043_4567, Normal NC (attr2), SH as in the
    // descriptor (stage 1 only).
    let t = tr(&mut cpu, &mut ram, 0x4023_4567, Access::write(1)).unwrap();
    assert_eq!(t.pa, 0x8043_4567);
    assert_eq!(t.attr, 0x44);
    assert_eq!(t.sh, 0b00);
    // 1GB block (L1[2]): VA 0x8123_4568 -> 0x4123_4568.
    let t = tr(&mut cpu, &mut ram, 0x8123_4568, Access::read(8)).unwrap();
    assert_eq!(t.pa, 0x4123_4568);
    // Device page (attr3 = 0x04): MemType Device.
    let t = tr(&mut cpu, &mut ram, 0x4000_9000, Access::read(4)).unwrap();
    assert_eq!((t.pa, t.mem, t.attr), (0x8010_4000, MemType::Device, 0x04));
    // Unaligned access to Device memory: alignment fault (DFSC 0b100001).
    let e = tr(&mut cpu, &mut ram, 0x4000_9002, Access::read(4)).unwrap_err();
    assert_eq!((e.ec, fsc(&e)), (ec::DABT_SAME, 0b100001));
    // Unaligned access to Normal memory is fine (SCTLR.A = 0).
    assert!(tr(&mut cpu, &mut ram, 0x4000_5002, Access::read(4)).is_ok());
    let _ = SCTLR_A;
}

#[test]
fn s1_4k_faults() {
    let (mut cpu, mut ram) = setup_4k();
    // Invalid L3[10]: translation fault level 3 (0b000111), FAR = VA, EC 0x25.
    let e = tr(&mut cpu, &mut ram, 0x4000_a010, Access::read(8)).unwrap_err();
    assert_eq!((e.ec, fsc(&e), e.far), (ec::DABT_SAME, 0b000111, Some(0x4000_a010)));
    assert_eq!(e.target, None);
    // Invalid L1[0]: translation fault level 1.
    let e = tr(&mut cpu, &mut ram, 0x1000, Access::read(8)).unwrap_err();
    assert_eq!(fsc(&e), 0b000101);
    // Invalid L2[2] (zero): level 2.
    let e = tr(&mut cpu, &mut ram, 0x4040_0000, Access::read(8)).unwrap_err();
    assert_eq!(fsc(&e), 0b000110);
    // AF = 0: access flag fault level 3 (0b001011); a write sets WnR (bit 6).
    let e = tr(&mut cpu, &mut ram, 0x4000_6000, Access::write(8)).unwrap_err();
    assert_eq!(e.iss & 0x7f, 0b001011 | 1 << 6);
    // Read-only page written at EL1: permission fault level 3 (0b001111), WnR.
    assert!(tr(&mut cpu, &mut ram, 0x4000_7000, Access::read(8)).is_ok());
    let e = tr(&mut cpu, &mut ram, 0x4000_7000, Access::write(8)).unwrap_err();
    assert_eq!(e.iss & 0x7f, 0b001111 | 1 << 6);
    // PXN page fetched at EL1: instruction abort, permission level 3.
    let e = tr(&mut cpu, &mut ram, 0x4000_7000, Access::fetch()).unwrap_err();
    assert_eq!((e.ec, fsc(&e)), (ec::IABT_SAME, 0b001111));
    // VA 2^39 is above the TTBR0 range and below the TTBR1 range: level 0 fault.
    let e = tr(&mut cpu, &mut ram, 1 << 39, Access::read(8)).unwrap_err();
    assert_eq!(fsc(&e), 0b000100);
    let e = tr(&mut cpu, &mut ram, 0xff00_0000_0000_0000, Access::read(8)).unwrap_err();
    assert_eq!(fsc(&e), 0b000100);
}

#[test]
fn s1_el0_permissions() {
    let (mut cpu, mut ram) = setup_4k();
    cpu.st.pstate.el = 0;
    // AP = 01: EL0 read/write. The page is writable at EL0, so UXN = 0 allows EL0
    // execution; EL1 may not execute it (written-at-EL0 implies PXN).
    assert!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::write(8)).is_ok());
    assert!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::fetch()).is_ok());
    // AP = 10 (EL1 read-only, no EL0): EL0 read faults, permission level 3.
    let e = tr(&mut cpu, &mut ram, 0x4000_7000, Access::read(8)).unwrap_err();
    assert_eq!(fsc(&e), 0b001111);
    // ... but EL0 may execute it: UXN = 0 (only PXN set).
    assert!(tr(&mut cpu, &mut ram, 0x4000_7000, Access::fetch()).is_ok());
    // AP = 11 with UXN: EL0 read OK, write and fetch fault.
    assert!(tr(&mut cpu, &mut ram, 0x4000_8000, Access::read(8)).is_ok());
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4000_8000, Access::write(8)).unwrap_err()), 0b001111);
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4000_8000, Access::fetch()).unwrap_err()), 0b001111);
    // 2MB block with AP = 00: no EL0 access, level 2 permission fault.
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4020_0000, Access::read(8)).unwrap_err()), 0b001110);

    // Back at EL1: the EL0-writable page is not executable at EL1.
    cpu.st.pstate.el = 1;
    let e = tr(&mut cpu, &mut ram, 0x4000_5000, Access::fetch()).unwrap_err();
    assert_eq!((e.ec, fsc(&e)), (ec::IABT_SAME, 0b001111));
    // LDTR/STTR at EL1 use EL0 permissions: AP = 10 page unreadable.
    let mut unpriv = Access::read(8);
    unpriv.unpriv = true;
    assert!(tr(&mut cpu, &mut ram, 0x4000_7000, Access::read(8)).is_ok());
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4000_7000, unpriv).unwrap_err()), 0b001111);
    // The EL1 RO+UXN page (AP = 11) is executable at EL1 (PXN = 0, not EL0-writable).
    assert!(tr(&mut cpu, &mut ram, 0x4000_8000, Access::fetch()).is_ok());
}

#[test]
fn s1_wxn_and_aptable() {
    let (mut cpu, mut ram) = setup_4k();
    // WXN: writable memory is execute-never. The 2MB block is EL1 RW.
    assert!(tr(&mut cpu, &mut ram, 0x4020_0000, Access::fetch()).is_ok());
    cpu.sys.sctlr[1] |= SCTLR_WXN;
    cpu.tlb.flush();
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4020_0000, Access::fetch()).unwrap_err()), 0b001110);
    // Read-only pages stay executable.
    assert!(tr(&mut cpu, &mut ram, 0x4000_8000, Access::fetch()).is_ok());
    cpu.sys.sctlr[1] &= !SCTLR_WXN;

    // APTable = 0b10 (bit 62, read-only) on L1[1]: the EL0-RW page becomes read-only.
    w64(&mut ram, RAM + 8, (RAM + 0x1000) | TABLE | 1 << 62);
    cpu.tlb.flush();
    assert!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).is_ok());
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4000_5000, Access::write(8)).unwrap_err()), 0b001111);
    // APTable = 0b01 (bit 61, no EL0): EL0 read of the AP = 01 page faults.
    w64(&mut ram, RAM + 8, (RAM + 0x1000) | TABLE | 1 << 61);
    cpu.tlb.flush();
    cpu.st.pstate.el = 0;
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap_err()), 0b001111);
    // UXNTable (bit 60) on L2[0]: EL0 cannot execute below it; PXNTable (59) for EL1.
    w64(&mut ram, RAM + 8, (RAM + 0x1000) | TABLE);
    w64(&mut ram, RAM + 0x1000, (RAM + 0x2000) | TABLE | 1 << 60);
    cpu.tlb.flush();
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4000_7000, Access::fetch()).unwrap_err()), 0b001111);
    cpu.st.pstate.el = 1;
    assert!(tr(&mut cpu, &mut ram, 0x4000_8000, Access::fetch()).is_ok());
    w64(&mut ram, RAM + 0x1000, (RAM + 0x2000) | TABLE | 1 << 59);
    cpu.tlb.flush();
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4000_8000, Access::fetch()).unwrap_err()), 0b001111);
}

#[test]
fn s1_ttbr1_epd_tbi() {
    let (mut cpu, mut ram) = setup_4k();
    // TTBR1 with T1SZ = 25: VAs 0xffff_ff80_0000_0000.. . L1 at RAM + 0x10000,
    // L1[0] = 1GB block at 0x8000_0000, EL1 RW, Normal.
    let l1 = RAM + 0x10000;
    w64(&mut ram, l1, 0x8000_0000 | BLOCK | AF | attr_idx(1));
    cpu.sys.ttbr1_el1 = l1;
    let t = tr(&mut cpu, &mut ram, 0xffff_ff80_0012_3456, Access::read(8)).unwrap();
    assert_eq!(t.pa, 0x8012_3456);
    // Just below the TTBR1 range: level 0 translation fault.
    let e = tr(&mut cpu, &mut ram, 0xffff_ff7f_ffff_f000, Access::read(8)).unwrap_err();
    assert_eq!(fsc(&e), 0b000100);
    // EPD1 = 1: walks of TTBR1 fault at level 0 (the entry cached above may still hit, so
    // use another address).
    cpu.sys.tcr[1] |= 1 << 23;
    let e = tr(&mut cpu, &mut ram, 0xffff_ff80_0100_0000, Access::read(8)).unwrap_err();
    assert_eq!(fsc(&e), 0b000100);
    cpu.sys.tcr[1] &= !(1 << 23);
    // EPD0 likewise for TTBR0.
    cpu.sys.tcr[1] |= 1 << 7;
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4023_0000, Access::read(8)).unwrap_err()), 0b000100);
    cpu.sys.tcr[1] &= !(1 << 7);
    // TBI0 = 0: a tagged TTBR0 address is outside both ranges -> level 0 fault.
    let tagged = 0x5a00_0000_4000_5010;
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, tagged, Access::read(8)).unwrap_err()), 0b000100);
    // TBI0 = 1: the tag is ignored; FAR keeps the full tagged address.
    cpu.sys.tcr[1] |= 1 << 37;
    assert_eq!(tr(&mut cpu, &mut ram, tagged, Access::read(8)).unwrap().pa, 0x8010_0010);
    let e = tr(&mut cpu, &mut ram, 0x5a00_0000_4000_a000, Access::read(8)).unwrap_err();
    assert_eq!((fsc(&e), e.far), (0b000111, Some(0x5a00_0000_4000_a000)));
    // TBI1 = 1: tagged TTBR1 address (bit 55 = 1 selects TTBR1).
    cpu.sys.tcr[1] |= 1 << 38;
    assert_eq!(tr(&mut cpu, &mut ram, 0x12ff_ff80_0000_0040, Access::read(8)).unwrap().pa, 0x8000_0040);
}

#[test]
fn s1_address_size_and_reserved_descriptors() {
    let (mut cpu, mut ram) = setup_4k();
    // IPS = 0 (32-bit): the L1 table at 0x8000_0000 fits, the page at 0x8010_0000 too,
    // but a block output of 0x1_0000_0000 does not: address size fault level 1.
    cpu.sys.tcr[1] = TCR_39 & !(7 << 32);
    w64(&mut ram, RAM + 3 * 8, 0x1_0000_0000 | BLOCK | AF);
    let e = tr(&mut cpu, &mut ram, 0xc000_0000, Access::read(8)).unwrap_err();
    assert_eq!(fsc(&e), 0b000001);
    assert!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).is_ok());
    // A table descriptor pointing above 4GB: address size fault at that level (1).
    w64(&mut ram, RAM + 4 * 8, 0x1_0000_0000 | TABLE);
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x1_0000_0000, Access::read(8)).unwrap_err()), 0b000001);
    // TTBR0 BADDR above the output size: address size fault level 0.
    cpu.sys.ttbr0[1] = 0x1_0000_0000;
    cpu.tlb.flush();
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap_err()), 0b000000);
    cpu.sys.ttbr0[1] = RAM;
    cpu.sys.tcr[1] = TCR_39;
    // Block descriptor at level 3 (0b01) is reserved: translation fault level 3.
    w64(&mut ram, RAM + 0x2000 + 11 * 8, 0x8010_0000 | BLOCK | AF);
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4000_b000, Access::read(8)).unwrap_err()), 0b000111);
    // 0b10 is invalid too.
    w64(&mut ram, RAM + 0x2000 + 11 * 8, 0x8010_0000 | 0b10 | AF);
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x4000_b000, Access::read(8)).unwrap_err()), 0b000111);
    // T0SZ = 16 (48-bit, start level 0): a block at level 0 is not allowed with 4KB
    // granules -> translation fault level 0.
    cpu.sys.tcr[1] = TCR_39 & !63 | 16;
    w64(&mut ram, RAM + 0x20000, BLOCK | AF);
    cpu.sys.ttbr0[1] = RAM + 0x20000;
    cpu.tlb.flush();
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x1000, Access::read(8)).unwrap_err()), 0b000100);
    // A walk that reads outside RAM: synchronous external abort on walk, level 0
    // (0b010100); EA = 0 for a decode error (nothing there).
    cpu.sys.ttbr0[1] = 0x1000_0000;
    let e = tr(&mut cpu, &mut ram, 0x1000, Access::read(8)).unwrap_err();
    assert_eq!(fsc(&e), 0b010100);
    assert_eq!(e.iss >> 9 & 1, 0);
}

#[test]
fn s1_64k_granule() {
    let mut cpu = el1_cpu();
    let mut ram = FlatRam::new(RAM, 16 << 20);
    // TG0 = 01 (64KB), T0SZ = 22 (42-bit VA): start level 2 (42 - 16 = 26 = 2 x 13).
    // L2 index = VA[41:29], L3 index = VA[28:16].
    cpu.sys.tcr[1] = 22 | 0b01 << 14 | 0b10 << 30 | 2 << 32;
    let (l2, l3) = (RAM + 0x10000, RAM + 0x20000);
    cpu.sys.ttbr0[1] = l2;
    cpu.sys.sctlr[1] |= SCTLR_M;
    // VA 0x2000_0000 (L2[1]) -> L3; L3[3] -> 64KB page at PA 0x8050_0000.
    w64(&mut ram, l2 + 8, l3 | TABLE);
    w64(&mut ram, l3 + 3 * 8, 0x8050_0000 | TABLE | AF | attr_idx(1));
    // L2[2]: 512MB block at PA 0x8000_0000... 512MB aligned: 0x6000_0000.
    w64(&mut ram, l2 + 2 * 8, 0x6000_0000 | BLOCK | AF | attr_idx(1));
    let t = tr(&mut cpu, &mut ram, 0x2003_abcd, Access::read(1)).unwrap();
    assert_eq!(t.pa, 0x8050_abcd);
    let t = tr(&mut cpu, &mut ram, 0x4123_4567, Access::read(1)).unwrap();
    assert_eq!(t.pa, 0x6123_4567);
    // L3[4] invalid: level 3 fault.
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x2004_0000, Access::read(1)).unwrap_err()), 0b000111);
    // T0SZ = 16 with 64KB: start level 1; a block at level 1 is not allowed in ARMv8.0.
    cpu.sys.tcr[1] = 16 | 0b01 << 14 | 0b10 << 30 | 5 << 32;
    let l1 = RAM + 0x30000;
    cpu.sys.ttbr0[1] = l1;
    w64(&mut ram, l1, BLOCK | AF);
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x1000, Access::read(1)).unwrap_err()), 0b000101);
    // L1[1] -> the L2 table above: VA 2^42 + 0x2003_abcd -> 0x8050_abcd.
    w64(&mut ram, l1 + 8, l2 | TABLE);
    assert_eq!(tr(&mut cpu, &mut ram, (1 << 42) + 0x2003_abcd, Access::read(1)).unwrap().pa, 0x8050_abcd);
}

#[test]
fn walker_16k_granule() {
    // The A72 has no 16KB granule, so drive the walker directly. 16KB, 47-bit input:
    // start level 1 (47 - 14 = 33 = 3 x 11); L1 index VA[46:36], L2 VA[35:25],
    // L3 VA[24:14].
    let mut ram = FlatRam::new(RAM, 16 << 20);
    let (l1, l2, l3) = (RAM, RAM + 0x4000, RAM + 0x8000);
    w64(&mut ram, l1 + 8, l2 | TABLE); // VA 2^36
    w64(&mut ram, l2 + 2 * 8, l3 | TABLE); // + 2 * 2^25
    w64(&mut ram, l3 + 5 * 8, 0x8060_0000 | TABLE | AF); // + 5 * 2^14
    w64(&mut ram, l2 + 3 * 8, 0x8600_0000 | BLOCK | AF); // 32MB block
    let p = WalkParams {
        granule: Granule::K16,
        inputsize: 47,
        start_level: Granule::K16.s1_start_level(47),
        ttbr: l1,
        outputsize: 44,
        stage2: false,
        single_priv: false,
        secure: false,
    };
    assert_eq!(p.start_level, 1);
    let mut read = |a: u64, _ns: bool, _l: u8| -> Result<u64, Fault> {
        let mut b = [0u8; 8];
        ram.read(PhysAddr(a), &mut b, BusAttrs::default()).map_err(|_| Fault::s1(FaultKind::WalkExternal, 0))?;
        Ok(u64::from_le_bytes(b))
    };
    let va = (1u64 << 36) + (2 << 25) + (5 << 14) + 0x1234;
    let leaf = walk::walk(&p, va, &mut read).unwrap();
    assert_eq!((leaf.oa, leaf.level, leaf.block_log2), (0x8060_1234, 3, 14));
    let va = (1u64 << 36) + (3 << 25) + 0x12_3456;
    let leaf = walk::walk(&p, va, &mut read).unwrap();
    assert_eq!((leaf.oa, leaf.level, leaf.block_log2), (0x8612_3456, 2, 25));
    let va = (1u64 << 36) + (2 << 25) + (6 << 14);
    assert_eq!(walk::walk(&p, va, &mut read).unwrap_err(), Fault::s1(FaultKind::Translation, 3));
}

#[test]
fn mmu_off_flat() {
    let mut cpu = el1_cpu();
    let mut ram = FlatRam::new(RAM, 1 << 20);
    // SCTLR_EL1.M = 0: PA = VA; data Device-nGnRnE, fetches Normal.
    let t = tr(&mut cpu, &mut ram, 0x8000_1000, Access::read(8)).unwrap();
    assert_eq!((t.pa, t.mem, t.attr), (0x8000_1000, MemType::Device, 0));
    let t = tr(&mut cpu, &mut ram, 0x8000_1000, Access::fetch()).unwrap();
    assert_eq!(t.mem, MemType::Normal);
    // Unaligned data access: alignment fault.
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0x8000_1001, Access::read(2)).unwrap_err()), 0b100001);
    // VA above the 44-bit PA size: address size fault level 0.
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 1 << 44, Access::read(8)).unwrap_err()), 0b000000);
    // HCR_EL2.DC = 1: Normal Write-Back.
    cpu.sys.hcr_el2 |= HCR_DC;
    cpu.sys.vtcr_el2 = 24 | 1 << 6 | 2 << 16;
    let t = tr(&mut cpu, &mut ram, 0x8000_1001, Access::read(2));
    // DC also enables stage 2, whose tables here are empty: stage-2 fault to EL2.
    let e = t.unwrap_err();
    assert_eq!(e.target, Some(2));
}

#[test]
fn tlb_caching_and_tlbi_by_va() {
    let (mut cpu, mut ram) = setup_4k();
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8010_0000);
    // Change the mapping in memory: the TLB still holds the old one.
    w64(&mut ram, RAM + 0x2000 + 5 * 8, 0x8020_0000 | TABLE | AF | NG | AP_EL0 | attr_idx(1));
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8010_0000);
    // TLBI VAE1 with another ASID (2) does not remove the nG entry of ASID 1.
    tlbi(&mut cpu, TlbiOp::Vae1, 2 << 48 | 0x4000_5000 >> 12);
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8010_0000);
    // TLBI VAE1 of another page leaves it too.
    tlbi(&mut cpu, TlbiOp::Vae1, 1 << 48 | 0x4000_6000 >> 12);
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8010_0000);
    // The right ASID and page: the new mapping is walked.
    tlbi(&mut cpu, TlbiOp::Vae1, 1 << 48 | 0x4000_5000 >> 12);
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8020_0000);
    // VAAE1 (any ASID).
    w64(&mut ram, RAM + 0x2000 + 5 * 8, 0x8030_0000 | TABLE | AF | NG | AP_EL0 | attr_idx(1));
    tlbi(&mut cpu, TlbiOp::Vaae1, 0x4000_5000 >> 12);
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8030_0000);
    // A TLBI by VA inside a 2MB block removes the block's entries.
    assert_eq!(tr(&mut cpu, &mut ram, 0x4020_0000, Access::read(8)).unwrap().pa, 0x8040_0000);
    w64(&mut ram, RAM + 0x1000 + 8, 0x8060_0000 | BLOCK | AF | attr_idx(2));
    tlbi(&mut cpu, TlbiOp::Vale1, 5 << 48 | 0x4031_2000 >> 12); // global: any ASID
    assert_eq!(tr(&mut cpu, &mut ram, 0x4020_0000, Access::read(8)).unwrap().pa, 0x8060_0000);
    // Faults are not cached: fix an invalid entry and the next access succeeds at once.
    assert!(tr(&mut cpu, &mut ram, 0x4000_a000, Access::read(8)).is_err());
    w64(&mut ram, RAM + 0x2000 + 10 * 8, 0x8070_0000 | TABLE | AF | attr_idx(1));
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_a000, Access::read(8)).unwrap().pa, 0x8070_0000);
}

/// TLBIs by VA remove only the entries of their page: counted by walks (`Tlb::misses`,
/// one per lookup that had to walk). Counts worked out by hand from `setup_4k`'s tables.
#[test]
fn tlbi_by_va_walks_again_only_for_its_page() {
    let (mut cpu, mut ram) = setup_4k();
    let (a, b) = (0x4000_5000, 0x4000_7000); // nG page of ASID 1, global page
    tr(&mut cpu, &mut ram, a, Access::read(8)).unwrap();
    tr(&mut cpu, &mut ram, b, Access::read(8)).unwrap();
    assert_eq!(cpu.tlb.misses, 2);
    tr(&mut cpu, &mut ram, a, Access::read(8)).unwrap();
    tr(&mut cpu, &mut ram, b, Access::read(8)).unwrap();
    assert_eq!(cpu.tlb.misses, 2, "both cached");
    // TLBI VAE1 of page A, ASID 1: B (same ASID context) stays, A walks again.
    tlbi(&mut cpu, TlbiOp::Vae1, 1 << 48 | a >> 12);
    tr(&mut cpu, &mut ram, b, Access::read(8)).unwrap();
    assert_eq!(cpu.tlb.misses, 2, "page B must not walk after a TLBI of page A");
    tr(&mut cpu, &mut ram, a, Access::read(8)).unwrap();
    assert_eq!(cpu.tlb.misses, 3, "page A walks after its TLBI");
    // TLBI VAALE1 (all ASIDs, last level) of page B: A stays, B walks.
    tlbi(&mut cpu, TlbiOp::Vaale1, b >> 12);
    tr(&mut cpu, &mut ram, a, Access::read(8)).unwrap();
    assert_eq!(cpu.tlb.misses, 3);
    tr(&mut cpu, &mut ram, b, Access::read(8)).unwrap();
    assert_eq!(cpu.tlb.misses, 4);
    // TLBI VAE1 of page A with another ASID (2): A is nG of ASID 1, so it stays.
    tlbi(&mut cpu, TlbiOp::Vae1, 2 << 48 | a >> 12);
    tr(&mut cpu, &mut ram, a, Access::read(8)).unwrap();
    assert_eq!(cpu.tlb.misses, 4);
    // ASIDE1 of ASID 2 leaves both (A is ASID 1's, B is global); of ASID 1 only A walks.
    tlbi(&mut cpu, TlbiOp::Aside1, 2 << 48);
    tr(&mut cpu, &mut ram, a, Access::read(8)).unwrap();
    tr(&mut cpu, &mut ram, b, Access::read(8)).unwrap();
    assert_eq!(cpu.tlb.misses, 4);
    tlbi(&mut cpu, TlbiOp::Aside1, 1 << 48);
    tr(&mut cpu, &mut ram, b, Access::read(8)).unwrap();
    assert_eq!(cpu.tlb.misses, 4, "a global entry survives ASIDE1");
    tr(&mut cpu, &mut ram, a, Access::read(8)).unwrap();
    assert_eq!(cpu.tlb.misses, 5);
}

/// The TLB holds `TLB_ENTRIES` consecutive pages at once (they spread evenly over the
/// sets): a second pass over them walks no more. The pages are in `setup_4k`'s 1GB
/// block (VA 0x8000_0000, one TLB entry per 4KB page).
#[test]
fn tlb_holds_its_capacity_of_consecutive_pages() {
    let (mut cpu, mut ram) = setup_4k();
    let n = tlb::TLB_ENTRIES as u64;
    for pass in 0..2 {
        for i in 0..n {
            let va = 0x8000_0000 + (i << 12);
            assert_eq!(tr(&mut cpu, &mut ram, va, Access::read(8)).unwrap().pa, 0x4000_0000 + (i << 12));
        }
        assert_eq!(cpu.tlb.misses, n, "pass {pass}");
    }
    // One more page (set of page 0, whose ways hold pages 0, S, 2S, 3S, S = TLB_SETS,
    // filled in that order) replaces the oldest, page 0; the next pass then misses on
    // each of that set's pages in turn (each walk replaces the next oldest, the one
    // needed next), and on no other set: 1 + TLB_WAYS more walks.
    tr(&mut cpu, &mut ram, 0x8000_0000 + (n << 12), Access::read(8)).unwrap();
    for i in 0..n {
        tr(&mut cpu, &mut ram, 0x8000_0000 + (i << 12), Access::read(8)).unwrap();
    }
    assert_eq!(cpu.tlb.misses, n + 1 + tlb::TLB_WAYS as u64);
}

#[test]
fn tlb_asids_and_global() {
    let (mut cpu, mut ram) = setup_4k();
    // ASID 1: nG page 0x4000_5000 and global block 0x4020_0000 cached.
    tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap();
    tr(&mut cpu, &mut ram, 0x4020_0000, Access::read(8)).unwrap();
    // Remap both in memory, switch to ASID 2: the nG entry does not match ASID 2 (walk
    // gives the new page), the global entry does (old block).
    w64(&mut ram, RAM + 0x2000 + 5 * 8, 0x8020_0000 | TABLE | AF | NG | attr_idx(1));
    w64(&mut ram, RAM + 0x1000 + 8, 0x8060_0000 | BLOCK | AF | attr_idx(2));
    cpu.sys.ttbr0[1] = RAM | 2 << 48;
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8020_0000);
    assert_eq!(tr(&mut cpu, &mut ram, 0x4020_0000, Access::read(8)).unwrap().pa, 0x8040_0000);
    // Back to ASID 1: its own old entry still hits.
    cpu.sys.ttbr0[1] = RAM | 1 << 48;
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8010_0000);
    // ASIDE1 of ASID 1 removes it but not the global block.
    tlbi(&mut cpu, TlbiOp::Aside1, 1 << 48);
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8020_0000);
    assert_eq!(tr(&mut cpu, &mut ram, 0x4020_0000, Access::read(8)).unwrap().pa, 0x8040_0000);
    // VMALLE1 removes everything of EL1&0.
    tlbi(&mut cpu, TlbiOp::Vmalle1, 0);
    assert_eq!(tr(&mut cpu, &mut ram, 0x4020_0000, Access::read(8)).unwrap().pa, 0x8060_0000);
    // 8-bit ASIDs (TCR.AS = 0): ASID 0x101 behaves as 0x01.
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8020_0000);
    w64(&mut ram, RAM + 0x2000 + 5 * 8, 0x8030_0000 | TABLE | AF | NG | attr_idx(1));
    cpu.sys.ttbr0[1] = RAM | 0x101 << 48;
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8020_0000);
    // TCR.A1 = 1: the ASID comes from TTBR1_EL1 (0 here), so the ASID 1 entry misses.
    cpu.sys.tcr[1] |= 1 << 22;
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8030_0000);
    // EL2/EL3 TLBIs leave EL1&0 entries alone.
    w64(&mut ram, RAM + 0x2000 + 5 * 8, 0x8040_0000 | TABLE | AF | NG | attr_idx(1));
    tlbi(&mut cpu, TlbiOp::Alle2, 0);
    tlbi(&mut cpu, TlbiOp::Alle3, 0);
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8030_0000);
    tlbi(&mut cpu, TlbiOp::Alle1, 0);
    assert_eq!(tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap().pa, 0x8040_0000);
}

#[test]
fn el2_el3_regimes() {
    let mut cpu = el1_cpu();
    let mut ram = FlatRam::new(RAM, 16 << 20);
    // EL2: TCR_EL2 T0SZ = 25, PS = 40 bits; L1[2] = 1GB block at 0x8000_0000 with
    // AP[2:1] = 01 (AP[1] ignored with one privilege level), EL2 RW. L1[1] -> L2 with
    // APTable[0] set (ignored at EL2) and PXNTable (ignored), L2[0] block RO.
    cpu.st.pstate.el = 2;
    cpu.sys.tcr[2] = 25 | 2 << 16;
    cpu.sys.mair[2] = MAIR;
    cpu.sys.ttbr0[2] = RAM;
    cpu.sys.sctlr[2] |= SCTLR_M;
    w64(&mut ram, RAM + 2 * 8, 0x8000_0000 | BLOCK | AF | AP_EL0 | NG | attr_idx(1));
    w64(&mut ram, RAM + 8, (RAM + 0x1000) | TABLE | 1 << 61 | 1 << 59);
    w64(&mut ram, RAM + 0x1000, 0x8000_0000 | BLOCK | AF | AP_RO | attr_idx(1));
    assert_eq!(tr(&mut cpu, &mut ram, 0x8000_1234, Access::write(8)).unwrap().pa, 0x8000_1234);
    assert!(tr(&mut cpu, &mut ram, 0x4000_0000, Access::read(8)).is_ok());
    assert!(tr(&mut cpu, &mut ram, 0x4000_0000, Access::fetch()).is_ok());
    let e = tr(&mut cpu, &mut ram, 0x4000_0000, Access::write(8)).unwrap_err();
    assert_eq!(fsc(&e), 0b001110);
    // A high address is outside the only range: level 0.
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0xffff_0000_0000_0000, Access::read(8)).unwrap_err()), 0b000100);
    // XN (bit 54) is the only execute control.
    w64(&mut ram, RAM + 3 * 8, 0x8000_0000 | BLOCK | AF | UXN | attr_idx(1));
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0xc000_0000, Access::fetch()).unwrap_err()), 0b001101);
    // TLBI VAE2 removes the EL2 entry.
    w64(&mut ram, RAM + 2 * 8, 0x4000_0000 | BLOCK | AF | attr_idx(1));
    assert_eq!(tr(&mut cpu, &mut ram, 0x8000_1234, Access::read(8)).unwrap().pa, 0x8000_1234);
    tlbi(&mut cpu, TlbiOp::Vae2, 0x8000_1000 >> 12);
    assert_eq!(tr(&mut cpu, &mut ram, 0x8000_1234, Access::read(8)).unwrap().pa, 0x4000_1234);

    // EL3: Secure; NS bit in the block gives a Non-secure output.
    cpu.st.pstate.el = 3;
    cpu.sys.tcr[3] = 25 | 2 << 16;
    cpu.sys.mair[3] = MAIR;
    cpu.sys.ttbr0[3] = RAM + 0x4000;
    cpu.sys.sctlr[3] |= SCTLR_M;
    w64(&mut ram, RAM + 0x4000 + 2 * 8, 0x8000_0000 | BLOCK | AF | attr_idx(1));
    w64(&mut ram, RAM + 0x4000 + 3 * 8, 0x8000_0000 | BLOCK | AF | 1 << 5 | attr_idx(1));
    let t = tr(&mut cpu, &mut ram, 0x8000_0010, Access::read(8)).unwrap();
    assert!(t.secure);
    let t = tr(&mut cpu, &mut ram, 0xc000_0010, Access::read(8)).unwrap();
    assert!(!t.secure);
    assert_eq!(t.pa, 0x8000_0010);
    // SCR_EL3.SIF: no Secure fetch from Non-secure memory.
    cpu.sys.scr_el3 |= SCR_SIF;
    assert!(tr(&mut cpu, &mut ram, 0x8000_0010, Access::fetch()).is_ok());
    tlbi(&mut cpu, TlbiOp::Alle3, 0);
    assert_eq!(fsc(&tr(&mut cpu, &mut ram, 0xc000_0010, Access::fetch()).unwrap_err()), 0b001101);
}

/// Stage 2 setup: VTCR_EL2 4KB, T0SZ = 24 (40-bit IPA), SL0 = 1 (start level 1, two
/// concatenated level-1 tables, 8KB aligned), PS = 40 bits. VTTBR at RAM + 0x40000,
/// VMID 5. Stage-2 level-1 entries: IPA 0x4000_0000 (1GB) -> PA 0x8000_0000 Normal WB
/// RW; IPA 0 -> level-2 table at RAM + 0x42000 with IPA 0x20_0000 (2MB) -> PA
/// 0x8080_0000 read-only, XN.
/// Stage 1 (EL1): T0SZ = 25, TTBR0 = IPA 0x4000_0000 (PA 0x8000_0000), L1[0] = 1GB block
/// IPA 0 (Normal WB), L1[1] = table at IPA 0x4000_1000 whose L2[0] = 2MB block IPA
/// 0x4040_0000; L1[2] = table at IPA 0xc000_0000 (not mapped at stage 2).
fn setup_s2() -> (Cpu, FlatRam) {
    let mut cpu = el1_cpu();
    let mut ram = FlatRam::new(RAM, 16 << 20);
    let s2l1 = RAM + 0x40000;
    let s2l2 = RAM + 0x42000;
    const S2_RW: u64 = 0b11 << 6;
    const S2_RO: u64 = 0b01 << 6;
    const S2_WB: u64 = 0b1111 << 2;
    w64(&mut ram, s2l1 + 8, 0x8000_0000 | BLOCK | AF | S2_RW | S2_WB | SH_IS);
    w64(&mut ram, s2l1, s2l2 | TABLE);
    w64(&mut ram, s2l2 + 8, 0x8080_0000 | BLOCK | AF | S2_RO | S2_WB | UXN);
    cpu.sys.vtcr_el2 = 24 | 1 << 6 | 2 << 16;
    cpu.sys.vttbr_el2 = s2l1 | 5 << 48;
    cpu.sys.hcr_el2 |= HCR_VM;
    // Stage 1 tables at IPA 0x4000_0000 == PA 0x8000_0000.
    w64(&mut ram, RAM, BLOCK | AF | attr_idx(1));
    w64(&mut ram, RAM + 8, 0x4000_1000 | TABLE);
    w64(&mut ram, RAM + 2 * 8, 0xc000_0000 | TABLE);
    w64(&mut ram, RAM + 0x1000, 0x4040_0000 | BLOCK | AF | attr_idx(2) | AP_EL0);
    cpu.sys.tcr[1] = TCR_39;
    cpu.sys.ttbr0[1] = 0x4000_0000;
    cpu.sys.sctlr[1] |= SCTLR_M;
    (cpu, ram)
}

#[test]
fn stage2_translation_and_faults() {
    let (mut cpu, mut ram) = setup_s2();
    // VA 0x20_1234 -> (s1 1GB block) IPA 0x20_1234 -> (s2 2MB RO block) PA 0x8080_1234.
    let t = tr(&mut cpu, &mut ram, 0x20_1234, Access::read(4)).unwrap();
    assert_eq!((t.pa, t.attr), (0x8080_1234, 0xff));
    assert!(!t.secure);
    // Write: stage-2 permission fault level 2 to EL2, HPFAR IPA, FAR VA, ISV syndrome.
    let mut acc = Access::write(4);
    acc.syndrome = Some(1 << 24 | 2 << 22 | 3 << 16);
    let e = tr(&mut cpu, &mut ram, 0x20_1234, acc).unwrap_err();
    assert_eq!(e.target, Some(2));
    assert_eq!(e.ipa, Some(0x20_1234));
    assert_eq!(e.far, Some(0x20_1234));
    assert_eq!(e.iss, 0b001110 | 1 << 6 | 1 << 24 | 2 << 22 | 3 << 16);
    // Fetch from the stage-2 XN block: instruction abort to EL2, permission level 2.
    let e = tr(&mut cpu, &mut ram, 0x20_1000, Access::fetch()).unwrap_err();
    assert_eq!((e.ec, fsc(&e), e.target), (ec::IABT_SAME, 0b001110, Some(2)));
    // IPA 0x1000_0000 is not mapped at stage 2 (IPA 0 table, L2[128] = 0): stage-2
    // translation fault level 2.
    let e = tr(&mut cpu, &mut ram, 0x1000_0000, Access::read(4)).unwrap_err();
    assert_eq!((fsc(&e), e.target, e.ipa), (0b000110, Some(2), Some(0x1000_0000)));
    // Stage-1 fault under stage 2: VA 0x4020_0000 (L2[1] invalid) is a stage-1 level 2
    // fault, to EL1.
    let e = tr(&mut cpu, &mut ram, 0x4020_0000, Access::read(4)).unwrap_err();
    assert_eq!((fsc(&e), e.target), (0b000110, None));
    // VA 0x4000_0000 -> IPA 0x4040_0000 -> PA 0x8040_0000; attrs combine NC + WB = NC.
    let t = tr(&mut cpu, &mut ram, 0x4000_0010, Access::read(4)).unwrap();
    assert_eq!((t.pa, t.attr), (0x8040_0010, 0x44));
    // Stage-1 table at IPA 0xc000_0000 is not mapped at stage 2: stage-2 translation
    // fault level 1 on the stage-1 walk (S1PTW), IPA of the table entry, no ISV.
    let e = tr(&mut cpu, &mut ram, 0x8000_0000, acc).unwrap_err();
    assert_eq!(e.target, Some(2));
    assert_eq!(e.iss, 0b000101 | 1 << 6 | 1 << 7);
    assert_eq!(e.ipa, Some(0xc000_0000));
    // VMID tags: VMID 6 does not see VMID 5's entries.
    w64(&mut ram, RAM + 0x42000 + 8, 0x80a0_0000 | BLOCK | AF | 0b11 << 6 | 0b1111 << 2);
    assert_eq!(tr(&mut cpu, &mut ram, 0x20_1234, Access::read(4)).unwrap().pa, 0x8080_1234);
    cpu.sys.vttbr_el2 = (cpu.sys.vttbr_el2 & !(0xff << 48)) | 6 << 48;
    assert_eq!(tr(&mut cpu, &mut ram, 0x20_1234, Access::read(4)).unwrap().pa, 0x80a0_1234);
    // Back in VMID 5: stale until IPAS2E1 + VMALLE1 (IPAS2E1 alone is enough here).
    cpu.sys.vttbr_el2 = (cpu.sys.vttbr_el2 & !(0xff << 48)) | 5 << 48;
    assert_eq!(tr(&mut cpu, &mut ram, 0x20_1234, Access::read(4)).unwrap().pa, 0x8080_1234);
    tlbi(&mut cpu, TlbiOp::Ipas2e1, 0x20_0000 >> 12);
    assert_eq!(tr(&mut cpu, &mut ram, 0x20_1234, Access::read(4)).unwrap().pa, 0x80a0_1234);
    // Now writable at stage 2.
    assert!(tr(&mut cpu, &mut ram, 0x20_1234, Access::write(4)).is_ok());
}

#[test]
fn stage2_with_stage1_off_and_ptw() {
    let (mut cpu, mut ram) = setup_s2();
    // Stage 1 off: IPA = VA. Data Device-nGnRnE (combined with s2 WB stays Device).
    cpu.sys.sctlr[1] &= !SCTLR_M;
    let t = tr(&mut cpu, &mut ram, 0x4000_0008, Access::read(8)).unwrap();
    assert_eq!((t.pa, t.mem), (0x8000_0008, MemType::Device));
    // Stage 2 Device memory for a stage-1 table with HCR_EL2.PTW: stage-2 permission
    // fault on the walk.
    cpu.sys.sctlr[1] |= SCTLR_M;
    w64(&mut ram, RAM + 0x40000 + 8, 0x8000_0000 | BLOCK | AF | 0b11 << 6 | 0b0001 << 2);
    cpu.sys.hcr_el2 |= 1 << 2;
    cpu.tlb.flush();
    let e = tr(&mut cpu, &mut ram, 0x4000_0010, Access::read(8)).unwrap_err();
    assert_eq!((fsc(&e), e.iss >> 7 & 1, e.target), (0b001101, 1, Some(2)));
    // Without PTW the walk is fine.
    cpu.sys.hcr_el2 &= !(1 << 2);
    assert!(tr(&mut cpu, &mut ram, 0x4000_0010, Access::read(8)).is_ok());
}

#[test]
fn at_instructions() {
    let (mut cpu, mut ram) = setup_4k();
    // AT S1E1R of the Normal Inner Shareable page: PA 0x8010_0000, SH = 11, NS = 1,
    // bit 11, ATTR = 0xff.
    let par = at(&mut cpu, &mut ram, AtOp::S1e1r, 0x4000_5678);
    assert_eq!(par, 0xff << 56 | 0x8010_0000 | 0b11 << 7 | 1 << 9 | 1 << 11);
    // AT S1E1W of the read-only page: F = 1, FST = permission level 3 (0b001111).
    let par = at(&mut cpu, &mut ram, AtOp::S1e1w, 0x4000_7000);
    assert_eq!(par, 1 | 0b001111 << 1 | 1 << 11);
    // AT S1E0R of it (no EL0 access): permission fault too; S1E0R of the EL0 page works.
    assert_eq!(at(&mut cpu, &mut ram, AtOp::S1e0r, 0x4000_7000) & 0x7f, 1 | 0b001111 << 1);
    assert_eq!(at(&mut cpu, &mut ram, AtOp::S1e0r, 0x4000_5000) & 1, 0);
    // Translation fault level 3.
    assert_eq!(at(&mut cpu, &mut ram, AtOp::S1e1r, 0x4000_a000), 1 | 0b000111 << 1 | 1 << 11);
    // Device page: ATTR 0x04, SH from the descriptor (00) with stage 1 alone.
    assert_eq!(at(&mut cpu, &mut ram, AtOp::S1e1r, 0x4000_9000), 0x04 << 56 | 0x8010_4000 | 1 << 9 | 1 << 11);

    // Stage 2: S1E1R gives the IPA, S12E1R (from EL2) the PA; a stage-2 fault is
    // reported with S = 1.
    let (mut cpu, mut ram) = setup_s2();
    cpu.st.pstate.el = 2;
    assert_eq!(at(&mut cpu, &mut ram, AtOp::S1e1r, 0x20_1234) & 0xffff_ffff_f000, 0x20_1000);
    assert_eq!(at(&mut cpu, &mut ram, AtOp::S12e1r, 0x20_1234) & 0xffff_ffff_f000, 0x8080_1000);
    // S12E1W: stage-2 permission fault level 2: F, FST = 0b001110, S.
    assert_eq!(at(&mut cpu, &mut ram, AtOp::S12e1w, 0x20_1234), 1 | 0b001110 << 1 | 1 << 9 | 1 << 11);
    // S1E1R with a stage-2 fault on the walk: S = 1, PTW = 1 (from EL2, no exception).
    assert_eq!(at(&mut cpu, &mut ram, AtOp::S1e1r, 0x8000_0000), 1 | 0b000101 << 1 | 1 << 8 | 1 << 9 | 1 << 11);
    // From EL1 it is a Data Abort to EL2 with S1PTW, CM and WnR.
    cpu.st.pstate.el = 1;
    let e = at_checked(&mut cpu, &mut ram, AtOp::S1e1r, 0x8000_0000).unwrap_err();
    assert_eq!((e.target, e.iss), (Some(2), 0b000101 | 1 << 6 | 1 << 7 | 1 << 8));
}


#[test]
fn stage2_64k_granule_af_and_vmid_scoping() {
    let mut cpu = el1_cpu();
    let mut ram = FlatRam::new(RAM, 16 << 20);
    // Stage 1 off, stage 2 with 64KB granule: VTCR T0SZ = 24 (40-bit IPA), TG0 = 01,
    // SL0 = 1 (start level 2): 40 - (13 + 16) = 11 index bits at level 2 (16KB table).
    // L2 index = IPA[39:29], L3 index = IPA[28:16].
    let (l2, l3) = (RAM + 0x10000, RAM + 0x20000);
    cpu.sys.vtcr_el2 = 24 | 1 << 6 | 0b01 << 14 | 2 << 16;
    cpu.sys.vttbr_el2 = l2 | 7 << 48;
    cpu.sys.hcr_el2 |= HCR_VM;
    // IPA 0x2000_0000 (L2[1]) -> L3; L3[2] -> PA 0x8070_0000 RW; L3[3] AF = 0.
    w64(&mut ram, l2 + 8, l3 | TABLE);
    w64(&mut ram, l3 + 2 * 8, 0x8070_0000 | TABLE | AF | 0b11 << 6 | 0b1111 << 2);
    w64(&mut ram, l3 + 3 * 8, 0x8080_0000 | TABLE | 0b11 << 6 | 0b1111 << 2);
    // IPA 0x4000_0000 (L2[2]): 512MB block at PA 0x8000_0000... must be 512MB aligned:
    // PA 0x6000_0000, read-only.
    w64(&mut ram, l2 + 2 * 8, 0x6000_0000 | BLOCK | AF | 0b01 << 6 | 0b1111 << 2);
    let t = tr(&mut cpu, &mut ram, 0x2002_1238, Access::read(8)).unwrap();
    // Stage 1 off: Device-nGnRnE data combined with stage-2 Normal: Device, Outer Shareable.
    assert_eq!((t.pa, t.mem, t.sh), (0x8070_1238, MemType::Device, 0b10));
    // Stage-2 access flag fault, level 3, to EL2 with the IPA.
    let e = tr(&mut cpu, &mut ram, 0x2003_0000, Access::read(8)).unwrap_err();
    assert_eq!((fsc(&e), e.target, e.ipa), (0b001011, Some(2), Some(0x2003_0000)));
    assert_eq!(tr(&mut cpu, &mut ram, 0x4123_4560, Access::read(8)).unwrap().pa, 0x6123_4560);
    let e = tr(&mut cpu, &mut ram, 0x4123_4560, Access::write(8)).unwrap_err();
    assert_eq!((fsc(&e), e.target), (0b001110, Some(2)));
    // VMID scoping: entries of VMID 7 survive VMALLS12E1 issued for VMID 8 and go with
    // the one for VMID 7; ALLE1 clears every VMID.
    w64(&mut ram, l3 + 2 * 8, 0x8090_0000 | TABLE | AF | 0b11 << 6 | 0b1111 << 2);
    cpu.sys.vttbr_el2 = l2 | 8 << 48;
    tlbi(&mut cpu, TlbiOp::Vmalls12e1, 0);
    cpu.sys.vttbr_el2 = l2 | 7 << 48;
    assert_eq!(tr(&mut cpu, &mut ram, 0x2002_1238, Access::read(8)).unwrap().pa, 0x8070_1238);
    tlbi(&mut cpu, TlbiOp::Vmalls12e1, 0);
    assert_eq!(tr(&mut cpu, &mut ram, 0x2002_1238, Access::read(8)).unwrap().pa, 0x8090_1238);
    w64(&mut ram, l3 + 2 * 8, 0x80a0_0000 | TABLE | AF | 0b11 << 6 | 0b1111 << 2);
    cpu.sys.vttbr_el2 = l2 | 9 << 48;
    tlbi(&mut cpu, TlbiOp::Alle1, 0);
    cpu.sys.vttbr_el2 = l2 | 7 << 48;
    assert_eq!(tr(&mut cpu, &mut ram, 0x2002_1238, Access::read(8)).unwrap().pa, 0x80a0_1238);
    // IPAS2E1 by IPA inside the 64KB page.
    w64(&mut ram, l3 + 2 * 8, 0x80b0_0000 | TABLE | AF | 0b11 << 6 | 0b1111 << 2);
    tlbi(&mut cpu, TlbiOp::Ipas2le1, 0x2002_f000 >> 12);
    assert_eq!(tr(&mut cpu, &mut ram, 0x2002_1238, Access::read(8)).unwrap().pa, 0x80b0_1238);
}

#[test]
fn secure_el1_nstable_and_tge() {
    let (mut cpu, mut ram) = setup_4k();
    // Secure EL1 (SCR_EL3.NS = 0): NS bit of the block and NSTable give Non-secure output.
    cpu.sys.scr_el3 &= !SCR_NS;
    let t = tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap();
    assert!(t.secure);
    // NSTable (bit 63) on L1[1]: the level-2/3 tables are read Non-secure and the output
    // is Non-secure.
    w64(&mut ram, RAM + 8, (RAM + 0x1000) | TABLE | 1 << 63);
    tlbi(&mut cpu, TlbiOp::Vmalle1, 0);
    let t = tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap();
    assert!(!t.secure);
    // Non-secure EL1&0 entries are not Secure ones: back to NS, the walk is redone and
    // NS-state output is always Non-secure.
    cpu.sys.scr_el3 |= SCR_NS;
    assert!(!tr(&mut cpu, &mut ram, 0x4020_0000, Access::read(8)).unwrap().secure);
    // HCR_EL2.TGE = 1: EL0 runs with stage 1 disabled (flat, Device data).
    cpu.sys.hcr_el2 |= HCR_TGE;
    cpu.st.pstate.el = 0;
    let t = tr(&mut cpu, &mut ram, 0x4000_5000, Access::read(8)).unwrap();
    assert_eq!((t.pa, t.mem), (0x4000_5000, MemType::Device));
}

#[test]
fn through_cpu_memory_accesses() {
    // The same translation used by Cpu::read_mem / write_mem (mem.rs).
    let (mut cpu, mut ram) = setup_4k();
    w64(&mut ram, 0x8010_0008, 0x1122_3344_5566_7788);
    assert_eq!(cpu.read_u64(&mut ram, 0x4000_5008, 8).unwrap(), 0x1122_3344_5566_7788);
    cpu.write_mem(&mut ram, 0x4000_5010, 0xabcd, Access::write(2)).unwrap();
    assert_eq!(ram.mem[0x10_0010..0x10_0012], [0xcd, 0xab]);
    // A read-only page: the write faults and memory is unchanged.
    let e = cpu.write_mem(&mut ram, 0x4000_7000, 1, Access::write(1)).unwrap_err();
    assert_eq!(fsc(&e), 0b001111);
    assert_eq!(ram.mem[0x10_2000], 0);
}


/// The TLB never changes a result: with tables that do not change (and a fresh ASID for
/// each different set of non-global mappings), every access through the TLB gives what a
/// walk without the TLB gives, whatever the sequence of ELs, ASIDs, TBI, stage-2 and MMU
/// enables. Deterministic pseudo-random sequence.
#[test]
fn tlb_is_transparent() {
    let (mut cpu, mut ram) = setup_s2();
    // A second stage-1 table set (ASID 2) at IPA 0x4000_8000 (PA 0x8000_8000) that maps
    // the same global 1GB block (L1[0]) but a different nG page under L1[1].
    let (l1b, l2b, l3b) = (RAM + 0x8000, RAM + 0x9000, RAM + 0xa000);
    w64(&mut ram, l1b, BLOCK | AF | attr_idx(1));
    w64(&mut ram, l1b + 8, 0x4000_9000 | TABLE);
    w64(&mut ram, l2b, 0x4000_a000 | TABLE);
    w64(&mut ram, l3b + 3 * 8, 0x4050_0000 | TABLE | AF | NG | AP_EL0 | attr_idx(1));
    // Set A (ASID 1): L1[1] -> L2 at IPA 0x4000_1000 whose L2[0] is a 2MB block, made nG
    // here (a global entry would rightly apply to ASID 2 as well).
    w64(&mut ram, RAM + 0x1000, 0x4040_0000 | BLOCK | AF | NG | attr_idx(2) | AP_EL0);
    cpu.sys.ttbr1_el1 = 1 << 48;
    let vas: [u64; 8] = [0x0, 0x20_1234, 0x4000_3008, 0x4000_0010, 0x1000_0000, 0x5a00_0000_4000_3000, 0x80_0000_0000, 0xffff_ff80_0000_0000];
    let mut seed = 0x1234_5678_9abc_def0u64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..50_000 {
        let r = rnd();
        match r % 16 {
            // Each table set has its own ASID in both TTBRs (TCR.A1 may pick either).
            0 => (cpu.sys.ttbr0[1], cpu.sys.ttbr1_el1) = (0x4000_0000 | 1 << 48, 1 << 48),
            1 => (cpu.sys.ttbr0[1], cpu.sys.ttbr1_el1) = (0x4000_8000 | 2 << 48, 2 << 48),
            2 => cpu.sys.tcr[1] ^= 1 << 37,        // TBI0
            3 => cpu.sys.hcr_el2 ^= HCR_VM,        // stage 2 on/off
            4 => cpu.sys.sctlr[1] ^= SCTLR_M,      // stage 1 on/off
            5 => cpu.st.pstate.el = (r >> 8) as u8 % 3, // EL0, EL1 or EL2 (MMU off)
            6 => tlbi(&mut cpu, TlbiOp::Vae1, (r >> 16) & 0xf_ffff | 1 << 48),
            7 => cpu.sys.scr_el3 ^= SCR_NS,       // Secure EL1&0: no stage 2
            8 => cpu.sys.tcr[1] ^= 1 << 22,        // A1: ASID from TTBR1 (0)
            9 => tlbi(&mut cpu, TlbiOp::Aside1, (r >> 16) << 48),
            _ => {}
        }
        let va = vas[(r >> 20) as usize % vas.len()];
        let acc = match (r >> 30) % 3 {
            0 => Access::read(8),
            1 => Access::write(4),
            _ => Access::fetch(),
        };
        let ctx = Ctx::current(&cpu, false);
        let cached = translate_in(&mut cpu, &mut ram, &ctx, va, &acc, true);
        let fresh = translate_in(&mut cpu, &mut ram, &ctx, va, &acc, false);
        assert_eq!(cached, fresh, "va {va:#x} {acc:?} {ctx:?}");
    }
}

#[test]
fn tlbi_from_another_pe_is_widened() {
    // The issuer ran VMID 5 and ASID 1; this PE now runs VMID 6 (its VTTBR differs), so
    // a broadcast VMALLS12E1 must still remove VMID 5's entries.
    let (mut cpu, mut ram) = setup_s2();
    assert_eq!(tr(&mut cpu, &mut ram, 0x20_1234, Access::read(4)).unwrap().pa, 0x8080_1234);
    w64(&mut ram, RAM + 0x42000 + 8, 0x80a0_0000 | BLOCK | AF | 0b11 << 6 | 0b1111 << 2);
    cpu.sys.vttbr_el2 = (cpu.sys.vttbr_el2 & !(0xff << 48)) | 6 << 48;
    tlbi_remote(&mut cpu, TlbiOp::Vmalls12e1, 0);
    cpu.sys.vttbr_el2 = (cpu.sys.vttbr_el2 & !(0xff << 48)) | 5 << 48;
    assert_eq!(tr(&mut cpu, &mut ram, 0x20_1234, Access::read(4)).unwrap().pa, 0x80a0_1234);
    // By VA: removed whatever this PE's ASID and VMID are.
    w64(&mut ram, RAM + 0x42000 + 8, 0x80c0_0000 | BLOCK | AF | 0b11 << 6 | 0b1111 << 2);
    cpu.sys.vttbr_el2 = (cpu.sys.vttbr_el2 & !(0xff << 48)) | 9 << 48;
    tlbi_remote(&mut cpu, TlbiOp::Vae1, 3 << 48 | 0x20_1000 >> 12);
    cpu.sys.vttbr_el2 = (cpu.sys.vttbr_el2 & !(0xff << 48)) | 5 << 48;
    assert_eq!(tr(&mut cpu, &mut ram, 0x20_1234, Access::read(4)).unwrap().pa, 0x80c0_1234);
}

/// `FlatRam` without `Bus::ram_span`: every descriptor read goes through `Bus::read`.
struct NoSpan(FlatRam);

impl Bus for NoSpan {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], a: BusAttrs) -> Result<(), BusError> {
        self.0.read(pa, buf, a)
    }
    fn write(&mut self, pa: PhysAddr, buf: &[u8], a: BusAttrs) -> Result<(), BusError> {
        self.0.write(pa, buf, a)
    }
}

impl Platform for NoSpan {
    fn counter(&self) -> u64 {
        0
    }
}

/// Guest-controlled garbage never panics the host: random table contents and random
/// translation control registers, every regime and access type, with and without the TLB.
/// A twin PE walking the same tables through the bus alone (`NoSpan`: no in-place RAM
/// reads) gets the same result for every access (tables at the end of RAM and outside it
/// included: random descriptors point anywhere).
#[test]
fn random_tables_and_controls_never_panic() {
    let mut cpu = el1_cpu();
    let mut ram = FlatRam::new(RAM, 1 << 20);
    let mut seed = 0x0dd_ba11_cafe_f00du64;
    let mut rnd = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..(1 << 20) / 8 {
        // Descriptors pointing mostly back into the RAM, with random attributes.
        let r = rnd();
        let d = if r & 3 == 0 { r } else { (RAM + (r >> 20) % (1 << 20)) & !0xfff | (r & 0xfff0_0000_0000_0fff) };
        w64(&mut ram, RAM + i * 8, d);
    }
    let mut twin = cpu.clone();
    let mut bus_only = NoSpan(ram.clone());
    let mut ok = 0u32;
    let mut faults = std::collections::BTreeMap::new();
    for _ in 0..200_000 {
        let r = rnd();
        match r % 12 {
            0 => cpu.sys.tcr[1] = rnd(),
            1 => cpu.sys.ttbr0[1] = (RAM + (rnd() & 0xff000)) | (rnd() & 0xffff_0000_0000_0fff),
            2 => cpu.sys.ttbr1_el1 = rnd(),
            3 => cpu.sys.vtcr_el2 = rnd(),
            4 => cpu.sys.vttbr_el2 = (RAM + (rnd() & 0xfe000)) | (rnd() & 0xff00_0000_0000_0000),
            5 => cpu.sys.hcr_el2 = rnd() & (HCR_VM | HCR_DC | HCR_TGE | 1 << 2) | HCR_RW,
            6 => cpu.sys.sctlr[(r >> 8) as usize % 4] ^= SCTLR_M | (rnd() & SCTLR_WXN),
            7 => cpu.st.pstate.el = (r >> 8) as u8 % 4,
            8 => cpu.sys.tcr[(r >> 8) as usize % 2 + 2] = rnd(),
            9 => cpu.sys.ttbr0[(r >> 8) as usize % 2 + 2] = RAM + (rnd() & 0xff000),
            10 => tlbi(&mut cpu, TlbiOp::Vmalls12e1, 0),
            _ => cpu.sys.scr_el3 ^= SCR_NS,
        }
        let va = match r >> 60 {
            0..=5 => rnd() & 0x7f_ffff_ffff,
            6..=9 => rnd() | 0xffff_ff80_0000_0000,
            _ => rnd(),
        };
        let mut acc = match (r >> 40) % 3 {
            0 => Access::read(1 << ((r >> 44) % 5)),
            1 => Access::write(1 << ((r >> 44) % 5)),
            _ => Access::fetch(),
        };
        acc.unpriv = r >> 50 & 1 == 1;
        twin.sys = cpu.sys.clone();
        twin.st.pstate = cpu.st.pstate;
        if r % 12 == 10 {
            tlbi(&mut twin, TlbiOp::Vmalls12e1, 0);
        }
        let t = translate(&mut cpu, &mut ram, va, acc);
        assert_eq!(t, translate(&mut twin, &mut bus_only, va, acc), "va {va:#x} {acc:?}");
        match t {
            Ok(_) => ok += 1,
            Err(e) => *faults.entry(e.iss & 0x3f).or_insert(0u32) += 1,
        }
        if r >> 52 & 15 == 0 {
            let op = [AtOp::S1e1r, AtOp::S1e0w, AtOp::S12e1r, AtOp::S12e0w, AtOp::S1e2w, AtOp::S1e3r][(r >> 56) as usize % 6];
            let a = at_checked(&mut cpu, &mut ram, op, va);
            assert_eq!(a, at_checked(&mut twin, &mut bus_only, op, va), "AT {op:?} va {va:#x}");
        }
    }
    // The walks really ran: successes and several kinds of fault.
    eprintln!("ok {ok}, faults by FSC {faults:x?}");
    assert!(ok > 1000 && faults.len() >= 6);
}
