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

/// The `lsemu boot` command for `dpl` and the init `script` on the RDB dtb with the
/// DPAA2 modules, its files written under a directory named `tag`; None (skip) without
/// the corpus or the modules.
fn lsemu_cmd(tag: &str, dpl_text: &str, script: &str) -> Option<Command> {
    let dir = common::corpus_or_skip(&[])?;
    let Some(mods) = modules_dir() else {
        eprintln!("skipped: DPAA2 modules missing (run test-suites/fsl-mc-dpio/fetch.sh)");
        return None;
    };
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(tag);
    std::fs::create_dir_all(&tmp).unwrap();
    let dpl = tmp.join("dpl.dts");
    std::fs::write(&dpl, dpl_text).unwrap();
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
    cmd.stdin(Stdio::null());
    Some(cmd)
}

fn output_text(out: &std::process::Output) -> (i32, String) {
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

fn boot(tag: &str, script: &str) -> Option<(i32, String, std::time::Duration)> {
    let mut cmd = lsemu_cmd(tag, DPL, script)?;
    let t0 = std::time::Instant::now();
    let out = cmd.output().expect("run lsemu");
    let wall = t0.elapsed();
    let (code, text) = output_text(&out);
    Some((code, text, wall))
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

/// One DPNI connected to a DPMAC (a fixed link in the MC model, reference §4.8), whose
/// frames `--net dpmac.1=...` carries to the host; `{MAC}` is the DPNI's last address byte.
const DPL_DPMAC: &str = r#"/dts-v1/;
/ {
	dpl-version = <10>;
	containers {
		dprc@1 {
			compatible = "fsl,dprc";
			parent = "none";
			options = "DPRC_CFG_OPT_SPAWN_ALLOWED", "DPRC_CFG_OPT_ALLOC_ALLOWED",
				  "DPRC_CFG_OPT_OBJ_CREATE_ALLOWED", "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj_set@dpni { type = "dpni"; ids = <0>; };
				obj_set@dpmac { type = "dpmac"; ids = <1>; };
				obj_set@dpio { type = "dpio"; ids = <0 1>; };
				obj_set@dpbp { type = "dpbp"; ids = <0>; };
				obj_set@dpcon { type = "dpcon"; ids = <0 1>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <1 2 3 4>; };
			};
		};
	};
	objects {
		dpni@0 { num_queues = <1>; num_tcs = <1>; mac_addr = <0x00 0x04 0x9f 0x00 0x01 {MAC}>; };
		dpmac@1 { };
		dpio@0 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@1 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpbp@0 { };
		dpcon@0 { num_priorities = <2>; }; dpcon@1 { num_priorities = <2>; };
		dpmcp@1 { }; dpmcp@2 { }; dpmcp@3 { }; dpmcp@4 { };
	};
	connections {
		connection@0 { endpoint1 = "dpni@0"; endpoint2 = "dpmac@1"; };
	};
};
"#;

/// Guest B (10.0.1.2): receives one TCP stream into /tmp/recv and reports its size and MD5.
const SOCKET_SERVER: &str = r#"for m in libphy fixed_phy fwnode_mdio of_mdio phylink pcs-lynx fsl-mc-dpio fsl-dpaa2-eth; do insmod /lib/$m.ko || echo "lsemu-test: insmod $m failed"; done
ip link set eth0 up
ip addr add 10.0.1.2/24 dev eth0
timeout 600 nc -l -p 5000 -e sh -c 'cat > /tmp/recv'
echo "lsemu-test: recv $(wc -c < /tmp/recv) $(md5sum < /tmp/recv | cut -d' ' -f1)"
dmesg | grep -iE "fsl-mc|fsl_mc|dpio|dpaa2|smmu" | grep -iE "error|fail|fault|unable|unrecognised" || echo "lsemu-test: dmesg clean"
echo "lsemu-test: done"
"#;

/// Guest A (10.0.1.1): waits until B answers (the two machines boot at their own pace),
/// pings it, floods it, then sends `seq 1 60000` over TCP (retrying until B listens).
const SOCKET_CLIENT: &str = r#"for m in libphy fixed_phy fwnode_mdio of_mdio phylink pcs-lynx fsl-mc-dpio fsl-dpaa2-eth; do insmod /lib/$m.ko || echo "lsemu-test: insmod $m failed"; done
ip link set eth0 up
ip addr add 10.0.1.1/24 dev eth0
i=0; until ping -c 1 -W 1 10.0.1.2 > /dev/null; do i=$((i+1)); [ $i -ge 300 ] && break; done
ping -c 10 -i 0.2 -W 2 10.0.1.2
ping -q -A -c 1000 -W 5 10.0.1.2
seq 1 60000 > /tmp/send
echo "lsemu-test: sent $(wc -c < /tmp/send) $(md5sum < /tmp/send | cut -d' ' -f1)"
i=0; until timeout 300 nc 10.0.1.2 5000 -e cat /tmp/send; do i=$((i+1)); [ $i -ge 60 ] && { echo "lsemu-test: nc send failed"; break; }; sleep 1; done
dmesg | grep -iE "fsl-mc|fsl_mc|dpio|dpaa2|smmu" | grep -iE "error|fail|fault|unable|unrecognised" || echo "lsemu-test: dmesg clean"
echo "lsemu-test: done"
"#;

/// Two lsemu instances, each with one DPNI behind a DPMAC, linked by UDP sockets on the
/// host (`--net dpmac.1=udp:...` with swapped addresses): ping, a 1000-request adaptive
/// flood and a TCP transfer checked by MD5 against the host's `md5sum`, from machine A to
/// machine B. Both run at once; frames from the host side are taken at turn starts, so
/// this test's timing is host-dependent (its outcome is not: TCP and the ping retries
/// absorb it, and an idle machine's time runs no faster than the host clock).
#[test]
fn dpaa2_eth_two_instances_over_udp() {
    let data: String = (1..=60000).map(|i| format!("{i}\n")).collect();
    let mut md5 = Command::new("md5sum").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("host md5sum");
    std::io::Write::write_all(md5.stdin.as_mut().unwrap(), data.as_bytes()).unwrap();
    let out = md5.wait_with_output().unwrap();
    let sum = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_string();
    // Two free ports: bind, note, release (the window for a collision is tiny).
    let port = || std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let (pa, pb) = (port(), port());
    let Some(mut a) = lsemu_cmd("dpaa2_sock_a", &DPL_DPMAC.replace("{MAC}", "0x01"), SOCKET_CLIENT) else {
        return;
    };
    let Some(mut b) = lsemu_cmd("dpaa2_sock_b", &DPL_DPMAC.replace("{MAC}", "0x02"), SOCKET_SERVER) else {
        return;
    };
    a.arg("--net").arg(format!("dpmac.1=udp:127.0.0.1:{pa},127.0.0.1:{pb}"));
    b.arg("--net").arg(format!("dpmac.1=udp:127.0.0.1:{pb},127.0.0.1:{pa}"));
    let t0 = std::time::Instant::now();
    let cb = b.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run lsemu B");
    let ca = a.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run lsemu A");
    let (code_a, log_a) = output_text(&ca.wait_with_output().expect("lsemu A"));
    let (code_b, log_b) = output_text(&cb.wait_with_output().expect("lsemu B"));
    println!("=== A ===\n{log_a}\n=== B ===\n{log_b}");
    eprintln!("two dpaa2 instances: {:.1} s wall", t0.elapsed().as_secs_f64());
    assert_eq!(code_a, 0, "lsemu A exit code");
    assert_eq!(code_b, 0, "lsemu B exit code");
    for log in [&log_a, &log_b] {
        assert_clean(log);
        assert!(log.contains("fsl_dpaa2_eth dpni.0: Probed interface eth0"), "no eth0");
        assert!(log.contains("lsemu-test: done"), "script did not finish");
    }
    assert!(log_a.contains("10 packets transmitted, 10 packets received, 0% packet loss"), "ping A->B lost packets");
    assert!(log_a.contains("1000 packets transmitted, 1000 packets received, 0% packet loss"), "flood A->B lost packets");
    assert!(!log_a.contains("nc send failed"), "nc failed");
    let want = format!("{} {sum}", data.len());
    assert!(log_a.contains(&format!("lsemu-test: sent {want}")), "sender's file differs from the host's: want {want}");
    assert!(log_b.contains(&format!("lsemu-test: recv {want}")), "received bytes differ: want {want}");
}
