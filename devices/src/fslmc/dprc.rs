//! Container management as the MC firmware does it for restool and vfio-fsl-mc: creating
//! and destroying child containers, moving objects and resources between a container and
//! its children, labels, connections, locking and container reset, with the DPRC IRQ 0
//! events that make Linux's dprc driver rescan.
//!
//! Command layouts (byte offsets in the 56-byte parameter area; NXP restool
//! mc_v10/fsl_dprc_cmd.h and fsl_dprc.h, the MC 10.x API; the allow-list and command
//! sizes of Linux 6.1 drivers/bus/fsl-mc/fsl-mc-uapi.c):
//!
//! | cmd | command | request | response |
//! |---|---|---|---|
//! | 0x1511/0x1512 | CREATE_CONT | 0-3 options, 4-7 icid (0xFFFF: from the pool), 12-15 portal id (-1: from the pool), 16-31 label | 8-11 child id, 16-23 child portal offset |
//! | 0x1521 | DESTROY_CONT | 0-3 child id | – |
//! | 0x1571/0x1581 | ASSIGN/UNASSIGN | 0-3 container id, 4-7 options (1 EXPLICIT, 2 ALIGNED, 4 PLUGGED), 8-11 num, 12-15 id_base_align, 16-31 type | – |
//! | 0x15B1 | GET_RES_COUNT | 8-23 type | 0-3 count |
//! | 0x15C1 | GET_RES_IDS | 5 iter status << 2, 8-11 base, 12-15 last, 16-31 type | same fields |
//! | 0x1611 | SET_OBJ_LABEL | 0-3 obj id, 8-23 label, 24-39 type | – |
//! | 0x1671 | CONNECT | 0-3 ep1 id, 4-5 ep1 if, 8-11 ep2 id, 12-13 ep2 if, 16-31 ep1 type, 32-35 max rate, 36-39 committed rate, 40-55 ep2 type | – |
//! | 0x1681 | DISCONNECT | 0-3 id, 4-7 if, 8-23 type | – |
//! | 0x1691 | GET_POOL | 0-3 index | 8-23 type |
//! | 0x16A1 | GET_POOL_COUNT | – | 0-3 count |
//! | 0x16B1 | SET_LOCKED | 0 locked, 4-7 child id | – |
//! | 0x0051/0x0052 | RESET_CONT | 0-3 child id, 4-7 options (bit 0 non-recursive, v2) | – |
//!
//! Rules of the model (where NXP documents none, the choice is stated here):
//! - A container acts on itself and its direct children only: another id → CONFIG_ERR.
//! - The root container may do everything. A child needs DPRC_CFG_OPT_SPAWN_ALLOWED to
//!   create containers and DPRC_CFG_OPT_TOPOLOGY_CHANGES_ALLOWED to connect/disconnect
//!   (fsl_dprc.h option descriptions); otherwise NO_PRIVILEGE.
//! - A locked container (SET_LOCKED by its parent, and everything below it) may not
//!   create/destroy containers, assign/unassign or lock (fsl_dprc.h dprc_set_locked):
//!   NO_PRIVILEGE.
//! - Objects move only while no handle is open on them (BUSY); a moved object is reset
//!   (disabled, interrupts unprogrammed: its owner and ICID changed) and its plugged state
//!   is the request's PLUGGED option. Assigning to the container itself only changes the
//!   plugged state (restool `dprc assign --plugged`).
//! - Resources ("bp", "cg", "fq", "mcp", "qpr", "qd", "rplr", restool's list) live in
//!   per-container pools. The root starts with the MC portals ("mcp") and buffer pool ids
//!   ("bp") no DPL object or container uses; a new container's portal comes from its
//!   parent's "mcp" pool and goes back there when it is destroyed.
//! - Destroying a container destroys its descendants; their objects return, plugged, to
//!   the parent, their resources to the parent's pools. Handles a destroyed container's
//!   portal still holds may only be torn down (CLOSE, SET_IRQ_ENABLE, SET_IRQ_MASK,
//!   CLEAR_IRQ_STATUS answer OK, anything else INVALID_STATE), as Linux's dprc driver
//!   does when the rescan removes the child.
//! - Events (fsl-mc-private.h DPRC_IRQ_EVENT_*): an object leaving a container raises
//!   OBJ_REMOVED there, one arriving OBJ_ADDED; a created child raises OBJ_CREATED in the
//!   parent, a destroyed one CONTAINER_DESTROYED; a plugged-state change raises OBJ_ADDED
//!   (plugged) or OBJ_REMOVED (unplugged). Connecting or disconnecting a DPNI raises its
//!   ENDPOINT_CHANGED event (dpni.h).

