//! The TLB: a set-associative cache of complete (stage 1 + stage 2) translations, one
//! entry per 4KB VA page, the set chosen by the VA page, tagged by translation context
//! (regime, security state, stage enables, VMID) and by ASID unless global. Entries keep
//! the sizes of the blocks they came from so TLBI by VA or by IPA removes every entry the
//! block covered.
//!
//! A TLBI by VA looks at the one set of the VA's page, and scans the whole TLB only when
//! an entry of a larger block containing that VA may be cached (`Tlb::large` counts the
//! cached entries per block); a TLBI by IPA scans only when stage-2 entries are cached.
//!
//! Only successful walks are cached (faults never are), as the architecture requires.
//! Caching is never required, so invalidating more than asked is always correct; lsemu
//! still scopes invalidations exactly (by VMID, ASID, global, VA, IPA).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Number of entries (a power of two): `TLB_SETS` sets of `TLB_WAYS` ways. Bounded:
/// 4096 entries of 48 bytes (plus an 8-byte key each), 224 KiB per PE.
pub const TLB_ENTRIES: usize = TLB_SETS * TLB_WAYS;
/// Sets, selected by the VA page alone, so that a TLBI by VA looks at one set (plus the
/// large-block entries, see `Tlb::large`). 1024: in the 1-vCPU Linux boot, 23 K of the
/// 135 K walks with 512 sets re-walked an entry a fill had evicted; 1024 sets walk 9 K
/// fewer times, 2048 sets 16 K fewer, for the same host instruction count (cachegrind:
/// the rest of the walks follow TLBIs the guest asked for, or are first touches).
pub const TLB_SETS: usize = 1024;
/// Ways per set: different contexts and ASIDs mapping the same VA share a set.
pub const TLB_WAYS: usize = 4;

/// Permission bits of an entry (stage 1: privileged and unprivileged; stage 2).
pub const P_R: u8 = 1;
pub const P_W: u8 = 2;
pub const P_X: u8 = 4;
/// Unprivileged (EL0) permissions are the privileged ones shifted left by this.
pub const USER_SHIFT: u8 = 3;

/// One cached translation of a 4KB VA page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Entry {
    /// Context tag (`Ctx::tag`); 0 = invalid.
    pub ctx: u32,
    pub asid: u16,
    pub global: bool,
    /// VA >> 12 (the VA with TBI applied: bits 63:56 a copy of bit 55 when TBI is on).
    pub va_page: u64,
    /// PA >> 12.
    pub pa_page: u64,
    /// IPA >> 12 (equal to `va_page` without stage 1).
    pub ipa_page: u64,
    /// log2 size of the stage-1 block (the VA range a TLBI by VA must remove).
    pub s1_log2: u8,
    /// log2 size of the stage-2 block (for TLBI by IPA); 0 without stage 2.
    pub s2_log2: u8,
    /// Stage-1 permissions (`P_*` privileged, `P_* << USER_SHIFT` unprivileged).
    pub perms: u8,
    /// Stage-2 permissions (`P_*`); all set without stage 2.
    pub s2perms: u8,
    pub s1_level: u8,
    pub s2_level: u8,
    /// Combined attributes, MAIR format, for data accesses and for instruction fetches
    /// (they differ only with stage 1 disabled).
    pub attr: u8,
    pub attr_x: u8,
    /// Combined shareability.
    pub sh: u8,
    /// Output is Non-secure.
    pub ns: bool,
    /// Stage-1 (data) attributes are Device / stage-2 attributes are Device: unaligned
    /// data accesses give a stage-1 / stage-2 alignment fault.
    pub s1_device: bool,
    pub s2_device: bool,
    pub has_s2: bool,
}

const _: () = assert!(std::mem::size_of::<Entry>() <= 48);

impl Entry {
    /// Whether an instruction fetch at some EL could pass the permission checks with this
    /// entry (stage 1 execute permission, privileged or unprivileged, and stage 2's).
    #[inline]
    pub fn executable(&self) -> bool {
        self.perms & (P_X | P_X << USER_SHIFT) != 0 && self.s2perms & P_X != 0
    }

