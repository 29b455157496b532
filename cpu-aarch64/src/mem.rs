//! Virtual memory accesses made by instructions: alignment checks, translation, page
//! crossing, and bus errors turned into external aborts.

use crate::exception::{ec, SyncExc};
use crate::mmu::{self, Access, AccessType, MemType};
use crate::platform::{BusAttrs, PhysAddr, Platform};
use crate::Cpu;

/// Data fault status codes (ESR ISS DFSC/IFSC).
pub mod fsc {
    pub const ADDR_SIZE_L0: u32 = 0b000000;
    pub const TRANSLATION_L0: u32 = 0b000100;
    pub const ACCESS_FLAG_L0: u32 = 0b001000;
    pub const PERMISSION_L0: u32 = 0b001100;
    pub const SYNC_EXTERNAL: u32 = 0b010000;
    pub const ALIGNMENT: u32 = 0b100001;
}

impl Cpu {
    /// The EL whose regime controls data accesses now (for SCTLR.A and friends).
    pub fn regime_el(&self) -> usize {
        // ASL S1TranslationRegime(): EL0 and EL1 use the EL1&0 regime (SCTLR_EL1) unless
        // HCR_EL2.{E2H,TGE} == {1,1}; ARMv8.0 has no E2H, so EL0 is always EL1's regime.
        match self.st.pstate.el {
            0 | 1 => 1,
            e => e as usize,
        }
    }

    /// Builds the abort a faulting access raises (data or instruction, same or lower EL).
    pub fn abort(&self, va: u64, acc: &Access, fsc: u32) -> SyncExc {
        if acc.ty == AccessType::Fetch {
            SyncExc::new(ec::IABT_SAME, fsc).with_far(va)
        } else {
            let mut iss = fsc;
            if acc.ty == AccessType::Write {
                iss |= 1 << 6; // WnR
            }
            if acc.cache_maint {
                iss |= 1 << 8 | 1 << 6; // CM, and WnR is 1 for cache maintenance
            }
            // ISV and the instruction syndrome only for aborts taken to EL2 (as QEMU).
            if let Some(s) = acc.syndrome {
                if self.default_sync_target() == 2 {
                    iss |= s;
                }
            }
            SyncExc::new(ec::DABT_SAME, iss).with_far(va)
        }
    }

    fn bus_attrs(&self, t: &mmu::Translation, acc: &Access) -> BusAttrs {
        BusAttrs {
            secure: t.secure,
            privileged: self.st.pstate.el > 0 && !acc.unpriv,
            instruction: acc.ty == AccessType::Fetch,
            cpu: self.cfg.index,
        }
    }

    /// Reads `size` (1..=16) bytes at `va`, little-endian, zero-extended into a u128.
    pub fn read_mem(&mut self, p: &mut dyn Platform, va: u64, acc: Access) -> Result<u128, SyncExc> {
        let mut buf = [0u8; 16];
        let n = acc.size as usize;
        self.access(p, va, acc, &mut buf[..n])?;
        Ok(u128::from_le_bytes(buf))
    }

    /// Writes the low `acc.size` bytes of `val` at `va`, little-endian.
    pub fn write_mem(&mut self, p: &mut dyn Platform, va: u64, val: u128, acc: Access) -> Result<(), SyncExc> {
        let mut buf = val.to_le_bytes();
        let n = acc.size as usize;
        self.access(p, va, acc, &mut buf[..n])
    }

    /// Reads a u64 or narrower (`size` 1, 2, 4 or 8).
    pub fn read_u64(&mut self, p: &mut dyn Platform, va: u64, size: u8) -> Result<u64, SyncExc> {
        Ok(self.read_mem(p, va, Access::read(size))? as u64)
    }

    /// Fetches the instruction word at `va`.
    pub fn fetch(&mut self, p: &mut dyn Platform, va: u64) -> Result<u32, SyncExc> {
        if va & 3 != 0 {
            return Err(SyncExc::new(ec::PC_ALIGN, 0).with_far(va));
        }
        let mut buf = [0u8; 4];
        self.access(p, va, Access::fetch(), &mut buf)?;
        Ok(u32::from_le_bytes(buf))
    }

    fn access(&mut self, p: &mut dyn Platform, va: u64, acc: Access, buf: &mut [u8]) -> Result<(), SyncExc> {
        let size = buf.len() as u64;
        let unaligned = va & (size.max(1) - 1) != 0;
        if unaligned && acc.ty != AccessType::Fetch {
            let strict = self.sys.sctlr[self.regime_el()] & crate::sysreg::SCTLR_A != 0;
            if acc.atomic || strict {
                return Err(self.abort(va, &acc, fsc::ALIGNMENT));
            }
        }
        // Split at 4 KiB boundaries (the smallest granule); translate every part before
        // touching memory so a fault leaves memory unchanged.
        let first_len = (0x1000 - (va & 0xfff)).min(size) as usize;
        let t1 = mmu::translate(self, p, va, acc)?;
        let t2 = if first_len < buf.len() {
            let va2 = va.wrapping_add(first_len as u64);
            Some((va2, mmu::translate(self, p, va2, acc)?))
        } else {
            None
        };
        if unaligned && (t1.mem == MemType::Device || t2.is_some_and(|(_, t)| t.mem == MemType::Device)) {
            return Err(self.abort(va, &acc, fsc::ALIGNMENT));
        }
        // Hardware watchpoints: checked once the access has translated without a fault.
        crate::exception::check_watchpoints(self, va, size, &acc)?;
        let (a, b) = buf.split_at_mut(first_len);
        self.bus(p, va, &t1, &acc, a)?;
        if let Some((va2, t2)) = t2 {
            self.bus(p, va2, &t2, &acc, b)?;
        }
        Ok(())
    }

    fn bus(&mut self, p: &mut dyn Platform, va: u64, t: &mmu::Translation, acc: &Access, buf: &mut [u8]) -> Result<(), SyncExc> {
        let attrs = self.bus_attrs(t, acc);
        let r = match acc.ty {
            AccessType::Write => {
                let r = p.write(PhysAddr(t.pa), buf, attrs);
                if r.is_ok() {
                    p.store_notify(self.cfg.index, PhysAddr(t.pa), buf.len());
                    self.exclusive_store_seen(t.pa, buf.len());
                }
                r
            }
            _ => p.read(PhysAddr(t.pa), buf, attrs),
        };
        r.map_err(|e| {
            tracing::debug!(target: "mmu", cpu = self.cfg.index, "bus error {e} at pa {:#x} (va {va:#x})", t.pa);
            let mut x = self.abort(va, acc, fsc::SYNC_EXTERNAL);
            x.iss |= 1 << 9; // EA
            x
        })
    }

    /// A store by this PE to memory covered by its own reservation does not by itself
    /// clear the local monitor in lsemu's model; other PEs' stores are seen through
    /// `Platform::store_notify` by the machine. Kept as a hook for the global monitor.
    fn exclusive_store_seen(&mut self, _pa: u64, _len: usize) {}
}
