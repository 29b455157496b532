//! Container-management commands as restool issues them through /dev/dprc.1. Layouts and
//! option bits from NXP restool mc_v10/fsl_dprc_cmd.h and fsl_dprc.h; event bits from
//! Linux 6.1 drivers/bus/fsl-mc/fsl-mc-private.h; the built-in DPL (dpl.rs DEFAULT_DPL)
//! gives the starting tree: dprc.1 (ICID 23, portal 0) with dpmcp.1-20 (portals 1-20),
//! dpio.0-7, dpbp.0-3, dpcon.0-7, dpni.0-1, dpmac.1-2; dprc.2 (ICID 24, portal 23) with
//! dpni.2, dpbp.4, dpcon.8, dpio.8, dpmcp.21-22.

use super::cmd::{self, header, status, Params};
use super::dprc::*;
use super::objects::*;
use super::*;

/// Sends `p` on `portal`; returns (status, response header, response).
fn send(mc: &mut Mc, portal: u32, id: u16, token: u16, p: &Params) -> (u8, u64, Params) {
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

fn st(mc: &mut Mc, portal: u32, id: u16, token: u16, p: &Params) -> u8 {
    send(mc, portal, id, token, p).0
}

fn open_dprc(mc: &mut Mc, portal: u32, id: u32) -> u16 {
    let mut p = Params::default();
    p.set_u32(0, id);
    let (s, h, _) = send(mc, portal, 0x8051, 0, &p);
    assert_eq!(s, status::OK, "DPRC_OPEN {id} on portal {portal}");
    cmd::token(h)
}

/// Programs and enables DPRC IRQ 0 of the handle's container as Linux's dprc_setup_irq
/// does (DPRC_SET_IRQ 0x0101, SET_IRQ_MASK 0x0141, SET_IRQ_ENABLE 0x0121), with MSI data
/// `data` to GITS_TRANSLATER (0x0603_0040).
fn enable_irq(mc: &mut Mc, portal: u32, t: u16, data: u32) {
    let mut p = Params::default();
    p.set_u32(0, data);
    p.set_u64(8, 0x0603_0040);
    assert_eq!(st(mc, portal, 0x0101, t, &p), status::OK);
    let mut p = Params::default();
    p.set_u32(0, !0);
    assert_eq!(st(mc, portal, 0x0141, t, &p), status::OK);
    let mut p = Params::default();
    p.set_u8(0, 1);
    assert_eq!(st(mc, portal, 0x0121, t, &p), status::OK);
}

/// GET_IRQ_STATUS 0x0161 then CLEAR_IRQ_STATUS 0x0171 of what it returned (Linux's
/// dprc_irq0_handler_thread).
fn take_status(mc: &mut Mc, portal: u32, t: u16) -> u32 {
    let (s, _, r) = send(mc, portal, 0x0161, t, &Params::default());
    assert_eq!(s, status::OK);
    let v = r.u32(0);
    let mut p = Params::default();
    p.set_u32(0, v);
    assert_eq!(st(mc, portal, 0x0171, t, &p), status::OK);
    v
}

/// DPRC_CREATE_CONT v2 0x1512 (restool): options 0-3, icid 4-7, portal 12-15, label 16-31.
fn create(mc: &mut Mc, portal: u32, t: u16, options: u32, icid: u32, port: u32) -> (u8, Params) {
    let mut p = Params::default();
    p.set_u32(0, options);
    p.set_u32(4, icid);
    p.set_u32(12, port);
    p.set_str16(16, "restool");
    let (s, _, r) = send(mc, portal, 0x1512, t, &p);
    (s, r)
}

/// DPRC_ASSIGN 0x1571 / UNASSIGN 0x1581: container 0-3, options 4-7, num 8-11,
/// id_base_align 12-15, type 16-31.
#[allow(clippy::too_many_arguments)]
fn assign(mc: &mut Mc, portal: u32, t: u16, unassign: bool, cont: u32, ty: &str, id: u32, num: u32, options: u32) -> u8 {
    let mut p = Params::default();
    p.set_u32(0, cont);
    p.set_u32(4, options);
    p.set_u32(8, num);
    p.set_u32(12, id);
    p.set_str16(16, ty);
    st(mc, portal, if unassign { 0x1581 } else { 0x1571 }, t, &p)
}

/// The (type, id, state) list DPRC_GET_OBJ_COUNT 0x1591 / GET_OBJ 0x15A1 give.
fn objects(mc: &mut Mc, portal: u32, t: u16) -> Vec<(String, u32, u32)> {
    let (s, _, r) = send(mc, portal, 0x1591, t, &Params::default());
    assert_eq!(s, status::OK);
    (0..r.u32(4))
        .map(|i| {
            let mut p = Params::default();
            p.set_u32(0, i);
            let (s, _, r) = send(mc, portal, 0x15A1, t, &p);
            assert_eq!(s, status::OK);
            (r.str16(24), r.u32(4), r.u32(12))
        })
        .collect()
}

fn has(list: &[(String, u32, u32)], ty: &str, id: u32) -> Option<u32> {
    list.iter().find(|(t, i, _)| t == ty && *i == id).map(|x| x.2)
}

/// restool's default options for `dprc create` (SPAWN | ALLOC | OBJ_CREATE | IRQ_CFG).
const RESTOOL_OPTS: u32 = DPRC_OPT_SPAWN_ALLOWED | DPRC_OPT_ALLOC_ALLOWED | DPRC_OPT_OBJ_CREATE_ALLOWED | DPRC_OPT_IRQ_CFG_ALLOWED;

#[test]
fn restool_create_assign_unassign_destroy() {
    let mut mc = Mc::new(dpl::default_layout());
    let t = open_dprc(&mut mc, 0, 1);
    enable_irq(&mut mc, 0, t, 7);
    let before = objects(&mut mc, 0, t);
    assert_eq!(before.len(), 45, "dprc.1: 8 dpio, 4 dpbp, 8 dpcon, 20 dpmcp, 2 dpni, 2 dpmac objects + dprc.2");

    // Create: ICID and portal from the pools. The DPAA2 ICIDs start at 23 (root) and the
    // DPL gave 24 to dprc.2, so 25; portals 0-23 are taken (root, dpmcp.1-22, dprc.2), so
    // portal 24 at offset 24 × 64 KiB. Ids 1 and 2 are in use: dprc.3.
    let (s, r) = create(&mut mc, 0, t, RESTOOL_OPTS, ICID_FROM_POOL, PORTAL_FROM_POOL);
    assert_eq!(s, status::OK);
    assert_eq!((r.u32(8), r.u64(16)), (3, 24 * 0x1_0000));
    // The root's IRQ 0 fires (MSI data 7, root ICID 23) with OBJ_CREATED (0x40).
    assert_eq!(mc.take_msis(), vec![MsiWrite { icid: 23, addr: 0x0603_0040, data: 7 }]);
    assert_eq!(take_status(&mut mc, 0, t), 0x40);
    let now = objects(&mut mc, 0, t);
    assert_eq!(now.len(), 46);
    assert_eq!(has(&now, "dprc", 3), Some(0x2), "listed, PLUGGED");
    // The child answers on its own portal: DPRC_GET_CONT_ID 0x8301 → 3; GET_ATTR 0x0041 →
    // id, ICID, options, portal id.
    let (s, _, r) = send(&mut mc, 24, 0x8301, 0, &Params::default());
    assert_eq!((s, r.u32(0)), (status::OK, 3));
    let c = open_dprc(&mut mc, 24, 3);
    let (s, _, r) = send(&mut mc, 24, 0x0041, c, &Params::default());
    assert_eq!(s, status::OK);
    assert_eq!((r.u32(0), r.u32(4), r.u32(8), r.u32(12)), (3, 25, RESTOOL_OPTS, 24));
    enable_irq(&mut mc, 24, c, 9);
    assert!(objects(&mut mc, 24, c).is_empty());

    // restool dprc assign dprc.1 --child=dprc.3 --object=dpni.1 --plugged=1:
    // EXPLICIT | PLUGGED, num 1, id_base_align = the object id.
    let opt = RES_REQ_EXPLICIT | RES_REQ_PLUGGED;
    assert_eq!(assign(&mut mc, 0, t, false, 3, "dpni", 1, 1, opt), status::OK);
    // Root: OBJ_REMOVED (0x2); child (ICID 25): OBJ_ADDED (0x1).
    assert_eq!(mc.take_msis(), vec![MsiWrite { icid: 23, addr: 0x0603_0040, data: 7 }, MsiWrite { icid: 25, addr: 0x0603_0040, data: 9 }]);
    assert_eq!(take_status(&mut mc, 0, t), 0x2);
    assert_eq!(take_status(&mut mc, 24, c), 0x1);
    for (ty, id) in [("dpbp", 3), ("dpmcp", 20), ("dpcon", 7)] {
        assert_eq!(assign(&mut mc, 0, t, false, 3, ty, id, 1, opt), status::OK, "{ty}.{id}");
    }
    assert_eq!((take_status(&mut mc, 0, t), take_status(&mut mc, 24, c)), (0x2, 0x1));
    let kids = objects(&mut mc, 24, c);
    assert_eq!(kids.len(), 4);
    for (ty, id) in [("dpni", 1), ("dpbp", 3), ("dpmcp", 20), ("dpcon", 7)] {
        assert_eq!(has(&kids, ty, id), Some(0x2), "{ty}.{id} in dprc.3, plugged");
        assert_eq!(has(&objects(&mut mc, 0, t), ty, id), None, "{ty}.{id} left dprc.1");
    }
    // dpmcp.20's portal now works in the child's context.
    let (_, _, r) = send(&mut mc, 20, 0x8301, 0, &Params::default());
    assert_eq!(r.u32(0), 3);

    // Error cases. Objects the parent does not hold → CONFIG_ERR (dpni.2 is dprc.2's).
    assert_eq!(assign(&mut mc, 0, t, false, 3, "dpni", 2, 1, opt), status::CONFIG_ERR);
    // Not a child of dprc.1 → CONFIG_ERR; DPRCs are never assigned → CONFIG_ERR.
    assert_eq!(assign(&mut mc, 0, t, false, 99, "dpni", 0, 1, opt), status::CONFIG_ERR);
    assert_eq!(assign(&mut mc, 0, t, false, 3, "dprc", 2, 1, opt), status::CONFIG_ERR);
    assert_eq!(assign(&mut mc, 0, t, false, 3, "nonsense", 0, 1, opt), status::CONFIG_ERR);
    // An object someone has open (DPNI_OPEN 0x8011) does not move: BUSY.
    let mut p = Params::default();
    p.set_u32(0, 0);
    let (s, h, _) = send(&mut mc, 0, 0x8011, 0, &p);
    assert_eq!(s, status::OK);
    assert_eq!(assign(&mut mc, 0, t, false, 3, "dpni", 0, 1, opt), status::BUSY);
    assert_eq!(st(&mut mc, 0, 0x8001, cmd::token(h), &Params::default()), status::OK);
    // The child cannot take objects from its parent: dprc.3 is not its own child.
    assert_eq!(assign(&mut mc, 24, c, false, 3, "dpni", 0, 1, opt), status::CONFIG_ERR);

    // restool dprc unassign dprc.1 --child=dprc.3 --object=dpni.1: EXPLICIT only; the
    // object comes back unplugged.
    assert_eq!(assign(&mut mc, 0, t, true, 3, "dpni", 1, 1, RES_REQ_EXPLICIT), status::OK);
    assert_eq!(take_status(&mut mc, 24, c), 0x2, "child: OBJ_REMOVED");
    assert_eq!(take_status(&mut mc, 0, t), 0x1, "root: OBJ_ADDED");
    assert_eq!(has(&objects(&mut mc, 0, t), "dpni", 1), Some(0), "back in dprc.1, unplugged");
    assert!(mc.describe().contains("unplugged: dpni.1\n"), "{}", mc.describe());
    // restool dprc assign dprc.1 --object=dpni.1 --plugged=1: container = itself.
    assert_eq!(assign(&mut mc, 0, t, false, 1, "dpni", 1, 1, opt), status::OK);
    assert_eq!(has(&objects(&mut mc, 0, t), "dpni", 1), Some(0x2));
    assert_eq!(take_status(&mut mc, 0, t), 0x1);

    // Destroy (0x1521, child id 0-3): the rest comes back plugged, the root sees
    // CONTAINER_DESTROYED | OBJ_ADDED (0x11), the listing is what it was.
    let mut p = Params::default();
    p.set_u32(0, 3);
    assert_eq!(st(&mut mc, 0, 0x1521, t, &p), status::OK);
    assert_eq!(take_status(&mut mc, 0, t), 0x11);
    let after = objects(&mut mc, 0, t);
    let mut a = after.clone();
    let mut b = before.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b);
    // Destroying it again, or the root, or a grandchild → CONFIG_ERR.
    assert_eq!(st(&mut mc, 0, 0x1521, t, &p), status::CONFIG_ERR);
    p.set_u32(0, 1);
    assert_eq!(st(&mut mc, 0, 0x1521, t, &p), status::CONFIG_ERR);
    // Linux's teardown of the removed child on its old portal: IRQ disable and CLOSE
    // complete; anything else is INVALID_STATE; then the portal is free again.
    assert_eq!(st(&mut mc, 24, 0x0121, c, &Params::default()), status::OK);
    assert_eq!(st(&mut mc, 24, 0x0041, c, &Params::default()), status::INVALID_STATE);
    assert_eq!(st(&mut mc, 24, 0x8001, c, &Params::default()), status::OK);
    assert!(mc.portal_write(24 * PORTAL_STRIDE, Size::B8, 0).is_err(), "portal 24 has no owner");
    // dpmcp.20's portal is the root's again.
    let (_, _, r) = send(&mut mc, 20, 0x8301, 0, &Params::default());
    assert_eq!(r.u32(0), 1);
}

