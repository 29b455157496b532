//! Command-level tests of every MC command Linux 6.1 and DPDK 22.11 issue to the object
//! types of our DPLs (the list, with issuers and the test of each: COMMANDS.md).
//!
//! Each command is encoded by hand the way the driver function cited next to it fills
//! its `struct *_cmd_*` (little-endian fields at byte offsets of the 56-byte parameter
//! area after the header), posted through the MC portal MMIO window as the drivers do it
//! (parameters first, then the header with status READY, one 64-bit store each: Linux
//! mc_write_command), and the response is read back from the portal. Expected values
//! come from the drivers' response structs and constants (fsl-mc-private.h, dpio-cmd.h,
//! dpni-cmd.h/dpni.h, dpmac-cmd.h/dpmac.h; DPDK 22.11 drivers/bus/fslmc/mc/fsl_*_cmd.h,
//! drivers/net/dpaa2/mc/fsl_dpni_cmd.h), from the DPL in the test, and from
//! ls2088a-reference.md §4 (addresses, region layout). Error statuses are those of
//! `enum mc_cmd_status` (include/linux/fsl/mc.h), which mc-sys.c's mc_status_to_error
//! turns into errnos: AUTH_ERR → -EACCES, NO_PRIVILEGE → -EPERM, CONFIG_ERR → -ENXIO,
//! NO_RESOURCE → -ENAVAIL, UNSUPPORTED_OP → -ENOTSUPP, INVALID_STATE → -ENODEV,
//! DMA_ERR → -EIO.

use super::cmd::{status, Params};
use super::dpl;
use super::*;

/// The parameter area built field by field (offsets/widths from the driver structs).
#[derive(Default, Clone)]
struct P(Params);

impl P {
    fn new() -> P {
        P::default()
    }
    fn u8(mut self, off: usize, v: u8) -> P {
        self.0.set_u8(off, v);
        self
    }
    fn u16(mut self, off: usize, v: u16) -> P {
        self.0.set_u16(off, v);
        self
    }
    fn u32(mut self, off: usize, v: u32) -> P {
        self.0.set_u32(off, v);
        self
    }
    fn u64(mut self, off: usize, v: u64) -> P {
        self.0.set_u64(off, v);
        self
    }
    /// A 16-byte NUL-padded type string (`u8 obj_type[16]`, strncpy in the drivers).
    fn ty(mut self, off: usize, s: &str) -> P {
        self.0.set_str16(off, s);
        self
    }
}

/// A command header as mc_encode_cmd_header builds it: command id [63:48], token
/// [47:32], status READY (0x01) in [23:16], no flags.
fn hdr(cmd_id: u16, token: u16) -> u64 {
    (cmd_id as u64) << 48 | (token as u64) << 32 | 0x01 << 16
}

/// Posts a command on MC portal `portal` through the MMIO window and reads the
/// response back; returns (status, token of the response header, response params).
fn mc_cmd(mc: &mut Mc, portal: u32, cmd_id: u16, token: u16, p: P) -> (u8, u16, Params) {
    let base = portal as u64 * PORTAL_STRIDE;
    for i in 0..7 {
        mc.portal_write(base + 8 + 8 * i as u64, Size::B8, p.0.word(i)).expect("portal param write");
    }
    mc.portal_write(base, Size::B8, hdr(cmd_id, token)).expect("portal header write");
    let h = mc.portal_read(base, Size::B8).expect("portal header read");
    let mut r = Params::default();
    for i in 0..7 {
        r.set_word(i, mc.portal_read(base + 8 + 8 * i as u64, Size::B8).expect("portal param read"));
    }
    (((h >> 16) & 0xff) as u8, (h >> 32) as u16, r)
}

fn st(mc: &mut Mc, portal: u32, cmd_id: u16, token: u16, p: P) -> u8 {
    mc_cmd(mc, portal, cmd_id, token, p).0
}

/// `*_open`: the object id in bytes 0-3 (struct dp*_cmd_open); the token comes back in
/// the response header (mc_cmd_hdr_read_token).
fn open(mc: &mut Mc, portal: u32, cmd_id: u16, id: u32) -> u16 {
    let (s, t, _) = mc_cmd(mc, portal, cmd_id, 0, P::new().u32(0, id));
    assert_eq!(s, status::OK, "open {cmd_id:#06x} id {id}");
    assert_ne!(t, 0, "open {cmd_id:#06x}: token 0");
    t
}

fn default_mc() -> Mc {
    Mc::new(dpl::default_layout())
}

// Command ids (number << 4 | version), as the drivers define them.
const CLOSE: u16 = 0x8001; // *_CMDID_CLOSE (every type, v1)
const ENABLE: u16 = 0x0021;
const DISABLE: u16 = 0x0031;
const GET_ATTR: u16 = 0x0041;
const RESET: u16 = 0x0051;
const IS_ENABLED: u16 = 0x0061;
const SET_IRQ: u16 = 0x0101;
const SET_IRQ_ENABLE: u16 = 0x0121;
const SET_IRQ_MASK: u16 = 0x0141;
const GET_IRQ_STATUS: u16 = 0x0161;
const CLEAR_IRQ_STATUS: u16 = 0x0171;
const DPRC_OPEN: u16 = 0x8051;
const DPMCP_OPEN: u16 = 0x80B1;
const DPIO_OPEN: u16 = 0x8031;
const DPBP_OPEN: u16 = 0x8041;
const DPCON_OPEN: u16 = 0x8081;
const DPNI_OPEN: u16 = 0x8011;
const DPMAC_OPEN: u16 = 0x80C1;

