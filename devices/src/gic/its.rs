//! The GIC-500 ITS (Interrupt Translation Service) and the LPIs of the redistributors
//! (Arm IHI 0069 chapter 5 "Locality-specific Peripheral Interrupts and the ITS", §5.3 the
//! commands, §12.19 the ITS registers, §12.11 GICR_PROPBASER/PENDBASER).
//!
//! # What the model does
//! - The ITS frame (at [`super::GITS_OFFSET`], 128 KiB): GITS_CTLR, IIDR, TYPER, CBASER,
//!   CWRITER, CREADR, BASER0..7, the ID registers, and GITS_TRANSLATER in the second
//!   64 KiB frame. Commands are executed synchronously when CWRITER is written (or the ITS
//!   is enabled with commands queued), so CREADR == CWRITER when the write returns and
//!   GITS_CTLR.Quiescent always reads 1.
//! - The command queue is read from guest memory through a [`DmaSpace`].
//! - The Device table and Collection table that GITS_BASER0/1 describe are allocated by
//!   software, but their format is IMPLEMENTATION DEFINED (IHI 0069 §5.2): this model keeps
//!   the mappings (DeviceID → ITT size, EventID → pINTID + ICID, ICID → target) in
//!   [`ItsState`] and does not write them to memory (like a GIC with all tables cached;
//!   software never reads them).
//! - LPIs: the LPI configuration table (GICR_PROPBASER: priority bits 7:2, enable bit 0 per
//!   byte) is read from memory when an LPI becomes pending and re-read by INV/INVALL; the
//!   pending table (GICR_PENDBASER) is scanned when EnableLPIs goes from 0 to 1. Pending
//!   LPIs are kept per redistributor in [`super::RedistState::lpis`].
//! - LPIs are always Non-secure Group 1 (IHI 0069 §5.1). With GICD_CTLR.DS = 0 the priority
//!   byte is a Non-secure value (§5.1.1): effective priority = 0x80 | (prio >> 1).
//!   LPIs have no active state: IAR clears the pending state, EOIR only drops the priority.
//!
//! # GIC-500 parameters (Arm DDI 0516 and ls2088a-reference.md §2.2)
//! GITS_TYPER: Physical = 1, Virtual = 0, ITT_entry_size = 7 (8 bytes), IDbits = 15
//! (16-bit EventIDs), Devbits = 15 (16-bit DeviceIDs), PTA = 0 (RDbase is a processor
//! number, GICR_TYPER.Processor_Number), SEIS = 0, HCC = 0, CIL = 0 (16-bit ICIDs).
//! GITS_BASER0: Device table (Type 1), BASER1: Collection table (Type 4), both with
//! 8-byte entries; Indirect is RAZ/WI (flat tables only); the other BASERs are RAZ/WI.
//! No DirectLPI: GICR_SETLPIR/CLRLPIR/INVLPIR/INVALLR stay RAZ/WI (GICv3.0).
//!
//! # Command errors
//! IHI 0069 §5.3.? (command errors) leaves the reaction IMPLEMENTATION DEFINED among:
//! ignore the command and continue, stall the queue, or an SEI. This model ignores the
//! command, logs a warning and continues (Linux never expects errors). A command read that
//! fails (the queue is not in RAM) stalls the queue (GITS_CREADR.Stalled = 1).

use super::regs::id_reg;
use super::{reg64_read, reg64_write, Gic, GIC500_IIDR, PRIO_MASK};
use crate::dma::DmaSpace;
use crate::{MmioError, MmioResult, Size};
use std::collections::BTreeMap;

/// ITS register offsets (IHI 0069 §12.19, ITS control frame + translation frame).
pub mod gits {
    #[doc(alias = "GITS_CTLR")]
    pub const CTLR: u64 = 0x0000;
    #[doc(alias = "GITS_IIDR")]
    pub const IIDR: u64 = 0x0004;
    #[doc(alias = "GITS_TYPER")]
    pub const TYPER: u64 = 0x0008;
    #[doc(alias = "GITS_CBASER")]
    pub const CBASER: u64 = 0x0080;
    #[doc(alias = "GITS_CWRITER")]
    pub const CWRITER: u64 = 0x0088;
    #[doc(alias = "GITS_CREADR")]
    pub const CREADR: u64 = 0x0090;
    /// GITS_BASER0..7 at 0x100 + 8n.
    #[doc(alias = "GITS_BASER")]
    pub const BASER: u64 = 0x0100;
    #[doc(alias = "GITS_PIDR2")]
    pub const PIDR2: u64 = 0xFFE8;
    /// In the second 64 KiB frame (GITS_TRANSLATER at ITS_base + 0x1_0040).
    #[doc(alias = "GITS_TRANSLATER")]
    pub const TRANSLATER: u64 = 0x1_0040;

