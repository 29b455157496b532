//! `lsemu-jit`: translates A64 blocks to x86-64 (dynasmrt). It must not depend on devices.
//!
//! # Contract
//! `Jit::run` leaves exactly the state `interp::run` would: the same architectural state,
//! `icount`, stats, platform calls in the same order, exceptions and `Exit`. The design
//! follows the interpreter's run loop (`interp::step_inner`) step by step:
//!
//! - The dispatcher (`Jit::run_inner`) is `interp::run_inner` with one change: where the
//!   interpreter would fetch and execute one instruction, it fetches it the same way
//!   (`Cpu::fetch`, same side effects) and, when that fetch left the fetch entry of
//!   `FastMem` valid (`Cpu::fetch_would_hit`), runs a translated block starting there.
//!   Everything else (interrupt sampling, debug, PSTATE.IL, WFI/WFE, failed fetches, a
//!   page that is not RAM) goes through the interpreter's own code.
//! - Inside a block every further fetch the interpreter would make is a hit of that same
//!   fetch entry (no side effects, reads the current memory) as long as the entry stays
//!   valid and the bytes are unchanged. A block therefore stops (returns to the
//!   dispatcher) after any instruction that may have invalidated the entry, asked for an
//!   interrupt check or written a page with translated code: every call-out checks this.
//!   Native instructions do none of these things.
//! - A block is keyed by (VA, PA, EL, SPSel): the instruction bytes are at PA, constants
//!   like ADR results depend on VA, the SP register used on EL/SPSel.
//! - Direct chaining (a patched slot) only to targets in the same 4 KiB VA page, where the
//!   fetch entry that served the source block serves the target too (same PA page).
//! - Every other exit after a native branch (to another page, BR/BLR/RET) looks the next
//!   block up inline (`emit::Em::chain_lookup`), doing what the dispatcher would: the
//!   interrupt sample if one is pending, the fetch of the target through `FastMem` (a
//!   probe of its fetch table in generated code; on a miss the real `Cpu::fetch` in a
//!   call-out, `emit::fetch_miss`, with its walk, fault or interpreter step exactly as the
//!   dispatcher), then the lookup cache with the full key (VA, PA | EL | SPSel). Why a
//!   remapped VA never runs a stale block: the PA in the key comes from the same fetch
//!   translation the interpreter would use at that instruction, and `FastMem` entries die
//!   with every TLBI, translation-regime write or exception (epoch), and with the TLB
//!   entry behind them (a fill evicting it: `FastMem::tlb_filled`), so they always give
//!   what the TLB would;
//!   a lookup cache entry dies with its block (page written, flush). So the block entered
//!   is always the one translated from the bytes at the PA the fetch gives now.
//! - Stores: an inline store reports nothing (no `store_notify`, no check for written
//!   translated code). It hits only write entries of `FastMem` with a quiet tag
//!   (`mem::QUIET`), which exist only for pages where the report would do nothing: no
//!   translations from the PA page, and not watched by the platform
//!   (`Platform::store_watch`). The fill asks (`JitPlat::quiet_store_ok`); a page that
//!   gets its first translation loses its quiet tags at once in the running PE
//!   (`Jit::translate`) and, in the other PEs, before they next run (`Jit::sync_quiet`,
//!   which `Cpu::fast_quiet_mark` shows needed); a run clears those of the pages it
//!   watches. A store to such a page goes to the interpreter, whose `write_mem` takes
//!   the same fast path as it would under `interp::run` (same write entries) and
//!   reports (`note_write` invalidates what it wrote; the quiet tag of a later fill is
//!   allowed once the page's translations are gone).
//! - Budget: each block checks at entry that all its instructions fit in the budget; if
//!   not, the dispatcher runs the block's prefix of exactly the instructions left
//!   (`Jit::tails`: the same instructions translated alone, ending where the budget
//!   ends), or steps them with the interpreter.
//! - A block not translated yet is interpreted (the dispatcher steps its instructions,
//!   `step_inner` for each, while the PC goes on sequentially) the first `HOT - 1` times
//!   the dispatcher meets it, and translated the next time (`Jit::cold`): either way the
//!   same instructions retire, through the interpreter's own code.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use cpu_aarch64::engine::{Engine, EngineKind, EngineStats};
use cpu_aarch64::interp::{self, Exit};
use cpu_aarch64::platform::{IccContext, IccResult, IrqLevels, RamSpan};
use cpu_aarch64::{Bus, BusAttrs, BusError, Cpu, Hooked, PhysAddr, Platform};

mod emit;
mod ics;
mod perfmap;

/// A cheap hasher for u64 keys (page numbers, packed block keys).
#[derive(Default)]
struct FxHasher(u64);
impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(*b as u64);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}
type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Translation key: VA of the first instruction, and PA | EL << 56 | SPSel << 58.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    va: u64,
    pa_ctx: u64,
}

/// The EL | SPSel part of a key's `pa_ctx`.
pub(crate) fn ctx_bits(el: u8, spsel: u8) -> u64 {
    (el as u64 & 3) << 56 | (spsel as u64 & 1) << 58
}

fn key(cpu: &Cpu, va: u64, pa: u64) -> Key {
    let p = &cpu.st.pstate;
    Key { va, pa_ctx: pa | ctx_bits(p.el, p.sp) }
}

/// Conditions under which the interpreter must run instead of translated code (debug
/// features checked per instruction). The single place where such conditions live.
pub fn must_interpret(cpu: &Cpu) -> bool {
    // MDSCR_EL1.{SS,MDE} (breakpoints, watchpoints, software step) and PSTATE.IL; the
    // host debugger's breakpoints, watchpoints and steps (checked per instruction and per
    // access by the interpreter); instruction tracing (a record per instruction).
    cpu.fast_debug() || cpu.st.pstate.il || cpu.st.pstate.ss || cpu.host_debug_active() || cpu.trace_insn()
}

/// Exit codes of translated code (returned in eax by the trampoline).
pub(crate) mod exit {
    /// A call-out asked to return to the dispatcher (state is consistent, PC set).
    pub const STOP: u32 = 1;
    /// The block did not fit in the remaining budget; PC = block start.
    pub const BUDGET: u32 = 2;
    /// A direct branch to a target not yet chained; `Ctx::slot` is the slot to fill.
    pub const CHAIN: u32 = 3;
    /// Branch to PC (indirect, or to another page).
    pub const LOOKUP: u32 = 4;
    /// As `LOOKUP`, from `chain_lookup` when the fetch of PC would not hit `FastMem`
    /// (counted apart for profiling only).
    pub const LOOKUP_FETCH: u32 = 5;
    /// As `LOOKUP`, from `chain_lookup` when the lookup cache has no block for the key.
    pub const LOOKUP_CACHE: u32 = 6;
}

/// What translated code and call-outs share (pointed to by r12).
#[repr(C)]
pub(crate) struct Ctx {
    /// The running PE's `FastMem` read table and `QUIET` table (`mem::FastLayout::tables`
    /// plus 1 and `QUIET` tables): where inline loads and stores find their entry's tag
    /// (`emit::probe_as`, with one-byte displacements from there). First: 8-bit
    /// displacements from r12.
    pub tabs: [u64; 2],
    /// The budget check at a block's entry (`emit::emit_block`): `ends[n]` is the lowest
    /// icount at which a block of `n` instructions does not fit, the first n for which
    /// icount + n > `end` (0 when n > `end`), so that the check is one compare. First
    /// in `Ctx`: the short blocks' entries have 8-bit displacements.
    pub ends: [u64; ENDS],
    /// icount at which the run ends.
    pub end: u64,
    /// The chain slot an exit::CHAIN asks to fill: the rel32 field of a direct JMP in
    /// the code buffer (`emit::Em::exit_to`).
    pub slot: *mut u8,
    pub cpu: *mut Cpu,
    pub plat: *mut JitPlat<'static>,
    /// An `Exit` a call-out produced.
    pub exit: Option<Exit>,
    /// The PA page of the block whose exit::CHAIN set `slot`.
    pub slot_page: u64,
    /// `Jit::jcache` (for `emit::fetch_miss`).
    pub jcache: *const JEntry,
    /// The page memo of SIMD&FP loads and stores (`emit::fp::memo_probe`), one entry per
    /// base register (loads 0-31, stores 32-63): the tag (VA page | `memo_epoch` at
    /// the time) and the host offset of the page.
    pub memo: [[u64; 2]; 64],
    /// The memo's current epoch (16..=0xff0, in bits 11:4 of the tags): a new epoch
    /// (`memo_reset`) invalidates every entry.
    pub memo_epoch: u64,
    /// The running PE's return stack (`emit::ras`).
    pub rs: *mut emit::ras::RetStack,
}

