//! The Distributor (GICD), IHI 0069 §12.9. Affinity routing is always enabled on the
//! GIC-500 (GICD_CTLR.ARE_S/ARE_NS RAO/WI, GIC-500 TRM "Distributor registers"), so the
//! registers for INTIDs 0-31 are RAZ/WI here (they live in the redistributors), as are
//! ITARGETSR, SGIR, CPENDSGIR and SPENDSGIR.

use super::regs::gicd::*;
use super::regs::id_reg;
use super::{reg64_read, reg64_write, Gic, GIC500_IIDR, IROUTER_IRM};
use crate::{MmioError, MmioResult, Size};

/// Implemented IROUTER bits: Aff3 [39:32], IRM [31], Aff2..Aff0 [23:0].
const IROUTER_MASK: u64 = 0xff_0000_0000 | IROUTER_IRM | 0xff_ffff;

impl Gic {
    fn gicd_ctlr(&self, sec: bool) -> u32 {
        let st = &self.st;
        if st.ds {
            // IHI 0069 §12.9.4, DS = 1: single view.
            CTLR_DS
                | CTLR_ARE_S
                | if st.e1nwf { CTLR_E1NWF } else { 0 }
                | if st.enable_grp1ns { CTLR_ENABLE_GRP1NS } else { 0 }
                | if st.enable_grp0 { CTLR_ENABLE_GRP0 } else { 0 }
        } else if sec {
            CTLR_ARE_NS
                | CTLR_ARE_S
                | if st.e1nwf { CTLR_E1NWF } else { 0 }
                | if st.enable_grp1s { CTLR_ENABLE_GRP1S } else { 0 }
                | if st.enable_grp1ns { CTLR_ENABLE_GRP1NS } else { 0 }
                | if st.enable_grp0 { CTLR_ENABLE_GRP0 } else { 0 }
        } else {
            CTLR_NS_ARE_NS | if st.enable_grp1ns { CTLR_NS_ENABLE_GRP1A } else { 0 }
        }
    }

    fn gicd_ctlr_write(&mut self, v: u32, sec: bool) {
        let st = &mut self.st;
        if st.ds {
            st.enable_grp0 = v & CTLR_ENABLE_GRP0 != 0;
            st.enable_grp1ns = v & CTLR_ENABLE_GRP1NS != 0;
            st.e1nwf = v & CTLR_E1NWF != 0;
            // DS stays 1 until reset (IHI 0069 §12.9.4: once set, RAO/WI for the GIC-500
            // model; the architecture allows it).
        } else if sec {
            st.enable_grp0 = v & CTLR_ENABLE_GRP0 != 0;
            st.enable_grp1ns = v & CTLR_ENABLE_GRP1NS != 0;
            st.enable_grp1s = v & CTLR_ENABLE_GRP1S != 0;
            st.e1nwf = v & CTLR_E1NWF != 0;
            if v & CTLR_DS != 0 {
                st.ds = true;
            }
        } else {
            st.enable_grp1ns = v & CTLR_NS_ENABLE_GRP1A != 0;
        }
    }

    fn gicd_typer(&self) -> u32 {
        let n = self.st.spis.len() as u32;
        let cpus = (self.st.cpus.len().clamp(1, 8) - 1) as u32;
        // IHI 0069 §12.9.38: IDbits [23:19] = 15 (16-bit INTIDs), LPIS [17], MBIS [16] = 0,
        // SecurityExtn [10], CPUNumber [7:5], ITLinesNumber [4:0] = (SPIs + 32) / 32 - 1.
        (15 << 19) | (1 << 17) | if self.st.ds { 0 } else { 1 << 10 } | (cpus << 5) | (n / 32)
    }

