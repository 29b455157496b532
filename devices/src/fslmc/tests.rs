//! Command-level tests of the MC model. Expected values come from what Linux 6.1's
//! drivers send and check (drivers/bus/fsl-mc, include/linux/fsl/mc.h, as summarised in
//! ls2088a-reference.md §4) and from the MC 10.28.0 API headers (nxp-qoriq/mc-utils);
//! each is commented with its source.

use super::cmd::{self, header, status, Params};
use super::dpl::{self, DplError};
use super::objects::*;
use super::*;

/// Sends one command on `portal`; returns (status, response header, response params).
pub(super) fn send(mc: &mut Mc, portal: u32, id: u16, token: u16, params: &[(usize, u64, usize)]) -> (u8, u64, Params) {
    let mut p = Params::default();
    for &(off, v, width) in params {
        match width {
            1 => p.set_u8(off, v as u8),
            2 => p.set_u16(off, v as u16),
            4 => p.set_u32(off, v as u32),
            _ => p.set_u64(off, v),
        }
    }
    let mut words = [0u64; 7];
    for (i, w) in words.iter_mut().enumerate() {
        *w = p.word(i);
    }
    let (h, r) = mc.command(portal, header(id, token), words);
    let mut rp = Params::default();
    for (i, w) in r.iter().enumerate() {
        rp.set_word(i, *w);
    }
    (cmd::hdr_status(h), h, rp)
}

fn type_param(p: &mut Vec<(usize, u64, usize)>, off: usize, s: &str) {
    let mut b = [0u8; 16];
    b[..s.len()].copy_from_slice(s.as_bytes());
    p.push((off, u64::from_le_bytes(b[..8].try_into().unwrap()), 8));
    p.push((off + 8, u64::from_le_bytes(b[8..].try_into().unwrap()), 8));
}

pub(super) fn open(mc: &mut Mc, portal: u32, open_id: u16, obj: u32) -> u16 {
    let (st, h, _) = send(mc, portal, open_id, 0, &[(0, obj as u64, 4)]);
    assert_eq!(st, status::OK, "open {open_id:#x} {obj}");
    cmd::token(h)
}

fn default_mc() -> Mc {
    Mc::new(dpl::default_layout())
}

#[test]
fn default_dpl_loads() {
    let l = dpl::load(dpl::DEFAULT_DPL.as_bytes()).expect("built-in DPL");
    // Root dprc.1 with ICID 23 (first DPAA2 ICID of the Chassis-3 plan), child dprc.2.
    assert_eq!(l.containers.len(), 2);
    assert_eq!((l.containers[0].id, l.containers[0].icid, l.containers[0].portal, l.containers[0].parent), (1, 23, 0, None));
    assert_eq!((l.containers[1].id, l.containers[1].icid, l.containers[1].parent), (2, 24, Some(1)));
    // dpmcp.1..22 take portals 1..22, so the child's portal is the next free one.
    assert_eq!(l.containers[1].portal, 23);
    let c = l.counts();
    assert_eq!((c["dpio"], c["dpbp"], c["dpcon"], c["dpmcp"], c["dpni"], c["dpmac"]), (9, 5, 9, 22, 3, 2));
    assert_eq!(l.peer(Endpoint { ty: ObjType::Dpni, id: 0, if_id: 0 }), Some(Endpoint { ty: ObjType::Dpmac, id: 1, if_id: 0 }));
    let d = l.describe();
    assert!(d.contains("dprc.1 (icid 23, portal 0"), "{d}");
    assert!(d.contains("  dprc.2 (icid 24, portal 23"), "{d}");
    assert!(d.contains("connection dpni.1 <-> dpmac.2"), "{d}");
}

#[test]
fn linux_probe_sequence() {
    let mut mc = default_mc();
    // fsl_mc_bus_probe: DPMNG_GET_VERSION 0x8311 → revision, major, minor at 0/4/8.
    let (st, _, r) = send(&mut mc, 0, 0x8311, 0, &[]);
    assert_eq!(st, status::OK);
    assert_eq!((r.u32(4), r.u32(8), r.u32(0)), (10, 28, 0));
    // DPRC_GET_CONT_ID 0x8301 on the root portal: the root container (dprc.1).
    let (st, _, r) = send(&mut mc, 0, 0x8301, 0, &[]);
    assert_eq!((st, r.u32(0)), (status::OK, 1));
    // DPRC_GET_API_VERSION 0xA051: Linux needs major ≥ 6 (DPRC_MIN_VER_MAJOR) and uses
    // GET_OBJ_REG v3 from 6.6 on.
    let (_, _, r) = send(&mut mc, 0, 0xA051, 0, &[]);
    assert_eq!((r.u16(0), r.u16(2)), (6, 6));
    // DPRC_OPEN 0x8051 → non-zero token in the header.
    let t = open(&mut mc, 0, 0x8051, 1);
    assert_ne!(t, 0);
    // DPRC_GET_ATTR 0x0041: container id, ICID 23, options, portal id 0.
    let (st, _, r) = send(&mut mc, 0, 0x0041, t, &[]);
    assert_eq!(st, status::OK);
    assert_eq!((r.u32(0), r.u32(4), r.u32(12)), (1, 23, 0));
    assert_eq!(r.u32(8) & DPRC_OPT_SPAWN_ALLOWED, DPRC_OPT_SPAWN_ALLOWED);
    // DPRC_GET_OBJ_COUNT 0x1591 → count at bytes 4-7: 9 dpio + 4 dpbp + 8 dpcon + 20
    // dpmcp + 2 dpni + 2 dpmac in the root, plus the child dprc.2.
    let (_, _, r) = send(&mut mc, 0, 0x1591, t, &[]);
    let count = r.u32(4);
    assert_eq!(count, 8 + 4 + 8 + 20 + 2 + 2 + 1);
    let mut names = Vec::new();
    for i in 0..count {
        let (st, _, r) = send(&mut mc, 0, 0x15A1, t, &[(0, i as u64, 4)]);
        assert_eq!(st, status::OK);
        // vendor 0x1957 (FSL_MC_VENDOR_FREESCALE), state PLUGGED (bit 1).
        assert_eq!(r.u16(8), 0x1957);
        assert_eq!(r.u32(12) & 2, 2);
        names.push(format!("{}.{}", r.str16(24), r.u32(4)));
        let ty = r.str16(24);
        // Region counts fsl_mc_device_add accepts: dpmcp/dprc 1 MC portal, dpio 2
        // QBMan regions; every other type 0 (else -EINVAL).
        let want_regions = match ty.as_str() {
            "dpmcp" | "dprc" => 1,
            "dpio" => 2,
            _ => 0,
        };
        assert_eq!(r.u8(11), want_regions, "{ty}");
        if ty == "dpmcp" {
            // DPMCP ≥ 3.0 (DPMCP_MIN_VER_MAJOR in fsl-mc-private.h).
            assert!(r.u16(16) >= 3);
        }
    }
    assert!(names.contains(&"dprc.2".to_string()) && names.contains(&"dpni.0".to_string()) && names.contains(&"dpmcp.20".to_string()));
    // Index past the end: an error, not a panic.
    let (st, _, _) = send(&mut mc, 0, 0x15A1, t, &[(0, count as u64, 4)]);
    assert_eq!(st, status::CONFIG_ERR);
    // GET_OBJ_REG v3 0x15E3 for dpmcp.3: base_addr (bytes 32-39) + base_offset (8-15) =
    // portal 3 = 0x8_0C00_0000 + 3 × 64 KiB, size 64 KiB, type 0 (MC portal).
    let mut p = vec![(0, 3, 4), (6, 0, 1)];
    type_param(&mut p, 24, "dpmcp");
    let (st, _, r) = send(&mut mc, 0, 0x15E3, t, &p);
    assert_eq!(st, status::OK);
    assert_eq!(r.u64(32) + r.u64(8), 0x8_0C03_0000);
    assert_eq!((r.u32(16), r.u8(20)), (0x1_0000, 0));
    // dpio.2 region 1 (CINH): QBMan base 0x8_1800_0000 + 64 MiB + portal 2 × 64 KiB.
    let mut p = vec![(0, 2, 4), (6, 1, 1)];
    type_param(&mut p, 24, "dpio");
    let (_, _, r) = send(&mut mc, 0, 0x15E3, t, &p);
    assert_eq!(r.u64(32) + r.u64(8), 0x8_1C02_0000);
    assert_eq!(r.u8(20), 1);
    // Region 2 of a DPIO does not exist.
    let mut p = vec![(0, 2, 4), (6, 2, 1)];
    type_param(&mut p, 24, "dpio");
    assert_eq!(send(&mut mc, 0, 0x15E3, t, &p).0, status::CONFIG_ERR);
    // The child container's portal (region 0 of dprc.2): portal 23.
    let mut p = vec![(0, 2, 4), (6, 0, 1)];
    type_param(&mut p, 24, "dprc");
    let (_, _, r) = send(&mut mc, 0, 0x15E3, t, &p);
    assert_eq!(r.u64(32) + r.u64(8), 0x8_0C00_0000 + 23 * 0x1_0000);
    // CLOSE 0x8001, then the token is gone: AUTH_ERR.
    assert_eq!(send(&mut mc, 0, 0x8001, t, &[]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x0041, t, &[]).0, status::AUTH_ERR);
}

