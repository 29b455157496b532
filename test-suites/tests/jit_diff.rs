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
use test_suites::jitdiff::{all_candidates, compare, fp_candidates, make_call_prog, make_fp_prog, make_prog, run_prog, Chunks, Outcome, Prog, TestPlat, CODE_PA, CODE_SIZE, DATA_PA, VA_OFF};

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
    /// Watched stores reported (programs with a `store_watch` set, see `test_plat`).
    watched_notifies: u64,
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
    /// Programs with a watch set, and those whose reference reported a watched store.
    watching: usize,
    watched_hit: usize,
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

/// The platform a program runs on: for odd program ids it watches only a few 64-byte
/// granules (`Platform::store_watch`, as the machine watches other PEs' reservations):
/// the one X28 (the generator's moving base) points to, the one after the one X27 (the exclusives' base) points to, and one in the code region (chosen by the id), so that
/// stores elsewhere may go unreported and the JIT's store filter skips them, while the
/// reported ones must still match the interpreter's exactly (count and hash).
fn test_plat(prog: &Prog) -> TestPlat {
    let mut plat = TestPlat::new();
    if prog.id % 2 == 1 {
        let g = (prog.id / 2) % 64;
        let pa = |va: u64| if prog.mmu { va.wrapping_add(VA_OFF) } else { va };
        let (base, excl) = (pa(prog.regs.x[28]) & !63, pa(prog.regs.x[27]) & !63);
        plat.watch = Some(vec![(base, 64), (excl.wrapping_add(64), 64), (CODE_PA + 64 * ((g * 7) % (CODE_SIZE as u64 / 64)), 64)]);
    }
    plat
}

fn outcome(prog: &Prog, e: &mut dyn Engine, chunks: Chunks, stale: bool) -> Outcome {
    let mut plat = test_plat(prog);
    let (cpu, exits) = run_prog(prog, e, &mut plat, chunks, stale);
    Outcome { cpu, plat, exits }
}

/// A program running the fixed `code` (from GNU as) at EL1 with the MMU on (the JIT
/// translates only code in pages its fetch cache holds), with the registers, data and
/// pages `make_prog` sets up for `seed`/`id`, an interrupt at `irq_at` and `limit`
/// instructions at most.
fn fixed_code_prog(seed: u64, id: u64, code: &[u32], irq_at: Option<u64>, limit: u64) -> Prog {
    let mut prog = make_prog(seed, id, &all_candidates());
    prog.kind = "random";
    prog.el = 1;
    prog.mmu = true;
    prog.align_check = false;
    prog.code_off = 0x100;
    prog.code = code.to_vec();
    prog.extra_code.clear();
    prog.irq_at = irq_at;
    prog.smc_either = None;
    prog.host_patch = None;
    prog.limit = limit;
    prog
}

/// Runs `check` on the program `case` makes of each item (named by its first half), in
/// parallel, and returns one line per item whose JIT run differs from the interpreter's or
/// whose reference run did not reach the final HLT.
fn halting_differences<T: Sync>(items: &[T], case: impl Fn(&T) -> (String, Prog) + Sync) -> Vec<String> {
    items
        .par_iter()
        .map_init(jit::Jit::new, |jit, item| {
            let (name, prog) = case(item);
            match check(&prog, jit) {
                Ok(s) if !s.halted => Some(format!("{name}: the reference run did not reach the HLT")),
                Ok(_) => None,
                Err(e) => Some(format!("{name}: {e}")),
            }
        })
        .flatten()
        .collect()
}

/// Runs one program on the interpreter and on `engine` with every budget pattern; `Err`
/// describes the first mismatch.
fn check(prog: &Prog, engine: &mut dyn Engine) -> Result<RefStats, String> {
    let reference = outcome(prog, &mut Interpreter, REF, false);
    let stats = RefStats {
        halted: reference.exits.last() == Some(&Exit::Halt(0)),
        exceptions: reference.cpu.stats.exceptions,
        insns: reference.cpu.icount,
        watched_notifies: if reference.plat.watch.is_some() { reference.plat.notify_count } else { 0 },
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
    run_all_with(seed, ids, mk, make_prog, all_candidates())
}

/// `run_all` with another program generator and candidate set.
fn run_all_with(seed: u64, ids: Vec<u64>, mk: &(dyn Fn() -> Box<dyn Engine> + Sync), make_prog: fn(u64, u64, &[usize]) -> Prog, cands: Vec<usize>) -> Summary {
    let chunks: Vec<Vec<u64>> = ids.chunks(64).map(|c| c.to_vec()).collect();
    let res: Vec<_> = chunks
        .into_par_iter()
        .map(|ids| {
            let mut engine = mk();
            let mut s = Summary::default();
            for id in ids {
                CURRENT.store(id, Ordering::Relaxed);
                let prog = make_prog(seed, id, &cands);
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
                        s.watching += (prog.id % 2 == 1) as usize;
                        s.watched_hit += (r.watched_notifies > 0) as usize;
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
        all.watching += s.watching;
        all.watched_hit += s.watched_hit;
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
        "jit_diff: seed {seed:#x}, {} programs in {:.1} s ({}); reference: {} instructions, {} reached their end, {} took exceptions ({} in all), {} of {} with a store watch reported watched stores; JIT: {:?}; {} mismatches",
        ids.len(),
        t0.elapsed().as_secs_f64(),
        s.kinds.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "),
        s.insns,
        s.halted,
        s.with_exceptions,
        s.exceptions,
        s.watched_hit,
        s.watching,
        s.engine,
        fails.len()
    );
    // The programs must exercise what they claim to (a generator regression would make
    // this test vacuous): most reach their end, many take exceptions, some store to a
    // watched granule.
    if ids.len() >= 1000 {
        assert!(s.halted * 2 > ids.len() && s.with_exceptions * 10 > ids.len(), "programs do not exercise the engine");
        assert!(s.watched_hit * 50 > s.watching, "too few programs store to a watched granule ({} of {})", s.watched_hit, s.watching);
    }
    for f in fails.iter().take(5) {
        println!("{f}");
    }
    assert!(fails.is_empty(), "{} of {} programs differ between the JIT and the interpreter (first ones above; rerun one with LSEMU_JIT_DIFF_CASE=N)", fails.len(), ids.len());
}

/// The random programs again, drawn mostly from the scalar FP instructions and the
/// SIMD&FP loads/stores, with FP register values chosen to hit the JIT's fast path
/// (ordinary numbers, inexact results) and each of its fallbacks (NaNs, signalling NaNs,
/// infinities, zeros, denormals, overflow, underflow, results rounding to the smallest
/// normal), under the default FPCR and under FZ, DN and the other rounding modes
/// (`test_suites::jitdiff::make_fp_prog`). Oracle: the interpreter.
#[test]
fn jit_matches_interpreter_fp() {
    let iters = env_u64("LSEMU_JIT_DIFF_FP_ITERS", 3000);
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e);
    let ids: Vec<u64> = match std::env::var("LSEMU_JIT_DIFF_FP_CASE").ok().and_then(|v| v.parse().ok()) {
        Some(id) => {
            println!("{}", make_fp_prog(seed, id, &fp_candidates()).describe());
            vec![id]
        }
        None => (0..iters).collect(),
    };
    let t0 = std::time::Instant::now();
    let s = run_all_with(seed, ids.clone(), &|| Box::new(jit::Jit::new()), make_fp_prog, fp_candidates());
    let fails: Vec<&String> = s.fails.iter().map(|f| &f.1).collect();
    println!(
        "jit_diff fp: seed {seed:#x}, {} programs in {:.1} s; reference: {} instructions, {} reached their end, {} took exceptions; {} mismatches",
        ids.len(),
        t0.elapsed().as_secs_f64(),
        s.insns,
        s.halted,
        s.with_exceptions,
        fails.len()
    );
    if ids.len() >= 1000 {
        assert!(s.halted * 2 > ids.len(), "programs do not exercise the engine");
    }
    for f in fails.iter().take(5) {
        println!("{f}");
    }
    assert!(fails.is_empty(), "{} of {} FP programs differ between the JIT and the interpreter (first ones above; rerun one with LSEMU_JIT_DIFF_FP_CASE=N)", fails.len(), ids.len());
}

/// The rounding operations, comparisons, conditional selects and integer conversions of
/// the JIT's FP fast paths (a conversion after a rounding operation of its block takes
/// the IXC-sticky path, without MXCSR), with B.cond after the comparisons and MOVZ/ADD
/// for the integer registers.
const FP_CHAIN: &[&str] = &[
    "FADD", "FSUB", "FMUL", "FNMUL", "FDIV", "FSQRT", "FMADD", "FADD_vec", "FSUB_vec", "FMUL_vec", "FDIV_vec", "FCMP", "FCMPE",
    "FCSEL", "B_cond", "MOVZ", "ADD_imm", "SCVTF_int", "UCVTF_int", "FCVTZS_int", "FCVTZU_int",
];

/// `make_fp_prog` on programs made only of `FP_CHAIN`, their FP register fields folded
/// to V0-V1 or V0-V3 in every program: dependency chains in which each operation takes
/// its operands from the previous result (forwarded in xmm0) or the JIT's register cache,
/// in either operand position (FADD/FMUL may commute them), comparisons whose NZCV a
/// B.cond or FCSEL reads next, with the generator's FP values (NaNs, infinities, zeros,
/// denormals, results near overflow and underflow) under every FPCR mode, from FPSR with
/// and without IXC. The oracle is the interpreter.
#[test]
fn jit_matches_interpreter_on_fp_chains() {
    let iters = env_u64("LSEMU_JIT_DIFF_FP_ITERS", 3000);
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e) ^ 0xfc4a;
    let s = run_encoding_set("fp chains", "FP_CHAIN", FP_CHAIN, seed, iters, 300, make_fp_chain_prog);
    if iters >= 500 {
        assert!(s.halted * 2 > iters as usize, "programs do not exercise the engine");
    }
}

fn make_fp_chain_prog(seed: u64, id: u64, cands: &[usize]) -> Prog {
    let mut p = make_fp_prog(seed, id, cands);
    test_suites::jitdiff::fold_fp_regs(&mut p.code, if id.is_multiple_of(2) { 1 } else { 3 });
    p
}

/// The encodings of FP loop bodies (`jit_matches_interpreter_on_fp_loops`).
const FP_LOOP: &[&str] = &[
    "FADD", "FSUB", "FMUL", "FNMUL", "FDIV", "FSQRT", "FMADD", "FADD_vec", "FSUB_vec", "FMUL_vec", "FDIV_vec", "FCMP", "FCMPE",
    "FCSEL", "FMOV_reg", "LD1R", "LD1R_post", "MOVZ", "ADD_imm",
];

/// Loops of FP instructions: `body; SUBS X26, X26, #1; B.NE body`, one block that
/// branches back to its own start, which the JIT translates with the register cache and
/// the FP mode checks kept across that branch (`jit/src/fp.rs`, "Loops"); in a third of
/// the programs a loop of two blocks (`A: part 1; [FCMP]; B.cond C; B end; C: part 2;
/// SUBS; B.NE A`), which the JIT translates as one block with a side exit; in a sixth,
/// one block of 49 to 64 instructions, longer than the JIT's longest block, which the JIT
/// extends to the branch back. Bodies of up to 24 instructions (repeated for the long
/// ones) from `FP_LOOP` and the SIMD&FP loads and stores (their FP register
/// fields folded to V0-V1 or V0-V3: values carried from one iteration to the next), 1 to
/// 20 iterations, the FP values and FPCR/FPSR settings of `make_fp_prog` (so the loop
/// prologue's checks fail in some programs), FP disabled in one in sixteen (the
/// prologue's FP-enabled check fails). The oracle is the interpreter.
#[test]
fn jit_matches_interpreter_on_fp_loops() {
    use cpu_aarch64::decode::{lookup, ENCODINGS};
    let iters = env_u64("LSEMU_JIT_DIFF_FP_ITERS", 3000);
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e) ^ 0x100f;
    let cands: Vec<usize> = all_candidates()
        .into_iter()
        .filter(|&i| {
            let e = &ENCODINGS[i];
            FP_LOOP.contains(&e.name) || e.group == "ldst" && e.name.contains("simd") && matches!(e.asm, "ldr" | "str" | "ldur" | "stur" | "ldp" | "stp")
        })
        .collect();
    assert!(cands.len() > FP_LOOP.len(), "some FP_LOOP encodings are not generator candidates");
    fn make(seed: u64, id: u64, cands: &[usize]) -> Prog {
        use test_suites::jitdiff::enc::{b_ne, hlt, subs_imm};
        let mut p = make_fp_prog(seed, id, cands);
        // The candidates' words only (not the other kinds' templates), at most 24.
        let mut body: Vec<u32> = p.code.iter().copied().filter(|&w| lookup(w).is_some_and(|i| cands.contains(&(i as usize)))).take(24).collect();
        if body.is_empty() {
            body.push(subs_imm(25, 25, 1));
        }
        test_suites::jitdiff::fold_fp_regs(&mut body, if id.is_multiple_of(2) { 1 } else { 3 });
        if id.is_multiple_of(3) {
            // Two blocks: A: part 1; [FCMP/FCMPE]; B.cond C; B end; C: part 2; SUBS; B.NE A;
            // end: HLT. The condition (any but AL/NV) reads the comparison or the
            // previous flags; a false one leaves the loop.
            // (In one of nine, part 1 is empty: A is the B.cond alone, or FCMP; B.cond.)
            let k = if id % 9 == 0 { 0 } else { body.len() / 2 };
            let mut code: Vec<u32> = body[..k].to_vec();
            if id % 2 == 1 {
                // fcmp{e} {s,d}rn, {s,d}rm with V0-V3.
                let (ftype, e) = ((id >> 2) & 1, (id >> 3) & 1);
                code.push(0x1e20_2000 | (ftype as u32) << 22 | (((id >> 4) & 3) as u32) << 16 | (((id >> 6) & 3) as u32) << 5 | (e as u32) << 4);
            }
            let tail = &body[k..];
            let cond = ((id >> 8) % 14) as u32;
            // B.cond to C (two words on), B to the HLT after C.
            code.push(0x5400_0000 | ((2u32 & 0x7_ffff) << 5) | cond);
            code.push(test_suites::jitdiff::enc::b(4 * (tail.len() as i64 + 3)));
            code.extend_from_slice(tail);
            let m = code.len() as i64;
            code.push(subs_imm(26, 26, 1));
            code.push(b_ne(-4 * (m + 1)));
            code.push(hlt(test_suites::jitdiff::END_HLT));
            body = code;
        } else {
            if id % 4 == 1 {
                // A loop longer than the JIT's longest block (48 instructions): its
                // first 48 are a block, extended to the branch back (`fp::loop_tail`).
                // The body repeated to 47..62 instructions (49..64 with SUBS, B.NE).
                let len = 47 + ((id >> 3) % 16) as usize;
                body = body.iter().copied().cycle().take(len).collect();
            }
            let n = body.len() as i64;
            body.push(subs_imm(26, 26, 1));
            body.push(b_ne(-4 * (n + 1)));
            body.push(hlt(test_suites::jitdiff::END_HLT));
        }
        p.kind = "loop";
        p.regs.x[26] = 1 + id % 20;
        p.limit = 40 * body.len() as u64 + 400;
        p.code = body;
        p.extra_code.clear();
        p.irq_at = None;
        p.smc_either = None;
        p.host_patch = None;
        p
    }
    let s = run_and_report("fp loops", seed, (0..iters).collect(), make, cands, "");
    if iters >= 500 {
        assert!(s.halted * 2 > iters as usize, "programs do not exercise the engine");
    }
}

