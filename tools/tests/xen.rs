//! Debian's Xen 4.17 (xen-hypervisor-4.17-arm64) boots on the LS2088A-RDB model with the
//! kernel's own RDB device tree and dom0 = Debian's arm64 Linux 6.1 + a busybox
//! initramfs, through `lsemu boot --hypervisor`. The corpus (Xen binary, kernel Image,
//! RDB dtb, busybox-static) comes from `test-suites/fetch-corpus.sh`.
//!
//! The oracle is what the unmodified Xen and Linux print: Xen's banner and its count of
//! physical CPUs brought up, dom0's kernel banner and "Xen 4.17 support found", Linux's
//! own count of the vCPUs it brought up, and from dom0's shell `nproc`, /proc/cpuinfo and
//! /sys/hypervisor (Xen's version as dom0 reads it through the hypervisor). The machine
//! has 3 cores and dom0 gets 2 vCPUs (`dom0_max_vcpus=2`), so the two counts differ and
//! each is checked against its own source. `sleep 1` in dom0 must take one second of
//! virtual time (dom0's timer through Xen). Xen logs everything (`loglvl=all
//! guest_loglvl=all`): no warning, panic or assertion, and every line Xen prints about
//! dom0's accesses must be one of the known, explained ones.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

const XEN: &str = "xen-4.17-arm64";

const SCRIPT: &str = r#"echo "xen-test: nproc $(nproc)"
echo "xen-test: processors $(grep -c ^processor /proc/cpuinfo)"
echo "xen-test: hypervisor $(cat /sys/hypervisor/type) $(cat /sys/hypervisor/version/major).$(cat /sys/hypervisor/version/minor)"
t0=$(cut -d' ' -f1 /proc/uptime)
sleep 1
t1=$(cut -d' ' -f1 /proc/uptime)
echo "xen-test: uptime before sleep $t0 after $t1"
echo "xen-test: done"
"#;

/// What Xen 4.17.x prints about dom0 booting Linux 6.1 that is expected and not an
/// emulation problem: the guest probing SMCCC services Xen 4.17 does not implement (TRNG
/// 0x84000050, the vendor-hypervisor UID 0x8600ff01), reading GICD_TYPER2 (offset 0xc,
/// GICv3.1, reserved in Xen's vGICv3) and clearing the active state of every interrupt
/// (Xen's vGIC ignores ICACTIVER writes). Xen prints these on real hardware too.
fn expected_guest_warning(l: &str) -> bool {
    l.contains("Unhandled SMC/HVC: 0x84000050")
        || l.contains("Unhandled SMC/HVC: 0x8600ff01")
        || l.contains("vGICD: RAZ on reserved register offset 0x00000c")
        || (l.contains("unhandled word write 0x000000ffffffff to ICACTIVER"))
}

