//! `lsemu boot` without `--dtb`: Debian's arm64 Linux 6.1 boots on 8 cores with the
//! device tree lsemu generates from its board table (soc-ls2088/src/fdt.rs). Corpus
//! (kernel Image, busybox-static) from `test-suites/fetch-corpus.sh`. Checks: no kernel
//! error markers, 8 processors, the RDB's model string, the four DUARTs on the interrupts
//! and clock rate the stock RDB dtb gives them (ls2088a-reference.md §1.2: SPI 32/33;
//! 350 MHz platform clock / 16 = base_baud 21875000), and nothing disabled (every node
//! generated is modelled).

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("LSEMU_CORPUS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lsemu/corpus")))?;
    ["Image", "busybox"].iter().all(|f| dir.join(f).is_file()).then_some(dir)
}

const SCRIPT: &str = r#"echo "lsemu-test: processors $(grep -c ^processor /proc/cpuinfo)"
echo "lsemu-test: model $(cat /sys/firmware/devicetree/base/model)"
echo "lsemu-test: done"
"#;

#[test]
fn generated_dtb_boots_on_8_cores() {
    let Some(dir) = corpus() else {
        assert!(std::env::var_os("CI").is_none(), "corpus missing: run test-suites/fetch-corpus.sh");
        eprintln!("skipped: corpus missing (run test-suites/fetch-corpus.sh)");
        return;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("linux_boot_generated_dtb");
    std::fs::create_dir_all(&tmp).unwrap();
    let script = tmp.join("init.sh");
    std::fs::write(&script, SCRIPT).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lsemu"))
        .args(["boot", "--smp", "8", "-m", "3G", "--max-insns", "20000000000"])
        .arg("--kernel")
        .arg(dir.join("Image"))
        .arg("--busybox")
        .arg(dir.join("busybox"))
        .arg("--init-script")
        .arg(&script)
        .stdin(Stdio::null())
        .output()
        .expect("run lsemu");
    let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
    log.push_str(&String::from_utf8_lossy(&out.stderr));
    println!("{log}");
    assert_eq!(out.status.code(), Some(0), "lsemu exit code");
    for bad in ["Oops", "BUG:", "WARNING:", "Internal error", "Kernel panic", "rcu: INFO", "not modelled yet"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    for want in [
        "Machine model: Freescale Layerscape 2088A RDB Board",
        "SMP: Total of 8 processors activated",
        "lsemu-test: processors 8",
        "lsemu-test: model Freescale Layerscape 2088A RDB Board",
        // Both DRAM banks: 2 GiB at 0x8000_0000, 1 GiB at 0x80_8000_0000.
        "node   0: [mem 0x0000000080000000-0x00000000ffffffff]",
        "node   0: [mem 0x0000008080000000-0x00000080bfffffff]",
        "21c0600.serial: ttyS1 at MMIO 0x21c0600 (irq = ",
        "lsemu-test: done",
        "reboot: Power down",
    ] {
        assert!(log.contains(want), "console lacks {want:?}");
    }
    for port in ["ttyS0 at MMIO 0x21c0500", "ttyS1 at MMIO 0x21c0600", "ttyS2 at MMIO 0x21d0500", "ttyS3 at MMIO 0x21d0600"] {
        let line = log.lines().find(|l| l.contains(port)).unwrap_or_else(|| panic!("no {port}"));
        assert!(line.contains("base_baud = 21875000) is a 16550A"), "{line}");
    }
}