use super::cmd::{num, status, Params};
use super::dpl::MC_PORTALS;
use super::objects::*;
use super::{Handle, Mc, PORTAL_STRIDE};
use std::collections::{BTreeMap, BTreeSet};

type R = Result<(), u8>;

/// DPRC IRQ 0 events (Linux drivers/bus/fsl-mc/fsl-mc-private.h).
pub const EVENT_OBJ_ADDED: u32 = 0x01;
pub const EVENT_OBJ_REMOVED: u32 = 0x02;
pub const EVENT_CONTAINER_DESTROYED: u32 = 0x10;
pub const EVENT_OBJ_DESTROYED: u32 = 0x20;
pub const EVENT_OBJ_CREATED: u32 = 0x40;
/// DPNI IRQ 0 event: the endpoint changed (Linux dpaa2/dpni.h).
pub const DPNI_EVENT_ENDPOINT_CHANGED: u32 = 0x2;

/// Resource request options (restool fsl_dprc.h DPRC_RES_REQ_OPT_*).
pub const RES_REQ_EXPLICIT: u32 = 0x1;
pub const RES_REQ_ALIGNED: u32 = 0x2;
pub const RES_REQ_PLUGGED: u32 = 0x4;
/// "Allocate from the pool" values of CREATE_CONT (DPRC_GET_ICID_FROM_POOL is a u16 ~0,
/// DPRC_GET_PORTAL_ID_FROM_POOL an int ~0).
pub const ICID_FROM_POOL: u32 = 0xFFFF;
pub const PORTAL_FROM_POOL: u32 = 0xFFFF_FFFF;
/// GET_RES_IDS iteration status (enum dprc_iter_status).
pub const ITER_FIRST: u8 = 0;
pub const ITER_MORE: u8 = 1;
pub const ITER_LAST: u8 = 2;

/// Resource types a container's pools hold (restool check_resource_type).
pub const RES_TYPES: [&str; 7] = ["bp", "cg", "fq", "mcp", "qpr", "qd", "rplr"];
/// Buffer pool ids of the LS2088A's QBMan (BMan has 64 pools).
pub const BPIDS: u32 = 64;

/// Command numbers of the container-management commands.
pub mod cmdnum {
    pub const CREATE_CONT: u16 = 0x151;
    pub const DESTROY_CONT: u16 = 0x152;
    pub const ASSIGN: u16 = 0x157;
    pub const UNASSIGN: u16 = 0x158;
    pub const GET_RES_COUNT: u16 = 0x15B;
    pub const GET_RES_IDS: u16 = 0x15C;
    pub const SET_OBJ_LABEL: u16 = 0x161;
    pub const CONNECT: u16 = 0x167;
    pub const DISCONNECT: u16 = 0x168;
    pub const GET_POOL: u16 = 0x169;
    pub const GET_POOL_COUNT: u16 = 0x16A;
    pub const SET_LOCKED: u16 = 0x16B;
}

/// Container-management state the DPL does not describe.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DprcState {
    /// Objects whose PLUGGED state is clear (every DPL object starts plugged).
    pub unplugged: BTreeSet<(ObjType, u32)>,
    /// Containers locked by their parent.
    pub locked: BTreeSet<u32>,
    /// Free resources per container and type.
    pub pools: BTreeMap<u32, BTreeMap<&'static str, BTreeSet<u32>>>,
    /// MC portals of destroyed containers that still hold handles.
    pub orphans: BTreeSet<u32>,
}

