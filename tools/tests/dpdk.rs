//! DPDK on lsemu (issue 7, "Prove it": Debian's arm64 dpdk-testpmd with the fslmc bus and
//! the dpaa2 PMD on the VFIO child container). Debian's arm64 Linux 6.1 boots the kernel's
//! RDB dtb with a DPL whose child container dprc.3 holds what DPDK 22.11's fslmc bus scans
//! (two DPNIs connected back to back, DPBPs, DPIOs, DPCONs, DPMCPs, as NXP's
//! dynamic_dpl.sh makes a DPDK container); the init script loads Debian's VFIO modules
//! (test-suites/vfio-fsl-mc/fetch.sh), binds dprc.3 to vfio-fsl-mc, mounts hugetlbfs and
//! runs Debian's dpdk-testpmd (dpdk-dev 22.11 and the DT_NEEDED closure of it and of the
//! fslmc/dpaa2 drivers, test-suites/dpdk/fetch.sh) with `DPRC=dprc.3` in io forwarding
//! between the two ports for 8 s of guest time.
//!
//! Oracle: the unmodified DPDK — its EAL/bus/PMD messages and testpmd's forward statistics
//! (port counters, drops, and its own Rx/Tx burst counts).

mod common;

use std::path::PathBuf;
use std::process::Stdio;

/// test-suites/dpdk/dpl.dts: the root container keeps a DPIO per CPU for Linux and the
/// DPMCPs; child container dprc.3 (for VFIO) is what NXP's DPDK set-up script (dpdk-extras
/// dpaa2/dynamic_dpl.sh, "dpni-dpni") gives a DPDK application by default: two DPNIs
/// connected back to back, 4 DPBPs, 10 DPIOs, 5 DPCONs with 8 priorities, plus DPMCPs. The
/// DPIO count matters: DPDK 22.11's fslmc bus keeps the last DPIO of the container for a
/// secondary process (fslmc_vfio_process_group), and each thread that touches a queue takes
/// a portal of its own — the main lcore one, every forwarding lcore two
/// (dpaa2_affine_qbman_swp for Tx and buffer pools, dpaa2_affine_qbman_ethrx_swp for Rx
/// pulls) — so testpmd with one forwarding lcore needs at least four.
const DPL: &str = include_str!("../../test-suites/dpdk/dpl.dts");

/// Binds dprc.3 to vfio-fsl-mc (as vfio.rs does), reserves 2 MiB hugepages and runs testpmd
/// (main lcore 0, one forwarding lcore on CPU 1) in io forwarding between the two ports for
/// 5 s of guest time: --tx-first sends a burst of 32 packets on each port, io forwarding
/// then bounces them back and forth through the back-to-back DPNIs; SIGINT stops it and
/// testpmd prints its forward statistics.
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
DPRC=dprc.3 /lib/ld-linux-aarch64.so.1 /usr/bin/dpdk-testpmd -l 0-1 -n 1 --no-telemetry --iova-mode=va \
  -d $L/librte_bus_fslmc.so.23 -d $L/librte_mempool_ring.so.23 -d $L/librte_mempool_dpaa2.so.23 -d $L/librte_net_dpaa2.so.23 \
  --log-level='bus.fslmc:debug' --log-level='pmd.*:debug' --log-level='lib.mempool:debug' --log-level='lib.mbuf:debug' --log-level='*dpaa2*:debug' -- \
  --forward-mode=io --auto-start --tx-first --no-flush-rx --stats-period 1 --record-burst-stats --nb-cores=1 --total-num-mbufs=2048 </dev/null &
P=$!
sleep 8
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
    let mut cmd = common::boot_cmd(&dir, 2, 60_000_000_000, &tmp.join("init.sh"));
    cmd.args(["--memory", "1G"])
        // DPDK 22.11 (drivers/bus/fslmc/mc/fsl_mc_sys.h? MC_VER_MAJOR 10, MC_VER_MINOR 32):
        // "DPAA2 MC version not compatible! Expected 10.32.x" with the default 10.28.0.
        .args(["--mc-version", "10.32.0"])
        .arg("--dpl")
        .arg(tmp.join("dpl.dts"));
    common::add_modules(&mut cmd, &mods, &["vfio", "vfio_iommu_type1", "vfio-fsl-mc"]);
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

