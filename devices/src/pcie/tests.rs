//! Register-level tests of the DesignWare root port and the NVMe function. Expected values
//! are worked out by hand from pcie-designware.h / the PCIe base spec / NVMe 1.4, as noted.

use super::nvme::{MemDisk, Nvme};
use super::*;
use crate::dma::RamDma;

const CFG: u64 = 0x20_0000_0000;
const MEM: u64 = 0x20_4000_0000;

fn rd(p: &mut Pcie, off: u64) -> u32 {
    p.dbi_read(off, Size::B4).unwrap() as u32
}

fn wr(p: &mut Pcie, off: u64, v: u32) {
    p.dbi_write(off, Size::B4, v as u64).unwrap()
}

/// Programs outbound region `i` the way __dw_pcie_prog_outbound_atu does (viewport mode).
fn atu(p: &mut Pcie, i: u32, ty: u32, cpu: u64, pci: u64, size: u64) {
    wr(p, 0x900, i);
    wr(p, 0x90C, cpu as u32);
    wr(p, 0x910, (cpu >> 32) as u32);
    wr(p, 0x914, (cpu + size - 1) as u32);
    wr(p, 0x918, pci as u32);
    wr(p, 0x91C, (pci >> 32) as u32);
    wr(p, 0x904, ty);
    wr(p, 0x908, 1 << 31);
}

fn disk(blocks: usize) -> Box<MemDisk> {
    // Block b holds bytes b, b+1, ... (mod 256) so every block differs.
    Box::new(MemDisk((0..blocks * 512).map(|i| (i / 512 + i % 512) as u8).collect()))
}

#[test]
fn root_port_identity_and_link() {
    let mut p = Pcie::new(Some(Box::new(Nvme::new(disk(8), false, "t"))));
    // ls_pcie_is_bridge: header type (0x0E) & 0x7f == 1.
    assert_eq!(p.dbi_read(0x0E, Size::B1).unwrap(), 1);
    assert_eq!(rd(&mut p, 0), 0x80C0_1957);
    // dw_pcie_link_up: PORT_DEBUG1 (0x72C) bit 4 set, bit 29 (in training) clear.
    assert_eq!(rd(&mut p, 0x72C), 0x10);
    // Version register 0 (< 4.70a): dw_pcie_version_detect keeps version unknown.
    assert_eq!(rd(&mut p, 0x8F8), 0);
    // Capability list: status bit 4, pointer 0x40, PCIe capability (ID 0x10), root port
    // (type 4 in bits 7:4 of the capabilities register) version 2 → 0x0042_0010.
    assert_eq!(rd(&mut p, 0x04) >> 16 & 0x10, 0x10);
    assert_eq!(rd(&mut p, 0x34) & 0xFF, 0x40);
    assert_eq!(rd(&mut p, 0x40), 0x0042_0010);
    // Link status (cap + 0x12): CLS 3 (bits 3:0), NLW 4 (bits 9:4) → "Gen.3 x4".
    let lnksta = p.dbi_read(0x52, Size::B2).unwrap();
    assert_eq!((lnksta & 0xF, (lnksta >> 4) & 0x3F), (3, 4));
    // No device: link down.
    let mut empty = Pcie::new(None);
    assert_eq!(rd(&mut empty, 0x72C) & 0x10, 0);
}

#[test]
fn iatu_viewport_detection() {
    let mut p = Pcie::new(None);
    // dw_pcie_iatu_unroll_enabled: viewport must not read 0xffffffff.
    assert_ne!(rd(&mut p, 0x900), 0xFFFF_FFFF);
    // Writing 0xFF to the viewport reads back 7: max_region = 8.
    wr(&mut p, 0x900, 0xFF);
    assert_eq!(rd(&mut p, 0x900), 7);
    // Detection writes 0x11110000 to LOWER_TARGET of each region: 6 hold it (0..5).
    let mut ob = 0;
    for i in 0..8 {
        wr(&mut p, 0x900, i);
        wr(&mut p, 0x918, 0x1111_0000);
        if rd(&mut p, 0x918) != 0x1111_0000 {
            break;
        }
        ob += 1;
    }
    assert_eq!(ob, 6);
    // LIMIT written 0 reads 0xFFF: region_align = 1 << fls(0xfff) = 4 KiB.
    wr(&mut p, 0x900, 0);
    wr(&mut p, 0x914, 0);
    assert_eq!(rd(&mut p, 0x914), 0xFFF);
    // Inbound bank is separate (viewport bit 31): its region 0 was never written.
    wr(&mut p, 0x900, 1 << 31);
    assert_eq!(rd(&mut p, 0x918), 0);
    wr(&mut p, 0x918, 0x2222_0000);
    wr(&mut p, 0x900, 0);
    assert_eq!(rd(&mut p, 0x918), 0x1111_0000);
}