#[test]
fn allocatable_objects_and_dpio() {
    let mut mc = default_mc();
    // fsl_mc_portal_allocate: DPMCP_OPEN 0x80B1 on the DPMCP's own portal (dpmcp.5 →
    // portal 5), then DPMCP_RESET 0x0051.
    let t = open(&mut mc, 5, 0x80B1, 5);
    assert_eq!(send(&mut mc, 5, 0x0051, t, &[]).0, status::OK);
    // The DPMCP's portal works in the root container: it opens dpio.1 (DPIO_OPEN 0x8031).
    let d = open(&mut mc, 5, 0x8031, 1);
    assert_eq!(send(&mut mc, 5, 0x0051, d, &[]).0, status::OK);
    // DPIO_GET_ATTR 0x0041: id, qbman portal id, 8 priorities, local channel mode,
    // qbman_version 0x04010000 (QMan 4.1), clock ≥ 1 MHz (a divisor in dpaa2_io_create).
    let (st, _, r) = send(&mut mc, 5, 0x0041, d, &[]);
    assert_eq!(st, status::OK);
    assert_eq!((r.u32(0), r.u16(4), r.u8(6), r.u8(7)), (1, 1, 8, 1));
    assert_eq!(r.u32(24), 0x0401_0000);
    assert!(r.u32(32) >= 1_000_000);
    // DPIO_ENABLE 0x0021, IS_ENABLED 0x0061.
    assert_eq!(send(&mut mc, 5, 0x0021, d, &[]).0, status::OK);
    assert_eq!(send(&mut mc, 5, 0x0061, d, &[]).2.u8(0), 1);
    // DPIO_SET_STASHING_DEST 0x1201.
    assert_eq!(send(&mut mc, 5, 0x1201, d, &[(0, 0, 1)]).0, status::OK);
    // DPBP_OPEN 0x8041 / GET_ATTR: bpid at 2-3, id at 4-7 (dpbp.2 → third pool).
    let b = open(&mut mc, 5, 0x8041, 2);
    let (_, _, r) = send(&mut mc, 5, 0x0041, b, &[]);
    assert_eq!((r.u16(2), r.u32(4)), (2, 2));
    // DPCON_OPEN 0x8081 / GET_ATTR: id 0-3, channel 4-5, priorities 6 (DPL: 2).
    let c = open(&mut mc, 5, 0x8081, 3);
    let (_, _, r) = send(&mut mc, 5, 0x0041, c, &[]);
    assert_eq!((r.u32(0), r.u16(4), r.u8(6)), (3, 3, 2));
    // DPCON_SET_NOTIFICATION 0x1001 to dpio.1; to a DPIO that does not exist: error.
    assert_eq!(send(&mut mc, 5, 0x1001, c, &[(0, 1, 4), (8, 0xdead, 8)]).0, status::OK);
    assert_eq!(send(&mut mc, 5, 0x1001, c, &[(0, 99, 4)]).0, status::CONFIG_ERR);
    // Tokens are per portal: the DPCON token means nothing on portal 6.
    open(&mut mc, 6, 0x80B1, 6);
    assert_eq!(send(&mut mc, 6, 0x0041, c, &[]).0, status::AUTH_ERR);
    // API versions (MC 10.28.0 headers): DPIO 4.3 (0xA031), DPBP 3.4, DPCON 3.3, DPMCP 4.0.
    for (id, want) in [(0xA031, (4, 3)), (0xA041, (3, 4)), (0xA081, (3, 3)), (0xA0B1, (4, 0))] {
        let (_, _, r) = send(&mut mc, 5, id, 0, &[]);
        assert_eq!((r.u16(0), r.u16(2)), want, "{id:#x}");
    }
}

#[test]
fn dpni_dpmac_and_connections() {
    let mut mc = default_mc();
    let t = open(&mut mc, 0, 0x8051, 1);
    // DPRC_GET_CONNECTION 0x16C1 (dpni.0, if 0) → dpmac.1, state 0 while the DPNI is
    // disabled (bytes 24-27 id, 32-47 type, 48-51 state).
    let mut p = vec![(0, 0, 4), (4, 0, 2)];
    type_param(&mut p, 8, "dpni");
    let (st, _, r) = send(&mut mc, 0, 0x16C1, t, &p);
    assert_eq!(st, status::OK);
    assert_eq!((r.str16(32).as_str(), r.u32(24), r.u32(48)), ("dpmac", 1, 0));
    // dpni.2 (in the child) has no connection: state -1 (fsl_mc_get_endpoint).
    let mut p = vec![(0, 2, 4)];
    type_param(&mut p, 8, "dpni");
    let (st, _, r) = send(&mut mc, 0, 0x16C1, t, &p);
    assert_eq!((st, r.u32(48)), (status::OK, u32::MAX));
    // DPNI 0x8011 open; API version 7.17 (≥ 7.0 needed by dpaa2-eth, ≥ 7.13 pause cfg).
    let n = open(&mut mc, 0, 0x8011, 0);
    let (_, _, r) = send(&mut mc, 0, 0xA011, 0, &[]);
    assert_eq!((r.u16(0), r.u16(2)), (7, 17));
    // GET_ATTR: num_queues byte 4, num_tcs byte 5 (≥ 1) from the DPL.
    let (_, _, r) = send(&mut mc, 0, 0x0041, n, &[]);
    assert_eq!((r.u8(4), r.u8(5)), (1, 1));
    // DPDK 22.11 (drivers/net/dpaa2/mc/fsl_dpni_cmd.h, struct dpni_rsp_get_attr): num_tx_tcs
    // at byte 7 and num_channels at byte 9; its PMD makes num_tx_tcs × num_channels Tx
    // queues, so both must be ≥ 1 ("tx_queues=0" otherwise).
    assert_eq!((r.u8(7), r.u8(9)), (1, 1));
    // GET_TX_DATA_OFFSET 0x2121: a multiple of 64.
    assert_eq!(send(&mut mc, 0, 0x2121, n, &[]).2.u16(0) % 64, 0);
    // Link: down while disabled, up after ENABLE (GET_LINK_STATE 0x2151 byte 4 bit 0).
    assert_eq!(send(&mut mc, 0, 0x2151, n, &[]).2.u32(4) & 1, 0);
    assert_eq!(send(&mut mc, 0, 0x0021, n, &[]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x2151, n, &[]).2.u32(4) & 1, 1);
    // DPMAC 0x80C1: GET_ATTR link_type byte 1 = FIXED (1), id bytes 2-3; API 4.7.
    let m = open(&mut mc, 0, 0x80C1, 1);
    let (_, _, r) = send(&mut mc, 0, 0x0041, m, &[]);
    assert_eq!((r.u8(1), r.u16(2)), (1, 1));
    // A DPNI command the model lacks (SET_QOS_TBL 0x2401): UNSUPPORTED_OP.
    assert_eq!(send(&mut mc, 0, 0x2401, n, &[]).0, status::UNSUPPORTED_OP);
}

#[test]
fn error_paths() {
    let mut mc = default_mc();
    // A command id nobody knows (with a valid token): UNSUPPORTED_OP.
    let t = open(&mut mc, 0, 0x8051, 1);
    assert_eq!(send(&mut mc, 0, 0x7771, t, &[]).0, status::UNSUPPORTED_OP);
    // Token never handed out: AUTH_ERR.
    assert_eq!(send(&mut mc, 0, 0x1591, 0x1234, &[]).0, status::AUTH_ERR);
    // Object ids that do not exist: CONFIG_ERR.
    assert_eq!(send(&mut mc, 0, 0x8011, 0, &[(0, 42, 4)]).0, status::CONFIG_ERR);
    assert_eq!(send(&mut mc, 0, 0x8051, 0, &[(0, 9, 4)]).0, status::CONFIG_ERR);
    // The child container's portal (23) sees only its own subtree: its container id is
    // 2; opening the root is not allowed; a root-container object is not visible.
    let (_, _, r) = send(&mut mc, 23, 0x8301, 0, &[]);
    assert_eq!(r.u32(0), 2);
    assert_eq!(send(&mut mc, 23, 0x8051, 0, &[(0, 1, 4)]).0, status::NO_PRIVILEGE);
    assert_eq!(send(&mut mc, 23, 0x8011, 0, &[(0, 0, 4)]).0, status::CONFIG_ERR);
    let ct = open(&mut mc, 23, 0x8051, 2);
    let (_, _, r) = send(&mut mc, 23, 0x1591, ct, &[]);
    assert_eq!(r.u32(4), 6); // dpni.2, dpbp.4, dpcon.8, dpio.8, dpmcp.21, dpmcp.22
    // IRQ index out of range: CONFIG_ERR. CREATE (0x9011): UNSUPPORTED_OP.
    assert_eq!(send(&mut mc, 0, 0x0121, t, &[(0, 1, 1), (4, 3, 1)]).0, status::CONFIG_ERR);
    assert_eq!(send(&mut mc, 0, 0x9011, 0, &[]).0, status::UNSUPPORTED_OP);
    // An MC portal nobody owns (portal 500): the write is refused at MMIO level.
    assert!(mc.portal_write(500 * PORTAL_STRIDE, Size::B8, 0).is_err());
}

#[test]
fn portal_mmio_and_gcr1_stop() {
    let mut mc = default_mc();
    // Linux's bus notifier stops the MC (GCR1 P1_STOP|P2_STOP) before the probe resumes it.
    mc.ccsr_write(GCR1, Size::B4, (GCR1_P1_STOP | GCR1_P2_STOP) as u64).unwrap();
    assert_eq!(mc.ccsr_read(GSR, Size::B4).unwrap(), 1); // BOOT_DONE, no error
    // mc_send_command: params (none), then the header with status READY as one 64-bit write.
    mc.portal_write(0, Size::B8, header(0x8311, 0)).unwrap();
    // Stopped: the command stays READY (mc_get_version would time out).
    assert_eq!((mc.portal_read(0, Size::B8).unwrap() >> 16) as u8, status::READY);
    mc.ccsr_write(GCR1, Size::B4, 0).unwrap();
    let h = mc.portal_read(0, Size::B8).unwrap();
    assert_eq!((h >> 16) as u8, status::OK);
    assert_eq!(h >> 48, 0x8311, "the response keeps the command id");
    // Response params: major at bytes 4-7 of word 1.
    assert_eq!(mc.portal_read(8, Size::B8).unwrap() >> 32, 10);
    assert_eq!(mc.portal_read(16, Size::B4).unwrap(), 28);
    // DPDK 22.11's mc_write_command (fsl_mc_cmd.h): the header as two 32-bit stores, the
    // high word (command id 0x830 DPRC_GET_CONT_ID | version 1, token) first — which does not
    // post the command; the low word (status READY in byte 2) last — which does.
    mc.portal_write(4, Size::B4, header(0x8301, 0) >> 32).unwrap();
    let h = mc.portal_read(0, Size::B8).unwrap();
    assert_eq!((h >> 16) as u8, status::OK, "the previous response's status is untouched");
    mc.portal_write(0, Size::B4, header(0x8301, 0) & 0xffff_ffff).unwrap();
    let h = mc.portal_read(0, Size::B8).unwrap();
    assert_eq!((h >> 16) as u8, status::OK);
    assert_eq!(h >> 48, 0x8301);
    assert_eq!(mc.portal_read(8, Size::B4).unwrap(), 1);
    // Unknown CCSR offsets and sizes are refused (logged by the bus).
    assert!(mc.ccsr_read(0x1000, Size::B4).is_err());
    assert!(mc.ccsr_read(GSR, Size::B8).is_err());
}

