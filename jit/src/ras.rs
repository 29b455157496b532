//! Return-address prediction: a small return stack per PE (`RetStack`), pushed by
//! translated BL/BLR and popped by translated RET, so that a RET to the instruction after
//! the call that its entry predicts enters the translated block there directly instead
//! of through the lookup stub's hash lookup (`Stubs::lookup`). Direct branches to other
//! pages and BR/BLR likewise keep a per-site record of their last target (`far`, `reg`).
//!
//! A child module of `emit` (it uses the block emitter `Em`).
//!
//! # Records and validity
//! Each translated BL/BLR owns a *return record* `[key, code, check, R]` (`Record`, kept with the inline
//! caches, `BlockCx::ics`, freed only by `Jit::flush`): `key` is the lookup key's second
//! half of the block that starts at the return address VA R = PC + 4 in the context of the
//! calling block: its PA (the calling block's PA page, R's page offset) | EL << 56 |
//! SPSel << 58 (`Jit`'s `Key`); `code` is the host address of that block once a lookup
//! found it (`fill`), before that the `Stubs::lookup_ret` stub. A BL/BLR pushes (R, record
//! address); a BL/BLR whose R is on the next page pushes an entry no RET matches
//! (VA 1, `Jit`'s dummy record whose key is no key).
//!
//! A RET pops the top entry and, when its target (the PC it stores) is the entry's VA,
//! enters `code` only after checking, in generated code (the shared `Stubs::probe_ret`),
//! what `Em::chain_lookup` checks in the dispatcher's order:
//! 1. no interrupt check pending (`FastMem::irq_check`; else `Stubs::lookup_ret`, whose
//!    `fetch_miss` samples it);
//! 2. the fetch of R hits `FastMem` (the last-used fetch entry, or table 0's entry, which
//!    is then copied to the last-used entry as `Cpu::fetch` does): the same probe as the
//!    lookup stubs, so the PA is the one the dispatcher's fetch would give now, whatever
//!    happened since the call (TLBI, page table change, exception, ERET, eviction);
//! 3. that PA | this block's EL << 56 | SPSel << 58 equals the record's `key`: the block
//!    the dispatcher would look up for (R, PA, EL, SPSel) is the record's (its VA is R by
//!    construction of the entry).
//!
//! `code`, once filled, is the translated block for exactly that key (the fill compares
//! the key the lookup found with the record's). That block lives in the calling block's
//! PA page, so it is removed only with the calling block: by `Jit::invalidate_page` of
//! that page or `Jit::flush`. Both clear every PE's return stack (`RetStack::clear`), so
//! no entry reaches a record whose block is gone, and none reaches a freed record. (They
//! run in the dispatcher only, never while translated code runs; a dead calling block is
//! never entered again, so it pushes its record no more.) A mismatch anywhere falls back
//! to the existing paths (`Stubs::lookup_ret`, which is `Stubs::lookup` plus the fill, or
//! the RET's same-page inline cache `Em::branch_ic`): the prediction only picks which
//! block to check, never decides what runs. The target block checks the budget at its
//! entry, as after any chain.
//!
//! The stacks are per PE (`CpuConfig::index`) and kept across runs; an entry from another
//! run or another machine is checked like any other.
//!
//! The records of direct branches to other pages and of BR/BLR (`far`, `reg`) are filled
//! with whatever block the lookup found; their block need not share a page with the
//! branch. BR/BLR records are entered only on their check (below: it also proves that
//! no block was removed since, `RetStack::gen`) after a compare of the target VA,
//! otherwise the lookup (`Stubs::lookup_far`) refills them. A direct branch's target is
//! fixed, so its record keeps the block generation of its fill in the VA's place
//! (`Stubs::lookup_gen`) and, when the check fails, is entered after checks 1-3 and a
//! compare of the generation (`Stubs::probe_gen`).
//!
//! # The check: entering without the probe
//! Checks 2 and 3 (and the generation) cost a fetch probe per return or far branch. A
//! record therefore also keeps `check`: the fetch stamp of its target's VA page
//! (`cpu_aarch64::mem::FastLayout::stamp`, `Stamps`) | the `ctx_index` of the context
//! in which they last held (set by `fill`, `fill_far` and a successful `probe`, each
//! right after a `FastMem` fetch hit of the target and the key compare). Translated code
//! enters a record directly (`enter_checked`) when its target is its VA (RET: the popped
//! entry's VA; BR/BLR: the record's), `check` equals the current stamp of that page | its
//! own block's `ctx_index`, and no interrupt check is pending (1): the stamp is renewed
//! whenever a fetch in that page could give another PA than at the hit (TLB entry
//! removed or evicted, context or control change, invalidation, run boundary not
//! resumed), so 2 still holds with the same PA; the context is the same EL and SPSel,
//! so the key of 3 is the same; and the Jit renews a PE's stamps before its translated
//! code runs when blocks were removed since (`RetStack::sync_stamp`), so `code` is still
//! the block of that key (the generation). Stamps are unique per PE and `Cpu`, so a
//! record checked on one PE is never entered on another's check. Otherwise the probe
//! path above runs for a return or a direct branch (and sets `check` again when it
//! succeeds), the lookup for BR/BLR. Entering this way leaves
//! `FastMem`'s last-used fetch entry as it was (the probe would have refreshed it): it is
//! a cache only, and `emit::call_insn` accepts a table 0 hit too.