/// A root port with an NVMe function, bus numbers and ATU set up as Linux does, BAR0 at
/// PCI 0x4000_0000 and memory decoding + bus mastering on.
fn linux_like() -> Pcie {
    let mut p = Pcie::new(Some(Box::new(Nvme::new(disk(64), false, "sn1"))));
    // dw_pcie_setup_rc: primary 0, secondary 1, subordinate 0xff.
    wr(&mut p, 0x18, 0x00FF_0100);
    atu(&mut p, 1, 0, MEM, 0x4000_0000, 0x4000_0000);
    atu(&mut p, 0, 4, CFG, 1 << 24, 0x2000);
    p.window_write(CFG + 0x10, Size::B4, 0x4000_0000, &mut crate::dma::NoDma).unwrap();
    p.window_write(CFG + 0x14, Size::B4, 0, &mut crate::dma::NoDma).unwrap();
    p.window_write(CFG + 0x04, Size::B2, 0x6, &mut crate::dma::NoDma).unwrap();
    p
}

#[test]
fn config_through_the_cfg0_window() {
    let mut p = linux_like();
    // CFG0 to bus 1 dev 0: the NVMe function, vendor 0x1957, class 01:08:02 (rev 0).
    assert_eq!(p.window_read(CFG, Size::B4).unwrap(), 0x0E01_1957);
    assert_eq!(p.window_read(CFG + 8, Size::B4).unwrap(), 0x0108_0200);
    // BAR sizing: all ones written to BAR0 reads back ~(16K-1) | 64-bit type (0b100).
    p.window_write(CFG + 0x10, Size::B4, 0xFFFF_FFFF, &mut crate::dma::NoDma).unwrap();
    assert_eq!(p.window_read(CFG + 0x10, Size::B4).unwrap(), 0xFFFF_C004);
    p.window_write(CFG + 0x10, Size::B4, 0x4000_0000, &mut crate::dma::NoDma).unwrap();
    // Device 1 on bus 1 (target 0x0108_0000): nothing, all ones.
    atu(&mut p, 0, 4, CFG, 1 << 24 | 1 << 19, 0x2000);
    assert_eq!(p.window_read(CFG, Size::B4).unwrap(), 0xFFFF_FFFF);
    // Through the MEM region: NVMe VS at BAR0 + 8 = 0x0001_0400 (1.4.0).
    assert_eq!(p.window_read(MEM + 8, Size::B4).unwrap(), 0x0001_0400);
    // CAP low word: MQES 1023 | CQR (bit 16) | TO 20 << 24 = 0x1401_03FF; high word:
    // CSS bit 37 → bit 5 of the upper half = 0x20.
    assert_eq!(p.window_read(MEM, Size::B4).unwrap(), 0x1401_03FF);
    assert_eq!(p.window_read(MEM + 4, Size::B4).unwrap(), 0x20);
}

const RAM: u64 = 0x8000_0000;

fn sqe(op: u8, cid: u16, nsid: u32, prp1: u64, prp2: u64, cdw: [u32; 6]) -> [u8; 64] {
    let mut e = [0u8; 64];
    e[0] = op;
    e[2..4].copy_from_slice(&cid.to_le_bytes());
    e[4..8].copy_from_slice(&nsid.to_le_bytes());
    e[24..32].copy_from_slice(&prp1.to_le_bytes());
    e[32..40].copy_from_slice(&prp2.to_le_bytes());
    for (i, d) in cdw.iter().enumerate() {
        e[40 + 4 * i..44 + 4 * i].copy_from_slice(&d.to_le_bytes());
    }
    e
}

