//! Container management through Linux's /dev/dprc.1 (issue 7: "the container hierarchy
//! (root DPRC, child containers, object assignment)"): a small static program
//! (test-suites/fsl-mc-restool/dprctool.c, cross-compiled here with aarch64-linux-gnu-gcc)
//! sends restool's DPRC commands through the FSL_MC_SEND_MC_COMMAND ioctl of Debian's
//! arm64 Linux 6.1: create a child container, assign a dpni, dpbp, dpmcp and dpcon to
//! it, take one back, destroy the child.
//!
//! Oracle: the unmodified kernel. fsl-mc-uapi.c only passes allow-listed commands of the
//! right size; Linux's dprc driver learns of every change only from the MC — the root
//! DPRC's IRQ 0 (OBJ_CREATED/OBJ_ADDED/OBJ_REMOVED/CONTAINER_DESTROYED MSIs through the
//! ITS) makes it rescan with DPRC_GET_OBJ, the new child is probed on its own MC portal
//! (DPRC_GET_OBJ_REG), scanned, and gets its own IRQ (its ICID's MSIs) to see objects
//! arrive and leave. So /sys/bus/fsl-mc/devices showing `dprc.1/dprc.N/<obj>` and later
//! `dprc.1/<obj>` again is the kernel's view, not the model's. Error codes: an MC status
//! CONFIG_ERR must come out of the ioctl as ENXIO (mc-sys.c mc_status_to_error).
//!
//! A race of Linux itself: an assignment raises OBJ_REMOVED on the root and OBJ_ADDED on
//! the child at once, and their two IRQ threads rescan concurrently; when the child's runs
//! first, adding `dpni.2` under the child fails ("sysfs: cannot create duplicate filename",
//! "device_add() failed … -17", a stack dump without WARNING) because the root has not yet
//! removed its own `dpni.2`, and nothing rescans the child until its next event. Real MC
//! firmware raises the same pair of events, so the script gives the child one more event
//! (moving a spare dpmcp in and out) when an object did not show up within 2 s, and says
//! so on the console; the child's IRQ count must be non-zero either way.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

/// Root dprc.1 with spare objects to move and an existing child dprc.3 (so the new child
/// is not the first one: ICID 25, the first free id, 2).
const DPL: &str = r#"/dts-v1/;
/ {
	dpl-version = <10>;
	containers {
		dprc@1 {
			compatible = "fsl,dprc";
			parent = "none";
			options = "DPRC_CFG_OPT_SPAWN_ALLOWED", "DPRC_CFG_OPT_ALLOC_ALLOWED", "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj_set@dpni { type = "dpni"; ids = <0 2>; };
				obj_set@dpbp { type = "dpbp"; ids = <0 2>; };
				obj_set@dpio { type = "dpio"; ids = <0>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <1 2 3 4 5 6 14>; };
				obj_set@dpcon { type = "dpcon"; ids = <0 2>; };
			};
		};
		dprc@3 {
			parent = "dprc@1";
			options = "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj@1 { obj_name = "dpbp@1"; };
				obj@2 { obj_name = "dpmcp@13"; };
			};
		};
	};
	objects {
		dpni@0 { num_queues = <1>; num_tcs = <1>; };
		dpni@2 { num_queues = <1>; num_tcs = <1>; };
		dpbp@0 { }; dpbp@1 { }; dpbp@2 { };
		dpio@0 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpmcp@1 { }; dpmcp@2 { }; dpmcp@3 { }; dpmcp@4 { }; dpmcp@5 { }; dpmcp@6 { };
		dpmcp@13 { }; dpmcp@14 { };
		dpcon@0 { num_priorities = <2>; }; dpcon@2 { num_priorities = <2>; };
	};
};
"#;

const SCRIPT: &str = r#"[ -c /dev/dprc.1 ] && echo "lsemu-test: c /dev/dprc.1"
N=$(dprctool create | tee /dev/console | sed -n 's/^dprctool: created dprc\.\([0-9]*\) .*/\1/p')
dprctool wait-link dprc.$N /80c000000.fsl-mc/dprc.1/dprc.$N
dprctool wait-link dprc.$N/driver /fsl_mc_dprc
grep ITS-fMSI /proc/interrupts | grep "dprc.$N" | sed 's/^ *[0-9]*: *[0-9 ]*ITS-fMSI/lsemu-test: irq ITS-fMSI/'
dprctool assign $N dpni.2 dpbp.2 dpmcp.14 dpcon.2
for o in dpni.2 dpbp.2 dpmcp.14 dpcon.2; do
	dprctool wait-link $o /dprc.1/dprc.$N/$o try && continue
	echo "lsemu-test: $o missed by the child's rescan, kicking it"
	dprctool assign $N dpmcp.6 >/dev/null && dprctool unassign $N dpmcp.6 >/dev/null
	dprctool wait-link $o /dprc.1/dprc.$N/$o
done
grep ITS-fMSI /proc/interrupts | grep "dprc.$N" | awk '{print "lsemu-test: child irqs " $2 + $3}'
dprctool assign $N dpni.99
dprctool unassign $N dpcon.2
dprctool wait-link dpcon.2 /80c000000.fsl-mc/dprc.1/dpcon.2
dprctool destroy $N
dprctool wait-gone dprc.$N
for o in dpni.2 dpbp.2 dpmcp.14 dpcon.2; do dprctool wait-link $o /80c000000.fsl-mc/dprc.1/$o; done
echo "lsemu-test: devices $(ls /sys/bus/fsl-mc/devices | tr '\n' ' ')"
echo "lsemu-test: done"
"#;