use std::sync::atomic::{AtomicU64, Ordering};

use dynasmrt::{dynasm, DynasmApi, DynasmLabelApi};

use super::{ctx_index, native2, Asm, Em, CTX_RS};

/// Whether translated code predicts returns (default): `LSEMU_JIT_PREDICT=0` turns it
/// off (read once), for measurements: then BL/BLR push nothing, RET and BR/BLR go through
/// the same-page inline cache (`Em::branch_ic`) and a direct branch to another page
/// through `Em::chain_lookup`, as before the prediction existed. `LSEMU_JIT_PREDICT=ret`:
/// returns only (`records` false).
pub(crate) fn enabled() -> bool {
    mode() != 0
}

/// Whether direct branches to other pages and BR/BLR use records (`far`, `reg`; default).
fn records() -> bool {
    mode() == 2
}

fn mode() -> u8 {
    static P: std::sync::OnceLock<u8> = std::sync::OnceLock::new();
    *P.get_or_init(|| match std::env::var("LSEMU_JIT_PREDICT").as_deref() {
        Ok("0") => 0,
        Ok("ret") => 1,
        _ => 2,
    })
}

/// Entries of a return stack (a power of two; deeper calls wrap and overwrite the oldest).
pub(crate) const RS_LEN: usize = 32;
/// Bytes of the entries (the offset of the top entry wraps modulo this).
const RS_BYTES: i32 = (RS_LEN * 16) as i32;

/// A PE's return stack (read and written by translated code through `Ctx::rs`).
#[repr(C)]
pub(crate) struct RetStack {
    /// Byte offset in `e` of the top entry (a multiple of 16 below `RS_BYTES`).
    pub top: u64,
    /// The Jit's block generation: bumped, in every PE's stack, whenever blocks are
    /// removed (`sync_stamp`).
    pub gen: u64,
    /// `gen` when the PE's fetch stamp was last replaced for it (`Jit::run_inner`: a
    /// record's check must not outlive the blocks of its generation; kept by `clear`).
    pub stamped: u64,
    /// [return VA, record address].
    pub e: [[u64; 2]; RS_LEN],
}

const RS_TOP: i32 = std::mem::offset_of!(RetStack, top) as i32;
const RS_GEN: i32 = std::mem::offset_of!(RetStack, gen) as i32;
const RS_E: i32 = std::mem::offset_of!(RetStack, e) as i32;
// The same as one-byte displacements, for the code every BL and RET emits.
const RS_TOP8: i8 = RS_TOP as i8;
const RS_E8: i8 = RS_E as i8;
const RS_E8_REC: i8 = (RS_E + 8) as i8;
const _: () = assert!(RS_TOP < 0x80 && RS_E + 8 < 0x80);

impl RetStack {
    /// An empty stack (every entry points to the record `dummy`, whose key is no key).
    pub(crate) fn new(dummy: u64, gen: u64) -> RetStack {
        RetStack { top: 0, gen, stamped: gen, e: [[1, dummy]; RS_LEN] }
    }

    /// Forgets every entry (see the module documentation) and sets the block generation.
    pub(crate) fn clear(&mut self, dummy: u64, gen: u64) {
        let stamped = self.stamped;
        *self = RetStack::new(dummy, gen);
        self.stamped = stamped;
    }

    /// Before translated code runs on `cpu` (whose stack this is): if blocks were removed
    /// since the last time (`gen` moved), replaces its fetch stamp, so that no record
    /// check made before (`enter_checked`) holds: their blocks may be gone.
    pub(crate) fn sync_stamp(&mut self, cpu: &mut cpu_aarch64::Cpu) {
        if self.stamped != self.gen {
            self.stamped = self.gen;
            cpu.fast_new_stamp();
        }
    }
}