/// fsl-mc-bus.c probe and dprc-driver.c scan: DPMNG_GET_VERSION, DPRC_GET_CONT_ID,
/// DPRC_GET_API_VERSION, DPRC_OPEN, DPRC_GET_ATTR, DPRC_GET_OBJ_COUNT, DPRC_GET_OBJ,
/// DPRC_GET_OBJ_REG v3, DPRC_CLOSE; DPDK 22.11 adds DPMNG_GET_SOC_VERSION.
#[test]
fn dprc_scan_commands() {
    let mut mc = default_mc();
    // mc_get_version (fsl-mc-bus.c): 0x8311, no token; rsp revision 0-3, major 4-7, minor
    // 8-11 = MC 10.28.0 (mod.rs MC_VERSION, what `lsemu` reports without --mc-version).
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x8311, 0, P::new());
    assert_eq!((s, r.u32(4), r.u32(8), r.u32(0)), (status::OK, 10, 28, 0));
    // mc_get_soc_version (DPDK dpmng.c): 0x8321; rsp svr 0-3, pvr 4-7. LS2088A rev 1.0 SVR
    // 0x87090010 (reference §1.3), PVR = Cortex-A72 r0p3 MIDR 0x410FD083.
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x8321, 0, P::new());
    assert_eq!((s, r.u32(0), r.u32(4)), (status::OK, 0x8709_0010, 0x410F_D083));
    // dprc_get_container_id: 0x8301; rsp container_id 0-3. Portal 0 = root dprc.1; the
    // child's portal (23, the first after dpmcp.1..22) = dprc.2.
    assert_eq!(mc_cmd(&mut mc, 0, 0x8301, 0, P::new()).2.u32(0), 1);
    assert_eq!(mc_cmd(&mut mc, 23, 0x8301, 0, P::new()).2.u32(0), 2);
    // dprc_get_api_version: 0xA051; rsp major 0-1, minor 2-3 (Linux needs ≥ 6.0 and uses
    // GET_OBJ_REG v3 from 6.6 on: the model claims 6.6).
    let r = mc_cmd(&mut mc, 0, 0xA051, 0, P::new()).2;
    assert_eq!((r.u16(0), r.u16(2)), (6, 6));
    let t = open(&mut mc, 0, DPRC_OPEN, 1);
    // dprc_get_attributes: rsp container_id 0-3, icid 4-7, options 8-11, portal_id 12-15.
    // DPL: dprc@1 ICID 23 (first DPAA2 ICID), SPAWN|ALLOC|OBJ_CREATE|IRQ_CFG = 1|2|4|0x40.
    let (s, _, r) = mc_cmd(&mut mc, 0, GET_ATTR, t, P::new());
    assert_eq!((s, r.u32(0), r.u32(4), r.u32(8), r.u32(12)), (status::OK, 1, 23, 0x47, 0));
    // dprc_get_obj_count: rsp obj_count at 4-7. dprc.1 lists 8 dpio + 4 dpbp + 8 dpcon +
    // 20 dpmcp + 2 dpni + 2 dpmac objects and its child dprc.2 = 45.
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x1591, t, P::new());
    assert_eq!((s, r.u32(4)), (status::OK, 45));
    // dprc_get_obj (cmd obj_index 0-3): walk them all; rsp id 4-7, vendor 8-9 (0x1957),
    // irq_count 10, region_count 11, state 12-15 (bit 1 PLUGGED), type 24-39.
    let mut seen = std::collections::BTreeMap::<String, (u32, u8, u8)>::new();
    for i in 0..45 {
        let (s, _, r) = mc_cmd(&mut mc, 0, 0x15A1, t, P::new().u32(0, i));
        assert_eq!(s, status::OK);
        assert_eq!(r.u16(8), 0x1957);
        assert_ne!(r.u32(12) & 2, 0, "object {i} not plugged");
        let e = seen.entry(r.str16(24)).or_insert((0, r.u8(10), r.u8(11)));
        e.0 += 1;
    }
    // Counts per type from the DPL; irq/region counts as Linux needs them (reference §4:
    // dpmcp 1 region, dpio 2 regions (CENA, CINH), child dprc 1 region, dpbp/dpcon no IRQ).
    assert_eq!(seen["dpio"], (8, 1, 2));
    assert_eq!(seen["dpmcp"], (20, 1, 1));
    assert_eq!(seen["dpbp"], (4, 0, 0));
    assert_eq!(seen["dpcon"], (8, 0, 0));
    assert_eq!(seen["dpni"], (2, 1, 0));
    assert_eq!(seen["dpmac"], (2, 1, 0));
    assert_eq!(seen["dprc"], (1, 1, 1));
    // Index past the end: CONFIG_ERR (-ENXIO).
    assert_eq!(st(&mut mc, 0, 0x15A1, t, P::new().u32(0, 45)), status::CONFIG_ERR);
    // dprc_get_obj_region v3 (0x15E3): cmd obj_id 0-3, region_index 6, obj_type 24-39;
    // rsp base_offset 8-15, size 16-19, type 20, flags 24-27, base_addr 32-39.
    // dpio.1 region 0 = CENA at p·64K, 64 KiB, QBMan portal (1), CACHEABLE|SHAREABLE;
    // region 1 = CINH at 64 MiB + p·64K; base = the QBMan window 0x8_1800_0000 (§4).
    let reg = |mc: &mut Mc, ty: &str, id: u32, idx: u8| mc_cmd(mc, 0, 0x15E3, t, P::new().u32(0, id).u8(6, idx).ty(24, ty));
    let (s, _, r) = reg(&mut mc, "dpio", 1, 0);
    assert_eq!((s, r.u64(8), r.u32(16), r.u8(20), r.u32(24), r.u64(32)), (status::OK, 0x1_0000, 0x1_0000, 1, 3, 0x8_1800_0000));
    let (s, _, r) = reg(&mut mc, "dpio", 1, 1);
    assert_eq!((s, r.u64(8), r.u32(16), r.u8(20), r.u32(24)), (status::OK, 0x401_0000, 0x1_0000, 1, 0));
    // dpmcp.5: its MC portal 5 at 5·64K of the portal window 0x8_0C00_0000, type 0.
    let (s, _, r) = reg(&mut mc, "dpmcp", 5, 0);
    assert_eq!((s, r.u64(8), r.u32(16), r.u8(20), r.u64(32)), (status::OK, 0x5_0000, 0x1_0000, 0, 0x8_0C00_0000));
    // The child dprc.2: its portal 23.
    let (s, _, r) = reg(&mut mc, "dprc", 2, 0);
    assert_eq!((s, r.u64(8), r.u8(20)), (status::OK, 23 * 0x1_0000, 0));
    // Bad region index (dpio has 2, dpni none): CONFIG_ERR. An object of another
    // container (dpio.8 is in dprc.2) or an unknown type: CONFIG_ERR.
    assert_eq!(reg(&mut mc, "dpio", 1, 2).0, status::CONFIG_ERR);
    assert_eq!(reg(&mut mc, "dpni", 0, 0).0, status::CONFIG_ERR);
    assert_eq!(reg(&mut mc, "dpio", 8, 0).0, status::CONFIG_ERR);
    assert_eq!(reg(&mut mc, "dpfoo", 1, 0).0, status::CONFIG_ERR);
    // The v1/v2 forms (DPRC < 6.3 / < 6.6 in Linux) answer the older sizes: 64-byte MC
    // portal, 4 KiB QBMan (reference §4 table); v2 carries base_addr, v1 does not.
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x15E1, t, P::new().u32(0, 5).ty(24, "dpmcp"));
    assert_eq!((s, r.u32(16), r.u64(32)), (status::OK, 0x40, 0));
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x15E2, t, P::new().u32(0, 1).ty(24, "dpio"));
    assert_eq!((s, r.u32(16), r.u64(32)), (status::OK, 0x1000, 0x8_1800_0000));
    // A version nobody defines (v4): UNSUPPORTED_OP (-ENOTSUPP).
    assert_eq!(st(&mut mc, 0, 0x15E4, t, P::new().u32(0, 5).ty(24, "dpmcp")), status::UNSUPPORTED_OP);
    // dprc_close: OK, then the token is gone: AUTH_ERR (-EACCES).
    assert_eq!(st(&mut mc, 0, CLOSE, t, P::new()), status::OK);
    assert_eq!(st(&mut mc, 0, GET_ATTR, t, P::new()), status::AUTH_ERR);
}

/// dprc-driver.c dprc_setup_irq / dprc_irq0_handler_thread and fsl_mc_msi
/// (DPRC_SET_OBJ_IRQ for objects), dpaa2-eth.c setup_irqs / dpni_irq0_handler_thread.
#[test]
fn irq_commands_and_msis() {
    let mut mc = default_mc();
    let t = open(&mut mc, 0, DPRC_OPEN, 1);
    // dprc_set_irq (struct dprc_cmd_set_irq): irq_val 0-3, irq_index 4, irq_addr 8-15,
    // irq_num 16-19.
    assert_eq!(st(&mut mc, 0, SET_IRQ, t, P::new().u32(0, 0x55).u8(4, 0).u64(8, 0x602_0040).u32(16, 100)), status::OK);
    // dprc_set_irq_mask (mask 0-3, index 4), dprc_set_irq_enable (enable 0, index 4).
    assert_eq!(st(&mut mc, 0, SET_IRQ_MASK, t, P::new().u32(0, !0).u8(4, 0)), status::OK);
    assert_eq!(st(&mut mc, 0, SET_IRQ_ENABLE, t, P::new().u8(0, 1).u8(4, 0)), status::OK);
    // dprc_get_irq_status (status 0-3 in, index 4; rsp status 0-3): nothing pending.
    let (s, _, r) = mc_cmd(&mut mc, 0, GET_IRQ_STATUS, t, P::new().u8(4, 0));
    assert_eq!((s, r.u32(0)), (status::OK, 0));
    // dprc_clear_irq_status (status 0-3, index 4).
    assert_eq!(st(&mut mc, 0, CLEAR_IRQ_STATUS, t, P::new().u32(0, !0).u8(4, 0)), status::OK);
    // A DPRC has one interrupt: index 1 → CONFIG_ERR for each IRQ command.
    for id in [SET_IRQ, SET_IRQ_MASK, SET_IRQ_ENABLE, GET_IRQ_STATUS, CLEAR_IRQ_STATUS] {
        assert_eq!(st(&mut mc, 0, id, t, P::new().u8(4, 1)), status::CONFIG_ERR, "{id:#06x}");
    }
    // dprc_set_obj_irq (struct dprc_cmd_set_obj_irq): irq_val 0-3, index 4, addr 8-15,
    // irq_num 16-19, obj_id 20-23, obj_type 24-39: dpni.0's IRQ 0.
    let soi = P::new().u32(0, 0x77).u8(4, 0).u64(8, 0x602_0040).u32(16, 101).u32(20, 0).ty(24, "dpni");
    assert_eq!(st(&mut mc, 0, 0x15F1, t, soi.clone()), status::OK);
    assert_eq!(st(&mut mc, 0, 0x15F1, t, soi.clone().u8(4, 1)), status::CONFIG_ERR); // index 1
    assert_eq!(st(&mut mc, 0, 0x15F1, t, soi.clone().u32(20, 9)), status::CONFIG_ERR); // no dpni.9
    assert_eq!(st(&mut mc, 0, 0x15F1, t, soi.clone().ty(24, "dpbp").u32(20, 0)), status::CONFIG_ERR); // no IRQ
    // dpaa2-eth setup_irqs: DPNI_SET_IRQ_MASK (mask LINK_CHANGED|ENDPOINT_CHANGED = 3),
    // DPNI_SET_IRQ_ENABLE (1, index 0).
    let n = open(&mut mc, 0, DPNI_OPEN, 0);
    assert_eq!(st(&mut mc, 0, SET_IRQ_MASK, n, P::new().u32(0, 3)), status::OK);
    assert_eq!(st(&mut mc, 0, SET_IRQ_ENABLE, n, P::new().u8(0, 1)), status::OK);
    mc.take_msis();
    // dpni.0's peer is dpmac.1 (always up): enabling the DPNI brings the link up, which
    // raises DPNI_IRQ_EVENT_LINK_CHANGED (dpni.h 0x1): one MSI with the programmed
    // address/data, from ICID 23 (dprc.1's).
    assert_eq!(st(&mut mc, 0, ENABLE, n, P::new()), status::OK);
    assert_eq!(mc.take_msis(), vec![MsiWrite { icid: 23, addr: 0x602_0040, data: 0x77 }]);
    // dpni_irq0_handler_thread: dpni_get_irq_status with status = ~0 (the bits to clear),
    // rsp status 0-3 = LINK_CHANGED; read again: cleared.
    let (s, _, r) = mc_cmd(&mut mc, 0, GET_IRQ_STATUS, n, P::new().u32(0, !0));
    assert_eq!((s, r.u32(0)), (status::OK, 1));
    assert_eq!(mc_cmd(&mut mc, 0, GET_IRQ_STATUS, n, P::new()).2.u32(0), 0);
    // DPDK dpaa2_ethdev.c: DPNI_CLEAR_IRQ_STATUS (status 0-3, index 4).
    assert_eq!(st(&mut mc, 0, CLEAR_IRQ_STATUS, n, P::new().u32(0, !0)), status::OK);
    // A DPNI has one interrupt (irq_count 1): index 1 → CONFIG_ERR.
    assert_eq!(st(&mut mc, 0, SET_IRQ_ENABLE, n, P::new().u8(0, 1).u8(4, 1)), status::CONFIG_ERR);
}

