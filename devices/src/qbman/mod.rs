//! QBMan software portals (QMan 4.1 "direct" mode), register level only.
//!
//! The portal window is the fsl-mc node's `ranges` type 1 at [`crate::fslmc::QBMAN_BASE`]
//! (128 MiB): portal p's cache-enabled (CENA) page at p × 64 KiB, its cache-inhibited
//! (CINH) page at [`crate::fslmc::QBMAN_CINH_OFFSET`] + p × 64 KiB (ls2088a-reference.md
//! §4.1, §4.7). The DPIO object's DPIO_GET_ATTR / DPRC_GET_OBJ_REG answers (fslmc/fw.rs)
//! point Linux at these pages and report QMan 4.1 (0x04010000).
//!
//! What is modelled (enough for Linux 6.1's `qbman_swp_init` and `dpaa2_io_create`,
//! reference §5.2):
//! * the ring/command area, offsets 0x000-0x7FF (EQCR, DQRR, RCR, CR, RR0/RR1, VDQCR), as
//!   plain storage shared by the CENA and CINH pages (with 2 regions Linux maps the CINH
//!   page for both, §4.7);
//! * the CINH registers at 0x800-0xFFF, 32-bit accesses, reset 0 unless said: SWP_CFG
//!   (read back as written: non-zero = "enabled"), EQCR_PI (reset 0x80: index 0, valid
//!   bit 1 — a model choice, the driver takes whatever it reads), EQCR_CI, RCR_PI, DQPI,
//!   DQRR_ITR, ITPR, SDQCR, DCAP (last value written), ISR (write 1 to clear), IER, ISDR,
//!   IIR, EQAR / RAR (read: success bit 0x100, index 0, valid bit 0x80: a free slot);
//!   the same decode in the CENA page (its EQCR_CI copy at 0x840);
//! * nothing else: no command is executed (a verb stored in EQCR/RCR/CR/VDQCR does not
//!   enqueue, release, dequeue or answer a management command), no DQRR entry is ever
//!   produced, ISR never sets, no interrupt is raised. Those accesses and any other
//!   offset (the QMan 5 memory-backed layout at 0x1000 and above) are stored/read as 0 and
//!   warned about once per offset.

use crate::{MmioError, MmioResult, Size};
use std::collections::{BTreeMap, BTreeSet};

/// Size of the whole portal window (CENA half + CINH half).
pub const WINDOW: u64 = 0x800_0000;
/// One portal page.
pub const PAGE: u64 = 0x1_0000;
/// Number of portal pages per half.
pub const MAX_PORTALS: u64 = crate::fslmc::QBMAN_CINH_OFFSET / PAGE;

// CINH register offsets (qbman-portal.c QBMAN_CINH_SWP_*, reference §5.1).
pub const EQCR_PI: u64 = 0x800;
pub const EQCR_CI: u64 = 0x840;
pub const EQAR: u64 = 0x8c0;
pub const DQPI: u64 = 0xa00;
pub const DQRR_ITR: u64 = 0xa80;
pub const DCAP: u64 = 0xac0;
pub const SDQCR: u64 = 0xb00;
pub const RCR_PI: u64 = 0xc00;
pub const RAR: u64 = 0xcc0;
pub const SWP_CFG: u64 = 0xd00;
pub const ISR: u64 = 0xe00;
pub const IER: u64 = 0xe40;
pub const ISDR: u64 = 0xe80;
pub const IIR: u64 = 0xec0;
pub const ITPR: u64 = 0xf40;
/// End of the ring/command area.
pub const RING_END: u64 = 0x800;

/// EQAR/RAR "success" bit (qbman-portal.c EQAR_SUCCESS / RAR_SUCCESS) and valid bit.
const AR_SUCCESS: u32 = 0x100;
const VALID_BIT: u32 = 0x80;

#[derive(Clone)]
struct Portal {
    ring: Box<[u8; RING_END as usize]>,
    regs: BTreeMap<u64, u32>,
}

impl Portal {
    fn new() -> Portal {
        let mut regs = BTreeMap::new();
        regs.insert(EQCR_PI, VALID_BIT);
        Portal { ring: Box::new([0; RING_END as usize]), regs }
    }
}

/// All software portals of the window; a portal's state is created on first access.
#[derive(Default)]
pub struct Qbman {
    portals: BTreeMap<u32, Portal>,
    warned: BTreeSet<u64>,
    /// Warnings given (one per offset, so bounded by the page size), newest last.
    pub warnings: Vec<String>,
}

