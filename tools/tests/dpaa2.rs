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
const DPL: &str = include_str!("../../test-suites/fsl-mc-dpio/dpl-back-to-back.dts");

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
    let mut cmd = common::boot_cmd(&dir, 2, 40_000_000_000, &init);
    cmd.arg("--dpl").arg(&dpl);
    common::add_modules(&mut cmd, &mods, &MODULES);
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

/// Three DPNIs with two Rx queues each (one per CPU of `--smp 2`): dpni.0 ↔ dpni.1 back
/// to back, dpni.2 behind dpmac.1 (a host backend); a DPCON per channel (2 per DPNI).
const DPL_RXDIST: &str = r#"/dts-v1/;
/ {
	dpl-version = <10>;
	containers {
		dprc@1 {
			compatible = "fsl,dprc";
			parent = "none";
			options = "DPRC_CFG_OPT_SPAWN_ALLOWED", "DPRC_CFG_OPT_ALLOC_ALLOWED",
				  "DPRC_CFG_OPT_OBJ_CREATE_ALLOWED", "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj_set@dpni { type = "dpni"; ids = <0 1 2>; };
				obj_set@dpmac { type = "dpmac"; ids = <1>; };
				obj_set@dpio { type = "dpio"; ids = <0 1>; };
				obj_set@dpbp { type = "dpbp"; ids = <0 1 2>; };
				obj_set@dpcon { type = "dpcon"; ids = <0 1 2 3 4 5>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <1 2 3 4 5 6 7 8>; };
			};
		};
	};
	objects {
		dpni@0 { num_queues = <2>; num_tcs = <1>; mac_addr = <0x00 0x04 0x9f 0x00 0x00 0x01>; };
		dpni@1 { num_queues = <2>; num_tcs = <1>; mac_addr = <0x00 0x04 0x9f 0x00 0x00 0x02>; };
		dpni@2 { num_queues = <2>; num_tcs = <1>; mac_addr = <0x00 0x04 0x9f 0x00 0x00 0x03>; };
		dpmac@1 { };
		dpio@0 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@1 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpbp@0 { }; dpbp@1 { }; dpbp@2 { };
		dpcon@0 { num_priorities = <2>; }; dpcon@1 { num_priorities = <2>; };
		dpcon@2 { num_priorities = <2>; }; dpcon@3 { num_priorities = <2>; };
		dpcon@4 { num_priorities = <2>; }; dpcon@5 { num_priorities = <2>; };
		dpmcp@1 { }; dpmcp@2 { }; dpmcp@3 { }; dpmcp@4 { };
		dpmcp@5 { }; dpmcp@6 { }; dpmcp@7 { }; dpmcp@8 { };
	};
	connections {
		connection@0 { endpoint1 = "dpni@0"; endpoint2 = "dpni@1"; };
		connection@1 { endpoint1 = "dpni@2"; endpoint2 = "dpmac@1"; };
	};
};
"#;

