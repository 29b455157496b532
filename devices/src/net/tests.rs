//! Network backend tests. The oracles are the host's: plain std sockets on the other end
//! of the UDP/Unix links, tcpdump reading the pcap files, an AF_PACKET socket on the TAP
//! interface; expected bytes are the frames the test itself builds.

use super::*;
use std::net::{SocketAddr, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A broadcast frame with the local-experimental EtherType 0x88b5 and `payload`.
fn frame(payload: &[u8]) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x02, 0x00, 0x00, 0x00, 0x00, 0x01]); // locally administered source
    f.extend_from_slice(&[0x88, 0xb5]);
    f.extend_from_slice(payload);
    f
}

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("lsemu-net-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Polls `f` until it gives a value; the bound only keeps a broken test from hanging.
fn poll<T>(mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if let Some(v) = f() {
            return Some(v);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    None
}

#[test]
fn net_spec_errors_are_one_line() {
    let cases: &[(&str, &str)] = &[
        ("dpmac.1", "expected ENDPOINT=BACKEND"),
        ("eth0=none", "dpmac.N or dpni.N"),
        ("dpmac.x=none", "dpmac.N or dpni.N"),
        ("dpmac.1=frob:x", "unknown backend 'frob'"),
        ("dpmac.1=udp:127.0.0.1:5000", "expected udp:LOCAL_ADDR:PORT,REMOTE_ADDR:PORT"),
        ("dpmac.1=udp:nonsense,127.0.0.1:5001", "bad address 'nonsense'"),
        ("dpmac.1=unix:/tmp/only-one", "expected unix:LOCAL_PATH,REMOTE_PATH"),
        ("dpmac.1=pcap:", "expected pcap:FILE"),
        ("dpmac.1=pcap:/nonexistent-dir/x.pcap", "cannot create /nonexistent-dir/x.pcap"),
        ("dpmac.1=none,pcap=", "expected pcap=FILE"),
        ("dpmac.1=tap:", "bad interface name"),
        ("dpmac.1=tap:averyveryverylongname", "bad interface name"),
        ("dpmac.1=none:x", "takes no argument"),
    ];
    for (spec, needle) in cases {
        let e = match parse_netdev(spec) {
            Ok(_) => panic!("{spec} accepted"),
            Err(e) => e.to_string(),
        };
        assert!(e.contains(needle), "{spec}: {e}");
        assert!(!e.contains('\n'), "{spec}: {e}");
    }
    let twice = parse_all(&["dpni.0=none".into(), "dpni.0=null".into()]).err().map(|e| e.to_string());
    assert_eq!(twice.as_deref(), Some("--net: dpni.0 is given a backend twice"));
}

#[test]
fn net_unix_socket_refuses_a_non_socket_file() {
    let d = tmpdir("notsock");
    let f = d.join("plain");
    std::fs::write(&f, b"keep me").unwrap();
    let spec = format!("dpmac.1=unix:{},{}", f.display(), d.join("peer").display());
    let e = parse_netdev(&spec).err().expect("a plain file must not be replaced").to_string();
    assert!(e.contains("exists and is not a socket"), "{e}");
    assert_eq!(std::fs::read(&f).unwrap(), b"keep me");
}

#[test]
fn net_endpoints_are_checked_against_the_layout() {
    let l = crate::fslmc::dpl::default_layout();
    // The built-in DPL: two DPNIs, each connected to a DPMAC (README / dpl.rs).
    let first_mac = l.objects.iter().find(|o| o.ty == ObjType::Dpmac).expect("default DPL has a DPMAC");
    check_endpoint(&l, &format!("dpmac.{}", first_mac.id)).unwrap();
    let e = check_endpoint(&l, "dpmac.99").unwrap_err().to_string();
    assert!(e.contains("no dpmac.99 in the data-path layout"), "{e}");
    assert!(e.contains(&format!("dpmac.{}", first_mac.id)), "{e}");
}

#[test]
fn net_udp_pair_exchanges_frames_both_ways() {
    // The peer is a plain socket bound first, so the backend's remote is known.
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let spec = format!("dpmac.1=udp:127.0.0.1:0,{peer_addr}");
    let (ep, mut b) = parse_netdev(&spec).unwrap();
    assert_eq!(ep, "dpmac.1");
    assert!(b.describe().starts_with("udp 127.0.0.1:"), "{}", b.describe());
    let local: SocketAddr = b.describe().split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(b.recv().is_none(), "nothing sent yet");

    // Backend → peer: one datagram per frame, the frame's bytes exactly, in order.
    let frames = [frame(b"first"), frame(&[0x5a; 1500]), frame(&(0..=255u8).cycle().take(9000).collect::<Vec<_>>())];
    for f in &frames {
        b.send(f);
    }
    peer.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = vec![0u8; 70000];
    for f in &frames {
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(from, local);
        assert_eq!(&buf[..n], &f[..]);
    }
    // Frame size limits: nothing leaves for a 13-byte or a 65536-byte frame.
    b.send(&[0u8; 13]);
    b.send(&vec![0u8; 65536]);
    b.send(&frame(b"after"));
    let (n, _) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], &frame(b"after")[..]);

    // Peer → backend.
    for f in &frames {
        peer.send_to(f, local).unwrap();
    }
    for f in &frames {
        let got = poll(|| b.recv()).expect("frame from the peer");
        assert_eq!(got, *f);
    }
    // A datagram from a stranger is not a frame of this link; a runt from the peer is dropped.
    let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
    stranger.send_to(&frame(b"stranger"), local).unwrap();
    peer.send_to(&[1, 2, 3], local).unwrap();
    peer.send_to(&frame(b"last"), local).unwrap();
    assert_eq!(poll(|| b.recv()).unwrap(), frame(b"last"));
    let s = b.stats();
    assert_eq!((s.tx_frames, s.rx_frames), (4, 4));
    assert_eq!((s.tx_dropped, s.rx_dropped), (2, 2));
    // Bytes: 14-byte header + payloads 5, 1500, 9000, 5 sent; the same three + "last" (4) received.
    assert_eq!((s.tx_bytes, s.rx_bytes), (4 * 14 + 5 + 1500 + 9000 + 5, 4 * 14 + 5 + 1500 + 9000 + 4));
    let all = describe_all(&[("dpmac.1".into(), b)]);
    assert!(all.starts_with("dpmac.1: udp 127.0.0.1:"), "{all}");
    assert!(all.ends_with("tx 4 frames 10566 bytes, 2 dropped; rx 4 frames 10565 bytes, 2 dropped\n"), "{all}");
}