#[test]
fn xen_boots_dom0_to_its_shell() {
    let Some(dir) = common::corpus_or_skip(&[XEN]) else {
        return;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("xen_boot");
    std::fs::create_dir_all(&tmp).unwrap();
    let script = tmp.join("init.sh");
    std::fs::write(&script, SCRIPT).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lsemu"))
        // A boot to poweroff takes about 1.25e9 instructions; a hang stops at 3e9.
        .args(["boot", "--smp", "3", "--max-insns", "3000000000"])
        .arg("--hypervisor")
        .arg(dir.join(XEN))
        .args(["--hypervisor-append", "console=dtuart dom0_mem=256M dom0_max_vcpus=2 noreboot loglvl=all guest_loglvl=all"])
        .arg("--kernel")
        .arg(dir.join("Image"))
        .arg("--dtb")
        .arg(dir.join("fsl-ls2088a-rdb.dtb"))
        .arg("--busybox")
        .arg(dir.join("busybox"))
        .arg("--init-script")
        .arg(&script)
        .args(["--append", "console=hvc0"])
        .stdin(Stdio::null())
        .output()
        .expect("run lsemu");
    let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
    log.push_str(&String::from_utf8_lossy(&out.stderr));
    println!("{log}");
    assert_eq!(out.status.code(), Some(0), "lsemu exit code");
    for want in [
        // Xen
        "(XEN) Xen version 4.17",
        "(XEN) Brought up 3 CPUs",
        // Xen's SMMU driver takes the modelled MMU-500 (stage 2 for dom0's devices).
        "(XEN) smmu: /soc/iommu@5000000: SMMUv2 with:",
        "(XEN) I/O virtualisation enabled",
        "(XEN) *** LOADING DOMAIN 0 ***",
        "(XEN) Loading d0 kernel from boot module @ 0000000080400000",
        "(XEN) Loading ramdisk from boot module @",
        // dom0's kernel
        "Linux version 6.1",
        "Xen 4.17 support found",
        "Kernel command line: console=hvc0",
        "smp: Brought up 1 node, 2 CPUs",
        // dom0's shell
        "xen-test: nproc 2",
        "xen-test: processors 2",
        "xen-test: hypervisor xen 4.17",
        "xen-test: done",
        "/user-init exited with status 0",
        // dom0's poweroff halts the machine through Xen.
        "(XEN) Hardware Dom0 halted: halting machine",
    ] {
        assert!(log.contains(want), "console lacks {want:?}");
    }
    for bad in ["Panic on CPU", "Oops", "BUG:", "WARNING:", "Internal error", "Kernel panic", "rcu: INFO", "(XEN) Assertion"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    // `sleep 1` in dom0 takes one second of virtual time: dom0's virtual timer interrupt
    // reaches it through Xen (uptime has 10 ms resolution; the tick adds a little).
    let line = log.lines().find(|l| l.starts_with("xen-test: uptime")).expect("uptime line");
    // In hundredths of a second (uptime prints two decimals), so no float rounding.
    let v: Vec<i64> = line.split_whitespace().filter_map(|w| w.replace('.', "").parse().ok()).collect();
    assert_eq!(v.len(), 2, "{line}");
    let dt = v[1] - v[0];
    assert!((100..110).contains(&dt), "sleep 1 took {dt}/100 s of virtual time in dom0");
    let unexpected: Vec<&str> = log.lines().filter(|l| l.starts_with("(XEN) d0v") && !expected_guest_warning(l)).collect();
    assert!(unexpected.is_empty(), "Xen reports unexpected guest accesses: {unexpected:#?}");
}

// ---- bad input: one clear line, exit code 2, no machine started ----

fn lsemu(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_lsemu")).args(args).stdin(Stdio::null()).output().expect("run lsemu");
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn tmp(name: &str, data: &[u8]) -> String {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("xen_cli");
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p.display().to_string()
}

/// A minimal arm64 Image (booting.rst header: branch, image_size, flags LE/4K/anywhere,
/// "ARM\x64" magic).
fn tiny_image() -> Vec<u8> {
    let mut d = vec![0u8; 4096];
    d[0..4].copy_from_slice(&0x1400_0000u32.to_le_bytes());
    d[16..24].copy_from_slice(&0x1_0000u64.to_le_bytes());
    d[24..32].copy_from_slice(&0xau64.to_le_bytes());
    d[0x38..0x3c].copy_from_slice(b"ARM\x64");
    d
}

fn assert_one_line(code: i32, stderr: &str, needle: &str) {
    assert_eq!(code, 2, "exit code; stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "panic: {stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one error line expected: {stderr}");
    assert!(lines[0].starts_with("lsemu: error: ") && lines[0].contains(needle), "{needle:?} expected in: {stderr}");
}

#[test]
fn hypervisor_bad_inputs() {
    let k = tmp("Image", &tiny_image());
    let (code, err) = lsemu(&["boot", "--hypervisor", "/nonexistent/xen", "--kernel", &k]);
    assert_one_line(code, &err, "cannot read /nonexistent/xen");
    let text = tmp("xen.txt", b"this is not a hypervisor binary, just some text that is long enough to have a header");
    let (code, err) = lsemu(&["boot", "--hypervisor", &text, "--kernel", &k]);
    assert_one_line(code, &err, "cannot prepare the Xen boot: ");
    assert!(err.contains("xen.txt: not a Linux arm64 Image"), "{err}");
    let (code, err) = lsemu(&["boot", "--hypervisor", &k, "--kernel", &text]);
    assert_one_line(code, &err, "xen.txt: not a Linux arm64 Image");
    let (code, err) = lsemu(&["boot", "--hypervisor", &k, "--kernel", &k, "--entry-el", "1"]);
    assert_one_line(code, &err, "--entry-el 1: Xen is entered at EL2");
    // Xen's command line without Xen: clap's usage error.
    let (code, err) = lsemu(&["boot", "--kernel", &k, "--hypervisor-append", "console=dtuart"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--hypervisor <FILE>"), "{err}");
}