    /// Whether this entry translates any part of the VA block containing `va`.
    #[inline]
    fn covers_va(&self, va: u64) -> bool {
        let m = !((1u64 << self.s1_log2.clamp(12, 63)) - 1);
        (self.va_page << 12) & m == va & m
    }
    #[inline]
    pub(crate) fn covers_ipa(&self, ipa: u64) -> bool {
        let m = !((1u64 << self.s2_log2.clamp(12, 63)) - 1);
        self.has_s2 && (self.ipa_page << 12) & m == ipa & m
    }
}

/// The TLB of one PE.
#[derive(Clone)]
pub struct Tlb {
    entries: Box<[Entry]>,
    /// `Entry::va_page` of each valid entry, `NO_KEY` for an invalid one (a set's keys
    /// fill one host cache line: lookups compare these first).
    keys: Box<[u64]>,
    /// Fills since reset (statistics).
    pub fills: u64,
    /// Lookups that missed (each then walks: a fill, or a fault); statistics. Accesses
    /// served by the interpreter's host-pointer cache never look up the TLB.
    pub misses: u64,
    /// Invalidation operations applied (TLBI, local or broadcast) and whole flushes.
    pub invalidations: u64,
    pub flushes: u64,
    /// VA pages of the entries removed since `start_removals` (the first `removed_n`),
    /// `removed_n == REMOVED_MAX + 1` if there were more.
    removed: [u64; REMOVED_MAX],
    removed_n: usize,
    /// Valid entries of blocks larger than 4KB (stage-1 size, `Entry::s1_log2`), counted
    /// per block: key `large_key`. Whatever their context.
    large: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    /// Bit n set: some valid entry has an n-bit stage-1 block (n > 12).
    large_sizes: u64,
    /// Number of valid entries per stage-1 block size (index log2).
    large_n: [u32; 64],
    /// Number of valid entries with stage 2 (`Entry::has_s2`).
    s2_n: u32,
    /// Per set: the way the next fill replaces when the set is full (the ways are
    /// replaced in turn, oldest fill first).
    next: Box<[u8]>,
}

/// Key of an invalid entry (a VA page never has its top 12 bits set).
const NO_KEY: u64 = u64::MAX;

/// How many removed entries `Tlb::removals` reports one by one.
const REMOVED_MAX: usize = 8;

/// A multiplicative hasher for the `u64` keys of `Tlb::large` (and the small fixed keys
/// of the system register table, `sysreg::table`: SipHash's defence against chosen keys
/// buys nothing for either).
#[derive(Default, Clone, Copy)]
pub(crate) struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (v ^ v >> 29).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

impl Default for Tlb {
    fn default() -> Self {
        Tlb {
            entries: vec![Entry::default(); TLB_ENTRIES].into_boxed_slice(),
            keys: vec![NO_KEY; TLB_ENTRIES].into_boxed_slice(),
            fills: 0,
            misses: 0,
            invalidations: 0,
            flushes: 0,
            removed: [0; REMOVED_MAX],
            removed_n: REMOVED_MAX + 1,
            large: HashMap::default(),
            large_sizes: 0,
            large_n: [0; 64],
            s2_n: 0,
            next: vec![0; TLB_SETS].into_boxed_slice(),
        }
    }
}

impl std::fmt::Debug for Tlb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tlb").field("valid", &self.len()).field("fills", &self.fills).finish()
    }
}

/// The first entry of the set of a page.
#[inline]
fn set_of(va_page: u64) -> usize {
    ((va_page ^ (va_page >> 25)) as usize & (TLB_SETS - 1)) * TLB_WAYS
}

/// The stage-1 block size of an entry (log2, at least 12).
#[inline]
fn s1_size(e: &Entry) -> u32 {
    e.s1_log2.clamp(12, 63) as u32
}

/// `Tlb::large` key of the `log2`-bit block containing `va` (a block base has its low
/// 13 bits clear, the size fits in them).
#[inline]
fn large_key(va: u64, log2: u32) -> u64 {
    (va & !((1u64 << log2) - 1)) | log2 as u64
}