/// Where the `Ctx` lives: at page offset `CTX_AT` of a page-aligned block, so that its
/// fields (`ends` and `end`, read by every translated block, the memo) never share page
/// offsets with the `Cpu` fields translated code stores to (`Cpu` is page aligned with
/// those in its first 0x400 bytes: see `cpu_aarch64::Cpu`) nor with the return addresses
/// its calls push (the stack top is at page offset `emit::STACK_AT`). On x86 a load whose
/// address matches an older store's in bits 11:0 only waits for it (4K aliasing); with
/// addresses left to the allocator and the compiler's field order such overlaps came and
/// went from build to build, and the 1-vCPU boot's host time with them (by ~13 %).
#[repr(C, align(4096))]
pub(crate) struct CtxHome {
    _below: [u8; CTX_AT],
    pub ctx: Ctx,
}

/// Where a PE's return stack lives: at page offset `RS_AT` of a page-aligned block
/// (see `CtxHome`).
#[repr(C, align(4096))]
pub(crate) struct RsHome {
    _below: [u8; RS_AT],
    rs: std::cell::UnsafeCell<emit::ras::RetStack>,
}

const RS_AT: usize = 0xc40;

/// `CtxHome::ctx`'s page offset.
const CTX_AT: usize = 0x400;
const _: () = assert!(CTX_AT + std::mem::size_of::<Ctx>() <= emit::STACK_AT as usize - 0x80);

/// Entries of `Ctx::ends`: a block (with a loop tail, `emit::fp::loop_tail`) has at
/// most 2 * MAX_BLOCK instructions.
pub(crate) const ENDS: usize = 2 * MAX_BLOCK + 1;

impl Ctx {
    /// Sets `Ctx::ends` for the run ending at icount `end` (in place: the table is
    /// rewritten at every turn).
    fn set_ends(&mut self, end: u64) {
        // `ends[n]` = end + 1 - n, 0 once n > end. (This runs at every turn: in the
        // usual case, end >= ENDS, one subtraction per entry, which the compiler
        // vectorises.)
        let top = end.saturating_add(1);
        if top >= ENDS as u64 {
            for (n, e) in self.ends.iter_mut().enumerate() {
                *e = top.wrapping_sub(n as u64);
            }
        } else {
            for (n, e) in self.ends.iter_mut().enumerate() {
                *e = top.saturating_sub(n as u64);
            }
        }
    }

    /// Invalidates the page memo (a new epoch; the entries are cleared when the epochs
    /// wrap, so that an old tag never matches).
    pub(crate) fn memo_reset(&mut self) {
        self.memo_epoch += 16;
        if self.memo_epoch > 0xff0 {
            self.memo_epoch = 16;
            self.memo = [[0; 2]; 64];
        }
    }
}

/// The platform as the translated code's CPU sees it: forwards everything, and watches
/// stores for pages holding translated code.
pub(crate) struct JitPlat<'a> {
    inner: &'a mut dyn Platform,
    pages: std::rc::Rc<std::cell::RefCell<FxMap<u64, CodePage>>>,
    /// `Jit::filter`: a zero code count proves a page is not in `pages` (checked first).
    filter: StoreFilter,
    /// Pages with translations written since the dispatcher last looked.
    written: Vec<u64>,
    /// The PA pages the platform watches during this run (`Jit::watch`).
    watch: Watch,
}

/// Which PA pages' stores the platform must hear of during a run (`Platform::store_watch`).
#[derive(Debug, Clone)]
pub(crate) enum Watch {
    All,
    /// These page numbers (PA >> 12).
    Pages(Vec<u64>),
}

impl Watch {
    fn has(&self, pg: u64) -> bool {
        match self {
            Watch::All => true,
            Watch::Pages(v) => v.contains(&pg),
        }
    }
}

impl JitPlat<'_> {
    /// Whether a store to PA page `pg` needs a report (`store_notify` to the platform or
    /// the check for written translations), which an inline store does not make: the
    /// page holds translations not about to be invalidated, or the platform watches it.
    fn store_reported(&self, pg: u64) -> bool {
        let f = self.filter[filter_index(pg)].get();
        if f == 0 {
            return false;
        }
        if f & WATCH != 0 && self.watch.has(pg) {
            return true;
        }
        // A page in `written` loses its translations before translated code runs again
        // (a call-out that fills `written` stops the block; the dispatcher invalidates).
        f & !WATCH != 0 && self.pages.borrow().contains_key(&pg) && !self.written.contains(&pg)
    }

    /// Notes RAM written by devices or hooks during the last platform call.
    fn drain(&mut self) {
        for (pa, len) in self.inner.take_ram_writes() {
            self.note_write(pa, len.min(usize::MAX as u64) as usize);
        }
    }

    fn note_write(&mut self, pa: u64, len: usize) {
        let first = pa >> 12;
        let last = pa.wrapping_add(len.max(1) as u64 - 1) >> 12;
        if last.wrapping_sub(first) > 1 << 16 {
            // A huge range: forget everything.
            self.written.push(ALL_PAGES);
            return;
        }
        let mut pg = first;
        loop {
            // The 64-byte lines of this page the write touches.
            let lo = if pg == first { pa & 0xfff } else { 0 };
            let hi = if pg == last { pa.wrapping_add(len.max(1) as u64 - 1) & 0xfff } else { 0xfff };
            let touched = (u64::MAX >> (63 - (hi >> 6))) & (u64::MAX << (lo >> 6));
            if filter_has(&self.filter, pg)
                && self.pages.borrow().get(&pg).is_some_and(|c| c.lines & touched != 0)
                && !self.written.contains(&pg)
            {
                self.written.push(pg);
            }
            if pg == last {
                break;
            }
            pg = pg.wrapping_add(1);
        }
    }
}

/// The translations made from one PA page: their keys, and which of its 64-byte lines
/// their instructions occupy (bit i: bytes 64i..64i+63). Only a write to one of those
/// lines invalidates them: a store to data sharing the page with code (a bare-metal
/// program's .bss after its .text, a kernel's data next to its code) leaves the
/// translations alone, as none of them read the bytes written.
#[derive(Default)]
pub(crate) struct CodePage {
    lines: u64,
    keys: Vec<Key>,
    /// The budget-limited prefixes translated from the page (`Jit::tails`).
    tails: Vec<(Key, u32)>,
}

/// Bit mask of the 64-byte lines holding `bytes` bytes from page offset `off` (in one page).
fn line_mask(off: u64, bytes: u64) -> u64 {
    let (a, b) = (off >> 6 & 63, (off + bytes.max(1) - 1) >> 6 & 63);
    (u64::MAX >> (63 - b)) & (u64::MAX << a)
}

/// The store filter: one entry per PA page number modulo `FILTER_LEN` (pages 256 MiB
/// apart share an entry), telling whether a store to such a page may need work. Bits
/// 0-14 count the keys of `pages` (pages holding translations) with that index, kept
/// exact by `Jit::translate` (a page's first translation), `Jit::invalidate_page` (its
/// removal) and `Jit::flush`; bit 15 (`WATCH`) is set while the platform wants to hear
/// of stores to such a page (`Platform::store_watch`, refreshed at each `Engine::run`).
/// An entry of 0 therefore proves that a store there needs neither `note_write` nor
/// `store_notify` (checked first by `note_write` and `JitPlat::store_reported`).
type StoreFilter = std::rc::Rc<[std::cell::Cell<u16>]>;
/// Entries of a `StoreFilter` (a power of two): one per page of 256 MiB.
pub(crate) const FILTER_LEN: usize = 1 << 16;
/// The "watched by the platform" bit of a `StoreFilter` entry.
const WATCH: u16 = 1 << 15;

