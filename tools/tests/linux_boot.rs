//! Debian's arm64 Linux 6.1 boots on the LS2088A-RDB model with the kernel's own RDB
//! device tree, on 8 cores, to a busybox init that runs a script. The corpus (kernel
//! Image, RDB dtb, busybox-static) comes from `test-suites/fetch-corpus.sh` (run by
//! `scripts/test-all.sh`). Checks: no kernel error markers, 8 processors, `sleep 1`
//! takes one second of virtual time, the console log is identical across two runs
//! (determinism), and it matches the insta snapshot (timestamps and interrupt counts
//! filtered).

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("LSEMU_CORPUS")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lsemu/corpus")))?;
    ["Image", "fsl-ls2088a-rdb.dtb", "busybox"].iter().all(|f| dir.join(f).is_file()).then_some(dir)
}

const SCRIPT: &str = r#"echo "lsemu-test: processors $(grep -c ^processor /proc/cpuinfo)"
cat /proc/interrupts
t0=$(cut -d' ' -f1 /proc/uptime)
sleep 1
t1=$(cut -d' ' -f1 /proc/uptime)
echo "lsemu-test: uptime before sleep $t0 after $t1"
echo "lsemu-test: done"
"#;

/// Runs `lsemu boot` with the corpus kernel and busybox, `script` as the init script and
/// `args`; returns the exit code and stdout followed by stderr.
fn boot_with(dir: &std::path::Path, tag: &str, script: &str, args: &[&std::ffi::OsStr]) -> (i32, String) {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(tag);
    std::fs::create_dir_all(&tmp).unwrap();
    let script_path = tmp.join("init.sh");
    std::fs::write(&script_path, script).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lsemu"))
        .arg("boot")
        .args(args)
        .arg("--kernel")
        .arg(dir.join("Image"))
        .arg("--busybox")
        .arg(dir.join("busybox"))
        .arg("--init-script")
        .arg(&script_path)
        .stdin(Stdio::null())
        .output()
        .expect("run lsemu");
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn boot(dir: &std::path::Path) -> (i32, String) {
    boot_engine(dir, "interp")
}

/// `boot` with `--engine ENGINE`.
fn boot_engine(dir: &std::path::Path, engine: &str) -> (i32, String) {
    let dtb = dir.join("fsl-ls2088a-rdb.dtb");
    boot_with(
        dir,
        &format!("linux_boot_{engine}"),
        SCRIPT,
        &["--smp".as_ref(), "8".as_ref(), "--max-insns".as_ref(), "20000000000".as_ref(), "--dtb".as_ref(), dtb.as_os_str(), "--engine".as_ref(), engine.as_ref()],
    )
}

/// Timestamps `[    1.234567]` and the per-CPU counts of /proc/interrupts vary with any
/// change of instruction counts; everything else must stay as reviewed.
fn filtered(log: &str) -> String {
    let mut out = String::new();
    for line in log.lines() {
        let l = match line.find(']') {
            Some(i) if line.starts_with('[') => format!("[TIME]{}", &line[i + 1..]),
            _ => line.to_string(),
        };
        let t = l.trim_start();
        let l = if t.contains(':') && (t.starts_with(|c: char| c.is_ascii_digit()) || t.starts_with("IPI") || t.starts_with("Err")) {
            // interrupt line: keep the name and description, drop the counts
            let (name, rest) = t.split_once(':').unwrap();
            let desc: Vec<&str> = rest.split_whitespace().filter(|w| !w.chars().all(|c| c.is_ascii_digit())).collect();
            format!("{name}: N {}", desc.join(" "))
        } else if l.starts_with("lsemu-test: uptime") || l.starts_with("lsemu: ") && l.contains("instructions") {
            continue;
        } else {
            l
        };
        out.push_str(&l);
        out.push('\n');
    }
    out
}

#[test]
fn debian_kernel_boots_on_8_cores() {
    let Some(dir) = corpus() else {
        assert!(std::env::var_os("CI").is_none(), "corpus missing: run test-suites/fetch-corpus.sh");
        eprintln!("skipped: corpus missing (run test-suites/fetch-corpus.sh)");
        return;
    };
    let (code, log) = boot(&dir);
    println!("{log}");
    assert_eq!(code, 0, "lsemu exit code");
    for bad in ["Oops", "BUG:", "WARNING:", "Internal error", "Kernel panic", "rcu_sched detected stalls", "rcu: INFO"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    for want in ["lsemu-test: processors 8", "SMP: Total of 8 processors activated", "lsemu-test: done", "/user-init exited with status 0", "reboot: Power down"] {
        assert!(log.contains(want), "console lacks {want:?}");
    }
    // `sleep 1` takes one second of virtual time (uptime has 10 ms resolution; the timer
    // tick and scheduling add a little).
    let line = log.lines().find(|l| l.starts_with("lsemu-test: uptime")).expect("uptime line");
    let v: Vec<f64> = line.split_whitespace().filter_map(|w| w.parse().ok()).collect();
    let dt = v[1] - v[0];
    assert!((1.0..1.1).contains(&dt), "sleep 1 took {dt} s of virtual time");

    let (code2, log2) = boot(&dir);
    assert_eq!(code2, 0);
    assert_eq!(log, log2, "two boots must print the same console log (determinism)");
    // The JIT (oracle: the interpreter): the same console log, byte for byte.
    let (code3, log3) = boot_engine(&dir, "jit");
    assert_eq!(code3, 0, "lsemu --engine jit exit code:\n{log3}");
    assert_same_log(&log, &log3, "8 vCPUs");
    insta::assert_snapshot!(filtered(&log));
}

/// The console on a Unix socket (`--console unix:PATH`), and `reboot` in the guest
/// resetting the machine: the client sees the kernel boot a second time.
#[test]
fn console_on_unix_socket_and_reboot_resets() {
    use std::io::Read;
    let Some(dir) = corpus() else {
        assert!(std::env::var_os("CI").is_none(), "corpus missing: run test-suites/fetch-corpus.sh");
        eprintln!("skipped: corpus missing (run test-suites/fetch-corpus.sh)");
        return;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("linux_boot_sock");
    std::fs::create_dir_all(&tmp).unwrap();
    let script = tmp.join("init.sh");
    std::fs::write(&script, "echo lsemu-test: rebooting\nreboot -f\n").unwrap();
    let sock = tmp.join("console.sock");
    let _ = std::fs::remove_file(&sock);
    let mut child = Command::new(env!("CARGO_BIN_EXE_lsemu"))
        .args(["boot", "--smp", "1", "--max-insns", "5000000000"])
        .arg("--kernel")
        .arg(dir.join("Image"))
        .arg("--dtb")
        .arg(dir.join("fsl-ls2088a-rdb.dtb"))
        .arg("--busybox")
        .arg(dir.join("busybox"))
        .arg("--init-script")
        .arg(&script)
        .arg("--console")
        .arg(format!("unix:{}", sock.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run lsemu");
    let mut conn = None;
    for _ in 0..600 {
        if let Ok(c) = std::os::unix::net::UnixStream::connect(&sock) {
            conn = Some(c);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut conn = conn.expect("lsemu did not listen on the console socket");
    conn.set_read_timeout(Some(std::time::Duration::from_secs(300))).unwrap();
    let mut log = String::new();
    let mut buf = [0u8; 4096];
    let ok = loop {
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => break false,
            Ok(n) => log.push_str(&String::from_utf8_lossy(&buf[..n])),
        }
        if log.matches("Booting Linux on physical CPU").count() >= 2 {
            break true;
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok, "second boot not seen on the socket console:\n{log}");
    assert!(log.contains("lsemu-test: rebooting"));
    assert!(log.contains("reboot: Restarting system"));
}

const GENERATED_SCRIPT: &str = r#"echo "lsemu-test: processors $(grep -c ^processor /proc/cpuinfo)"
echo "lsemu-test: model $(cat /sys/firmware/devicetree/base/model)"
echo "lsemu-test: done"
"#;


/// `lsemu boot` without `--dtb`: the device tree lsemu generates from its board table
/// (soc-ls2088/src/fdt.rs). Checks: no kernel error markers, 8 processors, the RDB's model
/// string, both DRAM banks, the four DUARTs on the interrupts and clock rate the stock RDB
/// dtb gives them (ls2088a-reference.md §1.2: SPI 32/33; 350 MHz platform clock / 16 =
/// base_baud 21875000), and nothing disabled (every node generated is modelled).
#[test]
fn generated_dtb_boots_on_8_cores() {
    let Some(dir) = corpus() else {
        assert!(std::env::var_os("CI").is_none(), "corpus missing: run test-suites/fetch-corpus.sh");
        eprintln!("skipped: corpus missing (run test-suites/fetch-corpus.sh)");
        return;
    };
    let (code, log) = boot_with(
        &dir,
        "linux_boot_generated_dtb",
        GENERATED_SCRIPT,
        &["--smp".as_ref(), "8".as_ref(), "-m".as_ref(), "3G".as_ref(), "--max-insns".as_ref(), "20000000000".as_ref()],
    );
    println!("{log}");
    assert_eq!(code, 0, "lsemu exit code");
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

/// Two console logs must be byte-identical; on a difference, shows the first differing line.
fn assert_same_log(interp: &str, jit: &str, what: &str) {
    if interp == jit {
        return;
    }
    let (a, b): (Vec<&str>, Vec<&str>) = (interp.lines().collect(), jit.lines().collect());
    let k = a.iter().zip(&b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    panic!(
        "{what}: the console log under --engine jit differs from --engine interp at line {}:\n  interp: {:?}\n  jit:    {:?}\n(jit log:\n{jit})",
        k + 1,
        a.get(k),
        b.get(k)
    );
}

/// Debian's kernel on one vCPU under the interpreter and under the JIT (oracle: the
/// interpreter): the whole console log, including the kernel's timestamps (which count
/// virtual time, so every instruction count) and /proc/interrupts, is byte-identical.
#[test]
fn jit_boots_like_the_interpreter_on_1_vcpu() {
    let Some(dir) = corpus() else {
        assert!(std::env::var_os("CI").is_none(), "corpus missing: run test-suites/fetch-corpus.sh");
        eprintln!("skipped: corpus missing (run test-suites/fetch-corpus.sh)");
        return;
    };
    let script = "cat /proc/interrupts\necho lsemu-test: done\n";
    let dtb = dir.join("fsl-ls2088a-rdb.dtb");
    let run = |engine: &str| {
        boot_with(
            &dir,
            &format!("linux_boot_1cpu_{engine}"),
            script,
            &["--smp".as_ref(), "1".as_ref(), "--max-insns".as_ref(), "10000000000".as_ref(), "--dtb".as_ref(), dtb.as_os_str(), "--engine".as_ref(), engine.as_ref()],
        )
    };
    let (code, log) = run("interp");
    assert_eq!(code, 0, "lsemu exit code:\n{log}");
    for want in ["lsemu-test: done", "reboot: Power down"] {
        assert!(log.contains(want), "console lacks {want:?}:\n{log}");
    }
    let (code2, log2) = run("jit");
    assert_eq!(code2, 0, "lsemu --engine jit exit code:\n{log2}");
    assert_same_log(&log, &log2, "1 vCPU");
}
