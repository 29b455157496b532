//! Virtual memory accesses made by instructions: alignment checks, translation, page
//! crossing, and bus errors turned into external aborts.

use crate::exception::{ec, SyncExc};
use crate::mmu::{self, Access, AccessType, MemType};
use crate::platform::{BusAttrs, PhysAddr, Platform};
use crate::Cpu;

/// Entries per access type in the host-pointer cache (a power of two). 4096 pages (16 MiB)
/// per access type: the Linux boot's working set misses much less than with 64 (the
/// epoch makes emptying it O(1)), and its JIT call-outs for `FastMem` misses drop by a
/// sixth from 1024 entries (691K call-outs in all -> 585K; 16384 entries: 518K);
/// 512 KiB per PE with the quiet tags (`QUIET`).
const FAST_ENTRIES: usize = 4096;

/// One cached page: the VA page `tag & !0xfff` (as the instruction gave it) was translated
/// successfully for this access type, in epoch `tag & 0xff0` (`FastMem::epoch`), to the
/// 4 KiB guest RAM page at `va + pa_off` whose bytes are at host address `va + host_off`.
/// An access of `n` (a power of two up to 16) bytes at `va` hits exactly when its key
/// `(va & (!0xfff | (n - 1))) | epoch` equals `tag`: the same page, the current epoch,
/// naturally aligned (the tag's bits 3:0 are zero). One compare for all three, in Rust
/// (`Cpu::fast_hit`) and in a JIT's inline probe.
#[derive(Debug, Clone, Copy, Default)]
struct FastEntry {
    /// 0 when empty: never a key, whose epoch bits are never 0.
    tag: u64,
    /// Host address of the page minus its VA (wrapping).
    host_off: u64,
    /// Guest PA of the page minus its VA (wrapping).
    pa_off: u64,
    /// `FAST_UNALIGNED`: an unaligned access within the page may hit too (see
    /// `Cpu::fast_hit`). (Entries are 32 bytes: the JIT indexes with a shift.)
    flags: u64,
}

/// `FastEntry::flags`: the page is Normal memory and SCTLR.A of the regime was 0 when the
/// entry was made (both can change only by a System-group instruction, which empties the
/// cache, or with the EL, which an exception or ERET changing it empties too), so a non-atomic unaligned access within the page would neither
/// fault nor do anything but the aligned path's work in the slow path (one translation,
/// the same TLB entry, the bus).
pub const FAST_UNALIGNED: u64 = 1;

impl FastEntry {
    /// The VA page (VA >> 12).
    #[inline(always)]
    fn page(&self) -> u64 {
        self.tag >> 12
    }
}

/// The key of an access of `n` bytes (a power of two, at most 16) at `va` in epoch `epoch`.
#[inline(always)]
fn fast_key(va: u64, n: u64, epoch: u64) -> u64 {
    (va & (!0xfff | (n - 1))) | epoch
}

/// A small direct-mapped cache of translations to guest RAM (host pointers), one table
/// per access type (fetch, read, write), so that accesses to RAM pages used recently skip
/// the alignment/translation/bus path. It is a pure accelerator: a hit does exactly what
/// the slow path would do (same bytes, same `store_notify`), because
/// - entries are made only inside `interp::run` (`live`) from successful translations of
///   whole 4 KiB pages of RAM (`Bus::ram_span`) by ordinary (not LDTR/STTR) accesses, and
///   used for naturally aligned accesses (which can neither fault on alignment nor cross
///   a page) and, on `FAST_UNALIGNED` entries, for plain unaligned accesses within the
///   page; data pages are not cached while watchpoints are enabled
///   (MDSCR_EL1.MDE);
/// - everything that can change a translation invalidates all entries (`epoch`): any
///   System-group instruction (MSR, SVC/HVC/SMC, AT, ...) but those of
///   `interp::keeps_fast_state`, `Cpu::reset`; an exception taken or returned from
///   (ERET) that changes the EL only switches epochs (`Cpu::fast_after_exception`: the
///   entries depend on the EL, and on nothing else the exception changes), so that
///   entries made at one EL hit only there; a run boundary unless
///   nothing the entries depend on changed in between (`Cpu::fast_run_boundary`); a TLBI
///   drops the pages of the TLB entries it removed (`Cpu::fast_tlb_removed`), or all;
/// - every entry is backed by the TLB entry (or the flat MMU-off mapping) its translation
///   came from, unchanged since: a TLB fill only adds a translation, so it keeps the
///   entries, except those of the VA page whose TLB entry it evicted
///   (`FastMem::tlb_filled`), after which the slow path would walk the tables again and
///   could see changed tables. Entries of the current context only exist (a context change
///   is a System-group instruction or an exception), so a hit gives exactly what the TLB
///   lookup would. A TLB change not seen by `tlb_filled` (`FastMem::fills` behind
///   `Tlb::fills`: `Cpu::reset`, a TLB replaced between runs) empties the cache.
///
/// A fourth table (`QUIET`, only its tags used) serves a JIT's inline stores, which report
/// nothing (no `store_notify`): its tag is the write entry's when the platform said,
/// as the entry was made, that stores to the page may go unreported
/// (`Platform::quiet_store_ok`), else 0; an engine may clear it later
/// (`Cpu::fast_drop_quiet`). The other tables, and so what `read_mem`/`write_mem` do,
/// do not depend on it.
///
/// It also holds `irq_check`: interrupt lines, routing or masks may have changed, so
/// `interp::run` must sample the interrupt inputs before the next instruction.
/// (`repr(C)`: the fields a JIT's inline probes read come first, next to each other and
/// to `Cpu::icount`: see `Cpu`.)
#[derive(Debug, Clone)]
#[repr(C)]
pub(crate) struct FastMem {
    /// Fills are allowed (set by `interp::run` while it runs).
    pub(crate) live: bool,
    pub(crate) irq_check: bool,
    /// MDSCR_EL1.{MDE,SS} were not both clear when `irq_check` was last handled (debug
    /// checks needed; see `interp::step_inner`).
    pub(crate) debug: bool,
    /// The current epoch in bits 11:4 (never 0): entries of other epochs never hit.
    /// Between runs it is `EPOCH_IDLE`, which no entry has.
    epoch: u64,
    /// Fetch, read, write, `QUIET` (`e[QUIET][i].tag` is 0 or `e[2][i].tag`).
    e: Box<[[FastEntry; FAST_ENTRIES]; 4]>,
    /// The fetch entry used last (a copy of one of `e[0]`, checked first).
    code: FastEntry,
    /// The fetch stamps (`Stamps`): replaced whenever a translation this PE could fetch
    /// through may have changed. (Read by a JIT at every return and far branch: with
    /// the hot fields.)
    stamp: Stamps,
    /// The last epoch `invalidate` made current (`EPOCH_STEP..=EPOCH_MAX`); wrapping
    /// empties every table.
    issued: u64,
    /// Per EL: the epoch of the entries made at that EL when the PE last left it by an
    /// exception or ERET, valid again when it comes back (`Cpu::fast_after_exception`);
    /// 0 for none. `invalidate` clears them all.
    el_epochs: [u64; 4],
    /// `Tlb::fills` as last seen. Entries exist only while it equals `Tlb::fills`:
    /// `fast_fill` syncs it before making one, every fill is reported to `tlb_filled`
    /// (which empties the cache if it missed one), `Cpu::reset` empties the cache when it
    /// replaces the TLB, and a run starts with a check (the TLB is a public field).
    fills: u64,
    /// Between runs: the epoch of the entries made by the last run and the state they
    /// depend on then (see `Cpu::fast_run_boundary`); None once anything emptied the
    /// cache since.
    kept: Option<Box<Kept>>,
    /// An engine's mark on the `QUIET` table (`Cpu::set_fast_quiet_mark`), 0 after any
    /// quiet tag is set.
    quiet_mark: u64,
    /// Bit `pg % 4096` is set for the PA page numbers `pg` of every non-zero quiet tag
    /// (and maybe others): a clear bit proves the page has none (`fast_quiet_may_have`).
    quiet_pages: [u64; 64],
}