#[test]
fn net_unix_pair_exchanges_frames_both_ways() {
    let d = tmpdir("unix");
    let (ours, theirs) = (d.join("lsemu.sock"), d.join("peer.sock"));
    // A stale socket file from an earlier run is replaced.
    drop(std::os::unix::net::UnixListener::bind(&ours).unwrap());
    assert!(ours.exists());
    let peer = UnixDatagram::bind(&theirs).unwrap();
    let (_, mut b) = parse_netdev(&format!("dpni.0=unix:{},{}", ours.display(), theirs.display())).unwrap();

    let frames = [frame(b"one"), frame(&[0xa5; 1514]), frame(&[7; 60000])];
    for f in &frames {
        b.send(f);
    }
    peer.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = vec![0u8; 70000];
    for f in &frames {
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(from.as_pathname(), Some(ours.as_path()));
        assert_eq!(&buf[..n], &f[..]);
    }
    for f in frames.iter().rev() {
        peer.send_to(f, &ours).unwrap();
    }
    for f in frames.iter().rev() {
        assert_eq!(poll(|| b.recv()).expect("frame from the peer"), *f);
    }
    assert!(b.recv().is_none());
    drop(b);
    assert!(!ours.exists(), "the socket file goes with the backend");
    // A peer that is not there: the frame is dropped and counted, nothing blocks.
    let (_, mut lone) = parse_netdev(&format!("dpni.0=unix:{},{}", ours.display(), d.join("absent").display())).unwrap();
    lone.send(&frame(b"x"));
    assert_eq!(lone.stats().tx_dropped, 1);
}

/// The frames of `tcpdump -r FILE -xx -n -tt`: (timestamp text, bytes) per packet.
fn tcpdump(file: &std::path::Path) -> Option<Vec<(String, Vec<u8>)>> {
    let out = match std::process::Command::new("tcpdump").args(["-r"]).arg(file).args(["-xx", "-n", "-tt"]).output() {
        Ok(o) => o,
        Err(e) => {
            assert!(std::env::var_os("CI").is_none(), "tcpdump is needed in CI (scripts/test-all.sh installs it): {e}");
            eprintln!("skipped: tcpdump not found ({e}); install tcpdump to run this test");
            return None;
        }
    };
    assert!(out.status.success(), "tcpdump failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut v: Vec<(String, Vec<u8>)> = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let t = line.trim_start();
        if let Some(hex) = t.strip_prefix("0x").and_then(|r| r.split_once(':')).map(|(_, h)| h) {
            let p = v.last_mut().expect("hex before a packet line");
            for g in hex.split_whitespace() {
                let mut i = 0;
                while i + 2 <= g.len() {
                    p.1.push(u8::from_str_radix(&g[i..i + 2], 16).unwrap());
                    i += 2;
                }
            }
        } else if !t.is_empty() {
            v.push((t.split_whitespace().next().unwrap().to_string(), Vec::new()));
        }
    }
    Some(v)
}

