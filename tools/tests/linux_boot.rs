//! Debian's arm64 Linux 6.1 boots on the LS2088A-RDB model with the kernel's own RDB
//! device tree, on 8 cores, to a busybox init that runs a script. The corpus (kernel
//! Image, RDB dtb, busybox-static) comes from `test-suites/fetch-corpus.sh` (run by
//! `scripts/test-all.sh`). Checks: no kernel error markers, 8 processors, `sleep 1`
//! takes one second of virtual time, the console log is identical across two runs
//! (determinism), and it matches the insta snapshot (timestamps and interrupt counts
//! filtered).

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

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

/// Linux's arm-smmu driver probes the MMU-500 model (devices/src/smmu) cleanly and prints
/// what its ID registers imply (drivers/iommu/arm/arm-smmu/arm-smmu.c,
/// `arm_smmu_device_cfg_probe`; the unmodified kernel is the oracle). Expected values, from
/// the LS2088A's MMU-500 configuration (ls2088a-reference.md §3, MMU-500 TRM):
/// IDR0 S1TS, S2TS, NTS → the three "translation" lines; CTTW agreeing with the DT's
/// `dma-coherent` → "coherent table walk" and no override line; NUMSMRG = 128;
/// IDR1 NUMCB = 64, NUMS2CB = 0; IDR2 IAS = OAS = UBS = 48 bits, 4K and 64K granules
/// with the AArch32 formats (IDR0.PTFS = 0): page sizes 4K|64K|1M|16M (AArch32 short)
/// | 4K|2M|1G (long/4K) | 64K|512M (64K) = 0x61311000. The 12 global fault interrupts
/// of the DT are requested ("arm-smmu global fault" in /proc/interrupts); no sync
/// timeout, mask, interrupt-count, or fault message.
/// `proc_interrupts`: the boot script printed /proc/interrupts.
fn check_arm_smmu_probe(log: &str, proc_interrupts: bool) {
    let p = "arm-smmu 5000000.iommu: ";
    for want in [
        "probing hardware configuration...",
        "SMMUv2 with:",
        "\tstage 1 translation",
        "\tstage 2 translation",
        "\tnested translation",
        "\tcoherent table walk",
        "\tstream matching with 128 register groups",
        "\t64 context banks (0 stage-2 only)",
        "\tSupported page sizes: 0x61311000",
        "\tStage-1: 48-bit VA -> 48-bit IPA",
        "\tStage-2: 48-bit IPA -> 48-bit PA",
    ] {
        assert!(log.contains(&format!("{p}{want}")), "console lacks {p}{want:?}");
    }
    for bad in [
        "address translation ops",
        "overridden by FW",
        "differs from mapped region",
        "TLB sync timed out",
        "out of range",
        "found only",
        "Blocked unknown Stream ID",
        "Unexpected global fault",
        "Unhandled context fault",
        "arm-smmu: probe of",
    ] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    if proc_interrupts {
        let n = log.lines().filter(|l| l.contains("arm-smmu global fault")).count();
        assert_eq!(n, 12, "global fault interrupts in /proc/interrupts");
    }
}