struct Host {
    p: Pcie,
    ram: RamDma,
    sq_tail: [u32; 2],
    cq_head: [u32; 2],
}

impl Host {
    fn w32(&mut self, off: u64, v: u32) {
        self.p.window_write(MEM + off, Size::B4, v as u64, &mut self.ram).unwrap();
    }
    /// Submits on queue `q` (SQ at 0x8001_0000 + q * 0x1_0000, 16 entries) and returns the CQE.
    fn submit(&mut self, q: usize, e: [u8; 64]) -> [u8; 16] {
        let sq = RAM + 0x1_0000 + q as u64 * 0x2_0000;
        let cq = sq + 0x1_0000;
        let t = self.sq_tail[q];
        crate::DmaSpace::write(&mut self.ram, sq + t as u64 * 64, &e).unwrap();
        self.sq_tail[q] = (t + 1) % 16;
        let tail = self.sq_tail[q];
        self.w32(0x1000 + 8 * q as u64, tail);
        let h = self.cq_head[q];
        let mut c = [0u8; 16];
        crate::DmaSpace::read(&mut self.ram, cq + h as u64 * 16, &mut c).unwrap();
        self.cq_head[q] = (h + 1) % 16;
        let head = self.cq_head[q];
        self.w32(0x1004 + 8 * q as u64, head);
        c
    }
}

/// CQE status field (DW3 bits 31:17) and phase (bit 16).
fn status(c: &[u8; 16]) -> (u16, bool) {
    let w = u16::from_le_bytes([c[14], c[15]]);
    (w >> 1, w & 1 != 0)
}

fn host() -> Host {
    let mut h = Host { p: linux_like(), ram: RamDma::new(RAM, 0x20_0000), sq_tail: [0; 2], cq_head: [0; 2] };
    // Admin queues: 16 entries each (AQA 0's based 15/15), SQ 0x8001_0000, CQ 0x8002_0000.
    h.w32(0x24, 15 << 16 | 15);
    h.w32(0x28, 0x8001_0000);
    h.w32(0x2C, 0);
    h.w32(0x30, 0x8002_0000);
    h.w32(0x34, 0);
    // CC: EN, IOSQES 6, IOCQES 4 (0x0046_0001).
    h.w32(0x14, 0x0046_0001);
    assert_eq!(h.p.window_read(MEM + 0x1C, Size::B4).unwrap() & 1, 1, "CSTS.RDY");
    h
}

