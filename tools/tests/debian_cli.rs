//! `lsemu boot --debian` command-line behaviour that needs no network: the offline error
//! (mirror pointed at a closed local port) and option checks. The booting itself is
//! exercised by hand (see the README), since it downloads ~60 MB.

use std::process::Command;

fn lsemu(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lsemu"))
        .args(args)
        .env_remove("LSEMU_DEBIAN_MIRROR")
        .output()
        .expect("run lsemu");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn empty_cache(tag: &str) -> String {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("debian-cli-{tag}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir.display().to_string()
}

#[test]
fn offline_is_one_clear_line() {
    let cache = empty_cache("offline");
    let (code, stdout, stderr) = lsemu(&["boot", "--debian", "--cache", &cache, "--mirror", "http://127.0.0.1:1"]);
    assert_eq!(code, 2, "{stderr}");
    assert_eq!(stdout, "");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("lsemu: error: cannot reach 127.0.0.1:1: "), "{stderr}");
    // Nothing half-written is left in the cache.
    let left: Vec<_> = std::fs::read_dir(&cache).map(|d| d.flatten().map(|e| e.file_name()).collect()).unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn kernel_or_debian_is_required() {
    let (code, _, stderr) = lsemu(&["boot"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--kernel"), "{stderr}");
    // --dtb is optional (generated from the board table): a missing kernel file is the error.
    let (code, _, stderr) = lsemu(&["boot", "--kernel", "/nonexistent/Image"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read /nonexistent/Image"), "{stderr}");
    // Fetch options only make sense with --debian.
    let (code, _, stderr) = lsemu(&["boot", "--kernel", "k", "--dtb", "d", "--init-script", "s"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--debian"), "{stderr}");
    // An initramfs of one's own and a script for the built one exclude each other.
    let (code, _, stderr) = lsemu(&["boot", "--debian", "--initrd", "i", "--init-script", "s"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--init-script") || stderr.contains("--initrd"), "{stderr}");
}