    pub const CTLR_ENABLED: u32 = 1 << 0;
    pub const CTLR_QUIESCENT: u32 = 1 << 31;
    pub const CREADR_STALLED: u64 = 1 << 0;
}

/// First LPI INTID.
pub const LPI_BASE: u32 = 8192;
/// LPI INTIDs are below 2^16 on the GIC-500 (GICD_TYPER.IDbits = 15).
pub const LPI_LIMIT: u32 = 1 << 16;

/// GITS_TYPER (see the module documentation).
pub const GITS_TYPER_VALUE: u64 = 1 | 7 << 4 | 15 << 8 | 15 << 13;
/// GITS_BASER Type values (IHI 0069 §12.19.1).
pub const BASER_TYPE_DEVICE: u64 = 1;
pub const BASER_TYPE_COLLECTION: u64 = 4;
/// Read-only GITS_BASER fields of BASER0/BASER1: Type [58:56], Entry_Size [52:48] = 7.
const BASER_RO: [u64; 2] = [BASER_TYPE_DEVICE << 56 | 7 << 48, BASER_TYPE_COLLECTION << 56 | 7 << 48];
/// Writable GITS_BASER fields: Valid [63], InnerCache [61:59], OuterCache [55:53],
/// Physical_Address [47:12], Shareability [11:10], Page_Size [9:8], Size [7:0].
/// Indirect [62] is RAZ/WI (flat tables only).
const BASER_RW: u64 = 1 << 63 | 7 << 59 | 7 << 53 | 0xffff_ffff_f000 | 3 << 10 | 3 << 8 | 0xff;
/// Writable GITS_CBASER fields: Valid [63], InnerCache [61:59], OuterCache [55:53],
/// Physical_Address [47:12] (48-bit PA), Shareability [11:10], Size [7:0].
const CBASER_RW: u64 = 1 << 63 | 7 << 59 | 7 << 53 | 0xffff_ffff_f000 | 3 << 10 | 0xff;
/// GITS_CWRITER/CREADR Offset [19:5].
const QUEUE_OFFSET_MASK: u64 = 0xf_ffe0;

/// ITS command opcodes (IHI 0069 §5.3, table 5-? "ITS commands").
pub mod cmd {
    pub const MOVI: u8 = 0x01;
    pub const INT: u8 = 0x03;
    pub const CLEAR: u8 = 0x04;
    pub const SYNC: u8 = 0x05;
    pub const MAPD: u8 = 0x08;
    pub const MAPC: u8 = 0x09;
    pub const MAPTI: u8 = 0x0A;
    pub const MAPI: u8 = 0x0B;
    pub const INV: u8 = 0x0C;
    pub const INVALL: u8 = 0x0D;
    pub const MOVALL: u8 = 0x0E;
    pub const DISCARD: u8 = 0x0F;
}

/// A pending LPI of one redistributor with its configuration as last read from the LPI
/// configuration table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lpi {
    /// Effective priority (Non-secure view applied, implemented bits only).
    pub priority: u8,
    pub enabled: bool,
}

/// One mapped device (MAPD): ITT address and EventID bits, and its mapped events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItsDevice {
    pub itt_addr: u64,
    /// EventID bits - 1 (MAPD Size).
    pub size: u8,
    /// EventID → (pINTID, ICID).
    pub events: BTreeMap<u32, (u32, u16)>,
}

/// The ITS state as plain data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItsState {
    pub enabled: bool,
    pub cbaser: u64,
    pub cwriter: u64,
    pub creadr: u64,
    pub baser: [u64; 8],
    pub devices: BTreeMap<u32, ItsDevice>,
    /// ICID → target processor number (MAPC, PTA = 0).
    pub collections: BTreeMap<u16, usize>,
}

