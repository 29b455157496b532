//! An NVMe 1.4 controller (PCI function, class 01:08:02) with one namespace of 512-byte
//! blocks backed by a [`BlockBackend`]: the controller registers and doorbells in BAR0,
//! the admin queue (Identify, Set/Get Features, Create/Delete I/O SQ/CQ, Get Log Page,
//! Abort, Asynchronous Event Request, Keep Alive), I/O queues (Read, Write, Flush) with
//! PRP data pointers, and MSI-X (table and PBA in BAR0). Commands run when their
//! submission queue's tail doorbell is written; all memory traffic goes through the
//! `DmaSpace` the bus hands over (the SMMU with the function's stream ID).
//!
//! Register and structure layouts: NVM Express Base Specification 1.4 §3.1 (registers),
//! §4.2/4.6 (SQE/CQE), §5 (admin commands), NVM Command Set §6 (I/O commands).

use super::cfg::CfgSpace;
use super::Endpoint;
use crate::dma::DmaSpace;
use crate::Size;

/// The storage behind the namespace.
pub trait BlockBackend: Send {
    /// Size in bytes (a multiple of 512).
    fn len(&self) -> u64;
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    fn read_at(&mut self, off: u64, buf: &mut [u8]) -> std::io::Result<()>;
    fn write_at(&mut self, off: u64, buf: &[u8]) -> std::io::Result<()>;
    fn flush(&mut self) -> std::io::Result<()>;
}

/// A backend in memory (tests).
pub struct MemDisk(pub Vec<u8>);