/// A record (`BlockCx::ics`): [key, code, check, VA]. The key is a lookup key's second
/// half (PA | EL << 56 | SPSel << 58) or, before a fill, `NO_KEY`; code the host address
/// to enter; check the fetch stamp of the target's page (`mem::FastLayout::stamp`) |
/// `ctx_index` under which the checks last held (`fill`, `fill_far`, `probe`), or
/// `NO_CHECK`; the VA the target's (BR/BLR, and return records). (Inline caches,
/// `Em::branch_ic`, share the type.)
pub(crate) type Record = [u64; 4];

/// Offsets in a `Record`.
const R_CODE: i32 = 8;
const R_CHECK: i32 = 16;
const R_VA: i32 = 24;
/// (Direct branches' records: their VA is fixed, this word holds the generation.)
const R_GEN: i32 = 24;

/// A check no stamp | index equals (stamps are below 2^63 in practice and never this).
const NO_CHECK: u64 = u64::MAX;

/// A key no lookup key equals (a PA is below 2^56 and bits 63:59 are clear).
const NO_KEY: u64 = u64::MAX;

/// The record no entry's key matches.
pub(crate) const DUMMY_RECORD: Record = [NO_KEY, 0, NO_CHECK, 1];

/// Profile counters (`LSEMU_JIT_PROFILE`).
static COUNTS: [AtomicU64; 13] = [const { AtomicU64::new(0) }; 13];
/// RETs translated natively that ran, of those whose target was the top entry's VA, of
/// those that entered the record's block directly, records filled, BL/BLR pushes.
const C_RET: usize = 0;
const C_MATCH: usize = 1;
const C_HIT: usize = 2;
const C_FILL: usize = 3;
const C_PUSH: usize = 4;
/// Direct branches to another page, and those entered directly.
const C_FAR: usize = 5;
const C_FAR_HIT: usize = 6;
/// RETs that took the same-page inline cache (`Em::branch_ic`), BR/BLRs, and their hits.
const C_RET_IC_HIT: usize = 7;
pub(super) const C_REG: usize = 8;
pub(super) const C_REG_IC_HIT: usize = 9;
/// Of the direct entries (RETs, direct branches to other pages, BR/BLR), those whose
/// record's check held (`enter_checked`: no probe).
const C_RET_FAST: usize = 10;
const C_FAR_FAST: usize = 11;
const C_REG_FAST: usize = 12;

/// Emits an increment of profile counter `i` when profiling. Clobbers rcx.
pub(super) fn count(ops: &mut Asm, i: usize) {
    if native2::profiling() {
        let a = COUNTS[i].as_ptr() as i64;
        dynasm!(ops ; .arch x64 ; mov rcx, QWORD a ; lock add QWORD [rcx], 1);
    }
}

/// Prints the counters (when profiling) to stderr.
pub(crate) fn report() {
    if !native2::profiling() {
        return;
    }
    let c: Vec<u64> = COUNTS.iter().map(|c| c.load(Ordering::Relaxed)).collect();
    eprintln!(
        "lsemu-jit: return prediction: {} RETs, {} matched the return stack, {} entered directly ({} by the stamp check), {} records filled, {} calls pushed; {} direct branches to other pages, {} entered directly ({} by the stamp check); {} RETs entered by the same-page inline cache; {} BR/BLR, {} entered by an inline cache ({} by the stamp check)",
        c[C_RET], c[C_MATCH], c[C_HIT], c[C_RET_FAST], c[C_FILL], c[C_PUSH], c[C_FAR], c[C_FAR_HIT], c[C_FAR_FAST], c[C_RET_IC_HIT], c[C_REG], c[C_REG_IC_HIT], c[C_REG_FAST]
    );
}

/// A new record (freed with the code buffer's generation: `BlockCx::ics`).
fn record(e: &mut Em<'_, '_>, r: Record) -> i64 {
    e.cx.ics.push(r) as i64
}

/// Loads into rdx the fetch stamp of VA page number `page` (`mem::FastLayout::stamp`), or
/// when None of the page of rax. Clobbers rdx.
fn load_stamp(ops: &mut Asm, page: Option<u64>) {
    let stamp = cpu_aarch64::mem::fast_layout().stamp as i32;
    match page {
        Some(pg) => {
            let at = stamp + 8 * cpu_aarch64::mem::stamp_bucket(pg) as i32;
            dynasm!(ops ; .arch x64 ; mov rdx, QWORD [rbx + at]);
        }
        None => {
            let mask = (cpu_aarch64::mem::STAMP_BUCKETS - 1) as i32;
            dynasm!(ops
                ; .arch x64
                ; mov rdx, rax
                ; shr rdx, 12
                ; and edx, mask
                ; mov rdx, QWORD [rbx + rdx * 8 + stamp]
            );
        }
    }
}