/// fsl_mc_portal_allocate / fsl_mc_portal_reset / fsl_mc_portal_free (mc-io.c,
/// dpmcp.c): DPMCP_OPEN, DPMCP_RESET, DPMCP_CLOSE on the DPMCP's own portal.
#[test]
fn dpmcp_commands() {
    let mut mc = default_mc();
    // dpmcp_open on portal 7 (dpmcp.7's portal, reference §4: "send DPMCP_OPEN on that
    // new portal"); dpmcp_reset 0x0051; dpmcp_close.
    let t = open(&mut mc, 7, DPMCP_OPEN, 7);
    assert_eq!(st(&mut mc, 7, RESET, t, P::new()), status::OK);
    assert_eq!(st(&mut mc, 7, CLOSE, t, P::new()), status::OK);
    // After CLOSE the token is dead: AUTH_ERR.
    assert_eq!(st(&mut mc, 7, RESET, t, P::new()), status::AUTH_ERR);
    // DPMCP API version (fsl_mc_portal_allocate needs ≥ 3.0): 0xA0B1 → 4.0.
    let r = mc_cmd(&mut mc, 7, 0xA0B1, 0, P::new()).2;
    assert!(r.u16(0) >= 3);
    // An id that does not exist: CONFIG_ERR.
    assert_eq!(st(&mut mc, 7, DPMCP_OPEN, 0, P::new().u32(0, 99)), status::CONFIG_ERR);
    // A portal nothing owns (portal 40: past dpmcp.22, dprc.2's 23 and no DPL object)
    // does not take commands: the MMIO write is refused.
    assert!(mc.portal_write(40 * PORTAL_STRIDE, Size::B8, hdr(DPMCP_OPEN, 0)).is_err());
}

/// dpio-driver.c dpaa2_dpio_probe/remove (Linux) and dpaa2_hw_dpio.c (DPDK):
/// DPIO_OPEN, GET_ATTR, ENABLE, DISABLE, RESET, SET_STASHING_DEST, CLOSE.
#[test]
fn dpio_commands() {
    let mut mc = default_mc();
    let t = open(&mut mc, 0, DPIO_OPEN, 3);
    // dpio_reset (probe does it before enabling).
    assert_eq!(st(&mut mc, 0, RESET, t, P::new()), status::OK);
    // dpio_get_attributes (struct dpio_rsp_get_attr): id 0-3, qbman_portal_id 4-5,
    // num_priorities 6, channel_mode 7 (1 = DPIO_LOCAL_CHANNEL), ce_addr 8-15 (p·64K),
    // ci_addr 16-23 (64 MiB + p·64K), qbman_version 24-27, clk 32-35. DPL: dpio@3, 8
    // priorities, local channel; QMan 4.1 = 0x04010000 (reference §4.7).
    let (s, _, r) = mc_cmd(&mut mc, 0, GET_ATTR, t, P::new());
    assert_eq!(s, status::OK);
    assert_eq!((r.u32(0), r.u16(4), r.u8(6), r.u8(7)), (3, 3, 8, 1));
    assert_eq!((r.u64(8), r.u64(16), r.u32(24)), (0x3_0000, 0x403_0000, 0x0401_0000));
    assert_ne!(r.u32(32), 0); // a divisor in dpaa2_io_create
    // dpio_set_stashing_destination: sdest byte 0 (the CPU's cluster).
    assert_eq!(st(&mut mc, 0, 0x1201, t, P::new().u8(0, 0)), status::OK);
    // dpio_enable / IS_ENABLED (rsp bit 0 of byte 0) / dpio_disable.
    assert_eq!(st(&mut mc, 0, ENABLE, t, P::new()), status::OK);
    assert_eq!(mc_cmd(&mut mc, 0, IS_ENABLED, t, P::new()).2.u8(0) & 1, 1);
    assert_eq!(st(&mut mc, 0, DISABLE, t, P::new()), status::OK);
    assert_eq!(mc_cmd(&mut mc, 0, IS_ENABLED, t, P::new()).2.u8(0) & 1, 0);
    // DPDK dpaa2_eventdev.c: DPIO_ADD/REMOVE_STATIC_DEQUEUE_CHANNEL (0x1221/0x1231) are
    // not modelled: UNSUPPORTED_OP (its eventdev is not used with our DPLs).
    assert_eq!(st(&mut mc, 0, 0x1221, t, P::new().u32(0, 1)), status::UNSUPPORTED_OP);
    assert_eq!(st(&mut mc, 0, 0x1231, t, P::new().u32(0, 1)), status::UNSUPPORTED_OP);
    // dpio_close, then any command on the token: AUTH_ERR.
    assert_eq!(st(&mut mc, 0, CLOSE, t, P::new()), status::OK);
    assert_eq!(st(&mut mc, 0, GET_ATTR, t, P::new()), status::AUTH_ERR);
    // The DPIO interrupt (irq_count 1): index 1 → CONFIG_ERR.
    let t = open(&mut mc, 0, DPIO_OPEN, 3);
    assert_eq!(st(&mut mc, 0, SET_IRQ_MASK, t, P::new().u32(0, 1).u8(4, 1)), status::CONFIG_ERR);
}

/// fsl_mc_object_allocate users (dpaa2-eth setup_dpbp, DPDK dpaa2_hw_dpbp.c and
/// dpaa2_hw_mempool.c): DPBP_OPEN, GET_ATTR, ENABLE, DISABLE, RESET, CLOSE; DPDK's
/// GET_FREE_BUFFERS_NUM.
#[test]
fn dpbp_commands() {
    let mut mc = default_mc();
    let t = open(&mut mc, 0, DPBP_OPEN, 2);
    assert_eq!(st(&mut mc, 0, RESET, t, P::new()), status::OK);
    // dpbp_get_attributes (struct dpbp_rsp_get_attributes): bpid 2-3, id 4-7. The model
    // gives dpbp.N buffer pool N (reference §4: "dpbp.1 (bpid e.g. 0)": any free bpid).
    let (s, _, r) = mc_cmd(&mut mc, 0, GET_ATTR, t, P::new());
    assert_eq!((s, r.u16(2), r.u32(4)), (status::OK, 2, 2));
    assert_eq!(st(&mut mc, 0, ENABLE, t, P::new()), status::OK);
    // dpbp_get_num_free_bufs (DPDK fsl_dpbp_cmd.h, 0x1B21): rsp num_free_bufs 0-3 = the
    // buffers software released into the pool (three here, one acquired back).
    assert_eq!(mc_cmd(&mut mc, 0, 0x1B21, t, P::new()).2.u32(0), 0);
    for a in [0x8000_0000u64, 0x8000_1000, 0x8000_2000] {
        mc.qbman.bp_release(2, a);
    }
    assert!(mc.qbman.bp_acquire(2).is_some());
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x1B21, t, P::new());
    assert_eq!((s, r.u32(0)), (status::OK, 2));
    assert_eq!(st(&mut mc, 0, DISABLE, t, P::new()), status::OK);
    // A DPBP has no interrupt (irq_count 0): any IRQ command → CONFIG_ERR.
    assert_eq!(st(&mut mc, 0, SET_IRQ_ENABLE, t, P::new().u8(0, 1)), status::CONFIG_ERR);
    // DPBP_SET_NOTIFICATIONS v2 (0x1B02, DPDK-only API, never called): UNSUPPORTED_OP.
    assert_eq!(st(&mut mc, 0, 0x1B02, t, P::new()), status::UNSUPPORTED_OP);
    assert_eq!(st(&mut mc, 0, CLOSE, t, P::new()), status::OK);
    // Visibility: the child's portal (23, dprc.2) opens its own dpbp.4 but not dpbp.0
    // of the parent dprc.1: CONFIG_ERR.
    assert_eq!(st(&mut mc, 23, DPBP_OPEN, 0, P::new().u32(0, 0)), status::CONFIG_ERR);
    assert_eq!(st(&mut mc, 23, DPBP_OPEN, 0, P::new().u32(0, 4)), status::OK);
}