impl Qbman {
    pub fn new() -> Qbman {
        Qbman::default()
    }

    fn split(off: u64) -> Option<(u32, bool, u64)> {
        if off >= WINDOW {
            return None;
        }
        let cinh = off >= crate::fslmc::QBMAN_CINH_OFFSET;
        let o = off % crate::fslmc::QBMAN_CINH_OFFSET;
        Some(((o / PAGE) as u32, cinh, o % PAGE))
    }

    fn warn(&mut self, reg: u64, what: &str) {
        if self.warned.insert(reg) {
            let w = format!("QBMan portal model: {what} at portal offset {reg:#x} is not implemented (read as 0, no effect)");
            tracing::warn!(target: "qbman", "{w}");
            self.warnings.push(w);
        }
    }

    /// Warnings raised since the last call.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    pub fn read(&mut self, off: u64, size: Size) -> MmioResult<u64> {
        let (p, _cinh, reg) = Self::split(off).ok_or(MmioError::NoRegister)?;
        let n = size.bytes();
        if reg < RING_END {
            if !(reg as usize).is_multiple_of(n) {
                return Err(MmioError::Unaligned);
            }
            let Some(port) = self.portals.get(&p) else { return Ok(0) };
            let mut b = [0u8; 8];
            b[..n].copy_from_slice(&port.ring[reg as usize..reg as usize + n]);
            return Ok(u64::from_le_bytes(b));
        }
        if size != Size::B4 {
            return Err(MmioError::BadSize);
        }
        let port = self.portals.entry(p).or_insert_with(Portal::new);
        Ok(match reg {
            EQAR | RAR => (AR_SUCCESS | VALID_BIT) as u64,
            EQCR_PI | EQCR_CI | DQPI | DQRR_ITR | DCAP | SDQCR | RCR_PI | SWP_CFG | ISR | IER | ISDR | IIR | ITPR => {
                port.regs.get(&reg).copied().unwrap_or(0) as u64
            }
            _ => {
                self.warn(reg, "register read");
                0
            }
        })
    }

    pub fn write(&mut self, off: u64, size: Size, val: u64) -> MmioResult<()> {
        let (p, _cinh, reg) = Self::split(off).ok_or(MmioError::NoRegister)?;
        let n = size.bytes();
        if reg < RING_END {
            if !(reg as usize).is_multiple_of(n) {
                return Err(MmioError::Unaligned);
            }
            let port = self.portals.entry(p).or_insert_with(Portal::new);
            port.ring[reg as usize..reg as usize + n].copy_from_slice(&val.to_le_bytes()[..n]);
            // A store covering an entry's first byte (the verb) is the command trigger in
            // direct mode (reference §5.3); commands are not executed yet.
            if reg % 64 == 0 && val as u8 != 0 {
                let what = match reg {
                    0x000..=0x1ff => "EQCR enqueue command",
                    0x200..=0x3ff => "DQRR entry write",
                    0x400..=0x5ff => "RCR release command",
                    0x600..=0x6ff => "management command",
                    0x780 => "VDQCR volatile dequeue command",
                    _ => "ring store",
                };
                self.warn(reg & !0x3f, what);
            }
            return Ok(());
        }
        if size != Size::B4 {
            return Err(MmioError::BadSize);
        }
        let v = val as u32;
        let port = self.portals.entry(p).or_insert_with(Portal::new);
        match reg {
            ISR => {
                let isr = port.regs.entry(ISR).or_insert(0);
                *isr &= !v;
            }
            EQCR_PI | EQCR_CI | DQPI | DQRR_ITR | DCAP | SDQCR | RCR_PI | SWP_CFG | IER | ISDR | IIR | ITPR => {
                port.regs.insert(reg, v);
            }
            _ => self.warn(reg, "register write"),
        }
        Ok(())
    }

    /// Portals touched so far with their SWP_CFG and SDQCR (for a monitor view).
    pub fn describe(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        for (p, port) in &self.portals {
            let r = |o| port.regs.get(&o).copied().unwrap_or(0);
            let _ = writeln!(s, "qbman portal {p}: SWP_CFG {:#010x} SDQCR {:#010x} IER {:#x} ISR {:#x}", r(SWP_CFG), r(SDQCR), r(IER), r(ISR));
        }
        s
    }
}

#[cfg(test)]
mod tests;