#[test]
fn msis_for_dprc_and_dpni() {
    let mut mc = default_mc();
    let t = open(&mut mc, 0, 0x8051, 1);
    // dprc_setup_irq order: SET_IRQ_ENABLE(0, 0), SET_IRQ_MASK(0, 0), CLEAR_IRQ_STATUS(~0),
    // DPRC_SET_IRQ 0x0101 (data 0-3, index 4, addr 8-15, irq_num 16-19), MASK ~0, ENABLE 1.
    assert_eq!(send(&mut mc, 0, 0x0121, t, &[(0, 0, 1), (4, 0, 1)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x0141, t, &[(0, 0, 4), (4, 0, 1)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x0171, t, &[(0, 0xffff_ffff, 4), (4, 0, 1)]).0, status::OK);
    // GITS_TRANSLATER 0x0603_0040 (ls2088a-reference.md §2.2), event 0.
    assert_eq!(send(&mut mc, 0, 0x0101, t, &[(0, 0, 4), (4, 0, 1), (8, 0x0603_0040, 8), (16, 77, 4)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x0141, t, &[(0, 0xffff_ffff, 4), (4, 0, 1)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x0121, t, &[(0, 1, 1), (4, 0, 1)]).0, status::OK);
    assert!(mc.take_msis().is_empty(), "no event pending yet");
    // DPNI interrupt via DPRC_SET_OBJ_IRQ 0x15F1 (data 0-3, index 4, addr 8-15, obj_id
    // 20-23, type 24-39), then the DPNI's own mask/enable.
    let mut p = vec![(0, 5, 4), (4, 0, 1), (8, 0x0603_0040, 8), (16, 99, 4), (20, 0, 4)];
    type_param(&mut p, 24, "dpni");
    assert_eq!(send(&mut mc, 0, 0x15F1, t, &p).0, status::OK);
    let n = open(&mut mc, 0, 0x8011, 0);
    assert_eq!(send(&mut mc, 0, 0x0141, n, &[(0, 3, 4), (4, 0, 1)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x0121, n, &[(0, 1, 1), (4, 0, 1)]).0, status::OK);
    // ENABLE → LINK_CHANGED MSI: data 5 to the ITS with the root container's ICID 23.
    assert_eq!(send(&mut mc, 0, 0x0021, n, &[]).0, status::OK);
    assert_eq!(mc.take_msis(), vec![MsiWrite { icid: 23, addr: 0x0603_0040, data: 5 }]);
    // GET_IRQ_STATUS with ~0 (dpaa2-eth's handler) returns and clears the event.
    let (_, _, r) = send(&mut mc, 0, 0x0161, n, &[(0, 0xffff_ffff, 4), (4, 0, 1)]);
    assert_eq!(r.u32(0), 1);
    let (_, _, r) = send(&mut mc, 0, 0x0161, n, &[(0, 0, 4), (4, 0, 1)]);
    assert_eq!(r.u32(0), 0);
}

/// A DPL in NXP's format (written for lsemu), with a child container, an obj_set, a DPSW
/// with interface endpoints, and properties the model ignores.
const TEST_DPL: &str = r#"/dts-v1/;
/* comment */
/ {
	dpl-version = <10>;
	containers {
		dprc@1 {
			compatible = "fsl,dprc";
			parent = "none";
			options = "DPRC_CFG_OPT_SPAWN_ALLOWED", "DPRC_CFG_OPT_ALLOC_ALLOWED";
			objects {
				obj@10 { obj_name = "dpni@0"; };
				obj_set@dpmac { type = "dpmac"; ids = <3 4>; };
				obj_set@dpmcp { type = "dpmcp"; ids = <1 2 3>; };
				obj@20 { obj_name = "dpsw@0"; };
				obj@30 { obj_name = "dpio@0"; };
			};
		};
		dprc@7 {
			parent = "dprc@1";
			options = "DPRC_CFG_OPT_IRQ_CFG_ALLOWED";
			objects {
				obj@1 { obj_name = "dpni@5"; };
				obj@2 { obj_name = "dpbp@0"; };
			};
		};
	};
	objects {
		dpni@0 { compatible = "fsl,dpni"; type = "DPNI_TYPE_NIC"; num_queues = <4>; num_tcs = <2>;
			 mac_addr = <0x00 0x04 0x9f 0x01 0x02 0x03>; options = "DPNI_OPT_HAS_KEY_MASKING"; };
		dpni@5 { max_tcs = <1>; max_dist_per_tc = <8>; };
		dpmac@3 { compatible = "fsl,dpmac"; };
		dpmac@4 { compatible = "fsl,dpmac"; };
		dpmcp@1 { }; dpmcp@2 { }; dpmcp@3 { };
		dpsw@0 { options = "DPSW_OPT_CTRL_IF_DIS"; num_ifs = <0x2>; };
		dpio@0 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpbp@0 { };
		dpseci@0 { priorities = <1 1>; }; // defined, never assigned
	};
	connections {
		connection@0 { endpoint1 = "dpni@0"; endpoint2 = "dpmac@3"; };
		connection@1 { endpoint1 = "dpsw@0/if@1"; endpoint2 = "dpmac@4"; };
	};
};
"#;

fn check_test_layout(l: &Layout) {
    assert_eq!(l.containers.iter().map(|c| (c.id, c.parent, c.icid)).collect::<Vec<_>>(), vec![(1, None, 23), (7, Some(1), 24)]);
    // Options: SPAWN (0x1) | ALLOC (0x2) from MC's fsl_dprc.h.
    assert_eq!(l.containers[0].options, 0x3);
    assert_eq!(l.containers[1].options, 0x40);
    // Child portal: first portal after those of dpmcp.1..3.
    assert_eq!(l.containers[1].portal, 4);
    let ni = l.obj(ObjType::Dpni, 0).unwrap();
    assert_eq!((ni.attrs.num_queues, ni.attrs.num_tcs, ni.attrs.mac), (4, 2, [0, 4, 0x9f, 1, 2, 3]));
    let ni5 = l.obj(ObjType::Dpni, 5).unwrap();
    assert_eq!((ni5.container, ni5.attrs.num_queues, ni5.attrs.num_tcs), (7, 8, 1));
    assert_eq!(l.obj(ObjType::Dpsw, 0).unwrap().attrs.num_ifs, 2);
    // GET_OBJ order of the root follows the DPL; the child container comes last.
    let root: Vec<String> = l
        .listed(1)
        .into_iter()
        .map(|e| match e {
            Listed::Obj(i) => format!("{}.{}", l.objects[i].ty.name(), l.objects[i].id),
            Listed::Child(i) => format!("dprc.{}", l.containers[i].id),
        })
        .collect();
    assert_eq!(root, ["dpni.0", "dpmac.3", "dpmac.4", "dpmcp.1", "dpmcp.2", "dpmcp.3", "dpsw.0", "dpio.0", "dprc.7"]);
    assert_eq!(l.peer(Endpoint { ty: ObjType::Dpmac, id: 4, if_id: 0 }), Some(Endpoint { ty: ObjType::Dpsw, id: 0, if_id: 1 }));
    assert!(l.describe().contains("unassigned: dpseci.0"), "{}", l.describe());
}

#[test]
fn dpl_source_in_nxp_format() {
    let l = dpl::load(TEST_DPL.as_bytes()).unwrap();
    check_test_layout(&l);
}

/// The same DPL compiled by dtc (an independent DTS compiler) and read as a blob with the
/// `fdt` crate gives the same model.
#[test]
fn dpl_blob_from_dtc_matches_source() {
    let dir = std::env::temp_dir().join(format!("lsemu-dpl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("t.dts");
    std::fs::write(&src, TEST_DPL).unwrap();
    let out = std::process::Command::new("dtc").args(["-q", "-I", "dts", "-O", "dtb", "-o"]).arg(dir.join("t.dtb")).arg(&src).output();
    let Ok(out) = out else {
        eprintln!("skipped: dtc (device-tree-compiler) not installed");
        return;
    };
    assert!(out.status.success(), "dtc: {}", String::from_utf8_lossy(&out.stderr));
    let blob = std::fs::read(dir.join("t.dtb")).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(dpl::is_dtb(&blob));
    let from_blob = dpl::load(&blob).unwrap();
    check_test_layout(&from_blob);
    assert_eq!(from_blob, dpl::load(TEST_DPL.as_bytes()).unwrap());
    // And the raw trees agree property by property.
    assert_eq!(dts::from_dtb(&blob).unwrap(), dts::parse_dts(TEST_DPL).unwrap());
}

fn bad(edit: (&str, &str)) -> String {
    assert!(TEST_DPL.contains(edit.0), "test edit {:?} does not apply", edit.0);
    let src = TEST_DPL.replacen(edit.0, edit.1, 1);
    match dpl::load(src.as_bytes()) {
        Err(DplError(m)) => m,
        Ok(_) => panic!("DPL with {:?} loaded", edit.1),
    }
}

#[test]
fn dpl_errors_name_the_node() {
    let cases: &[((&str, &str), &str)] = &[
        (("dpsw@0 { options", "dpfoo@0 { options"), "/objects/dpfoo@0: unknown object type 'dpfoo'"),
        (("obj_name = \"dpni@5\"", "obj_name = \"dpni@9\""), "/containers/dprc@7/objects/obj@1: obj_name = \"dpni@9\" names dpni@9, which /objects does not define"),
        (("obj_name = \"dpbp@0\"", "obj_name = \"dpni@0\""), "/containers/dprc@7/objects/obj@2: dpni@0 is already assigned to dprc@1"),
        (("parent = \"dprc@1\"", "parent = \"none\""), "/containers/dprc@7: a second root container"),
        (("parent = \"dprc@1\"", "parent = \"dprc@9\""), "/containers/dprc@7: parent = \"dprc@9\" is not a container of this DPL"),
        (("\"DPRC_CFG_OPT_IRQ_CFG_ALLOWED\"", "\"DPRC_CFG_OPT_MAGIC\""), "/containers/dprc@7: unknown container option \"DPRC_CFG_OPT_MAGIC\""),
        (("endpoint2 = \"dpmac@4\"", "endpoint2 = \"dpmac@9\""), "/connections/connection@1: endpoint2 = \"dpmac@9\" names no object defined under /objects"),
        (("endpoint2 = \"dpmac@4\"", "endpoint2 = \"dpmac@3\""), "/connections/connection@1: dpmac.3 is already connected"),
        (("num_tcs = <2>", "num_tcs = <9>"), "/objects/dpni@0: num_tcs = <9> is outside 1..=8"),
        (("dpmcp@2 { };", "dpmcp@x { };"), "/objects/dpmcp@x: object id 'x' is not a decimal number"),
        (("ids = <3 4>", "ids = \"3\""), "/containers/dprc@1/objects/obj_set@dpmac: property 'ids' must be 32-bit cells"),
    ];
    for (edit, want) in cases {
        let m = bad(*edit);
        assert!(m.starts_with(want), "got {m:?}, want {want:?}");
        assert!(!m.contains('\n'), "one line: {m:?}");
    }
    // Syntax errors carry the line number; #include needs cpp.
    let m = dpl::load(b"/dts-v1/;\n/ {\n  containers { dprc@1 { parent = \"none\" } };\n};\n").unwrap_err().0;
    assert!(m.starts_with("line 3: expected ';'"), "{m}");
    let m = dpl::load(b"#include \"x.dtsi\"\n/ { };").unwrap_err().0;
    assert!(m.contains("#include needs the C preprocessor"), "{m}");
    assert!(dpl::load(b"/dts-v1/;\n/ { };\n").unwrap_err().0.contains("no /objects node"));
    assert!(dpl::load(&[0xd0, 0x0d, 0xfe, 0xed, 0, 0]).unwrap_err().0.contains("not a valid device tree blob"));
}

/// NXP's published DPLs (nxp-qoriq/mc-utils config/**/dpl-*.dts) all load, when a
/// checkout is given in LSEMU_MC_UTILS (they are not part of lsemu's repository).
#[test]
fn nxp_published_dpls_load() {
    let Some(dir) = std::env::var_os("LSEMU_MC_UTILS").map(std::path::PathBuf::from) else {
        eprintln!("skipped: set LSEMU_MC_UTILS to a checkout of nxp-qoriq/mc-utils to parse its DPLs");
        return;
    };
    let mut files = Vec::new();
    fn walk(d: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("dpl") && n.ends_with(".dts")) {
                out.push(p);
            }
        }
    }
    walk(&dir.join("config"), &mut files);
    files.sort();
    assert!(!files.is_empty(), "no config/**/dpl*.dts under {}", dir.display());
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let l = dpl::load(&data).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(!l.containers.is_empty() && !l.objects.is_empty(), "{}", f.display());
        // dtc (the reference DTS compiler) gives the same tree as lsemu's DTS reader.
        if let Ok(out) = std::process::Command::new("dtc").args(["-q", "-I", "dts", "-O", "dtb"]).arg(f).output() {
            if out.status.success() {
                assert_eq!(dts::from_dtb(&out.stdout).unwrap(), dts::parse_dts(std::str::from_utf8(&data).unwrap()).unwrap(), "{}", f.display());
                assert_eq!(dpl::load(&out.stdout).unwrap(), l, "{}", f.display());
            }
        }
    }
    // The LS2088A-RDB bootstrap DPL: dprc.1 with dpni.0 ↔ dpmac.5 (its connection@0),
    // 8 DPIOs and 27 DPMCPs (its obj_sets).
    if let Ok(data) = std::fs::read(dir.join("config/ls2088a/LS2088A-RDB/dpl-eth.0x2A_0x41.dts")) {
        let l = dpl::load(&data).unwrap();
        assert_eq!(l.peer(Endpoint { ty: ObjType::Dpni, id: 0, if_id: 0 }), Some(Endpoint { ty: ObjType::Dpmac, id: 5, if_id: 0 }));
        let c = l.counts();
        assert_eq!((c["dpio"], c["dpmcp"]), (8, 27));
    }
    eprintln!("parsed {} NXP DPLs", files.len());
}

/// Damaged DPLs (bytes deleted, replaced, duplicated at pseudo-random places; a fixed
/// seed) give an error or a layout, never a panic.
#[test]
fn damaged_dpls_never_panic() {
    let base = TEST_DPL.as_bytes();
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut errors = 0;
    for _ in 0..3000 {
        let mut v = base.to_vec();
        for _ in 0..1 + next() % 4 {
            let i = (next() % v.len() as u64) as usize;
            match next() % 3 {
                0 => {
                    v.remove(i);
                }
                1 => v[i] = b"{};=<>\"'@/,&:x0 "[(next() % 16) as usize],
                _ => {
                    let end = (i + (next() % 40) as usize).min(v.len());
                    let chunk = v[i..end].to_vec();
                    v.splice(i..i, chunk);
                }
            }
        }
        if dpl::load(&v).is_err() {
            errors += 1;
        }
    }
    assert!(errors > 100, "most damaged DPLs are rejected ({errors})");
    // Truncated blobs too.
    for n in [0usize, 3, 4, 8, 40, 41] {
        let mut b = vec![0xd0, 0x0d, 0xfe, 0xed];
        b.resize(n.max(4), 0xff);
        assert!(dpl::load(&b).is_err());
    }
}

// ---------------------------------------------------------------------------------------
// DPNI data path (fslmc/dpni.rs, datapath.rs). Command ids and layouts: dpni-cmd.h of
// Linux 6.1 (DPNI_CMDID_* = number << 4 | version 1) as summarised in
// ls2088a-reference.md §4.8; FD layout §5.5.

use super::dpni::{self as dp, DataPlane, Fd, FqConfig, FqDest, IcidDma};
use std::collections::{BTreeMap as Map, VecDeque};

/// Two DPNIs connected back to back (DPL `connections`), two DPBPs (bpids 0, 1), two
/// DPCONs (channels 0, 1), two DPIOs (portals 0, 1), DPMCPs.
const B2B_DPL: &str = r#"/dts-v1/;
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
				obj_set@dpmcp { type = "dpmcp"; ids = <1 2 3 4 5 6>; };
			};
		};
	};
	objects {
		dpni@0 { num_queues = <1>; num_tcs = <1>; mac_addr = <0x00 0x04 0x9f 0x00 0x00 0x01>; };
		dpni@1 { num_queues = <1>; num_tcs = <1>; };
		dpio@0 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpio@1 { channel_mode = "DPIO_LOCAL_CHANNEL"; num_priorities = <8>; };
		dpbp@0 { }; dpbp@1 { };
		dpcon@0 { num_priorities = <2>; }; dpcon@1 { num_priorities = <2>; };
		dpmcp@1 { }; dpmcp@2 { }; dpmcp@3 { }; dpmcp@4 { }; dpmcp@5 { }; dpmcp@6 { };
	};
	connections {
		connection@0 { endpoint1 = "dpni@0"; endpoint2 = "dpni@1"; };
	};
};
"#;