#[test]
fn nvme_admin_and_io() {
    let mut h = host();
    // MSI-X: enable (control bit 15) via config space 0x82; vector 0 → 0x0606_0040/data 7,
    // vector 1 → data 9, both unmasked.
    h.p.window_write(CFG + 0x82, Size::B2, 0x8000, &mut crate::dma::NoDma).unwrap();
    for (v, data) in [(0u64, 7u32), (1, 9)] {
        h.w32(0x2000 + 16 * v, 0x0606_0040);
        h.w32(0x2004 + 16 * v, 0);
        h.w32(0x2008 + 16 * v, data);
        h.w32(0x200C + 16 * v, 0);
    }
    // Identify controller (CNS 1) into 0x8010_0000.
    let c = h.submit(0, sqe(0x06, 0x11, 0, RAM + 0x10_0000, 0, [1, 0, 0, 0, 0, 0]));
    assert_eq!(status(&c), (0, true));
    assert_eq!(u16::from_le_bytes([c[12], c[13]]), 0x11, "CID");
    assert_eq!(crate::DmaSpace::read_u32(&mut h.ram, RAM + 0x10_0000 + 80), Ok(0x0001_0400), "VER");
    assert_eq!(h.p.take_msis(), vec![(0x0606_0040, 7)]);
    // Identify namespace 1: NSZE = 64 blocks, LBAF0.LBADS = 9.
    let c = h.submit(0, sqe(0x06, 0x12, 1, RAM + 0x10_0000, 0, [0, 0, 0, 0, 0, 0]));
    assert_eq!(status(&c).0, 0);
    assert_eq!(crate::DmaSpace::read_u64(&mut h.ram, RAM + 0x10_0000), Ok(64));
    assert_eq!(crate::DmaSpace::read_u32(&mut h.ram, RAM + 0x10_0000 + 128), Ok(9 << 16));
    // Create I/O CQ 1 (16 entries, PC, IEN, vector 1) at 0x8004_0000, SQ 1 at 0x8003_0000.
    let c = h.submit(0, sqe(0x05, 1, 0, RAM + 0x4_0000, 0, [15 << 16 | 1, 1 << 16 | 3, 0, 0, 0, 0]));
    assert_eq!(status(&c).0, 0);
    let c = h.submit(0, sqe(0x01, 2, 0, RAM + 0x3_0000, 0, [15 << 16 | 1, 1 << 16 | 1, 0, 0, 0, 0]));
    assert_eq!(status(&c).0, 0);
    // SQ 2 referring to the missing CQ 5: Completion Queue Invalid (SCT 1, SC 0) + DNR
    // → status field 0x4000 | 1 << 8 = 0x4100.
    let c = h.submit(0, sqe(0x01, 3, 0, RAM + 0x5_0000, 0, [15 << 16 | 2, 5 << 16 | 1, 0, 0, 0, 0]));
    assert_eq!(status(&c).0, 0x4100);
    h.p.take_msis();
    // Read 3 blocks from LBA 5 into 0x8010_0e00 (crosses a page: PRP1 + PRP2).
    let buf = RAM + 0x10_0E00;
    let c = h.submit(1, sqe(0x02, 0x21, 1, buf, RAM + 0x10_1000, [5, 0, 2, 0, 0, 0]));
    assert_eq!(status(&c), (0, true));
    let mut got = vec![0u8; 1536];
    crate::DmaSpace::read(&mut h.ram, buf, &mut got).unwrap();
    assert!(got.iter().enumerate().all(|(i, &b)| b == (5 + i / 512 + i % 512) as u8));
    assert_eq!(h.p.take_msis(), vec![(0x0606_0040, 9)]);
    // Write 16 blocks (8 KiB) of 0xA5 at LBA 40 from 0x8011_0800: PRP1 covers 2 KiB,
    // PRP2 is a list at 0x8012_0000 with pages 0x8011_1000, 0x8011_2000 (the last one
    // partly).
    crate::DmaSpace::write(&mut h.ram, RAM + 0x11_0800, &[0xA5; 8192]).unwrap();
    crate::DmaSpace::write(&mut h.ram, RAM + 0x12_0000, &(RAM + 0x11_1000).to_le_bytes()).unwrap();
    crate::DmaSpace::write(&mut h.ram, RAM + 0x12_0008, &(RAM + 0x11_2000).to_le_bytes()).unwrap();
    let c = h.submit(1, sqe(0x01, 0x22, 1, RAM + 0x11_0800, RAM + 0x12_0000, [40, 0, 15, 0, 0, 0]));
    assert_eq!(status(&c).0, 0);
    let c = h.submit(1, sqe(0x00, 0x23, 1, 0, 0, [0; 6]));
    assert_eq!(status(&c).0, 0);
    // Read the 16 blocks back (PRP1 + PRP2 as a direct second page).
    let c = h.submit(1, sqe(0x02, 0x24, 1, RAM + 0x13_0000, RAM + 0x13_1000, [40, 0, 15, 0, 0, 0]));
    assert_eq!(status(&c).0, 0);
    let mut got = vec![0u8; 8192];
    crate::DmaSpace::read(&mut h.ram, RAM + 0x13_0000, &mut got[..4096]).unwrap();
    crate::DmaSpace::read(&mut h.ram, RAM + 0x13_1000, &mut got[4096..]).unwrap();
    assert!(got.iter().all(|&b| b == 0xA5));
    // Beyond the end (LBA 63 + 2 blocks): LBA Out of Range (0x80) + DNR = 0x4080.
    let c = h.submit(1, sqe(0x02, 0x25, 1, RAM + 0x13_0000, 0, [63, 0, 1, 0, 0, 0]));
    assert_eq!(status(&c).0, 0x4080);
    // Unknown I/O opcode 0x7f: Invalid Command Opcode (1) + DNR = 0x4001.
    let c = h.submit(1, sqe(0x7F, 0x26, 1, 0, 0, [0; 6]));
    assert_eq!(status(&c).0, 0x4001);
}