/// A two-block FP loop entered only at its first block (so that the JIT translates the
/// two blocks as one, and the second never as a block of its own), run twice: between
/// the passes the program rewrites an instruction of the second block (STR, DC CVAU,
/// DSB, IC IVAU, DSB, ISB), which the second pass must execute. Padding of 0 to 60 NOPs
/// puts the second block at various distances from the first in the page (the JIT must
/// note the second block's 64-byte lines as code, also where no other block covers
/// them). The oracle is the interpreter.
#[test]
fn fp_two_block_loop_sees_code_writes() {
    use test_suites::jitdiff::enc::*;
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e) ^ 0x2b10;
    let cands = all_candidates();
    let progs: Vec<Prog> = (0..128u64)
        .map(|id| {
            let mut p = make_fp_prog(seed, id, &cands);
            let pad = (id * 7 % 61) as usize;
            let old = movz(3, 0x1111 + id as u32, 0);
            let new = movz(3, 0x2222 + id as u32, 0);
            // X22 = 2 (passes); X26 = 3 (iterations); B A.
            let mut c: Vec<u32> = vec![movz(22, 2, 0), movz(26, 3, 0), b(4)];
            // A: FADD D0, D1, D2; CMP X26, #0; B.NE C; B out.
            let a = c.len();
            let ca = a + 4 + pad;
            c.extend([0x1e62_2820, subs_imm(31, 26, 0), 0x5400_0001 | (((ca - (a + 2)) as u32) << 5)]);
            let out = ca + 3;
            c.push(b(4 * (out - (a + 3)) as i64));
            c.extend(std::iter::repeat_n(NOP, pad));
            // C: T: MOVZ X3, #old; SUBS X26, X26, #1; B.NE A.
            assert_eq!(c.len(), ca);
            c.extend([old, subs_imm(26, 26, 1)]);
            c.push(b_ne(-4 * (c.len() - a) as i64));
            // out: SUBS X22, X22, #1; B.EQ end; rewrite T; X26 = 3; B A. end: HLT.
            assert_eq!(c.len(), out);
            c.push(subs_imm(22, 22, 1));
            let beq = c.len();
            c.push(0);
            c.push(adr(24, -4 * (c.len() - ca) as i64));
            c.extend(mov32(23, new));
            c.push(str_w(23, 24));
            c.extend([dc_cvau(24), DSB_ISH, ic_ivau(24), DSB_ISH, ISB, movz(26, 3, 0)]);
            c.push(b(-4 * (c.len() - a) as i64));
            c[beq] = 0x5400_0000 | (((c.len() - beq) as u32) << 5);
            c.push(hlt(test_suites::jitdiff::END_HLT));
            p.kind = "loop";
            p.limit = 40 * c.len() as u64 + 400;
            p.code = c;
            p.code_off = 0x100;
            p.extra_code.clear();
            p.irq_at = None;
            p.smc_either = None;
            p.host_patch = None;
            p.fp = true;
            // The IXC-sticky mode (the loop prologue's checks pass: the loop never leaves
            // its block for the second one's) in three programs of four.
            if id % 4 != 0 {
                p.regs.fpcr = 0;
                p.regs.fpsr = 0x10;
            }
            p
        })
        .collect();
    let results: Vec<Result<RefStats, String>> = progs.par_iter().map_init(jit::Jit::new, |jit, prog| check(prog, jit).map_err(|e| format!("program {}: {e}", prog.id))).collect();
    let fails: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    for f in fails.iter().take(3) {
        println!("{f}");
    }
    assert!(fails.is_empty(), "{} of {} programs differ between the JIT and the interpreter", fails.len(), progs.len());
    // (Both passes ran: the program reached its final HLT.)
    let halted = results.iter().filter(|r| r.as_ref().is_ok_and(|s| s.halted && s.exceptions == 0)).count();
    assert!(halted * 4 > progs.len() * 3, "only {halted} of {} programs ran to their end without an exception", progs.len());
}

/// Assembles `src` with the GNU assembler; returns the words of `.text`.
fn gnu_as(name: &str, src: &str) -> Vec<u32> {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("jit_diff_fp");
    std::fs::create_dir_all(&dir).unwrap();
    let (s, o, b) = (dir.join(format!("{name}.s")), dir.join(format!("{name}.o")), dir.join(format!("{name}.bin")));
    std::fs::write(&s, src).unwrap();
    let st = std::process::Command::new("aarch64-linux-gnu-as").arg("-o").arg(&o).arg(&s).status().expect("aarch64-linux-gnu-as (Debian: binutils-aarch64-linux-gnu)");
    assert!(st.success(), "{name}: GNU as failed");
    let st = std::process::Command::new("aarch64-linux-gnu-objcopy").args(["-O", "binary", "-j", ".text"]).arg(&o).arg(&b).status().expect("aarch64-linux-gnu-objcopy");
    assert!(st.success());
    std::fs::read(&b).unwrap().chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect()
}