impl BlockBackend for MemDisk {
    fn len(&self) -> u64 {
        self.0.len() as u64
    }
    fn read_at(&mut self, off: u64, buf: &mut [u8]) -> std::io::Result<()> {
        let s = self.0.get(off as usize..(off as usize).saturating_add(buf.len())).ok_or(std::io::ErrorKind::UnexpectedEof)?;
        buf.copy_from_slice(s);
        Ok(())
    }
    fn write_at(&mut self, off: u64, buf: &[u8]) -> std::io::Result<()> {
        let s = self.0.get_mut(off as usize..(off as usize).saturating_add(buf.len())).ok_or(std::io::ErrorKind::UnexpectedEof)?;
        s.copy_from_slice(buf);
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Device ID lsemu's NVMe function reports under the NXP vendor ID (a model-specific
/// value: Linux's nvme driver binds by class code 01:08:02, and no quirk entry matches).
pub const NVME_DEVICE_ID: u16 = 0x0E01;
/// Size of BAR0: registers, doorbells (0x1000), MSI-X table (0x2000), PBA (0x3000).
pub const BAR0_SIZE: u64 = 0x4000;
pub const MSIX_TABLE: u64 = 0x2000;
pub const MSIX_PBA: u64 = 0x3000;
/// MSI-X vectors (vector 0: admin queue).
pub const MSIX_VECTORS: usize = 16;
/// I/O queue pairs supported (queue IDs 1..=16).
pub const MAX_IO_QUEUES: usize = 16;
/// Largest queue (entries): CAP.MQES + 1.
pub const MAX_QUEUE_ENTRIES: u32 = 1024;
/// Maximum data transfer size, as 2^MDTS minimum pages (4 KiB): 128 KiB.
pub const MDTS: u8 = 5;

/// Configuration-space offsets of the capabilities.
const CAP_PCIE: usize = 0x40;
const CAP_MSIX: usize = 0x80;

/// Controller register offsets (NVMe 1.4 §3.1).
pub mod reg {
    pub const CAP: u64 = 0x00;
    pub const VS: u64 = 0x08;
    pub const INTMS: u64 = 0x0C;
    pub const INTMC: u64 = 0x10;
    pub const CC: u64 = 0x14;
    pub const CSTS: u64 = 0x1C;
    pub const AQA: u64 = 0x24;
    pub const ASQ: u64 = 0x28;
    pub const ACQ: u64 = 0x30;
    pub const DOORBELLS: u64 = 0x1000;
}

/// Status codes (generic command status, SCT 0, and command-specific SCT 1).
mod sc {
    pub const SUCCESS: u16 = 0x00;
    pub const INVALID_OPCODE: u16 = 0x01;
    pub const INVALID_FIELD: u16 = 0x02;
    pub const DATA_TRANSFER_ERROR: u16 = 0x04;
    /// Invalid PRP Offset (NVMe 1.4 §4.6.1.2.1, figure 128): a PRP entry after the first
    /// with a non-zero offset, or one that is not dword aligned.
    pub const INVALID_PRP_OFFSET: u16 = 0x13;
    pub const INTERNAL: u16 = 0x06;
    pub const INVALID_NS: u16 = 0x0B;
    pub const LBA_OUT_OF_RANGE: u16 = 0x80;
    pub const NS_WRITE_PROTECTED: u16 = 0x20;
    /// Command specific (SCT 1): invalid queue identifier, invalid queue size,
    /// completion queue invalid, invalid interrupt vector.
    pub const CS_CQ_INVALID: u16 = 0x100;
    pub const CS_INVALID_QID: u16 = 0x101;
    pub const CS_INVALID_QSIZE: u16 = 0x102;
    pub const CS_INVALID_VECTOR: u16 = 0x108;
    /// Do Not Retry (CQE DW3 bit 31), as the status half-word's bit 15.
    pub const DNR: u16 = 0x8000;
}

#[derive(Debug, Clone, Copy, Default)]
struct Sq {
    base: u64,
    size: u32,
    head: u32,
    tail: u32,
    cqid: u16,
}

#[derive(Debug, Clone, Copy, Default)]
struct Cq {
    base: u64,
    size: u32,
    head: u32,
    tail: u32,
    phase: bool,
    ien: bool,
    iv: u16,
}

/// The NVMe function.
pub struct Nvme {
    pub cfg: CfgSpace,
    disk: Box<dyn BlockBackend>,
    read_only: bool,
    serial: String,
    cc: u32,
    csts: u32,
    aqa: u32,
    asq: u64,
    acq: u64,
    intms: u32,
    sqs: Vec<Option<Sq>>,
    cqs: Vec<Option<Cq>>,
    msix: [[u32; 4]; MSIX_VECTORS],
    pba: u64,
    msis: Vec<(u64, u32)>,
    warned: u32,
}

impl Nvme {
    /// An NVMe function on `disk` (length a multiple of 512); `read_only` makes the
    /// namespace write protected (Identify Namespace NSATTR bit 0).
    pub fn new(disk: Box<dyn BlockBackend>, read_only: bool, serial: &str) -> Nvme {
        let mut cfg = CfgSpace::default();
        cfg.init(0x00, 2, super::VENDOR_NXP as u32, 0);
        cfg.init(0x02, 2, NVME_DEVICE_ID as u32, 0);
        // Command: memory space, bus master, INTx disable.
        cfg.init(0x04, 2, 0, 0x0406);
        cfg.init(0x06, 2, 0x0010, 0);
        // Revision 0, class 01:08:02 (mass storage, non-volatile memory, NVM Express).
        cfg.init(0x08, 4, 0x0108_0200, 0);
        cfg.init(0x0C, 1, 0, 0xFF);
        // BAR0: 64-bit non-prefetchable memory (type bits 2:1 = 10b), 16 KiB.
        cfg.init(0x10, 4, 0x4, !(BAR0_SIZE as u32 - 1));
        cfg.init(0x14, 4, 0, 0xFFFF_FFFF);
        cfg.init(0x2C, 4, (NVME_DEVICE_ID as u32) << 16 | super::VENDOR_NXP as u32, 0);
        cfg.init(0x34, 1, CAP_PCIE as u32, 0);
        // Interrupt line; pin 1 (INTA).
        cfg.init(0x3C, 2, 0x0100, 0xFF);
        // PCI Express capability v2, endpoint (type 0), next: MSI-X.
        cfg.init(CAP_PCIE, 4, 0x0002_0010 | (CAP_MSIX as u32) << 8, 0);
        cfg.init(CAP_PCIE + 0x04, 4, 0x0000_8001, 0);
        cfg.init(CAP_PCIE + 0x08, 2, 0x2810, 0xFFFF);
        cfg.init(CAP_PCIE + 0x0C, 4, 0x0000_0043, 0);
        cfg.init(CAP_PCIE + 0x10, 2, 0, 0xFFFF);
        cfg.init(CAP_PCIE + 0x12, 2, 0x0043, 0);
        cfg.init(CAP_PCIE + 0x28, 2, 0, 0xFFFF);
        cfg.init(CAP_PCIE + 0x2C, 4, 0x0E, 0);
        cfg.init(CAP_PCIE + 0x30, 2, 3, 0xFFFF);
        // MSI-X: table size N-1, enable (bit 15) and function mask (bit 14) writable;
        // table at BAR0 + 0x2000, PBA at BAR0 + 0x3000 (BIR 0).
        cfg.init(CAP_MSIX, 4, 0x11 | (MSIX_VECTORS as u32 - 1) << 16, 0xC000_0000);
        cfg.init(CAP_MSIX + 4, 4, MSIX_TABLE as u32, 0);
        cfg.init(CAP_MSIX + 8, 4, MSIX_PBA as u32, 0);
        let mut msix = [[0u32; 4]; MSIX_VECTORS];
        for e in &mut msix {
            e[3] = 1; // masked at reset (PCI Local Bus 3.0 §6.8.2.9)
        }
        Nvme {
            cfg,
            disk,
            read_only,
            serial: serial.to_string(),
            cc: 0,
            csts: 0,
            aqa: 0,
            asq: 0,
            acq: 0,
            intms: 0,
            sqs: vec![None; MAX_IO_QUEUES + 1],
            cqs: vec![None; MAX_IO_QUEUES + 1],
            msix,
            pba: 0,
            msis: Vec::new(),
            warned: 0,
        }
    }

    fn warn(&mut self, what: std::fmt::Arguments<'_>) {
        if self.warned < 16 {
            self.warned += 1;
            tracing::warn!(target: "nvme", "{what}");
        }
    }

    /// CAP (NVMe 1.4 §3.1.1): MQES = 1023, CQR = 1, TO = 20 (10 s), DSTRD = 0, CSS bit 0
    /// (NVM command set, CAP bit 37), MPSMIN = MPSMAX = 0 (4 KiB).
    pub fn cap() -> u64 {
        (MAX_QUEUE_ENTRIES as u64 - 1) | 1 << 16 | 20 << 24 | 1 << 37
    }

    fn bar0(&self) -> Option<u64> {
        if self.cfg.u16(0x04) & 0x2 == 0 {
            return None;
        }
        let lo = (self.cfg.u32(0x10) & !0xF) as u64;
        let hi = self.cfg.u32(0x14) as u64;
        Some(hi << 32 | lo)
    }

    fn bar_off(&self, addr: u64) -> Option<u64> {
        let b = self.bar0()?;
        (addr >= b && addr - b < BAR0_SIZE).then(|| addr - b)
    }

    fn blocks(&self) -> u64 {
        self.disk.len() / 512
    }

    fn msix_ctrl(&self) -> u16 {
        self.cfg.u16(CAP_MSIX + 2)
    }

    /// Signals vector `v`: an MSI-X message if enabled and unmasked, else pending.
    fn interrupt(&mut self, v: u16) {
        let ctrl = self.msix_ctrl();
        let v = v as usize;
        if ctrl & 0x8000 == 0 || v >= MSIX_VECTORS {
            return;
        }
        if ctrl & 0x4000 != 0 || self.msix[v][3] & 1 != 0 {
            self.pba |= 1 << v;
            return;
        }
        let e = self.msix[v];
        self.msis.push(((e[1] as u64) << 32 | e[0] as u64, e[2]));
    }

    /// Delivers pending vectors that are no longer masked.
    fn msix_unmasked(&mut self) {
        let ctrl = self.msix_ctrl();
        if ctrl & 0x8000 == 0 || ctrl & 0x4000 != 0 {
            return;
        }
        for v in 0..MSIX_VECTORS {
            if self.pba & (1 << v) != 0 && self.msix[v][3] & 1 == 0 {
                self.pba &= !(1 << v);
                let e = self.msix[v];
                self.msis.push(((e[1] as u64) << 32 | e[0] as u64, e[2]));
            }
        }
    }

    fn reset(&mut self) {
        self.sqs.iter_mut().for_each(|q| *q = None);
        self.cqs.iter_mut().for_each(|q| *q = None);
        self.csts = 0;
    }

    fn enable(&mut self) {
        let asqs = (self.aqa & 0xFFF) + 1;
        let acqs = ((self.aqa >> 16) & 0xFFF) + 1;
        let mps = (self.cc >> 7) & 0xF;
        let css = (self.cc >> 4) & 0x7;
        if asqs < 2 || acqs < 2 || mps != 0 || css != 0 || self.asq & 0xFFF != 0 || self.acq & 0xFFF != 0 {
            let (aqa, cc) = (self.aqa, self.cc);
            self.warn(format_args!("NVMe: CC.EN with an invalid admin queue or page size (AQA {aqa:#x}, CC {cc:#x}): controller fatal status"));
            self.csts |= 2; // CFS
            return;
        }
        self.sqs[0] = Some(Sq { base: self.asq, size: asqs, head: 0, tail: 0, cqid: 0 });
        self.cqs[0] = Some(Cq { base: self.acq, size: acqs, head: 0, tail: 0, phase: true, ien: true, iv: 0 });
        self.csts = 1; // RDY
    }

    fn reg_read(&mut self, off: u64, n: usize) -> u64 {
        let q = off & !7;
        let v64: u64 = match q {
            reg::CAP => Self::cap(),
            reg::VS => (0x0001_0400u64) | (self.intms as u64) << 32,
            0x10 => self.intms as u64 | (self.cc as u64) << 32,
            0x18 => (self.csts as u64) << 32,
            0x20 => (self.aqa as u64) << 32,
            reg::ASQ => self.asq,
            reg::ACQ => self.acq,
            _ => 0,
        };
        let sh = 8 * (off & 7);
        let v = v64 >> sh;
        if n >= 8 {
            v
        } else {
            v & ((1u64 << (8 * n)) - 1)
        }
    }

    fn reg_write(&mut self, off: u64, n: usize, val: u64, dma: &mut dyn DmaSpace) {
        if off >= reg::DOORBELLS {
            if n != 4 {
                return;
            }
            let idx = (off - reg::DOORBELLS) / 4;
            let qid = (idx / 2) as usize;
            if idx.is_multiple_of(2) {
                self.sq_doorbell(qid, val as u32, dma);
            } else {
                self.cq_doorbell(qid, val as u32);
            }
            return;
        }
        // 32-bit registers; ASQ/ACQ as two halves or one 64-bit write.
        match (off, n) {
            (reg::INTMS, 4) => self.intms |= val as u32,
            (reg::INTMC, 4) => self.intms &= !(val as u32),
            (reg::CC, 4) => {
                let old = self.cc;
                self.cc = val as u32;
                if old & 1 != 0 && self.cc & 1 == 0 {
                    self.reset();
                } else if old & 1 == 0 && self.cc & 1 != 0 {
                    self.enable();
                }
                // Shutdown notification (SHN) → shutdown complete (SHST = 10b).
                if (self.cc >> 14) & 3 != 0 {
                    let _ = self.disk.flush();
                    self.csts = (self.csts & !0xC) | 0x8;
                } else {
                    self.csts &= !0xC;
                }
            }
            (reg::AQA, 4) => self.aqa = val as u32 & 0x0FFF_0FFF,
            (reg::ASQ, 8) => self.asq = val & !0xFFF,
            (reg::ACQ, 8) => self.acq = val & !0xFFF,
            (0x28 | 0x30, 4) => {
                let p = if off == 0x28 { &mut self.asq } else { &mut self.acq };
                *p = (*p & 0xFFFF_FFFF_0000_0000) | (val & 0xFFFF_F000);
            }
            (0x2C | 0x34, 4) => {
                let p = if off == 0x2C { &mut self.asq } else { &mut self.acq };
                *p = (*p & 0xFFFF_FFFF) | (val << 32);
            }
            _ => {}
        }
    }

    fn cq_doorbell(&mut self, qid: usize, head: u32) {
        match self.cqs.get_mut(qid).and_then(|q| q.as_mut()) {
            Some(cq) if head < cq.size => cq.head = head,
            _ => self.warn(format_args!("NVMe: completion queue {qid} head doorbell {head} invalid (ignored)")),
        }
    }

    fn sq_doorbell(&mut self, qid: usize, tail: u32, dma: &mut dyn DmaSpace) {
        if self.csts & 1 == 0 {
            return;
        }
        match self.sqs.get_mut(qid).and_then(|q| q.as_mut()) {
            Some(sq) if tail < sq.size => sq.tail = tail,
            _ => {
                self.warn(format_args!("NVMe: submission queue {qid} tail doorbell {tail} invalid (ignored)"));
                return;
            }
        }
        // Bounded: at most one queue's worth of commands per doorbell.
        for _ in 0..MAX_QUEUE_ENTRIES {
            let Some(sq) = self.sqs.get(qid).copied().flatten() else { return };
            if sq.head == sq.tail {
                break;
            }
            let mut sqe = [0u8; 64];
            let addr = sq.base.wrapping_add(sq.head as u64 * 64);
            let head = (sq.head + 1) % sq.size;
            if let Some(s) = self.sqs[qid].as_mut() {
                s.head = head;
            }
            if dma.read(addr, &mut sqe).is_err() {
                self.warn(format_args!("NVMe: SQ {qid} entry at {addr:#x} unreadable: command dropped"));
                continue;
            }
            let d = |i: usize| u32::from_le_bytes([sqe[4 * i], sqe[4 * i + 1], sqe[4 * i + 2], sqe[4 * i + 3]]);
            let cmd = Cmd {
                opcode: sqe[0],
                cid: u16::from_le_bytes([sqe[2], sqe[3]]),
                nsid: d(1),
                prp1: (d(7) as u64) << 32 | d(6) as u64,
                prp2: (d(9) as u64) << 32 | d(8) as u64,
                cdw: [d(10), d(11), d(12), d(13), d(14), d(15)],
                flags: sqe[1],
            };
            let r = if qid == 0 { self.admin(&cmd, dma) } else { self.io(&cmd, dma) };
            if let Some((status, dw0)) = r {
                self.complete(sq.cqid as usize, qid as u16, head, cmd.cid, status, dw0, dma);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn complete(&mut self, cqid: usize, sqid: u16, sqhd: u32, cid: u16, status: u16, dw0: u32, dma: &mut dyn DmaSpace) {
        let Some(cq) = self.cqs.get_mut(cqid).and_then(|q| q.as_mut()) else { return };
        if (cq.tail + 1) % cq.size == cq.head {
            self.warn(format_args!("NVMe: completion queue {cqid} full: completion of command {cid} dropped"));
            return;
        }
        let mut cqe = [0u8; 16];
        cqe[0..4].copy_from_slice(&dw0.to_le_bytes());
        cqe[8..10].copy_from_slice(&(sqhd as u16).to_le_bytes());
        cqe[10..12].copy_from_slice(&sqid.to_le_bytes());
        cqe[12..14].copy_from_slice(&cid.to_le_bytes());
        // DW3[31:16]: status field (SC[7:0] at 24:17, SCT[2:0] at 27:25, DNR at 31) | phase.
        let sf = ((status & 0xFF) << 1) | ((status >> 8) & 0x7) << 9 | (status & sc::DNR);
        cqe[14..16].copy_from_slice(&(sf | cq.phase as u16).to_le_bytes());
        let addr = cq.base.wrapping_add(cq.tail as u64 * 16);
        cq.tail += 1;
        if cq.tail == cq.size {
            cq.tail = 0;
            cq.phase = !cq.phase;
        }
        let (ien, iv) = (cq.ien, cq.iv);
        if dma.write(addr, &cqe).is_err() {
            self.warn(format_args!("NVMe: completion queue {cqid} entry at {addr:#x} unwritable"));
            return;
        }
        if ien {
            self.interrupt(iv);
        }
    }

    /// The (address, length) pieces of a `len`-byte transfer described by PRP1/PRP2
    /// (NVMe 1.4 §4.3, memory page size 4 KiB), or the command's error status: Data
    /// Transfer Error when a PRP list cannot be fetched (the read aborted: not memory, or
    /// an SMMU fault), Invalid PRP Offset for a list entry with a non-zero offset, Invalid
    /// Field for a list chain that does not end.
    fn prps(&self, cmd: &Cmd, len: usize, dma: &mut dyn DmaSpace) -> Result<Vec<(u64, usize)>, u16> {
        const PAGE: u64 = 4096;
        let mut out = Vec::new();
        let first = (PAGE - (cmd.prp1 & (PAGE - 1))).min(len as u64) as usize;
        out.push((cmd.prp1, first));
        let mut left = len - first;
        if left == 0 {
            return Ok(out);
        }
        if left as u64 <= PAGE {
            out.push((cmd.prp2, left));
            return Ok(out);
        }
        // PRP2 points to a PRP list; the last entry of a full list page chains to the next.
        let mut list = cmd.prp2;
        // Each list page holds at least one data entry unless it starts at its last slot;
        // bound the walk so a self-referencing chain cannot loop forever.
        let mut pages = 0;
        while left > 0 {
            pages += 1;
            if pages > len / PAGE as usize + 2 {
                return Err(sc::INVALID_FIELD | sc::DNR);
            }
            let entries_here = ((PAGE - (list & (PAGE - 1))) / 8) as usize;
            for i in 0..entries_here {
                let e = dma.read_u64(list.wrapping_add(8 * i as u64)).map_err(|_| sc::DATA_TRANSFER_ERROR)?;
                if i == entries_here - 1 && left as u64 > PAGE {
                    list = e;
                    break;
                }
                if e & (PAGE - 1) != 0 {
                    return Err(sc::INVALID_PRP_OFFSET | sc::DNR);
                }
                let n = (left as u64).min(PAGE) as usize;
                out.push((e, n));
                left -= n;
                if left == 0 {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn to_host(&self, cmd: &Cmd, data: &[u8], dma: &mut dyn DmaSpace) -> u16 {
        let segs = match self.prps(cmd, data.len(), dma) {
            Ok(s) => s,
            Err(status) => return status,
        };
        let mut done = 0;
        for (a, n) in segs {
            if dma.write(a, &data[done..done + n]).is_err() {
                return sc::DATA_TRANSFER_ERROR;
            }
            done += n;
        }
        sc::SUCCESS
    }

    fn fetch_from_host(&self, cmd: &Cmd, data: &mut [u8], dma: &mut dyn DmaSpace) -> u16 {
        let segs = match self.prps(cmd, data.len(), dma) {
            Ok(s) => s,
            Err(status) => return status,
        };
        let mut done = 0;
        for (a, n) in segs {
            if dma.read(a, &mut data[done..done + n]).is_err() {
                return sc::DATA_TRANSFER_ERROR;
            }
            done += n;
        }
        sc::SUCCESS
    }

    /// An admin command: Some((status, DW0)), None if it completes later (AER).
    fn admin(&mut self, cmd: &Cmd, dma: &mut dyn DmaSpace) -> Option<(u16, u32)> {
        let ok = |s: u16| Some((s, 0));
        match cmd.opcode {
            // Delete I/O SQ / CQ.
            0x00 | 0x04 => {
                let qid = (cmd.cdw[0] & 0xFFFF) as usize;
                let qs_ok = qid != 0 && qid <= MAX_IO_QUEUES;
                if !qs_ok {
                    return ok(sc::CS_INVALID_QID | sc::DNR);
                }
                if cmd.opcode == 0x00 {
                    self.sqs[qid] = None;
                } else {
                    self.cqs[qid] = None;
                }
                ok(sc::SUCCESS)
            }
            // Create I/O SQ.
            0x01 => {
                let qid = (cmd.cdw[0] & 0xFFFF) as usize;
                let size = (cmd.cdw[0] >> 16) + 1;
                let cqid = (cmd.cdw[1] >> 16) as usize;
                if qid == 0 || qid > MAX_IO_QUEUES || self.sqs[qid].is_some() {
                    return ok(sc::CS_INVALID_QID | sc::DNR);
                }
                if !(2..=MAX_QUEUE_ENTRIES).contains(&size) || cmd.cdw[1] & 1 == 0 {
                    return ok(sc::CS_INVALID_QSIZE | sc::DNR);
                }
                if cqid == 0 || cqid > MAX_IO_QUEUES || self.cqs[cqid].is_none() {
                    return ok(sc::CS_CQ_INVALID | sc::DNR);
                }
                self.sqs[qid] = Some(Sq { base: cmd.prp1 & !0xFFF, size, head: 0, tail: 0, cqid: cqid as u16 });
                ok(sc::SUCCESS)
            }
            // Get Log Page: every log reads as zeros (no errors, no SMART events).
            0x02 => {
                let numd = ((cmd.cdw[0] >> 16) & 0xFFFF) | (cmd.cdw[1] & 0xFFFF) << 16;
                let len = ((numd as usize) + 1) * 4;
                if len > 1 << 16 {
                    return ok(sc::INVALID_FIELD | sc::DNR);
                }
                ok(self.to_host(cmd, &vec![0u8; len], dma))
            }
            // Create I/O CQ.
            0x05 => {
                let qid = (cmd.cdw[0] & 0xFFFF) as usize;
                let size = (cmd.cdw[0] >> 16) + 1;
                let iv = (cmd.cdw[1] >> 16) as u16;
                if qid == 0 || qid > MAX_IO_QUEUES || self.cqs[qid].is_some() {
                    return ok(sc::CS_INVALID_QID | sc::DNR);
                }
                if !(2..=MAX_QUEUE_ENTRIES).contains(&size) || cmd.cdw[1] & 1 == 0 {
                    return ok(sc::CS_INVALID_QSIZE | sc::DNR);
                }
                if iv as usize >= MSIX_VECTORS {
                    return ok(sc::CS_INVALID_VECTOR | sc::DNR);
                }
                self.cqs[qid] = Some(Cq { base: cmd.prp1 & !0xFFF, size, head: 0, tail: 0, phase: true, ien: cmd.cdw[1] & 2 != 0, iv });
                ok(sc::SUCCESS)
            }
            // Identify.
            0x06 => {
                let cns = cmd.cdw[0] & 0xFF;
                let data = match cns {
                    0x00 if cmd.nsid == 1 => self.identify_ns(),
                    0x00 => return ok(sc::INVALID_NS | sc::DNR),
                    0x01 => self.identify_ctrl(),
                    0x02 => {
                        let mut d = vec![0u8; 4096];
                        if cmd.nsid < 1 {
                            d[0] = 1;
                        }
                        d
                    }
                    // Namespace identification descriptors: none.
                    0x03 if cmd.nsid == 1 => vec![0u8; 4096],
                    0x03 => return ok(sc::INVALID_NS | sc::DNR),
                    _ => return ok(sc::INVALID_FIELD | sc::DNR),
                };
                ok(self.to_host(cmd, &data, dma))
            }
            // Abort: the command was not aborted (DW0 bit 0 = 1).
            0x08 => Some((sc::SUCCESS, 1)),
            // Set Features / Get Features.
            0x09 | 0x0A => {
                let fid = cmd.cdw[0] & 0xFF;
                let n = MAX_IO_QUEUES as u32 - 1;
                match fid {
                    // Number of queues: NSQA/NCQA (0's based).
                    0x07 => Some((sc::SUCCESS, n | n << 16)),
                    // Asynchronous event configuration, interrupt coalescing, arbitration,
                    // power management, volatile write cache: accepted.
                    0x01 | 0x02 | 0x06 | 0x08 | 0x0B => Some((sc::SUCCESS, 0)),
                    _ => ok(sc::INVALID_FIELD | sc::DNR),
                }
            }
            // Asynchronous Event Request: outstanding until an event (none are generated).
            0x0C => None,
            // Keep Alive.
            0x18 => ok(sc::SUCCESS),
            op => {
                self.warn(format_args!("NVMe: admin opcode {op:#x} not implemented: Invalid Command Opcode"));
                ok(sc::INVALID_OPCODE | sc::DNR)
            }
        }
    }

    /// An I/O (NVM command set) command.
    fn io(&mut self, cmd: &Cmd, dma: &mut dyn DmaSpace) -> Option<(u16, u32)> {
        if cmd.flags & 0xC0 != 0 {
            return Some((sc::INVALID_FIELD | sc::DNR, 0));
        }
        if cmd.nsid != 1 {
            return Some((sc::INVALID_NS | sc::DNR, 0));
        }
        let status = match cmd.opcode {
            0x00 => {
                if self.disk.flush().is_err() {
                    sc::INTERNAL
                } else {
                    sc::SUCCESS
                }
            }
            op @ (0x01 | 0x02) => {
                let slba = (cmd.cdw[1] as u64) << 32 | cmd.cdw[0] as u64;
                let nlb = (cmd.cdw[2] & 0xFFFF) as u64 + 1;
                if slba.checked_add(nlb).is_none_or(|e| e > self.blocks()) {
                    return Some((sc::LBA_OUT_OF_RANGE | sc::DNR, 0));
                }
                if nlb * 512 > (4096u64 << MDTS) {
                    return Some((sc::INVALID_FIELD | sc::DNR, 0));
                }
                let mut buf = vec![0u8; (nlb * 512) as usize];
                if op == 0x02 {
                    if self.disk.read_at(slba * 512, &mut buf).is_err() {
                        sc::INTERNAL
                    } else {
                        self.to_host(cmd, &buf, dma)
                    }
                } else if self.read_only {
                    sc::NS_WRITE_PROTECTED | sc::DNR
                } else {
                    match self.fetch_from_host(cmd, &mut buf, dma) {
                        sc::SUCCESS => {
                            if self.disk.write_at(slba * 512, &buf).is_err() {
                                sc::INTERNAL
                            } else {
                                sc::SUCCESS
                            }
                        }
                        s => s,
                    }
                }
            }
            op => {
                self.warn(format_args!("NVMe: I/O opcode {op:#x} not implemented: Invalid Command Opcode"));
                sc::INVALID_OPCODE | sc::DNR
            }
        };
        Some((status, 0))
    }

    fn identify_ctrl(&self) -> Vec<u8> {
        let mut d = vec![0u8; 4096];
        let put = |d: &mut Vec<u8>, off: usize, s: &str, len: usize| {
            for (i, b) in d[off..off + len].iter_mut().enumerate() {
                *b = *s.as_bytes().get(i).unwrap_or(&b' ');
            }
        };
        d[0..2].copy_from_slice(&super::VENDOR_NXP.to_le_bytes());
        d[2..4].copy_from_slice(&super::VENDOR_NXP.to_le_bytes());
        put(&mut d, 4, &self.serial, 20);
        put(&mut d, 24, "lsemu NVMe disk", 40);
        put(&mut d, 64, "1.0", 8);
        d[72] = 6; // RAB
        d[77] = MDTS;
        d[78..80].copy_from_slice(&1u16.to_le_bytes()); // CNTLID
        d[80..84].copy_from_slice(&0x0001_0400u32.to_le_bytes()); // VER 1.4.0
        d[259] = 3; // AERL: 4 outstanding AERs
        d[260] = 0x02; // FRMW: 1 slot
        d[266..268].copy_from_slice(&343u16.to_le_bytes()); // WCTEMP (K)
        d[268..270].copy_from_slice(&373u16.to_le_bytes()); // CCTEMP (K)
        d[512] = 0x66; // SQES: 64-byte entries
        d[513] = 0x44; // CQES: 16-byte entries
        d[514..516].copy_from_slice(&(MAX_QUEUE_ENTRIES as u16).to_le_bytes()); // MAXCMD
        d[516..520].copy_from_slice(&1u32.to_le_bytes()); // NN
        d[525] = 1; // VWC: a volatile write cache (so hosts send Flush)
        put(&mut d, 768, &format!("nqn.2026-11.io.lsemu:nvme:{}", self.serial), 256);
        // SUBNQN is NUL padded, not space padded.
        for b in d[768..1024].iter_mut().rev() {
            if *b != b' ' {
                break;
            }
            *b = 0;
        }
        d
    }

    fn identify_ns(&self) -> Vec<u8> {
        let mut d = vec![0u8; 4096];
        let n = self.blocks();
        d[0..8].copy_from_slice(&n.to_le_bytes()); // NSZE
        d[8..16].copy_from_slice(&n.to_le_bytes()); // NCAP
        d[16..24].copy_from_slice(&n.to_le_bytes()); // NUSE
        d[25] = 0; // NLBAF: one format
        d[26] = 0; // FLBAS: format 0
        d[99] = self.read_only as u8; // NSATTR bit 0: write protected
        d[128..132].copy_from_slice(&(9u32 << 16).to_le_bytes()); // LBAF0: LBADS = 9 (512 B)
        d
    }
}

struct Cmd {
    opcode: u8,
    flags: u8,
    cid: u16,
    nsid: u32,
    prp1: u64,
    prp2: u64,
    cdw: [u32; 6],
}

impl Endpoint for Nvme {
    fn cfg_read(&mut self, off: u64, n: usize) -> u32 {
        self.cfg.read(off, n)
    }

    fn cfg_write(&mut self, off: u64, n: usize, val: u32) {
        self.cfg.write(off, n, val);
        if (CAP_MSIX as u64..CAP_MSIX as u64 + 4).contains(&off) {
            self.msix_unmasked();
        }
    }

    fn mem_read(&mut self, addr: u64, size: Size) -> Option<u64> {
        let off = self.bar_off(addr)?;
        let n = size.bytes();
        Some(match off {
            0..=0xFFF => self.reg_read(off, n),
            MSIX_TABLE..=0x2FFF => {
                let i = ((off - MSIX_TABLE) / 16) as usize;
                let w = ((off % 16) / 4) as usize;
                let v = self.msix.get(i).map_or(0, |e| e[w]) as u64;
                if n == 8 && w.is_multiple_of(2) {
                    v | (self.msix.get(i).map_or(0, |e| e[w + 1]) as u64) << 32
                } else {
                    v
                }
            }
            MSIX_PBA => self.pba,
            _ => 0,
        })
    }

    fn mem_write(&mut self, addr: u64, size: Size, val: u64, dma: &mut dyn DmaSpace) -> bool {
        let Some(off) = self.bar_off(addr) else { return false };
        let n = size.bytes();
        match off {
            0..=0x1FFF => self.reg_write(off, n, val, dma),
            MSIX_TABLE..=0x2FFF => {
                let i = ((off - MSIX_TABLE) / 16) as usize;
                let w = ((off % 16) / 4) as usize;
                if i < MSIX_VECTORS {
                    self.msix[i][w] = val as u32;
                    if n == 8 && w.is_multiple_of(2) {
                        self.msix[i][w + 1] = (val >> 32) as u32;
                    }
                    if w >= 2 {
                        self.msix_unmasked();
                    }
                }
            }
            _ => {}
        }
        true
    }

    fn take_msis(&mut self) -> Vec<(u64, u32)> {
        std::mem::take(&mut self.msis)
    }

    /// Pin-based interrupts (NVMe 1.4 §7.5.1): with MSI-X off and INTx not disabled in
    /// the command register, INTA is asserted while a completion queue with interrupts
    /// enabled holds entries the host has not consumed (head != tail), unless INTMS
    /// masks vector 0.
    fn intx(&self) -> bool {
        if self.msix_ctrl() & 0x8000 != 0 || self.cfg.u16(0x04) & 0x400 != 0 || self.intms & 1 != 0 {
            return false;
        }
        self.cqs.iter().flatten().any(|q| q.ien && q.head != q.tail)
    }
}