/// Why a translation (an MSI write to GITS_TRANSLATER) did not make an LPI pending
/// (IHI 0069 §5.3.? "translation errors": the write is ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ItsError {
    #[error("the ITS is disabled")]
    Disabled,
    #[error("DeviceID {0:#x} is not mapped")]
    UnmappedDevice(u32),
    #[error("EventID {1:#x} of DeviceID {0:#x} is not mapped")]
    UnmappedEvent(u32, u32),
    #[error("collection {0} is not mapped")]
    UnmappedCollection(u16),
}

/// A decoded ITS command (32 bytes, IHI 0069 §5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Command([u64; 4]);

impl Command {
    fn opcode(&self) -> u8 {
        self.0[0] as u8
    }
    fn device_id(&self) -> u32 {
        (self.0[0] >> 32) as u32
    }
    fn event_id(&self) -> u32 {
        self.0[1] as u32
    }
    /// MAPTI pINTID, DW1 [63:32].
    fn pintid(&self) -> u32 {
        (self.0[1] >> 32) as u32
    }
    /// MAPD Size, DW1 [4:0].
    fn size(&self) -> u8 {
        (self.0[1] & 0x1f) as u8
    }
    fn icid(&self) -> u16 {
        self.0[2] as u16
    }
    /// MAPD ITT_addr, DW2 [51:8] (256-byte aligned).
    fn itt_addr(&self) -> u64 {
        self.0[2] & 0x000f_ffff_ffff_ff00
    }
    /// RDbase in DW2 (or DW3 for MOVALL's second) [51:16]; with PTA = 0 a processor number.
    fn rdbase(dw: u64) -> u64 {
        (dw >> 16) & 0xf_ffff_ffff
    }
    fn valid(&self) -> bool {
        self.0[2] >> 63 != 0
    }
}

/// Page size of a GITS_BASER (Page_Size [9:8]: 4K, 16K, 64K; 0b11 is reserved and reads
/// back as 64K here).
fn baser_page_size(v: u64) -> u64 {
    match v >> 8 & 3 {
        0 => 4096,
        1 => 16384,
        _ => 65536,
    }
}

impl Gic {
    pub fn its_state(&self) -> &ItsState {
        &self.st.its
    }

    /// Number of entries of the flat table a valid GITS_BASER `n` describes (0 if invalid).
    fn its_table_entries(&self, n: usize) -> u64 {
        let v = self.st.its.baser.get(n).copied().unwrap_or(0);
        if v >> 63 == 0 {
            return 0;
        }
        let bytes = ((v & 0xff) + 1) * baser_page_size(v);
        bytes / 8
    }

    // ---- registers ---------------------------------------------------------------------

    pub(super) fn its_read(&mut self, off: u64, size: Size) -> MmioResult<u64> {
        use gits::*;
        let word = |size: Size| if size == Size::B4 { Ok(()) } else { Err(MmioError::BadSize) };
        let its = &self.st.its;
        let v = match off {
            CTLR => {
                word(size)?;
                (CTLR_QUIESCENT | if its.enabled { CTLR_ENABLED } else { 0 }) as u64
            }
            IIDR => {
                word(size)?;
                GIC500_IIDR as u64
            }
            TYPER | 0x000C => return reg64_read(GITS_TYPER_VALUE, off, size),
            CBASER | 0x0084 => return reg64_read(its.cbaser, off, size),
            CWRITER | 0x008C => return reg64_read(its.cwriter, off, size),
            CREADR | 0x0094 => return reg64_read(its.creadr, off, size),
            BASER..=0x013F => {
                let n = ((off - BASER) / 8) as usize;
                let ro = BASER_RO.get(n).copied().unwrap_or(0);
                return reg64_read(its.baser.get(n).copied().unwrap_or(0) | ro, off, size);
            }
            0xFFD0..=0xFFFF => {
                word(size)?;
                id_reg(off, 0x94).ok_or(MmioError::NoRegister)? as u64
            }
            // GITS_TRANSLATER is write-only: RAZ.
            TRANSLATER => 0,
            _ => return Err(MmioError::NoRegister),
        };
        tracing::debug!(target: "gic", "GITS read {off:#x} -> {v:#x}");
        Ok(v)
    }