#[test]
fn create_container_errors() {
    let mut mc = Mc::new(dpl::default_layout());
    let t = open_dprc(&mut mc, 0, 1);
    // Explicit ICID 23 is the root's → NO_RESOURCE; ICID 5 is outside the DPAA2 range
    // 23..63 → CONFIG_ERR; portal 1 belongs to dpmcp.1 → NO_RESOURCE; portal 2000 is past
    // the 1024 portals of the 64 MiB window → CONFIG_ERR.
    assert_eq!(create(&mut mc, 0, t, 0, 23, PORTAL_FROM_POOL).0, status::NO_RESOURCE);
    assert_eq!(create(&mut mc, 0, t, 0, 5, PORTAL_FROM_POOL).0, status::CONFIG_ERR);
    assert_eq!(create(&mut mc, 0, t, 0, ICID_FROM_POOL, 1).0, status::NO_RESOURCE);
    assert_eq!(create(&mut mc, 0, t, 0, ICID_FROM_POOL, 2000).0, status::CONFIG_ERR);
    // Explicit values that are free are used as given.
    let (s, r) = create(&mut mc, 0, t, 0, 40, 500);
    assert_eq!((s, r.u32(8), r.u64(16)), (status::OK, 3, 500 * 0x1_0000));
    // dprc.2 lacks DPRC_CFG_OPT_SPAWN_ALLOWED (its DPL options) → NO_PRIVILEGE.
    let c2 = open_dprc(&mut mc, 23, 2);
    assert_eq!(create(&mut mc, 23, c2, 0, ICID_FROM_POOL, PORTAL_FROM_POOL).0, status::NO_PRIVILEGE);
    // The DPAA2 ICIDs 23..63 are 41: 3 are used, 38 more containers fit, then NO_RESOURCE.
    for k in 0..38 {
        assert_eq!(create(&mut mc, 0, t, 0, ICID_FROM_POOL, PORTAL_FROM_POOL).0, status::OK, "container {k}");
    }
    assert_eq!(create(&mut mc, 0, t, 0, ICID_FROM_POOL, PORTAL_FROM_POOL).0, status::NO_RESOURCE);
    // CREATE_CONT v1 (U-Boot's 0x1511) is accepted too; v3 is not a command.
    assert_eq!(st(&mut mc, 0, 0x1513, t, &Params::default()), status::UNSUPPORTED_OP);
}

