//! The TLB: a direct-mapped cache of complete (stage 1 + stage 2) translations, one entry
//! per 4KB VA page, tagged by translation context (regime, security state, stage enables,
//! VMID) and by ASID unless global. Entries keep the sizes of the blocks they came from so
//! TLBI by VA or by IPA removes every entry the block covered.
//!
//! Only successful walks are cached (faults never are), as the architecture requires.
//! Caching is never required, so invalidating more than asked is always correct; lsemu
//! still scopes invalidations exactly (by VMID, ASID, global, VA, IPA).

/// Number of entries (a power of two). Bounded: 2048 entries of 48 bytes per PE.
pub const TLB_ENTRIES: usize = 2048;

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
}

/// How many removed entries `Tlb::removals` reports one by one.
const REMOVED_MAX: usize = 8;

impl Default for Tlb {
    fn default() -> Self {
        Tlb {
            entries: vec![Entry::default(); TLB_ENTRIES].into_boxed_slice(),
            fills: 0,
            misses: 0,
            invalidations: 0,
            flushes: 0,
            removed: [0; REMOVED_MAX],
            removed_n: REMOVED_MAX + 1,
        }
    }
}

impl std::fmt::Debug for Tlb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let valid = self.entries.iter().filter(|e| e.ctx != 0).count();
        f.debug_struct("Tlb").field("valid", &valid).field("fills", &self.fills).finish()
    }
}

/// The slot of a page. The context tag and the ASID are hashed in so that processes and
/// VMs do not evict each other (global entries use ASID 0).
#[inline]
fn index(va_page: u64, ctx: u32, asid: u16) -> usize {
    let salt = (ctx >> 3).wrapping_mul(0x9e37_79b1) >> 21 ^ (asid as u32).wrapping_mul(0x9e5);
    ((va_page ^ (va_page >> 25)) as usize ^ salt as usize) & (TLB_ENTRIES - 1)
}

/// Field layout of a context tag (see `Ctx::tag` in mod.rs).
pub const TAG_REGIME_MASK: u32 = 0x7;
pub const TAG_VMID_SHIFT: u32 = 16;

impl Tlb {
    /// The entry for `va_page` in context `ctx` with current ASID `asid`. Non-global
    /// entries live in a slot hashed with their ASID, global ones in the slot of ASID 0.
    #[inline]
    pub fn lookup(&self, ctx: u32, asid: u16, va_page: u64) -> Option<&Entry> {
        let e = &self.entries[index(va_page, ctx, asid)];
        if e.ctx == ctx && e.va_page == va_page && (e.global || e.asid == asid) {
            return Some(e);
        }
        let g = &self.entries[index(va_page, ctx, 0)];
        if g.ctx == ctx && g.va_page == va_page && g.global {
            return Some(g);
        }
        None
    }

    /// Caches `e` in its slot; returns the VA page (`Entry::va_page`) of the valid entry
    /// it evicted, if any (whatever its context), so that caches built on top of the TLB
    /// (`mem::FastMem`) can drop what they hold of it.
    pub fn insert(&mut self, e: Entry) -> Option<u64> {
        self.fills = self.fills.wrapping_add(1);
        let asid = if e.global { 0 } else { e.asid };
        let slot = &mut self.entries[index(e.va_page, e.ctx, asid)];
        let evicted = (slot.ctx != 0).then_some(slot.va_page);
        *slot = e;
        evicted
    }

    /// Removes every entry for which `f` holds.
    pub fn invalidate_if(&mut self, f: impl FnMut(&Entry) -> bool) {
        self.invalidations = self.invalidations.wrapping_add(1);
        self.remove_if(f);
    }

    fn remove_if(&mut self, mut f: impl FnMut(&Entry) -> bool) {
        for e in self.entries.iter_mut() {
            if e.ctx != 0 && f(e) {
                e.ctx = 0;
                if self.removed_n < REMOVED_MAX {
                    self.removed[self.removed_n] = e.va_page;
                    self.removed_n += 1;
                } else {
                    self.removed_n = REMOVED_MAX + 1;
                }
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
        self.entries.iter().filter(|e| e.ctx != 0)
    }

    /// Number of valid entries.
    pub fn len(&self) -> usize {
        self.entries.iter().filter(|e| e.ctx != 0).count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries of regime code `regime` (and VMID `vmid` when given).
    pub(crate) fn inv_ctx(&mut self, regime: u32, vmid: Option<u16>, mut f: impl FnMut(&Entry) -> bool) {
        self.invalidate_if(|e| {
            e.ctx & TAG_REGIME_MASK == regime
                && vmid.is_none_or(|v| (e.ctx >> TAG_VMID_SHIFT) as u16 == v)
                && f(e)
        });
    }

    pub(crate) fn inv_va(&mut self, regime: u32, vmid: Option<u16>, asid: Option<u16>, va: u64) {
        self.inv_ctx(regime, vmid, |e| e.covers_va(va) && asid.is_none_or(|a| e.global || e.asid == a));
    }

    pub(crate) fn inv_ipa(&mut self, regime: u32, vmid: u16, ipa: u64) {
        self.inv_ctx(regime, Some(vmid), |e| e.covers_ipa(ipa));
    }
}