    pub(super) fn its_write(&mut self, dma: &mut dyn DmaSpace, off: u64, size: Size, val: u64) -> MmioResult<()> {
        use gits::*;
        tracing::debug!(target: "gic", "GITS write {off:#x} <- {val:#x}");
        let word = |size: Size| if size == Size::B4 { Ok(()) } else { Err(MmioError::BadSize) };
        match off {
            CTLR => {
                word(size)?;
                let was = self.st.its.enabled;
                self.st.its.enabled = val as u32 & CTLR_ENABLED != 0;
                if !was && self.st.its.enabled {
                    self.its_process(dma);
                }
            }
            IIDR | TYPER | 0x000C | CREADR | 0x0094 => {
                reg64_write(0, off, size, val)?;
            }
            CBASER | 0x0084 => {
                let nv = reg64_write(self.st.its.cbaser, off, size, val)? & CBASER_RW;
                // Writes while the ITS is enabled are UNPREDICTABLE (IHI 0069 §12.19.?):
                // ignored here. A write resets GITS_CREADR to 0.
                if !self.st.its.enabled {
                    self.st.its.cbaser = nv;
                    self.st.its.creadr = 0;
                }
            }
            CWRITER | 0x008C => {
                let nv = reg64_write(self.st.its.cwriter, off, size, val)? & QUEUE_OFFSET_MASK;
                self.st.its.cwriter = nv;
                self.its_process(dma);
            }
            BASER..=0x013F => {
                let n = ((off - BASER) / 8) as usize;
                if let (Some(ro), Some(old)) = (BASER_RO.get(n).copied(), self.st.its.baser.get(n).copied()) {
                    let mut nv = reg64_write(old, off, size, val)? & BASER_RW;
                    if nv >> 8 & 3 == 3 {
                        nv &= !(3 << 8);
                        nv |= 2 << 8;
                    }
                    if let Some(b) = self.st.its.baser.get_mut(n) {
                        *b = nv | ro;
                    }
                } else {
                    reg64_write(0, off, size, val)?;
                }
            }
            0xFFD0..=0xFFFF => {
                word(size)?;
                id_reg(off, 0x94).ok_or(MmioError::NoRegister)?;
            }
            TRANSLATER => {
                // 8-, 16- and 32-bit writes are allowed (IHI 0069 §12.19.? GITS_TRANSLATER).
                if size == Size::B8 {
                    return Err(MmioError::BadSize);
                }
                // A PE's write carries no DeviceID: treated as DeviceID 0.
                let ev = (val & ((1u64 << (8 * size.bytes())) - 1)) as u32;
                if let Err(e) = self.its_translate(dma, 0, ev) {
                    tracing::debug!(target: "gic", "GITS_TRANSLATER write by a PE (DeviceID 0) ignored: {e}");
                }
            }
            _ => return Err(MmioError::NoRegister),
        }
        Ok(())
    }

    // ---- translation -------------------------------------------------------------------

    /// An MSI: `event_id` written to GITS_TRANSLATER by the device `device_id` (the
    /// side-band DeviceID of the write). On success the mapped LPI is pending in the target
    /// redistributor. Errors mean the write was ignored (IHI 0069 §5.2 translation errors).
    pub fn its_translate(&mut self, dma: &mut dyn DmaSpace, device_id: u32, event_id: u32) -> Result<(), ItsError> {
        self.sync_inputs();
        let its = &self.st.its;
        if !its.enabled {
            return Err(ItsError::Disabled);
        }
        let dev = its.devices.get(&device_id).ok_or(ItsError::UnmappedDevice(device_id))?;
        let &(intid, icid) = dev.events.get(&event_id).ok_or(ItsError::UnmappedEvent(device_id, event_id))?;
        let cpu = *its.collections.get(&icid).ok_or(ItsError::UnmappedCollection(icid))?;
        self.lpi_set_pending(dma, cpu, intid);
        self.refresh();
        Ok(())
    }

    // ---- LPIs in the redistributors ------------------------------------------------------