/// `rxq N TAG` prints the Rx frame counts of dpni.N's Rx FQs from dpaa2-eth's debugfs
/// `fq_stats` (rows "VFQID CPU TC Type Frames Pending"; FQs that never had a frame are
/// left out) as `lsemu-test: rxqN TAG FQID=FRAMES ...`.
/// Step 1 (host frames): eth2 (dpni.2) gets 10.0.2.1 and a static neighbour for the host
/// side, the Udp counters are printed, the host is told to send (a bad-checksum UDP
/// datagram, the same with its right checksum, then 16 UDP flows), and the script waits
/// until Udp NoPorts counts the 17 good ones. Step 2: two namespaces over eth0/eth1
/// (IPv4 and IPv6, DAD off), ping and ping6; 16 TCP flows (nc to closed ports: SYN,
/// RST) and one ICMP flow of 20 echo requests, with dpni.1's fq_stats after each.
const RXDIST_SCRIPT: &str = r#"for m in libphy fixed_phy fwnode_mdio of_mdio phylink pcs-lynx fsl-mc-dpio fsl-dpaa2-eth; do insmod /lib/$m.ko || echo "lsemu-test: insmod $m failed"; done
mount -t debugfs none /sys/kernel/debug
E0=$(ls /sys/bus/fsl-mc/devices/dpni.0/net); E1=$(ls /sys/bus/fsl-mc/devices/dpni.1/net); E2=$(ls /sys/bus/fsl-mc/devices/dpni.2/net)
rxq() { echo "lsemu-test: rxq$1 $2 $(awk '$4 == "Rx" { printf " %s=%s", $1, $5 }' /sys/kernel/debug/dpaa2-eth/dpni.$1/fq_stats)"; }
noports() { awk '/^Udp:/ { n++; if (n == 2) print $3 }' /proc/net/snmp; }
udp() { echo "lsemu-test: udp $1 $(awk '/^Udp:/ { n++; if (n == 2) print }' /proc/net/snmp)"; }
ip link set $E2 up
ip addr add 10.0.2.1/24 dev $E2
arp -s 10.0.2.9 02:00:00:00:00:09
udp before
rxq 2 before
echo "lsemu-test: csum-ready"
i=0; until [ "$(noports)" -ge 17 ] || [ $i -ge 300 ]; do sleep 0.1; i=$((i+1)); done
udp after
rxq 2 after
echo 0 > /proc/sys/net/ipv6/conf/$E0/accept_dad
ip link set $E0 up
ip addr add 10.0.0.1/24 dev $E0
ip -6 addr add fd00::1/64 dev $E0
unshare -n sleep 100000 &
NS=$!
sleep 0.5
ip link set $E1 netns $NS || echo "lsemu-test: netns move failed"
nsenter -t $NS -n sh -c "echo 0 > /proc/sys/net/ipv6/conf/$E1/accept_dad; ip link set lo up; ip link set $E1 up; ip addr add 10.0.0.2/24 dev $E1; ip -6 addr add fd00::2/64 dev $E1"
i=0; until ping -c 1 -W 1 10.0.0.2 > /dev/null || [ $i -ge 20 ]; do i=$((i+1)); done
ping -c 3 -W 2 10.0.0.2
ping6 -c 3 -W 2 fd00::2
rxq 1 start
for p in $(seq 5001 5016); do nc 10.0.0.2 $p < /dev/null 2> /dev/null; done
rxq 1 tcp
ping -q -c 20 -i 0.01 10.0.0.2
rxq 1 icmp
grep dpio /proc/interrupts
dmesg | grep -iE "fsl-mc|fsl_mc|dpio|dpaa2|smmu" | grep -iE "error|fail|fault|unable|unrecognised" || echo "lsemu-test: dmesg clean"
echo "lsemu-test: done"
"#;

/// RFC 1071 checksum of `data` plus `acc`.
fn inet_csum(data: &[u8], mut acc: u32) -> u16 {
    for c in data.chunks(2) {
        acc += u32::from(c[0]) << 8 | u32::from(*c.get(1).unwrap_or(&0));
    }
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// An Ethernet/IPv4/UDP frame from the host side (02:00:00:00:00:09, 10.0.2.9:`sport`)
/// to dpni.2 (00:04:9f:00:00:03, 10.0.2.1:7777) carrying `payload`, its UDP checksum
/// flipped in one bit when `corrupt`.
fn host_udp_frame(sport: u16, payload: &[u8], corrupt: bool) -> Vec<u8> {
    let (src, dst) = ([10u8, 0, 2, 9], [10u8, 0, 2, 1]);
    let ulen = 8 + payload.len();
    let mut udp = vec![(sport >> 8) as u8, sport as u8, 0x1e, 0x61, (ulen >> 8) as u8, ulen as u8, 0, 0];
    udp.extend_from_slice(payload);
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&src);
    pseudo.extend_from_slice(&dst);
    pseudo.extend_from_slice(&[0, 17, (ulen >> 8) as u8, ulen as u8]);
    pseudo.extend_from_slice(&udp);
    let c = inet_csum(&pseudo, 0) ^ if corrupt { 0x0100 } else { 0 };
    udp[6..8].copy_from_slice(&c.to_be_bytes());
    let tot = 20 + ulen;
    let mut ip = vec![0x45, 0, (tot >> 8) as u8, tot as u8, 0, 1, 0x40, 0, 64, 17, 0, 0];
    ip.extend_from_slice(&src);
    ip.extend_from_slice(&dst);
    let c = inet_csum(&ip, 0);
    ip[10..12].copy_from_slice(&c.to_be_bytes());
    let mut f = vec![0x00, 0x04, 0x9f, 0x00, 0x00, 0x03, 0x02, 0, 0, 0, 0, 0x09, 0x08, 0x00];
    f.extend_from_slice(&ip);
    f.extend_from_slice(&udp);
    f
}

