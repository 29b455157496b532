//! Write-through cache of guest registers in callee-saved host registers, within a block.
//!
//! Guest registers live in `Cpu`: every native instruction stores its result there. A
//! result that the next few instructions read again would come back through the store
//! buffer (store-to-load forwarding: several cycles on every link of a dependency chain,
//! such as the carry chains of the kernel's multi-precision arithmetic, `mpihelp_*`).
//! `Em::store` therefore also copies the value into one of `HOST` (r13, r14, r15, rbp:
//! callee-saved, so call-outs preserve them), and `Em::load` reads such a copy with a
//! register move. Memory stays the truth (write-through): forgetting an entry is always
//! correct, keeping one is correct only while the host register equals the guest register
//! on every path reaching the code being emitted.
//!
//! r9 and r11 serve as two more slots (caller-saved: a call-out clobbers them, but every
//! call-out forgets or reloads all entries, see below); an inline access that needs them
//! (a pair: r9; a writeback: r11) reserves them first (`RegCache::reserve`), for the rest
//! of that instruction.
//!
//! Entries are made and used only while `RegCache::on` (set by `emit::native` for the
//! instruction classes whose native code writes guest registers through `Em::store` /
//! `Em::store_imm` only and joins paths only where every path holds the same entries:
//! data processing, integer loads/stores, branches). Any other instruction forgets every
//! entry before its code (it may write guest registers in other ways, or use r13/r14, as
//! `native3` does), as does a call-out, the deferred cold code (emitted after the block,
//! reached from anywhere), and the fallback of an inline access reloads every entry from
//! `Cpu` after its call-out (`emit::finish_access`), so that both paths meet with the
//! same entries.

/// The host registers holding cached guest registers: r13, r14, r15, rbp, r9, r11.
const HOST: [u8; 6] = [13, 14, 15, 5, 9, 11];
const N: usize = HOST.len();

/// `RegCache::entries`: the first `.1` of `.0` (no allocation: translation makes one per
/// inline access).
#[derive(Clone, Copy, Default)]
pub(super) struct Entries(pub [(u8, i32); N], pub usize);

impl Entries {
    pub fn iter(&self) -> impl Iterator<Item = &(u8, i32)> {
        self.0[..self.1].iter()
    }
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.1
    }
    #[cfg(test)]
    pub fn is_empty(&self) -> bool {
        self.1 == 0
    }
}

/// Up to three host registers (`RegCache::bind_avoiding`) without allocating.
pub(super) fn regs(r: [Option<u8>; 3]) -> ([u8; 3], usize) {
    let mut out = ([0u8; 3], 0);
    for h in r.into_iter().flatten() {
        out.0[out.1] = h;
        out.1 += 1;
    }
    out
}

#[derive(Default)]
pub(super) struct RegCache {
    /// The `Cpu` offset of the guest register each of `HOST` holds.
    slot: [Option<i32>; N],
    /// When each slot was last used (for replacing the least recently used one).
    used: [u32; N],
    tick: u32,
    /// Slots not to be used in the current instruction (`reserve`), a bit per slot.
    reserved: u8,
    /// Entries may be made and used (see the module documentation).
    pub on: bool,
    /// The block's next instruction is of a class that uses the cache (`aware`): a
    /// plain store (`Em::store`) copies its register only then.
    pub next: bool,
}

/// The instruction classes whose native code keeps the cache (`RegCache::on`). Branches
/// that write X30 or call out are left out (nothing can read the cache after a branch:
/// the block ends).
pub(super) fn aware(insn: &cpu_aarch64::decode::Insn) -> bool {
    use cpu_aarch64::decode::{Branch, Insn};
    matches!(
        insn,
        Insn::DpImm(_)
            | Insn::DpReg(_)
            | Insn::Ldst(_)
            | Insn::Branch(Branch::Cbz { .. } | Branch::Cbnz { .. } | Branch::Tbz { .. } | Branch::Tbnz { .. } | Branch::BCond { .. } | Branch::BUncond { .. })
    )
}

impl RegCache {
    /// The host register holding the guest register at `off`, if cached and `on`.
    pub fn find(&mut self, off: i32) -> Option<u8> {
        if !self.on {
            return None;
        }
        let i = self.slot.iter().position(|s| *s == Some(off))?;
        self.tick = self.tick.wrapping_add(1);
        self.used[i] = self.tick;
        Some(HOST[i])
    }