/// Directed edge cases: every natively emitted FP instruction, single and double (and
/// the vector FADD/FSUB/FMUL/FDIV, whose lanes mix the table's values), on
/// every pair of 24 special operands (zeros, infinities, quiet and signalling NaNs of
/// both signs, the smallest and largest denormals and normals, values whose products
/// overflow or underflow, a double that rounds to the smallest normal single, integer
/// boundaries for the conversions), under seven FPCR settings (default, FZ, DN, each
/// rounding mode, FZ+DN). Each operation is followed by `MRS` of FPSR and NZCV and a store
/// of the result (the FPSR is cleared before each operation), so every result and every
/// flag is compared, not only the last. The programs are assembled by GNU as; the
/// oracle is the interpreter (whose FP semantics are checked against QEMU by qemu_diff).
#[test]
fn fp_edge_cases_match_interpreter() {
    const D: [u64; 24] = [
        0,
        0x8000_0000_0000_0000,
        0x7ff0_0000_0000_0000,
        0xfff0_0000_0000_0000,
        0x7ff8_0000_0000_0000,             // quiet NaN
        0x7ff4_0000_0000_0000,             // signalling NaN
        0xfff8_0000_0000_0001,             // negative quiet NaN with payload
        0x0000_0000_0000_0001,             // smallest denormal
        0x000f_ffff_ffff_ffff,             // largest denormal
        0x0010_0000_0000_0000,             // smallest normal
        0x0010_0000_0000_0001,
        0x7fef_ffff_ffff_ffff,             // largest normal
        0x3ff0_0000_0000_0000,             // 1.0
        0xbff8_0000_0000_0000,             // -1.5
        0x3fb9_9999_9999_999a,             // 0.1
        0x1e30_0000_0000_0000,             // 2^-540: squares underflow
        0x61b0_0000_0000_0000,             // 2^540: squares overflow
        0x3fd5_5555_5555_5555,             // 1/3
        0x43e0_0000_0000_0000,             // 2^63
        0xc1e0_0000_0010_0000,             // -(2^31 + 0.5)
        0x41ef_ffff_ffe0_0000,             // 2^32 - 0.5
        0x3ff0_0000_0000_0001,             // 1 + 2^-52
        0x380f_ffff_f000_0000,             // 2^-126 - 2^-151: rounds to the smallest normal single
        0xc3e0_0000_0000_0000,             // -2^63
    ];
    const S: [u64; 24] = [
        0, 0x8000_0000, 0x7f80_0000, 0xff80_0000, 0x7fc0_0000, 0x7fa0_0000, 0xffc0_0001, 1, 0x007f_ffff, 0x0080_0000, 0x0080_0001,
        0x7f7f_ffff, 0x3f80_0000, 0xbfc0_0000, 0x3dcc_cccd, 0x1c80_0000, 0x6280_0000, 0x3eaa_aaab, 0x5f00_0000, 0xcf00_0000,
        0x4f80_0000, 0x3f80_0001, 0x00ff_ffff, 0x2000_0000,
    ];
    const X: [u64; 24] = [
        0,
        1,
        u64::MAX,
        i64::MAX as u64,
        i64::MIN as u64,
        (1 << 53) + 1,
        (1 << 24) + 1,
        (-(1i64 << 53) - 1) as u64,
        (1 << 63) + (1 << 11),
        0x8000_0000,
        0x7fff_ffff,
        0xffff_ffff,
        0x1_0000_0001,
        3,
        12_345_678_901,
        0xffff_ffff_ffff_f800,
        0x0020_0000_0000_0001,
        0xfedc_ba98_7654_3210,
        16_777_217,
        0x8000_0000_0000_0001,
        1 << 62,
        0xffff_ffff_8000_0000,
        0x0000_0000_ff00_0001,
        0x7fff_ffff_ffff_fc00,
    ];
    // (template, operands from: 'd' doubles, 's' singles, 'x' integers; arity)
    let mut ops: Vec<(String, char, u32)> = Vec::new();
    for p in ['d', 's'] {
        for op in ["fadd", "fsub", "fmul", "fdiv", "fnmul", "fmax", "fminnm"] {
            ops.push((format!("{op} {p}31, {p}{{n}}, {p}{{m}}"), p, 2));
        }
        for op in ["fmadd", "fmsub", "fnmadd", "fnmsub"] {
            ops.push((format!("{op} {p}31, {p}{{n}}, {p}{{m}}, {p}{{a}}"), p, 2));
        }
        for op in ["fsqrt", "fabs", "fneg", "fmov"] {
            ops.push((format!("{op} {p}31, {p}{{n}}"), p, 1));
        }
        ops.push((format!("fcmp {p}{{n}}, {p}{{m}}"), p, 2));
        ops.push((format!("fcmpe {p}{{n}}, {p}{{m}}"), p, 2));
        ops.push((format!("fcmp {p}{{n}}, #0.0"), p, 1));
        ops.push((format!("fccmp {p}{{n}}, {p}{{m}}, #5, ne"), p, 2));
        ops.push((format!("fccmpe {p}{{n}}, {p}{{m}}, #9, ge"), p, 2));
        ops.push((format!("fcsel {p}31, {p}{{n}}, {p}{{m}}, gt"), p, 2));
        for op in ["fcvtzs", "fcvtzu"] {
            ops.push((format!("{op} x3, {p}{{n}}"), p, 1));
            ops.push((format!("{op} w3, {p}{{n}}"), p, 1));
        }
        for op in ["scvtf", "ucvtf"] {
            ops.push((format!("{op} {p}31, x{{n}}"), 'x', 1));
            ops.push((format!("{op} {p}31, w{{n}}"), 'x', 1));
        }
    }
    for (op, arr, k) in [("fadd", "2d", 'd'), ("fsub", "2d", 'd'), ("fmul", "2d", 'd'), ("fdiv", "2d", 'd'), ("fadd", "4s", 's'), ("fmul", "4s", 's'), ("fdiv", "4s", 's'), ("fsub", "2s", 's'), ("fdiv", "2s", 's')] {
        ops.push((format!("{op} v31.{arr}, v{{n}}.{arr}, v{{m}}.{arr}"), k, 2));
    }
    ops.push(("fcvt s31, d{n}".into(), 'd', 1));
    ops.push(("fcvt d31, s{n}".into(), 's', 1));
    ops.push(("fmov x3, d{n}".into(), 'd', 1));
    ops.push(("fmov w3, s{n}".into(), 's', 1));
    ops.push(("fmov d31, x{n}".into(), 'x', 1));
    ops.push(("fmov s31, w{n}".into(), 'x', 1));
    ops.push(("fmov v31.d[1], x{n}".into(), 'x', 1));
    ops.push(("fmov x3, v{n}.d[1]".into(), 'd', 1));
    ops.push(("fmov d31, #-1.25".into(), 'd', 1));
    const FPCRS: [u64; 7] = [0, 1 << 24, 1 << 25, 1 << 22, 2 << 22, 3 << 22, 3 << 24];
    // Operand registers: V0..V23 / X4..X27 hold the table; X28 walks the data region.
    let mut progs = Vec::new();
    // Each operation runs after FPSR = 0 (the JIT's MXCSR path) and after FPSR = IXC (its
    // IXC-sticky path, which reads no MXCSR flag: `jit/src/fp.rs`).
    for (k, ixc, (tpl, kind, arity)) in ops.iter().enumerate().flat_map(|(k, o)| [(k, false, o), (k, true, o)]) {
        let reg = |i: usize| if *kind == 'x' { i + 4 } else { i };
        let fpsr_init = if ixc { "\tmov x2, #0x10\n\tmsr fpsr, x2\n" } else { "\tmsr fpsr, xzr\n" };
        let mut src = String::new();
        let pairs: Vec<(usize, usize)> = if *arity == 2 { (0..24).flat_map(|a| (0..24).map(move |b| (a, b))).collect() } else { (0..24).map(|a| (a, a)).collect() };
        for &(a, b) in &pairs {
            let insn = tpl.replace("{n}", &reg(a).to_string()).replace("{m}", &reg(b).to_string()).replace("{a}", &reg((a + b + 7) % 24).to_string());
            // X0 = FPSR | NZCV ^ V31.D[1] (which a scalar write zeroes).
            // (The MOVs: after a System instruction the dispatcher runs the next ones in
            // the interpreter until its fetch cache is refilled; the operation under test
            // must run in translated code.)
            // After it, in the same block, an inexact double addition (1.0 + 0.1): it must
            // raise IXC whatever path the operation under test took.
            src += &format!("{fpsr_init}\tmov x2, xzr\n\tmov x2, xzr\n\tmov x2, xzr\n\t{insn}\n\tfadd d30, d12, d14\n\tmrs x0, fpsr\n\tmrs x2, nzcv\n\torr x0, x0, x2\n\tfmov x2, v31.d[1]\n\teor x0, x0, x2\n\tstr x0, [x28], #8\n");
            src += if tpl.contains("x3") || tpl.contains("w3") { "\tstr x3, [x28], #8\n" } else { "\tstr d31, [x28], #8\n" };
        }
        src += "\thlt #0x5a5a\n";
        let code = gnu_as(&format!("op{k}{}", if ixc { "i" } else { "" }), &src);
        for (j, &fpcr) in FPCRS.iter().enumerate() {
            let mut prog = fixed_code_prog(0xed9e, (k * 16 + j) as u64, &code, None, 4 * code.len() as u64 + 200);
            prog.fp = true;
            prog.regs.fpcr = fpcr;
            prog.regs.x[28] = prog.va(DATA_PA);
            for i in 0..24 {
                prog.regs.x[i + 4] = X[i];
                // The other half of each register: an unrelated value (a scalar write
                // must zero it, a D[1] move must keep the low half).
                prog.regs.v[i] = (if *kind == 's' { S[i] | 0x1234_5678_0000_0000 } else { D[i] }) as u128 | (D[23 - i] as u128) << 64;
            }
            progs.push((format!("{tpl}{}", if ixc { " (FPSR.IXC set)" } else { "" }), fpcr, prog));
        }
    }
    assert!(progs.len() > 400);
    let fails: Vec<String> = progs
        .par_iter()
        .map_init(jit::Jit::new, |jit, (tpl, fpcr, prog)| check(prog, jit).err().map(|e| format!("{tpl} (FPCR {fpcr:#x}): {e}")))
        .flatten()
        .collect();
    for f in fails.iter().take(5) {
        println!("{f}");
    }
    assert!(fails.is_empty(), "{} of {} edge-case programs differ between the JIT and the interpreter", fails.len(), progs.len());
}

/// Integer encodings emitted natively since session 3: `jit/src/native2.rs` (multiply
/// high and long, CLS, RBIT, REV16, BFM, sign-extending loads) and `emit.rs` (UDIV/SDIV,
/// CLZ, REV, REV32).
const NATIVE2: &[&str] = &[
    "UDIV", "SDIV", "UMULH", "SMULH", "SMADDL", "SMSUBL", "UMADDL", "UMSUBL", "CLZ", "CLS", "RBIT", "REV_x", "REV_w",
    "REV32_gpr", "REV16_gpr", "BFM", "LDRSB_uoff", "LDRSB_post", "LDRSB_pre", "LDRSB_reg", "LDURSB", "LDRSH_uoff",
    "LDRSH_post", "LDRSH_pre", "LDRSH_reg", "LDURSH", "LDRSW_uoff", "LDRSW_post", "LDRSW_pre", "LDRSW_reg", "LDURSW",
    "LDPSW_off", "LDPSW_pre", "LDPSW_post", "STLRB", "STLRH", "STLR", "LDARB", "LDARH", "LDAR",
];

/// Edge values for the register files of half the `NATIVE2` programs, so that operand
/// pairs such as INT_MIN / -1 (64 and 32 bits) and x / 0 occur often.
const EDGE: &[u64] = &[0, 1, u64::MAX, 0x8000_0000_0000_0000, 0x7fff_ffff_ffff_ffff, 0x8000_0000, 0xffff_ffff, 0x7fff_ffff, 0xffff_ffff_8000_0000];

/// `make_prog`, and for odd `id`s X0-X25 drawn from `EDGE` only.
fn make_edge_prog(seed: u64, id: u64, cands: &[usize]) -> Prog {
    let mut p = make_prog(seed, id, cands);
    if id % 2 == 1 {
        let mut h = id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for x in p.regs.x.iter_mut().take(26) {
            h ^= h >> 29;
            h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
            *x = EDGE[(h >> 40) as usize % EDGE.len()];
        }
    }
    p
}

/// The same comparison on programs made only of the encodings of `NATIVE2` (so each of
/// them runs thousands of times with the generator's edge operands: 0, -1, INT_MIN,
/// INT_MAX, small values, XZR/SP operands, every shift/extend field, division by zero
/// and INT_MIN / -1, loads that fault, cross pages or hit MMIO). The oracle is the
/// interpreter.
#[test]
fn jit_matches_interpreter_on_native2_encodings() {
    let iters = env_u64("LSEMU_JIT_DIFF_ITERS", 5000) / 2;
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e) ^ 0x2;
    run_encoding_set("native2", "NATIVE2", NATIVE2, seed, iters, 500, make_edge_prog);
}

/// Runs `iters` programs that `make` builds from the encodings `names` alone (each must be
/// a generator candidate, and the first `sample` programs must contain every one of them)
/// on the interpreter and the JIT; prints a summary line tagged `label` and fails on any
/// mismatch. Returns the summary for further checks.
fn run_encoding_set(label: &str, list: &str, names: &[&str], seed: u64, iters: u64, sample: u64, make: fn(u64, u64, &[usize]) -> Prog) -> Summary {
    let cands: Vec<usize> = all_candidates().into_iter().filter(|&i| names.contains(&cpu_aarch64::decode::ENCODINGS[i].name)).collect();
    // Every listed encoding is a generator candidate (a renamed line would silently drop out).
    assert_eq!(cands.len(), names.len(), "some {list} encodings are not generator candidates");
    // ... and the programs contain each of them.
    let mut seen = std::collections::BTreeSet::new();
    for id in 0..iters.min(sample) {
        for &w in &make(seed, id, &cands).code {
            if let Some(i) = cpu_aarch64::decode::lookup(w) {
                seen.insert(cpu_aarch64::decode::ENCODINGS[i as usize].name);
            }
        }
    }
    let missing: Vec<_> = names.iter().filter(|n| !seen.contains(*n)).collect();
    assert!(missing.is_empty() || iters < sample, "programs never contain {missing:?}");
    run_and_report(label, seed, (0..iters).collect(), make, cands, "")
}

/// Runs the programs `ids` that `make` builds from `cands` on the interpreter and the JIT,
/// prints a summary line tagged `label` (with `note` appended when not empty) and the
/// first mismatches, and fails on any mismatch. Returns the summary for further checks.
fn run_and_report(label: &str, seed: u64, ids: Vec<u64>, make: fn(u64, u64, &[usize]) -> Prog, cands: Vec<usize>, note: &str) -> Summary {
    let n = ids.len();
    let t0 = std::time::Instant::now();
    let s = run_all_with(seed, ids, &|| Box::new(jit::Jit::new()), make, cands);
    let note = if note.is_empty() { String::new() } else { format!("; {note}") };
    println!(
        "jit_diff {label}: seed {seed:#x}, {n} programs in {:.1} s; reference: {} instructions, {} reached their end, {} took exceptions{note}; {} mismatches",
        t0.elapsed().as_secs_f64(),
        s.insns,
        s.halted,
        s.with_exceptions,
        s.fails.len()
    );
    for f in s.fails.iter().take(5) {
        println!("{}", f.1);
    }
    assert!(s.fails.is_empty(), "{} of {n} programs differ (first ones above)", s.fails.len());
    s
}