/// A stand-in for the QBMan engine with the contract's semantics: FQs holding FDs,
/// buffer pools as stacks, hardware-destination enqueues queued for the MC.
#[derive(Default)]
pub(super) struct FakeQb {
    fqs: Map<u32, (FqConfig, VecDeque<Fd>)>,
    pools: Map<u16, Vec<u64>>,
    notify: Map<u16, u32>,
    icids: Map<u32, u16>,
    qds: Map<u16, Vec<u32>>,
    hw: Vec<(u32, u64, Fd)>,
    irqs: Vec<u32>,
}

impl FakeQb {
    /// Software enqueue (EQCR) to `fqid`: hardware FQs go to the MC.
    pub(super) fn sw_enqueue(&mut self, fqid: u32, fd: Fd) {
        let (cfg, q) = self.fqs.get_mut(&fqid).expect("FQ configured");
        match cfg.dest {
            FqDest::Hardware { tag } => self.hw.push((fqid, tag, fd)),
            _ => q.push_back(fd),
        }
    }
    pub(super) fn dequeue(&mut self, fqid: u32) -> Option<Fd> {
        self.fqs.get_mut(&fqid)?.1.pop_front()
    }
}

impl DataPlane for FakeQb {
    fn fq_configure(&mut self, fqid: u32, cfg: FqConfig) {
        self.fqs.entry(fqid).or_insert((cfg, VecDeque::new())).0 = cfg;
    }
    fn fq_frames(&self, fqid: u32) -> u32 {
        self.fqs.get(&fqid).map_or(0, |f| f.1.len() as u32)
    }
    fn enqueue(&mut self, fqid: u32, fd: &Fd) -> bool {
        match self.fqs.get_mut(&fqid) {
            Some(f) => {
                f.1.push_back(*fd);
                true
            }
            None => false,
        }
    }
    fn bp_acquire(&mut self, bpid: u16) -> Option<u64> {
        self.pools.get_mut(&bpid)?.pop()
    }
    fn bp_release(&mut self, bpid: u16, addr: u64) {
        self.pools.entry(bpid).or_default().push(addr);
    }
    fn channel_set_notify_portal(&mut self, channel: u16, portal: u32) {
        self.notify.insert(channel, portal);
    }
    fn set_portal_icid(&mut self, portal: u32, icid: u16) {
        self.icids.insert(portal, icid);
    }
    fn qd_configure(&mut self, qdid: u16, fqids: &[u32]) {
        self.qds.insert(qdid, fqids.to_vec());
    }
    fn portal_reset(&mut self, _portal: u32) {}
    fn take_hw_frames(&mut self) -> Vec<(u32, u64, Fd)> {
        std::mem::take(&mut self.hw)
    }
    fn take_irqs(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.irqs)
    }
}

