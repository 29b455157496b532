//! DPNI Rx classification tests: hash distribution and flow steering from the key
//! profile the MC reads by DMA, the Rx frame annotation and errors behaviour, MAC
//! filters. Command ids and layouts: Linux 6.1 dpni-cmd.h / dpni.c (DPNI_CMDID_* =
//! number << 4 | version 1), dpaa2-eth.h (FAS bits, DPAA2_FAS_RX_ERR_MASK); the profile
//! bytes as dpni_prepare_key_cfg writes them (keygen::tests::linux_profile).

use super::cmd::{self, header, status, Params};
use super::dpni::{self as dp, DataPlane};
use super::keygen::tests::{linux_profile, udp_frame, LINUX_DEFAULT};
use super::tests::{linux_dpni_setup, ram, send, FakeQb, Ram};
use super::*;

/// dpni.0 ↔ dpni.1 back to back, four Rx queues each (one per CPU of a 4-core guest).
const DPL4: &str = r#"/dts-v1/;
/ {
	dpl-version = <10>;
	containers {
		dprc@1 {
			compatible = "fsl,dprc";
			parent = "none";
			options = "DPRC_CFG_OPT_ALLOC_ALLOWED", "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj_set@dpni { type = "dpni"; ids = <0 1>; };
				obj_set@dpio { type = "dpio"; ids = <0 1>; };
				obj_set@dpbp { type = "dpbp"; ids = <0 1>; };
				obj_set@dpcon { type = "dpcon"; ids = <0 1>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <1 2>; };
			};
		};
	};
	objects {
		dpni@0 { num_queues = <4>; num_tcs = <1>; mac_addr = <0x00 0x04 0x9f 0x00 0x00 0x01>; };
		dpni@1 { num_queues = <4>; num_tcs = <1>; mac_addr = <0x00 0x04 0x9f 0x00 0x00 0x02>; };
		dpio@0 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@1 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpbp@0 { }; dpbp@1 { };
		dpcon@0 { num_priorities = <2>; }; dpcon@1 { num_priorities = <2>; };
		dpmcp@1 { }; dpmcp@2 { };
	};
	connections {
		connection@0 { endpoint1 = "dpni@0"; endpoint2 = "dpni@1"; };
	};
};
"#;

/// Guest RAM offsets used below (RAM is 64 KiB at 0x8000_0000).
const PROFILE_AT: u64 = 0x8000_0100;
const KEY_AT: u64 = 0x8000_0400;

/// DPAA2_FAS_RX_ERR_MASK (dpaa2-eth.h): KSE | EOFHE | MNLE | TIDE | PIEE | FLE | FPE |
/// PTE | ISP | PHE | BLE | L3CE | L4CE.
const RX_ERR_MASK: u64 = 0x40000 | 0x20000 | 0x10000 | 0x8000 | 0x4000 | 0x2000 | 0x1000 | 0x80 | 0x40 | 0x20 | 0x10 | 0x4 | 0x1;

/// A command whose DMA reads go to `m` (Mc::command_with_dma); returns its status.
fn send_dma(mc: &mut Mc, m: &mut Ram, id: u16, token: u16, params: &[(usize, u64, usize)]) -> u8 {
    let mut p = Params::default();
    for &(off, v, width) in params {
        match width {
            1 => p.set_u8(off, v as u8),
            2 => p.set_u16(off, v as u16),
            4 => p.set_u32(off, v as u32),
            _ => p.set_u64(off, v),
        }
    }
    let words: [u64; 7] = std::array::from_fn(|i| p.word(i));
    cmd::hdr_status(mc.command_with_dma(0, header(id, token), words, m).0)
}

/// dpni.0 and dpni.1 set up as Linux does, both enabled, dpni.1's Rx FQIDs of flows
/// 0..3 (GET_QUEUE RX, tc 0, index i → fqid at 32), its token, four Rx buffers per call
/// to `refill`.
struct Rig {
    mc: Mc,
    qb: FakeQb,
    m: Ram,
    t1: u16,
    rx: [u32; 4],
    next_buf: u64,
}