/// Calls and returns (`make_call_prog`): the JIT predicts a RET's target from a return
/// stack pushed by BL/BLR and enters the predicted block directly after checking the
/// fetch translation, the context and the block's life. The programs return normally,
/// with X30 changed, past a frame, after the return address's code was rewritten, after
/// the caller's page was remapped (TLBI), across an SVC, into another SPSel, from a
/// recursion deeper than the stack, and to the page after a call in a page's last word,
/// with every budget pattern (run boundaries between call and return). Oracle: the
/// interpreter.
#[test]
fn jit_matches_interpreter_on_calls() {
    let iters = env_u64("LSEMU_JIT_DIFF_ITERS", 5000) / 10;
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e) ^ 0xca11;
    let ids: Vec<u64> = match std::env::var("LSEMU_JIT_DIFF_CASE").ok().and_then(|v| v.parse().ok()) {
        Some(id) => {
            println!("{}", make_call_prog(seed, id, &all_candidates()).describe());
            vec![id]
        }
        None => (0..iters).collect(),
    };
    // The programs contain every variant (each in a good share of them).
    let n = ids.len();
    let mut seen = std::collections::BTreeMap::new();
    for &id in ids.iter().take(200) {
        for v in test_suites::jitdiff::call_variants(&make_call_prog(seed, id, &all_candidates())) {
            *seen.entry(v).or_insert(0u32) += 1;
        }
    }
    let all = test_suites::jitdiff::CALL_TARGETS.iter().all(|t| seen.get(t.0).is_some_and(|&c| c >= 15));
    assert!(n < 200 || all, "programs lack call variants: {seen:?}");
    let s = run_and_report("calls", seed, ids, make_call_prog, all_candidates(), &format!("variants in the first 200: {seen:?}"));
    if n >= 200 {
        assert!(s.halted * 2 > n && s.with_exceptions * 4 > n, "programs do not exercise the engine ({} halted, {} with exceptions)", s.halted, s.with_exceptions);
    }
}

/// Flag-setting instructions and NZCV consumers: the JIT fuses a producer with a directly
/// following B.cond, CSEL/CSINC/CSINV/CSNEG or CCMP/CCMN (the consumer reads the host
/// flags; NZCV is stored on each of its paths), so programs made only of these (plus MOVZ
/// and ADD for fresh values) put many such pairs side by side, with edge operands.
const FLAG_PAIRS: &[&str] = &[
    "ADDS_imm", "SUBS_imm", "ANDS_imm", "ADDS_reg", "SUBS_reg", "ANDS_reg", "BICS_reg", "ADDS_ext", "SUBS_ext", "ADCS",
    "SBCS", "B_cond", "CSEL", "CSINC", "CSINV", "CSNEG", "CCMP_imm", "CCMP_reg", "CCMN_imm", "CCMN_reg", "MOVZ", "ADD_imm",
];

/// The interpreter as the oracle on `FLAG_PAIRS` programs: every condition after every
/// producer kind (64 and 32 bits, carries, overflows, zero results) on both paths.
#[test]
fn jit_matches_interpreter_on_flag_pairs() {
    use cpu_aarch64::decode::{lookup, ENCODINGS};
    let iters = env_u64("LSEMU_JIT_DIFF_ITERS", 5000) / 2;
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e) ^ 0x3;
    let cands: Vec<usize> = all_candidates().into_iter().filter(|&i| FLAG_PAIRS.contains(&ENCODINGS[i].name)).collect();
    assert_eq!(cands.len(), FLAG_PAIRS.len(), "some FLAG_PAIRS encodings are not generator candidates");
    // The programs contain producer -> consumer pairs of every consumer kind.
    let name = |w: u32| lookup(w).map(|i| ENCODINGS[i as usize].name).unwrap_or("");
    let mut pairs = std::collections::BTreeMap::new();
    for id in 0..iters.min(500) {
        let code = make_edge_prog(seed, id, &cands).code;
        for w in code.windows(2) {
            let (a, b) = (name(w[0]), name(w[1]));
            if FLAG_PAIRS[..11].contains(&a) && FLAG_PAIRS[11..20].contains(&b) {
                *pairs.entry(b).or_insert(0u32) += 1;
            }
        }
    }
    assert!(iters < 500 || (pairs.len() == 9 && pairs.values().all(|&n| n >= 20)), "too few producer/consumer pairs: {pairs:?}");
    run_and_report("flag pairs", seed, (0..iters).collect(), make_edge_prog, cands, &format!("pairs {pairs:?}"));
}

/// Flag setters, NZCV readers, data-processing instructions that neither read nor set
/// NZCV, and loads/stores (whose slow paths, faults and MMIO accesses need NZCV stored):
/// the JIT drops the NZCV of a setter overwritten by a later setter of its block with
/// only such data-processing instructions in between (CRC32X among them: the emitter
/// leaves it to the interpreter, so the block is translated again without the
/// elimination), lets CSEL/CSINC/CSINV/CSNEG read live host flags one after another, and
/// keeps a producer's flags live across up to three flag-neutral instructions (ADD/SUB
/// immediate, MOVZ/MOVN, ADR) to its consumer, CCMP/CCMN included (as producers too).
const FLAG_SEQS: &[&str] = &[
    "ADDS_imm", "SUBS_imm", "ANDS_imm", "ADDS_reg", "SUBS_reg", "ANDS_reg", "BICS_reg", "ADDS_ext", "SUBS_ext", "ADCS",
    "SBCS", "CSEL", "CSINC", "CSINV", "CSNEG", "CCMP_reg", "CCMN_imm", "B_cond", "ADC", "ADD_imm", "ORR_reg", "UBFM",
    "SBFM", "EXTR", "MADD", "MOVZ", "CRC32X", "LDR_uoff", "STR_uoff", "LDR_reg", "SUB_imm", "MOVN", "ADR", "CCMP_imm",
];

/// The interpreter as the oracle on `FLAG_SEQS` programs, which contain (checked on a
/// sample) setter -> non-readers -> setter windows, such windows with a load/store or
/// CRC32X in between, and two or more conditional selects after one setter.
#[test]
fn jit_matches_interpreter_on_flag_sequences() {
    use cpu_aarch64::decode::{lookup, ENCODINGS};
    let iters = env_u64("LSEMU_JIT_DIFF_ITERS", 5000) / 2;
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e) ^ 0x5e9;
    let cands: Vec<usize> = all_candidates().into_iter().filter(|&i| FLAG_SEQS.contains(&ENCODINGS[i].name)).collect();
    assert_eq!(cands.len(), FLAG_SEQS.len(), "some FLAG_SEQS encodings are not generator candidates");
    let name = |w: u32| lookup(w).map(|i| ENCODINGS[i as usize].name).unwrap_or("");
    let setter = |n: &str| FLAG_SEQS[..9].contains(&n);
    let neutral = |n: &str| ["ADD_imm", "ORR_reg", "UBFM", "SBFM", "EXTR", "MADD", "MOVZ"].contains(&n);
    let csel = |n: &str| ["CSEL", "CSINC", "CSINV", "CSNEG"].contains(&n);
    let mut seen = std::collections::BTreeMap::new();
    // The census looks at the first 2000 programs (generation only: cheap), enough for
    // >= 20 of each shape whatever other templates the generator gains.
    for id in 0..iters.min(2000) {
        let code: Vec<&str> = make_edge_prog(seed, id, &cands).code.iter().map(|&w| name(w)).collect();
        for i in 0..code.len() {
            if !setter(code[i]) {
                continue;
            }
            // What lies between this setter and the next one.
            let j = (i + 1..code.len()).find(|&j| setter(code[j]) || !(neutral(code[j]) || code[j] == "CRC32X" || code[j].contains("uoff") || code[j] == "LDR_reg"));
            if let Some(j) = j.filter(|&j| setter(code[j]) && j > i + 1) {
                let mid = &code[i + 1..j];
                let kind = if mid.iter().all(|n| neutral(n)) {
                    "dead window"
                } else if mid.contains(&"CRC32X") {
                    "window with CRC32X"
                } else {
                    "window with load/store"
                };
                *seen.entry(kind).or_insert(0u32) += 1;
            }
            if code.len() > i + 2 && csel(code[i + 1]) && csel(code[i + 2]) {
                *seen.entry("two selects").or_insert(0u32) += 1;
            }
        }
        // Producers (CCMP/CCMN too), 1-3 flag-neutral instructions, a consumer.
        let flag_neutral = |n: &str| ["ADD_imm", "SUB_imm", "MOVZ", "MOVN", "ADR"].contains(&n);
        let consumer = |n: &str| csel(n) || n.starts_with("CCM") || n == "B_cond";
        for i in 0..code.len() {
            if !(setter(code[i]) || code[i].starts_with("CCM")) {
                continue;
            }
            let j = (i + 1..code.len().min(i + 5)).find(|&j| !flag_neutral(code[j]));
            if j.is_some_and(|j| j > i + 1 && consumer(code[j])) {
                let kind = if code[i].starts_with("CCM") { "CCMP, neutral, consumer" } else { "setter, neutral, consumer" };
                *seen.entry(kind).or_insert(0u32) += 1;
            }
        }
    }
    assert!(iters < 2000 || (seen.len() == 6 && seen.values().all(|&n| n >= 20)), "too few flag sequences: {seen:?}");
    run_and_report("flag sequences", seed, (0..iters).collect(), make_edge_prog, cands, &format!("{seen:?}"));
}

/// Data-processing forms the JIT emits with short x86 sequences: UBFM/SBFM (LSL, LSR,
/// ASR, UBFX, SBFX, UBFIZ, SBFIZ, UXTB/H, SXTB/H/W: two shifts or one move), EXTR (ROR
/// when Rn = Rm), AND with low masks, ORR/ORN with XZR (MOV, MVN), ADD/SUB #0, ADD with
/// LSL #1..3 (LEA), MOVK of the low halfword, CSEL/CSINC/CSINV/CSNEG with Rn = Rm (CINC,
/// CSET, ...) on stored flags and after ANDS/SUBS; 32-bit results stored without a
/// second zero extension (ADD/SUB/ADC/SBC/logical, extended-register forms).
const DP_FORMS: &[&str] = &[
    "UBFM", "SBFM", "EXTR", "AND_imm", "ANDS_imm", "ORR_reg", "ORN_reg", "ADD_imm", "SUB_imm", "MOVN", "MOVK", "ADD_reg",
    "SUBS_reg", "CSEL", "CSINC", "CSINV", "CSNEG", "ADD_ext", "SUBS_ext", "ADC", "SBC", "EOR_reg",
];

/// The interpreter as the oracle on `DP_FORMS` programs, X0-X25 drawn from edge values
/// (all ones, top bits, INT_MIN/MAX, 32-bit ones) for odd programs; every immr/imms,
/// shift and register field (Rn = Rm, XZR, 32 and 64 bits) from the random fields (a
/// sample must contain shifts by 0, 31, 32 and 63 and the extension forms).
#[test]
fn jit_matches_interpreter_on_dp_forms() {
    use cpu_aarch64::decode::{lookup, ENCODINGS};
    let iters = env_u64("LSEMU_JIT_DIFF_ITERS", 5000) / 4;
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e) ^ 0xdf0;
    let cands: Vec<usize> = all_candidates().into_iter().filter(|&i| DP_FORMS.contains(&ENCODINGS[i].name)).collect();
    let mut forms = std::collections::BTreeSet::new();
    for id in 0..iters.min(1200) {
        for &w in &make_dp_prog(seed, id, &cands).code {
            let Some(i) = lookup(w) else { continue };
            let (sf, immr, imms, rn, rm) = (w >> 31, (w >> 16) & 63, (w >> 10) & 63, (w >> 5) & 31, (w >> 16) & 31);
            match ENCODINGS[i as usize].name {
                "UBFM" | "SBFM" => {
                    let top = if sf == 1 { 63 } else { 31 };
                    if imms == top && [0, 1, 31, 32, 63].contains(&immr) {
                        forms.insert(format!("shift right {immr} sf {sf}"));
                    }
                    if imms < immr && imms + 1 == immr {
                        forms.insert(format!("LSL #{} sf {sf}", top + 1 - immr));
                    }
                    if immr == 0 && [7, 15, 31].contains(&imms) {
                        forms.insert(format!("extend {imms} sf {sf}"));
                    }
                }
                "EXTR" if rn == rm => {
                    forms.insert(format!("ROR sf {sf}"));
                }
                "CSINC" if rn == rm => {
                    forms.insert(format!("CINC sf {sf}"));
                }
                "ADD_reg" if (w >> 22) & 3 == 0 && (1..=3).contains(&imms) => {
                    forms.insert(format!("ADD LSL #{imms} sf {sf}"));
                }
                _ => {}
            }
        }
    }
    let want = [
        "shift right 0 sf 1", "shift right 1 sf 1", "shift right 31 sf 1", "shift right 32 sf 1", "shift right 63 sf 1",
        "shift right 0 sf 0", "shift right 31 sf 0", "extend 7 sf 1", "extend 15 sf 1", "extend 31 sf 1", "extend 7 sf 0",
        "extend 15 sf 0", "ROR sf 0", "ROR sf 1", "LSL #1 sf 1", "LSL #32 sf 1", "LSL #63 sf 1", "LSL #31 sf 0", "CINC sf 0", "CINC sf 1",
        "ADD LSL #3 sf 1", "ADD LSL #1 sf 0",
    ];
    let missing: Vec<_> = want.iter().filter(|w| !forms.contains(**w)).collect();
    assert!(iters < 1200 || missing.is_empty(), "programs never contain {missing:?} (have {forms:?})");
    run_encoding_set("dp forms", "DP_FORMS", DP_FORMS, seed, iters, 300, make_dp_prog);
}

