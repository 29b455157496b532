//! A block of plain 32-bit registers: preset read-only values (identification, PLL
//! configuration) and storage for everything else. For the small LS2088A blocks whose
//! drivers only read configuration at probe (DCFG, clockgen): see ls2088a-reference.md
//! §1.3. Accesses to offsets without a preset value are stored and read back, and logged
//! once at debug level so a driver relying on real behaviour shows up in traces.

use crate::{DevCtx, Mmio, MmioError, MmioResult, Size};
use std::collections::BTreeMap;

/// One preset register: offset, value, and whether writes are ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Preset {
    pub off: u64,
    pub value: u32,
    pub read_only: bool,
}

#[derive(Debug, Clone)]
pub struct RegFile {
    name: &'static str,
    size: u64,
    regs: BTreeMap<u64, u32>,
    ro: BTreeMap<u64, u32>,
}

impl RegFile {
    pub fn new(name: &'static str, size: u64, presets: &[Preset]) -> Self {
        let mut regs = BTreeMap::new();
        let mut ro = BTreeMap::new();
        for p in presets {
            if p.read_only {
                ro.insert(p.off, p.value);
            } else {
                regs.insert(p.off, p.value);
            }
        }
        RegFile { name, size, regs, ro }
    }

    fn check(&self, off: u64, size: Size) -> MmioResult<u64> {
        if size != Size::B4 {
            return Err(MmioError::BadSize);
        }
        if off % 4 != 0 {
            return Err(MmioError::Unaligned);
        }
        if off >= self.size {
            return Err(MmioError::NoRegister);
        }
        Ok(off)
    }
}

impl Mmio for RegFile {
    fn read(&mut self, _cx: &mut DevCtx, off: u64, size: Size) -> MmioResult<u64> {
        let off = self.check(off, size)?;
        if let Some(v) = self.ro.get(&off) {
            return Ok(*v as u64);
        }
        if !self.regs.contains_key(&off) {
            tracing::debug!(target: "dev", "{}: read of unmodelled register {off:#x}", self.name);
        }
        Ok(self.regs.get(&off).copied().unwrap_or(0) as u64)
    }

    fn write(&mut self, _cx: &mut DevCtx, off: u64, size: Size, val: u64) -> MmioResult<()> {
        let off = self.check(off, size)?;
        if self.ro.contains_key(&off) {
            return Ok(());
        }
        self.regs.insert(off, val as u32);
        Ok(())
    }
}

/// DCFG (device configuration, 0x01E0_0000): SVR at 0xA4 identifies an LS2088A rev 1.0
/// (`(svr & 0xff3f0000) == 0x87090000`, drivers/soc/fsl/guts.c).
pub fn ls2088a_dcfg() -> RegFile {
    RegFile::new("dcfg", 0x1_0000, &[Preset { off: 0xa4, value: 0x8709_0010, read_only: true }])
}

/// Clockgen (0x0130_0000) with the RDB's PLL setup: platform PLL ×14 of the 100 MHz
/// sysclk (1.4 GHz, UART clock 350 MHz), cluster-group PLLs ×20 (2 GHz), CMUX CLKSEL 0.
/// PLL control word: multiplier in bits 8:1 (clk-qoriq.c, CG_VER3).
pub fn ls2088a_clockgen() -> RegFile {
    let pll = |off: u64, mult: u32| Preset { off, value: mult << 1, read_only: false };
    let mut p = vec![pll(0x6_0080, 14), pll(0x80, 20), pll(0xa0, 20), pll(0x1_0080, 20), pll(0x1_00a0, 20)];
    for n in 0..8 {
        p.push(Preset { off: 0x7_0000 + 0x20 * n, value: 0, read_only: false });
    }
    RegFile::new("clockgen", 0xa_0000, &p)
}

/// RCPM 2.1+ (run control and power management, 0x01E3_4040, 0x18 bytes,
/// `fsl,ls208xa-rcpm`): six 32-bit wake-up source registers (`#fsl,rcpm-wakeup-cells =
/// <6>`, IPPDEXPCR0..5) that Linux's qoriq rcpm driver would set before suspend. That driver
/// is not built into Debian's kernel and nothing else touches the block, so plain storage
/// (reset value 0) is enough: lsemu has no low-power states for the settings to affect.
pub fn ls2088a_rcpm() -> RegFile {
    let p: Vec<Preset> = (0..6).map(|n| Preset { off: 4 * n, value: 0, read_only: false }).collect();
    RegFile::new("rcpm", 0x18, &p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Scheduler;

    fn rd(d: &mut RegFile, off: u64) -> MmioResult<u64> {
        let mut s = Scheduler::default();
        d.read(&mut DevCtx { now: 0, sched: &mut s }, off, Size::B4)
    }
    fn wr(d: &mut RegFile, off: u64, v: u64) -> MmioResult<()> {
        let mut s = Scheduler::default();
        d.write(&mut DevCtx { now: 0, sched: &mut s }, off, Size::B4, v)
    }

    #[test]
    fn test_dcfg_svr_identifies_ls2088a() {
        let mut d = ls2088a_dcfg();
        let svr = rd(&mut d, 0xa4).unwrap();
        // ls2088a-reference.md §1.3: (svr & 0xff3f0000) == 0x87090000, rev 1.0.
        assert_eq!(svr & 0xff3f_0000, 0x8709_0000);
        assert_eq!(svr & 0xff, 0x10);
        wr(&mut d, 0xa4, 0).unwrap();
        assert_eq!(rd(&mut d, 0xa4).unwrap(), svr, "SVR is read-only");
    }

    #[test]
    fn test_clockgen_pll_multipliers() {
        let mut c = ls2088a_clockgen();
        // multiplier = bits[8:1], PLL_KILL (bit 31) clear
        assert_eq!((rd(&mut c, 0x6_0080).unwrap() >> 1) & 0xff, 14);
        assert_eq!((rd(&mut c, 0x80).unwrap() >> 1) & 0xff, 20);
        assert_eq!(rd(&mut c, 0x80).unwrap() >> 31, 0);
        assert_eq!((rd(&mut c, 0x7_0000).unwrap() >> 27) & 0xf, 0, "CMUX0 CLKSEL = PLL1/1");
    }

    #[test]
    fn test_rcpm_storage() {
        let mut r = ls2088a_rcpm();
        for n in 0..6 {
            assert_eq!(rd(&mut r, 4 * n).unwrap(), 0, "reset value");
        }
        wr(&mut r, 0x14, 0x4000).unwrap();
        assert_eq!(rd(&mut r, 0x14).unwrap(), 0x4000);
        assert_eq!(rd(&mut r, 0x18), Err(MmioError::NoRegister), "block is 0x18 bytes");
    }

    #[test]
    fn test_storage_and_invalid_accesses() {
        let mut c = ls2088a_clockgen();
        wr(&mut c, 0x100, 0xdead_beef).unwrap();
        assert_eq!(rd(&mut c, 0x100).unwrap(), 0xdead_beef);
        let mut s = Scheduler::default();
        assert_eq!(c.read(&mut DevCtx { now: 0, sched: &mut s }, 0, Size::B8), Err(MmioError::BadSize));
        assert_eq!(rd(&mut c, 2), Err(MmioError::Unaligned));
        assert_eq!(rd(&mut c, 0xa_0000), Err(MmioError::NoRegister));
    }
}