/// Field layout of a context tag (see `Ctx::tag` in mod.rs).
pub const TAG_REGIME_MASK: u32 = 0x7;
pub const TAG_VMID_SHIFT: u32 = 16;

impl Tlb {
    /// The entry for `va_page` in context `ctx` with current ASID `asid` (a global entry,
    /// or a non-global one of that ASID).
    #[inline]
    pub fn lookup(&self, ctx: u32, asid: u16, va_page: u64) -> Option<&Entry> {
        let s = set_of(va_page);
        for i in s..s + TLB_WAYS {
            if self.keys[i] == va_page {
                let e = &self.entries[i];
                if e.ctx == ctx && (e.global || e.asid == asid) {
                    return Some(e);
                }
            }
        }
        None
    }

    /// Caches `e` in its set (an invalid way, else the ways in turn); returns the VA
    /// page (`Entry::va_page`) of the valid entry it evicted, if any (whatever its
    /// context), and whether that entry was `Entry::executable`, so that caches built on
    /// top of the TLB (`mem::FastMem`) can drop what they hold of it.
    pub fn insert(&mut self, e: Entry) -> Option<(u64, bool)> {
        if e.ctx == 0 {
            return None; // not a valid entry: nothing to cache
        }
        self.fills = self.fills.wrapping_add(1);
        let s = set_of(e.va_page);
        let i = match (s..s + TLB_WAYS).find(|&i| self.keys[i] == NO_KEY) {
            Some(i) => i,
            None => {
                let n = &mut self.next[s / TLB_WAYS];
                let w = *n as usize;
                *n = ((w + 1) % TLB_WAYS) as u8;
                s + w
            }
        };
        let evicted = (self.keys[i] != NO_KEY).then(|| {
            self.forget(i);
            (self.entries[i].va_page, self.entries[i].executable())
        });
        self.entries[i] = e;
        self.keys[i] = e.va_page;
        let l = s1_size(&e);
        if l > 12 {
            *self.large.entry(large_key(e.va_page << 12, l)).or_insert(0) += 1;
            self.large_n[l as usize] += 1;
            self.large_sizes |= 1 << l;
        }
        if e.has_s2 {
            self.s2_n += 1;
        }
        evicted
    }

    /// Undoes the bookkeeping of valid entry `i` (about to be replaced or removed).
    fn forget(&mut self, i: usize) {
        let e = &self.entries[i];
        let l = s1_size(e);
        if l > 12 {
            let k = large_key(e.va_page << 12, l);
            if let Some(n) = self.large.get_mut(&k) {
                *n -= 1;
                if *n == 0 {
                    self.large.remove(&k);
                }
            }
            self.large_n[l as usize] -= 1;
            if self.large_n[l as usize] == 0 {
                self.large_sizes &= !(1 << l);
            }
        }
        if e.has_s2 {
            self.s2_n -= 1;
        }
    }

    /// Removes valid entry `i`, recording its VA page (see `removals`).
    fn kill(&mut self, i: usize) {
        self.forget(i);
        self.keys[i] = NO_KEY;
        let e = &mut self.entries[i];
        e.ctx = 0;
        if self.removed_n < REMOVED_MAX {
            self.removed[self.removed_n] = e.va_page;
            self.removed_n += 1;
        } else {
            self.removed_n = REMOVED_MAX + 1;
        }
    }

    /// Removes every entry for which `f` holds.
    pub fn invalidate_if(&mut self, f: impl FnMut(&Entry) -> bool) {
        self.invalidations = self.invalidations.wrapping_add(1);
        self.remove_if(f);
    }

    fn remove_if(&mut self, mut f: impl FnMut(&Entry) -> bool) {
        for i in 0..TLB_ENTRIES {
            if self.keys[i] != NO_KEY && f(&self.entries[i]) {
                self.kill(i);
            }
        }
    }

    /// Starts recording the VA pages of removed entries (see `removals`).
    pub(crate) fn start_removals(&mut self) {
        self.removed_n = 0;
    }