    /// Priority and enable of LPI `intid` from `cpu`'s LPI configuration table, or `None`
    /// when the INTID is beyond GICR_PROPBASER.IDbits or the table cannot be read.
    fn lpi_config(&self, dma: &mut dyn DmaSpace, cpu: usize, intid: u32) -> Option<Lpi> {
        let rd = &self.st.cpus.get(cpu)?.redist;
        let idbits = (rd.propbaser & 0x1f) as u32 + 1;
        if idbits < 14 || !(LPI_BASE..LPI_LIMIT).contains(&intid) || (idbits < 32 && intid >> idbits != 0) {
            return None;
        }
        let pa = (rd.propbaser & 0xffff_ffff_f000).wrapping_add((intid - LPI_BASE) as u64);
        let mut b = [0u8; 1];
        if dma.read(pa, &mut b).is_err() {
            tracing::warn!(target: "gic", cpu, "LPI {intid}: configuration table at {pa:#x} is not RAM");
            return None;
        }
        let raw = b[0] & 0xfc;
        let prio = if self.st.ds { raw } else { 0x80 | (raw >> 1) };
        Some(Lpi { priority: prio & PRIO_MASK, enabled: b[0] & 1 != 0 })
    }

    /// Makes LPI `intid` pending in `cpu`'s redistributor (ignored while its EnableLPIs
    /// is 0, or when the INTID is out of range).
    pub(super) fn lpi_set_pending(&mut self, dma: &mut dyn DmaSpace, cpu: usize, intid: u32) {
        let Some(c) = self.st.cpus.get(cpu) else { return };
        if !c.redist.enable_lpis {
            tracing::warn!(target: "gic", cpu, "LPI {intid} for a redistributor with EnableLPIs = 0: dropped");
            return;
        }
        let Some(l) = self.lpi_config(dma, cpu, intid) else { return };
        if let Some(c) = self.st.cpus.get_mut(cpu) {
            c.redist.lpis.insert(intid, l);
        }
    }

    fn lpi_clear_pending(&mut self, cpu: usize, intid: u32) -> Option<Lpi> {
        self.st.cpus.get_mut(cpu)?.redist.lpis.remove(&intid)
    }

    /// Re-reads the configuration of the pending LPI `intid` (or all of them) of `cpu`
    /// (INV, INVALL).
    fn lpi_reload(&mut self, dma: &mut dyn DmaSpace, cpu: usize, intid: Option<u32>) {
        let ids: Vec<u32> = match self.st.cpus.get(cpu) {
            Some(c) => match intid {
                Some(i) => c.redist.lpis.get(&i).map(|_| i).into_iter().collect(),
                None => c.redist.lpis.keys().copied().collect(),
            },
            None => return,
        };
        for i in ids {
            let cfg = self.lpi_config(dma, cpu, i);
            if let Some(c) = self.st.cpus.get_mut(cpu) {
                match cfg {
                    Some(l) => {
                        c.redist.lpis.insert(i, l);
                    }
                    None => {
                        c.redist.lpis.remove(&i);
                    }
                }
            }
        }
    }

    /// GICR_CTLR.EnableLPIs went from 0 to 1: the pending table is read (IHI 0069 §5.1.2;
    /// GICR_PENDBASER.PTZ is write-only and not kept, so the table is always scanned: the
    /// first 1 KiB covers INTIDs 0-8191 and is IMPLEMENTATION DEFINED, skipped).
    pub(super) fn lpi_enable(&mut self, dma: &mut dyn DmaSpace, cpu: usize) {
        let Some(c) = self.st.cpus.get(cpu) else { return };
        let idbits = ((c.redist.propbaser & 0x1f) as u32 + 1).min(16);
        let pend = c.redist.pendbaser & 0xffff_ffff_0000;
        if idbits < 14 {
            return;
        }
        let bytes = (1usize << idbits) / 8;
        let mut tab = vec![0u8; bytes.saturating_sub(1024)];
        if dma.read(pend + 1024, &mut tab).is_err() {
            tracing::warn!(target: "gic", cpu, "LPI pending table at {pend:#x} is not RAM");
            return;
        }
        for (i, b) in tab.iter().enumerate() {
            for bit in 0..8 {
                if b >> bit & 1 != 0 {
                    self.lpi_set_pending(dma, cpu, LPI_BASE + (i * 8 + bit) as u32);
                }
            }
        }
    }

