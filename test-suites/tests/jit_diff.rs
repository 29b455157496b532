//! Differential test: the JIT (`lsemu_jit::Jit`) against the reference interpreter. The
//! oracle is the interpreter (itself checked against QEMU by `qemu_diff`).
//!
//! Thousands of programs (see `test_suites::jitdiff`): random sequences of the whole A64
//! table (faults at EL0 and EL1 continue in a logging handler), loops, self-modifying
//! code with and without cache maintenance, interrupts raised between `run` calls at a
//! chosen instruction count and by an MMIO doorbell, WFI, a page remapped under the code
//! (TLBI), code patched by the host (`Engine::invalidate_phys`), MMU on (VA != PA) and
//! off, code and data crossing pages. Each program runs on the interpreter with one large
//! budget (the reference), then, for each budget pattern (one large budget, 1, 7 and 1000
//! instructions per `run` call, random budgets), on the interpreter and on the JIT with
//! that pattern, and the full state must be identical: X0-X30, SP_EL0-3, PC, PSTATE,
//! V0-V31, FPCR, FPSR, ELR/SPSR, every system register (ESR, FAR, ...), icount, exclusive
//! monitor, statistics, all RAM, the MMIO access log, `store_notify` calls, the IRQ line,
//! and the sequence of `run` results. (The interpreter's chunked runs are also compared
//! with its reference run: it must not depend on budgets, or the JIT could not be held to
//! it.) Self-modifying code without maintenance may run the old or the new word (Arm ARM
//! B2.2.5): the JIT must match one of the two interpreter runs (new code / fetches served
//! from the old word).
//!
//! Environment: `LSEMU_JIT_DIFF_ITERS` (programs, default 5000), `LSEMU_JIT_DIFF_SEED`,
//! `LSEMU_JIT_DIFF_CASE` (run only this program number, and print it).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use cpu_aarch64::engine::{Engine, EngineKind, EngineStats, Interpreter};
use cpu_aarch64::interp::{self, Exit};
use cpu_aarch64::platform::{Bus, BusAttrs, BusError, Hooked, IrqLevels, PhysAddr, Platform, RamSpan};
use cpu_aarch64::Cpu;
use rayon::prelude::*;
use test_suites::jitdiff::{all_candidates, compare, make_prog, run_prog, Chunks, Outcome, Prog, TestPlat, CODE_PA, CODE_SIZE};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| {
            let v = v.trim();
            if let Some(h) = v.strip_prefix("0x") { u64::from_str_radix(h, 16).ok() } else { v.parse().ok() }
        })
        .unwrap_or(default)
}

/// What the reference run did (for the summary: the programs must exercise something).
#[derive(Default)]
struct RefStats {
    halted: bool,
    exceptions: u64,
    insns: u64,
}