fn filter_index(pg: u64) -> usize {
    pg as usize & (FILTER_LEN - 1)
}

#[inline(always)]
fn filter_has(f: &StoreFilter, pg: u64) -> bool {
    f[filter_index(pg)].get() & !WATCH != 0
}

/// The part of a quiet mark (`Jit::quiet_mark`) that counts pages.
const MARK_COUNT: u64 = (1 << 40) - 1;
/// Pages that got translations that `Jit::added` remembers.
const ADDED_LOG: usize = 256;

/// A `JitPlat::written` entry meaning "all pages".
const ALL_PAGES: u64 = u64::MAX;

impl Bus for JitPlat<'_> {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], a: BusAttrs) -> Result<(), BusError> {
        let r = self.inner.read(pa, buf, a);
        self.drain();
        r
    }
    fn write(&mut self, pa: PhysAddr, buf: &[u8], a: BusAttrs) -> Result<(), BusError> {
        let r = self.inner.write(pa, buf, a);
        self.note_write(pa.0, buf.len());
        self.drain();
        r
    }
    fn ram_span(&self, pa: PhysAddr) -> Option<RamSpan> {
        self.inner.ram_span(pa)
    }
}

impl Platform for JitPlat<'_> {
    fn counter(&self) -> u64 {
        self.inner.counter()
    }
    fn counter_at(&self, icount: u64) -> u64 {
        self.inner.counter_at(icount)
    }
    fn irq_levels(&self, cpu: u8) -> IrqLevels {
        self.inner.irq_levels(cpu)
    }
    fn smc(&mut self, cpu: &mut Cpu, imm: u16) -> Hooked {
        let r = self.inner.smc(cpu, imm);
        self.drain();
        r
    }
    fn hvc(&mut self, cpu: &mut Cpu, imm: u16) -> Hooked {
        let r = self.inner.hvc(cpu, imm);
        self.drain();
        r
    }
    fn hlt(&mut self, cpu: &mut Cpu, imm: u16) -> Hooked {
        let r = self.inner.hlt(cpu, imm);
        self.drain();
        r
    }
    fn take_ram_writes(&mut self) -> Vec<(u64, u64)> {
        // Drained into `written` already.
        Vec::new()
    }
    fn icc_access(&mut self, cpu: u8, enc: cpu_aarch64::sysreg::SysRegEnc, write: Option<u64>) -> Option<u64> {
        self.inner.icc_access(cpu, enc, write)
    }
    fn icc_access_ctx(&mut self, ctx: &IccContext, enc: cpu_aarch64::sysreg::SysRegEnc, write: Option<u64>) -> IccResult {
        self.inner.icc_access_ctx(ctx, enc, write)
    }
    fn store_notify(&mut self, cpu: u8, pa: PhysAddr, len: usize) {
        self.inner.store_notify(cpu, pa, len);
        self.note_write(pa.0, len);
    }
    fn store_watch(&self, out: &mut Vec<(u64, u64)>) -> bool {
        self.inner.store_watch(out)
    }
    fn quiet_store_ok(&self, pa: PhysAddr) -> bool {
        !self.store_reported(pa.0 >> 12)
    }
    fn tlbi_broadcast(&mut self, cpu: u8, op: cpu_aarch64::mmu::TlbiOp, arg: u64) {
        self.inner.tlbi_broadcast(cpu, op, arg)
    }
    fn send_event(&mut self, cpu: u8) {
        self.inner.send_event(cpu)
    }
    fn timer_levels(&mut self, cpu: u8, t: cpu_aarch64::sysreg::timer::TimerLevels) {
        self.inner.timer_levels(cpu, t)
    }
    fn continue_run(&mut self, cpu: &mut Cpu) -> u64 {
        let n = self.inner.continue_run(cpu);
        self.drain();
        n
    }
}

/// A translated block.
#[derive(Debug, Clone, Copy)]
struct Block {
    /// Offset of its code in the code buffer.
    off: usize,
    /// Instructions.
    len: u32,
}

/// log2 of the entries of the block lookup cache.
pub(crate) const JC_BITS: u32 = 16;
const JCACHE: usize = 1 << JC_BITS;
/// Multiplier of the lookup cache's hash (`jc_hash`; translated code computes it too).
pub(crate) const JC_MUL: u64 = 0x9e37_79b9_7f4a_7c15;

/// One entry of the block lookup cache: a block's key and where its code is. Read by
/// translated code too (`emit::Em::chain_lookup`), hence `repr(C)` and 32 bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub(crate) struct JEntry {
    pub va: u64,
    pub pa_ctx: u64,
    /// Host address of the block's first instruction.
    pub code: u64,
    /// Guest instructions of the block.
    pub len: u64,
}

/// An entry no lookup matches (VA not 4-aligned; translated code only looks up aligned
/// VAs).
const NO_ENTRY: JEntry = JEntry { va: 1, pa_ctx: 0, code: 0, len: 0 };

/// Index in the lookup cache of a key (the same computation as `emit::Em::chain_lookup`).
#[inline(always)]
pub(crate) fn jc_hash(va: u64, pa_ctx: u64) -> usize {
    ((va ^ pa_ctx.rotate_left(32)).wrapping_mul(JC_MUL) >> (64 - JC_BITS)) as usize
}

fn jc_index(k: &Key) -> usize {
    jc_hash(k.va, k.pa_ctx)
}

/// How often the dispatcher ran and why blocks left translated code (printed with the
/// other statistics when `LSEMU_JIT_STATS` is set; for profiling only).
#[derive(Debug, Default, Clone)]
struct Counters {
    /// Blocks entered from the dispatcher.
    dispatches: u64,
    /// Instructions the dispatcher gave to the interpreter (interrupt checks, debug, a
    /// budget shorter than a block, pages that are not RAM).
    interp_steps: u64,
    /// Returns from translated code by exit code (index = `exit::*`).
    exits: [u64; 7],
    /// Runs that began with a scan of the PE's quiet tags (`Jit::sync_quiet`).
    quiet_scans: u64,
    /// Budget-limited prefixes translated (`Jit::tails`), and runs of them.
    tail_blocks: u64,
    tail_runs: u64,
    /// Runs (`Engine::run` calls that reached `run_inner`), jcache hits and misses of the
    /// dispatcher's probe, and interpreted steps by cause: a cold block, the budget's
    /// tail, a non-RAM fetch.
    runs: u64,
    jc_hits: u64,
    jc_misses: u64,
    steps_cold: u64,
    steps_tail: u64,
    steps_nonram: u64,
    irq_checks: u64,
    irq_taken: u64,
    /// Run ends: budget, wait, other.
    run_budget: u64,
    run_wait: u64,
    run_other: u64,
    /// Turns continued without leaving the run (`Platform::continue_run`).
    continued: u64,
}

/// The dispatcher interprets a block that is not translated the first `HOT - 1` times it
/// meets it and translates it the `HOT`-th time (`Jit::cold`): much of a kernel boot's
/// code runs once or a few times, where translating costs more host time than
/// interpreting. (`LSEMU_JIT_HOT=n` overrides it, for measurements.)
pub const HOT: u32 = 2;
/// A budget-limited prefix (`Jit::tails`) is translated the `TAIL_HOT`-th time it is
/// needed, the dispatcher stepping the instructions before (most are needed once or
/// twice; a few, at the turn ends inside hot loops, many times). (`LSEMU_JIT_TAIL_HOT=n`
/// overrides it, for measurements.)
pub const TAIL_HOT: u32 = 3;
static TAIL_HOT_N: std::sync::LazyLock<u32> = std::sync::LazyLock::new(|| std::env::var("LSEMU_JIT_TAIL_HOT").ok().and_then(|v| v.parse().ok()).unwrap_or(TAIL_HOT));
static HOT_N: std::sync::LazyLock<u32> = std::sync::LazyLock::new(|| std::env::var("LSEMU_JIT_HOT").ok().and_then(|v| v.parse().ok()).unwrap_or(HOT));