/// Compares the fetch stamp of the target's page (`page`, or rax's when None) | `i` (the
/// `ctx_index` of the block's EL and SPSel) with the check of the record at r8 (flags:
/// equal or not). Clobbers rdx.
fn cmp_check(ops: &mut Asm, i: usize, page: Option<u64>) {
    load_check(ops, i, page);
    dynasm!(ops ; .arch x64 ; cmp rdx, QWORD [BYTE r8 + R_CHECK as i8]);
}

/// Loads into rdx a record check: the fetch stamp of VA page `page` (or rax's) | `i`.
fn load_check(ops: &mut Asm, i: usize, page: Option<u64>) {
    load_stamp(ops, page);
    if i != 0 {
        dynasm!(ops ; .arch x64 ; or rdx, i as i32);
    }
}

/// Sets the check of the record at r8 to the fetch stamp of rax's page | `i` (the checks
/// of the module documentation hold now for its key, rax, in the context `i`). Clobbers
/// rdx.
fn set_check(ops: &mut Asm, i: usize) {
    load_check(ops, i, None);
    dynasm!(ops ; .arch x64 ; mov QWORD [r8 + R_CHECK], rdx);
}

/// Enters the record at r8 (whose target, rax, is its VA: on VA page `page` if known)
/// when its check is the target page's fetch stamp | this block's `ctx_index` and no
/// interrupt check is pending (`fast`: the profile counter of those entries, then
/// `hit`'s); else calls `probe` (`Stubs::probe_ret`, which leaves for the lookup when
/// the full checks fail) and enters it (counted `hit`), or without a probe (direct
/// branches and BR/BLR, whose records keep no block generation) leaves for `lookup`,
/// which also takes a pending interrupt check (the lookup stub `probe` leaves for).
/// Clobbers rcx, rdx, rsi, rdi, r9.
fn enter_checked(e: &mut Em<'_, '_>, page: Option<u64>, probe: Option<usize>, lookup: usize, fast: usize, hit: usize) {
    let i = ctx_index(e.cx.el, e.cx.spsel);
    let irq = cpu_aarch64::mem::fast_layout().irq_check as i32;
    let slow = e.ops.new_dynamic_label();
    cmp_check(&mut e.ops, i, page);
    match probe {
        Some(_) => dynasm!(e.ops ; .arch x64 ; jne =>slow),
        None => e.rel32_to(&[0x0f, 0x85], lookup),
    }
    dynasm!(e.ops ; .arch x64 ; cmp BYTE [rbx + irq], 0);
    e.rel32_to(&[0x0f, 0x85], lookup);
    count(&mut e.ops, fast);
    count(&mut e.ops, hit);
    dynasm!(e.ops ; .arch x64 ; jmp QWORD [BYTE r8 + R_CODE as i8]);
    if let Some(probe) = probe {
        dynasm!(e.ops ; .arch x64 ; =>slow);
        e.rel32_to(&[0xe8], probe);
        count(&mut e.ops, hit);
        dynasm!(e.ops ; .arch x64 ; jmp QWORD [BYTE r8 + R_CODE as i8]);
    }
}

/// After BL/BLR at `pc` (X30 written): pushes (PC + 4, this call site's return record
/// `[key, lookup_ret stub, NO_CHECK, PC + 4]`) on the PE's return stack, inline.
/// Clobbers rcx, rdx, r9 and the host flags (no live NZCV at a branch).
pub(super) fn push(e: &mut Em<'_, '_>, pc: u64) {
    if !enabled() {
        return;
    }
    let ret = pc.wrapping_add(4);
    let (va, rec) = if ret >> 12 == pc >> 12 {
        let pa = (e.cx.pa & !0xfff) | (ret & 0xfff);
        let code = e.cx.stubs.lookup_ret[ctx_index(e.cx.el, e.cx.spsel)] as u64;
        (ret as i64, record(e, [pa | crate::ctx_bits(e.cx.el, e.cx.spsel), code, NO_CHECK, ret]))
    } else {
        (1, e.cx.ret_dummy as i64)
    };
    count(&mut e.ops, C_PUSH);
    dynasm!(e.ops
        ; .arch x64
        ; mov r9, QWORD [r12 + CTX_RS]
        ; mov ecx, DWORD [BYTE r9 + RS_TOP8]
        ; add ecx, 16
        ; and ecx, RS_BYTES - 1
        ; mov DWORD [BYTE r9 + RS_TOP8], ecx
        ; mov rdx, QWORD va
        ; mov QWORD [BYTE r9 + rcx + RS_E8], rdx
        ; mov rdx, QWORD rec
        ; mov QWORD [BYTE r9 + rcx + RS_E8_REC], rdx
    );
}