#[test]
fn debian_kernel_boots_on_8_cores() {
    let Some(dir) = common::corpus_or_skip(&[]) else {
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
    // In whole hundredths: 1.90 - 0.90 is 0.9999999999999999 in binary floating point.
    let dt = ((v[1] - v[0]) * 100.0).round() / 100.0;
    assert!((1.0..1.1).contains(&dt), "sleep 1 took {dt} s of virtual time");

    check_arm_smmu_probe(&log, true);

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
    let Some(dir) = common::corpus_or_skip(&[]) else {
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
grep arm-smmu /proc/interrupts
echo "lsemu-test: done"
"#;


/// `lsemu boot` without `--dtb`: the device tree lsemu generates from its board table
/// (soc-ls2088/src/fdt.rs). Checks: no kernel error markers, 8 processors, the RDB's model
/// string, both DRAM banks, the four DUARTs on the interrupts and clock rate the stock RDB
/// dtb gives them (ls2088a-reference.md §1.2: SPI 32/33; 350 MHz platform clock / 16 =
/// base_baud 21875000), and nothing disabled (every node generated is modelled).
#[test]
fn generated_dtb_boots_on_8_cores() {
    let Some(dir) = common::corpus_or_skip(&[]) else {
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
    check_arm_smmu_probe(&log, true);
    for port in ["ttyS0 at MMIO 0x21c0500", "ttyS1 at MMIO 0x21c0600", "ttyS2 at MMIO 0x21d0500", "ttyS3 at MMIO 0x21d0600"] {
        let line = log.lines().find(|l| l.contains(port)).unwrap_or_else(|| panic!("no {port}"));
        assert!(line.contains("base_baud = 21875000) is a 16550A"), "{line}");
    }
}

/// A DPL in NXP's format (nxp-qoriq/mc-utils config/*/dpl-*.dts), written for this test:
/// a root container and a child container with objects of their own, a connection.
const FSLMC_DPL: &str = r#"/dts-v1/;
/ {
	dpl-version = <10>;
	containers {
		dprc@1 {
			compatible = "fsl,dprc";
			parent = "none";
			options = "DPRC_CFG_OPT_SPAWN_ALLOWED", "DPRC_CFG_OPT_ALLOC_ALLOWED", "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj_set@dpmac { type = "dpmac"; ids = <5>; };
				obj@200 { obj_name = "dpni@0"; };
				obj@300 { obj_name = "dpbp@0"; };
				obj_set@dpio { type = "dpio"; ids = <0 1>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <1 2 3 4 5 6 7 8 9 10 11 12>; };
				obj_set@dpcon { type = "dpcon"; ids = <0 1>; };
				obj@700 { obj_name = "dpseci@0"; };
				obj@800 { obj_name = "dprtc@0"; };
			};
		};
		dprc@3 {
			parent = "dprc@1";
			options = "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj@1 { obj_name = "dpni@1"; };
				obj@2 { obj_name = "dpbp@1"; };
				obj@3 { obj_name = "dpmcp@13"; };
			};
		};
	};
	objects {
		dpni@0 { options = ""; num_queues = <1>; num_tcs = <1>; };
		dpni@1 { num_queues = <1>; num_tcs = <1>; };
		dpbp@0 { compatible = "fsl,dpbp"; };
		dpbp@1 { compatible = "fsl,dpbp"; };
		dpio@0 { compatible = "fsl,dpio"; channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@1 { compatible = "fsl,dpio"; channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpmac@5 { compatible = "fsl,dpmac"; };
		dpmcp@1 { }; dpmcp@2 { }; dpmcp@3 { }; dpmcp@4 { }; dpmcp@5 { }; dpmcp@6 { }; dpmcp@7 { };
		dpmcp@8 { }; dpmcp@9 { }; dpmcp@10 { }; dpmcp@11 { }; dpmcp@12 { }; dpmcp@13 { };
		dpcon@0 { compatible = "fsl,dpcon"; num_priorities = <2>; };
		dpcon@1 { compatible = "fsl,dpcon"; num_priorities = <2>; };
		dpseci@0 { priorities = <1 1 1 1 1 1 1 1>; options = "DPSECI_OPT_HAS_CG"; };
		dprtc@0 { compatible = "fsl,dprtc"; };
	};
	connections {
		connection@0 { endpoint1 = "dpni@0"; endpoint2 = "dpmac@5"; };
	};
};
"#;

const FSLMC_SCRIPT: &str = r#"echo "lsemu-test: fsl-mc devices: $(ls /sys/bus/fsl-mc/devices | tr '\n' ' ')"
echo "lsemu-test: dpni.1 at $(readlink -f /sys/bus/fsl-mc/devices/dpni.1)"
echo "lsemu-test: dpbp.0 driver $(basename $(readlink /sys/bus/fsl-mc/devices/dpbp.0/driver))"
echo "lsemu-test: dpni.0 modalias $(cat /sys/bus/fsl-mc/devices/dpni.0/modalias)"
grep ITS-fMSI /proc/interrupts | sed 's/^ *[0-9]*: *[0-9 ]*ITS-fMSI/lsemu-test: irq ITS-fMSI/'
echo "lsemu-test: done"
"#;

/// The fsl-mc bus on the kernel's RDB dtb with a DPL given by `--dpl`: Linux finds the MC
/// ("MC firmware version"), scans the root and the child container (each DPRC bound, its
/// MSI allocated through the ITS), and /sys/bus/fsl-mc/devices lists exactly the DPL's
/// objects (the DPL is the oracle: its containers become dprc.N, its objects <type>.<id>).
/// The ITS MSIs of the DPRCs have hwirq ICID × 10000 + index (fsl-mc-msi.c), i.e. the
/// ICIDs 23 and 24 of the DPAA2 range (ls2088a-reference.md §0).
#[test]
fn fsl_mc_objects_from_dpl() {
    let Some(dir) = common::corpus_or_skip(&[]) else {
        return;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("linux_boot_fslmc");
    std::fs::create_dir_all(&tmp).unwrap();
    let dpl = tmp.join("dpl.dts");
    std::fs::write(&dpl, FSLMC_DPL).unwrap();
    let dtb = dir.join("fsl-ls2088a-rdb.dtb");
    let (code, log) = boot_with(
        &dir,
        "linux_boot_fslmc",
        FSLMC_SCRIPT,
        &["--smp".as_ref(), "2".as_ref(), "--max-insns".as_ref(), "20000000000".as_ref(), "--dtb".as_ref(), dtb.as_os_str(), "--dpl".as_ref(), dpl.as_os_str()],
    );
    println!("{log}");
    assert_eq!(code, 0, "lsemu exit code");
    for bad in ["Oops", "BUG:", "WARNING:", "Kernel panic", "DPL processing was not started", "MC boot completed with error", "mc_get_version() failed", "dprc_get_container_id() failed", "dprc_get_obj",
        "dprc_set_irq() failed", "dprc_obj_set_irq() failed", "Failed to allocate IRQs", "MC bus without interrupt support", "unknown device type",
        "Invalid MC offset", "DPRC version", "No more resources"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    for want in [
        "fsl_mc_bus 80c000000.fsl-mc: MC firmware version: 10.28.0",
        "fsl_mc_dprc dprc.1: DPRC device bound to driver",
        "fsl_mc_dprc dprc.3: DPRC device bound to driver",
        "lsemu-test: dpni.1 at /sys/devices/platform/soc/80c000000.fsl-mc/dprc.1/dprc.3/dpni.1",
        "lsemu-test: dpbp.0 driver fsl_mc_allocator",
        "lsemu-test: dpni.0 modalias fsl-mc:v00001957ddpni",
        "lsemu-test: irq ITS-fMSI 230000 Edge      dprc.1",
        "lsemu-test: irq ITS-fMSI 240000 Edge      dprc.3",
        "lsemu-test: done",
    ] {
        assert!(log.contains(want), "console lacks {want:?}");
    }
    // The fixed-up iommu-map puts each container behind the SMMU model (stream ID =
    // ICID): arm-smmu gives each its own group (a stage-1 DMA domain in a context bank,
    // SMR = ICID with the DT's mask) and nothing faults — the MSI doorbell IOVA of each
    // DPRC goes through those tables (ls2088a-reference.md §2.3, §3).
    check_arm_smmu_probe(&log, false);
    for want in ["fsl_mc_dprc dprc.1: Adding to iommu group 0", "fsl_mc_dprc dprc.3: Adding to iommu group 1"] {
        assert!(log.contains(want), "console lacks {want:?}");
    }
    let line = log.lines().find(|l| l.starts_with("lsemu-test: fsl-mc devices:")).expect("device list");
    let mut got: Vec<&str> = line["lsemu-test: fsl-mc devices:".len()..].split_whitespace().collect();
    got.sort_unstable();
    let mut want: Vec<String> = ["dprc.1", "dprc.3", "dpmac.5", "dpni.0", "dpni.1", "dpbp.0", "dpbp.1", "dpio.0", "dpio.1", "dpcon.0", "dpcon.1", "dpseci.0", "dprtc.0"]
        .iter()
        .map(|s| s.to_string())
        .chain((1..=13).map(|i| format!("dpmcp.{i}")))
        .collect();
    want.sort_unstable();
    assert_eq!(got, want);
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
    let Some(dir) = common::corpus_or_skip(&[]) else {
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

/// A DPL with two DPIOs (one per CPU of `--smp 2`) and DPMCPs for their probes.
const DPIO_DPL: &str = r#"/dts-v1/;
/ {
	dpl-version = <10>;
	containers {
		dprc@1 {
			compatible = "fsl,dprc";
			parent = "none";
			options = "DPRC_CFG_OPT_SPAWN_ALLOWED", "DPRC_CFG_OPT_ALLOC_ALLOWED",
				  "DPRC_CFG_OPT_OBJ_CREATE_ALLOWED", "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj_set@dpio { type = "dpio"; ids = <0 1>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <1 2 3 4 5 6>; };
			};
		};
	};
	objects {
		dpmcp@1 {}; dpmcp@2 {}; dpmcp@3 {}; dpmcp@4 {}; dpmcp@5 {}; dpmcp@6 {};
		dpio@0 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@1 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
	};
};
"#;

const DPIO_SCRIPT: &str = r#"insmod /lib/fsl-mc-dpio.ko || echo "lsemu-test: insmod failed"
echo "lsemu-test: dpio.1 driver $(basename $(readlink /sys/bus/fsl-mc/devices/dpio.1/driver))"
echo "lsemu-test: done"
"#;

/// Debian's fsl_mc_dpio module (from the corpus kernel's package, fetched by
/// test-suites/fsl-mc-dpio/fetch.sh) probes the DPL's two DPIOs: DPIO_OPEN/GET_ATTR
/// (QBMan 4.1, portal offsets), the portal regions mapped from the fsl-mc `ranges` type 1
/// window, qbman_swp_init reading SWP_CFG back non-zero and dpaa2_io_create programming
/// the interrupt registers — the QBMan portal model in devices/src/qbman. Oracle: the
/// driver's own messages ("probed" at the end of dpaa2_dpio_probe; "qbman: the portal is
/// not enabled!" / "dpaa2_io_create failed" / "probe failed" otherwise).
#[test]
fn fsl_mc_dpio_probes_qbman_portals() {
    let Some(dir) = common::corpus_or_skip(&[]) else {
        return;
    };
    let ko = std::env::var_os("LSEMU_DPAA2_MODULES")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lsemu/dpaa2-modules")))
        .map(|d| d.join("fsl-mc-dpio.ko"));
    let Some(ko) = ko.filter(|k| k.is_file()) else {
        eprintln!("skipped: fsl-mc-dpio.ko missing (run test-suites/fsl-mc-dpio/fetch.sh)");
        return;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("linux_boot_dpio");
    std::fs::create_dir_all(&tmp).unwrap();
    let dpl = tmp.join("dpl.dts");
    std::fs::write(&dpl, DPIO_DPL).unwrap();
    let dtb = dir.join("fsl-ls2088a-rdb.dtb");
    let add = format!("/lib/fsl-mc-dpio.ko={}", ko.display());
    let (code, log) = boot_with(
        &dir,
        "linux_boot_dpio",
        DPIO_SCRIPT,
        &[
            "--smp".as_ref(),
            "2".as_ref(),
            "--max-insns".as_ref(),
            "20000000000".as_ref(),
            "--dtb".as_ref(),
            dtb.as_os_str(),
            "--dpl".as_ref(),
            dpl.as_os_str(),
            "--add-file".as_ref(),
            add.as_ref(),
        ],
    );
    println!("{log}");
    assert_eq!(code, 0, "lsemu exit code");
    for bad in ["Oops", "BUG:", "WARNING:", "Kernel panic", "the portal is not enabled", "dpaa2_io_create failed", "probe failed", "insmod failed", "QBMan portal model:"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    for want in ["fsl_mc_dpio dpio.0: probed", "fsl_mc_dpio dpio.1: probed", "lsemu-test: dpio.1 driver fsl_mc_dpio", "lsemu-test: done"] {
        assert!(log.contains(want), "console lacks {want:?}");
    }
}
