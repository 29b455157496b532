//! Helpers shared by the system tests (each test file that needs them has `mod common;`).

#![allow(dead_code)]

use std::path::PathBuf;

/// The test corpus of `test-suites/fetch-corpus.sh` (Debian's arm64 `Image`, the kernel's
/// `fsl-ls2088a-rdb.dtb`, `busybox`, plus `extra` files), in `$LSEMU_CORPUS` or
/// `~/.cache/lsemu/corpus`, if every file is there.
pub fn corpus_with(extra: &[&str]) -> Option<PathBuf> {
    let dir = std::env::var_os("LSEMU_CORPUS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lsemu/corpus")))?;
    ["Image", "fsl-ls2088a-rdb.dtb", "busybox"].iter().chain(extra).all(|f| dir.join(f).is_file()).then_some(dir)
}

/// `corpus_with(extra)`, or `None` after a note when it is missing: a developer without
/// the corpus skips the system tests, CI (`$CI` set) fails instead.
pub fn corpus_or_skip(extra: &[&str]) -> Option<PathBuf> {
    let dir = corpus_with(extra);
    if dir.is_none() {
        assert!(std::env::var_os("CI").is_none(), "corpus missing: run test-suites/fetch-corpus.sh");
        eprintln!("skipped: corpus missing (run test-suites/fetch-corpus.sh)");
    }
    dir
}

/// Builds `test-suites/<src>` (C) with Debian's cross compiler into a static AArch64
/// program at `out` (`-O2 -static -Wall -Werror`; a failed build fails the test with gcc's
/// messages). `None` when aarch64-linux-gnu-gcc is not installed: the caller skips.
pub fn cross_compile_static(src: &str, out: &std::path::Path) -> Option<PathBuf> {
    use std::process::Command;
    Command::new("aarch64-linux-gnu-gcc").arg("--version").output().ok()?;
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-suites").join(src);
    let r = Command::new("aarch64-linux-gnu-gcc").args(["-O2", "-static", "-Wall", "-Werror", "-o"]).arg(out).arg(&src).output().expect("run gcc");
    assert!(r.status.success(), "cannot build {}:\n{}", src.display(), String::from_utf8_lossy(&r.stderr));
    Some(out.to_path_buf())
}

/// `lsemu boot` of the corpus in `dir` (Debian's kernel, the kernel's RDB dtb and busybox)
/// on `smp` cores, stopped after `max_insns` instructions, with `init` as the busybox
/// init script; the caller adds what its test needs.
pub fn boot_cmd(dir: &std::path::Path, smp: u32, max_insns: u64, init: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_lsemu"));
    cmd.arg("boot")
        .args(["--smp", &smp.to_string(), "--max-insns", &max_insns.to_string()])
        .arg("--kernel")
        .arg(dir.join("Image"))
        .arg("--dtb")
        .arg(dir.join("fsl-ls2088a-rdb.dtb"))
        .arg("--busybox")
        .arg(dir.join("busybox"))
        .arg("--init-script")
        .arg(init);
    cmd
}

/// Adds `--add-file /lib/<m>.ko=<mods>/<m>.ko` for each module of `modules` (insmod'ed by
/// the init script from /lib).
pub fn add_modules(cmd: &mut std::process::Command, mods: &std::path::Path, modules: &[&str]) {
    for m in modules {
        cmd.arg("--add-file").arg(format!("/lib/{m}.ko={}", mods.join(format!("{m}.ko")).display()));
    }
}