impl Rig {
    fn new() -> Rig {
        let mut mc = Mc::new(dpl::load(DPL4.as_bytes()).expect("DPL"));
        let (t0, _, _, _) = linux_dpni_setup(&mut mc, 0, 0, 0);
        let (t1, _, _, _) = linux_dpni_setup(&mut mc, 1, 1, 1);
        let rx: [u32; 4] = std::array::from_fn(|i| send(&mut mc, 0, 0x25F1, t1, &[(0, 0, 1), (2, i as u64, 1)]).2.u32(32));
        // SET_OFFLOAD 0x26C1 RX_L3_CSUM (type 0) and RX_L4_CSUM (1) on, as NETIF_F_RXCSUM.
        for ty in [0, 1] {
            assert_eq!(send(&mut mc, 0, 0x26C1, t1, &[(3, ty, 1), (4, 1, 4)]).0, status::OK);
        }
        for t in [t0, t1] {
            assert_eq!(send(&mut mc, 0, 0x0021, t, &[]).0, status::OK);
        }
        let mut r = Rig { mc, qb: FakeQb::default(), m: ram(), t1, rx, next_buf: 0x8000_1000 };
        r.pump();
        r
    }
    fn pump(&mut self) {
        self.mc.pump_with(&mut self.qb, &mut self.m);
    }
    /// Receives `f` on dpni.1: which Rx flow got it (None: dropped), with its FD.
    fn rx(&mut self, f: &[u8]) -> Option<(usize, dp::Fd)> {
        // A fresh 4 KiB buffer each time (bpid 1 = dpbp.1), recycled over 0x1000-0xf000.
        self.qb.bp_release(1, self.next_buf);
        self.next_buf = if self.next_buf >= 0x8000_e000 { 0x8000_1000 } else { self.next_buf + 0x1000 };
        self.mc.inject_rx(1, f.to_vec());
        self.pump();
        let got = (0..4).find_map(|i| self.qb.dequeue(self.rx[i]).map(|fd| (i, fd)));
        // An unused buffer goes back (it stays in the pool otherwise).
        let _ = self.qb.bp_acquire(1);
        got
    }
    fn discarded(&mut self) -> u64 {
        // GET_STATISTICS 0x25D1 page 2: ingress filtered (0), discarded (8), no buffer (16).
        send(&mut self.mc, 0, 0x25D1, self.t1, &[(0, 2, 1)]).2.u64(8)
    }
}

/// `udp_frame` (addressed to dpni.1's MAC) from source port `sport` to `dport`, with its
/// checksums regenerated (the Tx checksum generator, itself checked against RFC 1071).
fn flow(sport: u16, dport: u16) -> Vec<u8> {
    let mut f = udp_frame();
    f[34..36].copy_from_slice(&sport.to_be_bytes());
    f[36..38].copy_from_slice(&dport.to_be_bytes());
    dp::tx_checksum(&mut f, true, true);
    f
}

/// SET_RX_HASH_DIST 0x2741 (dpni_cmd_set_rx_hash_dist): dist_size 0-1, enable byte 2,
/// tc 3, key_cfg_iova 8-15.
fn hash_dist(size: u16, enable: bool, iova: u64) -> Vec<(usize, u64, usize)> {
    vec![(0, size as u64, 2), (2, enable as u64, 1), (3, 0, 1), (8, iova, 8)]
}

