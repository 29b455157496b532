//! Virtual memory accesses made by instructions: alignment checks, translation, page
//! crossing, and bus errors turned into external aborts.

use crate::exception::{ec, SyncExc};
use crate::mmu::{self, Access, AccessType, MemType};
use crate::platform::{BusAttrs, PhysAddr, Platform};
use crate::Cpu;

/// Entries per access type in the host-pointer cache (a power of two).
const FAST_ENTRIES: usize = 64;

/// One cached page: VA page `page` (VA >> 12, as the instruction gave it) was translated
/// successfully for this access type, to the 4 KiB guest RAM page at `pa` whose bytes are
/// at host address `host`.
#[derive(Debug, Clone, Copy)]
struct FastEntry {
    page: u64,
    epoch: u32,
    host: usize,
    pa: u64,
}

impl Default for FastEntry {
    fn default() -> Self {
        // VA >> 12 never reaches u64::MAX: the entry never matches.
        FastEntry { page: u64::MAX, epoch: 0, host: 0, pa: 0 }
    }
}

/// A small direct-mapped cache of translations to guest RAM (host pointers), one table
/// per access type (fetch, read, write), so that accesses to RAM pages used recently skip
/// the alignment/translation/bus path. It is a pure accelerator: a hit does exactly what
/// the slow path would do (same bytes, same `store_notify`), because
/// - entries are made only inside `interp::run` (`live`) from successful translations of
///   whole 4 KiB pages of RAM (`Bus::ram_span`) by ordinary (not LDTR/STTR) accesses, and
///   used only for naturally aligned accesses (which can neither fault on alignment nor
///   cross a page); data pages are not cached while watchpoints are enabled
///   (MDSCR_EL1.MDE);
/// - everything that can change a translation invalidates all entries (`epoch`): entry
///   to and exit from `run`, any System-group instruction (MSR, TLBI, ERET, SVC/HVC/SMC,
///   AT, ...) but those of `interp::keeps_fast_state`, any exception, `Cpu::reset`; and any TLB fill (`Tlb::fills` changed)
///   since it may evict the TLB entry a cached page came from, after which the slow path
///   would walk the tables again.
///
/// It also holds `irq_check`: interrupt lines, routing or masks may have changed, so
/// `interp::run` must sample the interrupt inputs before the next instruction.
#[derive(Debug, Clone)]
pub(crate) struct FastMem {
    /// Fills are allowed (set by `interp::run` while it runs).
    pub(crate) live: bool,
    pub(crate) irq_check: bool,
    /// MDSCR_EL1.{MDE,SS} were not both clear when `irq_check` was last handled (debug
    /// checks needed; see `interp::step_inner`).
    pub(crate) debug: bool,
    epoch: u32,
    /// `Tlb::fills` when the entries of this epoch were made.
    fills: u64,
    e: Box<[[FastEntry; FAST_ENTRIES]; 3]>,
    /// The fetch entry used last (a copy of one of `e[0]`, checked first).
    code: FastEntry,
}

impl Default for FastMem {
    fn default() -> Self {
        FastMem { live: false, irq_check: true, debug: true, epoch: 1, fills: 0, e: Box::new([[FastEntry::default(); FAST_ENTRIES]; 3]), code: FastEntry::default() }
    }
}

impl FastMem {
    /// Forgets every cached page and asks for an interrupt check.
    #[inline]
    pub(crate) fn invalidate(&mut self) {
        self.irq_check = true;
        self.epoch = self.epoch.wrapping_add(1);
        if self.epoch == 0 {
            // Wrapped: old entries could match again.
            for t in self.e.iter_mut() {
                t.fill(FastEntry::default());
            }
            self.epoch = 1;
        }
    }
}