#[test]
fn lock_and_nested_containers() {
    let mut mc = Mc::new(dpl::default_layout());
    let t = open_dprc(&mut mc, 0, 1);
    let (_, r) = create(&mut mc, 0, t, RESTOOL_OPTS, ICID_FROM_POOL, PORTAL_FROM_POOL);
    assert_eq!(r.u32(8), 3);
    let c = open_dprc(&mut mc, 24, 3);
    // SET_LOCKED 0x16B1: locked byte 0, child 4-7.
    let mut p = Params::default();
    p.set_u8(0, 1);
    p.set_u32(4, 3);
    assert_eq!(st(&mut mc, 0, 0x16B1, t, &p), status::OK);
    assert!(mc.describe().contains("dprc.3 locked\n"));
    // A locked container may not create children (fsl_dprc.h dprc_set_locked).
    assert_eq!(create(&mut mc, 24, c, 0, ICID_FROM_POOL, PORTAL_FROM_POOL).0, status::NO_PRIVILEGE);
    p.set_u8(0, 0);
    assert_eq!(st(&mut mc, 0, 0x16B1, t, &p), status::OK);
    // Unlocked, with SPAWN_ALLOWED, but a container's portal comes from its parent's
    // "mcp" pool and dprc.3's is empty → NO_RESOURCE.
    assert_eq!(create(&mut mc, 24, c, 0, ICID_FROM_POOL, PORTAL_FROM_POOL).0, status::NO_RESOURCE);
    // Give dprc.3 two MC portals ("mcp" resources, explicit from 30).
    assert_eq!(assign(&mut mc, 0, t, false, 3, "mcp", 30, 2, RES_REQ_EXPLICIT), status::OK);
    let (s, r) = create(&mut mc, 24, c, 0, ICID_FROM_POOL, PORTAL_FROM_POOL);
    assert_eq!((s, r.u32(8), r.u64(16)), (status::OK, 4, 30 * 0x1_0000));
    // Locking from a non-parent → CONFIG_ERR (dprc.4 is a grandchild of dprc.1).
    p.set_u8(0, 1);
    p.set_u32(4, 4);
    assert_eq!(st(&mut mc, 0, 0x16B1, t, &p), status::CONFIG_ERR);
    // Destroying dprc.3 destroys dprc.4; both portals (24, 30) and the unused 31 return
    // to the root's mcp pool, so its count is back to the initial 1000
    // (1023 non-root portals − 22 DPMCPs − dprc.2's portal 23).
    let mut p = Params::default();
    p.set_u32(0, 3);
    assert_eq!(st(&mut mc, 0, 0x1521, t, &p), status::OK);
    assert!(mc.layout.container(4).is_none() && mc.layout.container(3).is_none());
    let mut p = Params::default();
    p.set_str16(8, "mcp");
    let (s, _, r) = send(&mut mc, 0, 0x15B1, t, &p);
    assert_eq!((s, r.u32(0)), (status::OK, 1000));
}