#[test]
fn hash_distribution_spreads_flows_and_keeps_each_on_one_queue() {
    let mut r = Rig::new();
    // Before any distribution: everything on flow 0.
    for s in 0..8 {
        assert_eq!(r.rx(&flow(1000 + s, 53)).map(|x| x.0), Some(0));
    }
    // Linux's default hash key, posted through the MMIO portal as dpaa2-eth does: the
    // command waits (status READY) until the MC has read the profile by DMA at the next
    // pump, then completes OK.
    r.m.mem.data[0x100..0x200].copy_from_slice(&linux_profile(&LINUX_DEFAULT));
    let words = [4u64 | 1 << 16, PROFILE_AT, 0, 0, 0, 0, 0];
    for (i, w) in words.iter().enumerate() {
        r.mc.portal_write(8 + 8 * i as u64, Size::B8, *w).unwrap();
    }
    r.mc.portal_write(0, Size::B8, header(0x2741, r.t1)).unwrap();
    assert_eq!(cmd::hdr_status(r.mc.portal_read(0, Size::B8).unwrap()), status::READY);
    r.pump();
    assert_eq!(cmd::hdr_status(r.mc.portal_read(0, Size::B8).unwrap()), status::OK);
    // The profile was read with the DPNI container's ICID (23).
    assert!(r.m.icids.iter().all(|&i| i == 23));
    // 64 UDP flows (source ports 1000..1063): each one twice, on the same queue both
    // times; all four queues used.
    let mut per_queue = [0u32; 4];
    for s in 0..64 {
        let a = r.rx(&flow(1000 + s, 53)).expect("received").0;
        let b = r.rx(&flow(1000 + s, 53)).expect("received").0;
        assert_eq!(a, b, "flow {s} moved between queues");
        per_queue[a] += 1;
    }
    assert!(per_queue.iter().all(|&n| n > 0), "queues used: {per_queue:?}");
    // The hash key has no payload byte: a different payload stays on the flow's queue.
    let q = r.rx(&flow(1005, 53)).unwrap().0;
    let mut g = flow(1005, 53);
    g[42] = b'z';
    dp::tx_checksum(&mut g, true, true);
    assert_eq!(r.rx(&g).unwrap().0, q);
    // Disabled again (enable 0): back to flow 0.
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2741, r.t1, &hash_dist(0, false, 0)), status::OK);
    for s in 0..8 {
        assert_eq!(r.rx(&flow(1000 + s, 53)).map(|x| x.0), Some(0));
    }
}

#[test]
fn hash_distribution_errors() {
    let mut r = Rig::new();
    let t = r.t1;
    r.m.mem.data[0x100..0x200].copy_from_slice(&linux_profile(&LINUX_DEFAULT));
    // Key configuration outside guest memory: DMA_ERR (0x5).
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2741, t, &hash_dist(4, true, 0x1000)), status::DMA_ERR);
    // dist_size 0 or more than num_queues (4): CONFIG_ERR, without reading memory.
    r.m.icids.clear();
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2741, t, &hash_dist(5, true, PROFILE_AT)), status::CONFIG_ERR);
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2741, t, &hash_dist(0, true, PROFILE_AT)), status::CONFIG_ERR);
    assert!(r.m.icids.is_empty());
    // Traffic class 1 of a one-TC DPNI: CONFIG_ERR.
    let mut p = hash_dist(4, true, PROFILE_AT);
    p[2] = (3, 1, 1);
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2741, t, &p), status::CONFIG_ERR);
    // A profile with 11 extractions: CONFIG_ERR.
    r.m.mem.data[0x100] = 11;
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2741, t, &hash_dist(4, true, PROFILE_AT)), status::CONFIG_ERR);
    // Nothing changed: flow 0 for all.
    for s in 0..4 {
        assert_eq!(r.rx(&flow(2000 + s, 53)).map(|x| x.0), Some(0));
    }
    // The legacy SET_RX_TC_DIST 0x2351 (DPNI < 7.5): dist_size 0-1, tc 2, dist_mode
    // HASH (1) in byte 3, key_cfg_iova in word 6 (byte 48).
    r.m.mem.data[0x100] = 5;
    let p = [(0, 4, 2), (2, 0, 1), (3, 1, 1), (48, PROFILE_AT, 8)];
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2351, t, &p), status::OK);
    let used: std::collections::BTreeSet<usize> = (0..32).map(|s| r.rx(&flow(3000 + s, 53)).unwrap().0).collect();
    assert_eq!(used.len(), 4);
}