/// `make_edge_prog`, with half the UBFM/SBFM words turned into the aliases the JIT
/// special-cases (shifts right by 0, 1, 31, 32, 63 with imms = top; LSL by 1, 31, 32, 63;
/// the byte/halfword/word extensions) and half the EXTR words into ROR (Rm = Rn) by 0,
/// 1, 31, 32 or 63, where the width allows; half the conditional selects with Rm = Rn
/// (CINC, CSET...) and half the ADD (shifted register) with LSL #1..3.
fn make_dp_prog(seed: u64, id: u64, cands: &[usize]) -> Prog {
    use cpu_aarch64::decode::{lookup, ENCODINGS};
    let mut p = make_edge_prog(seed, id, cands);
    let mut h = seed ^ id.wrapping_mul(0x2545_f491_4f6c_dd1d);
    for w in p.code.iter_mut() {
        h ^= h >> 31;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9).wrapping_add(0x9e37_79b9_7f4a_7c15);
        let Some(i) = lookup(*w) else { continue };
        let (sf, pick) = (*w >> 31, (h >> 16) as usize);
        let top = if sf == 1 { 63 } else { 31 };
        let new = match ENCODINGS[i as usize].name {
            "UBFM" | "SBFM" if h & 1 == 0 => {
                let (immr, imms) = match (h >> 8) % 3 {
                    0 => ([0, 1, 31, 32, 63][pick % 5] & top, top),
                    1 => {
                        let sh = [1, 31, 32, 63][pick % 4] & top;
                        let sh = if sh == 0 { 1 } else { sh };
                        ((top + 1 - sh) & top, top - sh)
                    }
                    _ => (0, [7, 15, 31][pick % 3]),
                };
                (*w & !(0xfff << 10)) | immr << 16 | imms << 10
            }
            "EXTR" if h & 1 == 0 => {
                let lsb = [0, 1, 31, 32, 63][pick % 5] & top;
                (*w & !(0x1f << 16 | 0x3f << 10)) | ((*w >> 5) & 31) << 16 | lsb << 10
            }
            "CSEL" | "CSINC" | "CSINV" | "CSNEG" if h & 1 == 0 => (*w & !(0x1f << 16)) | ((*w >> 5) & 31) << 16,
            "ADD_reg" if h & 1 == 0 => (*w & !(3 << 22 | 0x3f << 10)) | (pick as u32 % 4) << 10,
            // MOV (register): ORR Rd, XZR, Rm.
            "ORR_reg" if h & 1 == 0 => (*w & !(0x3f << 10 | 0x1f << 5)) | 31 << 5,
            _ => continue,
        };
        if lookup(new) == Some(i) {
            *w = new;
        }
    }
    p
}

/// The AdvSIMD integer encodings the JIT emits natively (`jit/src/simd.rs`).
const NATIVE_SIMD: &[&str] = &[
    "MOVI_32", "MOVI_16", "MOVI_msl", "MOVI_8", "MOVI_64", "MVNI_32", "MVNI_16", "MVNI_msl", "ORR_vi_32", "ORR_vi_16",
    "BIC_vi_32", "BIC_vi_16", "AND_v", "BIC_v", "ORR_v", "ORN_v", "EOR_v", "BSL", "BIT", "BIF", "ADD_v", "SUB_v", "CMEQ_v",
    "CMEQ_z_v",
];