#[test]
fn pools_and_resource_ids() {
    let mut mc = Mc::new(dpl::default_layout());
    let t = open_dprc(&mut mc, 0, 1);
    // GET_POOL_COUNT 0x16A1: "bp" and "mcp" (restool's type names) hold resources.
    let (_, _, r) = send(&mut mc, 0, 0x16A1, t, &Params::default());
    assert_eq!(r.u32(0), 2);
    let mut p = Params::default();
    let names: Vec<String> = (0..2)
        .map(|i| {
            p.set_u32(0, i);
            send(&mut mc, 0, 0x1691, t, &p).2.str16(8)
        })
        .collect();
    assert_eq!(names, ["bp", "mcp"]);
    p.set_u32(0, 2);
    assert_eq!(st(&mut mc, 0, 0x1691, t, &p), status::CONFIG_ERR);
    // GET_RES_COUNT 0x15B1 (type 8-23): 64 BMan pools − dpbp.0-4 (bpids 0-4) = 59.
    let count = |mc: &mut Mc, portal, tok, ty: &str| {
        let mut p = Params::default();
        p.set_str16(8, ty);
        let (s, _, r) = send(mc, portal, 0x15B1, tok, &p);
        (s, r.u32(0))
    };
    assert_eq!(count(&mut mc, 0, t, "bp"), (status::OK, 59));
    assert_eq!(count(&mut mc, 0, t, "fq"), (status::OK, 0));
    assert_eq!(count(&mut mc, 0, t, "dpni").0, status::CONFIG_ERR);
    // Move bpids 10, 11 to dprc.2 (explicit), then 8 aligned on 8 (→ 16..23).
    assert_eq!(assign(&mut mc, 0, t, false, 2, "bp", 10, 2, RES_REQ_EXPLICIT), status::OK);
    assert_eq!(assign(&mut mc, 0, t, false, 2, "bp", 8, 8, RES_REQ_ALIGNED), status::OK);
    assert_eq!(assign(&mut mc, 0, t, false, 2, "bp", 10, 1, RES_REQ_EXPLICIT), status::NO_RESOURCE, "bpid 10 is gone");
    assert_eq!(count(&mut mc, 0, t, "bp"), (status::OK, 49));
    let c2 = open_dprc(&mut mc, 23, 2);
    assert_eq!(count(&mut mc, 23, c2, "bp"), (status::OK, 10));
    // GET_RES_IDS 0x15C1: iteration status in byte 5 bits [7:2]; ranges 5-9, 12-15, 24-63.
    let mut ranges = Vec::new();
    let mut p = Params::default();
    p.set_str16(16, "bp");
    loop {
        let (s, _, r) = send(&mut mc, 0, 0x15C1, t, &p);
        assert_eq!(s, status::OK);
        let it = r.u8(5) >> 2;
        ranges.push((r.u32(8), r.u32(12), it));
        if it == ITER_LAST {
            break;
        }
        p.set_u8(5, ITER_MORE << 2);
        p.set_u32(8, r.u32(8));
        p.set_u32(12, r.u32(12));
    }
    assert_eq!(ranges, [(5, 9, ITER_MORE), (12, 15, ITER_MORE), (24, 63, ITER_LAST)]);
    // Unassign them all back (non-explicit: any 10 of the child's).
    assert_eq!(assign(&mut mc, 0, t, true, 2, "bp", 0, 10, 0), status::OK);
    assert_eq!(count(&mut mc, 0, t, "bp"), (status::OK, 59));
    assert_eq!(assign(&mut mc, 0, t, true, 2, "bp", 0, 1, 0), status::NO_RESOURCE);
}