    // ---- the command queue -------------------------------------------------------------

    /// Executes the commands between CREADR and CWRITER (when the ITS is enabled and
    /// GITS_CBASER is valid).
    fn its_process(&mut self, dma: &mut dyn DmaSpace) {
        let its = &self.st.its;
        if !its.enabled || its.cbaser >> 63 == 0 || its.creadr & gits::CREADR_STALLED != 0 {
            return;
        }
        let base = its.cbaser & 0xffff_ffff_f000;
        let qsize = ((its.cbaser & 0xff) + 1) * 4096;
        if its.cwriter >= qsize {
            // CWRITER beyond the queue: UNPREDICTABLE; this model stalls.
            tracing::warn!(target: "gic", "GITS_CWRITER {:#x} beyond the command queue ({qsize:#x} bytes)", its.cwriter);
            self.st.its.creadr |= gits::CREADR_STALLED;
            return;
        }
        for _ in 0..qsize / 32 {
            let rd = self.st.its.creadr & QUEUE_OFFSET_MASK;
            if rd == self.st.its.cwriter {
                break;
            }
            let mut raw = [0u8; 32];
            if dma.read(base + rd, &mut raw).is_err() {
                tracing::warn!(target: "gic", "ITS command queue at {:#x} is not RAM: stalled", base + rd);
                self.st.its.creadr |= gits::CREADR_STALLED;
                return;
            }
            let mut dw = [0u64; 4];
            for (k, d) in dw.iter_mut().enumerate() {
                let mut b = [0u8; 8];
                if let Some(s) = raw.get(k * 8..k * 8 + 8) {
                    b.copy_from_slice(s);
                }
                *d = u64::from_le_bytes(b);
            }
            let c = Command(dw);
            if let Err(e) = self.its_execute(dma, c) {
                tracing::warn!(target: "gic", "ITS command {:#04x} ({:#x?}) ignored: {e}", c.opcode(), c.0);
            }
            self.st.its.creadr = (rd + 32) % qsize;
        }
        self.refresh();
    }

    fn its_rdbase(&self, dw: u64) -> Result<usize, String> {
        let p = Command::rdbase(dw);
        if p < self.st.cpus.len() as u64 {
            Ok(p as usize)
        } else {
            Err(format!("RDbase {p:#x} is not a redistributor"))
        }
    }

    fn its_check_device(&self, id: u32) -> Result<(), String> {
        if id >> 16 != 0 {
            return Err(format!("DeviceID {id:#x} beyond Devbits"));
        }
        if u64::from(id) >= self.its_table_entries(0) {
            return Err(format!("DeviceID {id:#x} beyond the device table"));
        }
        Ok(())
    }

    fn its_check_icid(&self, icid: u16) -> Result<(), String> {
        if u64::from(icid) >= self.its_table_entries(1) {
            return Err(format!("ICID {icid} beyond the collection table"));
        }
        Ok(())
    }

    /// The mapping of (DeviceID, EventID): (pINTID, ICID).
    fn its_lookup(&self, c: &Command) -> Result<(u32, u16), String> {
        let dev = self.st.its.devices.get(&c.device_id()).ok_or(format!("DeviceID {:#x} not mapped", c.device_id()))?;
        dev.events.get(&c.event_id()).copied().ok_or(format!("EventID {:#x} not mapped", c.event_id()))
    }

    fn its_collection(&self, icid: u16) -> Result<usize, String> {
        self.st.its.collections.get(&icid).copied().ok_or(format!("collection {icid} not mapped"))
    }