#[derive(Default)]
struct Summary {
    kinds: std::collections::BTreeMap<&'static str, usize>,
    /// Mismatching programs: (kind, message).
    fails: Vec<(&'static str, String)>,
    halted: usize,
    with_exceptions: usize,
    exceptions: u64,
    insns: u64,
    /// The engines' own counters, summed.
    engine: EngineStats,
}

/// One `run` call for the whole program.
const REF: Chunks = Chunks::Fixed(u64::MAX / 4);

/// Budget patterns every program runs with, on both engines: one large budget (as the
/// machine's quanta), 1, 7 and 1000 instructions per call, and random budgets.
fn patterns(id: u64) -> [Chunks; 5] {
    [REF, Chunks::Fixed(1), Chunks::Fixed(7), Chunks::Fixed(1000), Chunks::Random(id)]
}

fn outcome(prog: &Prog, e: &mut dyn Engine, chunks: Chunks, stale: bool) -> Outcome {
    let mut plat = TestPlat::new();
    let (cpu, exits) = run_prog(prog, e, &mut plat, chunks, stale);
    Outcome { cpu, plat, exits }
}

/// Runs one program on the interpreter and on `engine` with every budget pattern; `Err`
/// describes the first mismatch.
fn check(prog: &Prog, engine: &mut dyn Engine) -> Result<RefStats, String> {
    let reference = outcome(prog, &mut Interpreter, REF, false);
    let stats = RefStats {
        halted: reference.exits.last() == Some(&Exit::Halt(0)),
        exceptions: reference.cpu.stats.exceptions,
        insns: reference.cpu.icount,
    };
    if std::env::var_os("LSEMU_JIT_DIFF_CASE").is_some() {
        println!("reference: exits {:?}, icount {}, {} exceptions, pc {:#x}, EL{}", reference.exits, reference.cpu.icount, stats.exceptions, reference.cpu.st.pc, reference.cpu.st.pstate.el);
    }
    let name = engine.kind().name();
    for chunks in patterns(prog.id) {
        let interp_chunked = if chunks == REF { None } else { Some(outcome(prog, &mut Interpreter, chunks, false)) };
        let expect = interp_chunked.as_ref().unwrap_or(&reference);
        // The interpreter must not depend on budgets, or the JIT could not be held to it.
        let d = compare(&reference, expect, "interp(one run)", "interp(chunked)", false);
        if !d.is_empty() {
            return Err(format!("the interpreter depends on the budget ({chunks:?}):\n    {}", d.join("\n    ")));
        }
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| outcome(prog, engine, chunks, false)));
        let got = match r {
            Ok(o) => o,
            Err(e) => {
                let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()));
                return Err(format!("{name} panicked ({chunks:?}): {}", msg.unwrap_or_default()));
            }
        };
        let d = compare(expect, &got, "interp", name, true);
        if d.is_empty() {
            continue;
        }
        if prog.smc_either.is_some() {
            let stale = outcome(prog, &mut Interpreter, chunks, true);
            if compare(&stale, &got, "interp(old code)", name, true).is_empty() {
                continue;
            }
        }
        return Err(format!("{chunks:?}:\n    {}", d.iter().take(24).cloned().collect::<Vec<_>>().join("\n    ")));
    }
    Ok(stats)
}

/// Runs programs `ids` against engines made by `mk` (one per worker, reused across
/// programs as the machine reuses its engine). Returns (failures, programs per kind).
fn run_all(seed: u64, ids: Vec<u64>, mk: &(dyn Fn() -> Box<dyn Engine> + Sync)) -> Summary {
    let cands = all_candidates();
    run_all_from(ids, mk, &|id| make_prog(seed, id, &cands))
}

/// `run_all` with program `id` made by `make`.
fn run_all_from(ids: Vec<u64>, mk: &(dyn Fn() -> Box<dyn Engine> + Sync), make: &(dyn Fn(u64) -> Prog + Sync)) -> Summary {
    let chunks: Vec<Vec<u64>> = ids.chunks(64).map(|c| c.to_vec()).collect();
    let res: Vec<_> = chunks
        .into_par_iter()
        .map(|ids| {
            let mut engine = mk();
            let mut s = Summary::default();
            for id in ids {
                CURRENT.store(id, Ordering::Relaxed);
                let prog = make(id);
                *s.kinds.entry(prog.kind).or_insert(0usize) += 1;
                if id % 16 == 0 {
                    engine.invalidate_all();
                }
                match check(&prog, engine.as_mut()) {
                    Ok(r) => {
                        s.halted += r.halted as usize;
                        s.with_exceptions += (r.exceptions > 0) as usize;
                        s.exceptions += r.exceptions;
                        s.insns += r.insns;
                    }
                    Err(e) => s.fails.push((prog.kind, format!("{}  mismatch {e}", prog.describe()))),
                }
            }
            s.engine = engine.stats();
            s
        })
        .collect();
    let mut all = Summary::default();
    for s in res {
        all.fails.extend(s.fails);
        for (n, c) in s.kinds {
            *all.kinds.entry(n).or_insert(0) += c;
        }
        all.halted += s.halted;
        all.with_exceptions += s.with_exceptions;
        all.exceptions += s.exceptions;
        all.insns += s.insns;
        all.engine.blocks_translated += s.engine.blocks_translated;
        all.engine.blocks_invalidated += s.engine.blocks_invalidated;
        all.engine.flushes += s.engine.flushes;
    }
    all
}