// ~1.5-2 min on the loaded 2-core host (boot, DPDK set-up, 5 s of guest time forwarding).
#[test]
fn dpdk_testpmd_on_the_vfio_child_container() {
    let Some(log) = boot_testpmd("dpdk_testpmd") else {
        return;
    };
    has(&log, "lsemu-test: dprc.3 driver vfio-fsl-mc");
    // DPDK's fslmc bus scanned the container through sysfs (its own messages).
    has(&log, "fslmc: FSLMC Bus scan completed");
    for d in ["dpni.1", "dpni.2", "dpcon.1", "dpcon.5", "dpbp.1", "dpbp.4", "dpio.2", "dpio.11", "dpmcp.13", "dpmcp.14", "dprc.3"] {
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
    // Portals (dpaa2_hw_dpio.c): the fslmc bus set up every DPIO of dprc.3 but the last
    // (kept for a secondary process); the main lcore took one, the forwarding lcore one for
    // Tx and one for its Rx pulls — no "No software portal resource left".
    has(&log, "fslmc: Device (dpio.10) abstracted from VFIO");
    assert!(!log.contains("fslmc: Device (dpio.11) abstracted from VFIO"), "the last DPIO stays for a secondary process");
    assert!(log.lines().any(|l| l.starts_with("fslmc: DPAA Portal=") && l.contains(" is affined for eth rx to thread ")));
    // testpmd's forward statistics at exit. Its per-port RX-/TX-packets are the ports'
    // counters (rte_eth_stats_get: the DPNI statistics our MC model keeps) since forwarding
    // began, TX-dropped is testpmd's own count of what rte_eth_tx_burst refused, and
    // --record-burst-stats adds testpmd's own count of rte_eth_rx_burst/tx_burst calls with
    // the share of each burst size — the software side of the same traffic. After the
    // --tx-first burst of 32 packets per port, io forwarding kept both ports busy: a run
    // forwards about 1.8 million packets per port and guest second (DPNI Tx → peer DPNI Rx
    // → QBMan → the PMD's Rx pulls of 16 frames) and about 5 s of the 8 are forwarding, so
    // the thresholds — 1 million packets per port and 50 000 Rx bursts of which at most half
    // empty — leave a wide margin and are still 30 000 times the first burst. Nothing
    // dropped on either side, no Rx errors or mbuf shortages (testpmd prints "RX-error:" /
    // "RX-nombufs:" lines only when they are not zero), and the port counters agree with
    // the software's bursts (at most 32 packets per burst, testpmd's burst size).
    for port in 0..2 {
        let block = log.split(&format!("Forward statistics for port {port}")).nth(1).expect("testpmd statistics");
        let block = &block[..block.find("------------------------------------------").unwrap_or(block.len())];
        let rx = stat(block, "RX-packets:");
        let tx = stat(block, "TX-packets:");
        assert!(rx >= 1_000_000, "port {port} received {rx} packets");
        assert!(tx >= 1_000_000, "port {port} sent {tx} packets");
        assert_eq!(stat(block, "RX-dropped:"), 0, "port {port} Rx drops");
        assert_eq!(stat(block, "TX-dropped:"), 0, "port {port} Tx drops");
        assert!(!block.contains("RX-error") && !block.contains("RX-nombufs"), "port {port}: {block}");
        for (dir, pkts) in [("RX", rx), ("TX", tx)] {
            let key = format!("{dir}-bursts :");
            let bursts = stat(block, &key);
            let rest = &block[block.find(&key).unwrap()..];
            let empty: u64 = rest
                .split_once('[')
                .and_then(|(_, r)| r.split_once("% of 0 pkts"))
                .and_then(|(n, _)| n.trim().parse().ok())
                .unwrap_or_else(|| panic!("no empty-burst share in {rest}"));
            assert!(bursts >= 50_000 && empty <= 50, "port {port}: {bursts} {dir} bursts, {empty}% empty");
            assert!(pkts <= 32 * bursts, "port {port}: {pkts} {dir} packets in {bursts} bursts of at most 32");
        }
    }
    let acc = log.split("Accumulated forward statistics for all ports").nth(1).expect("accumulated statistics");
    // io forwarding sends every packet it receives: with no Tx drop the totals agree.
    assert_eq!(stat(acc, "RX-packets:"), stat(acc, "TX-packets:"));
    has(&log, "lsemu-test: testpmd exit 0");
    for bad in [
        "No software portal resource left",
        "Failure in affining portal",
        "Unable to obtain MC version",
        "MC version not compatible",
        "not implemented",
        "Oops",
        "Kernel panic",
    ] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
}

/// The number after `key` in testpmd's statistics block.
fn stat(block: &str, key: &str) -> u64 {
    let rest = &block[block.find(key).unwrap_or_else(|| panic!("no {key} in {block}")) + key.len()..];
    rest.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("bad {key} in {block}"))
}

fn has(log: &str, want: &str) {
    assert!(log.lines().any(|l| l == want), "console lacks the line {want:?}");
}