    /// The VA pages (`Entry::va_page`) of the entries removed since `start_removals`, or
    /// None if there were more than a few (or no recording was started).
    pub(crate) fn removals(&self) -> Option<&[u64]> {
        self.removed.get(..self.removed_n)
    }

    pub fn flush(&mut self) {
        self.flushes = self.flushes.wrapping_add(1);
        self.remove_if(|_| true);
    }

    /// The valid entries (for the debugger's `monitor tlb`).
    pub fn valid_entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().zip(self.keys.iter()).filter(|(_, &k)| k != NO_KEY).map(|(e, _)| e)
    }

    /// Number of valid entries.
    pub fn len(&self) -> usize {
        self.keys.iter().filter(|&&k| k != NO_KEY).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries of regime code `regime` (and VMID `vmid` when given).
    pub(crate) fn inv_ctx(&mut self, regime: u32, vmid: Option<u16>, f: impl FnMut(&Entry) -> bool) {
        self.invalidations = self.invalidations.wrapping_add(1);
        self.remove_if(ctx_filter(regime, vmid, f));
    }

    /// Entries of regime `regime` (and VMID `vmid` when given) whose stage-1 block
    /// contains `va`, global or of ASID `asid` (any ASID if None).
    pub(crate) fn inv_va(&mut self, regime: u32, vmid: Option<u16>, asid: Option<u16>, va: u64) {
        self.invalidations = self.invalidations.wrapping_add(1);
        let f = ctx_filter(regime, vmid, |e| e.covers_va(va) && asid.is_none_or(|a| e.global || e.asid == a));
        // Might an entry of a larger block contain `va`? Then scan everything.
        let mut sizes = self.large_sizes;
        while sizes != 0 {
            let l = sizes.trailing_zeros();
            sizes &= sizes - 1;
            if self.large.contains_key(&large_key(va, l)) {
                return self.remove_if(f);
            }
        }
        // Otherwise only 4KB entries of the page of `va` can match: they are in its set.
        let mut f = f;
        let s = set_of(va >> 12);
        for i in s..s + TLB_WAYS {
            if self.keys[i] != NO_KEY && f(&self.entries[i]) {
                self.kill(i);
            }
        }
    }

    /// Entries of regime `regime` (and VMID `vmid` when given) whose stage-2 block
    /// contains `ipa`.
    pub(crate) fn inv_ipa(&mut self, regime: u32, vmid: Option<u16>, ipa: u64) {
        self.invalidations = self.invalidations.wrapping_add(1);
        if self.s2_n != 0 {
            self.remove_if(ctx_filter(regime, vmid, |e| e.covers_ipa(ipa)));
        }
    }
}