/// dpaa2-eth setup_dpcon / DPDK dpaa2_hw_dpcon.c: DPCON_OPEN, GET_ATTR, ENABLE,
/// SET_NOTIFICATION, DISABLE, RESET, CLOSE.
#[test]
fn dpcon_commands() {
    let mut mc = default_mc();
    let t = open(&mut mc, 0, DPCON_OPEN, 6);
    assert_eq!(st(&mut mc, 0, RESET, t, P::new()), status::OK);
    // dpcon_get_attributes (struct dpcon_rsp_get_attr): id 0-3, qbman_ch_id 4-5,
    // num_priorities 6 (DPL dpcon@6: 2).
    let (s, _, r) = mc_cmd(&mut mc, 0, GET_ATTR, t, P::new());
    assert_eq!((s, r.u32(0), r.u16(4), r.u8(6)), (status::OK, 6, 6, 2));
    assert_eq!(st(&mut mc, 0, ENABLE, t, P::new()), status::OK);
    // dpcon_set_notification (struct dpcon_cmd_set_notification): dpio_id 0-3, priority
    // 4, user_ctx 8-15: to dpio.2 → OK; to a DPIO that does not exist → CONFIG_ERR.
    let sn = P::new().u32(0, 2).u8(4, 0).u64(8, 0xffff_0000_1234_5678);
    assert_eq!(st(&mut mc, 0, 0x1001, t, sn.clone()), status::OK);
    assert_eq!(st(&mut mc, 0, 0x1001, t, sn.clone().u32(0, 77)), status::CONFIG_ERR);
    // Priority 7 is the last of dpio.2's 8 (DPL); 8 is out of range (fsl_dpcon.h: "valid
    // values are 0-7, depending on the number of priorities in that channel").
    assert_eq!(st(&mut mc, 0, 0x1001, t, sn.clone().u8(4, 7)), status::OK);
    assert_eq!(st(&mut mc, 0, 0x1001, t, sn.u8(4, 8)), status::CONFIG_ERR);
    assert_eq!(st(&mut mc, 0, DISABLE, t, P::new()), status::OK);
    assert_eq!(st(&mut mc, 0, CLOSE, t, P::new()), status::OK);
    assert_eq!(st(&mut mc, 0, ENABLE, t, P::new()), status::AUTH_ERR);
}