fn build_tool(tmp: &Path) -> Option<PathBuf> {
    common::cross_compile_static("fsl-mc-restool/dprctool.c", &tmp.join("dprctool"))
}

#[test]
fn restool_commands_through_dev_dprc() {
    let Some(dir) = common::corpus_or_skip(&[]) else {
        return;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fslmc_restool");
    std::fs::create_dir_all(&tmp).unwrap();
    let Some(tool) = build_tool(&tmp) else {
        assert!(std::env::var_os("CI").is_none(), "aarch64-linux-gnu-gcc missing");
        eprintln!("skipped: aarch64-linux-gnu-gcc missing");
        return;
    };
    let dpl = tmp.join("dpl.dts");
    std::fs::write(&dpl, DPL).unwrap();
    let script = tmp.join("init.sh");
    std::fs::write(&script, SCRIPT).unwrap();
    let out = common::boot_cmd(&dir, 2, 30_000_000_000, &script)
        .arg("--dpl")
        .arg(&dpl)
        .arg("--add-file")
        .arg(format!("bin/dprctool={}", tool.display()))
        .stdin(Stdio::null())
        .output()
        .expect("run lsemu");
    let log = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    println!("{log}");
    assert_eq!(out.status.code(), Some(0), "lsemu exit code");
    for bad in ["Oops", "BUG:", "WARNING:", "Kernel panic", "timeout:", "cmdid not accepted", "garbage beyond", "dprc_scan_objects() failed", "Failed to allocate IRQs", "dprc_get_irq_status() failed"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    let irqs = log.lines().find_map(|l| l.strip_prefix("lsemu-test: child irqs ")).expect("child IRQ count");
    assert!(irqs.trim().parse::<u64>().expect("a count") >= 1, "the child's DPRC IRQ fired");
    // The new child: the lowest free container id (dprc.1 and dprc.3 exist) and the
    // lowest free MC portal (0 root, 1-6 and 13-14 DPMCPs, 7 dprc.3) → 8, offset 8 × 64 KiB.
    let want = [
        "lsemu-test: c /dev/dprc.1",
        "dprctool: created dprc.2 portal offset 0x80000",
        "dprctool: dprc.2 at /sys/devices/platform/soc/80c000000.fsl-mc/dprc.1/dprc.2",
        "dprctool: dprc.2/driver at /sys/bus/fsl-mc/drivers/fsl_mc_dprc",
        // The child's MSI uses its ICID: hwirq ICID × 10000 + index (fsl-mc-msi.c); ICIDs
        // 23 (root) and 24 (dprc.3) are taken, so 25.
        "lsemu-test: irq ITS-fMSI 250000 Edge      dprc.2",
        "fsl_mc_dprc dprc.2: DPRC device bound to driver",
        "dprctool: dpni.2 at /sys/devices/platform/soc/80c000000.fsl-mc/dprc.1/dprc.2/dpni.2",
        "dprctool: dpbp.2 at /sys/devices/platform/soc/80c000000.fsl-mc/dprc.1/dprc.2/dpbp.2",
        "dprctool: dpmcp.14 at /sys/devices/platform/soc/80c000000.fsl-mc/dprc.1/dprc.2/dpmcp.14",
        "dprctool: dpcon.2 at /sys/devices/platform/soc/80c000000.fsl-mc/dprc.1/dprc.2/dpcon.2",
        // dpni.99 does not exist: MC CONFIG_ERR → -ENXIO from the ioctl.
        "dprctool: command 0x1571 failed: No such device or address",
        "dprctool: dpcon.2 at /sys/devices/platform/soc/80c000000.fsl-mc/dprc.1/dpcon.2",
        "dprctool: destroyed dprc.2",
        "dprctool: dprc.2 gone",
        "dprctool: dpni.2 at /sys/devices/platform/soc/80c000000.fsl-mc/dprc.1/dpni.2",
        "dprctool: dpbp.2 at /sys/devices/platform/soc/80c000000.fsl-mc/dprc.1/dpbp.2",
        "dprctool: dpmcp.14 at /sys/devices/platform/soc/80c000000.fsl-mc/dprc.1/dpmcp.14",
        "lsemu-test: done",
    ];
    for w in want {
        assert!(log.contains(w), "console lacks {w:?}");
    }
    let line = log.lines().find(|l| l.starts_with("lsemu-test: devices")).expect("device list");
    let mut got: Vec<&str> = line["lsemu-test: devices".len()..].split_whitespace().collect();
    got.sort_unstable();
    let mut all: Vec<String> = ["dprc.1", "dprc.3", "dpni.0", "dpni.2", "dpbp.0", "dpbp.1", "dpbp.2", "dpio.0", "dpcon.0", "dpcon.2"].iter().map(|s| s.to_string()).collect();
    all.extend([1, 2, 3, 4, 5, 6, 13, 14].iter().map(|i| format!("dpmcp.{i}")));
    all.sort_unstable();
    assert_eq!(got, all, "after destroy, exactly the DPL's objects");
}
