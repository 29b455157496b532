//! Debian's dpaa2-eth (fsl-dpaa2-eth.ko with fsl-mc-dpio.ko and the phy modules
//! `modinfo -F depends` names, all from the corpus kernel's own package, fetched by
//! test-suites/fsl-mc-dpio/fetch.sh) on the kernel's own RDB device tree, with a DPL of two
//! DPNIs connected back to back (DPL `connections`). The MC model answers the DPNI, DPCON,
//! DPBP and DPIO commands, the QBMan engine carries the frames, and the DPNI frame model
//! moves them between the two DPNIs by DMA through the SMMU.
//!
//! Oracle: the unmodified kernel — its own messages ("Probed interface", "Link Event:
//! state up"), busybox ping's statistics between two network namespaces (eth1 moved into
//! one with `ip link set eth1 netns PID`), and the absence of fsl-mc/dpio/dpaa2/SMMU
//! errors in its log.

mod common;

use std::path::PathBuf;
use std::process::{Command, Stdio};

/// Root container with the two DPNIs (dpni.0 ↔ dpni.1), a DPIO per CPU of `--smp 2`,
/// a DPBP per DPNI, DPCONs for the channels and DPMCPs for the probes (reference §4.10).
const DPL: &str = r#"/dts-v1/;
/ {
	dpl-version = <10>;
	containers {
		dprc@1 {
			compatible = "fsl,dprc";
			parent = "none";
			options = "DPRC_CFG_OPT_SPAWN_ALLOWED", "DPRC_CFG_OPT_ALLOC_ALLOWED",
				  "DPRC_CFG_OPT_OBJ_CREATE_ALLOWED", "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj_set@dpni { type = "dpni"; ids = <0 1>; };
				obj_set@dpio { type = "dpio"; ids = <0 1>; };
				obj_set@dpbp { type = "dpbp"; ids = <0 1>; };
				obj_set@dpcon { type = "dpcon"; ids = <0 1 2 3>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <1 2 3 4 5 6 7 8>; };
			};
		};
	};
	objects {
		dpni@0 { num_queues = <1>; num_tcs = <1>; mac_addr = <0x00 0x04 0x9f 0x00 0x00 0x01>; };
		dpni@1 { num_queues = <1>; num_tcs = <1>; mac_addr = <0x00 0x04 0x9f 0x00 0x00 0x02>; };
		dpio@0 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@1 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpbp@0 { }; dpbp@1 { };
		dpcon@0 { num_priorities = <2>; }; dpcon@1 { num_priorities = <2>; };
		dpcon@2 { num_priorities = <2>; }; dpcon@3 { num_priorities = <2>; };
		dpmcp@1 { }; dpmcp@2 { }; dpmcp@3 { }; dpmcp@4 { };
		dpmcp@5 { }; dpmcp@6 { }; dpmcp@7 { }; dpmcp@8 { };
	};
	connections {
		connection@0 { endpoint1 = "dpni@0"; endpoint2 = "dpni@1"; };
	};
};
"#;

/// The modules in load order (fetch.sh writes the same list to modules.order).
const MODULES: [&str; 8] = ["libphy", "fixed_phy", "fwnode_mdio", "of_mdio", "phylink", "pcs-lynx", "fsl-mc-dpio", "fsl-dpaa2-eth"];

/// eth0 stays in the initial namespace (10.0.0.1), eth1 moves into a new one (10.0.0.2):
/// the ping has to cross the DPNIs instead of the loopback.
const PING_SCRIPT: &str = r#"for m in libphy fixed_phy fwnode_mdio of_mdio phylink pcs-lynx fsl-mc-dpio fsl-dpaa2-eth; do insmod /lib/$m.ko || echo "lsemu-test: insmod $m failed"; done
ip link set eth0 up
ip addr add 10.0.0.1/24 dev eth0
unshare -n sleep 100000 &
NS=$!
sleep 1
ip link set eth1 netns $NS || echo "lsemu-test: netns move failed"
nsenter -t $NS -n sh -c 'ip link set lo up; ip link set eth1 up; ip addr add 10.0.0.2/24 dev eth1'
sleep 2
ping -c 5 -W 2 10.0.0.2
nsenter -t $NS -n ping -c 3 -W 2 10.0.0.1
ping -q -A -c 1000 -W 5 10.0.0.2
dmesg | grep -iE "fsl-mc|fsl_mc|dpio|dpaa2|smmu" | grep -iE "error|fail|fault|unable|unrecognised" || echo "lsemu-test: dmesg clean"
echo "lsemu-test: done"
"#;

fn modules_dir() -> Option<PathBuf> {
    let d = std::env::var_os("LSEMU_DPAA2_MODULES")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/lsemu/dpaa2-modules")))?;
    MODULES.iter().all(|m| d.join(format!("{m}.ko")).is_file()).then_some(d)
}