    /// Forgets every entry.
    pub fn clear(&mut self) {
        self.slot = [None; N];
    }

    /// Keeps host register `h` out of the cache until `release` (forgetting what it held):
    /// the code being emitted uses it for something else.
    pub fn reserve(&mut self, h: u8) {
        if let Some(i) = HOST.iter().position(|&x| x == h) {
            self.slot[i] = None;
            self.reserved |= 1 << i;
        }
    }

    /// Ends every `reserve`.
    pub fn release(&mut self) {
        self.reserved = 0;
    }

    /// Forgets the entry of the guest register at `off`.
    pub fn forget(&mut self, off: i32) {
        for s in self.slot.iter_mut() {
            if *s == Some(off) {
                *s = None;
            }
        }
    }

    /// The host register that is to hold the guest register at `off` (its slot, a free
    /// one or the least recently used one), recorded as holding it: the caller emits the
    /// move right away. None when not `on` (the entry is forgotten).
    pub fn bind(&mut self, off: i32) -> Option<u8> {
        if !self.on {
            self.forget(off);
            return None;
        }
        let free = |i: &usize| self.reserved & (1 << *i) == 0;
        let Some(i) = (0..N)
            .filter(free)
            .find(|&i| self.slot[i] == Some(off))
            .or_else(|| (0..N).filter(free).find(|&i| self.slot[i].is_none()))
            .or_else(|| (0..N).filter(free).min_by_key(|&i| self.used[i]))
        else {
            self.forget(off);
            return None;
        };
        self.tick = self.tick.wrapping_add(1);
        self.used[i] = self.tick;
        self.slot[i] = Some(off);
        Some(HOST[i])
    }

    /// Every entry: (host register, `Cpu` offset) (a copy, kept by deferred code).
    pub fn entries(&self) -> Entries {
        let mut e = Entries::default();
        for (s, h) in self.slot.iter().zip(HOST) {
            if let Some(o) = s {
                e.0[e.1] = (h, *o);
                e.1 += 1;
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_find_forget_and_lru() {
        let mut c = RegCache { on: true, ..RegCache::default() };
        let a = c.bind(8).unwrap();
        let b = c.bind(16).unwrap();
        assert_ne!(a, b);
        assert_eq!(c.bind(8), Some(a), "a cached register keeps its slot");
        c.bind(24);
        c.bind(32);
        c.bind(48);
        c.bind(56);
        assert_eq!(c.entries().len(), 6);
        // 16 is now the least recently used: a seventh register replaces it.
        assert_eq!(c.find(8), Some(a));
        let e = c.bind(40).unwrap();
        assert_eq!(e, b);
        assert_eq!(c.find(16), None);
        c.forget(8);
        assert_eq!(c.find(8), None);
        c.on = false;
        assert_eq!(c.find(40), None, "not used while off");
        assert_eq!(c.bind(24), None);
        c.on = true;
        assert_eq!(c.find(24), None, "bind while off forgets");
        c.clear();
        assert!(c.entries().is_empty());
        // A reserved register is neither used nor given out.
        let h = c.bind(8).unwrap();
        c.reserve(h);
        assert_eq!(c.find(8), None);
        for off in 0..8 {
            assert_ne!(c.bind(off * 8), Some(h));
        }
        c.release();
        assert!((0..20).any(|off| c.bind(100 + off * 8) == Some(h)));
    }
}

impl RegCache {
    /// `bind`, but never choosing one of the host registers `avoid` (they hold operands
    /// still to be read). None when not `on` or no slot is left.
    pub fn bind_avoiding(&mut self, off: i32, avoid: &[u8]) -> Option<u8> {
        if !self.on {
            self.forget(off);
            return None;
        }
        let saved = self.reserved;
        for (i, h) in HOST.iter().enumerate() {
            if avoid.contains(h) {
                self.reserved |= 1 << i;
            }
        }
        // (A slot already holding `off` but to be avoided is forgotten by `bind`'s
        // search skipping it: drop it first so that no two slots hold `off`.)
        if let Some(i) = (0..N).find(|&i| self.slot[i] == Some(off) && self.reserved & (1 << i) != 0) {
            self.slot[i] = None;
        }
        let c = self.bind(off);
        self.reserved = saved;
        c
    }
}
