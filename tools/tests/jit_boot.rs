//! The JIT boots Debian's arm64 Linux on the LS2088A-RDB model (2 cores, and 1 core, a
//! busybox init that prints and powers off) with console output and instruction counts
//! identical, byte for byte, to the reference interpreter's (the oracle). Needs the
//! corpus (test-suites/fetch-corpus.sh).

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn boot(dir: &std::path::Path, engine: &str) -> (i32, String, String) {
    let (c, o, s, _) = boot_smp(dir, engine, 2);
    (c, o, s)
}

/// `boot` on `smp` cores, also returning standard error (with the JIT's own counters:
/// `LSEMU_JIT_STATS`).
fn boot_smp(dir: &std::path::Path, engine: &str, smp: u32) -> (i32, String, String, String) {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("jit_boot");
    std::fs::create_dir_all(&tmp).unwrap();
    // One script per core count: the tests run in parallel, and one rewriting (truncating)
    // the file another's lsemu is reading would empty that one's init script.
    let script = tmp.join(format!("init-{smp}.sh"));
    std::fs::write(&script, "echo \"lsemu-test: processors $(grep -c ^processor /proc/cpuinfo)\"\nls /proc/self/\necho lsemu-test: done\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lsemu"))
        .arg("boot")
        .args(["--engine", engine])
        .args(["--smp", &smp.to_string(), "--stats", "--max-insns", "20000000000"])
        .arg("--kernel")
        .arg(dir.join("Image"))
        .arg("--dtb")
        .arg(dir.join("fsl-ls2088a-rdb.dtb"))
        .arg("--busybox")
        .arg(dir.join("busybox"))
        .arg("--init-script")
        .arg(&script)
        .stdin(Stdio::null())
        .env("LSEMU_JIT_STATS", "1")
        .output()
        .expect("run lsemu");
    // Per-PE instruction, exception and TLB counts and per-device MMIO counts from
    // --stats (host time, MIPS and the engine's own counters differ).
    let stats: String = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("lsemu: stats: cpu") || l.starts_with("lsemu: stats: mmio"))
        .map(|l| format!("{l}\n"))
        .collect();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), stats, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn jit_boot_matches_interpreter() {
    let Some(dir) = common::corpus_or_skip(&[]) else {
        return;
    };
    let (ci, oi, si) = boot(&dir, "interp");
    let (cj, oj, sj) = boot(&dir, "jit");
    assert!(oi.contains("lsemu-test: processors 2") && oi.contains("lsemu-test: done"), "interpreter boot failed:\n{oi}");
    assert_eq!(ci, cj, "exit code");
    assert!(oi == oj, "console output differs\n--- interp\n{oi}\n--- jit\n{oj}");
    assert!(!si.is_empty());
    assert_eq!(si, sj, "per-PE counts and MMIO counts");
}

/// At one PE the JIT's runs go on from one turn into the next without returning to the
/// machine (`Platform::continue_run`: time, timer interrupts and GIC inputs advanced by
/// the bus); the interpreter's runs end at every turn as before. The same console and
/// counts show that the continued turns see time and take interrupts at the same
/// instructions as the machine's own turns.
#[test]
fn jit_boot_one_pe_continued_turns_match_interpreter() {
    let Some(dir) = common::corpus_or_skip(&[]) else {
        return;
    };
    let (ci, oi, si, _) = boot_smp(&dir, "interp", 1);
    let (cj, oj, sj, ej) = boot_smp(&dir, "jit", 1);
    assert!(oi.contains("lsemu-test: processors 1") && oi.contains("lsemu-test: done"), "interpreter boot failed:\n{oi}");
    // The JIT's counters (LSEMU_JIT_STATS): most turns were continued ones.
    let continued: u64 = ej.split("continued: ").nth(1).and_then(|t| t.split(|c: char| !c.is_ascii_digit()).next()).and_then(|n| n.parse().ok()).unwrap_or(0);
    assert!(continued > 1000, "turns continued: {continued}\n{ej}");
    assert_eq!(ci, cj, "exit code");
    assert!(oi == oj, "console output differs\n--- interp\n{oi}\n--- jit\n{oj}");
    assert!(!si.is_empty());
    assert_eq!(si, sj, "per-PE counts and MMIO counts");
}