impl DprcState {
    /// The state after the MC applied `layout`: the root's pools hold every MC portal
    /// and buffer pool id no object or container uses.
    pub fn new(layout: &Layout) -> DprcState {
        let mut s = DprcState::default();
        if let Some(root) = layout.root() {
            let mut used: BTreeSet<u32> = layout.containers.iter().map(|c| c.portal).collect();
            used.extend(layout.objects.iter().filter(|o| o.ty == ObjType::Dpmcp).map(|o| o.attrs.hw_index));
            let mcp: BTreeSet<u32> = (1..MC_PORTALS).filter(|p| !used.contains(p)).collect();
            let bps: BTreeSet<u32> = layout.objects.iter().filter(|o| o.ty == ObjType::Dpbp).map(|o| o.attrs.hw_index).collect();
            let bp: BTreeSet<u32> = (0..BPIDS).filter(|b| !bps.contains(b)).collect();
            let pools = s.pools.entry(root.id).or_default();
            pools.insert("mcp", mcp);
            pools.insert("bp", bp);
        }
        s
    }

    /// Unplugged objects, locked containers and resource pools, as text (for the monitor).
    pub fn describe(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        if !self.unplugged.is_empty() {
            let v: Vec<String> = self.unplugged.iter().map(|(t, i)| format!("{}.{i}", t.name())).collect();
            let _ = writeln!(s, "unplugged: {}", v.join(" "));
        }
        for c in &self.locked {
            let _ = writeln!(s, "dprc.{c} locked");
        }
        for (c, pools) in &self.pools {
            let v: Vec<String> = pools.iter().filter(|(_, ids)| !ids.is_empty()).map(|(t, ids)| format!("{t} {}", ids.len())).collect();
            if !v.is_empty() {
                let _ = writeln!(s, "dprc.{c} free resources: {}", v.join(", "));
            }
        }
        s
    }

    pub fn plugged(&self, ty: ObjType, id: u32) -> bool {
        !self.unplugged.contains(&(ty, id))
    }

    fn set_plugged(&mut self, ty: ObjType, id: u32, on: bool) {
        if on {
            self.unplugged.remove(&(ty, id));
        } else {
            self.unplugged.insert((ty, id));
        }
    }

    /// Free resources of `ty` in container `c`.
    pub fn pool(&self, c: u32, ty: &str) -> Option<&BTreeSet<u32>> {
        self.pools.get(&c).and_then(|m| m.get(ty))
    }
}

fn res_type(s: &str) -> Option<&'static str> {
    RES_TYPES.iter().copied().find(|t| *t == s)
}

/// `n` ids from `pool` per the request options, or None.
fn pick(pool: &BTreeSet<u32>, n: u32, options: u32, base_align: u32) -> Option<Vec<u32>> {
    if n == 0 || n as usize > pool.len() {
        return None;
    }
    if options & RES_REQ_EXPLICIT != 0 {
        let v: Vec<u32> = (0..n).map(|k| base_align.wrapping_add(k)).collect();
        return (v.iter().all(|x| pool.contains(x)) && base_align.checked_add(n - 1).is_some()).then_some(v);
    }
    if options & RES_REQ_ALIGNED != 0 {
        let align = base_align.max(1);
        for &start in pool.iter() {
            if start % align != 0 || start.checked_add(n - 1).is_none() {
                continue;
            }
            if (0..n).all(|k| pool.contains(&(start + k))) {
                return Some((0..n).map(|k| start + k).collect());
            }
        }
        return None;
    }
    Some(pool.iter().copied().take(n as usize).collect())
}

impl Mc {
    /// Whether container `c` or one of its ancestors is locked.
    fn locked(&self, c: u32) -> bool {
        let mut cur = Some(c);
        for _ in 0..=self.layout.containers.len() {
            let Some(x) = cur else { return false };
            if self.dprc.locked.contains(&x) {
                return true;
            }
            cur = self.layout.container(x).and_then(|k| k.parent);
        }
        false
    }