/// Guest RAM at 0x8000_0000 (64 KiB); records the ICIDs used.
pub(super) struct Ram {
    pub(super) mem: crate::dma::RamDma,
    pub(super) icids: Vec<u16>,
}

impl IcidDma for Ram {
    fn read(&mut self, icid: u16, pa: u64, buf: &mut [u8]) -> Result<(), crate::DmaError> {
        self.icids.push(icid);
        crate::DmaSpace::read(&mut self.mem, pa, buf)
    }
    fn write(&mut self, icid: u16, pa: u64, buf: &[u8]) -> Result<(), crate::DmaError> {
        self.icids.push(icid);
        crate::DmaSpace::write(&mut self.mem, pa, buf)
    }
}

pub(super) fn ram() -> Ram {
    Ram { mem: crate::dma::RamDma::new(0x8000_0000, 0x1_0000), icids: Vec::new() }
}

fn b2b_mc() -> Mc {
    Mc::new(dpl::load(B2B_DPL.as_bytes()).expect("B2B DPL"))
}

/// dpaa2_eth_setup_dpni + bind_dpni + open for DPNI `id` on portal 0 (root), as
/// Linux 6.1 sends them (values from dpaa2-eth.c): returns (token, rx fqid, txconf fqid,
/// tx fqid).
pub(super) fn linux_dpni_setup(mc: &mut Mc, id: u32, dpcon: u32, dpbp: u32) -> (u16, u32, u32, u32) {
    let t = open(mc, 0, 0x8011, id);
    // GET_API_VERSION 0xA011: 7.17 (≥ 7.13: pause and Tx-pending paths; < 8.2).
    let (st, _, r) = send(mc, 0, 0xA011, 0, &[]);
    assert_eq!((st, r.u16(0), r.u16(2)), (status::OK, 7, 17));
    assert_eq!(send(mc, 0, 0x0051, t, &[]).0, status::OK); // RESET
    // SET_BUFFER_LAYOUT 0x2651: TX {priv 64, TS, FS}: options 0x1|0x4|0x8, flags TS|FS.
    assert_eq!(send(mc, 0, 0x2651, t, &[(0, 1, 1), (4, 0xd, 2), (6, 0x5, 1), (8, 64, 2)]).0, status::OK);
    // TX_CONFIRM {TS, FS}.
    assert_eq!(send(mc, 0, 0x2651, t, &[(0, 2, 1), (4, 0x5, 2), (6, 0x5, 1)]).0, status::OK);
    // GET_TX_DATA_OFFSET 0x2121 → 256.
    assert_eq!(send(mc, 0, 0x2121, t, &[]).2.u16(0), 256);
    // RX {PR, FS, TS, align 64, head_room 256 - 64 = 192}: options 0x1|0x2|0x4|0x10|0x20.
    assert_eq!(send(mc, 0, 0x2651, t, &[(0, 0, 1), (4, 0x37, 2), (6, 0x7, 1), (10, 64, 2), (12, 192, 2)]).0, status::OK);
    // SET_POOLS 0x2001: 1 pool, dpbp id at 4, buffer size at 36.
    assert_eq!(send(mc, 0, 0x2001, t, &[(0, 1, 1), (4, dpbp as u64, 4), (36, 3712, 2)]).0, status::OK);
    // GET_QUEUE 0x25F1 (TX, 0, 0) → fqid at 32.
    let (st, _, r) = send(mc, 0, 0x25F1, t, &[(0, 1, 1), (1, 0, 1), (2, 0, 1)]);
    assert_eq!(st, status::OK);
    let tx = r.u32(32);
    // TX_CONFIRM: GET_QUEUE then SET_QUEUE 0x2601 (options USER_CTX|DEST, dest DPCON prio 0).
    let txc = send(mc, 0, 0x25F1, t, &[(0, 2, 1)]).2.u32(32);
    assert_eq!(send(mc, 0, 0x2601, t, &[(0, 2, 1), (3, 3, 1), (8, dpcon as u64, 4), (14, 0, 1), (15, 2, 1), (24, 0xffff_0000_0000_1000, 8)]).0, status::OK);
    // RX: GET_QUEUE, SET_QUEUE (dest DPCON prio 1, user_ctx = FQ struct pointer).
    let rx = send(mc, 0, 0x25F1, t, &[(0, 0, 1)]).2.u32(32);
    assert_eq!(send(mc, 0, 0x2601, t, &[(0, 0, 1), (3, 3, 1), (8, dpcon as u64, 4), (14, 1, 1), (15, 2, 1), (24, 0xffff_0000_0000_2000, 8)]).0, status::OK);
    // ADD_MAC_ADDR 0x2261 broadcast; ENABLE 0x0021.
    assert_eq!(send(mc, 0, 0x2261, t, &[(2, 0xffff_ffff_ffff, 8)]).0, status::OK);
    (t, rx, txc, tx)
}