/// Where a JIT's inline RAM-access fast path finds `FastMem` inside a `Cpu` (byte
/// offsets). The fast path must take a hit exactly when `read_mem`/`write_mem` would:
/// entry `e[ty][(va >> 12) % entries]` (ty 1 = read, 2 = write) with `page == va >> 12`,
/// `epoch == FastMem.epoch`, `FastMem.fills == tlb.fills`, the access naturally aligned.
#[derive(Debug, Clone, Copy)]
pub struct FastLayout {
    /// Offset in `Cpu` of the pointer to the `[[FastEntry; entries]; 3]` tables.
    pub tables: usize,
    pub epoch: usize,
    pub fills: usize,
    pub tlb_fills: usize,
    pub entries: usize,
    pub entry_size: usize,
    pub e_page: usize,
    pub e_epoch: usize,
    pub e_host: usize,
    pub e_pa: usize,
    /// Offset in `Cpu` of the last-used fetch entry (`FastMem::code`, a `FastEntry`
    /// that `fetch` checks first and refreshes from table 0 on a table hit).
    pub code: usize,
    /// Offset in `Cpu` of `FastMem::irq_check` (a `bool`).
    pub irq_check: usize,
}

/// The layout of `FastMem` (see `FastLayout`).
pub fn fast_layout() -> FastLayout {
    use std::mem::{offset_of, size_of};
    let f = offset_of!(Cpu, fast);
    FastLayout {
        tables: f + offset_of!(FastMem, e),
        epoch: f + offset_of!(FastMem, epoch),
        fills: f + offset_of!(FastMem, fills),
        tlb_fills: offset_of!(Cpu, tlb) + offset_of!(crate::mmu::Tlb, fills),
        entries: FAST_ENTRIES,
        entry_size: size_of::<FastEntry>(),
        e_page: offset_of!(FastEntry, page),
        e_epoch: offset_of!(FastEntry, epoch),
        e_host: offset_of!(FastEntry, host),
        e_pa: offset_of!(FastEntry, pa),
        code: f + offset_of!(FastMem, code),
        irq_check: f + offset_of!(FastMem, irq_check),
    }
}

/// Read-only views of `FastMem` and run-loop hooks for other engines (the JIT), which must
/// follow `interp::run`'s protocol exactly.
impl Cpu {
    /// `FastMem::irq_check`: interrupts must be sampled before the next instruction.
    #[inline(always)]
    pub fn fast_irq_check(&self) -> bool {
        self.fast.irq_check
    }
    /// `FastMem::debug`: debug checks are needed per instruction.
    #[inline(always)]
    pub fn fast_debug(&self) -> bool {
        self.fast.debug
    }
    /// Starts (`true`) or ends (`false`) a run as `interp::run` does: empties the caches,
    /// asks for an interrupt check, and allows fills only inside the run.
    pub fn fast_run_boundary(&mut self, live: bool) {
        self.fast.invalidate();
        self.fast.live = live;
    }
    /// Asks for an interrupt check before the next instruction (caches kept).
    #[inline(always)]
    pub fn fast_request_irq_check(&mut self) {
        self.fast.irq_check = true;
    }
    /// Empties the caches and asks for an interrupt check (`FastMem::invalidate`).
    pub fn fast_invalidate(&mut self) {
        self.fast.invalidate();
    }
    /// If `fetch(va)` would be served by the last-used fetch entry (no translation, no
    /// bus access, no state change at all), the guest physical address it reads.
    /// After `fetch(va)` took the slow path and filled `FastMem`, points the last-used
    /// fetch entry at that page as a later fast-path fetch would (no other effect);
    /// returns the PA `fetch_would_hit(va)` then gives, or None if `FastMem` does not hold
    /// the page (not RAM, ...).
    pub fn fetch_refresh(&mut self, va: u64) -> Option<u64> {
        if va & 3 != 0 {
            return None;
        }
        let (_, pa) = self.fast_hit(0, va, 4)?;
        self.fast.code = self.fast.e[0][(va >> 12) as usize & (FAST_ENTRIES - 1)];
        Some(pa)
    }
    #[inline(always)]
    pub fn fetch_would_hit(&self, va: u64) -> Option<u64> {
        let f = &self.fast;
        if va & 3 == 0 && va >> 12 == f.code.page && f.code.epoch == f.epoch && f.fills == self.tlb.fills {
            Some(f.code.pa + (va & 0xfff))
        } else {
            None
        }
    }
}