    /// One command (IHI 0069 §5.3.1-§5.3.?); the field layouts are those of the command
    /// descriptions (DW0 [7:0] opcode, [63:32] DeviceID; DW1 [31:0] EventID ...).
    fn its_execute(&mut self, dma: &mut dyn DmaSpace, c: Command) -> Result<(), String> {
        match c.opcode() {
            cmd::MAPD => {
                // DW1 [4:0] Size = EventID bits - 1; DW2 [51:8] ITT_addr; DW2 [63] V.
                self.its_check_device(c.device_id())?;
                if !c.valid() {
                    if let Some(d) = self.st.its.devices.remove(&c.device_id()) {
                        tracing::debug!(target: "gic", "MAPD {:#x} V=0 ({} events unmapped)", c.device_id(), d.events.len());
                    }
                    return Ok(());
                }
                if c.size() > 15 {
                    return Err(format!("MAPD Size {} beyond GITS_TYPER.IDbits", c.size()));
                }
                let (itt, size) = (c.itt_addr(), c.size());
                let keep = self.st.its.devices.get(&c.device_id()).is_some_and(|d| d.itt_addr == itt && d.size == size);
                if !keep {
                    self.st.its.devices.insert(c.device_id(), ItsDevice { itt_addr: itt, size, events: BTreeMap::new() });
                }
            }
            cmd::MAPC => {
                // DW2 [15:0] ICID, [51:16] RDbase, [63] V.
                self.its_check_icid(c.icid())?;
                if c.valid() {
                    let cpu = self.its_rdbase(c.0[2])?;
                    self.st.its.collections.insert(c.icid(), cpu);
                } else {
                    self.st.its.collections.remove(&c.icid());
                }
            }
            op @ (cmd::MAPTI | cmd::MAPI) => {
                // MAPTI: DW1 [63:32] pINTID; MAPI: pINTID = EventID. DW2 [15:0] ICID.
                let intid = if op == cmd::MAPTI { c.pintid() } else { c.event_id() };
                self.its_check_icid(c.icid())?;
                if !(LPI_BASE..LPI_LIMIT).contains(&intid) {
                    return Err(format!("pINTID {intid} is not an LPI"));
                }
                let ev = c.event_id();
                let dev = self.st.its.devices.get_mut(&c.device_id()).ok_or(format!("DeviceID {:#x} not mapped", c.device_id()))?;
                if u64::from(ev) >> (dev.size + 1) != 0 {
                    return Err(format!("EventID {ev:#x} beyond the ITT"));
                }
                dev.events.insert(ev, (intid, c.icid()));
            }
            cmd::MOVI => {
                let (intid, old) = self.its_lookup(&c)?;
                self.its_check_icid(c.icid())?;
                let from = self.its_collection(old)?;
                let to = self.its_collection(c.icid())?;
                if let Some(d) = self.st.its.devices.get_mut(&c.device_id()) {
                    d.events.insert(c.event_id(), (intid, c.icid()));
                }
                if from != to && self.lpi_clear_pending(from, intid).is_some() {
                    self.lpi_set_pending(dma, to, intid);
                }
            }
            cmd::DISCARD => {
                let (intid, icid) = self.its_lookup(&c)?;
                if let Ok(cpu) = self.its_collection(icid) {
                    self.lpi_clear_pending(cpu, intid);
                }
                if let Some(d) = self.st.its.devices.get_mut(&c.device_id()) {
                    d.events.remove(&c.event_id());
                }
            }
            cmd::INT => {
                let (intid, icid) = self.its_lookup(&c)?;
                let cpu = self.its_collection(icid)?;
                self.lpi_set_pending(dma, cpu, intid);
            }
            cmd::CLEAR => {
                let (intid, icid) = self.its_lookup(&c)?;
                let cpu = self.its_collection(icid)?;
                self.lpi_clear_pending(cpu, intid);
            }
            cmd::INV => {
                let (intid, icid) = self.its_lookup(&c)?;
                let cpu = self.its_collection(icid)?;
                self.lpi_reload(dma, cpu, Some(intid));
            }
            cmd::INVALL => {
                let cpu = self.its_collection(c.icid())?;
                self.lpi_reload(dma, cpu, None);
            }
            cmd::SYNC => {
                // Every effect is complete when a command finishes: nothing to wait for.
                self.its_rdbase(c.0[2])?;
            }
            cmd::MOVALL => {
                let from = self.its_rdbase(c.0[2])?;
                let to = self.its_rdbase(c.0[3])?;
                if from != to {
                    let moved = self.st.cpus.get_mut(from).map(|c| std::mem::take(&mut c.redist.lpis)).unwrap_or_default();
                    for intid in moved.keys() {
                        self.lpi_set_pending(dma, to, *intid);
                    }
                }
            }
            op => return Err(format!("opcode {op:#04x} not implemented by the GIC-500 ITS")),
        }
        Ok(())
    }
}
