//! The Redistributors (GICR), IHI 0069 §12.10: per PE an RD_base frame (control, LPI
//! tables, power) and an SGI_base frame (SGI/PPI configuration). The GIC-500 has no VLPI
//! frames (GICR_TYPER.VLPIS = 0).

use super::regs::gicr::*;
use super::regs::gicr_sgi;
use super::regs::id_reg;
use super::{reg64_read, reg64_write, Gic, GIC500_IIDR};
use crate::{MmioError, MmioResult, Size};

/// GICR_PROPBASER implemented fields: OuterCache [58:56], PA [47:12], Shareability
/// [11:10], InnerCache [9:7], IDbits [4:0] (IHI 0069 §12.11.34; GIC-500: 48-bit PA).
const PROPBASER_MASK: u64 = 0x0700_ffff_ffff_f000 | 0xf9f;
/// GICR_PENDBASER: OuterCache [58:56], PA [47:16], Shareability, InnerCache. PTZ [62] is
/// write-only (reads 0).
const PENDBASER_MASK: u64 = 0x0700_ffff_ffff_0000 | 0xf80;

impl Gic {
    /// GICR_TYPER of `cpu` (IHI 0069 §12.11.37): Affinity_Value \[63:32\] =
    /// Aff3.Aff2.Aff1.Aff0, Processor_Number \[23:8\], Last \[4\], PLPIS \[0\].
    pub fn gicr_typer(&self, cpu: usize) -> u64 {
        let Some(c) = self.st.cpus.get(cpu) else {
            return 0;
        };
        let m = c.mpidr;
        let aff = ((m >> 32) & 0xff) << 24 | (m & 0xff_ffff);
        let last = if cpu + 1 == self.st.cpus.len() { TYPER_LAST } else { 0 };
        aff << 32 | (cpu as u64 & 0xffff) << 8 | last | TYPER_PLPIS
    }

    pub(super) fn gicr_read(&mut self, cpu: usize, off: u64, size: Size, sec: bool) -> MmioResult<u64> {
        let word = |size: Size| {
            if size == Size::B4 {
                Ok(())
            } else {
                Err(MmioError::BadSize)
            }
        };
        let Some(c) = self.st.cpus.get(cpu) else {
            return Err(MmioError::NoRegister);
        };
        let rd = &c.redist;
        let v: u64 = match off {
            CTLR => {
                word(size)?;
                rd.enable_lpis as u64 // RWP [3] and UWP [31] read 0: writes take effect at once
            }
            IIDR => {
                word(size)?;
                GIC500_IIDR as u64
            }
            TYPER | 0x000C => return reg64_read(self.gicr_typer(cpu), off, size),
            STATUSR => {
                word(size)?;
                0
            }
            WAKER => {
                word(size)?;
                // ChildrenAsleep follows ProcessorSleep at once (no interface to quiesce).
                // With DS = 0, ProcessorSleep is RAZ/WI to Non-secure accesses
                // (IHI 0069 §12.11.40); ChildrenAsleep stays readable.
                let ps = rd.processor_sleep;
                (if ps && sec { WAKER_PROCESSOR_SLEEP } else { 0 } | if ps { WAKER_CHILDREN_ASLEEP } else { 0 }) as u64
            }
            PROPBASER | 0x0074 => return reg64_read(rd.propbaser, off, size),
            PENDBASER | 0x007C => return reg64_read(rd.pendbaser, off, size),
            // SETLPIR/CLRLPIR (no DirectLPI: WI, RAZ), INVLPIR, INVALLR: 64-bit, RAZ.
            0x0040..=0x004F | INVLPIR..=0x00A7 | INVALLR..=0x00B7 => return reg64_read(0, off, size),
            SYNCR => {
                word(size)?;
                0 // Busy = 0
            }
            0xFFD0..=0xFFFF => {
                word(size)?;
                id_reg(off, 0x93).ok_or(MmioError::NoRegister)? as u64
            }
            0x1_0000..=0x1_FFFF => return self.gicr_sgi_read(cpu, off - 0x1_0000, size, sec),
            _ => return Err(MmioError::NoRegister),
        };
        tracing::debug!(target: "gic", cpu, "GICR read {off:#x} -> {v:#x}");
        Ok(v)
    }