/// The DPNI commands dpaa2-eth.c (Linux 6.1) issues, in its probe/open/ethtool order,
/// with the v1 ids of dpni-cmd.h (ADD_VLAN_ID is v2).
#[test]
fn linux_dpni_commands() {
    let mut mc = default_mc();
    // dpni_get_api_version 0xA011: rsp major 0-1, minor 2-3; dpaa2-eth needs ≥ 7.0 and
    // enables pause frames from 7.13 (DPNI_PAUSE_VER_*).
    let r = mc_cmd(&mut mc, 0, 0xA011, 0, P::new()).2;
    assert!((r.u16(0), r.u16(2)) >= (7, 13));
    let n = open(&mut mc, 0, DPNI_OPEN, 0);
    assert_eq!(st(&mut mc, 0, RESET, n, P::new()), status::OK);
    // dpni_get_attributes (struct dpni_rsp_get_attr): num_queues 4, num_tcs 5,
    // mac_filter_entries 6, vlan_filter_entries 8, fs_entries 12-13. DPL: 1 queue, 1 TC.
    let (s, _, r) = mc_cmd(&mut mc, 0, GET_ATTR, n, P::new());
    assert_eq!((s, r.u8(4), r.u8(5)), (status::OK, 1, 1));
    assert!(r.u8(6) > 0 && r.u8(8) > 0 && r.u16(12) > 0);
    // dpni_set_buffer_layout (qtype 0, options 4-5, flags 6, private_data_size 8-9,
    // data_align 10-11, head_room 12-13, tail_room 14-15): Rx with frame status + parser
    // result + timestamp passed, 64-byte alignment, 256 head room (dpaa2_eth_set_buffer_layout).
    let bl = P::new().u8(0, 0).u16(4, 0x1 | 0x2 | 0x4 | 0x10 | 0x20).u8(6, 0x7).u16(10, 64).u16(12, 256);
    assert_eq!(st(&mut mc, 0, 0x2651, n, bl), status::OK);
    // Tx (qtype 1) and Tx-confirm (qtype 2): timestamp + frame status, private data 64.
    assert_eq!(st(&mut mc, 0, 0x2651, n, P::new().u8(0, 1).u16(4, 0x1 | 0x4 | 0x8).u8(6, 0x5).u16(8, 64)), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2651, n, P::new().u8(0, 2).u16(4, 0x1 | 0x4).u8(6, 0x5)), status::OK);
    // qtype 4 does not exist (enum dpni_queue_type: RX, TX, TX_CONFIRM, RX_ERR).
    assert_eq!(st(&mut mc, 0, 0x2651, n, P::new().u8(0, 4)), status::CONFIG_ERR);
    // dpni_get_buffer_layout (cmd qtype 0; rsp flags 0, sizes 8-15): what was set.
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x2641, n, P::new().u8(0, 0));
    assert_eq!((s, r.u8(0) & 7, r.u16(10), r.u16(12)), (status::OK, 7, 64, 256));
    // dpni_get_tx_data_offset (rsp 0-1): a multiple of 64 that leaves room for the
    // 64-byte annotation + 64 private bytes asked above.
    let off = mc_cmd(&mut mc, 0, 0x2121, n, P::new()).2.u16(0);
    assert!(off.is_multiple_of(64) && off >= 128, "tx data offset {off}");
    // dpni_set_pools (num_dpbp 0, dpbp_id[i] u32 at 4+4i, buffer_size[i] u16 at 36+2i):
    // dpbp.0 (same container) → OK; 0 pools, a DPBP of another container (dpbp.4 in
    // dprc.2), or size 0 → CONFIG_ERR.
    let pools = P::new().u8(0, 1).u32(4, 0).u16(36, 2048);
    assert_eq!(st(&mut mc, 0, 0x2001, n, pools.clone()), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2001, n, pools.clone().u8(0, 0)), status::CONFIG_ERR);
    assert_eq!(st(&mut mc, 0, 0x2001, n, pools.clone().u32(4, 4)), status::CONFIG_ERR);
    assert_eq!(st(&mut mc, 0, 0x2001, n, pools.u16(36, 0)), status::CONFIG_ERR);
    // dpni_set_errors_behavior (errors 0-3, flags 4: action DISCARD 0 | set FA 1<<4).
    assert_eq!(st(&mut mc, 0, 0x20B1, n, P::new().u32(0, 0x0007_f0f5).u8(4, 0x10)), status::OK);
    // dpni_set_offload (dpni_offload 3, config 4-7) for the four checksum types; type 4
    // does not exist in enum dpni_offload as Linux uses it.
    for ty in 0..4 {
        assert_eq!(st(&mut mc, 0, 0x26C1, n, P::new().u8(3, ty).u32(4, 1)), status::OK);
    }
    assert_eq!(st(&mut mc, 0, 0x26C1, n, P::new().u8(3, 9).u32(4, 1)), status::CONFIG_ERR);
    // dpni_get_qdid (qtype 0 = DPNI_QUEUE_TX = 1; rsp qdid 0-1).
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x2101, n, P::new().u8(0, 1));
    assert_eq!(s, status::OK);
    let qdid = r.u16(0);
    // dpni_get_queue (qtype 0, tc 1, index 2; rsp dest_id 8-11, dest_prio 14, flags 15,
    // flc 16-23, user_context 24-31, fqid 32-35, qdbin 36-37): Rx queue 0 has an FQID.
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x25F1, n, P::new().u8(0, 0).u8(1, 0).u8(2, 0));
    assert_eq!(s, status::OK);
    let rx_fqid = r.u32(32);
    assert_ne!(rx_fqid, 0);
    // Queue index 1 with 1 queue, tc 1 with 1 TC: CONFIG_ERR.
    assert_eq!(st(&mut mc, 0, 0x25F1, n, P::new().u8(0, 0).u8(2, 1)), status::CONFIG_ERR);
    assert_eq!(st(&mut mc, 0, 0x25F1, n, P::new().u8(0, 0).u8(1, 1)), status::CONFIG_ERR);
    // dpni_set_queue (qtype 0, tc 1, index 2, options 3 (USER_CTX 1 | DEST 2), dest_id
    // 8-11, dest_prio 14, flags 15 (dest_type 2 = DPCON), user_context 24-31): Rx to
    // dpcon.1 priority 0; read back through GET_QUEUE.
    let sq = P::new().u8(0, 0).u8(3, 0x3).u32(8, 1).u8(14, 0).u8(15, 2).u64(24, 0xdead_beef_0000_0001);
    assert_eq!(st(&mut mc, 0, 0x2601, n, sq.clone()), status::OK);
    let r = mc_cmd(&mut mc, 0, 0x25F1, n, P::new()).2;
    assert_eq!((r.u32(8), r.u8(15) & 0xf, r.u64(24), r.u32(32)), (1, 2, 0xdead_beef_0000_0001, rx_fqid));
    // A DPCON that does not exist, a priority ≥ its 2 priorities, dest type 7: CONFIG_ERR.
    assert_eq!(st(&mut mc, 0, 0x2601, n, sq.clone().u32(8, 50)), status::CONFIG_ERR);
    assert_eq!(st(&mut mc, 0, 0x2601, n, sq.clone().u8(14, 2)), status::CONFIG_ERR);
    assert_eq!(st(&mut mc, 0, 0x2601, n, sq.u8(15, 7)), status::CONFIG_ERR);
    // The Tx queue reports the same qdid's bin 0 (qdbin 36-37).
    let r = mc_cmd(&mut mc, 0, 0x25F1, n, P::new().u8(0, 1)).2;
    assert_eq!(r.u16(36), 0);
    let _ = qdid;
    // dpni_set_taildrop (cp 0, qtype 1, tc 2, index 3, enable 8 bit 0, units 10,
    // threshold 12-15): per-queue (DPNI_CP_QUEUE 0) and per-group (DPNI_CP_GROUP 1)
    // on Rx; a congestion point 2 → CONFIG_ERR.
    let td = P::new().u8(0, 0).u8(1, 0).u8(8, 1).u8(10, 1).u32(12, 64 * 1024);
    assert_eq!(st(&mut mc, 0, 0x2621, n, td.clone()), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2621, n, td.clone().u8(0, 1)), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2621, n, td.u8(0, 2)), status::CONFIG_ERR);
    // dpni_set_max_frame_length (0-1): DPAA2_ETH_MFL 10240 OK; 20000 → CONFIG_ERR;
    // GET (rsp 0-1) reads it back.
    assert_eq!(st(&mut mc, 0, 0x2161, n, P::new().u16(0, 10240)), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2161, n, P::new().u16(0, 20000)), status::CONFIG_ERR);
    assert_eq!(mc_cmd(&mut mc, 0, 0x2171, n, P::new()).2.u16(0), 10240);
    // MAC addresses: bytes 2-7 hold the address reversed (dpni.c: mac_addr[i] =
    // addr[5 - i]). dpni_get_port_mac_addr: dpni.0 has no DPL mac_addr → all zero, so
    // dpaa2-eth falls back to the primary/random address.
    let r = mc_cmd(&mut mc, 0, 0x2631, n, P::new()).2;
    assert_eq!(r.u64(0) >> 16, 0);
    // dpni_set_primary_mac_addr 00:04:9f:01:02:03 → get_primary returns it.
    let mac = |a: [u8; 6]| (0..6).fold(P::new(), |p, i| p.u8(2 + i, a[5 - i]));
    assert_eq!(st(&mut mc, 0, 0x2241, n, mac([0x00, 0x04, 0x9f, 0x01, 0x02, 0x03])), status::OK);
    let r = mc_cmd(&mut mc, 0, 0x2251, n, P::new()).2;
    assert_eq!([r.u8(7), r.u8(6), r.u8(5), r.u8(4), r.u8(3), r.u8(2)], [0x00, 0x04, 0x9f, 0x01, 0x02, 0x03]);
    // A multicast primary address: CONFIG_ERR.
    assert_eq!(st(&mut mc, 0, 0x2241, n, mac([0x01, 0x00, 0x5e, 0, 0, 1])), status::CONFIG_ERR);
    // dpni_add_mac_addr (same layout), remove; removing one never added: CONFIG_ERR.
    assert_eq!(st(&mut mc, 0, 0x2261, n, mac([0x33, 0x33, 0, 0, 0, 1])), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2271, n, mac([0x33, 0x33, 0, 0, 0, 1])), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2271, n, mac([0x33, 0x33, 0, 0, 0, 1])), status::CONFIG_ERR);
    // The filter table is full after mac_filter_entries adds: NO_RESOURCE (-ENAVAIL).
    let entries = mc_cmd(&mut mc, 0, GET_ATTR, n, P::new()).2.u8(6);
    for i in 0..entries {
        assert_eq!(st(&mut mc, 0, 0x2261, n, mac([0x02, 0, 0, 0, 1, i])), status::OK);
    }
    assert_eq!(st(&mut mc, 0, 0x2261, n, mac([0x02, 0, 0, 0, 2, 0])), status::NO_RESOURCE);
    // dpni_clear_mac_filters (flags 0: unicast bit 0, multicast bit 1).
    assert_eq!(st(&mut mc, 0, 0x2281, n, P::new().u8(0, 3)), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2261, n, mac([0x02, 0, 0, 0, 2, 0])), status::OK);
    // dpni_set_multicast_promisc / set_unicast_promisc (enable 0), and their GETs.
    assert_eq!(st(&mut mc, 0, 0x2201, n, P::new().u8(0, 1)), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2221, n, P::new().u8(0, 1)), status::OK);
    assert_eq!(mc_cmd(&mut mc, 0, 0x2211, n, P::new()).2.u8(0) & 1, 1);
    assert_eq!(mc_cmd(&mut mc, 0, 0x2231, n, P::new()).2.u8(0) & 1, 1);
    // dpni_enable_vlan_filter (en 0); dpni_add_vlan_id v2 0x2312 (flags 0, tc 1, flow 2,
    // vlan_id 4-5); dpni_remove_vlan_id 0x2321 (vlan_id 4-5).
    assert_eq!(st(&mut mc, 0, 0x2301, n, P::new().u8(0, 1)), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2312, n, P::new().u16(4, 100)), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2321, n, P::new().u16(4, 100)), status::OK);
    // dpni_get_link_cfg (rsp rate 8-11, options 16-23) then dpni_set_link_cfg (rate
    // 8-11, options 16-23, advertising 24-31) with PAUSE (0x4) as dpaa2_eth_set_pause does.
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x2781, n, P::new());
    assert_eq!(s, status::OK);
    let opts = r.u64(16) | 0x4;
    assert_eq!(st(&mut mc, 0, 0x21A1, n, P::new().u32(8, r.u32(8)).u64(16, opts)), status::OK);
    assert_eq!(mc_cmd(&mut mc, 0, 0x2781, n, P::new()).2.u64(16), opts);
    // dpni_enable, dpni_is_enabled (rsp byte 0 bit 0), dpni_get_link_state (rsp flags 4
    // bit 0 up, rate 8-11, options 16-23): the peer dpmac.1 is a fixed 10G link.
    assert_eq!(st(&mut mc, 0, ENABLE, n, P::new()), status::OK);
    assert_eq!(mc_cmd(&mut mc, 0, IS_ENABLED, n, P::new()).2.u8(0) & 1, 1);
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x2151, n, P::new());
    assert_eq!((s, r.u8(4) & 1, r.u32(8)), (status::OK, 1, 10_000));
    // Buffer layouts can change only while the DPNI is disabled: INVALID_STATE (-ENODEV).
    assert_eq!(st(&mut mc, 0, 0x2651, n, P::new().u8(0, 0).u16(4, 0x10).u16(10, 64)), status::INVALID_STATE);
    // dpni_get_statistics (page 0; rsp counter[0..7] at 0, 8, ...): dpaa2-ethtool reads
    // pages 0-3 and 6; page 7 does not exist → CONFIG_ERR.
    for page in [0u8, 1, 2, 3, 6] {
        assert_eq!(st(&mut mc, 0, 0x25D1, n, P::new().u8(0, page)), status::OK, "page {page}");
    }
    assert_eq!(st(&mut mc, 0, 0x25D1, n, P::new().u8(0, 7)), status::CONFIG_ERR);
    // dpni_set_congestion_notification (dpaa2-eth-dcb.c, PFC): qtype 0, tc 1 (v1). tc 1
    // with one TC: CONFIG_ERR.
    assert_eq!(st(&mut mc, 0, 0x2671, n, P::new().u8(0, 0).u8(1, 0)), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2671, n, P::new().u8(0, 0).u8(1, 1)), status::CONFIG_ERR);
    // dpni_disable; link goes down.
    assert_eq!(st(&mut mc, 0, DISABLE, n, P::new()), status::OK);
    assert_eq!(mc_cmd(&mut mc, 0, 0x2151, n, P::new()).2.u8(4) & 1, 0);
    // Intentionally unsupported, issued by dpaa2-eth only on user request or with DPNI
    // options the model does not report (COMMANDS.md): QoS table (VLAN PCP → TC needs > 1
    // TC and DPNI_OPT_HAS_KEY_MASKING), Tx shaping (tc offload), single-step PTP
    // (hwtstamp ONESTEP_SYNC): UNSUPPORTED_OP → -ENOTSUPP.
    for id in [0x2401u16, 0x2411, 0x2421, 0x2431, 0x21B2, 0x2791, 0x27A2] {
        assert_eq!(st(&mut mc, 0, id, n, P::new()), status::UNSUPPORTED_OP, "{id:#06x}");
    }
    assert_eq!(st(&mut mc, 0, CLOSE, n, P::new()), status::OK);
    assert_eq!(st(&mut mc, 0, ENABLE, n, P::new()), status::AUTH_ERR);
}