/// Ends the block after RET (rax = target, stored as PC, counts flushed): pops the return
/// stack and, when rax is the entry's VA, enters its record's block if its check is the
/// current fetch stamp of its page | this block's `ctx_index` and no interrupt check is pending
/// (`enter_checked`), or else if `Stubs::probe_ret` finds the checks of the module
/// documentation hold (else it leaves for `Stubs::lookup_ret`); otherwise the same-page
/// inline cache (`Em::branch_ic`).
pub(super) fn ret(e: &mut Em<'_, '_>) {
    // (RET does not use the register cache, `regcache::aware`: nothing is dirty here.)
    e.rc_spill();
    count(&mut e.ops, C_RET);
    if !enabled() {
        e.branch_ic_counted(C_RET_IC_HIT);
        return;
    }
    let ci = ctx_index(e.cx.el, e.cx.spsel);
    let (probe, lookup) = (e.cx.stubs.probe_ret[ci], e.cx.stubs.lookup_ret[ci]);
    let other = e.ops.new_dynamic_label();
    dynasm!(e.ops
        ; .arch x64
        ; mov r9, QWORD [r12 + CTX_RS]
        ; mov ecx, DWORD [BYTE r9 + RS_TOP8]
        ; lea edx, [rcx - 16]
        ; and edx, RS_BYTES - 1
        ; mov DWORD [BYTE r9 + RS_TOP8], edx
        ; cmp rax, QWORD [BYTE r9 + rcx + RS_E8]
        ; jne =>other
        ; mov r8, QWORD [BYTE r9 + rcx + RS_E8_REC]
    );
    count(&mut e.ops, C_MATCH);
    // (The popped record's VA is rax, from any call site: its page is rax's.)
    enter_checked(e, None, Some(probe), lookup, C_RET_FAST, C_HIT);
    dynasm!(e.ops ; .arch x64 ; =>other);
    e.branch_ic_counted(C_RET_IC_HIT);
}

/// `Stubs::probe_ret` (`gen` false) and `Stubs::probe_gen` for blocks of EL | SPSel << 2
/// = `i`, called with rax = target VA, r8 = a return record or (`gen`) a direct branch's:
/// returns (to a `jmp [r8 + 8]`) when no interrupt check is pending, the fetch of rax hits
/// `FastMem` (the last-used fetch entry, or table 0's entry, which is then copied to the
/// last-used entry as `Cpu::fetch` does: the probe of `lookup_code`), its PA | EL << 56 |
/// SPSel << 58 equals the record's key and (`gen`) the record was filled in the current
/// block generation (`RetStack::gen`: no block was removed since, so `code` is still the
/// block of that key), after setting the record's check (`set_check`); else drops the
/// return address and jumps to `fail` (`Stubs::lookup_ret` / `Stubs::lookup_gen` for `i`)
/// with rax and r8 unchanged. Clobbers rcx, rdx, rsi, rdi, r9.
pub(super) fn probe(ops: &mut Asm, i: usize, gen: bool, fail: dynasmrt::DynamicLabel) {
    let no = ops.new_dynamic_label();
    super::fetch_probe(ops, i, no);
    dynasm!(ops
        ; .arch x64
        ; cmp rsi, QWORD [r8]
        ; jne =>no
    );
    if gen {
        dynasm!(ops
            ; .arch x64
            ; mov r9, QWORD [r12 + CTX_RS]
            ; mov rdx, QWORD [r9 + RS_GEN]
            ; cmp rdx, QWORD [r8 + R_GEN]
            ; jne =>no
        );
    }
    set_check(ops, i);
    dynasm!(ops
        ; .arch x64
        ; ret
        ; =>no
        ; add rsp, 8
        ; jmp =>fail
    );
}