static CURRENT: AtomicU64 = AtomicU64::new(0);
static DONE: AtomicBool = AtomicBool::new(false);

/// An engine that never returns would hang CI: give up loudly after `secs`.
fn watchdog(secs: u64) {
    std::thread::spawn(move || {
        let t0 = std::time::Instant::now();
        while t0.elapsed().as_secs() < secs {
            std::thread::sleep(std::time::Duration::from_millis(500));
            if DONE.load(Ordering::Relaxed) {
                return;
            }
        }
        eprintln!("jit_diff: no result after {secs} s (near program {}): an engine hangs", CURRENT.load(Ordering::Relaxed));
        std::process::exit(101);
    });
}

#[test]
fn jit_matches_interpreter() {
    let iters = env_u64("LSEMU_JIT_DIFF_ITERS", 5000);
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e);
    let ids: Vec<u64> = match std::env::var("LSEMU_JIT_DIFF_CASE").ok().and_then(|v| v.parse().ok()) {
        Some(id) => {
            println!("{}", make_prog(seed, id, &all_candidates()).describe());
            vec![id]
        }
        None => (0..iters).collect(),
    };
    watchdog(1200);
    let t0 = std::time::Instant::now();
    let s = run_all(seed, ids.clone(), &|| Box::new(jit::Jit::new()));
    DONE.store(true, Ordering::Relaxed);
    let fails: Vec<&String> = s.fails.iter().map(|f| &f.1).collect();
    println!(
        "jit_diff: seed {seed:#x}, {} programs in {:.1} s ({}); reference: {} instructions, {} reached their end, {} took exceptions ({} in all); JIT: {:?}; {} mismatches",
        ids.len(),
        t0.elapsed().as_secs_f64(),
        s.kinds.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "),
        s.insns,
        s.halted,
        s.with_exceptions,
        s.exceptions,
        s.engine,
        fails.len()
    );
    // The programs must exercise what they claim to (a generator regression would make
    // this test vacuous): most reach their end, many take exceptions.
    if ids.len() >= 1000 {
        assert!(s.halted * 2 > ids.len() && s.with_exceptions * 10 > ids.len(), "programs do not exercise the engine");
    }
    for f in fails.iter().take(5) {
        println!("{f}");
    }
    assert!(fails.is_empty(), "{} of {} programs differ between the JIT and the interpreter (first ones above; rerun one with LSEMU_JIT_DIFF_CASE=N)", fails.len(), ids.len());
}

/// Encodings the JIT emits natively in `jit/src/native2.rs` (integer multiply-long and
/// divide, bit counting and reversal, BFM, sign-extending loads, hints and barriers).
/// (YIELD, emitted by the same code as NOP and HINT, is not a generator candidate: `DO_NOT_TEST`.)
const NATIVE2: &[&str] = &[
    "UDIV", "SDIV", "UMULH", "SMULH", "SMADDL", "SMSUBL", "UMADDL", "UMSUBL", "CLZ", "CLS", "RBIT", "REV_x", "REV_w",
    "REV32_gpr", "REV16_gpr", "BFM", "LDRSB_uoff", "LDRSB_post", "LDRSB_pre", "LDRSB_reg", "LDURSB", "LDRSH_uoff",
    "LDRSH_post", "LDRSH_pre", "LDRSH_reg", "LDURSH", "LDRSW_uoff", "LDRSW_post", "LDRSW_pre", "LDRSW_reg", "LDURSW",
    "LDPSW_off", "LDPSW_pre", "LDPSW_post", "NOP", "HINT", "DSB", "DMB", "ISB",
];