#[test]
fn flow_steering_entries() {
    let mut r = Rig::new();
    let t = r.t1;
    // FS key: NET_PROT_UDP (8) NH_FLD_UDP_PORT_DST (2): 2 bytes.
    r.m.mem.data[0x100..0x200].copy_from_slice(&linux_profile(&[(8, 2)]));
    // ADD_FS_ENT before SET_RX_FS_DIST: CONFIG_ERR.
    let add = |flow: u16, opts: u64| vec![(0, opts, 2), (2, 0, 1), (3, 2, 1), (6, flow as u64, 2), (8, KEY_AT, 8), (16, 0, 8)];
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2441, t, &add(3, 0)), status::CONFIG_ERR);
    // SET_RX_FS_DIST 0x2731: dist_size 4, enable, tc 0, miss_flow_id 1 (bytes 4-5).
    let fs = [(0, 4, 2), (2, 1, 1), (3, 0, 1), (4, 1, 2), (8, PROFILE_AT, 8)];
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2731, t, &fs), status::OK);
    // Key 0x0035 (port 53) → flow 3; no mask (mask_iova 0: exact match).
    r.m.mem.data[0x400..0x402].copy_from_slice(&[0x00, 0x35]);
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2441, t, &add(3, 0)), status::OK);
    // Flow id outside dist_size: CONFIG_ERR; key unreadable: DMA_ERR.
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2441, t, &add(4, 0)), status::CONFIG_ERR);
    let mut bad = add(2, 0);
    bad[4] = (8, 0x10, 8);
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2441, t, &bad), status::DMA_ERR);
    for s in 0..8 {
        assert_eq!(r.rx(&flow(4000 + s, 53)).map(|x| x.0), Some(3), "port 53 hits the entry");
        assert_eq!(r.rx(&flow(4000 + s, 54)).map(|x| x.0), Some(1), "a miss goes to the miss flow");
    }
    // A discard rule (options bit 0, DPNI_FS_OPT_DISCARD) for port 54.
    r.m.mem.data[0x400..0x402].copy_from_slice(&[0x00, 0x36]);
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2441, t, &add(0, 1)), status::OK);
    let before = r.discarded();
    assert_eq!(r.rx(&flow(4000, 54)), None);
    assert_eq!(r.discarded(), before + 1);
    // REMOVE_FS_ENT 0x2451 of port 54 (tc 2, key_size 3, key_iova 8, mask_iova 16); a
    // second removal: CONFIG_ERR (no such entry).
    let rm = [(2, 0, 1), (3, 2, 1), (8, KEY_AT, 8), (16, 0, 8)];
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2451, t, &rm), status::OK);
    assert_eq!(send_dma(&mut r.mc, &mut r.m, 0x2451, t, &rm), status::CONFIG_ERR);
    assert_eq!(r.rx(&flow(4000, 54)).map(|x| x.0), Some(1));
    // CLR_FS_ENT 0x2461 (tc at byte 2): port 53 misses too.
    assert_eq!(send(&mut r.mc, 0, 0x2461, t, &[(2, 0, 1)]).0, status::OK);
    assert_eq!(r.rx(&flow(4000, 53)).map(|x| x.0), Some(1));
}