    fn is_root(&self, c: u32) -> bool {
        self.layout.root().is_some_and(|r| r.id == c)
    }

    fn has_option(&self, c: u32, bit: u32) -> bool {
        self.is_root(c) || self.layout.container(c).is_some_and(|k| k.options & bit != 0)
    }

    /// `child` must be a direct child of `cid`.
    fn direct_child(&self, cid: u32, child: u32) -> R {
        match self.layout.container(child) {
            Some(k) if k.parent == Some(cid) => Ok(()),
            _ => Err(status::CONFIG_ERR),
        }
    }

    fn notify(&mut self, c: u32, bits: u32) {
        self.raise(Handle::Container(c), 0, bits);
    }

    /// Commands on a destroyed container's portal (see the module notes). `None`: the
    /// portal is not one.
    pub(super) fn orphan_cmd(&mut self, portal: u32, hdr: u64) -> Option<R> {
        if !self.dprc.orphans.contains(&portal) || self.layout.portal_owner(portal).is_some() {
            return None;
        }
        let n = super::cmd::cmd_id(hdr) >> 4;
        let tok = super::cmd::token(hdr);
        let port = self.portals.get_mut(&portal)?;
        if !port.tokens.contains_key(&tok) {
            return Some(Err(status::INVALID_STATE));
        }
        Some(match n {
            num::CLOSE => {
                port.tokens.remove(&tok);
                if port.tokens.is_empty() {
                    self.dprc.orphans.remove(&portal);
                }
                Ok(())
            }
            num::SET_IRQ_ENABLE | num::SET_IRQ_MASK | num::CLEAR_IRQ_STATUS => Ok(()),
            _ => Err(status::INVALID_STATE),
        })
    }

    /// The container-management commands on container `cid`'s handle. `None`: not one of
    /// them.
    pub(super) fn dprc_mgmt_cmd(&mut self, cid: u32, id: u16, p: &Params, rsp: &mut Params) -> Option<R> {
        let n = id >> 4;
        let ver = id & 0xf;
        Some(match n {
            cmdnum::CREATE_CONT if ver == 1 || ver == 2 => self.create_container(cid, ver, p, rsp),
            cmdnum::DESTROY_CONT if ver == 1 => self.destroy_container(cid, p.u32(0)),
            cmdnum::ASSIGN if ver == 1 => self.assign(cid, p, true),
            cmdnum::UNASSIGN if ver == 1 => self.assign(cid, p, false),
            cmdnum::GET_RES_COUNT if ver == 1 => {
                let t = res_type(&p.str16(8)).ok_or(status::CONFIG_ERR);
                t.map(|t| rsp.set_u32(0, self.dprc.pool(cid, t).map_or(0, |s| s.len() as u32)))
            }
            cmdnum::GET_RES_IDS if ver == 1 => self.get_res_ids(cid, p, rsp),
            cmdnum::SET_OBJ_LABEL if ver == 1 => self.set_obj_label(cid, p),
            cmdnum::CONNECT if ver == 1 => self.connect(cid, p),
            cmdnum::DISCONNECT if ver == 1 => self.disconnect(cid, p),
            cmdnum::GET_POOL_COUNT if ver == 1 => {
                rsp.set_u32(0, self.pool_types(cid).len() as u32);
                Ok(())
            }
            cmdnum::GET_POOL if ver == 1 => match self.pool_types(cid).get(p.u32(0) as usize) {
                Some(t) => {
                    rsp.set_str16(8, t);
                    Ok(())
                }
                None => Err(status::CONFIG_ERR),
            },
            cmdnum::SET_LOCKED if ver == 1 => self.set_locked(cid, p.u8(0) & 1 != 0, p.u32(4)),
            _ => return None,
        })
    }

