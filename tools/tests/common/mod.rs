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
