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
//! Entries are made and used only while `RegCache::on` (set by `emit::native` for the
//! instruction classes whose native code writes guest registers through `Em::store` /
//! `Em::store_imm` only and joins paths only where every path holds the same entries:
//! data processing, integer loads/stores, branches). Any other instruction forgets every
//! entry before its code (it may write guest registers in other ways, or use r13/r14, as
//! `native3` does), as does a call-out, the deferred cold code (emitted after the block,
//! reached from anywhere), and the fallback of an inline access reloads every entry from
//! `Cpu` after its call-out (`emit::finish_access`), so that both paths meet with the
//! same entries.

/// The host registers holding cached guest registers: r13, r14, r15, rbp.
const HOST: [u8; 4] = [13, 14, 15, 5];

#[derive(Default)]
pub(super) struct RegCache {
    /// The `Cpu` offset of the guest register each of `HOST` holds.
    slot: [Option<i32>; 4],
    /// When each slot was last used (for replacing the least recently used one).
    used: [u32; 4],
    tick: u32,
    /// Entries may be made and used (see the module documentation).
    pub on: bool,
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
        self.slot = [None; 4];
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
        let i = self
            .slot
            .iter()
            .position(|s| *s == Some(off))
            .or_else(|| self.slot.iter().position(|s| s.is_none()))
            .unwrap_or_else(|| (0..4).min_by_key(|&i| self.used[i]).unwrap_or(0));
        self.tick = self.tick.wrapping_add(1);
        self.used[i] = self.tick;
        self.slot[i] = Some(off);
        Some(HOST[i])
    }

    /// Every entry: (host register, `Cpu` offset).
    pub fn entries(&self) -> Vec<(u8, i32)> {
        self.slot.iter().zip(HOST).filter_map(|(s, h)| s.map(|o| (h, o))).collect()
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
        assert_eq!(c.entries().len(), 4);
        // 16 is now the least recently used: a fifth register replaces it.
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
    }
}