/// Fetch stamps (`FastMem::stamp`, `FastLayout::stamp`), one per bucket of VA pages
/// (`stamp_bucket`: the page number's low bits): a bucket's stamp stays the same only
/// while no translation this PE could fetch through in that bucket can change. A JIT
/// that saw a fetch of VA page V hit `FastMem` (giving PA page P at EL/SPSel c) when V's
/// bucket had stamp S knows, as long as it is still S and the PE still at c, that a
/// fetch in V would give P again: a hit proves the TLB held that translation (every
/// entry is backed by a TLB entry or the flat MMU-off mapping), and every event that
/// could make a fetch of V give something else replaces the stamp: anything that empties
/// the cache (`FastMem::invalidate`: context and control changes, `Cpu::reset`, TLB
/// replaced, TLBIs removing many), a run boundary (unless the next run resumes the kept
/// entries with nothing renewed in between: `Cpu::fast_run_boundary`) and
/// `Cpu::fast_new_stamp` (an engine's own reasons) renew every bucket (`renew_all`); the
/// removal of a TLB entry (`FastMem::drop_tlb_page`: a TLBI by VA/ASID, or eviction by a
/// fill of an entry that allowed a fetch at some EL, `Entry::executable`: only such an
/// entry can be behind a fetch), whether or not `FastMem` still held the page, renews
/// its page's bucket (`renew_page`). An exception or ERET that only switches epochs
/// (`Cpu::fast_after_exception`) changes no translation of either EL: the stamps stay
/// (the EL/SPSel is the JIT's to compare).
///
/// A stamp is a base (bits 47:3, from a process-wide counter: unique across every PE
/// and `Cpu` for 2^45 renewals, never 0) | the bucket's renewals since (bits 63:48; at
/// 2^16 every bucket gets a new base). Bits 2:0 are clear (free for the JIT's EL/SPSel
/// index). A clone of a `Cpu` gets new stamps.
#[derive(Debug)]
#[repr(C)]
struct Stamps {
    s: [u64; STAMP_BUCKETS],
    /// Renewals of any kind so far (`Cpu::fast_run_boundary` compares them).
    changes: u64,
}

/// Buckets of `Stamps`. (8: in the 1-vCPU Linux boot 97 % of the JIT's record checks
/// hold, against 98 % with 64 buckets, 88 % with one stamp; 64 made `Cpu` 448 bytes
/// larger, which alone slowed the boot by ~20 % host time: a layout effect, see the
/// `ab.sh` runs in the commit that chose 8.)
pub const STAMP_BUCKETS: usize = 8;

/// The bucket of VA page number `page` (VA >> 12, or the TLB's `Entry::va_page`: they
/// agree in the low bits).
#[inline(always)]
pub fn stamp_bucket(page: u64) -> usize {
    page as usize & (STAMP_BUCKETS - 1)
}

/// One renewal of a bucket (bits 63:48 of its stamp).
const STAMP_PAGE_STEP: u64 = 1 << 48;

impl Stamps {
    fn fresh() -> Stamps {
        let mut st = Stamps { s: [0; STAMP_BUCKETS], changes: 0 };
        st.renew_all();
        st
    }
    fn renew_all(&mut self) {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(8);
        let base = NEXT.fetch_add(8, Ordering::Relaxed) % STAMP_PAGE_STEP;
        // (After 2^45 renewals the base would be 0: skip it.)
        let base = if base == 0 { 8 } else { base };
        self.s = [base; STAMP_BUCKETS];
        self.changes = self.changes.wrapping_add(1);
    }
    fn renew_page(&mut self, page: u64) {
        let s = &mut self.s[stamp_bucket(page)];
        *s = s.wrapping_add(STAMP_PAGE_STEP);
        if *s < STAMP_PAGE_STEP {
            // The count wrapped: the bucket's old stamps would come back.
            self.renew_all();
        }
        self.changes = self.changes.wrapping_add(1);
    }
}

impl Clone for Stamps {
    fn clone(&self) -> Stamps {
        Stamps::fresh()
    }
}

/// The table of `FastMem::e` with the write entries' quiet tags (see `FastMem`).
pub const QUIET: usize = 3;

/// What the entries of a finished run depend on besides the TLB entries behind them
/// (which `tlb_filled` follows): the translation regime and its controls, permissions
/// (EL, PAN), watchpoint enables (all in `SysRegs` and `Pstate`), and TLB removals
/// (remote TLBIs are applied between runs: `Tlb::invalidations`, `Tlb::flushes`).
#[derive(Debug, Clone)]
struct Kept {
    epoch: u64,
    /// The run's fetch stamps, and `Stamps::changes` after their renewal at its end
    /// (`fast_run_boundary`: the next run takes them back if nothing renewed them since).
    stamp: [u64; STAMP_BUCKETS],
    idle_changes: u64,
    /// The system registers, except `SysRegs::other` (always empty here).
    sys: crate::sysreg::SysRegs,
    pstate: crate::state::Pstate,
    tlb_invalidations: u64,
    tlb_flushes: u64,
}

/// `kept.clone_from(sys)` without `SysRegs::other` (left empty; see `fast_run_boundary`),
/// allocating nothing.
fn keep_sys(kept: &mut crate::sysreg::SysRegs, sys: &crate::sysreg::SysRegs) {
    // Everything but `other` is plain data.
    *kept = crate::sysreg::SysRegs { other: Default::default(), ..*sys };
}

impl Default for FastMem {
    fn default() -> Self {
        FastMem {
            live: false,
            irq_check: true,
            debug: true,
            epoch: EPOCH_STEP,
            issued: EPOCH_STEP,
            el_epochs: [0; 4],
            fills: 0,
            e: Box::new([[FastEntry::default(); FAST_ENTRIES]; 4]),
            code: FastEntry::default(),
            kept: None,
            quiet_mark: 0,
            quiet_pages: [0; 64],
            stamp: Stamps::fresh(),
        }
    }
}

/// FastMem page bits that the TLB key keeps (VA bits 55:12): with TBI the TLB's VA page
/// has bits 63:56 replaced, the cached page has the VA as the instruction gave it.
const TLB_PAGE_BITS: u64 = (1 << 44) - 1;

/// One epoch in `FastMem::epoch` / `FastEntry::tag` (bits 11:4).
const EPOCH_STEP: u64 = 0x10;
/// The largest epoch entries are made in.
const EPOCH_MAX: u64 = 0xfe0;
/// The epoch current between runs (`Cpu::fast_run_boundary`): no entry is made in it
/// (fills happen only inside runs), so nothing hits there, and a run that ends spends no
/// epoch (with a turn per 10 000 instructions, spending one per run end wrapped the
/// epochs, emptying the tables, every 255 turns).
const EPOCH_IDLE: u64 = 0xff0;

impl FastMem {
    /// The TLB was just filled (`Tlb::fills` is now `fills`), evicting the entry for VA
    /// page `evicted` if any (and whether it was `Entry::executable`): drops the cached pages that entry may have served (same VA
    /// bits 55:12, in any table and the last-used fetch entry), keeps the others. If a
    /// TLB change was missed before (`self.fills` not `fills - 1`), drops everything.
    /// Does not ask for an interrupt check (the access that walked did).
    #[inline]
    pub(crate) fn tlb_filled(&mut self, evicted: Option<(u64, bool)>, fills: u64) {
        if self.fills != fills.wrapping_sub(1) {
            let irq = self.irq_check;
            self.invalidate();
            self.irq_check = irq;
        } else if let Some((v, x)) = evicted {
            self.drop_tlb_page(v, x);
        }
        self.fills = fills;
    }