/// The DPNI commands DPDK 22.11's dpaa2 PMD issues (dpaa2_ethdev.c, base/dpaa2_hw_dpni.c),
/// with the command versions of its fsl_dpni_cmd.h (GET_ATTR v6, SET_POOLS v3, ...).
#[test]
fn dpdk_dpni_commands() {
    let mut mc = default_mc();
    let n = open(&mut mc, 0, DPNI_OPEN, 1);
    assert_eq!(st(&mut mc, 0, RESET, n, P::new()), status::OK);
    // dpni_get_attributes v6 (0x0046): num_queues 4, num_rx_tcs 5, num_tx_tcs 7,
    // num_channels 9 (DPDK makes num_tx_tcs × num_channels Tx queues: both ≥ 1).
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x0046, n, P::new());
    assert_eq!((s, r.u8(4), r.u8(5), r.u8(7), r.u8(9)), (status::OK, 1, 1, 1, 1));
    // dpni_set_buffer_layout v2 (0x2652), same layout as v1.
    assert_eq!(st(&mut mc, 0, 0x2652, n, P::new().u8(0, 0).u16(4, 0x10 | 0x20).u16(10, 64).u16(12, 128)), status::OK);
    // dpni_set_pools v3 (0x2003, struct dpni_cmd_set_pools: num_dpbp 0, pool[i] =
    // {dpbp_id u16, priority_mask u8, pad} at 4+4i, buffer_size[i] at 36+2i); DPDK sets
    // priority_mask 0 (dpaa2_attach_bp_list).
    assert_eq!(st(&mut mc, 0, 0x2003, n, P::new().u8(0, 1).u16(4, 1).u16(36, 2048)), status::OK);
    // The same with a priority mask in byte 6 (pool[0].priority_mask, all 8 priorities):
    // still dpbp.1 (the v1 layout would read id 0xff0001, which does not exist).
    assert_eq!(st(&mut mc, 0, 0x2003, n, P::new().u8(0, 1).u16(4, 1).u8(6, 0xff).u16(36, 2048)), status::OK);
    // In v1 (Linux's layout) those bytes are a u32 id 0xff0001: CONFIG_ERR.
    assert_eq!(st(&mut mc, 0, 0x2001, n, P::new().u8(0, 1).u16(4, 1).u8(6, 0xff).u16(36, 2048)), status::CONFIG_ERR);
    // dpni_set_errors_behavior (as Linux).
    assert_eq!(st(&mut mc, 0, 0x20B1, n, P::new().u32(0, 0x0007_f0f5).u8(4, 0x10)), status::OK);
    // dpni_set_offload v2 (0x26C2): type 3, config 4-7.
    assert_eq!(st(&mut mc, 0, 0x26C2, n, P::new().u8(3, 0).u32(4, 1)), status::OK);
    // dpni_set_tx_confirmation_mode (0x2661): mode at byte 4, DPNI_CONF_DISABLE = 2.
    assert_eq!(st(&mut mc, 0, 0x2661, n, P::new().u8(4, 2)), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2661, n, P::new().u8(4, 3)), status::CONFIG_ERR);
    // dpni_get_queue v3 (0x25F3: qtype 0, tc 1, index 2, channel_id 3) and set_queue v3
    // (0x2603: + cgid 32, channel_id 33): Rx to dpcon.2 (dest_type DPCON 2).
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x25F3, n, P::new().u8(0, 0));
    assert_eq!(s, status::OK);
    let fqid = r.u32(32);
    assert_eq!(st(&mut mc, 0, 0x2603, n, P::new().u8(0, 0).u8(3, 0x3).u32(8, 2).u8(15, 2).u64(24, 7)), status::OK);
    let r = mc_cmd(&mut mc, 0, 0x25F3, n, P::new().u8(0, 0)).2;
    assert_eq!((r.u32(8), r.u64(24), r.u32(32)), (2, 7, fqid));
    // dpni_set_taildrop v3 (0x2623: cp 0, qtype 1, tc 2, index 3, channel 4, enable 8,
    // units 10, threshold 12-15).
    assert_eq!(st(&mut mc, 0, 0x2623, n, P::new().u8(1, 0).u8(8, 1).u32(12, 1 << 16)), status::OK);
    // dpni_set_congestion_notification v3 (0x2673): qtype 0, tc 1, cp 3.
    assert_eq!(st(&mut mc, 0, 0x2673, n, P::new().u8(0, 1).u8(1, 0)), status::OK);
    // dpni_set_rx_tc_dist v4 (0x2354) with dist_size 1 and mode NONE (no key read: the
    // single-queue PMD path), and set_rx_hash_dist v2 (0x2742) with enable 0.
    assert_eq!(st(&mut mc, 0, 0x2354, n, P::new().u16(0, 1).u8(2, 0).u8(3, 0)), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2742, n, P::new().u16(0, 1).u8(2, 0).u8(3, 0)), status::OK);
    // Both on tc 1 (one TC): CONFIG_ERR.
    assert_eq!(st(&mut mc, 0, 0x2742, n, P::new().u16(0, 1).u8(3, 1)), status::CONFIG_ERR);
    // dpni_add_mac_addr v2 (0x2262: flags 0, mac 2-7 reversed, tc_id 8, fq_id 9).
    assert_eq!(st(&mut mc, 0, 0x2262, n, P::new().u8(2, 0x22).u8(7, 0x02)), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2271, n, P::new().u8(2, 0x22).u8(7, 0x02)), status::OK);
    // dpni_get_max_frame_length (rsp 0-1): after RESET the MC default 1536.
    assert_eq!(mc_cmd(&mut mc, 0, 0x2171, n, P::new()).2.u16(0), 1536);
    // dpni_set_link_cfg v2 (0x21A2: rate 8-11, options 16-23, advertising 24-31).
    assert_eq!(st(&mut mc, 0, 0x21A2, n, P::new().u32(8, 10_000).u64(16, 1)), status::OK);
    // dpni_get_primary_mac_addr / get_port_mac_addr: dpni.1 has no DPL mac → zeros.
    assert_eq!(st(&mut mc, 0, 0x2251, n, P::new()), status::OK);
    assert_eq!(st(&mut mc, 0, 0x2631, n, P::new()), status::OK);
    // dpni_enable; dpni_get_link_state v2 (0x2152: flags 4, rate 8-11, options 16-23,
    // supported 24-31, advertising 32-39): dpni.1's peer dpmac.2 is up.
    assert_eq!(st(&mut mc, 0, ENABLE, n, P::new()), status::OK);
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x2152, n, P::new());
    assert_eq!((s, r.u8(4) & 1, r.u32(8)), (status::OK, 1, 10_000));
    // dpni_get_statistics v4 (0x25D4: page 0, param 1-2) and dpni_reset_statistics
    // (0x25E1): counters set on the model's DPNI read back, then read 0 after the reset.
    if let Some(d) = mc.dpnis.get_mut(&1) {
        d.stats.rx_frames = 5;
        d.stats.rx_bytes = 320;
    }
    let r = mc_cmd(&mut mc, 0, 0x25D4, n, P::new().u8(0, 0)).2;
    assert_eq!((r.u64(0), r.u64(8)), (5, 320));
    assert_eq!(st(&mut mc, 0, 0x25E1, n, P::new()), status::OK);
    let r = mc_cmd(&mut mc, 0, 0x25D4, n, P::new().u8(0, 0)).2;
    assert_eq!((r.u64(0), r.u64(8)), (0, 0));
    // Interrupts: set_irq_mask, set_irq_enable, get_irq_status, clear_irq_status (as Linux).
    assert_eq!(st(&mut mc, 0, SET_IRQ_MASK, n, P::new().u32(0, 1)), status::OK);
    assert_eq!(st(&mut mc, 0, SET_IRQ_ENABLE, n, P::new().u8(0, 1)), status::OK);
    assert_eq!(st(&mut mc, 0, GET_IRQ_STATUS, n, P::new()), status::OK);
    assert_eq!(st(&mut mc, 0, CLEAR_IRQ_STATUS, n, P::new().u32(0, !0)), status::OK);
    // Intentionally unsupported (rte_flow QoS, traffic manager, ordered queues, soft
    // parser, custom TPID, loopback port config): UNSUPPORTED_OP.
    for id in [0x2402u16, 0x2412, 0x2421, 0x2503, 0x21B3, 0x26E2, 0x2701, 0x2711, 0x2751, 0x2761, 0x2771, 0x27B1] {
        assert_eq!(st(&mut mc, 0, id, n, P::new()), status::UNSUPPORTED_OP, "{id:#06x}");
    }
    // dprc_open / dprc_get_connection / dprc_close (dpaa2_hw_dprc.c): dpni.1 ↔ dpmac.2.
    let t = open(&mut mc, 0, DPRC_OPEN, 1);
    let (s, _, r) = mc_cmd(&mut mc, 0, 0x16C1, t, P::new().u32(0, 1).ty(8, "dpni"));
    assert_eq!((s, r.u32(24), r.str16(32).as_str(), r.u32(48)), (status::OK, 2, "dpmac", 1));
    assert_eq!(st(&mut mc, 0, CLOSE, t, P::new()), status::OK);
    assert_eq!(st(&mut mc, 0, DISABLE, n, P::new()), status::OK);
    assert_eq!(st(&mut mc, 0, CLOSE, n, P::new()), status::OK);
}