    pub(super) fn gicr_write(&mut self, cpu: usize, off: u64, size: Size, val: u64, sec: bool) -> MmioResult<()> {
        tracing::debug!(target: "gic", cpu, "GICR write {off:#x} <- {val:#x}");
        let word = |size: Size| {
            if size == Size::B4 {
                Ok(())
            } else {
                Err(MmioError::BadSize)
            }
        };
        let Some(c) = self.st.cpus.get_mut(cpu) else {
            return Err(MmioError::NoRegister);
        };
        let rd = &mut c.redist;
        match off {
            CTLR => {
                word(size)?;
                rd.enable_lpis = val & CTLR_ENABLE_LPIS as u64 != 0;
            }
            IIDR | STATUSR | SYNCR => word(size)?,
            TYPER | 0x000C => {
                reg64_write(0, off, size, val)?;
            }
            WAKER => {
                word(size)?;
                if sec {
                    rd.processor_sleep = val & WAKER_PROCESSOR_SLEEP as u64 != 0;
                }
            }
            // PROPBASER/PENDBASER are RO while EnableLPIs = 1 (IHI 0069 §12.11.34/.35).
            PROPBASER | 0x0074 => {
                let nv = reg64_write(rd.propbaser, off, size, val)? & PROPBASER_MASK;
                if !rd.enable_lpis {
                    rd.propbaser = nv;
                }
            }
            PENDBASER | 0x007C => {
                let nv = reg64_write(rd.pendbaser, off, size, val)? & PENDBASER_MASK;
                if !rd.enable_lpis {
                    rd.pendbaser = nv;
                }
            }
            0x0040..=0x004F | INVLPIR..=0x00A7 | INVALLR..=0x00B7 => {
                // No DirectLPI on the GIC-500 (GICR_TYPER.DirectLPI = 0): RAZ/WI; LPIs are
                // invalidated through the ITS (INV/INVALL).
                reg64_write(0, off, size, val)?;
            }
            0xFFD0..=0xFFFF => {
                word(size)?;
                id_reg(off, 0x93).ok_or(MmioError::NoRegister)?;
            }
            0x1_0000..=0x1_FFFF => return self.gicr_sgi_write(cpu, off - 0x1_0000, size, val, sec),
            _ => return Err(MmioError::NoRegister),
        }
        Ok(())
    }

    fn gicr_sgi_read(&mut self, cpu: usize, off: u64, size: Size, sec: bool) -> MmioResult<u64> {
        let word = |size: Size| {
            if size == Size::B4 {
                Ok(())
            } else {
                Err(MmioError::BadSize)
            }
        };
        let v: u32 = match off {
            gicr_sgi::IGROUPR0
            | gicr_sgi::ISENABLER0
            | gicr_sgi::ICENABLER0
            | gicr_sgi::ISPENDR0
            | gicr_sgi::ICPENDR0
            | gicr_sgi::ISACTIVER0
            | gicr_sgi::ICACTIVER0
            | gicr_sgi::IGRPMODR0 => {
                word(size)?;
                self.read_irq_reg(cpu, off, 0, sec).unwrap_or(0)
            }
            gicr_sgi::IPRIORITYR..=0x041F => {
                match size {
                    Size::B1 | Size::B4 => {}
                    _ => return Err(MmioError::BadSize),
                }
                let mut v = 0u32;
                for b in 0..size.bytes() as u32 {
                    let intid = (off - gicr_sgi::IPRIORITYR) as u32 + b;
                    if let Some(s) = self.int_ref(cpu, intid) {
                        v |= (self.read_prio(s, sec) as u32) << (8 * b);
                    }
                }
                v
            }
            gicr_sgi::ICFGR0 => {
                word(size)?;
                self.read_icfgr(cpu, 0, sec)
            }
            gicr_sgi::ICFGR1 => {
                word(size)?;
                self.read_icfgr(cpu, 16, sec)
            }
            gicr_sgi::NSACR => {
                word(size)?;
                self.read_nsacr(cpu, 0, sec)
            }
            _ => return Err(MmioError::NoRegister),
        };
        tracing::debug!(target: "gic", cpu, "GICR SGI read {off:#x} -> {v:#x}");
        Ok(v as u64)
    }

    fn gicr_sgi_write(&mut self, cpu: usize, off: u64, size: Size, val: u64, sec: bool) -> MmioResult<()> {
        let word = |size: Size| {
            if size == Size::B4 {
                Ok(())
            } else {
                Err(MmioError::BadSize)
            }
        };
        let v = val as u32;
        match off {
            gicr_sgi::IGROUPR0
            | gicr_sgi::ISENABLER0
            | gicr_sgi::ICENABLER0
            | gicr_sgi::ISPENDR0
            | gicr_sgi::ICPENDR0
            | gicr_sgi::ISACTIVER0
            | gicr_sgi::ICACTIVER0
            | gicr_sgi::IGRPMODR0 => {
                word(size)?;
                self.write_irq_reg(cpu, off, 0, v, sec);
            }
            gicr_sgi::IPRIORITYR..=0x041F => {
                match size {
                    Size::B1 | Size::B4 => {}
                    _ => return Err(MmioError::BadSize),
                }
                for b in 0..size.bytes() as u32 {
                    let intid = (off - gicr_sgi::IPRIORITYR) as u32 + b;
                    self.write_prio(cpu, intid, (v >> (8 * b)) as u8, sec);
                }
            }
            gicr_sgi::ICFGR0 => word(size)?, // SGIs: always edge, RO
            gicr_sgi::ICFGR1 => {
                word(size)?;
                self.write_icfgr(cpu, 16, v, sec);
            }
            gicr_sgi::NSACR => {
                word(size)?;
                self.write_nsacr(cpu, 0, v, sec);
            }
            _ => return Err(MmioError::NoRegister),
        }
        Ok(())
    }
}