/// Bound on `Jit::seen` (emptied when it reaches it).
const SEEN_MAX: usize = 1 << 20;

/// The host address of the guest word at PA `pa`, when its whole 4 KiB page is in one of
/// the platform's RAM spans (readable as a whole); None otherwise.
fn ram_host(p: &dyn Platform, pa: u64) -> Option<usize> {
    let span = p.ram_span(PhysAddr(pa & !0xfff))?;
    if span.host.is_null() || pa < span.base.0 || (pa & !0xfff) - span.base.0 > span.len.saturating_sub(0x1000) {
        return None;
    }
    Some(span.host as usize + (pa - span.base.0) as usize)
}

/// The length of the block a translation at PA `pa` would have before `fp::loop_tail`
/// (instructions up to the first that ends a block, `emit::ends_block`, at most
/// `MAX_BLOCK`, in its page), or None if `pa` is not in RAM.
/// (Decoded through the PE's decode cache: the dispatcher interprets the block next.)
fn block_len(cpu: &mut Cpu, p: &dyn Platform, pa: u64) -> Option<u32> {
    let host = ram_host(p, pa)?;
    let n = (((0x1000 - (pa & 0xfff)) / 4) as usize).min(MAX_BLOCK);
    for i in 0..n {
        // SAFETY: as in `Jit::translate`: `host` points into a RAM span with at least `n`
        // words left in this page.
        let w = u32::from_le(unsafe { std::ptr::read_unaligned((host + 4 * i) as *const u32) });
        if emit::ends_block(&interp::decode_cached(cpu, w)) {
            return Some(i as u32 + 1);
        }
    }
    Some(n as u32)
}

/// `Ctx::tabs` for `cpu`: the addresses of its `FastMem` tables 1 and `QUIET` (the
/// tables are allocated once with the `Cpu`; translated code reads their address at
/// `FastLayout::tables` in `Cpu`, as here).
fn fast_tables(cpu: &Cpu) -> [u64; 2] {
    let l = cpu_aarch64::mem::fast_layout();
    // SAFETY: `FastLayout::tables` is the offset in `Cpu` of the (thin) pointer to the
    // tables, read as translated code reads it.
    let base = unsafe { std::ptr::read((cpu as *const Cpu as *const u8).add(l.tables) as *const u64) };
    let table = (l.entries * l.entry_size) as u64;
    [base + table, base + cpu_aarch64::mem::QUIET as u64 * table]
}

/// Whether the PE went from the instruction at `a` to the next one in the same page.
fn sequential(a: u64, b: u64) -> bool {
    b == a.wrapping_add(4) && b & 0xfff != 0
}

/// Size of the code buffer; a full buffer is flushed and translation starts again. A
/// Linux boot to poweroff (`scripts/bench.sh`) translates ~83K blocks into ~60 MB (1 or
/// 8 vCPUs), so it never fills: its only flush is the machine's at start-up
/// (`Engine::invalidate_all`), before any translation. (The mapping's pages are backed
/// as code is installed, `CodeBuf::populate`.) Tests fill a small buffer instead
/// (`Jit::with_code_size`).
const CODE_SIZE: usize = 128 << 20;
/// Room a block translation may need at most (checked before translating).
const BLOCK_ROOM: usize = 64 << 10;
/// Longest block (instructions).
pub(crate) const MAX_BLOCK: usize = 48;

/// The translator and its caches. One `Jit` serves every PE of a machine.
pub struct Jit {
    /// The code buffer.
    code: Option<CodeBuf>,
    /// Bytes used (the trampoline first).
    used: usize,
    /// Offset of the trampoline's first byte after it (where blocks start).
    tramp_end: usize,
    blocks: FxMap<Key, Block>,
    /// Budget-limited prefixes: (key of a block, k) -> the translation of its first k
    /// instructions alone, for the end of a run whose budget (k instructions left) a
    /// block does not fit in. Run by the dispatcher only (never chained to, never in
    /// the lookup cache); they live and die with their page's blocks (`CodePage::tails`).
    tails: FxMap<(Key, u32), Block>,
    /// Keys of blocks not translated yet: how often the dispatcher met them and their
    /// length (`Jit::cold`).
    seen: FxMap<Key, (u32, u32)>,
    /// Prefixes not translated yet: how often they were needed (`Jit::tail_block`).
    tail_seen: FxMap<(Key, u32), u32>,
    /// Direct-mapped cache in front of `blocks` (entries removed with their blocks). Its
    /// address is fixed for the Jit's life: translated code looks blocks up in it.
    jcache: Box<[JEntry]>,
    /// PA page -> blocks translated from it (shared with `JitPlat`, which checks stores).
    pages: std::rc::Rc<std::cell::RefCell<FxMap<u64, CodePage>>>,
    /// Pages that may be keys of `pages` or watched by the platform (shared with
    /// `JitPlat`; read by translated code).
    filter: StoreFilter,
    /// Filter indices whose `WATCH` bit the last `store_watch` set, or `None` when it
    /// asked for every store (`WATCH` set everywhere).
    watched: Option<Vec<usize>>,
    /// Scratch for `Platform::store_watch`.
    watch_buf: Vec<(u64, u64)>,
    /// The pages the platform watches in the current run (lent to `JitPlat`).
    watch: Watch,
    /// This Jit's part of `Cpu::fast_quiet_mark` (unique per `Jit`, in bits 63:40).
    mark_id: u64,
    /// PA pages that got their first translation so far (the rest of the quiet mark).
    code_pages_added: u64,
    /// The last of those pages (at most `ADDED_LOG`; `code_pages_added` - len first).
    added: std::collections::VecDeque<u64>,
    /// The code every block shares (after the trampoline).
    stubs: emit::Stubs,
    /// The assembler every translation uses in turn (`emit::Asm`), and the buffer its
    /// code is taken out to before `install` (kept for the next translation).
    asm: emit::Asm,
    code_out: Vec<u8>,
    /// The instruction list every translation uses in turn (`emit::block`).
    list: Box<emit::List>,
    /// Inline caches of register branches (`emit::Em::branch_ic`) of the current code
    /// buffer generation (stable heap addresses that translated code refers to).
    ics: ics::Ics,
    /// A chain slot to fill with the next looked-up block, and the PA page its source
    /// block came from.
    pending_slot: Option<(*mut u8, u64)>,
    /// Return stacks per PE index (`emit::ras`; written by translated code through
    /// `Ctx::rs`, cleared by `flush` and `invalidate_page`).
    #[allow(clippy::vec_box)]
    rstacks: Vec<Box<RsHome>>,
    /// The return record no return matches (`emit::ras::DUMMY_RECORD`; stable address).
    ret_dummy: Box<emit::ras::Record>,
    /// Bumped whenever blocks are removed (`clear_ret_stacks`; `RetStack::sync_stamp`).
    block_gen: u64,
    stats: EngineStats,
    counters: Counters,
    /// Translation failed for good (no executable memory): interpret.
    broken: bool,
    /// What translated code shares with the dispatcher, kept between runs (`run_inner`).
    ctx: Option<Box<CtxHome>>,
}

impl std::fmt::Debug for Jit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jit").field("blocks", &self.blocks.len()).field("stats", &self.stats).finish_non_exhaustive()
    }
}

impl Default for Jit {
    fn default() -> Self {
        Self::new()
    }
}

/// An anonymous read-write-execute mapping for translated code (one mapping for the
/// Jit's life: no protection changes per translation).
struct CodeBuf {
    ptr: *mut u8,
    len: usize,
    /// Bytes from the start already backed by pages ([`CodeBuf::populate`]).
    populated: usize,
}