/// dpaa2-mac.c (Linux 6.1): DPMAC_OPEN, GET_API_VERSION, GET_ATTR, GET_COUNTER (ethtool
/// -S through the DPNI), CLOSE; SET_LINK_STATE / SET_PROTOCOL only for PHY-type MACs.
#[test]
fn dpmac_commands() {
    let mut mc = default_mc();
    // dpmac_get_api_version 0xA0C1.
    let r = mc_cmd(&mut mc, 0, 0xA0C1, 0, P::new()).2;
    assert_eq!(r.u16(0), 4);
    let m = open(&mut mc, 0, DPMAC_OPEN, 1);
    // dpmac_get_attributes (struct dpmac_rsp_get_attributes): eth_if 0, link_type 1
    // (DPMAC_LINK_TYPE_FIXED = 1), id 2-3, max_rate 4-7.
    let (s, _, r) = mc_cmd(&mut mc, 0, GET_ATTR, m, P::new());
    assert_eq!((s, r.u8(1), r.u16(2), r.u32(4)), (status::OK, 1, 1, 10_000));
    // dpmac_get_counter (cmd id byte 0; rsp counter 8-15), for every counter of enum
    // dpmac_counter_id (0..=27) as dpaa2_mac_get_ethtool_stats loops over them. With
    // dpni.0 (the peer) having received 10 frames / 1000 bytes (2 multicast, 3
    // broadcast), filtered 1, discarded 2 and lacked a buffer for 1, and sent 4 / 400
    // (1 broadcast):
    if let Some(d) = mc.dpnis.get_mut(&0) {
        d.stats.rx_frames = 10;
        d.stats.rx_bytes = 1000;
        d.stats.rx_mcast_frames = 2;
        d.stats.rx_bcast_frames = 3;
        d.stats.tx_frames = 4;
        d.stats.tx_bytes = 400;
        d.stats.tx_bcast_frames = 1;
        d.stats.rx_filtered = 1;
        d.stats.rx_discarded = 2;
        d.stats.rx_nobuffer = 1;
    }
    let ctr = |mc: &mut Mc, id: u8| {
        let (s, _, r) = mc_cmd(mc, 0, 0x0C41, m, P::new().u8(0, id));
        assert_eq!(s, status::OK, "counter {id}");
        r.u64(8)
    };
    // ING_BYTE 15, ING_MCAST 16, ING_BCAST 17, ING_ALL 18 (all frames the MAC passed
    // on: 10+1+2+1), ING_UCAST 19 (delivered 10-2-3), EGR_BYTE 21, EGR_MCAST 22,
    // EGR_BCAST 23, EGR_UCAST 24 (4-0-1), ING_GOOD 26 (= ING_ALL: no MAC errors),
    // EGR_GOOD 27; error/pause/size counters 0 (ING_FRAME_DISCARD 9, ING_ERR 20, ...).
    let want = [(15, 1000), (16, 2), (17, 3), (18, 14), (19, 5), (21, 400), (22, 0), (23, 1), (24, 3), (26, 14), (27, 4), (9, 0), (20, 0), (25, 0), (0, 0)];
    for (id, v) in want {
        assert_eq!(ctr(&mut mc, id), v, "counter {id}");
    }
    for id in 0..=27 {
        ctr(&mut mc, id);
    }
    // An id past DPMAC_CNT_EGR_GOOD_FRAME: CONFIG_ERR (Linux then reports U64_MAX).
    assert_eq!(st(&mut mc, 0, 0x0C41, m, P::new().u8(0, 28)), status::CONFIG_ERR);
    // dpmac_set_link_state v2 (0x0C32) and dpmac_set_protocol (0x0C71) are issued only
    // when dpaa2_mac_is_type_phy (link_type PHY/BACKPLANE); the model's DPMACs are FIXED,
    // so these are intentionally unsupported.
    assert_eq!(st(&mut mc, 0, 0x0C32, m, P::new()), status::UNSUPPORTED_OP);
    assert_eq!(st(&mut mc, 0, 0x0C71, m, P::new()), status::UNSUPPORTED_OP);
    assert_eq!(st(&mut mc, 0, CLOSE, m, P::new()), status::OK);
    assert_eq!(st(&mut mc, 0, 0x0C41, m, P::new()), status::AUTH_ERR);
}

/// vfio-fsl-mc (drivers/vfio/fsl-mc/vfio_fsl_mc.c) and obj_api.c: fsl_mc_obj_open /
/// fsl_mc_obj_reset / fsl_mc_obj_close (OBJ_CMD ids: open 0x80x1, reset 0x0051, close
/// 0x8001) on any object type, and dprc_reset_container v2 (0x0052: child id 0-3,
/// options 4-7, bit 0 NON_RECURSIVE).
#[test]
fn vfio_generic_object_commands() {
    let mut mc = default_mc();
    // The child container's own portal (23) resets it through its own handle.
    let t = open(&mut mc, 23, DPRC_OPEN, 2);
    let n = open(&mut mc, 23, DPNI_OPEN, 2);
    assert_eq!(st(&mut mc, 23, ENABLE, n, P::new()), status::OK);
    assert_eq!(st(&mut mc, 23, 0x0052, t, P::new().u32(0, 2).u32(4, 1)), status::OK);
    // The reset closed the object handles on the container's portal (dprc.c
    // dprc_reset_container): the DPNI token is gone, the container token stays.
    assert_eq!(st(&mut mc, 23, IS_ENABLED, n, P::new()), status::AUTH_ERR);
    assert_eq!(st(&mut mc, 23, GET_ATTR, t, P::new()), status::OK);
    // The DPNI was disabled by the reset.
    let n = open(&mut mc, 23, DPNI_OPEN, 2);
    assert_eq!(mc_cmd(&mut mc, 23, IS_ENABLED, n, P::new()).2.u8(0) & 1, 0);
    // Generic reset / close on objects of every type in the child.
    for (open_id, id) in [(DPBP_OPEN, 4u32), (DPCON_OPEN, 8), (DPIO_OPEN, 8), (DPMCP_OPEN, 21)] {
        let o = open(&mut mc, 23, open_id, id);
        assert_eq!(st(&mut mc, 23, RESET, o, P::new()), status::OK, "{open_id:#06x}");
        assert_eq!(st(&mut mc, 23, CLOSE, o, P::new()), status::OK, "{open_id:#06x}");
    }
    // Resetting a container that is not a child (dprc.1 from dprc.2): CONFIG_ERR.
    assert_eq!(st(&mut mc, 23, 0x0052, t, P::new().u32(0, 1)), status::CONFIG_ERR);
}

/// Error paths shared by every command: token, object, version, container checks.
#[test]
fn generic_error_paths() {
    let mut mc = default_mc();
    // A token never handed out: AUTH_ERR (-EACCES).
    assert_eq!(st(&mut mc, 0, GET_ATTR, 0x4242, P::new()), status::AUTH_ERR);
    // Token 0 (no open): AUTH_ERR.
    assert_eq!(st(&mut mc, 0, GET_ATTR, 0, P::new()), status::AUTH_ERR);
    // Open of an id that does not exist, for each type Linux or DPDK opens: CONFIG_ERR.
    for open_id in [DPNI_OPEN, DPIO_OPEN, DPBP_OPEN, DPCON_OPEN, DPMCP_OPEN, DPMAC_OPEN, DPRC_OPEN] {
        assert_eq!(st(&mut mc, 0, open_id, 0, P::new().u32(0, 999)), status::CONFIG_ERR, "{open_id:#06x}");
    }
    // The child's portal may not open its parent: NO_PRIVILEGE (-EPERM).
    assert_eq!(st(&mut mc, 23, DPRC_OPEN, 0, P::new().u32(0, 1)), status::NO_PRIVILEGE);
    // Tokens are per portal: a token from portal 0 used on portal 5.
    // Two opens of one object give distinct tokens; a token portal 0 holds and portal 5
    // does not is refused there.
    let n = open(&mut mc, 0, DPNI_OPEN, 0);
    let n2 = open(&mut mc, 0, DPNI_OPEN, 0);
    assert_ne!(n, n2);
    let t5 = open(&mut mc, 5, DPMCP_OPEN, 5);
    let foreign = if t5 == n { n2 } else { n };
    assert_eq!(st(&mut mc, 5, GET_ATTR, foreign, P::new()), status::AUTH_ERR);
    // Closing one of the two leaves the other.
    assert_eq!(st(&mut mc, 0, CLOSE, n, P::new()), status::OK);
    assert_eq!(st(&mut mc, 0, GET_ATTR, n2, P::new()), status::OK);
    // Command on the closed token: AUTH_ERR; closing it twice: AUTH_ERR.
    assert_eq!(st(&mut mc, 0, GET_ATTR, n, P::new()), status::AUTH_ERR);
    assert_eq!(st(&mut mc, 0, CLOSE, n, P::new()), status::AUTH_ERR);
    // Unknown command numbers on a valid token, on each type: UNSUPPORTED_OP.
    let handles = [n2, open(&mut mc, 0, DPIO_OPEN, 0), open(&mut mc, 0, DPBP_OPEN, 0), open(&mut mc, 0, DPCON_OPEN, 0), open(&mut mc, 0, DPMAC_OPEN, 2), open(&mut mc, 0, DPRC_OPEN, 1)];
    for h in handles {
        assert_eq!(st(&mut mc, 0, 0x7771, h, P::new()), status::UNSUPPORTED_OP, "token {h}");
    }
    // CREATE/DESTROY of objects (DPL only in the model): UNSUPPORTED_OP. DPNI_CREATE v7
    // 0x9017 is DPDK's; DPBP_DESTROY 0x9841.
    assert_eq!(st(&mut mc, 0, 0x9017, 0, P::new()), status::UNSUPPORTED_OP);
    assert_eq!(st(&mut mc, 0, 0x9841, 0, P::new()), status::UNSUPPORTED_OP);
    // GET_API_VERSION of a type number nobody defines (0xA0F1): UNSUPPORTED_OP.
    assert_eq!(st(&mut mc, 0, 0xA0F1, 0, P::new()), status::UNSUPPORTED_OP);
    // DPCI / DPSECI / DPDMAI are not in our DPLs: their opens answer CONFIG_ERR (no such
    // object), so DPDK's dpci/dpseci probes skip them.
    assert_eq!(st(&mut mc, 0, 0x8071, 0, P::new().u32(0, 0)), status::CONFIG_ERR);
    // The header's token on a command that takes none is ignored (DPMNG_GET_VERSION).
    assert_eq!(st(&mut mc, 0, 0x8311, 0x1234, P::new()), status::OK);
}