/// The random programs made only of the `NATIVE_SIMD` encodings (every Q, size, immediate
/// and cmode field; V registers from the generator's values, where zeros and small
/// integers make equal lanes for CMEQ; one program in sixteen with FP/SIMD disabled, so
/// the trap path runs too). The oracle is the interpreter.
#[test]
fn jit_matches_interpreter_on_native_simd_encodings() {
    let iters = env_u64("LSEMU_JIT_DIFF_ITERS", 5000) / 5;
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e) ^ 0x51d;
    let s = run_encoding_set("simd", "NATIVE_SIMD", NATIVE_SIMD, seed, iters, 300, make_prog);
    if iters >= 500 {
        assert!(s.halted * 2 > iters as usize, "programs do not exercise the engine");
    }
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
            // ("indirect" patches its call targets with maintenance in some programs.)
            Bug::IgnoresGuestCodeWrites => {
                assert!(by_kind.keys().all(|k| ["smc_maint", "smc_loop", "indirect", "smc_alias"].contains(k)), "{by_kind:?}");
                assert!(by_kind.contains_key("smc_maint") && by_kind.contains_key("smc_loop"), "{by_kind:?}");
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
        ("eor x23, x23, #0x4000", eor_bit(23, 23, 14)),
        ("eor x23, x23, #0x1000000000000", eor_bit(23, 23, 48)),
        ("mrs x23, ttbr0_el1", mrs(23, TTBR0_EL1)),
        ("msr ttbr0_el1, x23", msr(TTBR0_EL1, 23)),
        ("mov x19, x0", mov(19, 0)),
        ("adr x24, .+36", adr(24, 36)),
        ("adr x24, .-12", adr(24, -12)),
        ("hlt #0x5a5a", hlt(0x5a5a)),
        ("b .+8", b(8)),
        ("bl .-0x1000", bl(-0x1000)),
        ("b.ne .-20", b_ne(-20)),
        ("dc cvau, x24", dc_cvau(24)),
        ("ic ivau, x24", ic_ivau(24)),
        ("blr x25", blr(25)),
        ("br x25", br(25)),
        ("ret x22", ret(22)),
        ("and x24, x26, #3", and_3(24, 26)),
        ("add x25, x25, x24, lsl #11", add_lsl(25, 25, 24, 11)),
        ("add x19, x0, x19, lsl #1", add_lsl(19, 0, 19, 1)),
        ("tlbi vae1, x21", tlbi_vae1(21)),
        ("dc zva, x25", dc_zva(25)),
        ("stp x3, x4, [x24]", stp(3, 4, 24, 0)),
        ("stp x3, x4, [x24, #-16]", stp(3, 4, 24, -16)),
        ("ldp w5, w6, [x23, #8]", ldp_w(5, 6, 23, 8)),
        ("stp w7, w8, [x23, #-4]", stp_w(7, 8, 23, -4)),
        ("stur x11, [x24, #-8]", stur_x(11, 24, -8)),
        ("ldur x12, [x24, #-16]", ldur_x(12, 24, -16)),
        ("eor x21, x21, x20", 0xca14_02b5),
        ("ldp x29, x30, [sp], #16", ldp_post(29, 30, 31, 16)),
        ("stp x29, x30, [sp, #-16]!", stp_pre(29, 30, 31, -16)),
        ("b.eq .+8", b_eq(8)),
        ("b.gt .-0x30", b_gt(-0x30)),
        ("b.eq .-0x40", b_eq(-0x40)),
        ("tbz x26, #0, .+8", tbz(26, 0, 8)),
        ("tbz x3, #17, .-12", tbz(3, 17, -12)),
        ("svc #0", svc(0)),
        ("svc #0x123", svc(0x123)),
        ("msr spsel, #1", msr_spsel(1)),
        ("msr spsel, #0", msr_spsel(0)),
        ("add x30, x30, #4", add_imm(30, 30, 4)),
        ("mov sp, x17", add_imm(31, 17, 0)),
        ("mov x18, sp", add_imm(18, 31, 0)),
        ("add x23, x23, x26, lsl #10", add_lsl(23, 23, 26, 10)),
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

// ---------------------------------------------------------------------------------------
// Load/Store-Exclusive, DC ZVA and cache maintenance (`jit/src/native3.rs`)

/// A64 encodings of the exclusives (Arm ARM C6.2, "Load/store exclusive"): size in bits
/// 31:30 (pairs: bit 30 = sz), o2 = 0, L (22), o1 (21: pair), Rs (20:16; 11111 for loads),
/// o0 (15: acquire for loads, release for stores), Rt2 (14:10; 11111 for single
/// registers), Rn, Rt. Checked against GNU as in `exclusive_programs_match_interpreter`.
mod xenc {
    pub fn ldxr(size: u32, acq: u32, rn: u32, rt: u32) -> u32 {
        size << 30 | 0x085f_7c00 | acq << 15 | rn << 5 | rt
    }
    pub fn stxr(size: u32, rel: u32, rs: u32, rn: u32, rt: u32) -> u32 {
        size << 30 | 0x0800_7c00 | rs << 16 | rel << 15 | rn << 5 | rt
    }
    pub fn ldxp(sz: u32, acq: u32, rn: u32, rt: u32, rt2: u32) -> u32 {
        0x887f_0000 | sz << 30 | acq << 15 | rt2 << 10 | rn << 5 | rt
    }
    pub fn stxp(sz: u32, rel: u32, rs: u32, rn: u32, rt: u32, rt2: u32) -> u32 {
        0x8820_0000 | sz << 30 | rs << 16 | rel << 15 | rt2 << 10 | rn << 5 | rt
    }
    /// STR Xt, [Xn]
    pub fn str_x(rt: u32, rn: u32) -> u32 {
        0xf900_0000 | rn << 5 | rt
    }
    /// ADD/SUB Xd, Xn, #imm12
    pub fn add(rd: u32, rn: u32, imm: u32) -> u32 {
        0x9100_0000 | imm << 10 | rn << 5 | rd
    }
    pub fn sub(rd: u32, rn: u32, imm: u32) -> u32 {
        0xd100_0000 | imm << 10 | rn << 5 | rd
    }
    pub const CLREX: u32 = 0xd503_3f5f;
    /// MRS Xt, DAIF / MSR DAIF, Xt (op0 3, op1 3, C4, C2, op2 1); MRS Xt, CTR_EL0
    /// (3, 3, C0, C0, 1) and DCZID_EL0 (3, 3, C0, C0, 7).
    pub fn mrs_daif(rt: u32) -> u32 {
        0xd53b_4220 | rt
    }
    pub fn msr_daif(rt: u32) -> u32 {
        0xd51b_4220 | rt
    }
    pub fn mrs_ctr(rt: u32) -> u32 {
        0xd53b_0020 | rt
    }
    pub fn mrs_dczid(rt: u32) -> u32 {
        0xd53b_00e0 | rt
    }
    /// MRS Xt, CNTPCT_EL0 (3, 3, C14, C0, 1) / CNTVCT_EL0 (op2 2); ELR_EL1 (3, 0, C4, C0,
    /// 1) / SPSR_EL1 (op2 0).
    pub fn mrs_cntpct(rt: u32) -> u32 {
        0xd53b_e020 | rt
    }
    pub fn mrs_cntvct(rt: u32) -> u32 {
        0xd53b_e040 | rt
    }
    pub fn mrs_elr1(rt: u32) -> u32 {
        0xd538_4020 | rt
    }
    pub fn mrs_spsr1(rt: u32) -> u32 {
        0xd538_4000 | rt
    }
    /// MSR DAIFSet/DAIFClr, #imm4 (op1 3, C4, op2 6/7).
    pub fn msr_daifset(imm: u32) -> u32 {
        0xd503_40df | imm << 8
    }
    pub fn msr_daifclr(imm: u32) -> u32 {
        0xd503_40ff | imm << 8
    }
    /// SYS #3, C7, Cm, #1, Xt: DC ZVA (C4), IC IVAU (C5), DC CVAC (C10), DC CVAU (C11),
    /// DC CIVAC (C14).
    pub fn sys_c7(crm: u32, rt: u32) -> u32 {
        0xd50b_7020 | crm << 8 | rt
    }
    /// STNP/LDNP Xt, Xt2, [Xn, #8*imm7] (64-bit).
    pub fn stnp(load: u32, rt: u32, rt2: u32, rn: u32, imm7: i32) -> u32 {
        0xa800_0000 | load << 22 | ((imm7 as u32) & 0x7f) << 15 | rt2 << 10 | rn << 5 | rt
    }
}

/// One program of exclusives (see `exclusive_programs_match_interpreter`): `make_prog`'s
/// machine state (EL0 or EL1, MMU on or off, X27 aligned inside the data page, X28 the
/// moving base: near a page end, in the read-only page, in MMIO...), with a body of
/// load-exclusive / store-exclusive pairs of every size, single and pair, acquire and
/// release, where the store may differ in size, pairing or address from its load, may
/// follow a CLREX, a plain store to the marked address, another load-exclusive or a
/// DC ZVA, or run with no reservation at all; Rs sometimes equal to Rt (CONSTRAINED
/// UNPREDICTABLE: the interpreter's choice is the reference), LDXP with Rt == Rt2 sometimes;
/// DC ZVA, IC IVAU, DC CVAC/CVAU/CIVAC, STNP/LDNP on both bases; DAIF saved, masked
/// (MSR DAIFSet) and restored (MSR DAIF, MSR DAIFClr), CTR_EL0/DCZID_EL0, counter
/// (CNTPCT/CNTVCT: trapped at EL0 unless CNTKCTL_EL1 allows) and ELR/SPSR_EL1 reads. At EL0
/// a third of the programs run with SCTLR_EL1.UCI/DZE clear (those trap). Half the
/// programs run their body in a loop (so translated blocks run again with the monitor in
/// another state), half get an interrupt (taken when DAIF unmasks it).
fn make_excl_prog(seed: u64, id: u64, cands: &[usize]) -> Prog {
    use xenc::*;
    let mut p = make_prog(seed, id, cands);
    let mut r = test_suites::gen::Rng::new(seed ^ 0xe8c1 ^ id.wrapping_mul(0x2545_f491_4f6c_dd1d));
    p.kind = "random";
    p.extra_code.clear();
    p.smc_either = None;
    p.host_patch = None;
    if p.el == 0 && r.chance(1, 3) {
        // EL0 cache maintenance / DC ZVA disabled: they trap to EL1.
        use cpu_aarch64::sysreg::{SCTLR_DZE, SCTLR_UCI};
        p.sctlr_clear = *r.pick(&[SCTLR_UCI, SCTLR_DZE, SCTLR_UCI | SCTLR_DZE]);
    }
    let reg = |r: &mut test_suites::gen::Rng| r.below(26) as u32;
    let mut body: Vec<u32> = Vec::new();
    for _ in 0..2 + r.below(8) {
        let pair = r.chance(1, 4);
        let size = if pair { 2 + r.below(2) as u32 } else { r.below(4) as u32 };
        let rn = if r.chance(1, 5) { 28 } else { 27 };
        let (rt, mut rt2) = (reg(&mut r), reg(&mut r));
        if rt2 == rt && !r.chance(1, 8) {
            rt2 = (rt + 1) % 26;
        }
        let load = if pair { ldxp(size & 1, r.below(2) as u32, rn, rt, rt2) } else { ldxr(size, r.below(2) as u32, rn, rt) };
        if !r.chance(1, 8) {
            body.push(load);
        }
        match r.below(10) {
            0 => body.push(CLREX),
            1 => body.push(str_x(reg(&mut r), rn)),
            2 => body.push(ldxr(3, 0, 27, reg(&mut r))),
            3 => body.push(sys_c7(4, rn)),
            4 => body.push(add(reg(&mut r), reg(&mut r), r.below(4096) as u32)),
            _ => {}
        }
        // The store: usually the load's shape and base, sometimes not.
        let (spair, ssize) = if r.chance(1, 6) {
            let sp = r.chance(1, 4);
            (sp, if sp { 2 + r.below(2) as u32 } else { r.below(4) as u32 })
        } else {
            (pair, size)
        };
        let srn = if r.chance(1, 6) { 55 - rn } else { rn };
        let (st, st2) = (reg(&mut r), reg(&mut r));
        let mut rs = reg(&mut r);
        if !r.chance(1, 8) {
            while rs == st || spair && rs == st2 {
                rs = (rs + 1) % 26;
            }
        }
        body.push(if spair { stxp(ssize & 1, r.below(2) as u32, rs, srn, st, st2) } else { stxr(ssize, r.below(2) as u32, rs, srn, st) });
        match r.below(8) {
            0 => body.push(sys_c7(*r.pick(&[4, 5, 10, 11, 14]), *r.pick(&[27, 28]))),
            3 => {
                // System registers: DAIF save/mask/restore as Linux's local_irq_save and
                // restore do, and the cache geometry reads of its cache routines.
                let t = reg(&mut r);
                body.push(mrs_daif(t));
                body.push(msr_daifset(r.below(16) as u32));
                let u = reg(&mut r);
                let read = [mrs_ctr(u), mrs_dczid(u), mrs_daif(u), mrs_cntpct(u), mrs_cntvct(u), mrs_elr1(u), mrs_spsr1(u)];
                body.push(*r.pick(&read));
                body.push(if r.chance(1, 2) { msr_daif(if r.chance(1, 2) { t } else { reg(&mut r) }) } else { msr_daifclr(r.below(16) as u32) });
            }
            1 => body.push(stnp(r.below(2) as u32, reg(&mut r), reg(&mut r), *r.pick(&[27, 28]), r.below(16) as i32 - 8)),
            2 => {
                // Another address in the same or the next reservation granule.
                let d = 8 * (1 + r.below(16) as u32);
                body.push(add(27, 27, d));
                body.push(ldxr(3, 1, 27, reg(&mut r)));
                body.push(sub(27, 27, d));
                body.push(stxr(3, 1, reg(&mut r), 27, reg(&mut r)));
            }
            _ => {}
        }
    }
    let mut code = Vec::new();
    if r.chance(1, 2) {
        // body; SUBS X26, X26, #1; B.NE body (X26: iterations).
        let n = body.len() as i64;
        code.extend(body);
        code.push(test_suites::jitdiff::enc::subs_imm(26, 26, 1));
        code.push(test_suites::jitdiff::enc::b_ne(-4 * (n + 1)));
        p.regs.x[26] = 1 + r.below(6);
    } else {
        code.extend(body);
    }
    p.irq_at = if r.chance(1, 2) { Some(r.below(4 * code.len() as u64 + 4)) } else { None };
    code.push(test_suites::jitdiff::enc::hlt(test_suites::jitdiff::END_HLT));
    p.limit = 40 * code.len() as u64 + 400;
    p.code = code;
    p
}

/// The JIT against the interpreter on programs of Load/Store-Exclusive pairs (passing and
/// failing STXR/STXP, every size, single and pair, mismatched size/address/pairing,
/// CLREX and plain stores in between, faults through the moving base), DC ZVA, IC IVAU,
/// DC CVAC/CVAU/CIVAC and STNP/LDNP (`make_excl_prog`). The oracle is the interpreter
/// (its exclusives are checked against QEMU by qemu_diff, and its monitor model against
/// the Arm ARM by cpu-aarch64's unit tests); the comparison includes the exclusive
/// monitor, all RAM and the `store_notify` calls. The encoders are checked against GNU as.
#[test]
fn exclusive_programs_match_interpreter() {
    use xenc::*;
    let src = "ldxrb w1, [x27]\n ldaxrh w2, [x28]\n ldxr w3, [sp]\n ldaxr x4, [x27]\n stxrb w5, w6, [x27]\n stlxrh w7, w8, [x28]\n \
               stxr w9, w10, [sp]\n stlxr w11, x12, [x27]\n ldxp w13, w14, [x27]\n ldaxp x15, x16, [x28]\n stxp w17, w18, w19, [x27]\n \
               stlxp w20, x21, x22, [x28]\n str x1, [x27]\n add x2, x3, #4095\n sub x27, x27, #8\n clrex\n dc zva, x27\n ic ivau, x28\n \
               dc cvac, x1\n dc cvau, x2\n dc civac, x3\n stnp x1, x2, [x27, #-64]\n ldnp x3, x4, [x28, #56]\n \
               mrs x5, daif\n msr daif, x6\n mrs x7, ctr_el0\n mrs x8, dczid_el0\n msr daifset, #2\n msr daifclr, #15\n \
               mrs x9, cntpct_el0\n mrs x10, cntvct_el0\n mrs x11, elr_el1\n mrs x12, spsr_el1\n";
    let ours = [
        ldxr(0, 0, 27, 1), ldxr(1, 1, 28, 2), ldxr(2, 0, 31, 3), ldxr(3, 1, 27, 4),
        stxr(0, 0, 5, 27, 6), stxr(1, 1, 7, 28, 8), stxr(2, 0, 9, 31, 10), stxr(3, 1, 11, 27, 12),
        ldxp(0, 0, 27, 13, 14), ldxp(1, 1, 28, 15, 16), stxp(0, 0, 17, 27, 18, 19), stxp(1, 1, 20, 28, 21, 22),
        str_x(1, 27), add(2, 3, 4095), sub(27, 27, 8), CLREX,
        sys_c7(4, 27), sys_c7(5, 28), sys_c7(10, 1), sys_c7(11, 2), sys_c7(14, 3), stnp(0, 1, 2, 27, -8), stnp(1, 3, 4, 28, 7),
        mrs_daif(5), msr_daif(6), mrs_ctr(7), mrs_dczid(8), msr_daifset(2), msr_daifclr(15),
        mrs_cntpct(9), mrs_cntvct(10), mrs_elr1(11), mrs_spsr1(12),
    ];
    assert_eq!(gnu_as("excl_enc", src), ours.to_vec(), "exclusive encoders vs GNU as");

    let iters = env_u64("LSEMU_JIT_DIFF_ITERS", 5000) / 2;
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e) ^ 0x3;
    // Fillers for make_prog's setup only (the body is make_excl_prog's).
    let cands = all_candidates();
    let s = run_and_report("exclusives", seed, (0..iters).collect(), make_excl_prog, cands, "");
    // Most programs must get past their setup and run exclusives to the end.
    assert!(s.halted * 2 > iters as usize, "only {} of {} programs reached their end", s.halted, iters);
}

