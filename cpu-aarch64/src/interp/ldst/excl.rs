//! Load/store exclusive (LDXR*, LDAXR*, LDXP, LDAXP, STXR*, STLXR*, STXP, STLXP) and
//! load-acquire/store-release (LDAR*, STLR*), with the local exclusive monitor
//! (Arm ARM B2.9, and the ASL of AArch64.SetExclusiveMonitors / ExclusiveMonitorsPass).
//!
//! lsemu's local monitor model:
//! - a Load-Exclusive marks the physical address and size it read (after a successful
//!   read; a fault leaves the monitor unchanged);
//! - a Store-Exclusive passes only if the monitor is in the Exclusive Access state and its
//!   physical address and size are exactly the marked ones. A different address within the
//!   same reservation granule, or a different size, is CONSTRAINED UNPREDICTABLE (Arm ARM
//!   B2.9.5); lsemu fails the store. Every Store-Exclusive that does not abort leaves the
//!   monitor in the Open Access state, whether it passed or not;
//! - the ASL (ExclusiveMonitorsPass) makes it IMPLEMENTATION DEFINED whether aborts are
//!   detected before or after the local monitor check; lsemu checks the monitor first, by
//!   virtual address (IsExclusiveVA), as QEMU does: with the monitor open, or a VA other
//!   than the Load-Exclusive's, a Store-Exclusive fails (status 1) with no memory access and
//!   so no alignment or MMU fault. Otherwise alignment (to the full access size) and
//!   translation are checked, then the physical address is compared;
//! - a normal store by this PE to the marked address does not clear the monitor (IMPLEMENTATION
//!   DEFINED; the A72 does not). QEMU user mode compares values instead (cmpxchg), so the
//!   differential generator must not put other stores between LDXR and STXR;
//! - the reservation granule for other observers (the global monitor, cleared through
//!   `Platform::store_notify` by the machine) is the A72's ERG: 64 bytes (CTR_EL0.ERG = 4).
//!   [`ExclusiveMonitor::granule_hit`] answers whether a write touches it;
//! - exception return clears the monitor (`Cpu::eret`); CLREX is in the system group.
//!
//! CONSTRAINED UNPREDICTABLE choices (the differential generator must avoid them):
//! - STXR/STXP with Rs == Rt, Rs == Rt2 or Rs == Rn (Rn != 31): the store uses the
//!   register values from before the status write (Constraint_NONE);
//! - LDXP/LDAXP with Rt == Rt2: Rt gets the second (high) element.

use super::super::{ExecResult, Flow};
use super::{base, gpr_syndrome};
use crate::mem::fsc;
use crate::mmu::{self, Access};
use crate::platform::Platform;
use crate::{Cpu, ExclusiveMonitor};

/// The Cortex-A72 exclusives reservation granule in bytes (CTR_EL0.ERG = 4 words log2).
pub const ERG_BYTES: u64 = 64;

impl ExclusiveMonitor {
    /// Marks `pa` (`size` bytes, read by a Load-Exclusive at `va`) for exclusive access.
    pub fn mark(&mut self, pa: u64, size: u8, va: u64) {
        self.reserved = Some((pa, size));
        self.va = va;
    }
    /// Whether a Store-Exclusive of `size` bytes to `pa` passes the local monitor.
    pub fn is_exclusive(&self, pa: u64, size: u8) -> bool {
        self.reserved == Some((pa, size))
    }
    /// Whether a write of `len` bytes at `pa` touches the reservation granule (64 bytes)
    /// holding the marked address: another PE's store there clears this monitor.
    pub fn granule_hit(&self, pa: u64, len: usize) -> bool {
        match self.reserved {
            None => false,
            Some((r, _)) => {
                let g = r & !(ERG_BYTES - 1);
                let end = pa.saturating_add((len as u64).max(1));
                pa < g.saturating_add(ERG_BYTES) && end > g
            }
        }
    }
}

