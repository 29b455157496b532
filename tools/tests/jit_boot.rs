//! The JIT boots Debian's arm64 Linux on the LS2088A-RDB model (2 cores, a busybox init
//! that prints and powers off) with console output and instruction counts identical, byte
//! for byte, to the reference interpreter's (the oracle). Needs the corpus
//! (test-suites/fetch-corpus.sh).

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn boot(dir: &std::path::Path, engine: &str) -> (i32, String, String) {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("jit_boot");
    std::fs::create_dir_all(&tmp).unwrap();
    let script = tmp.join("init.sh");
    std::fs::write(&script, "echo \"lsemu-test: processors $(grep -c ^processor /proc/cpuinfo)\"\nls /proc/self/\necho lsemu-test: done\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lsemu"))
        .arg("boot")
        .args(["--engine", engine])
        .args(["--smp", "2", "--stats", "--max-insns", "20000000000"])
        .arg("--kernel")
        .arg(dir.join("Image"))
        .arg("--dtb")
        .arg(dir.join("fsl-ls2088a-rdb.dtb"))
        .arg("--busybox")
        .arg(dir.join("busybox"))
        .arg("--init-script")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .expect("run lsemu");
    // Per-PE instruction, exception and TLB counts and per-device MMIO counts from
    // --stats (host time, MIPS and the engine's own counters differ).
    let stats: String = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.starts_with("lsemu: stats: cpu") || l.starts_with("lsemu: stats: mmio"))
        .map(|l| format!("{l}\n"))
        .collect();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), stats)
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