/// The same comparison on programs made only of the encodings of `NATIVE2` (so each of
/// them runs thousands of times with the generator's edge operands: 0, -1, INT_MIN,
/// INT_MAX, small values, XZR/SP operands, every shift/extend field, division by zero
/// and INT_MIN / -1, loads that fault, cross pages or hit MMIO). The oracle is the
/// interpreter.
#[test]
fn jit_matches_interpreter_on_native2_encodings() {
    let iters = env_u64("LSEMU_JIT_DIFF_ITERS", 5000) / 2;
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e) ^ 0x2;
    let cands: Vec<usize> = all_candidates().into_iter().filter(|&i| NATIVE2.contains(&cpu_aarch64::decode::ENCODINGS[i].name)).collect();
    // Every listed encoding is a generator candidate (a renamed line would silently drop out).
    assert_eq!(cands.len(), NATIVE2.len(), "some NATIVE2 encodings are not generator candidates");
    // ... and the programs contain each of them.
    let mut seen = std::collections::BTreeSet::new();
    for id in 0..iters.min(500) {
        for &w in &make_prog(seed, id, &cands).code {
            if let Some(i) = cpu_aarch64::decode::lookup(w) {
                seen.insert(cpu_aarch64::decode::ENCODINGS[i as usize].name);
            }
        }
    }
    let missing: Vec<_> = NATIVE2.iter().filter(|n| !seen.contains(*n)).collect();
    assert!(missing.is_empty() || iters < 500, "programs never contain {missing:?}");
    // Half the programs start with X0-X25 drawn from a few edge values only, so that
    // operand pairs such as INT_MIN / -1 (64 and 32 bits) and x / 0 occur often.
    const EDGE: &[u64] = &[0, 1, u64::MAX, 0x8000_0000_0000_0000, 0x7fff_ffff_ffff_ffff, 0x8000_0000, 0xffff_ffff, 0x7fff_ffff, 0xffff_ffff_8000_0000];
    let make = |id: u64| {
        let mut p = make_prog(seed, id, &cands);
        if id % 2 == 1 {
            let mut h = id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            for x in p.regs.x.iter_mut().take(26) {
                h ^= h >> 29;
                h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
                *x = EDGE[(h >> 40) as usize % EDGE.len()];
            }
        }
        p
    };
    let ids: Vec<u64> = (0..iters).collect();
    let t0 = std::time::Instant::now();
    let s = run_all_from(ids.clone(), &|| Box::new(jit::Jit::new()), &make);
    let fails: Vec<&String> = s.fails.iter().map(|f| &f.1).collect();
    println!(
        "jit_diff native2: seed {seed:#x}, {} programs in {:.1} s; reference: {} instructions, {} reached their end, {} took exceptions; {} mismatches",
        ids.len(),
        t0.elapsed().as_secs_f64(),
        s.insns,
        s.halted,
        s.with_exceptions,
        fails.len()
    );
    for f in fails.iter().take(5) {
        println!("{f}");
    }
    assert!(fails.is_empty(), "{} of {} programs differ (first ones above)", fails.len(), ids.len());
}

// ---------------------------------------------------------------------------------------
// The test of the test: engines with typical translator bugs must be caught.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bug {
    /// Runs one instruction more than the budget allows.
    BudgetOverrun,
    /// `invalidate_phys` is ignored: instruction fetches from the code region keep
    /// returning what it held at the first `run` call after `invalidate_all`.
    IgnoresInvalidatePhys,
    /// Code written by the guest is not seen (no store check, IC IVAU ignored):
    /// instruction fetches return what the code region held at the last invalidation.
    IgnoresGuestCodeWrites,
    /// Never calls `store_notify`.
    NoStoreNotify,
    /// Samples the interrupt line only when `run` starts (an IRQ raised by an MMIO write
    /// is taken late).
    LateInterrupts,
    /// Corrupts X5 after a run in which an exception was taken.
    ExceptionPathClobbersX5,
}

struct Mutant {
    bug: Bug,
    code: Option<Vec<u8>>,
}

struct Wrap<'a> {
    inner: &'a mut dyn Platform,
    bug: Bug,
    code: Option<&'a [u8]>,
    irq: bool,
}

