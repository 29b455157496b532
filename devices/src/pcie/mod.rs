//! The LS2088A PCIe controller (PEX1), a Synopsys DesignWare core in root-complex mode as
//! Linux 6.1's pci-layerscape.c + pcie-designware*.c drive it (ls2088a-reference.md §1.3):
//!
//! * DBI (the "regs" window, 0x0340_0000): the root port's type-1 configuration header
//!   with a PCI Express capability, the port-logic registers (link state in PORT_DEBUG0/1
//!   at 0x728/0x72C, PCIE_VERSION_NUMBER 0x8F8 = 0: a core older than 4.70a) and the
//!   viewport iATU (PCIE_ATU_VIEWPORT 0x900, the selected region's registers at 0x904):
//!   6 outbound and 6 inbound regions (the DT's `num-viewport = <6>`), 4 KiB granule.
//! * the outbound window (0x20_0000_0000, 32 GiB): every access is translated by the
//!   enabled outbound iATU region that contains it: CFG0 regions (the "config" reg, 8 KiB)
//!   become configuration accesses to the bus/device/function in the region's target,
//!   MEM regions memory accesses on PCI (the endpoint's BARs).
//! * one endpoint on the secondary bus (device 0, function 0) when a device is attached.
//!
//! Inbound (device → memory) accesses are not translated by the iATU in host mode (Linux
//! programs no inbound region): the endpoint's PCI addresses are the SMMU's input
//! addresses, with the stream ID the board gives its requester ID.

pub mod cfg;
pub mod nvme;

use crate::dma::DmaSpace;
use crate::{MmioError, MmioResult, Size};
use cfg::CfgSpace;

/// Size of the DBI ("regs") window.
pub const DBI_SIZE: u64 = 0x10_0000;
/// Size of the outbound window (0x20_0000_0000..0x28_0000_0000 for PEX1).
pub const WINDOW_SIZE: u64 = 0x8_0000_0000;

/// Port-logic registers (Synopsys DWC databook names, as pcie-designware.h spells them).
pub mod dbi {
    pub const PORT_LINK_CONTROL: u64 = 0x710;
    pub const PORT_DEBUG0: u64 = 0x728;
    pub const PORT_DEBUG1: u64 = 0x72C;
    /// PORT_DEBUG1: link up.
    pub const DEBUG1_LINK_UP: u32 = 1 << 4;
    /// LTSSM state L0 (PORT_DEBUG0[5:0]).
    pub const LTSSM_L0: u32 = 0x11;
    pub const VERSION_NUMBER: u64 = 0x8F8;
    pub const VERSION_TYPE: u64 = 0x8FC;
    pub const ATU_VIEWPORT: u64 = 0x900;
    /// The selected region's registers: CTRL1, CTRL2, LOWER_BASE, UPPER_BASE, LIMIT,
    /// LOWER_TARGET, UPPER_TARGET at 0x904 + 0x00..0x18.
    pub const ATU_REGION: u64 = 0x904;
    pub const ATU_REGION_SIZE: u64 = 0x2C;
    /// PCIE_ATU_VIEWPORT bit 31: inbound.
    pub const VIEWPORT_INBOUND: u32 = 1 << 31;
    pub const ATU_ENABLE: u32 = 1 << 31;
    pub const ATU_TYPE_MEM: u32 = 0;
    pub const ATU_TYPE_IO: u32 = 2;
    pub const ATU_TYPE_CFG0: u32 = 4;
    pub const ATU_TYPE_CFG1: u32 = 5;
}

/// Number of iATU regions per direction (the RDB DT's `num-viewport = <6>`).
pub const ATU_REGIONS: usize = 6;

/// PCI vendor ID of Freescale/NXP.
pub const VENDOR_NXP: u16 = 0x1957;
/// Device ID the root port reports. The LS2088A reference manual is not available to
/// this project; 0x80C0 is the value lsemu uses for its LS2088A root port (Linux binds
/// the host driver by compatible string and the port by class, not by this ID).
pub const ROOT_PORT_DEVICE_ID: u16 = 0x80C0;

/// Offset of the root port's PCI Express capability.
pub const RP_PCIE_CAP: usize = 0x40;

/// One iATU region (viewport register image).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AtuRegion {
    pub ctrl1: u32,
    pub ctrl2: u32,
    pub lower_base: u32,
    pub upper_base: u32,
    pub limit: u32,
    pub lower_target: u32,
    pub upper_target: u32,
}

impl AtuRegion {
    fn reg(&mut self, off: u64) -> Option<&mut u32> {
        Some(match off {
            0x00 => &mut self.ctrl1,
            0x04 => &mut self.ctrl2,
            0x08 => &mut self.lower_base,
            0x0C => &mut self.upper_base,
            0x10 => &mut self.limit,
            0x14 => &mut self.lower_target,
            0x18 => &mut self.upper_target,
            _ => return None,
        })
    }