#[test]
fn connect_disconnect_label() {
    let mut mc = Mc::new(dpl::default_layout());
    let t = open_dprc(&mut mc, 0, 1);
    // dpni.0's IRQ 0 enabled (DPRC_SET_OBJ_IRQ 0x15F1, then the DPNI's mask/enable).
    let mut p = Params::default();
    p.set_u32(0, 11);
    p.set_u64(8, 0x0603_0040);
    p.set_u32(20, 0);
    p.set_str16(24, "dpni");
    assert_eq!(st(&mut mc, 0, 0x15F1, t, &p), status::OK);
    let mut p = Params::default();
    p.set_u32(0, 0);
    let n = cmd::token(send(&mut mc, 0, 0x8011, 0, &p).1);
    let mut p = Params::default();
    p.set_u32(0, !0);
    assert_eq!(st(&mut mc, 0, 0x0141, n, &p), status::OK);
    p.set_u32(0, 1);
    assert_eq!(st(&mut mc, 0, 0x0121, n, &p), status::OK);
    // DISCONNECT 0x1681 (id 0-3, if 4-7, type 8-23) dpni.0 from dpmac.1.
    let mut d = Params::default();
    d.set_u32(0, 0);
    d.set_str16(8, "dpni");
    assert_eq!(st(&mut mc, 0, 0x1681, t, &d), status::OK);
    // dpaa2-eth learns it from DPNI_IRQ_EVENT_ENDPOINT_CHANGED (0x2).
    assert_eq!(mc.take_msis(), vec![MsiWrite { icid: 23, addr: 0x0603_0040, data: 11 }]);
    let (_, _, r) = send(&mut mc, 0, 0x0161, n, &Params::default());
    assert_eq!(r.u32(0), 0x2);
    // GET_CONNECTION 0x16C1 now answers "not connected" (state −1).
    let mut g = Params::default();
    g.set_u32(0, 0);
    g.set_str16(8, "dpni");
    let (_, _, r) = send(&mut mc, 0, 0x16C1, t, &g);
    assert_eq!(r.u32(48), u32::MAX);
    assert_eq!(st(&mut mc, 0, 0x1681, t, &d), status::CONFIG_ERR, "already disconnected");
    // CONNECT 0x1671: ep1 id 0-3, if 4-5, ep2 id 8-11, if 12-13, ep1 type 16-31, ep2 type 40-55.
    let conn = |a: (&str, u32), b: (&str, u32)| {
        let mut c = Params::default();
        c.set_u32(0, a.1);
        c.set_str16(16, a.0);
        c.set_u32(8, b.1);
        c.set_str16(40, b.0);
        c
    };
    assert_eq!(st(&mut mc, 0, 0x1671, t, &conn(("dpni", 0), ("dpmac", 1))), status::OK);
    let (_, _, r) = send(&mut mc, 0, 0x16C1, t, &g);
    assert_eq!((r.str16(32), r.u32(24)), ("dpmac".to_string(), 1));
    // dpmac.2 is dpni.1's → INVALID_STATE; a dpbp has no endpoint → CONFIG_ERR; an
    // endpoint with itself → CONFIG_ERR.
    assert_eq!(st(&mut mc, 0, 0x1671, t, &conn(("dpni", 0), ("dpmac", 2))), status::INVALID_STATE);
    assert_eq!(st(&mut mc, 0, 0x1671, t, &conn(("dpbp", 0), ("dpmac", 2))), status::CONFIG_ERR);
    assert_eq!(st(&mut mc, 0, 0x1671, t, &conn(("dpmac", 2), ("dpmac", 2))), status::CONFIG_ERR);
    // dprc.2 has no DPRC_CFG_OPT_TOPOLOGY_CHANGES_ALLOWED → NO_PRIVILEGE.
    let c2 = open_dprc(&mut mc, 23, 2);
    let mut d2 = Params::default();
    d2.set_u32(0, 2);
    d2.set_str16(8, "dpni");
    assert_eq!(st(&mut mc, 23, 0x1681, c2, &d2), status::NO_PRIVILEGE);
    // SET_OBJ_LABEL 0x1611: id 0-3, label 8-23, type 24-39; GET_OBJ shows it at 40.
    let mut l = Params::default();
    l.set_u32(0, 2);
    l.set_str16(8, "vfio-port");
    l.set_str16(24, "dpni");
    assert_eq!(st(&mut mc, 0, 0x1611, t, &l), status::OK, "a descendant's object");
    assert_eq!(st(&mut mc, 23, 0x1611, c2, &l), status::OK);
    l.set_u32(0, 0);
    assert_eq!(st(&mut mc, 23, 0x1611, c2, &l), status::CONFIG_ERR, "dpni.0 is not visible from dprc.2");
    let mut p = Params::default();
    p.set_u32(0, 0);
    let (_, _, r) = send(&mut mc, 23, 0x15A1, c2, &p);
    assert_eq!((r.str16(24), r.str16(40)), ("dpni".to_string(), "vfio-port".to_string()));
}