/// The JIT's register cache of V registers (`jit/src/fp.rs`, "Register cache"): chains of
/// dependent FP operations whose operands come from the cache, interrupted by fallbacks
/// (NaN, infinite, tiny and zero results run in the interpreter, which writes the V
/// register the cache copies), SIMD&FP loads (which fill it) and stores (which read it),
/// integer instructions (which keep it) and a store to the page of the code itself (the
/// store hook's call clobbers the host registers). Operand values from a table of edge
/// and ordinary doubles, rotated. Oracle: the interpreter (final state compared).
#[test]
fn jit_register_cache_matches_interpreter() {
    const V: [u64; 12] = [
        0x3ff0_0000_0000_0000,             // 1.0
        0x3fb9_9999_9999_999a,             // 0.1
        0,                                 // +0
        0x8000_0000_0000_0000,             // -0
        0x7ff0_0000_0000_0000,             // +inf
        0x7ff8_0000_0000_0000,             // quiet NaN
        0x0010_0000_0000_0000,             // smallest normal
        0x000f_ffff_ffff_ffff,             // largest denormal
        0x7fef_ffff_ffff_ffff,             // largest normal
        0xbff8_0000_0000_0000,             // -1.5
        0x3fd5_5555_5555_5555,             // 1/3
        0x4059_0000_0000_0000,             // 100.0
    ];
    let body = "\tfmul d1, d2, d3\n\tfadd d4, d1, d1\n\tfdiv d5, d4, d0\n\tfadd d6, d1, d4\n\tstr d6, [x28]\n\tldr d7, [x28]\n\
                \tfmul d8, d7, d1\n\tstr d8, [x28, #8]\n\tfsub d1, d8, d7\n\tadd x5, x5, #1\n\tfadd v9.2d, v10.2d, v11.2d\n\
                \tfmul v10.2d, v9.2d, v9.2d\n\tfmul d12, d1, d6\n\tstr d12, [x27]\n\tfsqrt d13, d1\n\tfadd d14, d13, d12\n\
                \tldp d15, d16, [x28]\n\tfmul d15, d15, d16\n\tfcmp d15, d14\n\tfdiv d16, d15, d10\n\tfnmul d2, d16, d15\n\
                \tfadd d3, d2, d16\n\tstp d2, d3, [x28, #16]\n\tfmadd d17, d3, d2, d16\n\tfsub d18, d17, d3\n";
    let mut progs = Vec::new();
    for ixc in [false, true] {
        let fpsr_init = if ixc { "\tmov x2, #0x10\n\tmsr fpsr, x2\n" } else { "\tmsr fpsr, xzr\n" };
        // (The MOVs: the operations must run in translated code, see
        // `fp_edge_cases_match_interpreter`.)
        let src = format!("{fpsr_init}\tmov x2, xzr\n\tmov x2, xzr\n\tmov x2, xzr\n{body}{body}\tstr x0, [x28, #32]\n\thlt #0x5a5a\n");
        let code = gnu_as(&format!("rcache{}", ixc as u32), &src);
        for rot in 0..V.len() {
            let mut prog = fixed_code_prog(0xcac4e, rot as u64 + 100 * ixc as u64, &code, None, 4 * code.len() as u64 + 200);
            prog.fp = true;
            prog.regs.fpcr = 0;
            prog.regs.x[28] = prog.va(DATA_PA);
            // X27: the last word of the code page (past the program): a store there
            // goes through the store hook of a page holding translated code.
            prog.regs.x[27] = prog.va(CODE_PA) + 0xff8;
            for i in 0..32 {
                prog.regs.v[i] = V[(i + rot) % V.len()] as u128 | (V[(3 * i + rot + 1) % V.len()] as u128) << 64;
            }
            progs.push((format!("FPSR.IXC {ixc}, rotation {rot}"), prog));
        }
    }
    let fails = halting_differences(&progs, |(name, prog)| (name.clone(), prog.clone()));
    for f in fails.iter().take(5) {
        println!("{f}");
    }
    assert!(fails.is_empty(), "{} of {} register-cache programs differ between the JIT and the interpreter", fails.len(), progs.len());
}

/// Integer instructions whose results the JIT keeps in host registers for later
/// instructions of the block (`jit/src/regcache.rs`), loads and stores (whose slow path
/// reloads those registers), flag setters and consumers, and the shifts and shifted adds
/// emitted without touching the host flags between a producer and its consumer
/// (`jit/src/flagfree.rs`).
const CHAIN_FORMS: &[&str] = &[
    "ADD_reg", "SUB_reg", "ADDS_reg", "SUBS_reg", "ADC", "ADCS", "SBC", "SBCS", "ADD_imm", "SUB_imm", "SUBS_imm", "ADDS_imm", "ADD_ext",
    "CSEL", "CSINC", "MADD", "UBFM", "SBFM", "AND_imm", "ORR_reg", "EOR_reg", "LDR_reg", "STR_reg", "LDR_uoff", "STR_uoff",
    "LDR_post", "STR_pre", "LDP_off", "STP_off", "B_cond", "CBZ",
];

/// `make_dp_prog` with the data registers of every instruction (Rd, Rn, Rm, Ra, Rt, Rt2
/// below X26; not the base and index registers of loads and stores) folded into X0-X5:
/// nearly every instruction reads a register that one of the few before it wrote, six
/// registers compete for the JIT's four cache slots, and a shifted ADD/SUB or an
/// LSL/LSR/ASR sits between a flag setter and a consumer now and then (made so for one
/// setter in three).
fn make_chain_prog(seed: u64, id: u64, cands: &[usize]) -> Prog {
    use cpu_aarch64::decode::{lookup, ENCODINGS};
    let mut p = make_dp_prog(seed, id, cands);
    let mut h = seed ^ id.wrapping_mul(0x6a09_e667_f3bc_c909);
    let mut next = || {
        h ^= h >> 29;
        h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9).wrapping_add(0x9e37_79b9_7f4a_7c15);
        h >> 20
    };
    for w in p.code.iter_mut() {
        let Some(i) = lookup(*w) else { continue };
        let e = &ENCODINGS[i as usize];
        let mem = e.name.starts_with("LD") || e.name.starts_with("ST");
        let mut new = *w;
        for name in ["rd", "rn", "rm", "ra", "rt", "rt2"] {
            if mem && (name == "rn" || name == "rm") {
                continue;
            }
            let Some(f) = e.field(name) else { continue };
            let v = f.extract(new);
            if v < 26 {
                new = test_suites::gen::insert(f, new, v % 6);
            }
        }
        if e.name == "LDP_off" && (new & 31) == ((new >> 10) & 31) {
            // (LDP with Rt = Rt2 is CONSTRAINED UNPREDICTABLE.)
            new = (new & !(31 << 10)) | (((new & 31) + 1) % 6) << 10;
        }
        if lookup(new) == Some(i) {
            *w = new;
        }
    }
    // Setter; shifted ADD/SUB or shift; consumer.
    let setters = [
        0xeb01_001fu32, // cmp x0, x1
        0xab02_0063,    // adds x3, x3, x2
        0x6b04_00bf,    // cmp w5, w4
        0xf100_405f,    // cmp x2, #0x10
        0x7100_047f,    // cmp w3, #1
        0xb100_0421,    // adds x1, x1, #1
    ];
    let middles = [
        0x8b02_8084u32, // add x4, x4, x2, lsl #32
        0x8b42_fc21,    // add x1, x1, x2, lsr #63
        0x4b83_7c00,    // sub w0, w0, w3, asr #31
        0xcb05_0441,    // sub x1, x2, x5, lsl #1
        0x8b1f_8083,    // add x3, x4, xzr, lsl #32
        0xd360_fc42,    // lsr x2, x2, #32
        0x9360_fc85,    // asr x5, x4, #32
        0xd37f_f863,    // lsl x3, x3, #1
        0x5301_7c00,    // lsr w0, w0, #1
        0x0b03_5c41,    // add w1, w2, w3, lsl #23
    ];
    let consumers = [0x9a83_3041u32 /* csel x1, x2, x3, cc */, 0x9a84_2484 /* cinc x4, x4, cc */, 0x1a9f_17e2 /* cset w2, eq */, 0x9a82_b0a0 /* csel x0, x5, x2, lt */];
    // Now and then a form the random fields rarely give: AND with the UXTW mask, MADD
    // with four registers, EOR with 1.
    let extra = [0x9240_7c24u32 /* and x4, x1, #0xffffffff */, 0x9b01_0803 /* madd x3, x0, x1, x2 */, 0xd240_00a5 /* eor x5, x5, #1 */, 0x1b02_0c20 /* madd w0, w1, w2, w3 */];
    for w in p.code.iter_mut() {
        if next() % 16 == 0 && *w >> 26 != 0b000101 && *w & 0x7c00_0000 != 0x3400_0000 && *w & 0xff00_0010 != 0x5400_0000 {
            *w = extra[next() as usize % extra.len()];
        }
    }
    let n = p.code.len();
    let mut k = 0;
    while k + 3 < n {
        if next() % 8 == 0 && !p.code[k..k + 3].iter().any(|&w| w >> 26 == 0b000101 || w & 0x7c00_0000 == 0x3400_0000) {
            p.code[k] = setters[next() as usize % setters.len()];
            p.code[k + 1] = middles[next() as usize % middles.len()];
            p.code[k + 2] = consumers[next() as usize % consumers.len()];
            k += 3;
        }
        k += 1;
    }
    p
}

/// The interpreter as the oracle on `make_chain_prog` programs. A sample must contain
/// (>= 50 each): a register read within four instructions of the write that set it; such
/// a pair with a load or store in between (its slow path, for the MMIO page, a fault or a
/// page-crossing access, reloads the cached registers); a flag setter, a shifted
/// ADD/SUB or shift, and a consumer in a row.
#[test]
fn jit_matches_interpreter_on_register_chains() {
    use cpu_aarch64::decode::{lookup, ENCODINGS};
    let iters = env_u64("LSEMU_JIT_DIFF_ITERS", 5000) / 2;
    let seed = env_u64("LSEMU_JIT_DIFF_SEED", 0x7e57_0f1e) ^ 0xc4a1;
    let cands: Vec<usize> = all_candidates().into_iter().filter(|&i| CHAIN_FORMS.contains(&ENCODINGS[i].name)).collect();
    assert_eq!(cands.len(), CHAIN_FORMS.len(), "some CHAIN_FORMS encodings are not generator candidates");
    let field = |w: u32, i: usize, name: &str| ENCODINGS[i].field(name).map(|f| f.extract(w));
    let mut seen = std::collections::BTreeMap::new();
    for id in 0..iters.min(1000) {
        let code = make_chain_prog(seed, id, &cands).code;
        let dec: Vec<Option<usize>> = code.iter().map(|&w| lookup(w).map(|i| i as usize)).collect();
        let name = |k: usize| dec[k].map(|i| ENCODINGS[i].name).unwrap_or("");
        let is_mem = |k: usize| name(k).starts_with("LD") || name(k).starts_with("ST");
        for k in 0..code.len() {
            let Some(i) = dec[k] else { continue };
            let Some(rd) = field(code[k], i, "rd").or_else(|| field(code[k], i, "rt").filter(|_| name(k).starts_with("LD"))) else { continue };
            if rd >= 26 {
                continue;
            }
            for j in k + 1..code.len().min(k + 5) {
                let Some(ij) = dec[j] else { break };
                let reads = ["rn", "rm", "ra"].iter().any(|f| field(code[j], ij, f) == Some(rd)) || (name(j).starts_with("ST") && field(code[j], ij, "rt") == Some(rd));
                if reads {
                    *seen.entry("read after write").or_insert(0u32) += 1;
                    if (k + 1..j).any(is_mem) {
                        *seen.entry("read after write across a load/store").or_insert(0u32) += 1;
                    }
                    break;
                }
            }
        }
        let setter = |n: &str| ["ADDS_reg", "SUBS_reg", "SUBS_imm", "ADDS_imm", "ADCS", "SBCS"].contains(&n);
        let consumer = |n: &str| ["CSEL", "CSINC", "B_cond"].contains(&n);
        for k in 0..code.len().saturating_sub(2) {
            let mid = match dec[k + 1] {
                Some(i) if ENCODINGS[i].name == "ADD_reg" || ENCODINGS[i].name == "SUB_reg" => field(code[k + 1], i, "imm6").unwrap_or(0) > 3 || field(code[k + 1], i, "shift").unwrap_or(0) != 0 || ENCODINGS[i].name == "SUB_reg",
                Some(i) => ["UBFM", "SBFM"].contains(&ENCODINGS[i].name),
                None => false,
            };
            if setter(name(k)) && mid && consumer(name(k + 2)) {
                *seen.entry("setter, shift or shifted add, consumer").or_insert(0u32) += 1;
            }
        }
    }
    assert!(iters < 1000 || (seen.len() == 3 && seen.values().all(|&n| n >= 50)), "too few register chains: {seen:?}");
    run_and_report("register chains", seed, (0..iters).collect(), make_chain_prog, cands, &format!("{seen:?}"));
}