    /// The region's input range [base, limit] (cores before 4.60a: the limit's upper 32
    /// bits are the base's) and its PCI target if `addr` falls in it while enabled.
    pub fn translate(&self, addr: u64) -> Option<u64> {
        if self.ctrl2 & dbi::ATU_ENABLE == 0 {
            return None;
        }
        let base = ((self.upper_base as u64) << 32) | self.lower_base as u64;
        let limit = ((self.upper_base as u64) << 32) | self.limit as u64;
        if addr < base || addr > limit {
            return None;
        }
        let target = ((self.upper_target as u64) << 32) | self.lower_target as u64;
        Some(target.wrapping_add(addr - base))
    }
}

/// A PCI function behind the root port.
pub trait Endpoint: Send {
    /// Configuration read of `n` bytes at `off` (0..4096).
    fn cfg_read(&mut self, off: u64, n: usize) -> u32;
    fn cfg_write(&mut self, off: u64, n: usize, val: u32);
    /// A memory read at PCI address `addr`, `None` if no BAR of the function claims it.
    fn mem_read(&mut self, addr: u64, size: Size) -> Option<u64>;
    /// A memory write; `dma` is the function's view of memory (for work the write
    /// starts). Returns false if no BAR claims `addr`.
    fn mem_write(&mut self, addr: u64, size: Size, val: u64, dma: &mut dyn DmaSpace) -> bool;
    /// MSI/MSI-X writes (address, data) the function issued since the last call.
    fn take_msis(&mut self) -> Vec<(u64, u32)>;
    /// Whether the function asserts its INTx pin (INTA) now.
    fn intx(&self) -> bool {
        false
    }
}

/// The PEX controller: root port, iATU, and the attached endpoint.
pub struct Pcie {
    pub rp: CfgSpace,
    /// Port-logic registers 0x700..0x1000 other than the iATU viewport (RAM-like).
    port_logic: Vec<u8>,
    viewport: u32,
    pub ob: [AtuRegion; ATU_REGIONS],
    pub ib: [AtuRegion; ATU_REGIONS],
    pub endpoint: Option<Box<dyn Endpoint>>,
    /// The GIC input INTA of the endpoint reaches (device 0's INTA stays INTA through
    /// the root port; the controller's `interrupt-map` routes it).
    inta: crate::IrqLine,
    warned: u32,
}

impl Pcie {
    /// A controller; with `endpoint` the link trains (is up from reset).
    pub fn new(endpoint: Option<Box<dyn Endpoint>>) -> Pcie {
        let mut rp = CfgSpace::default();
        rp.init(0x00, 2, VENDOR_NXP as u32, 0);
        rp.init(0x02, 2, ROOT_PORT_DEVICE_ID as u32, 0);
        // Command: I/O, memory, bus master, parity, SERR, INTx disable.
        rp.init(0x04, 2, 0, 0x0547);
        // Status: capabilities list.
        rp.init(0x06, 2, 0x0010, 0);
        // Revision 0x10; class 0x060400 (PCI-to-PCI bridge), writable through DBI
        // (dw_pcie_setup_rc writes it with DBI_RO_WR_EN set).
        rp.init(0x08, 4, 0x0604_0010, 0xFFFF_FF00);
        rp.init(0x0C, 1, 0, 0xFF);
        rp.init(0x0E, 1, 0x01, 0);
        // BAR0/1: not implemented (read as 0, sized as absent).
        // Bus numbers and secondary latency.
        rp.init(0x18, 4, 0, 0xFFFF_FFFF);
        // I/O base/limit (16-bit decoding).
        rp.init(0x1C, 2, 0, 0xF0F0);
        // Memory base/limit; prefetchable base/limit (64-bit) and upper halves; I/O upper.
        rp.init(0x20, 4, 0, 0xFFF0_FFF0);
        rp.init(0x24, 4, 0x0001_0001, 0xFFF0_FFF0);
        rp.init(0x28, 4, 0, 0xFFFF_FFFF);
        rp.init(0x2C, 4, 0, 0xFFFF_FFFF);
        rp.init(0x30, 4, 0, 0xFFFF_FFFF);
        rp.init(0x34, 1, RP_PCIE_CAP as u32, 0);
        // Interrupt line, pin (writable through DBI), bridge control.
        rp.init(0x3C, 4, 0, 0x0FFF_FFFF);
        let c = RP_PCIE_CAP;
        // PCI Express capability v2, device/port type 4 = root port (PCIe base spec §7.5.3).
        rp.init(c, 4, 0x0042_0010, 0);
        // Device capabilities: max payload 256 B (1), role-based error reporting (bit 15).
        rp.init(c + 0x04, 4, 0x0000_8001, 0);
        rp.init(c + 0x08, 2, 0x2810, 0xFFFF);
        // Link capabilities: max speed 8 GT/s (3), max width x8, DLL link active
        // reporting capable (bit 20). Link status: 8 GT/s x4, DLL link active (bit 13).
        rp.init(c + 0x0C, 4, 0x0010_0083, 0);
        rp.init(c + 0x10, 2, 0, 0xFFFF);
        let up = endpoint.is_some();
        rp.init(c + 0x12, 2, if up { 0x2043 } else { 0 }, 0);
        // Root control (error reporting enables, PME interrupt enable).
        rp.init(c + 0x1C, 2, 0, 0x001F);
        // Device control 2, link capabilities 2 (2.5/5/8 GT/s), link control 2.
        rp.init(c + 0x28, 2, 0, 0xFFFF);
        rp.init(c + 0x2C, 4, 0x0E, 0);
        rp.init(c + 0x30, 2, 3, 0xFFFF);
        Pcie { rp, port_logic: vec![0; 0x900], viewport: 0, ob: Default::default(), ib: Default::default(), endpoint, inta: crate::IrqLine::detached(), warned: 0 }
    }