#[test]
fn net_pcap_file_reads_back_with_tcpdump() {
    let d = tmpdir("pcap");
    let p = d.join("out.pcap");
    let (_, mut b) = parse_netdev(&format!("dpmac.2=pcap:{}", p.display())).unwrap();
    let frames = [frame(b"hello"), frame(&[0xee; 1500]), frame(&(0..=255u8).cycle().take(65535 - 14).collect::<Vec<_>>())];
    for f in &frames {
        b.send(f);
    }
    b.send(&[0; 10]); // a runt: not written
    assert!(b.recv().is_none(), "a pcap file delivers nothing");
    // From here the machine gives its virtual time: 1.5 s, then 2 s + 3 µs.
    b.set_time_ns(1_500_000_000);
    b.send(&frames[0]);
    b.set_time_ns(2_000_003_999);
    b.send(&frames[1]);
    drop(b);
    let Some(pk) = tcpdump(&p) else { return };
    assert_eq!(pk.len(), 5);
    // Before any virtual time: the frame index as microseconds.
    let ts: Vec<&str> = pk.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(ts, ["0.000000", "0.000001", "0.000002", "1.500000", "2.000003"]);
    for (i, want) in frames.iter().chain(&frames[..2]).enumerate() {
        assert_eq!(pk[i].1.len(), want.len(), "packet {i} length");
        assert!(pk[i].1 == *want, "packet {i} bytes differ");
    }
    // Same inputs, same file.
    let q = d.join("again.pcap");
    let (_, mut b2) = parse_netdev(&format!("dpmac.2=pcap:{}", q.display())).unwrap();
    for f in &frames {
        b2.send(f);
    }
    b2.send(&[0; 10]);
    b2.set_time_ns(1_500_000_000);
    b2.send(&frames[0]);
    b2.set_time_ns(2_000_003_999);
    b2.send(&frames[1]);
    drop(b2);
    assert!(std::fs::read(&p).unwrap() == std::fs::read(&q).unwrap());
}

#[test]
fn net_capture_records_both_directions() {
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let d = tmpdir("tee");
    let p = d.join("both.pcap");
    let (_, mut b) = parse_netdev(&format!("dpmac.1=udp:127.0.0.1:0,{},pcap={}", peer.local_addr().unwrap(), p.display())).unwrap();
    assert!(b.describe().contains("captured to"), "{}", b.describe());
    let local: SocketAddr = b.describe().split_whitespace().nth(1).unwrap().parse().unwrap();
    let out = frame(b"guest to host");
    let inn = frame(b"host to guest");
    b.send(&out);
    b.send(&[0; 13]); // runts are not captured, in either direction
    peer.send_to(&[1; 13], local).unwrap();
    peer.send_to(&inn, local).unwrap();
    assert_eq!(poll(|| b.recv()).unwrap(), inn);
    peer.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = [0u8; 100];
    let (n, _) = peer.recv_from(&mut buf).unwrap();
    assert_eq!(&buf[..n], &out[..]);
    drop(b);
    let Some(pk) = tcpdump(&p) else { return };
    let got: Vec<&[u8]> = pk.iter().map(|(_, f)| f.as_slice()).collect();
    assert_eq!(got, [&out[..], &inn[..]]);
}

/// An AF_PACKET socket on one interface: the host side of the TAP test.
struct Packet(std::os::fd::OwnedFd, i32);

impl Packet {
    fn open(ifname: &str) -> Packet {
        use std::os::fd::{AsRawFd, FromRawFd};
        let proto = (libc::ETH_P_ALL as u16).to_be();
        // SAFETY: plain socket/bind/setsockopt calls with valid, sized arguments.
        unsafe {
            let fd = libc::socket(libc::AF_PACKET, libc::SOCK_RAW, proto as i32);
            assert!(fd >= 0, "AF_PACKET socket: {}", std::io::Error::last_os_error());
            let fd = std::os::fd::OwnedFd::from_raw_fd(fd);
            let name = std::ffi::CString::new(ifname).unwrap();
            let idx = libc::if_nametoindex(name.as_ptr()) as i32;
            assert!(idx > 0, "no interface {ifname}");
            let mut sll: libc::sockaddr_ll = std::mem::zeroed();
            sll.sll_family = libc::AF_PACKET as u16;
            sll.sll_protocol = proto;
            sll.sll_ifindex = idx;
            let r = libc::bind(fd.as_raw_fd(), &sll as *const _ as *const libc::sockaddr, std::mem::size_of::<libc::sockaddr_ll>() as u32);
            assert_eq!(r, 0, "bind: {}", std::io::Error::last_os_error());
            let tv = libc::timeval { tv_sec: 0, tv_usec: 100_000 };
            libc::setsockopt(fd.as_raw_fd(), libc::SOL_SOCKET, libc::SO_RCVTIMEO, &tv as *const _ as *const libc::c_void, std::mem::size_of::<libc::timeval>() as u32);
            Packet(fd, idx)
        }
    }

