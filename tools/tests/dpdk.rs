//! DPDK on lsemu (issue 7, "Prove it": Debian's arm64 dpdk-testpmd with the fslmc bus and
//! the dpaa2 PMD on the VFIO child container). Debian's arm64 Linux 6.1 boots the kernel's
//! RDB dtb with a DPL whose child container dprc.3 holds what DPDK 22.11's fslmc bus scans
//! (two DPNIs connected back to back, a DPBP, DPIOs for the lcores, DPCONs, DPMCPs); the
//! init script loads Debian's VFIO modules (test-suites/vfio-fsl-mc/fetch.sh), binds dprc.3
//! to vfio-fsl-mc, mounts hugetlbfs and runs Debian's dpdk-testpmd (dpdk-dev 22.11 and the
//! DT_NEEDED closure of it and of the fslmc/dpaa2 drivers, test-suites/dpdk/fetch.sh) with
//! `DPRC=dprc.3`.
//!
//! Oracle: the unmodified DPDK — its EAL/bus/PMD messages and testpmd's port statistics.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Root container: DPIOs for Linux, DPMCPs. Child container dprc.3 (for VFIO): dpni.1 ↔
/// dpni.2 back to back, a DPBP, three DPIOs (two lcores + one spare: DPDK affines a portal
/// per lcore thread), DPCONs and DPMCPs (DPDK maps the first DPMCP as its MC portal).
const DPL: &str = r#"/dts-v1/;
/ {
	dpl-version = <10>;
	containers {
		dprc@1 {
			compatible = "fsl,dprc";
			parent = "none";
			options = "DPRC_CFG_OPT_SPAWN_ALLOWED", "DPRC_CFG_OPT_ALLOC_ALLOWED", "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj_set@dpio { type = "dpio"; ids = <0 1>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <1 2 3 4 5 6 7 8>; };
			};
		};
		dprc@3 {
			parent = "dprc@1";
			options = "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj_set@dpni { type = "dpni"; ids = <1 2>; };
				obj_set@dpbp { type = "dpbp"; ids = <1 2 3>; };
				obj_set@dpio { type = "dpio"; ids = <2 3 4>; };
				obj_set@dpcon { type = "dpcon"; ids = <1 2>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <13 14>; };
			};
		};
	};
	objects {
		dpni@1 { num_queues = <1>; num_tcs = <1>; mac_addr = <0x00 0x04 0x9f 0x00 0x00 0x01>; };
		dpni@2 { num_queues = <1>; num_tcs = <1>; mac_addr = <0x00 0x04 0x9f 0x00 0x00 0x02>; };
		dpbp@1 { }; dpbp@2 { }; dpbp@3 { };
		dpio@0 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@1 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@2 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@3 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@4 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpcon@1 { num_priorities = <2>; }; dpcon@2 { num_priorities = <2>; };
		dpmcp@1 { }; dpmcp@2 { }; dpmcp@3 { }; dpmcp@4 { }; dpmcp@5 { }; dpmcp@6 { }; dpmcp@7 { };
		dpmcp@8 { }; dpmcp@13 { }; dpmcp@14 { };
	};
	connections {
		connection@0 { endpoint1 = "dpni@1"; endpoint2 = "dpni@2"; };
	};
};
"#;

/// Binds dprc.3 to vfio-fsl-mc (as vfio.rs does), reserves 2 MiB hugepages and runs testpmd
/// in io forwarding between the two ports for a fixed number of packets (--tx-first sends
/// a burst on each port; io forwarding bounces them back and forth).
const SCRIPT: &str = r#"for m in vfio vfio_iommu_type1 vfio-fsl-mc; do insmod /lib/$m.ko || echo "lsemu-test: insmod $m failed"; done
echo dprc.3 > /sys/bus/fsl-mc/drivers/fsl_mc_dprc/unbind
echo vfio-fsl-mc > /sys/bus/fsl-mc/devices/dprc.3/driver_override
echo dprc.3 > /sys/bus/fsl-mc/drivers/vfio-fsl-mc/bind
echo "lsemu-test: dprc.3 driver $(basename $(readlink /sys/bus/fsl-mc/devices/dprc.3/driver))"
echo 64 > /proc/sys/vm/nr_hugepages
echo "lsemu-test: hugepages $(cat /proc/sys/vm/nr_hugepages)"
mkdir -p /dev/hugepages /var/run /tmp
chmod 755 / /lib /lib/aarch64-linux-gnu
mount -t hugetlbfs nodev /dev/hugepages
L=/lib/aarch64-linux-gnu
export LD_LIBRARY_PATH=$L
DPRC=dprc.3 /lib/ld-linux-aarch64.so.1 /usr/bin/dpdk-testpmd --lcores 0@0,1@1,2@1 -n 1 --no-telemetry --iova-mode=va \
  -d $L/librte_bus_fslmc.so.23 -d $L/librte_mempool_ring.so.23 -d $L/librte_mempool_dpaa2.so.23 -d $L/librte_net_dpaa2.so.23 \
  --log-level='bus.fslmc:debug' --log-level='pmd.*:debug' --log-level='lib.mempool:debug' --log-level='lib.mbuf:debug' --log-level='*dpaa2*:debug' -- \
  --forward-mode=io --auto-start --tx-first --no-flush-rx --stats-period 1 --nb-cores=1 --total-num-mbufs=2048 </dev/null &