#[test]
fn reset_container_closes_object_handles() {
    let mut mc = Mc::new(dpl::default_layout());
    let t = open_dprc(&mut mc, 0, 1);
    // In dprc.2 (portal 23): its own handle and dpni.2 open, dpni.2 enabled.
    let c2 = open_dprc(&mut mc, 23, 2);
    let mut p = Params::default();
    p.set_u32(0, 2);
    let n = cmd::token(send(&mut mc, 23, 0x8011, 0, &p).1);
    assert_eq!(st(&mut mc, 23, 0x0021, n, &Params::default()), status::OK);
    // DPRC_RESET_CONT v1 0x0051 (child 0-3) from the root: dpni.2 disabled (IS_ENABLED
    // 0x0061 from the root portal answers 0), its handle on portal 23 closed (AUTH_ERR),
    // the container handle kept.
    let mut r = Params::default();
    r.set_u32(0, 2);
    assert_eq!(st(&mut mc, 23, 0x0061, n, &Params::default()), status::OK);
    assert_eq!(st(&mut mc, 0, 0x0051, t, &r), status::OK);
    assert_eq!(st(&mut mc, 23, 0x0061, n, &Params::default()), status::AUTH_ERR);
    assert_eq!(st(&mut mc, 23, 0x0041, c2, &Params::default()), status::OK);
    assert_eq!(mc.layout.obj(ObjType::Dpni, 2).map(|o| (o.enabled, o.opens)), Some((false, 0)));
    // vfio-fsl-mc's reset: v2 0x0052 on the child's own portal, NON_RECURSIVE.
    r.set_u32(4, 1);
    assert_eq!(st(&mut mc, 23, 0x0052, c2, &r), status::OK);
    // Not a child: CONFIG_ERR (dprc.1 is dprc.2's parent).
    r.set_u32(0, 1);
    assert_eq!(st(&mut mc, 23, 0x0052, c2, &r), status::CONFIG_ERR);
}