/// The numbers after `lsemu-test: TAG ` on the console.
fn numbers(log: &str, tag: &str) -> Vec<u64> {
    let line = log.lines().find_map(|l| l.strip_prefix(&format!("lsemu-test: {tag} "))).unwrap_or_else(|| panic!("console lacks 'lsemu-test: {tag}'"));
    line.split_whitespace().filter_map(|w| w.parse().ok()).collect()
}

/// Rx traffic distribution, Rx checksum annotation and multicast filters with the
/// unmodified dpaa2-eth on `--smp 2` (two Rx queues per DPNI, so dpaa2-eth configures
/// its default hash key, DPAA2_RXH_DEFAULT, through SET_RX_HASH_DIST and a DMA-read key
/// profile). Oracles, all from the guest kernel or the host:
/// - dpaa2-eth's debugfs fq_stats of dpni.1: TCP and UDP flows to many ports reach both
///   Rx queues; the 20 echo requests of one ICMP flow all land on one queue;
/// - IPv6 ping between the namespaces (neighbour discovery needs the solicited-node
///   multicast addresses dpaa2-eth adds to the DPNI's MAC filter);
/// - a UDP frame with a wrong checksum sent by the host to dpni.2 through the UDP
///   backend: the DPNI flags it (L4CE), and Linux's SET_ERRORS_BEHAVIOR (DISCARD on
///   DPAA2_FAS_RX_ERR_MASK) has it dropped before the stack — /proc/net/snmp shows no
///   Udp InCsumErrors/InErrors — while the same frame with its right checksum reaches
///   the stack (Udp NoPorts + 1: nothing listens on 7777) and the host receives the
///   kernel's ICMP port unreachable quoting it, and nothing for the bad one.
#[test]
fn dpaa2_eth_rx_distribution_checksums_and_ipv6() {
    let host = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let guest_port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let hp = host.local_addr().unwrap().port();
    let Some(mut cmd) = lsemu_cmd("dpaa2_rxdist", DPL_RXDIST, RXDIST_SCRIPT) else {
        return;
    };
    cmd.arg("--net").arg(format!("dpmac.1=udp:127.0.0.1:{guest_port},127.0.0.1:{hp}"));
    let t0 = std::time::Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("run lsemu");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        use std::io::BufRead;
        let mut all = String::new();
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("lsemu-test: csum-ready") {
                let _ = tx.send(line.clone());
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    // Wait for the guest, then send the bad frame and the good one, in that order.
    let ready = rx.recv_timeout(std::time::Duration::from_secs(300)).is_ok();
    let mut icmp = Vec::new();
    if ready {
        let to = format!("127.0.0.1:{guest_port}");
        host.send_to(&host_udp_frame(4444, b"BAD\n", true), &to).unwrap();
        host.send_to(&host_udp_frame(4444, b"GOOD\n", false), &to).unwrap();
        // 16 UDP flows (source ports 5000-5015) for the Rx distribution of dpni.2.
        for p in 5000..5016 {
            host.send_to(&host_udp_frame(p, b"flow\n", false), &to).unwrap();
        }
        // Collect what the guest sends back for a while: ICMP (IPv4 protocol 1).
        host.set_read_timeout(Some(std::time::Duration::from_millis(200))).unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let mut buf = [0u8; 2048];
        while std::time::Instant::now() < until && !icmp.iter().any(|m: &Vec<u8>| m.windows(4).any(|w| w == b"GOOD")) {
            if let Ok((n, _)) = host.recv_from(&mut buf) {
                let f = &buf[..n];
                if n > 34 && f[12..14] == [0x08, 0x00] && f[23] == 1 {
                    icmp.push(f.to_vec());
                }
            }
        }
    }
    let out = child.wait_with_output().expect("lsemu");
    let mut log = reader.join().unwrap();
    log.push_str(&String::from_utf8_lossy(&out.stderr));
    println!("{log}");
    eprintln!("dpaa2 rx distribution: {:.1} s wall", t0.elapsed().as_secs_f64());
    assert!(ready, "the guest never got to the checksum step");
    assert_eq!(out.status.code(), Some(0), "lsemu exit code");
    assert_clean(&log);
    for want in [
        "3 packets transmitted, 3 packets received, 0% packet loss\nround-trip",
        "--- fd00::2 ping statistics ---\n3 packets transmitted, 3 packets received, 0% packet loss",
        "20 packets transmitted, 20 packets received, 0% packet loss",
        "lsemu-test: done",
    ] {
        assert!(log.contains(want), "console lacks {want:?}");
    }
    // Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors
    // InCsumErrors IgnoredMulti MemErrors (the values row of /proc/net/snmp).
    let (b, a) = (numbers(&log, "udp before"), numbers(&log, "udp after"));
    assert_eq!(a[1] - b[1], 17, "the good datagrams reached UDP (NoPorts)");
    assert_eq!((a[2] - b[2], a[6] - b[6]), (0, 0), "the bad datagram reached the stack (InErrors, InCsumErrors)");
    // The host got the kernel's port unreachables (ICMP type 3 code 3, quoting the IP
    // header and the start of the datagram): one for the good datagram, none for the bad.
    assert!(!icmp.is_empty(), "no ICMP from the guest");
    assert!(icmp.iter().all(|m| (m[34], m[35]) == (3, 3)), "ICMP type/code");
    assert!(icmp.iter().any(|m| m.windows(4).any(|w| w == b"GOOD")), "no port unreachable for the good datagram");
    assert!(!icmp.iter().any(|m| m.windows(3).any(|w| w == b"BAD")), "the bad datagram was answered");
    // Distribution: fq_stats Rx frame counts (FQID=frames) of the two Rx FQs of each DPNI.
    let fqs = |tag: &str| -> std::collections::BTreeMap<u64, u64> {
        let line = log.lines().find_map(|l| l.strip_prefix(&format!("lsemu-test: {tag}"))).unwrap_or_else(|| panic!("console lacks {tag}"));
        line.split_whitespace().filter_map(|w| w.split_once('=')).filter_map(|(q, n)| Some((q.parse().ok()?, n.parse().ok()?))).collect()
    };
    let d = |x: &std::collections::BTreeMap<u64, u64>, y: &std::collections::BTreeMap<u64, u64>, all: &std::collections::BTreeMap<u64, u64>| -> Vec<u64> {
        all.keys().map(|q| y.get(q).copied().unwrap_or(0) - x.get(q).copied().unwrap_or(0)).collect()
    };
    let (b2, a2) = (fqs("rxq2 before"), fqs("rxq2 after"));
    let (s, t, i) = (fqs("rxq1 start"), fqs("rxq1 tcp"), fqs("rxq1 icmp"));
    let du = d(&b2, &a2, &a2);
    let (dt, di) = (d(&s, &t, &i), d(&t, &i, &i));
    eprintln!("Rx frames per queue: 17 UDP flows from the host on dpni.2 {du:?}, 16 TCP flows on dpni.1 {dt:?}, one ICMP flow on dpni.1 {di:?}");
    assert_eq!((du.len(), dt.len()), (2, 2), "two Rx FQs");
    assert!(du[0] > 0 && du[1] > 0 && du[0] + du[1] == 17, "UDP flows on dpni.2's queues: {du:?}");
    assert!(dt[0] > 0 && dt[1] > 0, "16 TCP flows all on one queue: {dt:?}");
    assert!(di.contains(&20) && di.contains(&0), "one ICMP flow spread over queues: {di:?}");
}