    fn send(&self, f: &[u8]) {
        use std::os::fd::AsRawFd;
        // SAFETY: `f` is a valid buffer of its length.
        let n = unsafe { libc::send(self.0.as_raw_fd(), f.as_ptr() as *const libc::c_void, f.len(), 0) };
        assert_eq!(n, f.len() as isize, "send: {}", std::io::Error::last_os_error());
    }

    /// The next frame the interface received (not one it sent), or None after the timeout.
    fn recv_incoming(&self) -> Option<Vec<u8>> {
        use std::os::fd::AsRawFd;
        let mut buf = vec![0u8; 70000];
        // SAFETY: valid buffers of the given sizes.
        unsafe {
            let mut sll: libc::sockaddr_ll = std::mem::zeroed();
            let mut len = std::mem::size_of::<libc::sockaddr_ll>() as u32;
            let n = libc::recvfrom(self.0.as_raw_fd(), buf.as_mut_ptr() as *mut libc::c_void, buf.len(), 0, &mut sll as *mut _ as *mut libc::sockaddr, &mut len);
            if n < 0 || sll.sll_pkttype == libc::PACKET_OUTGOING as u8 {
                return None;
            }
            buf.truncate(n as usize);
            Some(buf)
        }
    }
}

#[test]
fn net_tap_passes_frames_both_ways() {
    let root = std::process::Command::new("id").arg("-u").output().map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0").unwrap_or(false);
    if !root {
        eprintln!("skipped: the TAP test needs root (CAP_NET_ADMIN) to create a TAP device");
        return;
    }
    let name = format!("lsemut{}", std::process::id() % 100_000);
    let mut b = match parse_netdev(&format!("dpmac.1=tap:{name}")) {
        Ok((_, b)) => b,
        // Root in a container without the device or CAP_NET_ADMIN: nothing to test with.
        Err(e) if e.to_string().contains("does not exist") || e.to_string().contains("permission denied") => {
            eprintln!("skipped: {e}");
            return;
        }
        Err(e) => panic!("{e}"),
    };
    assert_eq!(b.describe(), format!("tap {name}"));
    // The kernel refuses a second single-queue attachment to the same TAP (EBUSY).
    let e = parse_netdev(&format!("dpmac.2=tap:{name}")).err().expect("second open of a busy tap").to_string();
    assert!(e.contains("is in use by another program"), "{e}");
    // No IPv6 chatter (router solicitations...) from the host on the test interface.
    let _ = std::process::Command::new("sysctl").arg("-qw").arg(format!("net.ipv6.conf.{name}.disable_ipv6=1")).status();
    // While the interface is down the kernel refuses the frame (EIO): dropped, counted.
    b.send(&frame(b"while down"));
    assert_eq!(b.stats().tx_dropped, 1);
    let st = std::process::Command::new("ip").args(["link", "set", &name, "up"]).status().expect("ip");
    assert!(st.success(), "ip link set {name} up");
    let host = Packet::open(&name);

    // Host → guest: a frame the host transmits on the interface comes out of the TAP file.
    let to_guest = frame(b"from the host side of the tap");
    host.send(&to_guest);
    let got = poll(|| loop {
        match b.recv() {
            Some(f) if f == to_guest => return Some(f),
            Some(_) => continue, // other host traffic on the interface
            None => return None,
        }
    });
    assert_eq!(got, Some(to_guest));

    // Guest → host: a frame the backend writes is received by the interface.
    let to_host = frame(b"from the emulated MAC");
    b.send(&to_host);
    let end = Instant::now() + Duration::from_secs(10);
    let mut seen = false;
    while Instant::now() < end && !seen {
        seen = host.recv_incoming().is_some_and(|f| f == to_host);
    }
    assert!(seen, "the host did not receive the frame (interface index {})", host.1);
    assert_eq!(b.stats().tx_dropped, 1, "only the frame sent while down");
}