#[test]
fn nvme_read_only_and_masked_vectors() {
    let mut p = Pcie::new(Some(Box::new(Nvme::new(disk(8), true, "ro"))));
    wr(&mut p, 0x18, 0x00FF_0100);
    atu(&mut p, 1, 0, MEM, 0x4000_0000, 0x4000_0000);
    atu(&mut p, 0, 4, CFG, 1 << 24, 0x2000);
    p.window_write(CFG + 0x10, Size::B4, 0x4000_0000, &mut crate::dma::NoDma).unwrap();
    p.window_write(CFG + 0x04, Size::B2, 0x6, &mut crate::dma::NoDma).unwrap();
    let mut h = Host { p, ram: RamDma::new(RAM, 0x20_0000), sq_tail: [0; 2], cq_head: [0; 2] };
    h.w32(0x24, 15 << 16 | 15);
    h.w32(0x28, 0x8001_0000);
    h.w32(0x30, 0x8002_0000);
    h.w32(0x14, 0x0046_0001);
    // MSI-X enabled but vector 0 masked (reset state): no message, PBA bit 0 set.
    h.p.window_write(CFG + 0x82, Size::B2, 0x8000, &mut crate::dma::NoDma).unwrap();
    h.w32(0x2000, 0x0606_0040);
    h.w32(0x2008, 3);
    let c = h.submit(0, sqe(0x06, 1, 1, RAM + 0x10_0000, 0, [0; 6]));
    assert_eq!(status(&c).0, 0);
    // NSATTR (byte 99) bit 0: write protected.
    let mut b = [0u8; 1];
    crate::DmaSpace::read(&mut h.ram, RAM + 0x10_0000 + 99, &mut b).unwrap();
    assert_eq!(b[0], 1);
    assert!(h.p.take_msis().is_empty());
    assert_eq!(h.p.window_read(MEM + 0x3000, Size::B4).unwrap(), 1);
    // Unmasking delivers the pending message and clears PBA.
    h.w32(0x200C, 0);
    assert_eq!(h.p.take_msis(), vec![(0x0606_0040, 3)]);
    assert_eq!(h.p.window_read(MEM + 0x3000, Size::B4).unwrap(), 0);
    // I/O write on a write-protected namespace: 0x20 + DNR = 0x4020.
    let c = h.submit(0, sqe(0x05, 2, 0, RAM + 0x4_0000, 0, [15 << 16 | 1, 1, 0, 0, 0, 0]));
    assert_eq!(status(&c).0, 0);
    let c = h.submit(0, sqe(0x01, 3, 0, RAM + 0x3_0000, 0, [15 << 16 | 1, 1 << 16 | 1, 0, 0, 0, 0]));
    assert_eq!(status(&c).0, 0);
    let c = h.submit(1, sqe(0x01, 4, 1, RAM + 0x10_0000, 0, [0, 0, 0, 0, 0, 0]));
    assert_eq!(status(&c).0, 0x4020);
}

/// Pin-based interrupts: with MSI-X disabled, INTA is asserted from the completion of an
/// admin command until the host's CQ head doorbell consumes it (NVMe 1.4 §7.5.1), and
/// the command register's INTx Disable (bit 10) or INTMS bit 0 masks it.
#[test]
fn nvme_intx_follows_the_completion_queue() {
    let bank = crate::IrqBank::new(8);
    let mut h = host();
    h.p = std::mem::replace(&mut h.p, Pcie::new(None)).with_inta(crate::IrqLine::new(bank.clone(), 3));
    let e = sqe(0x06, 1, 0, RAM + 0x10_0000, 0, [1, 0, 0, 0, 0, 0]);
    crate::DmaSpace::write(&mut h.ram, RAM + 0x1_0000, &e).unwrap();
    h.w32(0x1000, 1);
    assert!(bank.level(3), "INTA asserted with one unconsumed completion");
    // INTMS bit 0 masks, INTMC unmasks.
    h.w32(0x0C, 1);
    assert!(!bank.level(3));
    h.w32(0x10, 1);
    assert!(bank.level(3));
    // INTx Disable in the command register (0x0406: memory, master, bit 10).
    h.p.window_write(CFG + 0x04, Size::B2, 0x406, &mut crate::dma::NoDma).unwrap();
    assert!(!bank.level(3));
    h.p.window_write(CFG + 0x04, Size::B2, 0x6, &mut crate::dma::NoDma).unwrap();
    assert!(bank.level(3));
    // The host consumes the entry: CQ 0 head doorbell (0x1004) = 1.
    h.w32(0x1004, 1);
    assert!(!bank.level(3));
}

