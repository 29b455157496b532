//! Write-back cache of guest registers in callee-saved host registers, within a block.
//!
//! Guest registers live in `Cpu`. A result that the next few instructions read again
//! would come back through the store buffer (store-to-load forwarding: several cycles on
//! every link of a dependency chain, such as the carry chains of the kernel's
//! multi-precision arithmetic, `mpihelp_*`), and a register written several times in a
//! block would be stored each time. `Em::store` therefore puts the value into one of
//! `HOST` (r13, r14, r15, rbp: callee-saved, so call-outs preserve them) instead of
//! `Cpu`, marking the entry dirty, and `Em::load` reads such a copy with a register move.
//! A dirty entry is stored to `Cpu` once (`RegCache::flush` / `RegCache::spill`), only
//! where the guest state must be exact in memory: before its slot is reused for another
//! register (`bind`, `reserve`: the store is emitted there), before any instruction that
//! does not use the cache (`Em::rc_drop`: it may read or write guest registers in
//! memory, call out, use r13/r14), before every call-out (`Em::callout`), at every block
//! exit (`Em::exit_to`, `Em::exit_code`, the register branches of `ras`; the budget exit
//! is taken before the first instruction, with nothing cached), on the side exits of
//! two-block loops (`fp::side_exit`) and on the fallback of an inline access, which
//! stores what was dirty at its probe before the interpreter runs the instruction
//! (precise faults: `emit::finish_access`). Invariant: a guest register not cached is
//! current in `Cpu`; a clean entry equals it; a dirty entry holds the truth.
//!
//! Loops: a block that branches back to its own start stores its dirty entries there and
//! jumps to its entry, unless its body neither forgets the cache nor stores an entry to
//! free a slot (`RegCache::drops`, `RegCache::spills`): then a second translation
//! (`fp::LoopPlan`, `gpr`) loads the entries found at the branch back (`plan`) right
//! after the entry's budget check, starts the body with them, all taken as dirty
//! (`seed`), and the branch back, when it finds every planned register in its planned
//! slot, checks the budget and jumps to the body keeping them (`fp::back_edge`; the
//! budget exit stores them first). (Keeping them in a loop that needs more slots than
//! there are only moves the stores into the body: measured worse.)
//!
//! r9 and r11 serve as two more slots (caller-saved: a call-out clobbers them, but every
//! call-out stores and forgets or reloads all entries, see below); an inline access that
//! needs them (a pair: r9; a writeback: r11) reserves them first (`RegCache::reserve`,
//! storing a dirty entry), for the rest of that instruction.
//!
//! Entries are made and used only while `RegCache::on` (set by `emit::native` for the
//! instruction classes whose native code writes guest registers through `Em::store` /
//! `Em::store_imm` / `operand` only and joins paths only where every path holds the same
//! entries: data processing, integer loads/stores, branches). Any other instruction
//! stores the dirty entries and forgets every entry before its code (it may read or
//! write guest registers in other ways, or use r13/r14, as `native3` does), except those
//! that emit no code (hints, barriers: `transparent`); the deferred cold code (emitted
//! after the block, reached from anywhere) starts with no entry, and the fallback of an
//! inline access reloads every entry from `Cpu` after its call-out
//! (`emit::finish_access`), so that both paths meet with the same entries (dirty on the
//! fast path, equal to `Cpu` on the fallback: storing them again is harmless).

/// The host registers holding cached guest registers: r13, r14, r15, rbp, r9, r11.
const HOST: [u8; 6] = [13, 14, 15, 5, 9, 11];
pub(super) const N: usize = HOST.len();

/// The entries a loop keeps across its branch back to the block's start (`fp::LoopPlan`):
/// the `Cpu` offset each slot holds there.
pub(super) type Plan = [Option<i32>; N];

use super::Asm;

/// `Cpu` slot at `off` = host register `h` (the store of a dirty entry).
fn spill_one(ops: &mut Asm, h: u8, off: i32) {
    super::st_cpu(ops, off, h);
}