fn boot(tag: &str, script: &str) -> Option<(i32, String, std::time::Duration)> {
    let dir = common::corpus_or_skip(&[])?;
    let Some(mods) = modules_dir() else {
        eprintln!("skipped: DPAA2 modules missing (run test-suites/fsl-mc-dpio/fetch.sh)");
        return None;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(tag);
    std::fs::create_dir_all(&tmp).unwrap();
    let dpl = tmp.join("dpl.dts");
    std::fs::write(&dpl, DPL).unwrap();
    let init = tmp.join("init.sh");
    std::fs::write(&init, script).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lsemu"));
    cmd.arg("boot")
        .args(["--smp", "2", "--max-insns", "40000000000"])
        .arg("--dtb")
        .arg(dir.join("fsl-ls2088a-rdb.dtb"))
        .arg("--dpl")
        .arg(&dpl)
        .arg("--kernel")
        .arg(dir.join("Image"))
        .arg("--busybox")
        .arg(dir.join("busybox"))
        .arg("--init-script")
        .arg(&init);
    for m in MODULES {
        cmd.arg("--add-file").arg(format!("/lib/{m}.ko={}", mods.join(format!("{m}.ko")).display()));
    }
    let t0 = std::time::Instant::now();
    let out = cmd.stdin(Stdio::null()).output().expect("run lsemu");
    let wall = t0.elapsed();
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Some((out.status.code().unwrap_or(-1), text, wall))
}

fn assert_clean(log: &str) {
    for bad in ["Oops", "BUG:", "WARNING:", "Kernel panic", "insmod", "netns move failed", "Unhandled context fault", "probe failed", "QBMan portal model:", "Unable to read a valid dequeue response"] {
        assert!(!log.contains(bad), "console shows {bad:?}");
    }
    assert!(log.contains("lsemu-test: dmesg clean"), "fsl-mc/dpio/dpaa2/smmu errors in dmesg");
}

/// Probe, link and ping: both DPNIs probe as eth0/eth1, both links come up when both
/// DPNIs are enabled (LINK_CHANGED MSIs), ICMP echo passes both ways with no loss, and a
/// 1000-request adaptive flood (`ping -q -A -c 1000`, busybox's equivalent of `ping -f`)
/// loses nothing.
#[test]
fn dpaa2_eth_back_to_back_ping() {
    let Some((code, log, wall)) = boot("dpaa2_ping", PING_SCRIPT) else {
        return;
    };
    println!("{log}");
    eprintln!("dpaa2 ping boot: {:.1} s wall", wall.as_secs_f64());
    assert_eq!(code, 0, "lsemu exit code");
    assert_clean(&log);
    for want in [
        "fsl_dpaa2_eth dpni.0: Probed interface eth0",
        "fsl_dpaa2_eth dpni.1: Probed interface eth1",
        "fsl_dpaa2_eth dpni.0 eth0: Link Event: state up",
        "fsl_dpaa2_eth dpni.1 eth1: Link Event: state up",
        "5 packets transmitted, 5 packets received, 0% packet loss",
        "3 packets transmitted, 3 packets received, 0% packet loss",
        "64 bytes from 10.0.0.2: seq=4",
        // The flood: busybox ping has no -f; -A sends the next request as soon as the
        // reply arrives (flood's pacing), -q prints only the statistics.
        "1000 packets transmitted, 1000 packets received, 0% packet loss",
        "lsemu-test: done",
    ] {
        assert!(log.contains(want), "console lacks {want:?}");
    }
}

/// A bulk TCP transfer from eth0's namespace to eth1's: 348 894 bytes (`seq 1 60000`),
/// busybox nc at both ends (`-e`, so each side closes when its file ends).
const TRANSFER_SCRIPT: &str = r#"for m in libphy fixed_phy fwnode_mdio of_mdio phylink pcs-lynx fsl-mc-dpio fsl-dpaa2-eth; do insmod /lib/$m.ko || echo "lsemu-test: insmod $m failed"; done
ip link set eth0 up
ip addr add 10.0.0.1/24 dev eth0
unshare -n sleep 100000 &
NS=$!
sleep 1
ip link set eth1 netns $NS || echo "lsemu-test: netns move failed"
nsenter -t $NS -n sh -c 'ip link set lo up; ip link set eth1 up; ip addr add 10.0.0.2/24 dev eth1'
sleep 2
seq 1 60000 > /tmp/send
nsenter -t $NS -n timeout 60 nc -l -p 5000 -e sh -c 'cat > /tmp/recv' &
L=$!
sleep 1
timeout 60 nc 10.0.0.2 5000 -e cat /tmp/send || echo "lsemu-test: nc send failed"
wait $L
echo "lsemu-test: sent $(wc -c < /tmp/send) $(md5sum < /tmp/send | cut -d' ' -f1)"
echo "lsemu-test: recv $(wc -c < /tmp/recv) $(md5sum < /tmp/recv | cut -d' ' -f1)"
dmesg | grep -iE "fsl-mc|fsl_mc|dpio|dpaa2|smmu" | grep -iE "error|fail|fault|unable|unrecognised" || echo "lsemu-test: dmesg clean"
echo "lsemu-test: done"
"#;

/// The bytes are checked end to end: what the guest's nc received has the length and the
/// MD5 of `seq 1 60000` as the host's own `md5sum` computes them.
#[test]
fn dpaa2_eth_back_to_back_tcp_transfer() {
    let data: String = (1..=60000).map(|i| format!("{i}\n")).collect();
    let mut md5 = Command::new("md5sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("host md5sum");
    std::io::Write::write_all(md5.stdin.as_mut().unwrap(), data.as_bytes()).unwrap();
    let out = md5.wait_with_output().unwrap();
    let sum = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_string();
    let Some((code, log, wall)) = boot("dpaa2_transfer", TRANSFER_SCRIPT) else {
        return;
    };
    println!("{log}");
    eprintln!("dpaa2 transfer boot: {:.1} s wall", wall.as_secs_f64());
    assert_eq!(code, 0, "lsemu exit code");
    assert_clean(&log);
    assert!(!log.contains("nc send failed"), "nc failed");
    let want = format!("{} {sum}", data.len());
    assert!(log.contains(&format!("lsemu-test: sent {want}")), "sender's file differs from the host's: want {want}");
    assert!(log.contains(&format!("lsemu-test: recv {want}")), "received bytes differ: want {want}");
}