/// `f`, restricted to the entries of regime code `regime` (and VMID `vmid` when given).
#[inline]
fn ctx_filter(regime: u32, vmid: Option<u16>, mut f: impl FnMut(&Entry) -> bool) -> impl FnMut(&Entry) -> bool {
    move |e| {
        e.ctx & TAG_REGIME_MASK == regime && vmid.is_none_or(|v| (e.ctx >> TAG_VMID_SHIFT) as u16 == v) && f(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The Arm ARM rules for TLBI by VA and by IPA, written out over single entries
    /// (D8.14: an entry is removed if it is of the regime and VMID, its block contains the
    /// address, and it is global or of the ASID; by IPA: its stage-2 block contains the IPA).
    fn by_va(e: &Entry, regime: u32, vmid: Option<u16>, asid: Option<u16>, va: u64) -> bool {
        let size = 1u64 << e.s1_log2.max(12);
        let base = (e.va_page << 12) & !(size - 1);
        e.ctx & 7 == regime
            && vmid.is_none_or(|v| e.ctx >> 16 == v as u32)
            && va >= base
            && va - base < size
            && asid.is_none_or(|a| e.global || e.asid == a)
    }
    fn by_ipa(e: &Entry, regime: u32, vmid: Option<u16>, ipa: u64) -> bool {
        let size = 1u64 << e.s2_log2.max(12);
        let base = (e.ipa_page << 12) & !(size - 1);
        e.ctx & 7 == regime && vmid.is_none_or(|v| e.ctx >> 16 == v as u32) && e.has_s2 && ipa >= base && ipa - base < size
    }

    /// Random fills and TLBIs by VA / IPA over a few contexts, ASIDs, global and
    /// non-global pages of 4KB, 64KB, 2MB and 1GB blocks (stage 1) and 4KB/2MB stage-2
    /// blocks: every TLBI removes exactly the entries the rules above select, whether it
    /// took the one-set path or the full scan.
    #[test]
    fn tlbi_removes_exactly_what_the_rules_select() {
        let mut t = Tlb::default();
        let mut seed = 0x5eed_1234_abcd_0001u64;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        // Pages near a few bases, so that blocks, pages and TLBIs overlap.
        let bases = [0x4000_0000u64, 0xffff_8000_0020_0000 & ((1 << 56) - 1) | 0xff00_0000_0000_0000, 0x7f_fff0_0000];
        let (mut full, mut one_set) = (0u32, 0u32);
        for round in 0..20_000 {
            let r = rnd();
            let va = bases[(r % 3) as usize].wrapping_add((r >> 8) % (1 << 22) & !0xfff);
            if r >> 60 < 11 {
                let s1_log2 = [12u8, 12, 12, 16, 21, 30][(r >> 24) as usize % 6];
                let has_s2 = r >> 30 & 1 == 1;
                let e = Entry {
                    ctx: (1 + (r >> 32) as u32 % 2) | ((r >> 34) as u32 % 3) << 16,
                    asid: (r >> 36) as u16 % 3,
                    global: r >> 38 & 1 == 1,
                    va_page: va >> 12,
                    pa_page: 0x8_0000 + (va >> 12 & 0xfff),
                    ipa_page: if has_s2 { 0x4_0000 + (va >> 12 & 0x3ff) } else { va >> 12 },
                    s1_log2,
                    s2_log2: if has_s2 { [12u8, 21][(r >> 40) as usize % 2] } else { 0 },
                    has_s2,
                    ..Entry::default()
                };
                t.insert(e);
                continue;
            }
            let before: Vec<Entry> = t.valid_entries().copied().collect();
            let regime = 1 + (r >> 32) as u32 % 2;
            let vmid = if r >> 34 & 1 == 1 { Some((r >> 35) as u16 % 3) } else { None };
            let by_ipa_op = r >> 40 & 3 == 0;
            let addr = if by_ipa_op { (0x4_0000 + ((r >> 44) & 0x3ff)) << 12 } else { va | (r >> 44 & 0xfff) };
            let asid = if r >> 42 & 1 == 1 { Some((r >> 43) as u16 % 3) } else { None };
            let sel = |e: &Entry| if by_ipa_op { by_ipa(e, regime, vmid, addr) } else { by_va(e, regime, vmid, asid, addr & !0xfff) };
            if by_ipa_op {
                t.inv_ipa(regime, vmid, addr);
            } else {
                if t.large.keys().any(|&k| { let l = k & 63; addr >> l == (k & !63) >> l }) { full += 1 } else { one_set += 1 }
                t.inv_va(regime, vmid, asid, addr & !0xfff);
            }
            let after: Vec<Entry> = t.valid_entries().copied().collect();
            let expect: Vec<Entry> = before.iter().filter(|e| !sel(e)).copied().collect();
            let mut a = after.clone();
            let mut x = expect.clone();
            a.sort_by_key(|e| (e.va_page, e.ctx, e.asid, e.global));
            x.sort_by_key(|e| (e.va_page, e.ctx, e.asid, e.global));
            assert_eq!(a, x, "round {round}: TLBI of {addr:#x} (ipa {by_ipa_op}) regime {regime} vmid {vmid:?} asid {asid:?}");
            // The large-block and stage-2 bookkeeping matches the entries.
            assert_eq!(t.s2_n as usize, after.iter().filter(|e| e.has_s2).count());
            assert_eq!(t.large.values().map(|&n| n as usize).sum::<usize>(), after.iter().filter(|e| e.s1_log2 > 12).count());
        }
        // Both paths of inv_va ran many times.
        assert!(full > 200 && one_set > 200, "full scans {full}, one-set {one_set}");
    }

    /// `Entry::executable` (what an eviction reports, for `mem::FastMem`'s fetch stamp):
    /// a fetch needs execute permission at stage 1 (privileged or unprivileged) and, with
    /// stage 2, at stage 2; an evicted entry reports it.
    #[test]
    fn executable_needs_x_at_both_stages() {
        let e = |perms: u8, s2perms: u8| Entry { ctx: 1, va_page: 0x777, perms, s2perms, ..Entry::default() };
        assert!(e(P_R | P_X, P_R | P_X).executable(), "privileged execute");
        assert!(e(P_R | (P_R | P_X) << USER_SHIFT, P_R | P_W | P_X).executable(), "unprivileged execute");
        assert!(!e(P_R | P_W | (P_R | P_W) << USER_SHIFT, P_R | P_W | P_X).executable(), "no stage 1 X");
        assert!(!e(P_R | P_X, P_R | P_W).executable(), "stage 2 XN");
        let mut t = Tlb::default();
        for ctx in 1..=TLB_WAYS as u32 {
            assert_eq!(t.insert(Entry { ctx, ..e(P_X, P_X) }), None);
        }
        assert_eq!(t.insert(Entry { ctx: 9, ..e(P_R, P_R) }), Some((0x777, true)), "the oldest (executable) way");
        assert_eq!(t.insert(Entry { ctx: 10, ..e(P_R, P_R) }), Some((0x777, true)));
    }

    /// Lookups: a global entry matches every ASID, a non-global one only its own; other
    /// contexts never match; the ways of a set hold different contexts of one page.
    #[test]
    fn lookup_global_asid_and_ways() {
        let mut t = Tlb::default();
        let e = |ctx, asid, global, pa| Entry { ctx, asid, global, va_page: 0x12345, pa_page: pa, ..Entry::default() };
        assert_eq!(t.insert(e(1, 7, false, 1)), None);
        assert_eq!(t.insert(e(2, 0, true, 2)), None);
        assert_eq!(t.insert(e(1 | 3 << 16, 8, false, 3)), None);
        assert_eq!(t.lookup(1, 7, 0x12345).map(|e| e.pa_page), Some(1));
        assert_eq!(t.lookup(1, 8, 0x12345), None, "non-global entry of ASID 7 only");
        assert_eq!(t.lookup(2, 9, 0x12345).map(|e| e.pa_page), Some(2), "global: any ASID");
        assert_eq!(t.lookup(1 | 3 << 16, 8, 0x12345).map(|e| e.pa_page), Some(3));
        assert_eq!(t.lookup(3, 7, 0x12345), None, "other context");
        assert_eq!(t.lookup(1, 7, 0x12346), None, "other page");
        // A fifth entry for the page's set evicts the oldest of the four (and reports its
        // page).
        assert_eq!(t.insert(e(4, 1, false, 4)), None);
        assert_eq!(t.len(), 4);
        assert_eq!(t.insert(e(5, 1, false, 5)), Some((0x12345, false)));
        assert_eq!(t.len(), 4);
        assert_eq!(t.lookup(1, 7, 0x12345), None, "the oldest fill was replaced");
        assert_eq!(t.lookup(5, 1, 0x12345).map(|e| e.pa_page), Some(5));
        // TLBI by VA with ASID 5 in regime 2, VMID 0 removes the global entry of context 2
        // (a global entry matches any ASID), nothing else.
        t.start_removals();
        t.inv_va(2, Some(0), Some(5), 0x12345 << 12 | 0x80);
        assert_eq!(t.lookup(2, 9, 0x12345), None);
        assert_eq!(t.removals(), Some(&[0x12345][..]));
        assert_eq!(t.len(), 3);
    }
}