#[inline]
fn fast_ty(ty: AccessType) -> usize {
    match ty {
        AccessType::Fetch => 0,
        AccessType::Read => 1,
        AccessType::Write => 2,
    }
}

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

    /// The cached host address and PA of `va` for a naturally aligned access of `n` bytes
    /// of type `ty`, if `FastMem` has the page.
    #[inline(always)]
    fn fast_hit(&self, ty: usize, va: u64, n: usize) -> Option<(usize, u64)> {
        let page = va >> 12;
        let e = &self.fast.e[ty][page as usize & (FAST_ENTRIES - 1)];
        if e.page == page
            && e.epoch == self.fast.epoch
            && self.fast.fills == self.tlb.fills
            && n.is_power_of_two()
            && n <= 16
            && va & (n as u64 - 1) == 0
        {
            let off = va & 0xfff;
            Some((e.host + off as usize, e.pa + off))
        } else {
            None
        }
    }

    /// Remembers a successful translation `t` of `va` for `acc` when it maps a whole page
    /// of guest RAM (see `FastMem`).
    fn fast_fill(&mut self, p: &dyn Platform, va: u64, acc: &Access, t: &mmu::Translation) {
        if !self.fast.live || acc.unpriv {
            return;
        }
        // Watchpoints (MDSCR_EL1.MDE) are checked on the slow path only. MDSCR_EL1 changes
        // only by a System-group instruction, which empties the cache.
        if acc.ty != AccessType::Fetch && (self.sys.mdscr_el1 & crate::exception::MDSCR_MDE != 0 || !self.host_debug.watchpoints.is_empty()) {
            return;
        }
        let pa_page = t.pa & !0xfff;
        let Some(span) = p.ram_span(PhysAddr(pa_page)) else { return };
        if pa_page < span.base.0 || pa_page - span.base.0 > span.len.saturating_sub(0x1000) || span.host.is_null() {
            return;
        }
        if self.fast.fills != self.tlb.fills {
            // The TLB changed since the entries were made: drop them (keeps irq_check).
            let irq = self.fast.irq_check;
            self.fast.invalidate();
            self.fast.irq_check = irq;
            self.fast.fills = self.tlb.fills;
        }
        let page = va >> 12;
        let epoch = self.fast.epoch;
        self.fast.e[fast_ty(acc.ty)][page as usize & (FAST_ENTRIES - 1)] =
            FastEntry { page, epoch, host: span.host as usize + (pa_page - span.base.0) as usize, pa: pa_page };
    }

    /// Reads `size` (1..=16) bytes at `va`, little-endian, zero-extended into a u128.
    #[inline]
    pub fn read_mem(&mut self, p: &mut dyn Platform, va: u64, acc: Access) -> Result<u128, SyncExc> {
        let n = acc.size as usize;
        if acc.ty == AccessType::Read && !acc.unpriv {
            if let Some((h, _)) = self.fast_hit(1, va, n) {
                // SAFETY: `h` points into a guest RAM span of the platform (`Bus::ram_span`)
                // with `n` bytes left in its page; the span stays allocated while the
                // machine runs.
                let v = unsafe {
                    match n {
                        1 => *(h as *const u8) as u128,
                        2 => u16::from_le(std::ptr::read_unaligned(h as *const u16)) as u128,
                        4 => u32::from_le(std::ptr::read_unaligned(h as *const u32)) as u128,
                        8 => u64::from_le(std::ptr::read_unaligned(h as *const u64)) as u128,
                        _ => u128::from_le(std::ptr::read_unaligned(h as *const u128)),
                    }
                };
                return Ok(v);
            }
        }
        self.read_mem_slow(p, va, acc)
    }

    #[inline(never)]
    fn read_mem_slow(&mut self, p: &mut dyn Platform, va: u64, acc: Access) -> Result<u128, SyncExc> {
        let mut buf = [0u8; 16];
        let n = acc.size as usize;
        self.access(p, va, acc, &mut buf[..n])?;
        Ok(u128::from_le_bytes(buf))
    }

    /// Writes the low `acc.size` bytes of `val` at `va`, little-endian.
    #[inline]
    pub fn write_mem(&mut self, p: &mut dyn Platform, va: u64, val: u128, acc: Access) -> Result<(), SyncExc> {
        let n = acc.size as usize;
        if acc.ty == AccessType::Write && !acc.unpriv {
            if let Some((h, pa)) = self.fast_hit(2, va, n) {
                // SAFETY: as in `read_mem`.
                unsafe {
                    match n {
                        1 => *(h as *mut u8) = val as u8,
                        2 => std::ptr::write_unaligned(h as *mut u16, (val as u16).to_le()),
                        4 => std::ptr::write_unaligned(h as *mut u32, (val as u32).to_le()),
                        8 => std::ptr::write_unaligned(h as *mut u64, (val as u64).to_le()),
                        _ => std::ptr::write_unaligned(h as *mut u128, val.to_le()),
                    }
                }
                p.store_notify(self.cfg.index, PhysAddr(pa), n);
                self.exclusive_store_seen(pa, n);
                return Ok(());
            }
        }
        self.write_mem_slow(p, va, val, acc)
    }

    #[inline(never)]
    fn write_mem_slow(&mut self, p: &mut dyn Platform, va: u64, val: u128, acc: Access) -> Result<(), SyncExc> {
        let mut buf = val.to_le_bytes();
        let n = acc.size as usize;
        self.access(p, va, acc, &mut buf[..n])
    }

    /// Reads a u64 or narrower (`size` 1, 2, 4 or 8).
    pub fn read_u64(&mut self, p: &mut dyn Platform, va: u64, size: u8) -> Result<u64, SyncExc> {
        Ok(self.read_mem(p, va, Access::read(size))? as u64)
    }

    /// Fetches the instruction word at `va`.
    #[inline]
    pub fn fetch(&mut self, p: &mut dyn Platform, va: u64) -> Result<u32, SyncExc> {
        if va & 3 != 0 {
            return Err(SyncExc::new(ec::PC_ALIGN, 0).with_far(va));
        }
        let f = &self.fast;
        if va >> 12 == f.code.page && f.code.epoch == f.epoch && f.fills == self.tlb.fills {
            let h = f.code.host + (va & 0xfff) as usize;
            // SAFETY: as in `read_mem`.
            return Ok(u32::from_le(unsafe { std::ptr::read_unaligned(h as *const u32) }));
        }
        if let Some((h, _)) = self.fast_hit(0, va, 4) {
            self.fast.code = self.fast.e[0][(va >> 12) as usize & (FAST_ENTRIES - 1)];
            // SAFETY: as in `read_mem`.
            return Ok(u32::from_le(unsafe { std::ptr::read_unaligned(h as *const u32) }));
        }
        self.fetch_slow(p, va)
    }

    #[inline(never)]
    fn fetch_slow(&mut self, p: &mut dyn Platform, va: u64) -> Result<u32, SyncExc> {
        let mut buf = [0u8; 4];
        self.access(p, va, Access::fetch(), &mut buf)?;
        Ok(u32::from_le_bytes(buf))
    }

    fn access(&mut self, p: &mut dyn Platform, va: u64, acc: Access, buf: &mut [u8]) -> Result<(), SyncExc> {
        // The bus may reach a device (or a walk may): interrupt lines may change.
        self.fast.irq_check = true;
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
        if self.host_debug.active() && acc.ty != AccessType::Fetch && self.host_debug.access_hit(va, size, acc.ty == AccessType::Write) {
            // Abandons the instruction; `interp` sees `host_debug.hit` and stops the PE.
            return Err(SyncExc::new(ec::DABT_SAME, 0).with_far(va));
        }
        let (a, b) = buf.split_at_mut(first_len);
        self.bus(p, va, &t1, &acc, a)?;
        if let Some((va2, t2)) = t2 {
            self.bus(p, va2, &t2, &acc, b)?;
        } else {
            self.fast_fill(p, va, &acc, &t1);
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