/// The end of `Stubs::lookup_ret` for blocks of EL | SPSel << 2 = `i` after its lookup
/// found the block at [rcx + 16] for key (rax, rsi): fills the record at r8 (code and
/// check) when rsi is its key, and enters the block.
pub(super) fn fill(ops: &mut Asm, i: usize) {
    let go = ops.new_dynamic_label();
    dynasm!(ops
        ; .arch x64
        ; cmp rsi, QWORD [r8]
        ; jne =>go
        ; mov rdx, QWORD [rcx + 16]
        ; mov QWORD [r8 + R_CODE], rdx
    );
    set_check(ops, i);
    if native2::profiling() {
        // (rcx is needed below: count through rdx.)
        let a = COUNTS[C_FILL].as_ptr() as i64;
        dynasm!(ops ; .arch x64 ; mov rdx, QWORD a ; lock add QWORD [rdx], 1);
    }
    dynasm!(ops
        ; .arch x64
        ; =>go
        ; jmp QWORD [rcx + 16]
    );
}

/// Ends the block with a direct branch to `t` on another VA page (rax = `t`, stored as PC,
/// counts flushed): enters the block its record remembers if its check is the current
/// fetch stamp of its page | this block's `ctx_index` and no interrupt check is pending
/// (`enter_checked`), or else if `Stubs::probe_gen` finds the checks of `ret` hold for
/// `t` and the record was filled in the current block generation; else
/// `Stubs::lookup_gen` looks the block up and fills the record. (Its VA word holds the
/// generation of the fill: the target is `t`.)
///
/// (The check proves the block generation too: the Jit replaces the fetch stamps of a PE
/// whose stack's generation changed before its translated code runs again,
/// `RetStack::sync_stamp`; so `code` is still the block of the record's key.)
pub(super) fn far(e: &mut Em<'_, '_>, t: u64) {
    count(&mut e.ops, C_FAR);
    if !records() {
        e.chain_lookup();
        return;
    }
    let ci = ctx_index(e.cx.el, e.cx.spsel);
    let (probe, lookup) = (e.cx.stubs.probe_gen[ci], e.cx.stubs.lookup_gen[ci]);
    // (Generation 0: none, `Jit::block_gen` starts at 1.)
    let rec = record(e, [NO_KEY, 0, NO_CHECK, 0]);
    dynasm!(e.ops ; .arch x64 ; mov r8, QWORD rec);
    enter_checked(e, Some(t >> 12), Some(probe), lookup, C_FAR_FAST, C_FAR_HIT);
}

/// Ends the block after BR/BLR (rax = target, stored as PC, counts flushed) through a
/// one-entry inline cache of the last target, on any page: the record is entered when
/// rax is its VA and `enter_checked` accepts it (as for `far`); else
/// `Stubs::lookup_far` fills it from its lookup.
pub(super) fn reg(e: &mut Em<'_, '_>) {
    e.rc_spill();
    count(&mut e.ops, C_REG);
    if !records() {
        e.branch_ic();
        return;
    }
    let ci = ctx_index(e.cx.el, e.cx.spsel);
    let lookup = e.cx.stubs.lookup_far[ci];
    let rec = record(e, [NO_KEY, 0, NO_CHECK, 1]);
    dynasm!(e.ops
        ; .arch x64
        ; mov r8, QWORD rec
        ; cmp rax, QWORD [r8 + R_VA]
    );
    e.rel32_to(&[0x0f, 0x85], lookup);
    enter_checked(e, None, None, lookup, C_REG_FAST, C_REG_IC_HIT);
}

/// The end of `Stubs::lookup_far` (`Stubs::lookup_gen` when `gen`) for blocks of EL |
/// SPSel << 2 = `i` after its lookup found the block at [rcx + 16] for key (rax, rsi):
/// fills the record at r8 (key, code, check, and VA or the current block generation) and
/// enters the block.
pub(super) fn fill_far(ops: &mut Asm, i: usize, gen: bool) {
    dynasm!(ops
        ; .arch x64
        ; mov QWORD [r8], rsi
        ; mov rdx, QWORD [rcx + 16]
        ; mov QWORD [r8 + R_CODE], rdx
    );
    if gen {
        dynasm!(ops
            ; .arch x64
            ; mov r9, QWORD [r12 + CTX_RS]
            ; mov rdx, QWORD [r9 + RS_GEN]
            ; mov QWORD [r8 + R_GEN], rdx
        );
    } else {
        dynasm!(ops ; .arch x64 ; mov QWORD [r8 + R_VA], rax);
    }
    set_check(ops, i);
    dynasm!(ops ; .arch x64 ; jmp QWORD [rcx + 16]);
}