    /// The resource types container `c` has a non-empty pool of, in RES_TYPES order.
    fn pool_types(&self, c: u32) -> Vec<&'static str> {
        RES_TYPES.iter().copied().filter(|t| self.dprc.pool(c, t).is_some_and(|s| !s.is_empty())).collect()
    }

    fn create_container(&mut self, cid: u32, ver: u16, p: &Params, rsp: &mut Params) -> R {
        if !self.has_option(cid, DPRC_OPT_SPAWN_ALLOWED) || self.locked(cid) {
            return Err(status::NO_PRIVILEGE);
        }
        let options = p.u32(0);
        // v1 carries a 16-bit ICID (U-Boot's layout), v2 a 32-bit one (restool's).
        let icid_req = if ver == 1 { p.u16(4) as u32 } else { p.u32(4) };
        let portal_req = p.u32(12);
        let label = p.str16(16);
        let icid = if icid_req == ICID_FROM_POOL {
            (ICID_BASE..=ICID_LAST).find(|i| !self.layout.containers.iter().any(|c| c.icid == *i)).ok_or(status::NO_RESOURCE)?
        } else {
            let i = u16::try_from(icid_req).map_err(|_| status::CONFIG_ERR)?;
            if !(ICID_BASE..=ICID_LAST).contains(&i) {
                return Err(status::CONFIG_ERR);
            }
            if self.layout.containers.iter().any(|c| c.icid == i) {
                return Err(status::NO_RESOURCE);
            }
            i
        };
        let pool = self.dprc.pools.entry(cid).or_default().entry("mcp").or_default();
        let portal = if portal_req == PORTAL_FROM_POOL {
            *pool.iter().next().ok_or(status::NO_RESOURCE)?
        } else if portal_req == 0 || portal_req >= MC_PORTALS {
            return Err(status::CONFIG_ERR);
        } else if pool.contains(&portal_req) {
            portal_req
        } else {
            return Err(status::NO_RESOURCE);
        };
        let child = (1..=u32::MAX).find(|i| self.layout.container(*i).is_none()).ok_or(status::NO_RESOURCE)?;
        pool.remove(&portal);
        // A portal reused from a destroyed container starts afresh.
        self.dprc.orphans.remove(&portal);
        self.portals.remove(&portal);
        self.layout.containers.push(Container { id: child, parent: Some(cid), icid, portal, options, label, irq: Irq::default(), opens: 0 });
        rsp.set_u32(8, child);
        rsp.set_u64(16, portal as u64 * PORTAL_STRIDE);
        self.notify(cid, EVENT_OBJ_CREATED);
        Ok(())
    }

    fn destroy_container(&mut self, cid: u32, child: u32) -> R {
        if self.locked(cid) {
            return Err(status::NO_PRIVILEGE);
        }
        self.direct_child(cid, child)?;
        // The child and all its descendants, deepest last.
        let gone: Vec<u32> = self.layout.containers.iter().map(|c| c.id).filter(|&c| self.layout.is_within(c, child)).collect();
        let mut returned = false;
        for i in 0..self.layout.objects.len() {
            if gone.contains(&self.layout.objects[i].container) {
                self.move_obj(i, cid, true);
                returned = true;
            }
        }
        for g in &gone {
            let Some(k) = self.layout.container(*g).cloned() else { continue };
            // Resources and the container's portal go back to the parent.
            let pools = self.dprc.pools.remove(g).unwrap_or_default();
            let dst = self.dprc.pools.entry(cid).or_default();
            for (t, ids) in pools {
                dst.entry(t).or_default().extend(ids);
            }
            dst.entry("mcp").or_default().insert(k.portal);
            self.dprc.locked.remove(g);
            // Handles on other portals that named the container are gone; those on its
            // own portal become tear-down-only handles of an orphaned portal.
            for (&n, port) in self.portals.iter_mut() {
                if n != k.portal {
                    port.tokens.retain(|_, x| *x != Handle::Container(*g));
                }
            }
            match self.portals.get_mut(&k.portal) {
                Some(port) if !port.tokens.is_empty() => {
                    // Object handles held on that portal are closed.
                    let objs: Vec<Handle> = port.tokens.values().copied().filter(|h| matches!(h, Handle::Obj(..))).collect();
                    port.tokens.retain(|_, x| matches!(x, Handle::Container(_)));
                    for h in objs {
                        self.dec_open(h);
                    }
                    if self.portals.get(&k.portal).is_some_and(|p| !p.tokens.is_empty()) {
                        self.dprc.orphans.insert(k.portal);
                    }
                }
                _ => {}
            }
        }
        self.layout.containers.retain(|c| !gone.contains(&c.id));
        self.notify(cid, EVENT_CONTAINER_DESTROYED | if returned { EVENT_OBJ_ADDED } else { 0 });
        Ok(())
    }

    fn dec_open(&mut self, h: Handle) {
        match h {
            Handle::Obj(ty, id) => {
                if let Some(i) = self.layout.obj_index(ty, id) {
                    let o = &mut self.layout.objects[i];
                    o.opens = o.opens.saturating_sub(1);
                }
            }
            Handle::Container(c) => {
                if let Some(k) = self.layout.container_mut(c) {
                    k.opens = k.opens.saturating_sub(1);
                }
            }
        }
    }

    /// Moves object `i` to container `to`, resetting it, with the given plugged state.
    fn move_obj(&mut self, i: usize, to: u32, plugged: bool) {
        let o = &mut self.layout.objects[i];
        o.container = to;
        o.enabled = false;
        for q in o.irqs.iter_mut() {
            *q = Irq::default();
        }
        let (ty, id) = (o.ty, o.id);
        self.dprc.set_plugged(ty, id, plugged);
    }

    /// ASSIGN (`to_child`: from `cid` to its child) or UNASSIGN (from the child back).
    fn assign(&mut self, cid: u32, p: &Params, to_child: bool) -> R {
        let target = p.u32(0);
        let options = p.u32(4);
        let n = p.u32(8);
        let base = p.u32(12);
        let tname = p.str16(16);
        if self.locked(cid) {
            return Err(status::NO_PRIVILEGE);
        }
        let plugged = options & RES_REQ_PLUGGED != 0;
        if let Some(rt) = res_type(&tname) {
            if target == cid {
                return Err(status::CONFIG_ERR);
            }
            self.direct_child(cid, target)?;
            let (from, to) = if to_child { (cid, target) } else { (target, cid) };
            let src = self.dprc.pools.entry(from).or_default().entry(rt).or_default();
            let ids = pick(src, n, options, base).ok_or(status::NO_RESOURCE)?;
            for x in &ids {
                src.remove(x);
            }
            self.dprc.pools.entry(to).or_default().entry(rt).or_default().extend(ids);
            return Ok(());
        }
        let ty = ObjType::from_name(&tname).ok_or(status::CONFIG_ERR)?;
        if ty == ObjType::Dprc || n == 0 {
            // Containers are created and destroyed, never assigned (fsl_dprc.h).
            return Err(status::CONFIG_ERR);
        }
        if target == cid && !to_child {
            return Err(status::CONFIG_ERR);
        }
        if target != cid {
            self.direct_child(cid, target)?;
        }
        let from = if to_child { cid } else { target };
        let to = if to_child { target } else { cid };
        // The objects, checked all before any moves.
        let candidates: Vec<usize> = self.layout.objects.iter().enumerate().filter(|(_, o)| o.ty == ty && o.container == from).map(|(i, _)| i).collect();
        let picked: Vec<usize> = if options & RES_REQ_EXPLICIT != 0 {
            let mut v = Vec::new();
            for k in 0..n {
                let want = base.checked_add(k).ok_or(status::CONFIG_ERR)?;
                v.push(*candidates.iter().find(|&&i| self.layout.objects[i].id == want).ok_or(status::CONFIG_ERR)?);
            }
            v
        } else {
            if (n as usize) > candidates.len() {
                return Err(status::NO_RESOURCE);
            }
            candidates[..n as usize].to_vec()
        };
        if target == cid {
            // Plugged-state change in place.
            let mut changed = 0;
            for &i in &picked {
                let (t, id) = (self.layout.objects[i].ty, self.layout.objects[i].id);
                if self.dprc.plugged(t, id) != plugged {
                    self.dprc.set_plugged(t, id, plugged);
                    changed += 1;
                }
            }
            if changed > 0 {
                self.notify(cid, if plugged { EVENT_OBJ_ADDED } else { EVENT_OBJ_REMOVED });
            }
            return Ok(());
        }
        if picked.iter().any(|&i| self.layout.objects[i].opens > 0) {
            return Err(status::BUSY);
        }
        for &i in &picked {
            self.move_obj(i, to, plugged);
        }
        self.notify(from, EVENT_OBJ_REMOVED);
        self.notify(to, EVENT_OBJ_ADDED);
        Ok(())
    }

    fn get_res_ids(&mut self, cid: u32, p: &Params, rsp: &mut Params) -> R {
        let rt = res_type(&p.str16(16)).ok_or(status::CONFIG_ERR)?;
        // Iteration status: bits [7:2] of byte 5 (low part), bit 0 of byte 6 (high part).
        let iter = (p.u8(5) >> 2) | (p.u8(6) & 1) << 6;
        let after = match iter {
            ITER_FIRST => None,
            ITER_MORE => Some(p.u32(12)),
            _ => return Err(status::CONFIG_ERR),
        };
        let empty = BTreeSet::new();
        let pool = self.dprc.pool(cid, rt).unwrap_or(&empty);
        let mut it = match after {
            None => pool.range(..),
            Some(a) if a == u32::MAX => pool.range(0..0),
            Some(a) => pool.range(a + 1..),
        };
        let Some(&first) = it.next() else {
            return Err(status::CONFIG_ERR);
        };
        let mut last = first;
        for &x in it.by_ref() {
            if x == last.wrapping_add(1) {
                last = x;
            } else {
                break;
            }
        }
        let more = last != u32::MAX && pool.range(last + 1..).next().is_some();
        rsp.set_u8(5, (if more { ITER_MORE } else { ITER_LAST }) << 2);
        rsp.set_u32(8, first);
        rsp.set_u32(12, last);
        Ok(())
    }

    fn set_obj_label(&mut self, cid: u32, p: &Params) -> R {
        let ty = ObjType::from_name(&p.str16(24)).ok_or(status::CONFIG_ERR)?;
        let id = p.u32(0);
        let label = p.str16(8);
        if ty == ObjType::Dprc {
            let within = self.layout.container(id).is_some_and(|k| self.layout.is_within(k.id, cid));
            if !within {
                return Err(status::CONFIG_ERR);
            }
            if let Some(k) = self.layout.container_mut(id) {
                k.label = label;
            }
            return Ok(());
        }
        let i = self.layout.obj_index(ty, id).ok_or(status::CONFIG_ERR)?;
        if !self.layout.is_within(self.layout.objects[i].container, cid) {
            return Err(status::CONFIG_ERR);
        }
        self.layout.objects[i].label = label;
        Ok(())
    }

    /// An endpoint named in a command, checked: the object exists, is visible from `cid`,
    /// can be connected, and the interface exists.
    fn endpoint(&self, cid: u32, tname: &str, id: u32, if_id: u32) -> Result<Endpoint, u8> {
        let ty = ObjType::from_name(tname).ok_or(status::CONFIG_ERR)?;
        if !matches!(ty, ObjType::Dpni | ObjType::Dpmac | ObjType::Dpsw | ObjType::Dpdmux | ObjType::Dpci) {
            return Err(status::CONFIG_ERR);
        }
        let o = self.layout.obj(ty, id).ok_or(status::CONFIG_ERR)?;
        if !self.layout.is_within(o.container, cid) {
            return Err(status::CONFIG_ERR);
        }
        let ok_if = match ty {
            ObjType::Dpsw => if_id < o.attrs.num_ifs as u32,
            // DPDMUX interface 0 is the uplink, 1.. the downlinks.
            ObjType::Dpdmux => if_id <= 64,
            _ => if_id == 0,
        };
        if !ok_if {
            return Err(status::CONFIG_ERR);
        }
        Ok(Endpoint { ty, id, if_id: if_id as u16 })
    }

    fn endpoint_changed(&mut self, eps: &[Endpoint]) {
        for e in eps {
            if e.ty == ObjType::Dpni {
                self.raise(Handle::Obj(e.ty, e.id), 0, DPNI_EVENT_ENDPOINT_CHANGED);
            }
        }
    }

    fn connect(&mut self, cid: u32, p: &Params) -> R {
        if !self.has_option(cid, DPRC_OPT_TOPOLOGY_CHANGES_ALLOWED) {
            return Err(status::NO_PRIVILEGE);
        }
        let a = self.endpoint(cid, &p.str16(16), p.u32(0), p.u16(4) as u32)?;
        let b = self.endpoint(cid, &p.str16(40), p.u32(8), p.u16(12) as u32)?;
        if a == b {
            return Err(status::CONFIG_ERR);
        }
        if self.layout.peer(a).is_some() || self.layout.peer(b).is_some() {
            return Err(status::INVALID_STATE);
        }
        self.layout.connections.push((a, b));
        self.endpoint_changed(&[a, b]);
        Ok(())
    }

    fn disconnect(&mut self, cid: u32, p: &Params) -> R {
        if !self.has_option(cid, DPRC_OPT_TOPOLOGY_CHANGES_ALLOWED) {
            return Err(status::NO_PRIVILEGE);
        }
        let e = self.endpoint(cid, &p.str16(8), p.u32(0), p.u32(4))?;
        let peer = self.layout.peer(e).ok_or(status::CONFIG_ERR)?;
        self.layout.connections.retain(|&(x, y)| x != e && y != e);
        self.endpoint_changed(&[e, peer]);
        Ok(())
    }

    fn set_locked(&mut self, cid: u32, locked: bool, child: u32) -> R {
        if self.locked(cid) {
            return Err(status::NO_PRIVILEGE);
        }
        self.direct_child(cid, child)?;
        if locked {
            self.dprc.locked.insert(child);
        } else {
            self.dprc.locked.remove(&child);
        }
        Ok(())
    }

    /// DPRC_RESET_CONT from container `cid` on `child` (itself or a direct child): every
    /// object of the container — and of its descendants unless `non_recursive` — is reset
    /// (disabled, interrupts unprogrammed), and the object handles held on those
    /// containers' portals are closed (Linux dprc.c dprc_reset_container). Container
    /// handles stay open: vfio-fsl-mc resets the child through its own handle and keeps
    /// using it.
    pub(super) fn reset_container(&mut self, cid: u32, child: u32, non_recursive: bool) -> R {
        if child != cid {
            self.direct_child(cid, child)?;
        }
        let within: Vec<u32> =
            self.layout.containers.iter().map(|c| c.id).filter(|&x| if non_recursive { x == child } else { self.layout.is_within(x, child) }).collect();
        for o in self.layout.objects.iter_mut().filter(|o| within.contains(&o.container)) {
            o.enabled = false;
            for q in o.irqs.iter_mut() {
                *q = Irq::default();
            }
        }
        let mut portals: BTreeSet<u32> = self.layout.containers.iter().filter(|c| within.contains(&c.id)).map(|c| c.portal).collect();
        portals.extend(self.layout.objects.iter().filter(|o| o.ty == ObjType::Dpmcp && within.contains(&o.container)).map(|o| o.attrs.hw_index));
        let mut closed = Vec::new();
        for (n, port) in self.portals.iter_mut() {
            if portals.contains(n) {
                port.tokens.retain(|_, h| {
                    let keep = matches!(h, Handle::Container(_));
                    if !keep {
                        closed.push(*h);
                    }
                    keep
                });
            }
        }
        for h in closed {
            self.dec_open(h);
        }
        Ok(())
    }
}