    /// Connects the endpoint's INTA to `line`.
    pub fn with_inta(mut self, line: crate::IrqLine) -> Pcie {
        self.inta = line;
        self
    }

    fn update_intx(&mut self) {
        self.inta.set_level(self.endpoint.as_ref().is_some_and(|e| e.intx()));
    }

    fn link_up(&self) -> bool {
        self.endpoint.is_some()
    }

    fn warn(&mut self, what: std::fmt::Arguments<'_>) {
        if self.warned < 16 {
            self.warned += 1;
            tracing::warn!(target: "pcie", "{what}");
        }
    }

    fn region(&mut self) -> Option<&mut AtuRegion> {
        let idx = (self.viewport & 0xF) as usize;
        if self.viewport & dbi::VIEWPORT_INBOUND != 0 {
            self.ib.get_mut(idx)
        } else {
            self.ob.get_mut(idx)
        }
    }

    /// A DBI read.
    pub fn dbi_read(&mut self, off: u64, size: Size) -> MmioResult<u64> {
        let n = size.bytes();
        if n == 8 || !off.is_multiple_of(n as u64) {
            return Err(if n == 8 { MmioError::BadSize } else { MmioError::Unaligned });
        }
        let v = match off {
            0..=0x6FF => self.rp.read(off, n) as u64,
            0x700..=0x8FF => {
                let dw = off & !3;
                let word = match dw {
                    dbi::PORT_DEBUG0 if self.link_up() => dbi::LTSSM_L0,
                    dbi::PORT_DEBUG1 if self.link_up() => dbi::DEBUG1_LINK_UP,
                    dbi::PORT_DEBUG0 | dbi::PORT_DEBUG1 => 0,
                    // Core older than 4.70a: the version registers read as zero.
                    dbi::VERSION_NUMBER | dbi::VERSION_TYPE => 0,
                    _ => {
                        let o = dw as usize;
                        u32::from_le_bytes([self.port_logic[o], self.port_logic[o + 1], self.port_logic[o + 2], self.port_logic[o + 3]])
                    }
                };
                ((word >> (8 * (off & 3))) as u64) & mask(n)
            }
            dbi::ATU_VIEWPORT => self.viewport as u64,
            o if (dbi::ATU_REGION..dbi::ATU_REGION + dbi::ATU_REGION_SIZE).contains(&o) && n == 4 => {
                let r = o - dbi::ATU_REGION;
                match self.region() {
                    // LIMIT[11:0] read as ones: 4 KiB regions (the driver's region_align).
                    Some(reg) if r == 0x10 => (reg.limit | 0xFFF) as u64,
                    Some(reg) => reg.reg(r).map_or(0, |v| *v as u64),
                    None => 0,
                }
            }
            _ => 0,
        };
        Ok(v)
    }