    pub(super) fn gicd_read(&mut self, off: u64, size: Size, sec: bool) -> MmioResult<u64> {
        let word = |size: Size| {
            if size == Size::B4 {
                Ok(())
            } else {
                Err(MmioError::BadSize)
            }
        };
        let nspi = self.st.spis.len() as u32;
        let v: u32 = match off {
            CTLR => {
                word(size)?;
                self.gicd_ctlr(sec)
            }
            TYPER => {
                word(size)?;
                self.gicd_typer()
            }
            IIDR => {
                word(size)?;
                GIC500_IIDR
            }
            // GICD_STATUSR and GICD_TYPER2 (GICv3.1): RAZ on the GIC-500.
            STATUSR | 0x000C => {
                word(size)?;
                0
            }
            0x0080..=0x03FF | 0x0D00..=0x0D7F => {
                word(size)?;
                let n = ((off & 0x7f) / 4) as u32;
                if n == 0 || n * 32 >= nspi + 32 {
                    0
                } else {
                    self.read_irq_reg(0, off, 32 * n, sec).unwrap_or(0)
                }
            }
            IPRIORITYR..=0x07FF => {
                let mut v = 0u32;
                match size {
                    Size::B1 | Size::B4 => {}
                    _ => return Err(MmioError::BadSize),
                }
                for b in 0..size.bytes() as u32 {
                    let intid = (off - IPRIORITYR) as u32 + b;
                    if intid >= 32 {
                        if let Some(s) = self.st.spis.get((intid - 32) as usize) {
                            v |= (self.read_prio(s, sec) as u32) << (8 * b);
                        }
                    }
                }
                v
            }
            ITARGETSR..=0x0BFF => match size {
                Size::B1 | Size::B4 => 0,
                _ => return Err(MmioError::BadSize),
            },
            ICFGR..=0x0CFF => {
                word(size)?;
                let n = ((off - ICFGR) / 4) as u32;
                if n < 2 {
                    0
                } else {
                    self.read_icfgr(0, 16 * n, sec)
                }
            }
            NSACR..=0x0EFF => {
                word(size)?;
                let n = ((off - NSACR) / 4) as u32;
                if n < 2 {
                    0
                } else {
                    self.read_nsacr(0, 16 * n, sec)
                }
            }
            SGIR | CPENDSGIR..=0x0F2F => {
                word(size)?;
                0
            }
            0x6100..=0x7FDF => {
                let n = ((off - IROUTER) / 8) as usize;
                let i = n - 32;
                let r = match self.st.spis.get(i) {
                    Some(s) if self.ns_can_access(s, sec) => self.st.irouter.get(i).copied().unwrap_or(0),
                    _ => 0,
                };
                return reg64_read(r, off, size);
            }
            0xFFD0..=0xFFFF => {
                word(size)?;
                id_reg(off, 0x92).ok_or(MmioError::NoRegister)?
            }
            _ => return Err(MmioError::NoRegister),
        };
        tracing::debug!(target: "gic", "GICD read {off:#x} -> {v:#x}");
        Ok(v as u64)
    }

    pub(super) fn gicd_write(&mut self, off: u64, size: Size, val: u64, sec: bool) -> MmioResult<()> {
        tracing::debug!(target: "gic", "GICD write {off:#x} <- {val:#x}");
        let word = |size: Size| {
            if size == Size::B4 {
                Ok(())
            } else {
                Err(MmioError::BadSize)
            }
        };
        let nspi = self.st.spis.len() as u32;
        let v = val as u32;
        match off {
            CTLR => {
                word(size)?;
                self.gicd_ctlr_write(v, sec);
            }
            // Read-only registers: writes ignored (IHI 0069 §12.1.2).
            TYPER | IIDR | STATUSR | 0x000C => word(size)?,
            0x0080..=0x03FF | 0x0D00..=0x0D7F => {
                word(size)?;
                let n = ((off & 0x7f) / 4) as u32;
                if n != 0 && n * 32 < nspi + 32 {
                    self.write_irq_reg(0, off, 32 * n, v, sec);
                }
            }
            IPRIORITYR..=0x07FF => {
                match size {
                    Size::B1 | Size::B4 => {}
                    _ => return Err(MmioError::BadSize),
                }
                for b in 0..size.bytes() as u32 {
                    let intid = (off - IPRIORITYR) as u32 + b;
                    if intid >= 32 {
                        self.write_prio(0, intid, (v >> (8 * b)) as u8, sec);
                    }
                }
            }
            ITARGETSR..=0x0BFF => match size {
                Size::B1 | Size::B4 => {}
                _ => return Err(MmioError::BadSize),
            },
            ICFGR..=0x0CFF => {
                word(size)?;
                let n = ((off - ICFGR) / 4) as u32;
                if n >= 2 {
                    self.write_icfgr(0, 16 * n, v, sec);
                }
            }
            NSACR..=0x0EFF => {
                word(size)?;
                let n = ((off - NSACR) / 4) as u32;
                if n >= 2 {
                    self.write_nsacr(0, 16 * n, v, sec);
                }
            }
            // GICD_SGIR is not used with affinity routing: WI (IHI 0069 §12.9.31).
            SGIR | CPENDSGIR..=0x0F2F => word(size)?,
            0x6100..=0x7FDF => {
                let i = ((off - IROUTER) / 8) as usize - 32;
                let ok = self.st.spis.get(i).is_some_and(|s| self.ns_can_access(s, sec));
                let old = self.st.irouter.get(i).copied().unwrap_or(0);
                let new = reg64_write(old, off, size, val)? & IROUTER_MASK;
                if let (true, Some(r)) = (ok, self.st.irouter.get_mut(i)) {
                    *r = new;
                }
            }
            0xFFD0..=0xFFFF => {
                word(size)?;
                id_reg(off, 0x92).ok_or(MmioError::NoRegister)?;
            }
            _ => return Err(MmioError::NoRegister),
        }
        Ok(())
    }
}