/// How much of the code buffer [`CodeBuf::populate`] backs at a time.
const POPULATE_CHUNK: usize = 1 << 20;

impl CodeBuf {
    fn new(len: usize) -> std::io::Result<CodeBuf> {
        // SAFETY: an anonymous private mapping; the result is checked.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE | libc::PROT_EXEC,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        // Translated code is spread over tens of MB: asked to be backed by transparent huge
        // pages (hosts in THP `madvise` mode honour it), it takes one host page fault per 2 MiB
        // as `populate` grows it and far fewer instruction-TLB misses when blocks of many
        // pages chain into each other. Advice only: refused, the buffer is 4 KiB pages.
        // SAFETY: the mapping just made; the advice changes only how it is backed.
        unsafe { libc::madvise(p, len, libc::MADV_HUGEPAGE) };
        Ok(CodeBuf { ptr: p as *mut u8, len, populated: 0 })
    }

    /// Makes sure the first `end` bytes have pages, a chunk at a time with one
    /// MADV_POPULATE_WRITE (Linux 5.14) rather than a page fault per 4 KiB page as code
    /// is copied in. Pages stay after a flush (the buffer is reused from its start). Where
    /// the advice is not supported the pages simply fault in on first write.
    fn populate(&mut self, end: usize) {
        while self.populated < end.min(self.len) {
            let n = POPULATE_CHUNK.min(self.len - self.populated);
            // SAFETY: a range inside the mapping made in `new`; the advice only
            // allocates pages (contents stay zero or as written).
            let r = unsafe { libc::madvise(self.ptr.add(self.populated) as *mut libc::c_void, n, libc::MADV_POPULATE_WRITE) };
            if r != 0 {
                self.populated = self.len;
                break;
            }
            self.populated += n;
        }
    }
}