/// A transfer whose memory cannot be reached (an abort from the bus: not RAM here, an
/// SMMU fault in the machine) completes with Data Transfer Error — NVMe 1.4 figure 128,
/// generic status (SCT 0) 04h, "transferring the data or metadata associated with a
/// command had an error" — so the status field is 0x0004 (no DNR). A PRP list entry
/// with a non-zero offset is Invalid PRP Offset (13h, same figure) + DNR = 0x4013. The
/// host's RAM in this test is 0x8000_0000..0x8020_0000; 0x4000_0000 is outside it.
#[test]
fn nvme_unreachable_prp_is_a_data_transfer_error() {
    let mut h = host();
    // I/O CQ 1 (16 entries, PC, no interrupt) at 0x8004_0000, SQ 1 at 0x8003_0000.
    let c = h.submit(0, sqe(0x05, 1, 0, RAM + 0x4_0000, 0, [15 << 16 | 1, 1, 0, 0, 0, 0]));
    assert_eq!(status(&c).0, 0);
    let c = h.submit(0, sqe(0x01, 2, 0, RAM + 0x3_0000, 0, [15 << 16 | 1, 1 << 16 | 1, 0, 0, 0, 0]));
    assert_eq!(status(&c).0, 0);
    // Read 1 block to an address outside memory (PRP1).
    let c = h.submit(1, sqe(0x02, 0x31, 1, 0x4000_0000, 0, [0, 0, 0, 0, 0, 0]));
    assert_eq!(status(&c), (0x0004, true));
    // Write 1 block from there.
    let c = h.submit(1, sqe(0x01, 0x32, 1, 0x4000_0000, 0, [0, 0, 0, 0, 0, 0]));
    assert_eq!(status(&c).0, 0x0004);
    // Read 24 blocks (12 KiB from a page boundary: PRP1 + a list at PRP2, NVMe 1.4
    // §4.3) whose list is outside memory: the list fetch fails, same status; nothing
    // was written at PRP1.
    crate::DmaSpace::write(&mut h.ram, RAM + 0x13_0000, &[0x5A; 4096]).unwrap();
    let c = h.submit(1, sqe(0x02, 0x33, 1, RAM + 0x13_0000, 0x4000_0000, [0, 0, 23, 0, 0, 0]));
    assert_eq!(status(&c).0, 0x0004);
    let mut got = vec![0u8; 4096];
    crate::DmaSpace::read(&mut h.ram, RAM + 0x13_0000, &mut got).unwrap();
    assert!(got.iter().all(|&b| b == 0x5A), "no data moved");
    // A list entry at 0x8011_1800 (offset 0x800 after the first entry): Invalid PRP Offset.
    crate::DmaSpace::write(&mut h.ram, RAM + 0x12_0000, &(RAM + 0x11_1800).to_le_bytes()).unwrap();
    let c = h.submit(1, sqe(0x02, 0x34, 1, RAM + 0x13_0000, RAM + 0x12_0000, [0, 0, 23, 0, 0, 0]));
    assert_eq!(status(&c).0, 0x4013);
    // The queue goes on: a good read after the errors.
    let c = h.submit(1, sqe(0x02, 0x35, 1, RAM + 0x13_0000, 0, [0, 0, 0, 0, 0, 0]));
    assert_eq!(status(&c).0, 0);
}