/// `RegCache::entries`: the first `.1` of `.0` (no allocation: translation makes one per
/// inline access).
#[derive(Clone, Copy, Default)]
pub(super) struct Entries(pub [(u8, i32); N], pub usize);

impl Entries {
    pub fn iter(&self) -> impl Iterator<Item = &(u8, i32)> {
        self.0[..self.1].iter()
    }
    /// Emits the stores of these entries to `Cpu`.
    pub fn store(&self, ops: &mut Asm) {
        for &(h, off) in self.iter() {
            spill_one(ops, h, off);
        }
    }
    /// Emits the loads of these entries' host registers from `Cpu`.
    pub fn load(&self, ops: &mut Asm) {
        for &(h, off) in self.iter() {
            super::ld_cpu(ops, h, off);
        }
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
    /// Slots whose host register differs from (is newer than) the guest register in
    /// `Cpu`, a bit per slot: stored before the slot is given up or the state must be
    /// exact in memory.
    dirty: u8,
    /// Entries may be made and used (see the module documentation).
    pub on: bool,
    /// The block's next instruction is of a class that uses the cache (`aware`): a
    /// plain store (`Em::store`) copies its register only then.
    pub next: bool,
    /// How many times the block's code so far forgot every entry (`Em::rc_drop`): a loop
    /// whose body does keeps nothing across its branch back (`fp::back_edge`).
    pub drops: u32,
    /// How many dirty entries the block's code so far stored to free their slot
    /// (`evict`): a loop that needs more slots than there are keeps nothing across its
    /// branch back either (its body would store the kept entries again).
    pub spills: u32,
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

/// Instructions whose native code is nothing at all (`emit::native`: hints and barriers,
/// which the interpreter only retires): the cache's entries, dirty or not, stay through
/// them.
pub(super) fn transparent(insn: &cpu_aarch64::decode::Insn) -> bool {
    use cpu_aarch64::decode::{Insn, System};
    matches!(insn, Insn::System(System::Nop | System::Yield | System::Hint { .. } | System::Dsb { .. } | System::Dmb { .. } | System::Isb { .. }))
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

    /// Forgets every entry without storing anything: only where no path goes on with
    /// them (the cold code, after every path of the block ended), or after `flush`.
    pub fn clear(&mut self) {
        self.slot = [None; N];
        self.dirty = 0;
    }

    /// Stores every dirty entry (emitted here); they stay, clean.
    pub fn flush(&mut self, ops: &mut Asm) {
        self.spill(ops);
        self.dirty = 0;
    }

    /// Stores every dirty entry, the state unchanged: on a path that leaves the block
    /// (the emitter goes on with the other path, where the entries are still dirty).
    pub fn spill(&self, ops: &mut Asm) {
        self.dirty_entries().store(ops);
    }

    /// The dirty entries (host register, `Cpu` offset): what a path leaving from here
    /// must store (kept by deferred code).
    pub fn dirty_entries(&self) -> Entries {
        self.collect(self.dirty)
    }

    /// The entries of the slots whose bit is set in `mask`.
    fn collect(&self, mask: u8) -> Entries {
        let mut e = Entries::default();
        for (i, (s, h)) in self.slot.iter().zip(HOST).enumerate() {
            if let (Some(o), true) = (s, mask & (1 << i) != 0) {
                e.0[e.1] = (h, *o);
                e.1 += 1;
            }
        }
        e
    }

    /// Marks the entry of host register `h` dirty (its value was just computed there).
    pub fn set_dirty(&mut self, h: u8) {
        if let Some(i) = HOST.iter().position(|&x| x == h) {
            if self.slot[i].is_some() {
                self.dirty |= 1 << i;
            }
        }
    }

    /// Gives up slot `i`, storing its entry first if dirty.
    fn evict(&mut self, ops: &mut Asm, i: usize) {
        if let (Some(o), true) = (self.slot[i], self.dirty & (1 << i) != 0) {
            spill_one(ops, HOST[i], o);
            self.spills += 1;
        }
        self.slot[i] = None;
        self.dirty &= !(1 << i);
    }

    /// Keeps host register `h` out of the cache until `release` (storing and forgetting
    /// what it held): the code being emitted uses it for something else.
    pub fn reserve(&mut self, ops: &mut Asm, h: u8) {
        if let Some(i) = HOST.iter().position(|&x| x == h) {
            self.evict(ops, i);
            self.reserved |= 1 << i;
        }
    }

    /// Ends every `reserve`.
    pub fn release(&mut self) {
        self.reserved = 0;
    }

    /// Forgets the entry of the guest register at `off` without storing it: the caller
    /// stores the register's new value to `Cpu` itself.
    pub fn forget(&mut self, off: i32) {
        for (i, s) in self.slot.iter_mut().enumerate() {
            if *s == Some(off) {
                *s = None;
                self.dirty &= !(1 << i);
            }
        }
    }

    /// The host register that is to hold the guest register at `off` (its slot, a free
    /// one or the least recently used one, whose dirty entry is stored first), recorded
    /// as holding it (clean: the caller emits the move right away, then `set_dirty`
    /// unless it loaded it from `Cpu`). None when not `on` (the entry is forgotten: the
    /// caller stores the new value to `Cpu`).
    pub fn bind(&mut self, ops: &mut Asm, off: i32) -> Option<u8> {
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
        if self.slot[i] != Some(off) {
            self.evict(ops, i);
        }
        self.tick = self.tick.wrapping_add(1);
        self.used[i] = self.tick;
        self.slot[i] = Some(off);
        Some(HOST[i])
    }

    /// What each slot holds (for a loop plan, `fp::back_edge`).
    pub fn plan(&self) -> Plan {
        self.slot
    }

    /// The entries of loop plan `p`, just loaded from `Cpu` (`fp::loop_prologue`), all
    /// marked dirty: on the branch back to the loop body they may be.
    pub fn seed(&mut self, p: &Plan) {
        self.slot = *p;
        self.dirty = 0;
        for (i, s) in p.iter().enumerate() {
            if s.is_some() {
                self.dirty |= 1 << i;
                self.tick = self.tick.wrapping_add(1);
                self.used[i] = self.tick;
            }
        }
    }

    /// Emits the loads of loop plan `p`'s entries from `Cpu` (the loop prologue).
    pub fn load_plan(ops: &mut Asm, p: &Plan) {
        for (i, s) in p.iter().enumerate() {
            if let Some(o) = *s {
                super::ld_cpu(ops, HOST[i], o);
            }
        }
    }

    /// Every entry: (host register, `Cpu` offset) (a copy, kept by deferred code).
    pub fn entries(&self) -> Entries {
        self.collect(u8::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynasmrt::DynasmApi;

    #[test]
    fn bind_find_forget_and_lru() {
        let mut ops = crate::emit::assembler();
        let ops = &mut ops;
        let mut c = RegCache { on: true, ..RegCache::default() };
        let a = c.bind(ops, 8).unwrap();
        let b = c.bind(ops, 16).unwrap();
        assert_ne!(a, b);
        assert_eq!(c.bind(ops, 8), Some(a), "a cached register keeps its slot");
        c.bind(ops, 24);
        c.bind(ops, 32);
        c.bind(ops, 48);
        c.bind(ops, 56);
        assert_eq!(c.entries().len(), 6);
        assert_eq!(ops.offset().0, 0, "nothing dirty, nothing stored");
        // 16 is now the least recently used: a seventh register replaces it.
        assert_eq!(c.find(8), Some(a));
        let e = c.bind(ops, 40).unwrap();
        assert_eq!(e, b);
        assert_eq!(c.find(16), None);
        c.forget(8);
        assert_eq!(c.find(8), None);
        c.on = false;
        assert_eq!(c.find(40), None, "not used while off");
        assert_eq!(c.bind(ops, 24), None);
        c.on = true;
        assert_eq!(c.find(24), None, "bind while off forgets");
        c.clear();
        assert!(c.entries().is_empty());
        // A reserved register is neither used nor given out.
        let h = c.bind(ops, 8).unwrap();
        c.reserve(ops, h);
        assert_eq!(c.find(8), None);
        for off in 0..8 {
            assert_ne!(c.bind(ops, off * 8), Some(h));
        }
        c.release();
        assert!((0..20).any(|off| c.bind(ops, 100 + off * 8) == Some(h)));
    }

    /// The bytes of `mov [rbx + off], Rq(h)` (what a dirty entry's store emits).
    fn store_bytes(h: u8, off: i32) -> Vec<u8> {
        let mut ops = crate::emit::assembler();
        spill_one(&mut ops, h, off);
        ops.take().unwrap_or_default()
    }

    #[test]
    fn dirty_entries_are_stored_once_when_given_up() {
        let mut ops = crate::emit::assembler();
        let mut c = RegCache { on: true, ..RegCache::default() };
        let a = c.bind(&mut ops, 8).unwrap();
        c.set_dirty(a);
        let b = c.bind(&mut ops, 16).unwrap();
        assert!(ops.offset().0 == 0, "binding stores nothing");
        assert_eq!(c.dirty_entries().iter().copied().collect::<Vec<_>>(), vec![(a, 8)]);
        // `spill` stores without changing the state, `flush` stores and cleans.
        c.spill(&mut ops);
        assert_eq!(ops.take().unwrap_or_default(), store_bytes(a, 8));
        assert_eq!(c.dirty_entries().len(), 1);
        c.flush(&mut ops);
        assert_eq!(ops.take().unwrap_or_default(), store_bytes(a, 8));
        assert!(c.dirty_entries().is_empty());
        c.flush(&mut ops);
        assert!(ops.take().unwrap_or_default().is_empty(), "clean: nothing stored again");
        // Reserving a dirty slot stores it; a clean one stores nothing.
        c.set_dirty(b);
        c.reserve(&mut ops, a);
        assert!(ops.take().unwrap_or_default().is_empty());
        c.reserve(&mut ops, b);
        assert_eq!(ops.take().unwrap_or_default(), store_bytes(b, 16));
        c.release();
        // Eviction of the least recently used dirty entry stores it; `forget` does not.
        let mut c = RegCache { on: true, ..RegCache::default() };
        let hs: Vec<u8> = (0..6).map(|k| c.bind(&mut ops, 8 * k).unwrap()).collect();
        for &h in &hs {
            c.set_dirty(h);
        }
        let _ = ops.take();
        let h = c.bind(&mut ops, 100).unwrap();
        assert_eq!(h, hs[0]);
        assert_eq!(ops.take().unwrap_or_default(), store_bytes(hs[0], 0));
        assert!(c.dirty_entries().iter().all(|e| e.1 != 100), "a new binding is clean");
        c.forget(8);
        assert!(ops.take().unwrap_or_default().is_empty());
        assert_eq!(c.dirty_entries().len(), 4);
        c.clear();
        assert!(c.dirty_entries().is_empty());
    }
}

impl RegCache {
    /// `bind`, but never choosing one of the host registers `avoid` (they hold operands
    /// still to be read). None when not `on` or no slot is left.
    pub fn bind_avoiding(&mut self, ops: &mut Asm, off: i32, avoid: &[u8]) -> Option<u8> {
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
        // (Stored if dirty: the callers never get here with None, but then they would
        // compute from `Cpu`.)
        if let Some(i) = (0..N).find(|&i| self.slot[i] == Some(off) && self.reserved & (1 << i) != 0) {
            self.evict(ops, i);
        }
        let c = self.bind(ops, off);
        self.reserved = saved;
        c
    }
}