P=$!
sleep 20
kill -INT $P
wait $P
echo "lsemu-test: testpmd exit $?"
echo "lsemu-test: done"
"#;

fn dir_from(var: &str, sub: &str, files: &[&str]) -> Option<PathBuf> {
    let d = std::env::var_os(var)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lsemu").join(sub)))?;
    files.iter().all(|f| d.join(f).is_file()).then_some(d)
}

/// Boots with the DPL and the script; the console log, or None when the corpus, the VFIO
/// modules or DPDK are missing.
fn boot_testpmd(tag: &str) -> Option<String> {
    let dir = common::corpus_or_skip(&[])?;
    let (Some(mods), Some(dpdk)) = (
        dir_from("LSEMU_VFIO_MODULES", "vfio-modules", &["vfio.ko", "vfio_iommu_type1.ko", "vfio-fsl-mc.ko"]),
        dir_from("LSEMU_DPDK", "dpdk", &["usr/bin/dpdk-testpmd", ".done"]),
    ) else {
        assert!(std::env::var_os("CI").is_none(), "run test-suites/vfio-fsl-mc/fetch.sh and test-suites/dpdk/fetch.sh");
        eprintln!("skipped: VFIO modules or DPDK missing (test-suites/vfio-fsl-mc/fetch.sh, test-suites/dpdk/fetch.sh)");
        return None;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(tag);
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::write(tmp.join("dpl.dts"), DPL).unwrap();
    std::fs::write(tmp.join("init.sh"), SCRIPT).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lsemu"));
    cmd.arg("boot")
        .args(["--smp", "2", "--memory", "1G", "--max-insns", "60000000000"])
        // DPDK 22.11 (drivers/bus/fslmc/mc/fsl_mc_sys.h? MC_VER_MAJOR 10, MC_VER_MINOR 32):
        // "DPAA2 MC version not compatible! Expected 10.32.x" with the default 10.28.0.
        .args(["--mc-version", "10.32.0"])
        .arg("--dtb")
        .arg(dir.join("fsl-ls2088a-rdb.dtb"))
        .arg("--dpl")
        .arg(tmp.join("dpl.dts"))
        .arg("--kernel")
        .arg(dir.join("Image"))
        .arg("--busybox")
        .arg(dir.join("busybox"))
        .arg("--init-script")
        .arg(tmp.join("init.sh"));
    for m in ["vfio", "vfio_iommu_type1", "vfio-fsl-mc"] {
        cmd.arg("--add-file").arg(format!("/lib/{m}.ko={}", mods.join(format!("{m}.ko")).display()));
    }
    cmd.arg("--add-file").arg(format!("/usr/bin/dpdk-testpmd={}", dpdk.join("usr/bin/dpdk-testpmd").display()));
    cmd.arg("--add-file").arg(format!("/lib/ld-linux-aarch64.so.1={}", dpdk.join("lib/ld-linux-aarch64.so.1").display()));
    let libs = dpdk.join("lib/aarch64-linux-gnu");
    let mut names: Vec<_> = std::fs::read_dir(&libs).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    names.sort();
    for n in names {
        let n = n.to_string_lossy().into_owned();
        cmd.arg("--add-file").arg(format!("/lib/aarch64-linux-gnu/{n}={}", libs.join(&n).display()));
    }
    let out = cmd.stdin(Stdio::null()).output().expect("run lsemu");
    let mut log = String::from_utf8_lossy(&out.stdout).into_owned();
    log.push_str(&String::from_utf8_lossy(&out.stderr));
    println!("{log}");
    Some(log)
}

// Where it stops (2026-11-27): testpmd runs with three lcores on the two PEs
// (`--lcores 0@0,1@1,2@1`) so that DPDK creates three DPIO devices; the --tx-first burst of
// 32 packets crosses from each port to the other (statistics asserted below), then the
// forwarding thread still finds no second QBMan portal for its Rx ("No software portal
// resource left" per burst), so nothing more is forwarded. DPDK's 16-byte vector stores
// into the QBMan portal reach it since the bus splits them (qbman_machine.rs).
#[test]
#[ignore = "~5-7 min on 2 cores: after the first burst the forwarding thread gets no second QBMan portal and testpmd logs an error per burst until it is stopped; run with --ignored"]
fn dpdk_testpmd_on_the_vfio_child_container() {
    let Some(log) = boot_testpmd("dpdk_testpmd") else {
        return;
    };
    has(&log, "lsemu-test: dprc.3 driver vfio-fsl-mc");
    // DPDK's fslmc bus scanned the container through sysfs (its own messages).
    has(&log, "fslmc: FSLMC Bus scan completed");
    for d in ["dpni.1", "dpni.2", "dpcon.1", "dpcon.2", "dpbp.1", "dpio.2", "dpio.3", "dpio.4", "dpmcp.13", "dpmcp.14", "dprc.3"] {
        has(&log, &format!("fslmc: \t\t{d}"));
    }
    // fslmc_process_mcp: the DPMCP portal mmap()ed through VFIO answered DPMNG_GET_VERSION
    // (no "Unable to obtain MC version", no "MC version not compatible"), then every object
    // was opened through VFIO.
    for d in ["dprc.3", "dpni.1", "dpni.2", "dpbp.1", "dpio.2"] {
        has(&log, &format!("fslmc: Device ({d}) abstracted from VFIO"));
    }
    // dpaa2_dev_init: DPNI attributes (one Rx TC, one queue; num_tx_tcs × num_channels = 1
    // Tx queue) and the DPNI↔DPNI connection of the DPL (DPRC_GET_CONNECTION).
    assert!(log.contains("dpaa2_dev_init(): RX-TC= 1, rx_queues= 1, tx_queues=1, max_cgs=0"));
    has(&log, "PMD: dpni.1: netdev created, connected to dpni.2");
    has(&log, "PMD: dpni.2: netdev created, connected to dpni.1");
    // The dpaa2 mempool got DPBPs (QBMan buffer pools), the ports started with the
    // DPL's MAC addresses, links up (the back-to-back DPNIs), and io forwarding began.
    has(&log, "mempool/dpaa2: rte_hw_mbuf_create_pool(): BP List created for bpid =0");
    has(&log, "Port 0: 00:04:9F:00:00:01");
    has(&log, "Port 1: 00:04:9F:00:00:02");
    has(&log, "Port 0 Link up at 10 Gbps FDX Fixed");
    has(&log, "Port 1 Link up at 10 Gbps FDX Fixed");
    assert!(log.contains("io packet forwarding - ports=2 - cores=1 - streams=2"));
    // testpmd's own statistics at exit: the --tx-first burst of 32 packets left each port
    // and arrived on the other through the back-to-back DPNIs (DPNI Tx → peer DPNI Rx →
    // QBMan → the PMD's Rx). Steady forwarding after that burst still fails ("No software
    // portal resource left" per burst), so only the first burst is counted.
    for port in 0..2 {
        let block = log.split(&format!("Forward statistics for port {port}")).nth(1).expect("testpmd statistics");
        assert!(block.contains("RX-packets: 32             RX-dropped: 0             RX-total: 32"), "port {port} received the other port's burst");
        assert!(block.contains("TX-packets: 32             TX-dropped: 0             TX-total: 32"), "port {port} sent its burst");
    }
    // ("QBMan portal model:" warnings are expected until the 16-byte portal stores work.)
    for bad in ["Unable to obtain MC version", "MC version not compatible", "not implemented", "Oops", "Kernel panic"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
}

fn has(log: &str, want: &str) {
    assert!(log.lines().any(|l| l == want), "console lacks the line {want:?}");
}