impl Bus for Wrap<'_> {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], a: BusAttrs) -> Result<(), BusError> {
        if let Some(c) = self.code {
            if a.instruction && pa.0 >= CODE_PA && pa.0 + buf.len() as u64 <= CODE_PA + CODE_SIZE as u64 {
                let o = (pa.0 - CODE_PA) as usize;
                buf.copy_from_slice(&c[o..o + buf.len()]);
                return Ok(());
            }
        }
        self.inner.read(pa, buf, a)
    }
    fn write(&mut self, pa: PhysAddr, buf: &[u8], a: BusAttrs) -> Result<(), BusError> {
        self.inner.write(pa, buf, a)
    }
    fn ram_span(&self, pa: PhysAddr) -> Option<RamSpan> {
        if self.code.is_some() { None } else { self.inner.ram_span(pa) }
    }
}

impl Platform for Wrap<'_> {
    fn counter(&self) -> u64 {
        self.inner.counter()
    }
    fn counter_at(&self, i: u64) -> u64 {
        self.inner.counter_at(i)
    }
    fn irq_levels(&self, cpu: u8) -> IrqLevels {
        if self.bug == Bug::LateInterrupts {
            IrqLevels { irq: self.irq, ..Default::default() }
        } else {
            self.inner.irq_levels(cpu)
        }
    }
    fn hlt(&mut self, cpu: &mut Cpu, imm: u16) -> Hooked {
        self.inner.hlt(cpu, imm)
    }
    fn store_notify(&mut self, cpu: u8, pa: PhysAddr, len: usize) {
        if self.bug != Bug::NoStoreNotify {
            self.inner.store_notify(cpu, pa, len)
        }
    }
}

impl Engine for Mutant {
    fn kind(&self) -> EngineKind {
        EngineKind::Jit
    }
    fn run(&mut self, cpu: &mut Cpu, p: &mut dyn Platform, budget: u64) -> Exit {
        if matches!(self.bug, Bug::IgnoresInvalidatePhys | Bug::IgnoresGuestCodeWrites) && self.code.is_none() {
            let mut c = vec![0u8; CODE_SIZE];
            let _ = p.read(PhysAddr(CODE_PA), &mut c, BusAttrs::default());
            self.code = Some(c);
        }
        let budget = if self.bug == Bug::BudgetOverrun && budget > 1 { budget + 1 } else { budget };
        let exc = cpu.stats.exceptions;
        let irq = p.irq_levels(cpu.cfg.index).irq;
        let mut w = Wrap { inner: p, bug: self.bug, code: self.code.as_deref(), irq };
        let x = interp::run(cpu, &mut w, budget);
        if self.bug == Bug::ExceptionPathClobbersX5 && cpu.stats.exceptions != exc {
            cpu.st.x[5] ^= 1;
        }
        x
    }
    fn invalidate_all(&mut self) {
        self.code = None;
    }
    fn invalidate_phys(&mut self, _pa: u64, _len: u64) {
        if self.bug == Bug::IgnoresGuestCodeWrites {
            self.code = None;
        }
    }
}

#[test]
fn broken_engines_are_caught() {
    let seed = 0x0bad_de9e;
    let bugs = [
        Bug::BudgetOverrun,
        Bug::IgnoresInvalidatePhys,
        Bug::IgnoresGuestCodeWrites,
        Bug::NoStoreNotify,
        Bug::LateInterrupts,
        Bug::ExceptionPathClobbersX5,
    ];
    for bug in bugs {
        let s = run_all(seed, (0..300).collect(), &move || Box::new(Mutant { bug, code: None }));
        let mut by_kind = std::collections::BTreeMap::new();
        for (k, _) in &s.fails {
            *by_kind.entry(*k).or_insert(0) += 1;
        }
        println!("{bug:?}: {} of 300 programs flagged: {by_kind:?}", s.fails.len());
        assert!(!s.fails.is_empty(), "an engine with bug {bug:?} passed the differential test");
        // The reference side is not affected by the mutant.
        assert!(s.fails.iter().all(|f| !f.1.contains("the interpreter depends on the budget")), "{}", s.fails[0].1);
        match bug {
            // Only code changed by the guest with maintenance is flagged: without it, the
            // old code is an allowed outcome.
            Bug::IgnoresGuestCodeWrites => {
                assert!(by_kind.keys().all(|k| ["smc_maint", "smc_loop"].contains(k)), "{by_kind:?}");
                assert!(by_kind.len() == 2, "{by_kind:?}");
            }
            Bug::LateInterrupts => assert!(by_kind.contains_key("doorbell"), "{by_kind:?}"),
            _ => {}
        }
    }
}