#[test]
fn rx_annotation_checksums_and_errors_behaviour() {
    let mut r = Rig::new();
    let t = r.t1;
    // SET_ERRORS_BEHAVIOR 0x20B1 as dpaa2_eth_bind_dpni: errors DPAA2_FAS_RX_ERR_MASK,
    // byte 4 = action DISCARD (0) | set_frame_annotation (bit 4).
    assert_eq!(send(&mut r.mc, 0, 0x20B1, t, &[(0, RX_ERR_MASK, 4), (4, 0x10, 1)]).0, status::OK);
    let good = flow(5000, 53);
    let (q, fd) = r.rx(&good).expect("a good frame is received");
    assert_eq!(q, 0);
    // FD FRC FASV (0x8000); the FAS status word at annotation byte 4 (Rx layout: no
    // private data, so the hardware annotation is at the buffer start) = L3CV (0x8) |
    // L4CV (0x2): dpaa2_eth_validate_rx_csum then sets CHECKSUM_UNNECESSARY.
    assert_eq!(dp::fd_frc(&fd), 0x8000);
    let buf = (dp::fd_addr(&fd) - 0x8000_0000) as usize;
    assert_eq!(u32::from_le_bytes(r.m.mem.data[buf + 4..buf + 8].try_into().unwrap()), 0x8 | 0x2);
    // Parse results at 0x10: next header 17, L3 offset 14 (byte 0x10 + 28), L4 34.
    assert_eq!((r.m.mem.data[buf + 0x16], r.m.mem.data[buf + 0x10 + 28], r.m.mem.data[buf + 0x10 + 25]), (17, 14, 34));
    // The frame at the Rx data offset 256.
    assert_eq!(dp::fd_offset(&fd), 256);
    assert_eq!(&r.m.mem.data[buf + 256..buf + 256 + good.len()], &good[..]);
    // A wrong UDP checksum: L4CE is in the error mask with action DISCARD — dropped and
    // counted (page 2 ingress discarded).
    let mut bad = good.clone();
    bad[40] ^= 0x55;
    let before = r.discarded();
    assert_eq!(r.rx(&bad), None);
    assert_eq!(r.discarded(), before + 1);
    // Action CONTINUE (1): delivered, FAS = L3CV | L4CV | L4CE (0x1).
    assert_eq!(send(&mut r.mc, 0, 0x20B1, t, &[(0, RX_ERR_MASK, 4), (4, 0x11, 1)]).0, status::OK);
    let (_, fd) = r.rx(&bad).expect("continue delivers it");
    let buf = (dp::fd_addr(&fd) - 0x8000_0000) as usize;
    assert_eq!(u32::from_le_bytes(r.m.mem.data[buf + 4..buf + 8].try_into().unwrap()), 0x8 | 0x2 | 0x1);
    // Action SEND_TO_ERROR_QUEUE (2): on the Rx error FQ (GET_QUEUE qtype RX_ERR = 3).
    assert_eq!(send(&mut r.mc, 0, 0x20B1, t, &[(0, RX_ERR_MASK, 4), (4, 0x12, 1)]).0, status::OK);
    let err_fq = send(&mut r.mc, 0, 0x25F1, t, &[(0, 3, 1)]).2.u32(32);
    assert_eq!(r.rx(&bad), None);
    assert!(r.qb.dequeue(err_fq).is_some());
    // Rx checksum offloads off (SET_OFFLOAD types 0, 1 = 0): nothing validated, the bad
    // frame passes with FAS 0 (the stack checks it).
    for ty in [0, 1] {
        assert_eq!(send(&mut r.mc, 0, 0x26C1, t, &[(3, ty, 1), (4, 0, 4)]).0, status::OK);
    }
    let (_, fd) = r.rx(&bad).expect("not validated, delivered");
    let buf = (dp::fd_addr(&fd) - 0x8000_0000) as usize;
    assert_eq!(&r.m.mem.data[buf + 4..buf + 8], &[0, 0, 0, 0]);
}

#[test]
fn rx_annotation_follows_the_buffer_layout() {
    let mut r = Rig::new();
    // Rebuild dpni.1's Rx layout (DISABLE first: SET_BUFFER_LAYOUT needs it disabled):
    // private data 32, no parser result, frame status on, head room 0, align 64.
    let t = r.t1;
    assert_eq!(send(&mut r.mc, 0, 0x0031, t, &[]).0, status::OK);
    // options PRIVATE_DATA_SIZE | PARSER_RESULT | HEAD_ROOM (8|2|0x20), flags FS only (4).
    assert_eq!(send(&mut r.mc, 0, 0x2651, t, &[(0, 0, 1), (4, 0x2a, 2), (6, 0x4, 1), (8, 32, 2), (12, 0, 2)]).0, status::OK);
    assert_eq!(send(&mut r.mc, 0, 0x0021, t, &[]).0, status::OK);
    r.pump();
    let good = flow(6000, 53);
    // Annotation after the 32-byte private area; data at 32 + 64 = 96, aligned to 64 → 128.
    let (_, fd) = r.rx(&good).expect("received");
    let buf = (dp::fd_addr(&fd) - 0x8000_0000) as usize;
    assert_eq!(dp::fd_offset(&fd), 128);
    assert_eq!(u32::from_le_bytes(r.m.mem.data[buf + 36..buf + 40].try_into().unwrap()), 0xa);
    // Parse results not passed: nothing at annotation 0x10..0x40.
    assert!(r.m.mem.data[buf + 32 + 0x10..buf + 32 + 0x40].iter().all(|&b| b == 0));
    // Without frame status: FRC 0 (no FASV).
    assert_eq!(send(&mut r.mc, 0, 0x0031, t, &[]).0, status::OK);
    assert_eq!(send(&mut r.mc, 0, 0x2651, t, &[(0, 0, 1), (4, 0x7, 2), (6, 0, 1)]).0, status::OK);
    assert_eq!(send(&mut r.mc, 0, 0x0021, t, &[]).0, status::OK);
    r.pump();
    let (_, fd) = r.rx(&good).expect("received");
    assert_eq!(dp::fd_frc(&fd), 0);
}