/// The JIT's write-back register cache (`jit/src/regcache.rs`: a register written in a
/// block is stored to `Cpu` only where the state must be exact) at every place where the
/// guest state must be exact in the middle of a block: X0 and X1 are each written twice
/// (in the cache, dirty) before a load from an unmapped page (a translation fault), a
/// store to the MMIO page, an 8-byte load across a page boundary, an MSR and an MRS
/// that the interpreter runs (call-outs, the MSR reading X0), a store to the read-only
/// page (a permission fault), an MMIO load and a post-indexed pair store; the loop runs
/// six times, so the blocks run translated from the second turn. The fault handler logs
/// X0 and X1 on its stack as they are at the fault, the MMIO log has the stored values,
/// and the program runs once with no interrupt and once with the IRQ raised at each
/// instruction count of the run (the IRQ handler logs X0 and X1 too), each with every
/// budget pattern. Oracle: the interpreter (final state, all RAM including the
/// handlers' logs, the MMIO log). Assembled by GNU as.
#[test]
fn write_back_cache_is_exact_at_faults_callouts_mmio_and_interrupts() {
    const MMIO_PA: u64 = test_suites::jitdiff::MMIO_PA;
    let src = "loop:\n\
        \tadd x0, x0, #1\n\tadd x0, x0, #2\n\teor x1, x0, x3\n\tadd x1, x1, #5\n\tldr x2, [x20]\n\
        \tadd x0, x0, x1\n\tadd x0, x0, #7\n\tlsr x1, x0, #3\n\tadd x1, x1, #9\n\tstr x0, [x21]\n\
        \tadd x0, x0, #11\n\tadd x0, x0, x1\n\tadd x1, x1, x0\n\tadd x1, x1, #13\n\tldr x4, [x22]\n\
        \tadd x0, x0, x4\n\tadd x0, x0, #15\n\tsub x1, x1, x0\n\tadd x1, x1, #17\n\tmsr tpidr_el0, x0\n\
        \tadd x0, x0, #19\n\tadd x1, x1, x0\n\tadd x1, x1, #21\n\tstr x1, [x23]\n\
        \tadd x0, x0, #23\n\tadd x0, x0, x1\n\tldr x5, [x21, #8]\n\tadd x1, x1, x5\n\tadd x1, x1, #25\n\
        \tstp x0, x1, [x24], #16\n\tadd x0, x0, #27\n\tadd x0, x0, x1\n\tmrs x6, tpidr_el0\n\tadd x1, x1, x6\n\
        \tsubs x26, x26, #1\n\tb.ne loop\n\thlt #0x5a5a\n";
    let code = gnu_as("wb_cache", src);
    let base = |irq_at: Option<u64>| {
        let mut prog = fixed_code_prog(0x3b_cace, 7, &code, irq_at, 12 * code.len() as u64 + 200);
        let va = |pa: u64| pa - VA_OFF;
        prog.regs.x[0] = 0x1234_5678_9abc_def0;
        prog.regs.x[1] = 0x0fed_cba9_8765_4321;
        prog.regs.x[3] = 0x5555_aaaa_3333_cccc;
        // Unmapped; the MMIO page (away from the doorbell registers); the last 4 bytes of
        // data page 0 (an 8-byte load crosses into page 1); the read-only data page 3;
        // plain RAM in data page 1.
        prog.regs.x[20] = 0x7000_0000;
        prog.regs.x[21] = va(MMIO_PA) + 0x40;
        prog.regs.x[22] = va(DATA_PA) + 0x1000 - 4;
        prog.regs.x[23] = va(DATA_PA) + 0x3000 + 0x80;
        prog.regs.x[24] = va(DATA_PA) + 0x1400;
        prog.regs.x[26] = 6;
        prog
    };
    // (Two faults per turn, each through the logging handler.)
    same_with_irq_at_every_count(base, 12);
}

/// Runs the program `base(None)` builds on the interpreter (it must reach its HLT having
/// taken at least `min_exceptions` exceptions), then the programs `base(Some(k))` (the
/// IRQ raised at instruction count k) for every k below the reference run's count, and
/// without the IRQ, on the JIT and the interpreter (`halting_differences`): all must
/// agree.
fn same_with_irq_at_every_count(base: impl Fn(Option<u64>) -> Prog + Sync, min_exceptions: u64) {
    let reference = outcome(&base(None), &mut Interpreter, REF, false);
    assert_eq!(reference.exits.last(), Some(&Exit::Halt(0)), "the reference run reaches the HLT");
    assert!(reference.cpu.stats.exceptions >= min_exceptions, "only {} exceptions", reference.cpu.stats.exceptions);
    let n = reference.cpu.icount;
    let progs: Vec<Option<u64>> = std::iter::once(None).chain((1..n).map(Some)).collect();
    let fails = halting_differences(&progs, |&irq_at| (format!("IRQ at {irq_at:?}"), base(irq_at)));
    for f in fails.iter().take(3) {
        println!("{f}");
    }
    assert!(fails.is_empty(), "{} of {} runs differ between the JIT and the interpreter", fails.len(), progs.len());
}

/// Loads and stores of one address in a block (the JIT probes the second with the first
/// one's address and `FastMem` entry set, `jit/src/emit.rs` `Em::memo`), and flags set
/// before a load or store and read after it: a load and a store of [X11 + X5 LSL 3] with
/// a SUBS between them and a CINC on its carry after (as the kernel's `mpihelp_submul_1`);
/// the index, then the base, written between a load and a store (another address); a
/// store to the read-only page after a load of the same address succeeded (a permission
/// fault, the carry of the ADDS before it read by CINC and ADC after the handler
/// returns; the SUBS of a later case read by CINC and SBC); an MMIO load
/// and store; an address on a new page each turn, stored to first (a `FastMem` miss on
/// the load, whose fallback runs before the store probes and hits; the log pages, then
/// unmapped ones); a load and a store of one address across a page boundary (the load's
/// fallback returns to the block);
/// a sign-extended W index; a store then a load of one address; a load and a store
/// with an MSR (a call-out) between them; a store, a load of the index register from the
/// same address, then a load with it (another address). The loop runs six times
/// (translated from the second turn), with no interrupt and with the IRQ at each
/// instruction count, every budget pattern. Oracle: the interpreter (final state, all
/// RAM including the handlers' logs of ESR/FAR/ELR/SPSR, the MMIO log). Assembled by
/// GNU as.
#[test]
fn same_address_accesses_and_flags_across_accesses_match_interpreter() {
    const MMIO_PA: u64 = test_suites::jitdiff::MMIO_PA;
    let src = "loop:\n\
        \tldr x7, [x11, x5, lsl #3]\n\tand x6, x3, #0xffffffff\n\tmul x4, x6, x10\n\tsubs x7, x7, x4\n\
        \tstr x7, [x11, x5, lsl #3]\n\tcinc x3, x3, cc\n\
        \tldr x8, [x12, x5, lsl #3]\n\tadd x5, x5, #1\n\tstr x8, [x12, x5, lsl #3]\n\
        \tldr x9, [x13, #8]\n\tadd x13, x13, #16\n\tstr x9, [x13, #8]\n\
        \tldr x1, [x14, x5, lsl #3]\n\tadds x1, x1, x3\n\tstr x1, [x14, x5, lsl #3]\n\tcinc x0, x0, cs\n\tadc x21, x1, x0\n\
        \tldr x2, [x15, x5, lsl #3]\n\teor x2, x2, x0\n\tstr x2, [x15, x5, lsl #3]\n\
        \tstr x0, [x17, #0x10]\n\tldr x7, [x17, x5, lsl #3]\n\tsubs x18, x7, x0\n\tstr x7, [x17, x5, lsl #3]\n\tcinc x0, x0, lo\n\tsbc x20, x7, x18\n\tadd x0, x0, x20\n\tadd x17, x17, #0x1000\n\
        \tldr x7, [x27, x19, lsl #3]\n\tadd x7, x7, #1\n\tstr x7, [x27, x19, lsl #3]\n\tldr w20, [x11, w16, sxtw #2]\n\tadd w20, w20, #3\n\tstr w20, [x11, w16, sxtw #2]\n\tsxtw x25, w16\n\tldr w21, [x11, x25, lsl #2]\n\tadd x21, x21, x25\n\tsub w22, w16, #1\n\tsxtw x25, w22\n\tldr w21, [x11, x25, lsl #2]\n\tadd x21, x21, x25\n\
        \tstr x0, [x12, #0x40]\n\torr x21, x0, x1\n\tldr x22, [x12, #0x40]\n\
        \tldr x23, [x12, #0x80]\n\tmsr tpidr_el0, x23\n\tadd x23, x23, #5\n\tstr x23, [x12, #0x80]\n\
        \tadd x24, x5, #1\n\tstr x5, [x12, x24, lsl #3]\n\tldr x24, [x12, x24, lsl #3]\n\tldr x25, [x12, x24, lsl #3]\n\
        \tsubs x26, x26, #1\n\tb.ne loop\n\thlt #0x5a5a\n";
    let code = gnu_as("same_address", src);
    let base = |irq_at: Option<u64>| {
        let mut prog = fixed_code_prog(0x5a_3ad5, 11, &code, irq_at, 12 * code.len() as u64 + 200);
        let va = |pa: u64| pa - VA_OFF;
        prog.regs.x[0] = 0x1234_5678_9abc_def0;
        prog.regs.x[3] = 0x8000_0000_ffff_fff7;
        prog.regs.x[5] = 2;
        prog.regs.x[10] = 0xfedc_ba98;
        prog.regs.x[11] = va(DATA_PA) + 0x1100;
        prog.regs.x[12] = va(DATA_PA) + 0x2000;
        prog.regs.x[13] = va(DATA_PA) + 0x200;
        // The read-only data page 3; the MMIO page (away from the doorbell registers).
        prog.regs.x[14] = va(DATA_PA) + 0x3040;
        prog.regs.x[15] = va(MMIO_PA) + 0x40;
        prog.regs.x[16] = (-3i64) as u64;
        // Log pages 0-3 (away from the handlers' stack at the end of page 3), unmapped after.
        prog.regs.x[17] = va(test_suites::jitdiff::LOG_PA) + 0x808;
        prog.regs.x[26] = 6;
        // [X27 + X19 LSL 3] crosses from data page 1 into page 2.
        prog.regs.x[19] = 2;
        prog.regs.x[27] = va(DATA_PA) + 0x1fec;
        prog
    };
    // (A permission fault every turn, more on the pages past the data.)
    same_with_irq_at_every_count(base, 9);
}

/// An ADDS whose flags a CSEL, then after a store an ADC, read (the JIT computes them
/// again there from the ADDS's result, `jit/src/emit.rs` `Remat`, which the register
/// cache holds, newer than `Cpu`), and a SUBS read by an SBC after a store, with C = 1 on
/// some turns and 0 on others (X1 from near 2^64 up past 0), in a loop run translated.
/// Oracle: the interpreter (final state, the stored results).
#[test]
fn flags_computed_again_from_cached_registers_match_interpreter() {
    let src = "loop:\n\tadds x23, x1, #0xfcd\n\torr x11, x14, x19, asr #46\n\tcsel w5, w19, w14, hi\n\
        \tstr x23, [x28, #0x100]\n\tadc x6, x19, x14\n\tstr x6, [x28, #0x200]\n\tcmn w27, #0x9c0, lsl #12\n\
        \tsubs x24, x1, x19\n\tstr x24, [x28, #0x300]\n\tsbc x8, x14, x19\n\tstr x8, [x28, #0x400]\n\tcmp x1, #0\n\
        \tadd x1, x1, #0x800\n\tstr x5, [x28]\n\tadd x28, x28, #8\n\tsubs x26, x26, #1\n\tb.ne loop\n\thlt #0x5a5a\n";
    let code = gnu_as("tmp_lazy", src);
    let mut prog = fixed_code_prog(0x5a_3ad5, 11, &code, None, 400);
    prog.regs.x[1] = (-0x2000i64) as u64;
    prog.regs.x[19] = 0xffff_ffff;
    prog.regs.x[14] = 0;
    prog.regs.x[28] = DATA_PA - VA_OFF + 0x100;
    prog.regs.x[26] = 8;
    let r = check(&prog, &mut jit::Jit::new());
    assert!(r.as_ref().is_ok_and(|s| s.halted), "{:?}", r.err());
}