/// The instruction encodings the handlers and templates are built from, checked against
/// the GNU assembler (`aarch64-linux-gnu-as`, as for `qemu_diff`'s harness).
#[test]
fn encodings_match_gnu_as() {
    use test_suites::jitdiff::enc::*;
    let cases: Vec<(&str, u32)> = vec![
        ("nop", NOP),
        ("eret", ERET),
        ("isb", ISB),
        ("dsb ish", DSB_ISH),
        ("wfi", WFI),
        ("tlbi vmalle1", TLBI_VMALLE1),
        ("ret", RET),
        ("mrs x0, esr_el1", mrs(0, ESR_EL1)),
        ("mrs x1, far_el1", mrs(1, FAR_EL1)),
        ("mrs x0, elr_el1", mrs(0, ELR_EL1)),
        ("mrs x1, spsr_el1", mrs(1, SPSR_EL1)),
        ("mrs x7, cntvct_el0", mrs(7, CNTVCT_EL0)),
        ("msr elr_el1, x0", msr(ELR_EL1, 0)),
        ("stp x0, x1, [sp, #-16]!", stp_pre(0, 1, 31, -16)),
        ("ldp x0, x1, [sp, #32]", ldp(0, 1, 31, 32)),
        ("add x0, x0, #4", add_imm(0, 0, 4)),
        ("subs x26, x26, #1", subs_imm(26, 26, 1)),
        ("movz x23, #0x1234, lsl #16", movz(23, 0x1234, 1)),
        ("movk x23, #0xbeef", movk(23, 0xbeef, 0)),
        ("str w23, [x24]", str_w(23, 24)),
        ("str wzr, [x0]", str_w(31, 0)),
        ("str x23, [x24]", str_x(23, 24)),
        ("ldr x23, [x24]", ldr_x(23, 24)),
        ("eor x23, x23, #0x3000", eor_0x3000(23, 23)),
        ("mov x19, x0", mov(19, 0)),
        ("adr x24, .+36", adr(24, 36)),
        ("adr x24, .-12", adr(24, -12)),
        ("hlt #0x5a5a", hlt(0x5a5a)),
        ("b .+8", b(8)),
        ("bl .-0x1000", bl(-0x1000)),
        ("b.ne .-20", b_ne(-20)),
        ("dc cvau, x24", dc_cvau(24)),
        ("ic ivau, x24", ic_ivau(24)),
    ];
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("jit_diff");
    std::fs::create_dir_all(&dir).unwrap();
    let src: String = cases.iter().map(|(a, _)| format!("\t{a}\n")).collect();
    std::fs::write(dir.join("e.s"), src).unwrap();
    let st = std::process::Command::new("aarch64-linux-gnu-as")
        .arg("-o")
        .arg(dir.join("e.o"))
        .arg(dir.join("e.s"))
        .status()
        .expect("aarch64-linux-gnu-as (Debian: binutils-aarch64-linux-gnu)");
    assert!(st.success());
    let st = std::process::Command::new("aarch64-linux-gnu-objcopy")
        .args(["-O", "binary", "-j", ".text"])
        .arg(dir.join("e.o"))
        .arg(dir.join("e.bin"))
        .status()
        .expect("aarch64-linux-gnu-objcopy");
    assert!(st.success());
    let bin = std::fs::read(dir.join("e.bin")).unwrap();
    assert_eq!(bin.len(), 4 * cases.len());
    for (i, (a, w)) in cases.iter().enumerate() {
        let g = u32::from_le_bytes(bin[4 * i..4 * i + 4].try_into().unwrap());
        assert_eq!(*w, g, "{a}: ours {w:#010x}, GNU as {g:#010x}");
    }
}