#[test]
fn multicast_filters_for_ipv6_neighbour_discovery() {
    let mut r = Rig::new();
    let t = r.t1;
    // A neighbour solicitation for fe80::204:9fff:fe00:2 goes to its solicited-node
    // group ff02::1:ff00:2, MAC 33:33:ff:00:00:02 (RFC 2464 §7).
    let mut ns = udp_frame();
    ns[..6].copy_from_slice(&[0x33, 0x33, 0xff, 0x00, 0x00, 0x02]);
    // Not in the table: filtered (page 2 ingress filtered counter at 0).
    assert_eq!(r.rx(&ns), None);
    assert_eq!(send(&mut r.mc, 0, 0x25D1, t, &[(0, 2, 1)]).2.u64(0), 1);
    // ADD_MAC_ADDR 0x2261, address bytes 2-7 reversed (dpni.c): passes.
    let mac = u64::from_le_bytes([0, 0, 0x02, 0x00, 0x00, 0xff, 0x33, 0x33]);
    assert_eq!(send(&mut r.mc, 0, 0x2261, t, &[(0, mac, 8)]).0, status::OK);
    assert!(r.rx(&ns).is_some());
    // CLR_MAC_FILTERS 0x2281 multicast only (byte 0 bit 1): filtered again, while a
    // unicast filter entry stays.
    let uc = u64::from_le_bytes([0, 0, 0x07, 0, 0, 0, 0, 0x02]);
    assert_eq!(send(&mut r.mc, 0, 0x2261, t, &[(0, uc, 8)]).0, status::OK);
    assert_eq!(send(&mut r.mc, 0, 0x2281, t, &[(0, 2, 1)]).0, status::OK);
    assert_eq!(r.rx(&ns), None);
    let mut u = udp_frame();
    u[..6].copy_from_slice(&[0x02, 0, 0, 0, 0, 0x07]);
    assert!(r.rx(&u).is_some());
    // SET_MCAST_PROMISC 0x2201: every multicast passes.
    assert_eq!(send(&mut r.mc, 0, 0x2201, t, &[(0, 1, 1)]).0, status::OK);
    assert!(r.rx(&ns).is_some());
    // Unicast to another station: filtered unless unicast promiscuous (0x2221).
    u[5] = 0x08;
    assert_eq!(r.rx(&u), None);
    assert_eq!(send(&mut r.mc, 0, 0x2221, t, &[(0, 1, 1)]).0, status::OK);
    assert!(r.rx(&u).is_some());
}

#[test]
fn vlan_filter() {
    let mut r = Rig::new();
    let t = r.t1;
    // A frame tagged with VID 5 (TPID 0x8100, TCI 0x2005: priority 1, VID 5).
    let f = flow(7000, 53);
    let mut v = f[..12].to_vec();
    v.extend_from_slice(&[0x81, 0x00, 0x20, 0x05]);
    v.extend_from_slice(&f[12..]);
    // Filtering off: passes.
    assert!(r.rx(&v).is_some());
    // ENABLE_VLAN_FILTER 0x2301 (byte 0 bit 0): the tagged frame is filtered, the
    // untagged one passes.
    assert_eq!(send(&mut r.mc, 0, 0x2301, t, &[(0, 1, 1)]).0, status::OK);
    assert_eq!(r.rx(&v), None);
    assert!(r.rx(&f).is_some());
    // ADD_VLAN_ID 0x2311 (dpni_cmd_vlan_id: vlan_id at bytes 4-5): VID 5 passes.
    assert_eq!(send(&mut r.mc, 0, 0x2311, t, &[(4, 5, 2)]).0, status::OK);
    assert!(r.rx(&v).is_some());
    // REMOVE_VLAN_ID 0x2321: filtered again.
    assert_eq!(send(&mut r.mc, 0, 0x2321, t, &[(4, 5, 2)]).0, status::OK);
    assert_eq!(r.rx(&v), None);
    // A frame cut right after its tag's TPID (14 bytes, the shortest accepted) is
    // filtered as VID 0 rather than read past its end.
    let mut short = v[..12].to_vec();
    short.extend_from_slice(&[0x81, 0x00]);
    assert_eq!(r.rx(&short), None);
}