    /// Drops the cached pages that the TLB entry for VA page `v` (`Entry::va_page`) may
    /// have served: same VA bits 55:12, in every table and the last-used fetch entry.
    /// `exec`: the entry may have served a fetch (`Entry::executable`; else no fetch
    /// translation depended on it and the fetch stamp stays).
    #[inline]
    fn drop_tlb_page(&mut self, v: u64, exec: bool) {
        if exec {
            self.stamp.renew_page(v);
        }
        let slot = v as usize & (FAST_ENTRIES - 1);
        for t in self.e.iter_mut() {
            if (t[slot].page() ^ v) & TLB_PAGE_BITS == 0 {
                t[slot] = FastEntry::default();
            }
        }
        if (self.code.page() ^ v) & TLB_PAGE_BITS == 0 {
            self.code = FastEntry::default();
        }
    }

    /// Forgets every cached page and asks for an interrupt check.
    #[inline]
    pub(crate) fn invalidate(&mut self) {
        self.irq_check = true;
        self.stamp.renew_all();
        if let Some(k) = &mut self.kept {
            // No entry of a finished run may come back (epoch 0 is never current).
            k.epoch = 0;
        }
        // Nor any of another EL.
        self.el_epochs = [0; 4];
        self.epoch = self.fresh_epoch();
    }

    /// An epoch no entry has: the next one after `issued` (a wrap empties the tables and
    /// forgets the epochs of other ELs, whose values come back).
    fn fresh_epoch(&mut self) -> u64 {
        self.issued += EPOCH_STEP;
        if self.issued > EPOCH_MAX {
            // Wrapped: old entries could match again. (254 epochs: the emptying costs
            // little next to the invalidations that led here.)
            for t in self.e.iter_mut() {
                t.fill(FastEntry::default());
            }
            self.code = FastEntry::default();
            self.el_epochs = [0; 4];
            self.issued = EPOCH_STEP;
            // (No translation changed; renewed all the same, as it costs nothing here.)
            self.stamp.renew_all();
        }
        self.issued
    }
}

/// Where a JIT's inline RAM-access fast path finds `FastMem` inside a `Cpu` (byte
/// offsets). The fast path must take a hit only when `read_mem`/`write_mem` would (and a
/// load exactly then): entry `e[ty][(va >> 12) % entries]` (ty 1 = read, 2 = write;
/// `QUIET` holds only the write entries' quiet tags, for stores that report nothing) with
/// `tag == (va & (!0xfff | (n - 1))) | epoch` (the u64 at `epoch`); then the host address
/// is `va + host_off`, the PA `va + pa_off` (wrapping adds).
#[derive(Debug, Clone, Copy)]
pub struct FastLayout {
    /// Offset in `Cpu` of the pointer to the `[[FastEntry; entries]; 4]` tables.
    pub tables: usize,
    /// Offset in `Cpu` of the current epoch (a u64 to OR into keys).
    pub epoch: usize,
    pub entries: usize,
    pub entry_size: usize,
    pub e_tag: usize,
    pub e_host_off: usize,
    pub e_pa_off: usize,
    /// `FastEntry::flags` (`FAST_UNALIGNED`).
    pub e_flags: usize,
    /// Offset in `Cpu` of the last-used fetch entry (`FastMem::code`, a `FastEntry`
    /// that `fetch` checks first and refreshes from table 0 on a table hit).
    pub code: usize,
    /// Offset in `Cpu` of `FastMem::irq_check` (a `bool`).
    pub irq_check: usize,
    /// Offset in `Cpu` of the fetch stamps: `STAMP_BUCKETS` u64s, multiples of 8, the
    /// one of VA page number `pg` at `stamp + 8 * stamp_bucket(pg)` (see `Stamps`).
    pub stamp: usize,
}