impl Cpu {
    /// Another observer (another PE or a DMA master) wrote `len` bytes at `pa`. If that
    /// touches this PE's reservation granule, the global monitor moves to Open Access:
    /// lsemu clears the monitor and, as the architecture requires when the global monitor
    /// of a PE is cleared, generates an event (this is what wakes a WFE in Linux's
    /// spinlock loops after the owner's STLR). The machine calls this from its
    /// `Platform::store_notify` for every other PE.
    pub fn snoop_store(&mut self, pa: u64, len: usize) {
        if self.monitor.granule_hit(pa, len) {
            self.monitor.clear();
            self.event = true;
        }
    }
}

#[inline]
fn atomic(mut a: Access) -> Access {
    a.atomic = true;
    a
}

/// LDXR/LDAXR (B, H, W, X) and LDXP/LDAXP; `esize` is the element size in bytes.
#[allow(clippy::too_many_arguments)]
pub(super) fn load_excl(cpu: &mut Cpu, p: &mut dyn Platform, esize: u8, pair: bool, rt: u32, rt2: u32, rn: u32) -> ExecResult {
    let va = base(cpu, rn)?;
    let dbytes = if pair { esize * 2 } else { esize };
    let acc = atomic(Access::read(dbytes));
    let d = cpu.read_mem(p, va, acc)?;
    let t = mmu::translate(cpu, p, va, acc)?;
    cpu.monitor.mark(t.pa, dbytes, va);
    if pair {
        let (lo, hi) = if esize == 4 { (d as u64 & 0xffff_ffff, (d >> 32) as u64 & 0xffff_ffff) } else { (d as u64, (d >> 64) as u64) };
        cpu.st.set_xr(rt, lo);
        cpu.st.set_xr(rt2, hi); // Rt == Rt2: the high element wins
    } else {
        cpu.st.set_xr(rt, d as u64);
    }
    Ok(Flow::Next)
}

/// STXR/STLXR (B, H, W, X) and STXP/STLXP; the status (0 = stored, 1 = failed) goes to Ws.
#[allow(clippy::too_many_arguments)]
pub(super) fn store_excl(cpu: &mut Cpu, p: &mut dyn Platform, esize: u8, pair: bool, rs: u32, rt: u32, rt2: u32, rn: u32) -> ExecResult {
    let va = base(cpu, rn)?;
    let dbytes = if pair { esize * 2 } else { esize };
    // Data read before the status is written (Rs == Rt/Rt2: Constraint_NONE).
    let data: u128 = if pair {
        let (a, b) = (cpu.st.xr(rt), cpu.st.xr(rt2));
        if esize == 4 {
            ((b as u128 & 0xffff_ffff) << 32) | (a as u128 & 0xffff_ffff)
        } else {
            ((b as u128) << 64) | a as u128
        }
    } else {
        cpu.st.xr(rt) as u128
    };
    let acc = atomic(Access::write(dbytes));
    let status = if cpu.monitor.reserved.is_some() && cpu.monitor.va == va {
        if va & (dbytes as u64 - 1) != 0 {
            return Err(cpu.abort(va, &acc, fsc::ALIGNMENT));
        }
        let t = mmu::translate(cpu, p, va, acc)?;
        let pass = cpu.monitor.is_exclusive(t.pa, dbytes);
        cpu.monitor.clear();
        if pass {
            cpu.write_mem(p, va, data, acc)?;
            0
        } else {
            1
        }
    } else {
        cpu.monitor.clear();
        1
    };
    cpu.st.set_xr(rs, status);
    Ok(Flow::Next)
}

/// LDAR*/STLR*: single-copy atomic, must be aligned; report a syndrome with AR = 1.
pub(super) fn ordered(cpu: &mut Cpu, p: &mut dyn Platform, load: bool, size: u8, rt: u32, rn: u32) -> ExecResult {
    let va = base(cpu, rn)?;
    let mut acc = atomic(if load { Access::read(size) } else { Access::write(size) });
    acc.syndrome = Some(gpr_syndrome(size, false, rt, size == 8, true));
    if load {
        let d = cpu.read_mem(p, va, acc)? as u64;
        cpu.st.set_xr(rt, d);
    } else {
        let d = cpu.st.xr(rt);
        cpu.write_mem(p, va, d as u128, acc)?;
    }
    Ok(Flow::Next)
}