    /// A DBI write.
    pub fn dbi_write(&mut self, off: u64, size: Size, val: u64) -> MmioResult<()> {
        let n = size.bytes();
        if n == 8 || !off.is_multiple_of(n as u64) {
            return Err(if n == 8 { MmioError::BadSize } else { MmioError::Unaligned });
        }
        match off {
            0..=0x6FF => self.rp.write(off, n, val as u32),
            0x700..=0x8FF => {
                for i in 0..n {
                    self.port_logic[off as usize + i] = (val >> (8 * i)) as u8;
                }
            }
            // 8 regions addressable (index 7..0 of the viewport), 6 implemented.
            dbi::ATU_VIEWPORT if n == 4 => self.viewport = val as u32 & (dbi::VIEWPORT_INBOUND | 0x7),
            o if (dbi::ATU_REGION..dbi::ATU_REGION + dbi::ATU_REGION_SIZE).contains(&o) && n == 4 => {
                let r = o - dbi::ATU_REGION;
                if let Some(reg) = self.region().and_then(|g| g.reg(r)) {
                    *reg = match r {
                        0x08 => val as u32 & !0xFFF,
                        0x10 => val as u32 | 0xFFF,
                        _ => val as u32,
                    };
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The outbound translation of window offset `off`: (region type, PCI address).
    fn outbound(&self, cpu_addr: u64) -> Option<(u32, u64)> {
        self.ob.iter().find_map(|r| r.translate(cpu_addr).map(|t| (r.ctrl1 & 0x1F, t)))
    }

    /// The secondary bus number the root port forwards type-0 configuration to.
    fn secondary_bus(&self) -> u8 {
        self.rp.data[0x19]
    }

    /// Whether a configuration target (bus/dev/fn in ATU target layout) is the endpoint.
    fn cfg_target_is_endpoint(&self, ty: u32, target: u64) -> bool {
        let bus = (target >> 24) as u8;
        let devfn = (target >> 16) & 0xFF;
        ty == dbi::ATU_TYPE_CFG0 && bus == self.secondary_bus() && devfn == 0 && self.endpoint.is_some()
    }

    /// A read in the outbound window at CPU address `cpu_addr`.
    pub fn window_read(&mut self, cpu_addr: u64, size: Size) -> MmioResult<u64> {
        let n = size.bytes();
        let Some((ty, target)) = self.outbound(cpu_addr) else {
            self.warn(format_args!("PCIe: read at {cpu_addr:#x} outside every enabled outbound iATU region"));
            return Ok(mask(n));
        };
        match ty {
            dbi::ATU_TYPE_CFG0 | dbi::ATU_TYPE_CFG1 => {
                let off = target & 0xFFF;
                let bdf = target & !0xFFF;
                if n == 8 || !off.is_multiple_of(n as u64) {
                    return Err(MmioError::Unaligned);
                }
                if self.cfg_target_is_endpoint(ty, bdf) {
                    Ok(self.endpoint.as_mut().map_or(0, |e| e.cfg_read(off, n)) as u64)
                } else {
                    // No function there: the completion is Unsupported Request and
                    // the read returns all ones.
                    Ok(mask(n))
                }
            }
            dbi::ATU_TYPE_MEM => match self.endpoint.as_mut().and_then(|e| e.mem_read(target, size)) {
                Some(v) => Ok(v),
                None => {
                    self.warn(format_args!("PCIe: memory read at PCI address {target:#x}: no BAR claims it"));
                    Ok(mask(n))
                }
            },
            _ => Ok(mask(n)),
        }
    }

    /// A write in the outbound window; `dma` is the endpoint's view of memory.
    pub fn window_write(&mut self, cpu_addr: u64, size: Size, val: u64, dma: &mut dyn DmaSpace) -> MmioResult<()> {
        let n = size.bytes();
        let Some((ty, target)) = self.outbound(cpu_addr) else {
            self.warn(format_args!("PCIe: write at {cpu_addr:#x} outside every enabled outbound iATU region"));
            return Ok(());
        };
        match ty {
            dbi::ATU_TYPE_CFG0 | dbi::ATU_TYPE_CFG1 => {
                let off = target & 0xFFF;
                if n == 8 || !off.is_multiple_of(n as u64) {
                    return Err(MmioError::Unaligned);
                }
                if self.cfg_target_is_endpoint(ty, target & !0xFFF) {
                    if let Some(e) = self.endpoint.as_mut() {
                        e.cfg_write(off, n, val as u32);
                    }
                }
            }
            dbi::ATU_TYPE_MEM => {
                let hit = self.endpoint.as_mut().is_some_and(|e| e.mem_write(target, size, val, dma));
                if !hit {
                    self.warn(format_args!("PCIe: memory write at PCI address {target:#x}: no BAR claims it"));
                }
            }
            _ => {}
        }
        self.update_intx();
        Ok(())
    }

    /// The endpoint's pending MSI writes.
    pub fn take_msis(&mut self) -> Vec<(u64, u32)> {
        self.endpoint.as_mut().map_or_else(Vec::new, |e| e.take_msis())
    }
}

fn mask(n: usize) -> u64 {
    if n >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * n)) - 1
    }
}

#[cfg(test)]
mod tests;