/// The layout of `FastMem` (see `FastLayout`).
pub fn fast_layout() -> FastLayout {
    use std::mem::{offset_of, size_of};
    let f = offset_of!(Cpu, fast);
    FastLayout {
        tables: f + offset_of!(FastMem, e),
        epoch: f + offset_of!(FastMem, epoch),
        entries: FAST_ENTRIES,
        entry_size: size_of::<FastEntry>(),
        e_tag: offset_of!(FastEntry, tag),
        e_host_off: offset_of!(FastEntry, host_off),
        e_pa_off: offset_of!(FastEntry, pa_off),
        e_flags: offset_of!(FastEntry, flags),
        code: f + offset_of!(FastMem, code),
        irq_check: f + offset_of!(FastMem, irq_check),
        stamp: f + offset_of!(FastMem, stamp) + offset_of!(Stamps, s),
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
    /// Starts (`true`) or ends (`false`) a run as `interp::run` does: asks for an
    /// interrupt check, allows fills only inside the run, and makes the cached pages
    /// unusable outside it. At the end of a run the entries' epoch is put aside with the
    /// state they depend on (`Kept`) and `EPOCH_IDLE` made current (nothing hits between
    /// runs; entries are made only inside runs). The next run takes the entries back if
    /// nothing emptied the cache in between (`FastMem::invalidate` forgets the kept
    /// epoch; TLB evictions by fills between runs drop their pages as inside a run) and
    /// that state is unchanged; otherwise it starts empty.
    pub fn fast_run_boundary(&mut self, live: bool) {
        if live && self.fast.fills != self.tlb.fills {
            // The TLB was replaced from outside: nothing cached may stay.
            self.fast.kept = None;
            self.fast.invalidate();
            self.fast.fills = self.tlb.fills;
        }
        if live {
            // `SysRegs::other` (implementation defined registers kept as plain storage)
            // affects no translation: left out of the comparison (`Kept::sys` has it
            // empty), as comparing or cloning the map at every run boundary costs.
            let other = std::mem::take(&mut self.sys.other);
            let resume = match &self.fast.kept {
                Some(k) => {
                    k.epoch != 0
                        && k.tlb_invalidations == self.tlb.invalidations
                        && k.tlb_flushes == self.tlb.flushes
                        && k.pstate == self.st.pstate
                        && !self.host_debug.active()
                        && k.sys == self.sys
                }
                None => false,
            };
            self.sys.other = other;
            if resume {
                if let Some(k) = &self.fast.kept {
                    self.fast.epoch = k.epoch;
                    // Nothing renewed the stamps since the run ended either (no TLB
                    // entry removed, nothing emptied the cache): the run's hold again.
                    if self.fast.stamp.changes == k.idle_changes {
                        self.fast.stamp.s = k.stamp;
                    }
                }
                self.fast.irq_check = true;
            } else {
                self.fast.invalidate();
            }
        } else {
            // (A run end without a run: nothing to keep.)
            let epoch = if self.fast.epoch == EPOCH_IDLE { 0 } else { self.fast.epoch };
            // (What `invalidate` does but for spending an epoch: the entries are kept.)
            self.fast.irq_check = true;
            self.fast.epoch = EPOCH_IDLE;
            let stamp = self.fast.stamp.s;
            self.fast.stamp.renew_all();
            let idle_changes = self.fast.stamp.changes;
            let (sys, pstate) = (&self.sys, self.st.pstate);
            let (tlb_invalidations, tlb_flushes) = (self.tlb.invalidations, self.tlb.flushes);
            match &mut self.fast.kept {
                Some(k) => {
                    k.epoch = epoch;
                    k.stamp = stamp;
                    k.idle_changes = idle_changes;
                    keep_sys(&mut k.sys, sys);
                    k.pstate = pstate;
                    k.tlb_invalidations = tlb_invalidations;
                    k.tlb_flushes = tlb_flushes;
                }
                None => {
                    let mut k = Box::new(Kept { epoch, stamp, idle_changes, sys: Default::default(), pstate, tlb_invalidations, tlb_flushes });
                    keep_sys(&mut k.sys, sys);
                    self.fast.kept = Some(k);
                }
            }
        }
        self.fast.live = live;
    }
    /// Asks for an interrupt check before the next instruction (caches kept).
    #[inline(always)]
    pub fn fast_request_irq_check(&mut self) {
        self.fast.irq_check = true;
    }
    /// After a local TLB invalidation (`Tlb::start_removals`, then the TLBI): drops the
    /// cached pages whose TLB entries it removed (each `FastMem` entry is backed by one,
    /// or by the flat MMU-off mapping, which no TLBI changes), or everything if it
    /// removed many, and asks for an interrupt check.
    pub(crate) fn fast_tlb_removed(&mut self) {
        match self.tlb.removals() {
            Some(pages) => {
                for &v in pages {
                    self.fast.drop_tlb_page(v, true);
                }
                self.fast.irq_check = true;
            }
            None => self.fast.invalidate(),
        }
    }
    /// After an exception was taken or returned from (ERET), which the PE was at EL `el`
    /// before: keeps the cached pages if it is still at that EL; else puts the current
    /// epoch aside as `el`'s (`FastMem::el_epochs`) and makes current the one the new EL
    /// had when the PE last left it, or a fresh one: the entries made at each EL hit
    /// only there, and come back with it (outside a run, where nothing may hit, it
    /// empties the caches instead); asks for an interrupt check either way (DAIF changed).
    /// Entry and return change PSTATE (EL, SPSel, DAIF, SS, IL), ELR/SPSR/ESR/FAR and the
    /// exclusive monitor, and of these the cached translations depend only on the EL (the
    /// translation regime and the permissions checked, of ordinary accesses only); the
    /// System registers of the regime, the TLB and MDSCR_EL1 stay as they were. An
    /// interrupt taken at EL1 from EL1 and its ERET back (most exceptions in a kernel)
    /// thus keep the pages both sides use.
    pub fn fast_after_exception(&mut self, el: u8) {
        let f = &mut self.fast;
        if self.st.pstate.el == el {
            f.irq_check = true;
        } else if f.epoch == EPOCH_IDLE || !f.live {
            f.invalidate();
        } else {
            f.irq_check = true;
            f.el_epochs[el as usize & 3] = f.epoch;
            let back = std::mem::take(&mut f.el_epochs[self.st.pstate.el as usize & 3]);
            f.epoch = if back != 0 { back } else { f.fresh_epoch() };
        }
    }
    /// Empties the caches and asks for an interrupt check (`FastMem::invalidate`).
    pub fn fast_invalidate(&mut self) {
        self.fast.invalidate();
    }
    /// Replaces every fetch stamp (`FastLayout::stamp`): for an engine whose own state
    /// behind what it proved under the old stamps changed (nothing else changes).
    pub fn fast_new_stamp(&mut self) {
        self.fast.stamp.renew_all();
    }
    /// The current fetch stamp of VA page number `page` (see `FastLayout::stamp`).
    pub fn fast_stamp(&self, page: u64) -> u64 {
        self.fast.stamp.s[stamp_bucket(page)]
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
    /// Clears the quiet tag (`mem::QUIET`) of every write entry, of any epoch (kept ones
    /// included), whose guest PA page number (PA >> 12) `drop` selects: stores there
    /// must be reported again. The entries themselves stay.
    pub fn fast_drop_quiet(&mut self, mut drop: impl FnMut(u64) -> bool) {
        let [.., w, q] = &mut *self.fast.e;
        let pages = &mut self.fast.quiet_pages;
        *pages = [0; 64];
        for (q, w) in q.iter_mut().zip(w.iter()) {
            if q.tag != 0 {
                let pg = (q.tag & !0xfff).wrapping_add(w.pa_off) >> 12;
                if drop(pg) {
                    q.tag = 0;
                } else {
                    pages[(pg >> 6) as usize & 63] |= 1 << (pg & 63);
                }
            }
        }
    }
    /// Whether PA page number `pg` may have a quiet tag (false: it has none, no need to
    /// `fast_drop_quiet` it).
    #[inline(always)]
    pub fn fast_quiet_may_have(&self, pg: u64) -> bool {
        self.fast.quiet_pages[(pg >> 6) as usize & 63] & 1 << (pg & 63) != 0
    }
    /// The mark an engine last put with `set_fast_quiet_mark`, or 0 if a quiet tag was
    /// set since (or it never marked). A JIT uses it to know that no quiet tag is there
    /// that it would not allow (`Platform::quiet_store_ok`) as of the mark, whatever ran
    /// the PE in between.
    #[inline(always)]
    pub fn fast_quiet_mark(&self) -> u64 {
        self.fast.quiet_mark
    }
    /// See `fast_quiet_mark`.
    #[inline(always)]
    pub fn set_fast_quiet_mark(&mut self, mark: u64) {
        self.fast.quiet_mark = mark;
    }
    #[inline(always)]
    pub fn fetch_would_hit(&self, va: u64) -> Option<u64> {
        let f = &self.fast;
        if fast_key(va, 4, f.epoch) == f.code.tag {
            Some(va.wrapping_add(f.code.pa_off))
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
        let e = &self.fast.e[ty][(va >> 12) as usize & (FAST_ENTRIES - 1)];
        if n.is_power_of_two() && n <= 16 && fast_key(va, n as u64, self.fast.epoch) == e.tag {
            Some((va.wrapping_add(e.host_off) as usize, va.wrapping_add(e.pa_off)))
        } else {
            None
        }
    }

    /// `fast_hit` for a non-atomic access (not exclusive, acquire or release): also an
    /// unaligned one within the page when the entry allows it (`FAST_UNALIGNED`). A JIT's
    /// probe of a plain load/store takes a hit under the same rule.
    #[inline(always)]
    fn fast_hit_plain(&self, ty: usize, va: u64, n: usize) -> Option<(usize, u64)> {
        let e = &self.fast.e[ty][(va >> 12) as usize & (FAST_ENTRIES - 1)];
        if !(n.is_power_of_two() && n <= 16) {
            return None;
        }
        let epoch = self.fast.epoch;
        let hit = fast_key(va, n as u64, epoch) == e.tag
            || ((va & !0xfff) | epoch == e.tag && e.flags & FAST_UNALIGNED != 0 && (va & 0xfff) + n as u64 <= 0x1000);
        hit.then(|| (va.wrapping_add(e.host_off) as usize, va.wrapping_add(e.pa_off)))
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
            // The TLB changed without `tlb_filled` seeing it: drop them (keeps irq_check).
            let irq = self.fast.irq_check;
            self.fast.invalidate();
            self.fast.irq_check = irq;
            self.fast.fills = self.tlb.fills;
        }
        let va_page = va & !0xfff;
        let host = span.host as u64 + (pa_page - span.base.0);
        let strict = self.sys.sctlr[self.regime_el()] & crate::sysreg::SCTLR_A != 0;
        let flags = if t.mem != MemType::Device && !strict { FAST_UNALIGNED } else { 0 };
        let i = (va >> 12) as usize & (FAST_ENTRIES - 1);
        let tag = va_page | self.fast.epoch;
        self.fast.e[fast_ty(acc.ty)][i] = FastEntry { tag, host_off: host.wrapping_sub(va_page), pa_off: pa_page.wrapping_sub(va_page), flags };
        if acc.ty == AccessType::Write {
            let quiet = p.quiet_store_ok(PhysAddr(pa_page));
            self.fast.e[QUIET][i].tag = if quiet { tag } else { 0 };
            if quiet {
                self.fast.quiet_mark = 0;
                let pg = pa_page >> 12;
                self.fast.quiet_pages[(pg >> 6) as usize & 63] |= 1 << (pg & 63);
            }
        }
    }

    /// Reads `size` (1..=16) bytes at `va`, little-endian, zero-extended into a u128.
    #[inline]
    pub fn read_mem(&mut self, p: &mut dyn Platform, va: u64, acc: Access) -> Result<u128, SyncExc> {
        let n = acc.size as usize;
        if acc.ty == AccessType::Read && !acc.unpriv {
            let hit = if acc.atomic { self.fast_hit(1, va, n) } else { self.fast_hit_plain(1, va, n) };
            if let Some((h, _)) = hit {
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
            let hit = if acc.atomic { self.fast_hit(2, va, n) } else { self.fast_hit_plain(2, va, n) };
            if let Some((h, pa)) = hit {
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
        if fast_key(va, 4, f.epoch) == f.code.tag {
            let h = va.wrapping_add(f.code.host_off) as usize;
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
        // (Interrupt lines may change if the access reaches a device: `bus` then asks for
        // an interrupt sample, as `mmu::translate_in` does for a table walk. RAM cannot
        // change them: an access that only reaches RAM needs none.)
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
        // Anything but RAM (a device, a hole, a platform that does not say what is RAM)
        // may change interrupt lines: they are sampled before the next instruction.
        if p.ram_span(PhysAddr(t.pa)).is_none_or(|r| t.pa.wrapping_sub(r.base.0).saturating_add(buf.len() as u64) > r.len) {
            self.fast.irq_check = true;
        }
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

#[cfg(test)]
mod fast_tlb_tests {
    //! `FastMem` keeps its pages across TLB fills that do not evict their TLB entries.
    //! Oracles: `interp::step` (never uses `FastMem`; every access goes through the TLB)
    //! and values worked out by hand from the Arm ARM's TLB rules (a translation cached
    //! before a page-table write may be used until a TLBI; after the TLB lost it, a
    //! new walk sees the new descriptor).
    use super::*;
    use crate::interp::{run, step, Exit};
    use crate::mmu::tlb::{Entry, Tlb};
    use crate::platform::{Bus, BusError, FlatRam, IrqLevels, RamSpan};
    use crate::CpuConfig;

    #[derive(Clone)]
    struct Plat {
        ram: FlatRam,
    }
    impl Bus for Plat {
        fn read(&mut self, pa: PhysAddr, buf: &mut [u8], a: BusAttrs) -> Result<(), BusError> {
            self.ram.read(pa, buf, a)
        }
        fn write(&mut self, pa: PhysAddr, buf: &[u8], a: BusAttrs) -> Result<(), BusError> {
            self.ram.write(pa, buf, a)
        }
        fn ram_span(&self, pa: PhysAddr) -> Option<RamSpan> {
            self.ram.ram_span(pa)
        }
    }
    impl Platform for Plat {
        fn counter(&self) -> u64 {
            0
        }
        fn irq_levels(&self, _cpu: u8) -> IrqLevels {
            IrqLevels::default()
        }
    }

    const BASE: u64 = 0x8000_0000;
    const DATA: u64 = BASE + 0x8000;
    const L1: u64 = BASE + 0x10000;
    const L2: u64 = BASE + 0x11000;
    const L3: u64 = BASE + 0x12000;
    /// VA page X, mapped by L3[0x100] to PAGE_A, then (descriptor rewritten) PAGE_B.
    const X: u64 = 0x8010_0000;
    /// The VA distance between pages of the same TLB set (`TLB_SETS` pages).
    const SET_STEP: u64 = (crate::mmu::tlb::TLB_SETS as u64) << 12;
    /// Four pages from X + 8 MiB on, `SET_STEP` apart (with 512 sets: X + 8, 10, 12,
    /// 14 MiB), mapped by the 2 MiB identity blocks from L2[4] on. Their VA page numbers
    /// have the same low bits as X's, so they fall in X's set of the 4-way TLB: the fourth
    /// fill of them after X's replaces X's entry, the oldest of the set (checked in
    /// `y_evicts_x`).
    const Y0: u64 = X + (8u64 << 20).next_multiple_of(SET_STEP);
    const Y: [u64; 4] = [Y0, Y0 + SET_STEP, Y0 + 2 * SET_STEP, Y0 + 3 * SET_STEP];
    /// RAM: at least 16 MiB, and up to the 2 MiB block after Y[3]'s.
    const RAM_SIZE: u64 = {
        let need = (Y[3] - BASE + (2 << 20)).next_multiple_of(2 << 20);
        if need > 16 << 20 { need } else { 16 << 20 }
    };
    const PAGE_A: u64 = 0x8030_0000;
    const PAGE_B: u64 = 0x8030_1000;
    const NG: u64 = 1 << 11;
    /// Level-3 page descriptor: AF, Inner Shareable, AttrIndx 0 (MAIR 0xff), EL1 RW.
    const fn page(pa: u64) -> u64 {
        pa | 1 << 10 | 3 << 8 | 0b11
    }

    fn setup(code: &[u32], x_desc_flags: u64) -> (Cpu, Plat) {
        let mut ram = FlatRam::new(BASE, RAM_SIZE as usize);
        let words: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
        ram.load(BASE, &words);
        // L1[2] -> L2; L2[0] -> L3 (identity pages), L2[4..] 2 MiB identity blocks.
        ram.load(L1 + 2 * 8, &(L2 | 0b11).to_le_bytes());
        ram.load(L2, &(L3 | 0b11).to_le_bytes());
        for b in 4..RAM_SIZE >> 21 {
            ram.load(L2 + b * 8, &((BASE + (b << 21)) | 1 << 10 | 3 << 8 | 0b01).to_le_bytes());
        }
        for i in 0..512u64 {
            ram.load(L3 + i * 8, &page(BASE + (i << 12)).to_le_bytes());
        }
        ram.load(L3 + 0x100 * 8, &(page(PAGE_A) | x_desc_flags).to_le_bytes());
        ram.load(PAGE_A, &0x1111u64.to_le_bytes());
        ram.load(PAGE_B, &0x2222u64.to_le_bytes());
        let mut cpu = Cpu::new(CpuConfig::default());
        cpu.reset(BASE);
        cpu.sys.mair[1] = 0xff;
        // T0SZ 32, IRGN0/ORGN0 WB, SH0 Inner, TG0 4K, EPD1; ASID from TTBR0 (A1 = 0).
        cpu.sys.tcr[1] = 32 | (0b01 << 8) | (0b01 << 10) | (0b11 << 12) | (1 << 23);
        cpu.sys.ttbr0[1] = L1 | 1 << 48;
        cpu.sys.sctlr[1] |= 1 | (1 << 2) | (1 << 12);
        cpu.sys.scr_el3 |= 1 | (1 << 10);
        cpu.sys.hcr_el2 |= 1 << 31;
        cpu.st.pstate.el = 1;
        cpu.st.pstate.sp = 1;
        // Interrupts masked: nothing but the program runs.
        cpu.st.pstate.daif = 0b1111 << 6;
        let x = &mut cpu.st.x;
        x[1] = DATA;
        x[7] = X;
        x[8] = page(PAGE_B) | x_desc_flags;
        x[9] = L3 + 0x100 * 8;
        x[15] = Y[0];
        x[22] = Y[1];
        x[23] = Y[2];
        x[24] = Y[3];
        x[17] = 0x3333;
        x[18] = 0x4444;
        x[19] = L1 | 2 << 48;
        x[20] = L1 | 1 << 48;
        x[21] = X >> 12 | 1 << 48;
        (cpu, Plat { ram })
    }

    fn ram_u64(p: &Plat, pa: u64) -> u64 {
        let o = (pa - BASE) as usize;
        u64::from_le_bytes(p.ram.mem[o..o + 8].try_into().unwrap())
    }

    /// Runs `code` with `run` (FastMem live, in slices of `slice` instructions) and with
    /// `step`, `n` instructions each; both must agree. Returns the `run` result.
    fn run_both(code: &[u32], flags: u64, n: u64, slice: u64) -> (Cpu, Plat) {
        let (mut a, mut pa) = setup(code, flags);
        let (mut b, mut pb) = setup(code, flags);
        while a.icount < n {
            let budget = slice.min(n - a.icount);
            assert_eq!(run(&mut a, &mut pa, budget), Exit::Budget);
        }
        while b.icount < n {
            assert_eq!(step(&mut b, &mut pb), None);
        }
        assert_eq!(a.st, b.st, "run and step disagree");
        assert!(pa.ram.mem == pb.ram.mem, "run and step wrote different memory");
        assert_eq!(a.tlb.fills, b.tlb.fills);
        (a, pa)
    }

    /// Encodings from aarch64-linux-gnu-as (objdump listing in the comments).
    const EVICT: [u32; 13] = [
        0xf94000ea, // 00: ldr x10, [x7]   X -> PAGE_A (TLB fill, FastMem read entry)
        0xf90000f1, // 04: str x17, [x7]   0x3333 to PAGE_A (FastMem write entry)
        0xf9000128, // 08: str x8, [x9]    L3[X] := PAGE_B, no TLBI
        0xf94000eb, // 0c: ldr x11, [x7]   old translation still cached: PAGE_A
        0xf940002c, // 10: ldr x12, [x1]   a fill of another page (evicts nothing of X)
        0xf94000ed, // 14: ldr x13, [x7]   still PAGE_A
        0xf94001ee, // 18: ldr x14, [x15]  fills of Y[0..3]: the set of X fills up
        0xf94002ce, // 1c: ldr x14, [x22]
        0xf94002ee, // 20: ldr x14, [x23]
        0xf940030e, // 24: ldr x14, [x24]  fill of Y[3]: evicts X's TLB entry
        0xf90000f2, // 28: str x18, [x7]   walks again: 0x4444 to PAGE_B
        0xf94000f0, // 2c: ldr x16, [x7]   PAGE_B
        0x14000000, // 30: b .
    ];

    #[test]
    fn y_evicts_x() {
        // The premise of `EVICT`: in any one context and ASID, after fills of the code
        // page, X and DATA, the fill of Y[3]'s page takes X's TLB way and none before it
        // evicts anything (checked on the real context tag the program's walks used).
        let (a, _) = run_both(&EVICT, 0, 1, 1);
        let ctx = a.tlb.valid_entries().next().expect("the fetch filled the TLB").ctx;
        let mut t = Tlb::default();
        let e = |va: u64| Entry { ctx, global: true, va_page: va >> 12, ..Default::default() };
        assert_eq!(t.insert(e(BASE)), None);
        assert_eq!(t.insert(e(X)), None);
        assert_eq!(t.insert(e(DATA)), None);
        for y in &Y[..3] {
            assert_eq!(t.insert(e(*y)), None);
        }
        assert_eq!(t.insert(e(Y[3])), Some((X >> 12, false)));
    }

    #[test]
    fn fill_keeps_fastmem_but_eviction_drops_the_page() {
        for slice in [1, 3, 100] {
            let (a, p) = run_both(&EVICT, 0, 15, slice);
            let x = &a.st.x;
            assert_eq!(x[10], 0x1111);
            assert_eq!(x[11], 0x3333, "no TLBI: the cached translation may be used");
            assert_eq!(x[13], 0x3333, "an unrelated fill does not lose the translation");
            assert_eq!(x[16], 0x4444, "after the eviction the new descriptor is used");
            assert_eq!(ram_u64(&p, PAGE_A), 0x3333);
            assert_eq!(ram_u64(&p, PAGE_B), 0x4444, "the store after the eviction went to PAGE_B");
            assert_eq!(a.st.pc, BASE + 0x30);
        }
    }

    const ASID: [u32; 13] = [
        0xf94000ea, // 00: ldr x10, [x7]       ASID 1, nG: PAGE_A
        0xf9000128, // 04: str x8, [x9]        L3[X] := PAGE_B (nG), no TLBI
        0xd5182013, // 08: msr ttbr0_el1, x19  ASID 2
        0xd5033fdf, // 0c: isb
        0xf94000eb, // 10: ldr x11, [x7]       ASID 2 has no entry: walk, PAGE_B
        0xd5182014, // 14: msr ttbr0_el1, x20  ASID 1 again
        0xd5033fdf, // 18: isb
        0xf94000ec, // 1c: ldr x12, [x7]       ASID 1's entry is still cached: PAGE_A
        0xd5088735, // 20: tlbi vae1, x21      X, ASID 1
        0xd5033f9f, // 24: dsb sy
        0xd5033fdf, // 28: isb
        0xf94000ed, // 2c: ldr x13, [x7]       walk: PAGE_B
        0x14000000, // 30: b .
    ];

    #[test]
    fn asid_switch_and_tlbi_vae1_see_the_new_descriptor() {
        for slice in [1, 5, 100] {
            let (a, _) = run_both(&ASID, NG, 14, slice);
            let x = &a.st.x;
            assert_eq!(x[10], 0x1111);
            assert_eq!(x[11], 0x2222, "a non-global entry of ASID 1 does not serve ASID 2");
            // Allowed both ways by the architecture (no TLBI since the write); lsemu's TLB
            // keeps ASID 1's entry in its own slot, and FastMem must not differ from it.
            assert_eq!(x[12], 0x1111);
            assert_eq!(x[13], 0x2222, "TLBI VAE1 removed the stale translation");
        }
    }

    const THREE: [u32; 4] = [
        0xf94000ea, // 00: ldr x10, [x7]
        0xf94000eb, // 04: ldr x11, [x7]
        0xf94000ec, // 08: ldr x12, [x7]
        0x14000000, // 0c: b .
    ];

    /// Between runs the machine may remove TLB entries (a broadcast TLBI from another PE)
    /// or change registers: the next run must not use the pages cached by the last one.
    #[test]
    fn run_boundary_keeps_pages_only_if_nothing_changed() {
        let (mut a, mut p) = setup(&THREE, 0);
        // PA X itself (seen with the MMU off) holds 0x5555.
        p.ram.load(X, &0x5555u64.to_le_bytes());
        assert_eq!(run(&mut a, &mut p, 1), Exit::Budget);
        assert_eq!(a.st.x[10], 0x1111);
        // Nothing hits between runs; unchanged state: the next run takes the page back.
        assert!(a.fast_hit(1, X, 8).is_none());
        a.fast_run_boundary(true);
        assert_eq!(a.fast_hit(1, X, 8).map(|h| h.1), Some(PAGE_A));
        a.fast_run_boundary(false);
        // Descriptor rewritten, then the TLB entry removed from outside the run (as
        // `mmu::tlbi_remote` does): the walk sees PAGE_B.
        p.ram.load(L3 + 0x100 * 8, &page(PAGE_B).to_le_bytes());
        a.tlb.invalidate_if(|e| e.va_page == X >> 12);
        assert_eq!(run(&mut a, &mut p, 1), Exit::Budget);
        assert_eq!(a.st.x[11], 0x2222, "a TLB entry removed between runs is not used");
        // A register write between runs (the MMU turned off): the flat mapping is used.
        a.sys.sctlr[1] &= !1;
        assert_eq!(run(&mut a, &mut p, 1), Exit::Budget);
        assert_eq!(a.st.x[12], 0x5555, "SCTLR_EL1.M cleared between runs");
    }

    /// What a TLBI reports to `FastMem`: the VA pages of the removed entries, or None
    /// (everything is dropped) when it removed more than a few.
    #[test]
    fn tlb_removals() {
        let mut t = Tlb::default();
        let e = |page: u64| Entry { ctx: 9, global: true, va_page: page, ..Default::default() };
        for page in 0x100..0x110 {
            assert_eq!(t.insert(e(page)), None);
        }
        assert_eq!(t.removals(), None, "nothing recorded before start_removals");
        t.start_removals();
        t.invalidate_if(|e| e.va_page == 0x105);
        assert_eq!(t.removals(), Some(&[0x105][..]));
        t.start_removals();
        t.invalidate_if(|e| e.va_page == 0x200);
        assert_eq!(t.removals(), Some(&[][..]));
        t.start_removals();
        t.flush();
        assert_eq!(t.removals(), None, "15 removed: too many to list");
    }

    /// One tag compare checks page, epoch and natural alignment (values by hand: an entry
    /// for VA page 0x8010_0000 backed by host 0x1000 and PA 0x9000_0000), and the 8-bit
    /// epoch's wrap empties the tables (else an entry 255 epochs old would match again).
    #[test]
    fn keys_check_page_epoch_and_alignment() {
        let mut cpu = Cpu::new(CpuConfig::default());
        let ep = cpu.fast.epoch;
        let va_page = 0x8010_0000u64;
        cpu.fast.e[1][0x100] =
            FastEntry { tag: va_page | ep, host_off: 0x1000u64.wrapping_sub(va_page), pa_off: 0x9000_0000 - va_page, flags: 0 };
        assert_eq!(cpu.fast_hit(1, 0x8010_0ff8, 8), Some((0x1ff8, 0x9000_0ff8)));
        assert_eq!(cpu.fast_hit(1, 0x8010_0fff, 1), Some((0x1fff, 0x9000_0fff)));
        assert_eq!(cpu.fast_hit(1, 0x8010_0ff0, 16), Some((0x1ff0, 0x9000_0ff0)));
        assert_eq!(cpu.fast_hit(1, 0x8010_0ffc, 8), None, "misaligned");
        assert_eq!(cpu.fast_hit(1, 0x8010_0001, 2), None, "misaligned");
        assert_eq!(cpu.fast_hit(1, 0x9010_0ff8, 8), None, "another page in the same slot");
        assert_eq!(cpu.fast_hit(2, 0x8010_0ff8, 8), None, "another table");
        assert_eq!(cpu.fast_hit_plain(1, 0x8010_0ffc, 4), Some((0x1ffc, 0x9000_0ffc)), "aligned");
        assert_eq!(cpu.fast_hit_plain(1, 0x8010_0ff4, 8), None, "unaligned: the entry does not allow it");
        cpu.fast.e[1][0x100].flags = FAST_UNALIGNED;
        assert_eq!(cpu.fast_hit_plain(1, 0x8010_0ff4, 8), Some((0x1ff4, 0x9000_0ff4)), "unaligned within the page");
        assert_eq!(cpu.fast_hit_plain(1, 0x8010_0ff1, 15 + 1), None, "0xff1 + 16 crosses into the next page");
        assert_eq!(cpu.fast_hit_plain(1, 0x8010_0ff1, 8), Some((0x1ff1, 0x9000_0ff1)), "0xff1 + 8 = 0xff9: within");
        assert_eq!(cpu.fast_hit_plain(1, 0x8010_0ffd, 4), None, "0xffd + 4 crosses");
        assert_eq!(cpu.fast_hit(1, 0x8010_0ff4, 8), None, "atomic accesses stay aligned-only");
        assert_eq!(cpu.fast_hit_plain(1, 0x9010_0ff4, 8), None, "another page in the same slot");
        cpu.fast.invalidate();
        assert_eq!(cpu.fast_hit(1, 0x8010_0ff8, 8), None, "an old epoch");
        for _ in 0..253 {
            cpu.fast.invalidate();
        }
        assert_eq!(cpu.fast.epoch, ep, "254 invalidations later the epoch value comes back");
        assert_eq!(cpu.fast_hit(1, 0x8010_0ff8, 8), None, "... but the wrap emptied the tables");
    }

    /// A run boundary spends no epoch (`EPOCH_IDLE`): entries made in a run hit again in
    /// the next one when nothing changed in between, never between runs, and are still
    /// there 1000 turns later (more than the 254 epochs after which a wrap would empty the
    /// tables); an invalidation between runs drops them.
    #[test]
    fn run_boundaries_keep_entries_without_spending_epochs() {
        let mut cpu = Cpu::new(CpuConfig::default());
        cpu.fast_run_boundary(true);
        let ep = cpu.fast.epoch;
        let va_page = 0x8010_0000u64;
        cpu.fast.e[1][0x100] =
            FastEntry { tag: va_page | ep, host_off: 0x1000u64.wrapping_sub(va_page), pa_off: 0x9000_0000 - va_page, flags: 0 };
        assert_eq!(cpu.fast_hit(1, 0x8010_0ff8, 8), Some((0x1ff8, 0x9000_0ff8)));
        for _ in 0..1000 {
            cpu.fast_run_boundary(false);
            assert_eq!(cpu.fast_hit(1, 0x8010_0ff8, 8), None, "nothing hits between runs");
            cpu.fast_run_boundary(true);
        }
        assert_eq!(cpu.fast_hit(1, 0x8010_0ff8, 8), Some((0x1ff8, 0x9000_0ff8)), "kept across 1000 runs");
        cpu.fast_run_boundary(false);
        cpu.fast_invalidate();
        cpu.fast_run_boundary(true);
        assert_eq!(cpu.fast_hit(1, 0x8010_0ff8, 8), None, "an invalidation between runs drops them");
    }

    /// The fetch stamps (`Stamps`): unique and multiples of 8; all renewed by an
    /// invalidation, a missed TLB fill, a clone and `fast_new_stamp`; a page's bucket's
    /// alone by a TLBI's removal of that page's entry and by the eviction of an
    /// executable TLB entry of that page (not of another entry); kept by an exception or
    /// ERET that switches epochs and across a run boundary after which the next run
    /// resumes the kept entries; renewed across one after which it does not, or when the
    /// TLB lost an executable entry in between; 2^16 renewals of one bucket renew all.
    #[test]
    fn fetch_stamp_renewals() {
        let mut cpu = Cpu::new(CpuConfig::default());
        cpu.st.pstate.el = 1;
        cpu.fast_run_boundary(true);
        let (p, q) = (0x80100u64, 0x80101u64);
        assert_ne!(stamp_bucket(p), stamp_bucket(q));
        assert_eq!(stamp_bucket(p), stamp_bucket(p + STAMP_BUCKETS as u64));
        let all = |cpu: &Cpu| cpu.fast.stamp.s;
        let s0 = all(&cpu);
        assert!(s0.iter().all(|&s| s != 0 && s % 8 == 0));
        let other = Cpu::new(CpuConfig::default());
        assert!(all(&other).iter().all(|s| !s0.contains(s)), "unique across PEs");
        let twin = cpu.clone();
        assert!(all(&twin).iter().all(|s| !s0.contains(s)), "a clone gets its own");
        assert_eq!(all(&cpu), s0);
        // Evictions by fills (`tlb_filled` sees every fill: `fills` counts them).
        let fills = cpu.fast.fills;
        cpu.fast.tlb_filled(Some((p, false)), fills + 1);
        assert_eq!(all(&cpu), s0, "a non-executable entry evicted");
        cpu.fast.tlb_filled(None, fills + 2);
        assert_eq!(all(&cpu), s0, "a fill evicting nothing");
        cpu.fast.tlb_filled(Some((p, true)), fills + 3);
        let s1 = all(&cpu);
        assert_ne!(cpu.fast_stamp(p), s0[stamp_bucket(p)], "an executable entry of p evicted");
        assert_eq!(cpu.fast_stamp(p + STAMP_BUCKETS as u64), cpu.fast_stamp(p), "a bucket holds pages");
        assert_eq!(cpu.fast_stamp(q), s0[stamp_bucket(q)], "other buckets kept");
        cpu.fast.tlb_filled(None, fills + 5);
        let s2 = all(&cpu);
        assert!((0..STAMP_BUCKETS).all(|k| s2[k] != s1[k]), "a missed fill renews all");
        // Exceptions and ERET switching epochs, or not.
        cpu.st.pstate.el = 2;
        cpu.fast_after_exception(1);
        cpu.st.pstate.el = 1;
        cpu.fast_after_exception(2);
        cpu.fast_after_exception(1);
        assert_eq!(all(&cpu), s2, "exceptions and returns keep them");
        // TLBI: removals listed (one page) or too many.
        cpu.tlb.start_removals();
        cpu.fast_tlb_removed();
        assert_eq!(all(&cpu), s2, "a TLBI that removed nothing");
        cpu.tlb.insert(crate::mmu::tlb::Entry { ctx: 1, va_page: q, ..Default::default() });
        cpu.fast.fills = cpu.tlb.fills;
        cpu.tlb.start_removals();
        cpu.tlb.invalidate_if(|e| e.va_page == q);
        cpu.fast_tlb_removed();
        let s3 = all(&cpu);
        assert!(s3[stamp_bucket(q)] != s2[stamp_bucket(q)] && s3[stamp_bucket(p)] == s2[stamp_bucket(p)], "a TLBI that removed q's entry");
        cpu.fast.invalidate();
        let s4 = all(&cpu);
        assert!((0..STAMP_BUCKETS).all(|k| s4[k] != s3[k]), "an invalidation");
        cpu.fast_new_stamp();
        let s5 = all(&cpu);
        assert!((0..STAMP_BUCKETS).all(|k| s5[k] != s4[k]), "asked for");
        // Run boundaries.
        cpu.fast_run_boundary(false);
        assert!((0..STAMP_BUCKETS).all(|k| cpu.fast.stamp.s[k] != s5[k]), "not current between runs");
        cpu.fast_run_boundary(true);
        assert_eq!(all(&cpu), s5, "the next run resumes");
        cpu.fast_run_boundary(false);
        let fills = cpu.fast.fills;
        cpu.fast.tlb_filled(Some((0x80200, true)), fills + 1);
        cpu.tlb.fills = fills + 1;
        cpu.fast_run_boundary(true);
        assert_ne!(cpu.fast_stamp(p), s5[stamp_bucket(p)], "an executable entry evicted between runs");
        let s6 = all(&cpu);
        cpu.fast_run_boundary(false);
        cpu.sys.ttbr0[1] ^= 0x1000;
        cpu.fast_run_boundary(true);
        assert_ne!(cpu.fast_stamp(p), s6[stamp_bucket(p)], "a context change between runs");
        // A bucket's count wraps after 2^16 renewals: then every bucket gets a new base.
        let (sp, sq) = (cpu.fast_stamp(p), cpu.fast_stamp(q));
        for _ in 0..(1 << 16) - 1 {
            cpu.fast.stamp.renew_page(p);
        }
        assert_eq!(cpu.fast_stamp(p), sp | 0xffff << 48);
        assert_eq!(cpu.fast_stamp(q), sq);
        cpu.fast.stamp.renew_page(p);
        assert!(cpu.fast_stamp(p) >> 48 == 0 && cpu.fast_stamp(p) != sp && cpu.fast_stamp(q) != sq, "wrapped: all renewed");
    }

    /// Entries made at EL1 hit only at EL1: an exception to EL2 and the ERET back (EL1's
    /// epoch put aside and made current again) keep them, entries made at EL2 do not hit
    /// at EL1 nor EL1's at EL2; an invalidation while at EL2 drops EL1's too.
    #[test]
    fn entries_come_back_with_their_el() {
        let mut cpu = Cpu::new(CpuConfig::default());
        cpu.st.pstate.el = 1;
        cpu.fast_run_boundary(true);
        let put = |cpu: &mut Cpu, page: u64| {
            let ep = cpu.fast.epoch;
            cpu.fast.e[1][page as usize & (FAST_ENTRIES - 1)] = FastEntry { tag: page << 12 | ep, host_off: 0x1000u64.wrapping_sub(page << 12), pa_off: 0, flags: 0 };
        };
        let hit = |cpu: &Cpu, page: u64| cpu.fast_hit(1, page << 12, 8).is_some();
        let (p1, p2) = (0x80100u64, 0x80200u64);
        put(&mut cpu, p1);
        assert!(hit(&cpu, p1));
        // Exception to EL2.
        cpu.st.pstate.el = 2;
        cpu.fast_after_exception(1);
        assert!(!hit(&cpu, p1), "EL1's entry at EL2");
        put(&mut cpu, p2);
        assert!(hit(&cpu, p2));
        // ERET to EL1.
        cpu.st.pstate.el = 1;
        cpu.fast_after_exception(2);
        assert!(hit(&cpu, p1), "EL1's entry back at EL1");
        assert!(!hit(&cpu, p2), "EL2's entry at EL1");
        // Back to EL2: its entry too; an invalidation there drops both ELs' entries.
        cpu.st.pstate.el = 2;
        cpu.fast_after_exception(1);
        assert!(hit(&cpu, p2) && !hit(&cpu, p1));
        cpu.fast_invalidate();
        cpu.st.pstate.el = 1;
        cpu.fast_after_exception(2);
        assert!(!hit(&cpu, p1) && !hit(&cpu, p2), "invalidated while at EL2");
    }

    /// The rule itself, on `FastMem` alone: entries survive fills, an eviction drops the
    /// evicted VA page (bits 55:12, any tag byte) in every table, a fill `FastMem` did not
    /// see drops everything.
    #[test]
    fn tlb_filled_rules() {
        let mut f = FastMem::default();
        let put = |f: &mut FastMem, ty: usize, page: u64| {
            let ep = f.epoch;
            f.e[ty][page as usize & (FAST_ENTRIES - 1)] = FastEntry { tag: page << 12 | ep, host_off: 1, pa_off: 0, flags: 0 };
        };
        let has = |f: &FastMem, ty: usize, page: u64| {
            let e = &f.e[ty][page as usize & (FAST_ENTRIES - 1)];
            e.tag == page << 12 | f.epoch
        };
        let (p, q) = (0x80100u64, 0x80101u64);
        let tagged = p | 0x5a << 44; // VA with tag byte 0x5a (TBI): same TLB page as p
        put(&mut f, 0, p);
        put(&mut f, 1, tagged);
        put(&mut f, 2, q);
        f.code = f.e[0][p as usize & (FAST_ENTRIES - 1)];
        f.tlb_filled(None, 1);
        f.tlb_filled(Some((p + FAST_ENTRIES as u64, true)), 2); // p's FastMem slot, another page
        assert!(has(&f, 0, p) && has(&f, 1, tagged) && has(&f, 2, q) && f.code.page() == p);
        f.tlb_filled(Some((p, true)), 3);
        assert!(!has(&f, 0, p) && !has(&f, 1, tagged) && f.code.page() != p, "evicted page dropped");
        assert!(has(&f, 2, q), "other pages kept");
        f.tlb_filled(Some((0x1, true)), 5); // fill 4 was missed
        assert!(!has(&f, 2, q), "a missed fill drops everything");
        assert_eq!(f.fills, 5);
    }
}