impl Drop for CodeBuf {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`; no translated code runs any more.
        unsafe { libc::munmap(self.ptr as *mut libc::c_void, self.len) };
    }
}

type Trampoline = unsafe extern "sysv64" fn(cpu: *mut Cpu, ctx: *mut Ctx, entry: *const u8) -> u32;

impl Jit {
    pub fn new() -> Self {
        Self::with_code_size(CODE_SIZE)
    }

    /// A Jit whose code buffer holds `bytes` (at least 256 KiB) instead of `CODE_SIZE`:
    /// for tests of the full buffer's flush and retranslation.
    pub fn with_code_size(bytes: usize) -> Self {
        let mut j = Jit {
            code: None,
            used: 0,
            tramp_end: 0,
            blocks: Default::default(),
            tails: Default::default(),
            seen: Default::default(),
            tail_seen: Default::default(),
            jcache: vec![NO_ENTRY; JCACHE].into_boxed_slice(),
            pages: Default::default(),
            filter: (0..FILTER_LEN).map(|_| std::cell::Cell::new(0)).collect(),
            watched: Some(Vec::new()),
            watch_buf: Vec::new(),
            watch: Watch::Pages(Vec::new()),
            mark_id: {
                static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
                NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed) << 40
            },
            code_pages_added: 0,
            added: Default::default(),
            stubs: emit::Stubs::default(),
            asm: emit::assembler(),
            code_out: Vec::new(),
            list: emit::new_list(),
            ics: Default::default(),
            pending_slot: None,
            rstacks: Vec::new(),
            ret_dummy: Box::new(emit::ras::DUMMY_RECORD),
            block_gen: 1,
            stats: EngineStats::default(),
            counters: Counters::default(),
            broken: false,
            ctx: None,
        };
        match CodeBuf::new(bytes.max(4 * BLOCK_ROOM)) {
            Ok(b) => {
                j.code = Some(b);
                let (t, stubs) = emit::trampoline(j.base(), j.jcache.as_ptr());
                if j.install(&t).is_some() {
                    j.tramp_end = j.used;
                    j.stubs = stubs;
                    if perfmap::enabled() {
                        j.name_stubs();
                    }
                } else {
                    j.broken = true;
                }
            }
            Err(e) => {
                tracing::warn!(target: "jit", "no executable memory ({e}): the JIT interprets");
                j.broken = true;
            }
        }
        j
    }

    /// Budget-limited prefixes (`Jit::tails`): how many were translated, and how many
    /// times the dispatcher ran one.
    pub fn tail_stats(&self) -> (u64, u64) {
        (self.counters.tail_blocks, self.counters.tail_runs)
    }

    /// Bytes of the code buffer.
    fn code_size(&self) -> usize {
        self.code.as_ref().map_or(0, |c| c.len)
    }

    /// Lists the trampoline and each shared stub in the perf map (`perfmap`): a stub
    /// runs to the next one's start, the last to the end of the trampoline's code.
    fn name_stubs(&self) {
        let st = &self.stubs;
        let mut v = vec![(self.base(), "trampoline".to_string()), (st.epilogue, "epilogue".into()), (st.callout, "callout".into()), (st.callout_data, "callout_data".into()), (st.callout_back, "callout_back".into()), (st.callout_back_data, "callout_back_data".into()), (st.budget, "budget".into()), (st.chain, "chain".into()), (st.lookup_cache, "lookup_cache".into())];
        for k in 0..8 {
            v.push((st.lookup[k], format!("lookup{k}")));
            v.push((st.lookup_ic[k], format!("lookup_ic{k}")));
            v.push((st.lookup_ret[k], format!("lookup_ret{k}")));
            v.push((st.lookup_far[k], format!("lookup_far{k}")));
            v.push((st.lookup_gen[k], format!("lookup_gen{k}")));
            v.push((st.probe_gen[k], format!("probe_gen{k}")));
            v.push((st.probe_ret[k], format!("probe_ret{k}")));
            v.push((st.fetch_miss[k], format!("fetch_miss{k}")));
        }
        v.sort();
        v.dedup_by_key(|x| x.0);
        let end = self.base() + self.tramp_end;
        for (i, (a, name)) in v.iter().enumerate() {
            let next = v.get(i + 1).map_or(end, |n| n.0);
            if next > *a {
                perfmap::record_named(*a, next - a, name);
            }
        }
    }

    fn base(&self) -> usize {
        self.code.as_ref().map_or(0, |c| c.ptr as usize)
    }

    /// Copies machine code to the end of the buffer; returns its offset.
    fn install(&mut self, bytes: &[u8]) -> Option<usize> {
        let off = self.used;
        if off + bytes.len() > self.code_size() {
            return None;
        }
        let buf = self.code.as_mut()?;
        buf.populate(off + bytes.len());
        // SAFETY: `off + len <= code_size()` (checked above), the buffer is writable, and no
        // translated code runs while the dispatcher installs code.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf.ptr.add(off), bytes.len()) };
        self.used = off + bytes.len();
        Some(off)
    }

    /// Forgets every translation and empties the code buffer (not while guest code runs).
    fn flush(&mut self) {
        self.stats.flushes += 1;
        self.stats.blocks_invalidated += self.blocks.len() as u64;
        self.blocks.clear();
        self.tails.clear();
        self.seen.clear();
        self.jcache.fill(NO_ENTRY);
        self.pages.borrow_mut().clear();
        for w in self.filter.iter() {
            w.set(w.get() & WATCH);
        }
        self.ics.clear();
        self.clear_ret_stacks();
        self.pending_slot = None;
        self.used = self.tramp_end;
    }

    /// Empties every PE's return stack and starts a new block generation (`emit::ras`):
    /// after blocks were removed.
    fn clear_ret_stacks(&mut self) {
        let dummy = &*self.ret_dummy as *const emit::ras::Record as u64;
        self.block_gen += 1;
        for s in &self.rstacks {
            // SAFETY: no translated code runs (the dispatcher calls this), so nothing
            // else accesses the stack.
            unsafe { (*s.rs.get()).clear(dummy, self.block_gen) };
        }
    }

    /// The return stack of PE `index` (made on first use).
    fn ret_stack(&mut self, index: u8) -> *mut emit::ras::RetStack {
        let i = index as usize;
        let dummy = &*self.ret_dummy as *const emit::ras::Record as u64;
        while self.rstacks.len() <= i {
            self.rstacks.push(Box::new(RsHome { _below: [0; RS_AT], rs: std::cell::UnsafeCell::new(emit::ras::RetStack::new(dummy, self.block_gen)) }));
        }
        self.rstacks[i].rs.get()
    }

    fn invalidate_written(&mut self, page: u64) {
        if page == ALL_PAGES {
            self.flush();
        } else {
            self.invalidate_page(page);
        }
    }

    fn invalidate_page(&mut self, page: u64) {
        let keys = self.pages.borrow_mut().remove(&page);
        if let Some(CodePage { keys, tails, .. }) = keys {
            for t in tails {
                self.tails.remove(&t);
            }
            self.clear_ret_stacks();
            let f = &self.filter[filter_index(page)];
            f.set(f.get().wrapping_sub(1));
            for k in keys {
                let j = &mut self.jcache[jc_index(&k)];
                if j.va == k.va && j.pa_ctx == k.pa_ctx {
                    *j = NO_ENTRY;
                }
                if self.blocks.remove(&k).is_some() {
                    self.stats.blocks_invalidated += 1;
                }
            }
        }
        // A pending chain request from a block of this page must not be honoured.
        if self.pending_slot.is_some_and(|(_, pg)| pg == page) {
            self.pending_slot = None;
        }
    }

    /// Sets the `WATCH` bits of the store filter from `Platform::store_watch` for the run
    /// about to start (clearing the previous run's).
    fn update_watch(&mut self, p: &dyn Platform) {
        self.watch_buf.clear();
        let partial = p.store_watch(&mut self.watch_buf);
        let set = |f: &StoreFilter, i: usize| f[i].set(f[i].get() | WATCH);
        let clear = |f: &StoreFilter, i: usize| f[i].set(f[i].get() & !WATCH);
        // A few ranges of a few pages each (one 64-byte granule per other PE on the
        // LS2088A); more than this many pages: watch everything.
        const MAX_PAGES: u64 = 1024;
        let pages: u64 = self.watch_buf.iter().map(|&(pa, len)| (pa.wrapping_add(len.max(1) - 1) >> 12).wrapping_sub(pa >> 12).saturating_add(1)).fold(0u64, |a, b| a.saturating_add(b));
        if !partial || pages > MAX_PAGES {
            self.watch = Watch::All;
            if self.watched.is_some() {
                for i in 0..FILTER_LEN {
                    set(&self.filter, i);
                }
                self.watched = None;
            }
            return;
        }
        match self.watched.as_mut() {
            Some(w) => {
                for i in w.drain(..) {
                    clear(&self.filter, i);
                }
            }
            None => {
                for i in 0..FILTER_LEN {
                    clear(&self.filter, i);
                }
                self.watched = Some(Vec::new());
            }
        }
        let w = self.watched.get_or_insert_with(Vec::new);
        if matches!(self.watch, Watch::All) {
            self.watch = Watch::Pages(Vec::new());
        }
        let Watch::Pages(wp) = &mut self.watch else { return };
        wp.clear();
        for &(pa, len) in &self.watch_buf {
            let (first, last) = (pa >> 12, pa.wrapping_add(len.max(1) - 1) >> 12);
            let mut pg = first;
            loop {
                set(&self.filter, filter_index(pg));
                w.push(filter_index(pg));
                if !wp.contains(&pg) {
                    wp.push(pg);
                }
                if pg == last {
                    break;
                }
                pg = pg.wrapping_add(1);
            }
        }
    }

    /// Translates the block at `va` (physical `pa`) for the current context.
    fn translate(&mut self, cpu: &mut Cpu, p: &dyn Platform, va: u64, pa: u64) -> Option<Block> {
        self.translate_limited(cpu, p, va, pa, None)
    }

    /// The budget-limited prefix of the block with key `k` at `va` (physical `pa`) for
    /// `left` instructions (fewer than the block has): the translation of its first
    /// `left` instructions (`Jit::tails`), made now if not cached and needed for the
    /// `TAIL_HOT`-th time. None if it is not (to be) translated.
    fn tail_block(&mut self, cpu: &mut Cpu, p: &dyn Platform, k: Key, pa: u64, left: u32) -> Option<Block> {
        if let Some(&b) = self.tails.get(&(k, left)) {
            return Some(b);
        }
        // Translated the `TAIL_HOT`-th time it is needed (the dispatcher steps it before).
        if self.tail_seen.len() >= SEEN_MAX {
            self.tail_seen.clear();
        }
        let c = self.tail_seen.entry((k, left)).or_insert(0);
        *c += 1;
        if *c < *TAIL_HOT_N {
            return None;
        }
        self.tail_seen.remove(&(k, left));
        self.translate_limited(cpu, p, k.va, pa, Some(left))
    }

    /// `translate`, or with `prefix` the translation of at most that many instructions
    /// from `va` as a prefix (`Jit::tails`).
    fn translate_limited(&mut self, cpu: &mut Cpu, p: &dyn Platform, va: u64, pa: u64, prefix: Option<u32>) -> Option<Block> {
        let host = ram_host(p, pa)?;
        if self.used + BLOCK_ROOM > self.code_size() {
            self.flush();
        }
        let n = ((0x1000 - (pa & 0xfff)) / 4) as usize;
        let mut buf = [0u32; MAX_BLOCK];
        let words = &mut buf[..n.min(prefix.map_or(MAX_BLOCK, |l| (l as usize).clamp(1, MAX_BLOCK)))];
        for (i, w) in words.iter_mut().enumerate() {
            // SAFETY: `host` points into a RAM span of the platform with at least `n`
            // words left in this page (checked above); spans stay allocated while the
            // machine exists.
            *w = u32::from_le(unsafe { std::ptr::read_unaligned((host + 4 * i) as *const u32) });
        }
        let start = self.base() + self.used;
        let mut cx = emit::BlockCx {
            va,
            pa,
            el: cpu.st.pstate.el,
            spsel: cpu.st.pstate.sp,
            start,
            stubs: self.stubs,
            asm: &mut self.asm,
            ics: &mut self.ics,
            page: host - (pa & 0xfff) as usize,
            prefix: prefix.is_some(),
            ret_dummy: &*self.ret_dummy as *const emit::ras::Record as u64,
            decode: &mut |w| interp::decode_cached(cpu, w),
        };
        let mut out = std::mem::take(&mut self.code_out);
        let r = emit::block(&mut cx, start, words, &mut out, &mut self.list);
        let off = r.and_then(|_| self.install(&out));
        let bytes = out.len();
        self.code_out = out;
        let ((len, lines), off) = (r?, off?);
        if perfmap::enabled() {
            perfmap::record(self.base() + off, bytes, va);
        }
        let b = Block { off, len };
        let k = key(cpu, va, pa);
        match prefix {
            Some(l) => {
                self.tails.insert((k, l), b);
            }
            None => {
                self.blocks.insert(k, b);
            }
        }
        let mut new_page = false;
        {
            let mut pages = self.pages.borrow_mut();
            let c = pages.entry(pa >> 12).or_insert_with(|| {
                // A new key of `pages`: count it (at most 2^15 - 1 pages share an entry:
                // RAM is at most 512 GiB, 2048 pages per entry).
                let f = &self.filter[filter_index(pa >> 12)];
                f.set(f.get().wrapping_add(1));
                new_page = true;
                CodePage::default()
            });
            match prefix {
                Some(l) => c.tails.push((k, l)),
                None => c.keys.push(k),
            }
            c.lines |= lines;
        }
        if new_page {
            // Stores to the page must be reported from now on: no quiet tag may hit
            // (this PE's at once; the others' before they next run: `sync_quiet`).
            self.code_pages_added += 1;
            if self.added.len() == ADDED_LOG {
                self.added.pop_front();
            }
            self.added.push_back(pa >> 12);
            if cpu.fast_quiet_may_have(pa >> 12) {
                cpu.fast_drop_quiet(|pg| pg == pa >> 12);
            }
        }
        match prefix {
            Some(_) => self.counters.tail_blocks += 1,
            None => self.stats.blocks_translated += 1,
        }
        Some(b)
    }

    /// This Jit's `Cpu::fast_quiet_mark` for a PE that has no quiet tag for a page that
    /// got translations so far (`code_pages_added`).
    fn quiet_mark(&self) -> u64 {
        self.mark_id | self.code_pages_added & MARK_COUNT
    }

    /// Before a run of `cpu` (`update_watch` done): clears its quiet tags of pages whose
    /// stores must be reported (`JitPlat::store_reported`): the pages watched in this
    /// run, and the pages that got translations since the PE's quiet mark (all pages
    /// with translations unless it ran under this Jit and got no quiet tag elsewhere
    /// since, and at most `ADDED_LOG` pages ago). A scan only if one of those pages may
    /// have a quiet tag (`Cpu::fast_quiet_may_have`).
    fn sync_quiet(&mut self, cpu: &mut Cpu, p: &JitPlat<'_>) {
        let mark = cpu.fast_quiet_mark();
        let now = self.code_pages_added & MARK_COUNT;
        let new = now.wrapping_sub(mark & MARK_COUNT);
        let scan = if mark & !MARK_COUNT != self.mark_id || new > self.added.len() as u64 {
            true
        } else {
            let since = self.added.iter().skip(self.added.len() - new as usize);
            let watched = match &p.watch {
                Watch::All => return self.scan_quiet(cpu, p),
                Watch::Pages(v) => v.iter(),
            };
            since.chain(watched).any(|&pg| cpu.fast_quiet_may_have(pg))
        };
        if scan {
            self.scan_quiet(cpu, p);
        }
    }

    fn scan_quiet(&mut self, cpu: &mut Cpu, p: &JitPlat<'_>) {
        self.counters.quiet_scans += 1;
        cpu.fast_drop_quiet(|pg| p.store_reported(pg));
    }

    /// Whether the block with key `k` (at PA `pa`), not translated, is to be interpreted
    /// this time: the first `HOT - 1` times the dispatcher meets it (counted in `seen`).
    /// Then returns its length (instructions up to the one that ends it).
    fn cold(&mut self, cpu: &mut Cpu, p: &dyn Platform, k: Key, pa: u64) -> Option<usize> {
        let hot = *HOT_N;
        if hot <= 1 {
            return None;
        }
        if self.seen.len() >= SEEN_MAX {
            self.seen.clear();
        }
        // (One hash and probe of `seen` per visit.)
        let mut e = match self.seen.entry(k) {
            std::collections::hash_map::Entry::Occupied(e) => e,
            std::collections::hash_map::Entry::Vacant(v) => v.insert_entry((0, block_len(cpu, p, pa)?)),
        };
        let c = e.get_mut();
        c.0 += 1;
        if c.0 >= hot {
            e.remove();
            return None;
        }
        Some(c.1 as usize)
    }

    fn run_inner(&mut self, cpu: &mut Cpu, p: &mut JitPlat<'_>, budget: u64) -> Exit {
        self.counters.runs += 1;
        let end = cpu.icount.saturating_add(budget);
        // The `Ctx` is kept from run to run (its 1 KiB page memo is not cleared and copied
        // at every turn: the dispatcher starts a new memo epoch before every entry into
        // translated code anyway, `Ctx::memo_reset`); the rest is set afresh.
        let mut home = self.ctx.take().unwrap_or_else(|| {
            Box::new(CtxHome { _below: [0; CTX_AT], ctx: Ctx {
                tabs: [0; 2],
                ends: [0; ENDS],
                end: 0,
                slot: std::ptr::null_mut(),
                cpu: std::ptr::null_mut(),
                plat: std::ptr::null_mut(),
                exit: None,
                slot_page: 0,
                jcache: std::ptr::null(),
                memo: [[0; 2]; 64],
                memo_epoch: 16,
                rs: std::ptr::null_mut(),
            } })
        });
        let ctx = &mut home.ctx;
        ctx.set_ends(end);
        ctx.end = end;
        ctx.slot = std::ptr::null_mut();
        ctx.cpu = cpu as *mut Cpu;
        ctx.tabs = fast_tables(cpu);
        ctx.plat = std::ptr::null_mut();
        ctx.exit = None;
        ctx.slot_page = 0;
        ctx.jcache = self.jcache.as_ptr();
        ctx.rs = self.ret_stack(cpu.cfg.index);
        let x = self.dispatch(cpu, p, end, ctx);
        self.ctx = Some(home);
        x
    }

    /// `run_inner`'s loop, with its `Ctx`: the budget up to `end` (`dispatch_budget`), then,
    /// as long as the platform lets the run go on as the PE's next turn
    /// (`Platform::continue_run`), the next one: what a new run does first, without the
    /// run boundaries (nothing outside this PE ran): interrupts sampled first.
    fn dispatch(&mut self, cpu: &mut Cpu, p: &mut JitPlat<'_>, mut end: u64, ctx: &mut Ctx) -> Exit {
        loop {
            let x = self.dispatch_budget(cpu, p, end, ctx);
            if !matches!(x, Exit::Budget) || cpu.off || cpu.waiting.is_some() {
                return x;
            }
            let more = p.continue_run(cpu);
            if more == 0 {
                return x;
            }
            self.counters.continued += 1;
            end = cpu.icount.saturating_add(more);
            ctx.set_ends(end);
            ctx.end = end;
            self.pending_slot = None;
            cpu.fast_request_irq_check();
        }
    }

    /// Runs translated blocks and interpreted steps until icount reaches `end`.
    fn dispatch_budget(&mut self, cpu: &mut Cpu, p: &mut JitPlat<'_>, end: u64, ctx: &mut Ctx) -> Exit {
        // The end of the budget is near (less than a block's length): a block did not fit
        // in what is left, so the rest is stepped by the interpreter without looking
        // blocks up again (`step_inner` is what the dispatcher does for one instruction
        // when no block runs: same fetch, same checks).
        let mut tail = false;
        // Instructions the dispatcher may still step as part of a block it interprets
        // (`Jit::seen`) while they follow each other in one page.
        let mut steps = 0usize;
        while cpu.icount < end {
            for pg in std::mem::take(&mut p.written) {
                self.invalidate_written(pg);
            }
            if cpu.off {
                return Exit::Off;
            }
            if cpu.waiting.is_some() {
                if !cpu_aarch64::exception::wake_pending(cpu, p) {
                    return Exit::Wait;
                }
                cpu.fast_request_irq_check();
            }
            cpu.waiting = None;
            if cpu.fast_irq_check() && !self.broken {
                // `step_inner`'s first part: sample interrupts (taking one ends the step).
                // If none was taken and nothing asks for per-instruction checks, what
                // `step_inner` does next is the fetch below: run a block from there
                // rather than a single interpreted instruction.
                self.counters.irq_checks += 1;
                if interp::irq_check_step(cpu, p) {
                    self.counters.irq_taken += 1;
                    self.pending_slot = None;
                    continue;
                }
                // (None taken: nothing changed, a pending chain request still holds.)
            }
            if tail || steps > 0 || must_interpret(cpu) || self.broken {
                self.pending_slot = None;
                self.counters.interp_steps += 1;
                if tail {
                    self.counters.steps_tail += 1;
                } else if steps > 0 {
                    self.counters.steps_cold += 1;
                }
                let before = cpu.st.pc;
                if let Some(x) = interp::step_inner(cpu, p) {
                    return x;
                }
                steps = if sequential(before, cpu.st.pc) { steps.saturating_sub(1) } else { 0 };
                continue;
            }
            let pc = cpu.st.pc;
            let raw = match cpu.fetch(p, pc) {
                Ok(w) => w,
                Err(e) => {
                    // As `step_inner`: a failed fetch takes time.
                    self.pending_slot = None;
                    cpu.count_failed_fetch();
                    cpu.take_sync(e);
                    cpu.fast_invalidate();
                    continue;
                }
            };
            // After a slow-path fetch that filled `FastMem`, the entry is made the fetch
            // entry: the block runs from this instruction on instead of the interpreter
            // running just this one (the same instruction either way).
            let Some(pa) = cpu.fetch_would_hit(pc).or_else(|| cpu.fetch_refresh(pc)) else {
                // Not a RAM page the fetch cache holds: one instruction the interpreter's way.
                self.pending_slot = None;
                self.counters.steps_nonram += 1;
                if let Some(x) = interp::exec_fetched(cpu, p, pc, raw, false) {
                    return x;
                }
                continue;
            };
            let k = key(cpu, pc, pa);
            let ji = jc_index(&k);
            let base = self.base();
            let je = self.jcache[ji];
            let cached = if je.va == k.va && je.pa_ctx == k.pa_ctx {
                self.counters.jc_hits += 1;
                Some(Block { off: (je.code as usize).wrapping_sub(base), len: je.len as u32 })
            } else {
                self.counters.jc_misses += 1;
                self.blocks.get(&k).copied()
            };
            let b = match cached {
                Some(b) => Some(b),
                // Near the end of the budget, step instead of translating blocks that
                // start at odd places.
                None if end - cpu.icount < MAX_BLOCK as u64 => None,
                None => match self.cold(cpu, p, k, pa) {
                    Some(len) => {
                        // Interpreted this time: the block's instructions, while they
                        // follow each other (an exception ends the stepping).
                        steps = len;
                        None
                    }
                    None => self.translate(cpu, p, pc, pa),
                },
            };
            if let Some(b) = b {
                // (After `translate`, which may have flushed the buffer: same base.)
                self.jcache[ji] = JEntry { va: k.va, pa_ctx: k.pa_ctx, code: (self.base() + b.off) as u64, len: b.len as u64 };
            }
            let left = end - cpu.icount;
            // A block longer than what is left of the budget: its prefix of that length
            // (which retires exactly the instructions the interpreter would step).
            let b = match b {
                Some(b) if left < b.len as u64 => match self.tail_block(cpu, p, k, pa, left as u32) {
                    Some(t) if t.len as u64 <= left => {
                        // (Never a chain target: a pending slot stays unpatched.)
                        self.pending_slot = None;
                        self.counters.tail_runs += 1;
                        Some(t)
                    }
                    _ => None,
                },
                b => b,
            };
            let b = match b {
                Some(b) if left >= b.len as u64 => b,
                _ => {
                    self.pending_slot = None;
                    self.counters.interp_steps += 1;
                    tail = end - cpu.icount < MAX_BLOCK as u64;
                    if tail {
                        self.counters.steps_tail += 1;
                    } else {
                        self.counters.steps_cold += 1;
                    }
                    if let Some(x) = interp::exec_fetched(cpu, p, pc, raw, false) {
                        return x;
                    }
                    steps = if sequential(pc, cpu.st.pc) { steps.saturating_sub(1) } else { 0 };
                    continue;
                }
            };
            if let Some((slot, page)) = self.pending_slot.take() {
                if page == pa >> 12 {
                    // Patch the JMP to enter the block directly (a rel32: the code
                    // buffer is far smaller than 2 GiB).
                    let rel = (self.base() + b.off).wrapping_sub(slot as usize + 4) as i32;
                    // SAFETY: the slot is a JMP's rel32 inside a block of this buffer
                    // generation (`flush` clears `pending_slot`); the buffer is writable
                    // and no translated code runs while the dispatcher patches it.
                    unsafe { std::ptr::write_unaligned(slot.cast::<i32>(), rel) };
                }
            }
            // SAFETY: the trampoline and the block were emitted by `emit` for this buffer;
            // `ctx`, `cpu` and `p` outlive the call; translated code only touches `cpu`
            // through the offsets of its fields and calls back into `emit`'s call-outs.
            ctx.plat = (p as *mut JitPlat<'_>).cast::<JitPlat<'static>>();
            // (The dispatcher may have run anything since translated code last ran.)
            ctx.memo_reset();
            // SAFETY: `ctx.rs` is this PE's stack (`ret_stack`: boxed, alive as long as
            // `self`); no translated code runs now, so nothing else accesses it.
            unsafe { (*ctx.rs).sync_stamp(cpu) };
            let code = self.code.as_ref().expect("code buffer present outside install");
            let r = unsafe {
                let tramp: Trampoline = std::mem::transmute(code.ptr);
                tramp(cpu as *mut Cpu, ctx as *mut Ctx, code.ptr.add(b.off))
            };
            self.counters.dispatches += 1;
            if let Some(c) = self.counters.exits.get_mut(r as usize) {
                *c += 1;
            }
            if let Some(x) = ctx.exit.take() {
                return x;
            }
            if r == exit::CHAIN && !ctx.slot.is_null() {
                // The block that asked has its PA page in `slot_page` (it need not be the
                // block the dispatcher entered: blocks chain across pages).
                self.pending_slot = Some((ctx.slot, ctx.slot_page));
            } else {
                self.pending_slot = None;
            }
        }
        Exit::Budget
    }
}

impl Engine for Jit {
    fn kind(&self) -> EngineKind {
        EngineKind::Jit
    }

    fn run(&mut self, cpu: &mut Cpu, p: &mut dyn Platform, budget: u64) -> Exit {
        if cpu.off {
            return Exit::Off;
        }
        if cpu.waiting.is_some() {
            // What `run_inner` does first, before the run's set-up: a waiting PE that
            // nothing wakes runs nothing (an idle PE's turn, every round of an SMP guest).
            // Skipping the run boundaries leaves `FastMem` as the previous run left it,
            // which the next run checks the same way.
            if !cpu_aarch64::exception::wake_pending(cpu, p) {
                return Exit::Wait;
            }
            cpu.fast_request_irq_check();
            cpu.waiting = None;
        }
        cpu.fast_run_boundary(true);
        self.update_watch(p);
        let watch = std::mem::replace(&mut self.watch, Watch::Pages(Vec::new()));
        let mut jp = JitPlat { inner: p, pages: self.pages.clone(), filter: self.filter.clone(), written: Vec::new(), watch };
        self.sync_quiet(cpu, &jp);
        let x = self.run_inner(cpu, &mut jp, budget);
        match x {
            Exit::Budget => self.counters.run_budget += 1,
            Exit::Wait => self.counters.run_wait += 1,
            _ => self.counters.run_other += 1,
        }
        for pg in std::mem::take(&mut jp.written) {
            self.invalidate_written(pg);
        }
        self.watch = std::mem::replace(&mut jp.watch, Watch::All);
        self.pending_slot = None;
        cpu.fast_run_boundary(false);
        // Every quiet tag set in the run was allowed by `quiet_store_ok`, and every page
        // translated in it had this PE's cleared.
        cpu.set_fast_quiet_mark(self.quiet_mark());
        x
    }

    fn invalidate_phys(&mut self, pa: u64, len: u64) {
        let first = pa >> 12;
        let last = pa.wrapping_add(len.max(1) - 1) >> 12;
        if last.wrapping_sub(first) > 4096 {
            self.invalidate_all();
            return;
        }
        let mut pg = first;
        loop {
            self.invalidate_page(pg);
            if pg == last {
                break;
            }
            pg = pg.wrapping_add(1);
        }
    }

    fn invalidate_all(&mut self) {
        self.flush();
    }

    fn stats(&self) -> EngineStats {
        self.stats.clone()
    }
}

impl Drop for Jit {
    fn drop(&mut self) {
        if std::env::var_os("LSEMU_JIT_STATS").is_some() {
            eprintln!("lsemu-jit: {:?}, {:?}, live blocks {}, live tail blocks {}, code bytes {}", self.stats, self.counters, self.blocks.len(), self.tails.len(), self.used);
        }
        emit::native2::report();
        emit::ras::report();
        perfmap::flush();
    }
}