/// The MC CCSR GCR1 stop bits hold commands: a command posted while the MC is stopped
/// stays READY and runs when it restarts (fsl-mc-bus.c, reference §4.2).
#[test]
fn command_waits_while_mc_stopped() {
    let mut mc = default_mc();
    mc.ccsr_write(GCR1, Size::B4, (GCR1_P1_STOP | GCR1_P2_STOP) as u64).expect("GCR1");
    mc.portal_write(0, Size::B8, hdr(0x8311, 0)).expect("header");
    assert_eq!((mc.portal_read(0, Size::B8).expect("read") >> 16) & 0xff, 0x01); // READY
    mc.ccsr_write(GCR1, Size::B4, 0).expect("GCR1");
    let h = mc.portal_read(0, Size::B8).expect("read");
    assert_eq!((h >> 16) & 0xff, 0);
    assert_eq!(mc.portal_read(8, Size::B8).expect("read") >> 32, 10); // major at 4-7
}

/// DPDK 22.11's Rx classification commands with its versions (fsl_dpni_cmd.h):
/// SET_RX_FS_DIST v2, SET_RX_HASH_DIST v2, SET_RX_TC_DIST v4, ADD_FS_ENT v2 — the key
/// profile DPDK's dpkg_prepare_key_cfg writes has Linux's layout (struct
/// dpni_ext_set_rx_tc_dist, enum net_prot: NET_PROT_UDP = 8 in both), read by DMA.
#[test]
fn dpdk_dpni_classification_versions() {
    use super::keygen::tests::linux_profile;
    use super::tests::ram;
    let mut mc = default_mc();
    let mut m = ram();
    // FS/hash key: NET_PROT_UDP (8), NH_FLD_UDP_PORT_DST (2), 2 bytes, at 0x8000_0100;
    // the key value (port 53 big-endian) at 0x8000_0400.
    m.mem.data[0x100..0x200].copy_from_slice(&linux_profile(&[(8, 2)]));
    m.mem.data[0x400..0x402].copy_from_slice(&[0x00, 0x35]);
    let n = open(&mut mc, 0, DPNI_OPEN, 0);
    let mut run = |mc: &mut Mc, id: u16, p: P| {
        let words: [u64; 7] = std::array::from_fn(|i| p.0.word(i));
        ((mc.command_with_dma(0, hdr(id, n), words, &mut m).0 >> 16) & 0xff) as u8
    };
    // dpni_set_rx_fs_dist v2 0x2732 (dist_size 0-1, enable 2, tc 3, miss_flow_id 4-5,
    // key_cfg_iova 8-15): one queue, miss → flow 0.
    assert_eq!(run(&mut mc, 0x2732, P::new().u16(0, 1).u8(2, 1).u8(3, 0).u16(4, 0).u64(8, 0x8000_0100)), status::OK);
    // dpni_add_fs_entry v2 0x2442 (options 0-1, tc 2, key_size 3, index 4-5, flow_id
    // 6-7, key_iova 8-15, mask_iova 16-23, flc 24-31, redir_token 32-33).
    let add = P::new().u8(2, 0).u8(3, 2).u16(6, 0).u64(8, 0x8000_0400);
    assert_eq!(run(&mut mc, 0x2442, add.clone()), status::OK);
    // flow_id 1 ≥ dist_size 1: CONFIG_ERR; key_size 0: CONFIG_ERR; key unreadable
    // (IOVA outside RAM): DMA_ERR.
    assert_eq!(run(&mut mc, 0x2442, add.clone().u16(6, 1)), status::CONFIG_ERR);
    assert_eq!(run(&mut mc, 0x2442, add.clone().u8(3, 0)), status::CONFIG_ERR);
    assert_eq!(run(&mut mc, 0x2442, add.clone().u64(8, 0x10)), status::DMA_ERR);
    // dpni_remove_fs_entry 0x2451 (tc 2, key_size 3, key_iova 8, mask_iova 16); again:
    // CONFIG_ERR (no such entry).
    let rm = P::new().u8(2, 0).u8(3, 2).u64(8, 0x8000_0400);
    assert_eq!(run(&mut mc, 0x2451, rm.clone()), status::OK);
    assert_eq!(run(&mut mc, 0x2451, rm), status::CONFIG_ERR);
    // dpni_set_rx_hash_dist v2 0x2742 (dist_size 0-1, enable 2, tc 3, key_cfg_iova 8):
    // enabled with size 1; size 2 > 1 queue: CONFIG_ERR.
    assert_eq!(run(&mut mc, 0x2742, P::new().u16(0, 1).u8(2, 1).u64(8, 0x8000_0100)), status::OK);
    assert_eq!(run(&mut mc, 0x2742, P::new().u16(0, 2).u8(2, 1).u64(8, 0x8000_0100)), status::CONFIG_ERR);
    // dpni_set_rx_tc_dist v4 0x2354 (dist_size 0-1, tc 2, flags 3: dist_mode HASH 1,
    // default_flow_id 6-7, key_cfg_iova 48-55), as dpaa2_setup_flow_dist does.
    assert_eq!(run(&mut mc, 0x2354, P::new().u16(0, 1).u8(2, 0).u8(3, 1).u64(48, 0x8000_0100)), status::OK);
    // A profile the MC cannot read: DMA_ERR.
    assert_eq!(run(&mut mc, 0x2354, P::new().u16(0, 1).u8(3, 1).u64(48, 0x10)), status::DMA_ERR);
}

/// DPDK 22.11's mc_write_command (drivers/bus/fslmc/mc/fsl_mc_cmd.h) writes the seven
/// parameter words, then the header's high 32 bits (command id, token) and last its low
/// 32 bits (flags, status READY): the command must run on the second store only.
#[test]
fn dpdk_split_header_write() {
    let mut mc = default_mc();
    // A first command leaves status OK (0) in the portal's header.
    assert_eq!(mc_cmd(&mut mc, 0, 0x8311, 0, P::new()).0, status::OK);
    // DPRC_OPEN dprc.1: params, then header high word (0x8051 << 16 | token 0).
    mc.portal_write(8, Size::B8, 1).expect("param");
    let h = hdr(DPRC_OPEN, 0);
    mc.portal_write(4, Size::B4, h >> 32).expect("header high");
    // Not run yet: the low word still holds the previous status (OK), no token issued.
    let before = mc.portal_read(0, Size::B8).expect("read");
    assert_eq!(before >> 48, DPRC_OPEN as u64);
    assert_eq!((before >> 16) & 0xff, 0);
    let cmds = mc.commands;
    // The low word with READY submits it: status OK, a token in [47:32].
    mc.portal_write(0, Size::B4, h & 0xffff_ffff).expect("header low");
    assert_eq!(mc.commands, cmds + 1);
    let after = mc.portal_read(0, Size::B8).expect("read");
    assert_eq!((after >> 16) & 0xff, 0);
    let t = (after >> 32) as u16;
    assert_ne!(t, 0);
    assert_eq!(mc_cmd(&mut mc, 0, GET_ATTR, t, P::new()).2.u32(0), 1);
}

/// Open handles are a finite resource: opening without closing ends in NO_RESOURCE
/// (-ENAVAIL) before a token repeats or is 0 (dpaa2_mac_open treats token 0 as failure);
/// closing one makes room again.
#[test]
fn tokens_run_out_with_no_resource() {
    let mut mc = default_mc();
    let mut seen = std::collections::BTreeSet::new();
    let mut last = status::OK;
    for _ in 0..70_000 {
        let (s, t, _) = mc_cmd(&mut mc, 0, DPNI_OPEN, 0, P::new().u32(0, 0));
        last = s;
        if s != status::OK {
            break;
        }
        assert_ne!(t, 0);
        assert!(seen.insert(t), "token {t:#x} handed out twice");
    }
    assert_eq!(last, status::NO_RESOURCE);
    let some = *seen.iter().next().expect("tokens");
    assert_eq!(st(&mut mc, 0, CLOSE, some, P::new()), status::OK);
    let (s, t, _) = mc_cmd(&mut mc, 0, DPNI_OPEN, 0, P::new().u32(0, 0));
    assert_eq!(s, status::OK);
    // The new token is non-zero and not one of the still-open ones.
    seen.remove(&some);
    assert!(t != 0 && !seen.contains(&t), "token {t:#x}");
}