#[test]
fn dpni_queues_and_fq_configuration() {
    let mut mc = b2b_mc();
    let (t0, rx0, txc0, tx0) = linux_dpni_setup(&mut mc, 0, 0, 0);
    let (_t1, rx1, txc1, tx1) = linux_dpni_setup(&mut mc, 1, 1, 1);
    // Every queue has its own FQID.
    let all = [rx0, txc0, tx0, rx1, txc1, tx1];
    let set: std::collections::BTreeSet<u32> = all.iter().copied().collect();
    assert_eq!(set.len(), 6, "{all:?}");
    // GET_QUEUE echoes what SET_QUEUE stored: dest id 8-11, prio 14, flags 15 (type 2 =
    // DPCON), user_ctx 24-31; qdbin 36-37 = flow 0.
    let (_, _, r) = send(&mut mc, 0, 0x25F1, t0, &[(0, 0, 1)]);
    assert_eq!((r.u32(8), r.u8(14), r.u8(15) & 0xf, r.u64(24)), (0, 1, 2, 0xffff_0000_0000_2000));
    // Non-existent queues (flow 1 of a 1-queue DPNI, tc 1, qtype 4): CONFIG_ERR.
    assert_eq!(send(&mut mc, 0, 0x25F1, t0, &[(0, 0, 1), (2, 1, 1)]).0, status::CONFIG_ERR);
    assert_eq!(send(&mut mc, 0, 0x25F1, t0, &[(0, 0, 1), (1, 1, 1)]).0, status::CONFIG_ERR);
    assert_eq!(send(&mut mc, 0, 0x25F1, t0, &[(0, 4, 1)]).0, status::CONFIG_ERR);
    // A DPCON that does not exist as destination: CONFIG_ERR.
    assert_eq!(send(&mut mc, 0, 0x2601, t0, &[(0, 0, 1), (3, 2, 1), (8, 9, 4), (15, 2, 1)]).0, status::CONFIG_ERR);
    // GET_QDID 0x2101 (qtype TX): a non-zero queuing destination per DPNI.
    let q0 = send(&mut mc, 0, 0x2101, t0, &[(0, 1, 1)]).2.u16(0);
    assert_ne!(q0, 0);
    let mut qb = FakeQb::default();
    let mut m = ram();
    mc.pump_with(&mut qb, &mut m);
    // The QBMan engine now has: Rx FQ → channel of dpcon.0 (channel 0) prio 1 with the
    // user context; Tx-conf → channel 0 prio 0; Tx → hardware; Tx QD bin 0 → the Tx FQ.
    assert_eq!(qb.fqs[&rx0].0, FqConfig { dest: FqDest::Channel { channel: 0, prio: 1 }, user_ctx: 0xffff_0000_0000_2000 });
    assert_eq!(qb.fqs[&txc0].0, FqConfig { dest: FqDest::Channel { channel: 0, prio: 0 }, user_ctx: 0xffff_0000_0000_1000 });
    assert_eq!(qb.fqs[&rx1].0.dest, FqDest::Channel { channel: 1, prio: 1 });
    assert!(matches!(qb.fqs[&tx0].0.dest, FqDest::Hardware { .. }));
    assert_eq!(qb.qds[&q0], vec![tx0]);
    // DPIO portals get the root container's ICID (23).
    assert_eq!((qb.icids[&0], qb.icids[&1]), (23, 23));
    // DPCON_SET_NOTIFICATION 0x1001 (dpio_id 0-3): channel 1's CDANs go to dpio.1's portal.
    let c = open(&mut mc, 0, 0x8081, 1);
    assert_eq!(send(&mut mc, 0, 0x1001, c, &[(0, 1, 4), (4, 0, 1), (8, 0x1234, 8)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x1001, c, &[(0, 7, 4)]).0, status::CONFIG_ERR);
    mc.pump_with(&mut qb, &mut m);
    assert_eq!(qb.notify[&1], 1);
    // RESET unschedules the queues again (dest none, user context 0).
    assert_eq!(send(&mut mc, 0, 0x0051, t0, &[]).0, status::OK);
    mc.pump_with(&mut qb, &mut m);
    assert_eq!(qb.fqs[&rx0].0, FqConfig { dest: FqDest::None, user_ctx: 0 });
    assert_eq!(send(&mut mc, 0, 0x25F1, t0, &[(0, 0, 1)]).2.u64(24), 0);
}

#[test]
fn dpni_link_follows_both_ends() {
    let mut mc = b2b_mc();
    let t0 = open(&mut mc, 0, 0x8011, 0);
    let t1 = open(&mut mc, 0, 0x8011, 1);
    // IRQs: DPRC_SET_OBJ_IRQ for both DPNIs (data 10 / 11), mask 0x3, enable.
    let r = open(&mut mc, 0, 0x8051, 1);
    for (id, data, t) in [(0u64, 10u64, t0), (1, 11, t1)] {
        let mut p = vec![(0, data, 4), (4, 0, 1), (8, 0x0603_0040, 8), (16, 99, 4), (20, id, 4)];
        type_param(&mut p, 24, "dpni");
        assert_eq!(send(&mut mc, 0, 0x15F1, r, &p).0, status::OK);
        assert_eq!(send(&mut mc, 0, 0x0141, t, &[(0, 3, 4)]).0, status::OK);
        assert_eq!(send(&mut mc, 0, 0x0121, t, &[(0, 1, 1)]).0, status::OK);
    }
    let link = |mc: &mut Mc, t| send(mc, 0, 0x2151, t, &[]).2.u8(4) & 1;
    // dpni.0 enabled alone: its peer is disabled, so the link stays down, no event.
    assert_eq!(send(&mut mc, 0, 0x0021, t0, &[]).0, status::OK);
    assert_eq!(link(&mut mc, t0), 0);
    assert!(mc.take_msis().is_empty());
    // dpni.1 enabled: both links come up, one LINK_CHANGED MSI each (data 10, 11).
    assert_eq!(send(&mut mc, 0, 0x0021, t1, &[]).0, status::OK);
    assert_eq!((link(&mut mc, t0), link(&mut mc, t1)), (1, 1));
    let d: Vec<u32> = mc.take_msis().iter().map(|m| m.data).collect();
    assert_eq!(d, vec![11, 10]);
    // GET_LINK_STATE rate at 8-11 (10 Gb/s fixed link) while up.
    assert_eq!(send(&mut mc, 0, 0x2151, t0, &[]).2.u32(8), 10_000);
    // Disabling either end takes both down again (events on both).
    assert_eq!(send(&mut mc, 0, 0x0031, t0, &[]).0, status::OK);
    assert_eq!((link(&mut mc, t0), link(&mut mc, t1)), (0, 0));
    assert_eq!(mc.take_msis().len(), 2);
    // GET_IRQ_STATUS ~0 returns LINK_CHANGED (bit 0) and clears it.
    assert_eq!(send(&mut mc, 0, 0x0161, t1, &[(0, 0xffff_ffff, 4)]).2.u32(0), 1);
    assert_eq!(send(&mut mc, 0, 0x0161, t1, &[(0, 0xffff_ffff, 4)]).2.u32(0), 0);
}

#[test]
fn dpni_misc_commands() {
    let mut mc = b2b_mc();
    let t = open(&mut mc, 0, 0x8011, 0);
    // GET_PORT_MAC_ADDR 0x2631: the DPL's 00:04:9f:00:00:01 in bytes 2-7, reversed.
    let (_, _, r) = send(&mut mc, 0, 0x2631, t, &[]);
    assert_eq!((2..8).map(|i| r.u8(i)).collect::<Vec<_>>(), vec![0x01, 0x00, 0x00, 0x9f, 0x04, 0x00]);
    // SET_PRIM_MAC 0x2241 02:00:00:00:00:05 then GET_PRIM_MAC 0x2251 reads it back.
    let mac = u64::from_le_bytes([0, 0, 5, 0, 0, 0, 0, 2]);
    assert_eq!(send(&mut mc, 0, 0x2241, t, &[(0, mac, 8)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x2251, t, &[]).2.u64(0), mac);
    // A multicast primary address is refused.
    assert_eq!(send(&mut mc, 0, 0x2241, t, &[(0, u64::from_le_bytes([0, 0, 5, 0, 0, 0, 0, 1]), 8)]).0, status::CONFIG_ERR);
    // SET_MAX_FRAME_LENGTH 0x2161: 10240 accepted, 10241 refused.
    assert_eq!(send(&mut mc, 0, 0x2161, t, &[(0, 10240, 2)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x2161, t, &[(0, 10241, 2)]).0, status::CONFIG_ERR);
    // GET_LINK_CFG 0x2781 / SET_LINK_CFG 0x21A1: options at 16-23 (PAUSE 0x4).
    assert_eq!(send(&mut mc, 0, 0x21A1, t, &[(8, 10_000, 4), (16, 0x5, 8)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x2781, t, &[]).2.u64(16), 0x5);
    // SET_OFFLOAD 0x26C1 types 0..3 accepted, 4 refused.
    assert_eq!(send(&mut mc, 0, 0x26C1, t, &[(3, 3, 1), (4, 1, 4)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x26C1, t, &[(3, 4, 1), (4, 1, 4)]).0, status::CONFIG_ERR);
    // SET_TAILDROP 0x2621 on the Rx queue: accepted; on a missing queue: CONFIG_ERR.
    assert_eq!(send(&mut mc, 0, 0x2621, t, &[(1, 0, 1), (8, 1, 1), (12, 1000, 4)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x2621, t, &[(1, 0, 1), (3, 5, 1)]).0, status::CONFIG_ERR);
    // SET_POOLS with a DPBP that does not exist / zero pools: CONFIG_ERR.
    assert_eq!(send(&mut mc, 0, 0x2001, t, &[(0, 1, 1), (4, 9, 4), (36, 2048, 2)]).0, status::CONFIG_ERR);
    assert_eq!(send(&mut mc, 0, 0x2001, t, &[(0, 0, 1)]).0, status::CONFIG_ERR);
    // Buffer layouts cannot change while enabled (INVALID_STATE).
    assert_eq!(send(&mut mc, 0, 0x0021, t, &[]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x2651, t, &[(0, 0, 1), (4, 0x20, 2), (12, 64, 2)]).0, status::INVALID_STATE);
    // GET_STATISTICS 0x25D1 page 6 (tx_pending) is 0; page 7 does not exist.
    let (st, _, r) = send(&mut mc, 0, 0x25D1, t, &[(0, 6, 1)]);
    assert_eq!((st, r.u64(0)), (status::OK, 0));
    assert_eq!(send(&mut mc, 0, 0x25D1, t, &[(0, 7, 1)]).0, status::CONFIG_ERR);
}

/// An Ethernet frame: dst, src, type 0x0800, `n` payload bytes 0, 1, 2...
fn frame(dst: [u8; 6], n: usize) -> Vec<u8> {
    let mut f = dst.to_vec();
    f.extend_from_slice(&[2, 0, 0, 0, 0, 9, 0x08, 0x00]);
    f.extend((0..n).map(|i| i as u8));
    f
}

#[test]
fn dpni_tx_to_peer_rx_and_confirmation() {
    let mut mc = b2b_mc();
    let (t0, _rx0, txc0, tx0) = linux_dpni_setup(&mut mc, 0, 0, 0);
    let (t1, rx1, _txc1, _tx1) = linux_dpni_setup(&mut mc, 1, 1, 1);
    // dpni.1 accepts its port MAC: GET_PRIM_MAC (zero in the DPL) → use promisc instead:
    // SET_UNICAST_PROMISC 0x2221.
    assert_eq!(send(&mut mc, 0, 0x2221, t1, &[(0, 1, 1)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x0021, t0, &[]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x0021, t1, &[]).0, status::OK);
    let mut qb = FakeQb::default();
    let mut m = ram();
    mc.pump_with(&mut qb, &mut m);
    // Rx buffers for dpni.1's pool (bpid 1: dpbp.1 is the second DPBP).
    qb.bp_release(1, 0x8000_4000);
    qb.bp_release(1, 0x8000_6000);
    // Single-buffer Tx FD: buffer 0x8000_1000, data at offset 0x100 (format 0).
    let f1 = frame([0x02, 0, 0, 0, 0, 7], 50);
    m.mem.data[0x1100..0x1100 + f1.len()].copy_from_slice(&f1);
    let fd1 = dp::fd_single(0x8000_1000, 0x100, f1.len() as u32, 0);
    qb.sw_enqueue(tx0, fd1);
    // Scatter-gather FD (format 2): table at 0x8000_2000 + 0x40 with two entries,
    // 20 bytes at 0x8000_3000+0x10 and the rest at 0x8000_3800 (final bit 15).
    let f2 = frame([0xff; 6], 86);
    m.mem.data[0x3010..0x3010 + 20].copy_from_slice(&f2[..20]);
    m.mem.data[0x3800..0x3800 + f2.len() - 20].copy_from_slice(&f2[20..]);
    let mut sg = [0u8; 32];
    sg[0..8].copy_from_slice(&0x8000_3000u64.to_le_bytes());
    sg[8..12].copy_from_slice(&20u32.to_le_bytes());
    sg[14..16].copy_from_slice(&0x0010u16.to_le_bytes());
    sg[16..24].copy_from_slice(&0x8000_3800u64.to_le_bytes());
    sg[24..28].copy_from_slice(&((f2.len() - 20) as u32).to_le_bytes());
    sg[30..32].copy_from_slice(&0x8000u16.to_le_bytes());
    m.mem.data[0x2040..0x2060].copy_from_slice(&sg);
    let mut fd2 = dp::fd_single(0x8000_2000, 0x40, f2.len() as u32, 0);
    fd2[14..16].copy_from_slice(&(0x40u16 | 2 << 12).to_le_bytes());
    qb.sw_enqueue(tx0, fd2);
    mc.pump_with(&mut qb, &mut m);
    // Tx confirmations: the unchanged FDs on dpni.0's Tx-conf FQ, in order.
    assert_eq!(qb.dequeue(txc0), Some(fd1));
    assert_eq!(qb.dequeue(txc0), Some(fd2));
    // dpni.1 received both: buffers popped from bpid 1 (stack: last released first),
    // data at the Rx offset 64 (annotation) + 192 (head room) = 256, single FDs with
    // FRC FASV (0x8000: the Rx layout passes the frame status).
    let fasv = |mut fd: Fd| {
        fd[16..20].copy_from_slice(&0x8000u32.to_le_bytes());
        fd
    };
    let r1 = qb.dequeue(rx1).expect("first frame received");
    assert_eq!(r1, fasv(dp::fd_single(0x8000_6000, 256, f1.len() as u32, 1)));
    assert_eq!(&m.mem.data[0x6100..0x6100 + f1.len()], &f1[..]);
    let r2 = qb.dequeue(rx1).expect("second frame received");
    assert_eq!(r2, fasv(dp::fd_single(0x8000_4000, 256, f2.len() as u32, 1)));
    assert_eq!(&m.mem.data[0x4100..0x4100 + f2.len()], &f2[..]);
    // All DMA used the container's ICID 23.
    assert!(m.icids.iter().all(|&i| i == 23));
    // Statistics: dpni.0 page 1 egress frames/bytes, dpni.1 page 0 ingress + broadcast.
    let (_, _, s) = send(&mut mc, 0, 0x25D1, t0, &[(0, 1, 1)]);
    assert_eq!((s.u64(0), s.u64(8), s.u64(32)), (2, (f1.len() + f2.len()) as u64, 1));
    let (_, _, s) = send(&mut mc, 0, 0x25D1, t1, &[(0, 0, 1)]);
    assert_eq!((s.u64(0), s.u64(8), s.u64(32)), (2, (f1.len() + f2.len()) as u64, 1));
    // No buffer left in the pool: the next frame is dropped (page 2 nobuffer counter).
    qb.sw_enqueue(tx0, fd1);
    mc.pump_with(&mut qb, &mut m);
    assert_eq!(qb.dequeue(rx1), None);
    assert_eq!(send(&mut mc, 0, 0x25D1, t1, &[(0, 2, 1)]).2.u64(16), 1);
    // An unreadable Tx buffer: confirmation with FD CTRL FAERR (0x40) set.
    let bad = dp::fd_single(0x1000, 0, 60, 0);
    qb.sw_enqueue(tx0, bad);
    mc.pump_with(&mut qb, &mut m);
    qb.dequeue(txc0);
    assert_eq!(dp::fd_ctrl(&qb.dequeue(txc0).unwrap()), 0x40);
}

#[test]
fn dpni_rx_filter_and_link_down_drop() {
    let mut mc = b2b_mc();
    let (t0, _, _, tx0) = linux_dpni_setup(&mut mc, 0, 0, 0);
    let (t1, rx1, _, _) = linux_dpni_setup(&mut mc, 1, 1, 1);
    // dpni.1 primary MAC 02:00:00:00:00:07 (SET_PRIM_MAC, reversed bytes).
    assert_eq!(send(&mut mc, 0, 0x2241, t1, &[(0, u64::from_le_bytes([0, 0, 7, 0, 0, 0, 0, 2]), 8)]).0, status::OK);
    let mut qb = FakeQb::default();
    let mut m = ram();
    for a in 0..4 {
        qb.bp_release(1, 0x8000_8000 + a * 0x1000);
    }
    let f = frame([2, 0, 0, 0, 0, 7], 46);
    m.mem.data[0x1000..0x1000 + f.len()].copy_from_slice(&f);
    let other = frame([2, 0, 0, 0, 0, 8], 46);
    m.mem.data[0x2000..0x2000 + other.len()].copy_from_slice(&other);
    mc.pump_with(&mut qb, &mut m);
    // Link down (dpni.1 disabled): the frame is not delivered.
    assert_eq!(send(&mut mc, 0, 0x0021, t0, &[]).0, status::OK);
    qb.sw_enqueue(tx0, dp::fd_single(0x8000_1000, 0, f.len() as u32, 0));
    mc.pump_with(&mut qb, &mut m);
    assert_eq!(qb.fq_frames(rx1), 0);
    assert_eq!(send(&mut mc, 0, 0x0021, t1, &[]).0, status::OK);
    // Up: its own address passes, another unicast address is filtered (page 2 counter 0).
    qb.sw_enqueue(tx0, dp::fd_single(0x8000_1000, 0, f.len() as u32, 0));
    qb.sw_enqueue(tx0, dp::fd_single(0x8000_2000, 0, other.len() as u32, 0));
    mc.pump_with(&mut qb, &mut m);
    assert_eq!(qb.fq_frames(rx1), 1);
    assert_eq!(send(&mut mc, 0, 0x25D1, t1, &[(0, 2, 1)]).2.u64(0), 1);
    // Frames injected from outside (host backends) arrive the same way.
    mc.inject_rx(1, f.clone());
    mc.pump_with(&mut qb, &mut m);
    assert_eq!(qb.fq_frames(rx1), 2);
}

#[test]
fn dpio_portal_irq_becomes_its_msi() {
    let mut mc = b2b_mc();
    let r = open(&mut mc, 0, 0x8051, 1);
    // DPRC_SET_OBJ_IRQ for dpio.1 (portal 1): data 42.
    let mut p = vec![(0, 42, 4), (4, 0, 1), (8, 0x0603_0040, 8), (16, 7, 4), (20, 1, 4)];
    type_param(&mut p, 24, "dpio");
    assert_eq!(send(&mut mc, 0, 0x15F1, r, &p).0, status::OK);
    let mut qb = FakeQb { irqs: vec![1, 0], ..Default::default() };
    mc.pump_with(&mut qb, &mut ram());
    // dpio.0 has no MSI programmed: only dpio.1's fires, with the container ICID.
    assert_eq!(mc.take_msis(), vec![MsiWrite { icid: 23, addr: 0x0603_0040, data: 42 }]);
}

/// A host backend that records what it is sent and hands out queued frames.
struct Wire {
    sent: std::sync::Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
    inbox: VecDeque<Vec<u8>>,
}

impl crate::net::NetBackend for Wire {
    fn send(&mut self, frame: &[u8]) {
        self.sent.lock().unwrap().push(frame.to_vec());
    }
    fn recv(&mut self) -> Option<Vec<u8>> {
        self.inbox.pop_front()
    }
    fn describe(&self) -> String {
        "test wire".into()
    }
}

#[test]
fn dpni_through_dpmac_to_host_backend() {
    // dpni.0 ↔ dpmac.1 (a DPMAC instead of the peer DPNI).
    let dpl = B2B_DPL
        .replace("obj_set@dpmcp", "obj_set@dpmac { type = \"dpmac\"; ids = <1>; };\n\t\t\t\tobj_set@dpmcp")
        .replace("dpbp@0 { };", "dpmac@1 { }; dpbp@0 { };")
        .replace("endpoint2 = \"dpni@1\"", "endpoint2 = \"dpmac@1\"");
    let mut mc = Mc::new(dpl::load(dpl.as_bytes()).expect("DPL"));
    let (t0, rx0, _, tx0) = linux_dpni_setup(&mut mc, 0, 0, 0);
    assert_eq!(send(&mut mc, 0, 0x2221, t0, &[(0, 1, 1)]).0, status::OK); // promisc
    assert_eq!(send(&mut mc, 0, 0x0021, t0, &[]).0, status::OK);
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let host_frame = frame([0xff; 6], 40);
    let wire = Wire { sent: sent.clone(), inbox: VecDeque::from([host_frame.clone()]) };
    let mut nets: Vec<crate::net::Attached> = vec![("dpmac.1".into(), Box::new(wire))];
    // The MC's own QBMan engine this time (Mc::pump_net).
    let mut m = ram();
    mc.pump_net(&mut m, &mut nets, false);
    mc.qbman.bp_release(0, 0x8000_8000);
    let f = frame([2, 0, 0, 0, 0, 7], 46);
    m.mem.data[0x1000..0x1000 + f.len()].copy_from_slice(&f);
    // Tx FQs are hardware-destination FQs: an enqueue goes to the DPNI.
    mc.qbman.enqueue(tx0, &dp::fd_single(0x8000_1000, 0, f.len() as u32, 0)).unwrap();
    // A pump without host polling sends the frame to the DPMAC's backend, receives nothing.
    mc.pump_net(&mut m, &mut nets, false);
    assert_eq!(sent.lock().unwrap().as_slice(), &[f.clone()]);
    assert_eq!(mc.qbman.fq_frames(rx0), 0);
    // Polling: the host frame arrives through the DPMAC's peer dpni.0, in its Rx FQ, in
    // the pool's buffer at the Rx offset 256.
    mc.pump_net(&mut m, &mut nets, true);
    assert_eq!(mc.qbman.fq_frames(rx0), 1);
    assert_eq!(&m.mem.data[0x8100..0x8100 + host_frame.len()], &host_frame[..]);
    assert_eq!(mc.qbman.bp_count(0), 0);
}

#[test]
fn tx_checksum_generation() {
    // IPv4 header from the RFC 1071-style worked example on Wikipedia's "IPv4 header
    // checksum" page: 4500 0073 0000 4000 4011 [b861] c0a8 0001 c0a8 00c7.
    let hdr = [0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7];
    assert_eq!(dp::inet_checksum(&hdr, 0), 0xb861);
    // A UDP/IPv4 frame (total length 0x73 = 20 + 95) with zeroed checksums.
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
    f.extend_from_slice(&hdr);
    f.extend_from_slice(&[0x30, 0x39, 0x13, 0x88, 0x00, 95, 0xde, 0xad]); // ports, len 95, junk csum
    f.extend((0..87).map(|i| (i * 7) as u8));
    dp::tx_checksum(&mut f, true, true);
    assert_eq!(&f[24..26], &[0xb8, 0x61]);
    // Receiver check (RFC 768/1071): the sum over pseudo-header + segment incl. the
    // checksum is all ones, i.e. the checksum of it is 0.
    let mut pseudo = f[26..34].to_vec();
    pseudo.extend_from_slice(&[0, 17, 0, 95]);
    pseudo.extend_from_slice(&f[34..]);
    assert_eq!(dp::inet_checksum(&pseudo, 0), 0);
    // L3 only: the UDP checksum stays as it was.
    let mut g = f.clone();
    g[40] = 0x12;
    dp::tx_checksum(&mut g, true, false);
    assert_eq!(g[40], 0x12);
    // Not IP (ARP): untouched.
    let mut arp = frame([0xff; 6], 28);
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    let before = arp.clone();
    dp::tx_checksum(&mut arp, true, true);
    assert_eq!(arp, before);
}

/// Root dprc.1, child dprc.2 (dpni.1, dpmcp.2) and grandchild dprc.3 (dpni.2), for the
/// container reset semantics.
const RESET_DPL: &str = r#"/dts-v1/;
/ {
	dpl-version = <10>;
	containers {
		dprc@1 { parent = "none"; objects { obj@1 { obj_name = "dpmcp@1"; }; }; };
		dprc@2 { parent = "dprc@1"; objects { obj@1 { obj_name = "dpni@1"; }; obj@2 { obj_name = "dpmcp@2"; }; }; };
		dprc@3 { parent = "dprc@2"; objects { obj@1 { obj_name = "dpni@2"; }; }; };
	};
	objects {
		dpmcp@1 { }; dpmcp@2 { };
		dpni@1 { num_queues = <1>; num_tcs = <1>; };
		dpni@2 { num_queues = <1>; num_tcs = <1>; };
	};
};
"#;

/// DPRC_RESET_CONT as vfio-fsl-mc uses it (vfio_fsl_mc_reset_device: the container resets
/// itself through its own portal and token, DPRC_RESET_OPTION_NON_RECURSIVE) and as the
/// MC API documents it (dprc_reset_container in Linux's dprc.c and NXP's fsl_dprc.h):
/// command 0x005 v2 (DPRC API >= 6.5) carries the options word, bit 0 = do not enter
/// child containers; v1 always recurses; the objects inside are reset (disabled, IRQs
/// back to their reset state) and "all objects handles that were owned by the child
/// container shall be closed"; the id must be a child container (or the container itself).
#[test]
fn reset_container_non_recursive_and_recursive() {
    let mut mc = Mc::new(dpl::load(RESET_DPL.as_bytes()).expect("DPL"));
    let child_portal = mc.layout.container(2).expect("dprc.2").portal;
    let enable_with_irq = |mc: &mut Mc, portal: u32, dpni: u32| -> u16 {
        let t = open(mc, portal, 0x8011, dpni);
        assert_eq!(send(mc, portal, 0x0121, t, &[(0, 1, 1), (4, 0, 1)]).0, status::OK); // SET_IRQ_ENABLE(0, 1)
        assert_eq!(send(mc, portal, 0x0021, t, &[]).0, status::OK); // ENABLE
        t
    };
    // What the root sees of a DPNI: (IS_ENABLED 0x0061, GET_IRQ_ENABLE 0x0131 of IRQ 0).
    let state = |mc: &mut Mc, dpni: u32| -> (u8, u8) {
        let t = open(mc, 0, 0x8011, dpni);
        let en = send(mc, 0, 0x0061, t, &[]).2.u8(0);
        let irq = send(mc, 0, 0x0131, t, &[(4, 0, 1)]).2.u8(0);
        assert_eq!(send(mc, 0, 0x8001, t, &[]).0, status::OK);
        (en, irq)
    };
    // The child's software: its DPRC token, dpni.1 (its own) and dpni.2 (its child's).
    let c = open(&mut mc, child_portal, 0x8051, 2);
    let n1 = enable_with_irq(&mut mc, child_portal, 1);
    let n2 = enable_with_irq(&mut mc, child_portal, 2);
    assert_eq!((state(&mut mc, 1), state(&mut mc, 2)), ((1, 1), (1, 1)));
    // The id must be the container itself or a child: the grandchild is not dprc.1's child.
    let r = open(&mut mc, 0, 0x8051, 1);
    assert_eq!(send(&mut mc, 0, 0x0052, r, &[(0, 3, 4), (4, 1, 4)]).0, status::CONFIG_ERR);
    // Non-recursive self-reset through the child's own portal: dpni.1 reset, dpni.2 not.
    assert_eq!(send(&mut mc, child_portal, 0x0052, c, &[(0, 2, 4), (4, 1, 4)]).0, status::OK);
    assert_eq!((state(&mut mc, 1), state(&mut mc, 2)), ((0, 0), (1, 1)));
    // The object handles the child's portal held are closed; its DPRC token is not.
    assert_eq!(send(&mut mc, child_portal, 0x0041, n1, &[]).0, status::AUTH_ERR);
    assert_eq!(send(&mut mc, child_portal, 0x0041, n2, &[]).0, status::AUTH_ERR);
    assert_eq!(send(&mut mc, child_portal, 0x0041, c, &[]).2.u32(0), 2);
    // Handles held elsewhere (the root's portal) survive a reset of the child.
    let keep = open(&mut mc, 0, 0x8011, 1);
    assert_eq!(send(&mut mc, child_portal, 0x0052, c, &[(0, 2, 4), (4, 1, 4)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x0061, keep, &[]).0, status::OK);
    // v1 from the parent recurses into the grandchild: dpni.2 reset too.
    assert_eq!(send(&mut mc, 0, 0x0051, r, &[(0, 2, 4)]).0, status::OK);
    assert_eq!(state(&mut mc, 2), (0, 0));
}

#[test]
fn firmware_version_is_settable_for_dpdk() {
    let mut mc = default_mc();
    // DPDK 22.11's fslmc_process_mcp refuses MC firmware < 10.32 ("DPAA2 MC version not
    // compatible! Expected 10.32.x"): `lsemu boot --mc-version 10.32.0` sets what
    // DPMNG_GET_VERSION 0x8311 answers (revision 0-3, major 4-7, minor 8-11).
    mc.fw_version = (10, 32, 0);
    let (st, _, r) = send(&mut mc, 0, 0x8311, 0, &[]);
    assert_eq!((st, r.u32(4), r.u32(8), r.u32(0)), (status::OK, 10, 32, 0));
}

#[test]
fn dpdk_dpni_tx_confirmation_and_congestion_commands() {
    let mut mc = default_mc();
    let n = open(&mut mc, 0, 0x8011, 0);
    // DPDK 22.11 fsl_dpni_cmd.h: SET_TX_CONFIRMATION_MODE = DPNI_CMD(0x266) → 0x2661,
    // GET = DPNI_CMD(0x26D) → 0x26D1; struct dpni_tx_confirmation_mode: 4 bytes pad, mode
    // at byte 4 (enum dpni_confirmation_mode: AFFINE 0, SINGLE 1, DISABLE 2).
    assert_eq!(send(&mut mc, 0, 0x26D1, n, &[]).2.u8(4), 0, "AFFINE after create");
    assert_eq!(send(&mut mc, 0, 0x2661, n, &[(4, 2, 1)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x26D1, n, &[]).2.u8(4), 2);
    assert_eq!(send(&mut mc, 0, 0x2661, n, &[(4, 3, 1)]).0, status::CONFIG_ERR, "no mode 3");
    // DPNI_RESET (0x0051) brings the default back.
    assert_eq!(send(&mut mc, 0, 0x0051, n, &[]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x26D1, n, &[]).2.u8(4), 0);
    // SET_CONGESTION_NOTIFICATION = DPNI_CMD_V3(0x267) → 0x2673: qtype byte 0 (1 = TX),
    // tc byte 1; a queue type beyond RX_ERR (3) or a TC the DPNI lacks is refused.
    assert_eq!(send(&mut mc, 0, 0x2673, n, &[(0, 1, 1), (1, 0, 1)]).0, status::OK);
    assert_eq!(send(&mut mc, 0, 0x2673, n, &[(0, 4, 1)]).0, status::CONFIG_ERR);
    assert_eq!(send(&mut mc, 0, 0x2673, n, &[(0, 1, 1), (1, 9, 1)]).0, status::CONFIG_ERR);
}

/// A DPL may declare objects whose own commands the model does not answer (the issue: "what
/// lsemu cannot honour gets one clear error naming the node"): the layout loads, and
/// `unmodelled` names each such node, one line per type; the built-in DPL has none.
#[test]
fn unmodelled_objects_are_named() {
    let src = r#"/dts-v1/;
/ {
    dpl-version = <10>;
    containers {
        dprc@1 {
            compatible = "fsl,dprc";
            parent = "none";
            objects {
                obj_set@dpsw { type = "dpsw"; ids = <0 1>; };
                obj_set@dpdmux { type = "dpdmux"; ids = <3>; };
                obj_set@dpbp { type = "dpbp"; ids = <0>; };
            };
        };
    };
    objects {
        dpsw@0 { compatible = "fsl,dpsw"; num_ifs = <4>; };
        dpsw@1 { compatible = "fsl,dpsw"; };
        dpdmux@3 { compatible = "fsl,dpdmux"; };
        dpbp@0 { compatible = "fsl,dpbp"; };
    };
};
"#;
    let l = super::dpl::load(src.as_bytes()).expect("a DPL with DPSW/DPDMUX objects loads");
    let u = l.unmodelled();
    assert_eq!(u.len(), 2, "{u:?}");
    assert!(u[0].starts_with("/objects/dpsw@0, /objects/dpsw@1: dpsw objects "), "{u:?}");
    assert!(u[1].starts_with("/objects/dpdmux@3: dpdmux objects "), "{u:?}");
    assert!(super::dpl::default_layout().unmodelled().is_empty());
}
