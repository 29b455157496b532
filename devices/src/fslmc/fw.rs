//! The MC firmware model: executes one command from a portal against the object model.
//! Layouts of every request and response: ls2088a-reference.md §4.4–4.8 (from Linux
//! 6.1's fsl-mc-private.h, dpio-cmd.h, dpcon/dpbp/dpmcp.c, dpni-cmd.h, dpmac-cmd.h).
//!
//! Access rules: a portal works in the context of the container that owns it (portal 0:
//! the root; a child DPRC's portal: that child; a DPMCP's portal: the DPMCP's container).
//! It may open its own container and its descendants, and objects assigned to them.
//! Errors: unknown or bad-version commands → UNSUPPORTED_OP (one warning per command);
//! a token not opened on this portal → AUTH_ERR; an object or container id that does not
//! exist or is not visible from the portal → CONFIG_ERR (opening a container outside the
//! portal's subtree → NO_PRIVILEGE); a bad index (GET_OBJ, IRQ index, region index) →
//! CONFIG_ERR.

use super::cmd::{self, num, status, Params};
use super::objects::*;
use super::{Handle, Mc, MsiWrite, PORTAL_BASE, PORTAL_STRIDE, QBMAN_BASE, QBMAN_CINH_OFFSET, SOC_PVR, SOC_SVR};

/// DPRC object state bits (`DPRC_OBJ_STATE_*`).
const STATE_OPEN: u32 = 0x1;
const STATE_PLUGGED: u32 = 0x2;
/// Vendor id of every MC object (FSL_MC_VENDOR_FREESCALE).
pub const VENDOR_FREESCALE: u16 = 0x1957;
/// DPNI IRQ 0 event: link state changed (dpni.h DPNI_IRQ_EVENT_LINK_CHANGED).
pub const DPNI_IRQ_LINK_CHANGED: u32 = 0x1;
/// Region types (`enum dprc_region_type`).
const REGION_MC_PORTAL: u8 = 0;
const REGION_QBMAN_PORTAL: u8 = 1;
/// Region flags: CACHEABLE, SHAREABLE (DPRC_REGION_CACHEABLE/SHAREABLE).
const REGION_CACHEABLE: u32 = 0x1;
const REGION_SHAREABLE: u32 = 0x2;
/// QBMan version the DPIOs report: QMan 4.1 (8-entry DQRR, direct mode; §4.7).
const QBMAN_VERSION: u32 = 0x0401_0000;
/// QBMan clock in Hz (used by dpaa2_io_create as a divisor; the RDB's 350 MHz platform clock).
const QBMAN_CLK_HZ: u32 = 350_000_000;
/// Link speed of the modelled fixed links, in Mb/s.
pub(super) const LINK_RATE_MBPS: u32 = 10_000;

type R = Result<(), u8>;

impl Mc {
    pub(super) fn execute(&mut self, portal: u32, hdr: u64, mut p: Params) -> (u64, Params) {
        self.commands = self.commands.wrapping_add(1);
        let id = cmd::cmd_id(hdr);
        let mut rsp = Params::default();
        let mut hdr_out = hdr;
        let r = self.dispatch(portal, hdr, &mut p, &mut rsp, &mut hdr_out);
        tracing::trace!(target: "fslmc", "portal {portal}: command {id:#06x} token {:#x}: {:?}", cmd::token(hdr), r.err());
        let st = match r {
            Ok(()) => status::OK,
            Err(s) => {
                tracing::debug!(target: "fslmc", "portal {portal}: command {id:#06x} token {:#x}: status {s:#x}", cmd::token(hdr));
                rsp = p; // parameters are only read back on success
                s
            }
        };
        (cmd::with_status(hdr_out, st), rsp)
    }

    fn warn_once(&mut self, ty: ObjType, id: u16) {
        if self.warned.insert((ty, id)) {
            tracing::warn!(target: "fslmc", "MC model: {} command {id:#06x} is not implemented (answered UNSUPPORTED_OP)", ty.name());
        }
    }

    fn portal_ctx(&self, portal: u32) -> Result<u32, u8> {
        self.layout.portal_owner(portal).ok_or(status::NO_PRIVILEGE)
    }

    fn dispatch(&mut self, portal: u32, hdr: u64, p: &mut Params, rsp: &mut Params, hdr_out: &mut u64) -> R {
        let id = cmd::cmd_id(hdr);
        let n = id >> 4;
        if let Some(r) = self.orphan_cmd(portal, hdr) {
            return r;
        }
        let ctx = self.portal_ctx(portal)?;
        // Commands without a token.
        match n {
            num::MNG_GET_VERSION => {
                rsp.set_u32(0, self.fw_version.2);
                rsp.set_u32(4, self.fw_version.0);
                rsp.set_u32(8, self.fw_version.1);
                return Ok(());
            }
            num::MNG_GET_SOC_VERSION => {
                rsp.set_u32(0, SOC_SVR);
                rsp.set_u32(4, SOC_PVR);
                return Ok(());
            }
            num::DPRC_GET_CONT_ID => {
                rsp.set_u32(0, ctx);
                return Ok(());
            }
            0xA01..=0xA10 => {
                let ty = ObjType::from_open_low(n & 0xff).ok_or(status::UNSUPPORTED_OP)?;
                let (ma, mi) = ty.api_version();
                rsp.set_u16(0, ma);
                rsp.set_u16(2, mi);
                return Ok(());
            }
            0x801..=0x810 => {
                let ty = ObjType::from_open_low(n & 0xff).ok_or(status::UNSUPPORTED_OP)?;
                let oid = p.u32(0);
                let h = if ty == ObjType::Dprc {
                    let c = self.layout.container(oid).ok_or(status::CONFIG_ERR)?;
                    if !self.layout.is_within(c.id, ctx) {
                        return Err(status::NO_PRIVILEGE);
                    }
                    Handle::Container(oid)
                } else {
                    let o = self.layout.obj(ty, oid).ok_or(status::CONFIG_ERR)?;
                    if !self.layout.is_within(o.container, ctx) {
                        return Err(status::CONFIG_ERR);
                    }
                    Handle::Obj(ty, oid)
                };
                let port = self.portals.entry(portal).or_default();
                if port.tokens.len() >= 0xfff0 {
                    return Err(status::NO_RESOURCE);
                }
                // Tokens are non-zero (dpaa2_mac_open treats 0 as failure) and unique on
                // the portal.
                let mut t = port.next_token;
                loop {
                    t = t.wrapping_add(1);
                    if t != 0 && !port.tokens.contains_key(&t) {
                        break;
                    }
                }
                port.next_token = t;
                port.tokens.insert(t, h);
                self.set_open(h, 1);
                *hdr_out = cmd::with_token(hdr, t);
                return Ok(());
            }
            0x901..=0x910 | 0x981..=0x990 => {
                // CREATE / DESTROY: objects come from the DPL only.
                let ty = ObjType::from_open_low(n & 0xff).unwrap_or(ObjType::Dprc);
                self.warn_once(ty, id);
                return Err(status::UNSUPPORTED_OP);
            }
            _ => {}
        }
        let tok = cmd::token(hdr);
        let h = *self.portals.get(&portal).and_then(|x| x.tokens.get(&tok)).ok_or(status::AUTH_ERR)?;
        if n == num::CLOSE {
            if let Some(port) = self.portals.get_mut(&portal) {
                port.tokens.remove(&tok);
            }
            self.set_open(h, -1);
            return Ok(());
        }
        match h {
            Handle::Container(cid) => self.dprc_cmd(cid, id, p, rsp),
            Handle::Obj(ty, oid) => self.obj_cmd(ty, oid, id, p, rsp),
        }
    }

    fn set_open(&mut self, h: Handle, d: i32) {
        match h {
            Handle::Container(c) => {
                if let Some(c) = self.layout.container_mut(c) {
                    c.opens = c.opens.saturating_add_signed(d);
                }
            }
            Handle::Obj(ty, id) => {
                if let Some(i) = self.layout.obj_index(ty, id) {
                    let o = &mut self.layout.objects[i];
                    o.opens = o.opens.saturating_add_signed(d);
                }
            }
        }
    }

    /// Raises `bits` on interrupt `index` of an object or container; sends its MSI if
    /// the interrupt is enabled, unmasked and programmed.
    pub(super) fn raise(&mut self, h: Handle, index: usize, bits: u32) {
        let (irq, icid) = match h {
            Handle::Container(c) => {
                let Some(cont) = self.layout.container_mut(c) else { return };
                let icid = cont.icid;
                (&mut cont.irq, icid)
            }
            Handle::Obj(ty, id) => {
                let Some(i) = self.layout.obj_index(ty, id) else { return };
                let cont = self.layout.objects[i].container;
                let icid = self.layout.container(cont).map_or(0, |c| c.icid);
                let Some(irq) = self.layout.objects[i].irqs.get_mut(index) else { return };
                (irq, icid)
            }
        };
        irq.status |= bits;
        if irq.enabled && irq.configured && irq.status & irq.mask != 0 {
            self.msis.push(MsiWrite { icid, addr: irq.addr, data: irq.data });
        }
    }

    fn irq_mut(&mut self, h: Handle, index: u8) -> Result<&mut Irq, u8> {
        match h {
            Handle::Container(c) if index == 0 => Ok(&mut self.layout.container_mut(c).ok_or(status::CONFIG_ERR)?.irq),
            Handle::Container(_) => Err(status::CONFIG_ERR),
            Handle::Obj(ty, id) => {
                let i = self.layout.obj_index(ty, id).ok_or(status::CONFIG_ERR)?;
                self.layout.objects[i].irqs.get_mut(index as usize).ok_or(status::CONFIG_ERR)
            }
        }
    }

    /// The IRQ commands every object type shares (0x010..0x017). `None`: not one of them.
    fn irq_cmd(&mut self, h: Handle, n: u16, p: &Params, rsp: &mut Params) -> Option<R> {
        let r = match n {
            num::SET_IRQ => self.irq_mut(h, p.u8(4)).map(|q| {
                q.data = p.u32(0);
                q.addr = p.u64(8);
                q.irq_num = p.u32(16);
                q.configured = true;
            }),
            num::GET_IRQ => self.irq_mut(h, p.u8(4)).map(|q| {
                rsp.set_u32(0, q.data);
                rsp.set_u64(8, q.addr);
                rsp.set_u32(16, q.irq_num);
            }),
            num::SET_IRQ_ENABLE => {
                let en = p.u8(0) & 1 != 0;
                let idx = p.u8(4);
                let r = self.irq_mut(h, idx).map(|q| q.enabled = en);
                if r.is_ok() && en {
                    self.raise(h, idx as usize, 0); // pending, unmasked events fire now
                }
                r
            }
            num::GET_IRQ_ENABLE => self.irq_mut(h, p.u8(4)).map(|q| rsp.set_u8(0, q.enabled as u8)),
            num::SET_IRQ_MASK => {
                let idx = p.u8(4);
                let r = self.irq_mut(h, idx).map(|q| q.mask = p.u32(0));
                if r.is_ok() {
                    self.raise(h, idx as usize, 0);
                }
                r
            }
            num::GET_IRQ_MASK => self.irq_mut(h, p.u8(4)).map(|q| rsp.set_u32(0, q.mask)),
            // Returns the pending events and clears those set in the request (Linux's DPNI
            // handler passes ~0, the DPRC handler 0 and clears with CLEAR_IRQ_STATUS).
            num::GET_IRQ_STATUS => self.irq_mut(h, p.u8(4)).map(|q| {
                rsp.set_u32(0, q.status);
                q.status &= !p.u32(0);
            }),
            num::CLEAR_IRQ_STATUS => self.irq_mut(h, p.u8(4)).map(|q| q.status &= !p.u32(0)),
            _ => return None,
        };
        Some(r)
    }

    fn dprc_cmd(&mut self, cid: u32, id: u16, p: &mut Params, rsp: &mut Params) -> R {
        let n = id >> 4;
        let ver = id & 0xf;
        if let Some(r) = self.irq_cmd(Handle::Container(cid), n, p, rsp) {
            return r;
        }
        let c = self.layout.container(cid).ok_or(status::CONFIG_ERR)?.clone();
        match n {
            num::GET_ATTR => {
                rsp.set_u32(0, c.id);
                rsp.set_u32(4, c.icid as u32);
                rsp.set_u32(8, c.options);
                rsp.set_u32(12, c.portal);
            }
            num::DPRC_RESET_CONT if ver <= 2 => {
                // Child container (or this one): see dprc.rs.
                let non_recursive = ver == 2 && p.u32(4) & 1 != 0;
                return self.reset_container(cid, p.u32(0), non_recursive);
            }
            num::DPRC_GET_OBJ_COUNT => rsp.set_u32(4, self.layout.listed(cid).len() as u32),
            num::DPRC_GET_OBJ => {
                let list = self.layout.listed(cid);
                let e = *list.get(p.u32(0) as usize).ok_or(status::CONFIG_ERR)?;
                self.fill_obj_desc(e, rsp);
            }
            num::DPRC_GET_OBJ_REG if (1..=3).contains(&ver) => {
                let ty = ObjType::from_name(&p.str16(24)).ok_or(status::CONFIG_ERR)?;
                let oid = p.u32(0);
                let region = p.u8(6);
                let e = self.find_listed(cid, ty, oid)?;
                let (off, size, rtype, flags) = self.region(e, region, ver)?;
                rsp.set_u64(8, off);
                rsp.set_u32(16, size);
                rsp.set_u8(20, rtype);
                rsp.set_u32(24, flags);
                if ver >= 2 {
                    rsp.set_u64(32, if rtype == REGION_MC_PORTAL { PORTAL_BASE } else { QBMAN_BASE });
                }
            }
            num::DPRC_SET_OBJ_IRQ => {
                let ty = ObjType::from_name(&p.str16(24)).ok_or(status::CONFIG_ERR)?;
                let oid = p.u32(20);
                let h = match self.find_listed(cid, ty, oid)? {
                    Listed::Child(i) => Handle::Container(self.layout.containers[i].id),
                    Listed::Obj(_) => Handle::Obj(ty, oid),
                };
                let q = self.irq_mut(h, p.u8(4))?;
                q.data = p.u32(0);
                q.addr = p.u64(8);
                q.irq_num = p.u32(16);
                q.configured = true;
            }
            num::DPRC_GET_CONNECTION => {
                let ty = ObjType::from_name(&p.str16(8)).ok_or(status::CONFIG_ERR)?;
                let ep = Endpoint { ty, id: p.u32(0), if_id: p.u16(4) };
                let o = self.layout.obj(ty, ep.id).ok_or(status::CONFIG_ERR)?;
                if !self.layout.is_within(o.container, cid) {
                    return Err(status::CONFIG_ERR);
                }
                match self.layout.peer(ep) {
                    Some(peer) => {
                        rsp.set_u32(24, peer.id);
                        rsp.set_u16(28, peer.if_id);
                        rsp.set_str16(32, peer.ty.name());
                        // Link state: up when both ends are enabled (DPMACs are always up).
                        let en = |e: Endpoint| e.ty == ObjType::Dpmac || self.layout.obj(e.ty, e.id).is_some_and(|o| o.enabled);
                        rsp.set_u32(48, (en(ep) && en(peer)) as u32);
                    }
                    None => {
                        // Not connected: state -1 (fsl_mc_get_endpoint tests `state == -1`).
                        rsp.set_u32(24, u32::MAX);
                        rsp.set_u32(48, u32::MAX);
                    }
                }
            }
            _ => {
                // Container management (create/destroy/assign/… , dprc.rs).
                if let Some(r) = self.dprc_mgmt_cmd(cid, id, p, rsp) {
                    return r;
                }
                self.warn_once(ObjType::Dprc, id);
                return Err(status::UNSUPPORTED_OP);
            }
        }
        Ok(())
    }

    /// An object or child container listed by container `cid`.
    fn find_listed(&self, cid: u32, ty: ObjType, oid: u32) -> Result<Listed, u8> {
        self.layout
            .listed(cid)
            .into_iter()
            .find(|e| match *e {
                Listed::Obj(i) => self.layout.objects[i].ty == ty && self.layout.objects[i].id == oid,
                Listed::Child(i) => ty == ObjType::Dprc && self.layout.containers[i].id == oid,
            })
            .ok_or(status::CONFIG_ERR)
    }

    fn region_count(&self, e: Listed) -> u8 {
        match e {
            Listed::Child(_) => 1,
            Listed::Obj(i) => match self.layout.objects[i].ty {
                ObjType::Dpmcp => 1,
                ObjType::Dpio => 2,
                _ => 0,
            },
        }
    }

    /// (offset, size, type, flags) of a region. DPRC API ≥ 6.6 (command v3) reports the
    /// 64 KiB hardware sizes; older commands the old 64-byte MC portal / 4 KiB QBMan sizes.
    fn region(&self, e: Listed, index: u8, ver: u16) -> Result<(u64, u32, u8, u32), u8> {
        if index >= self.region_count(e) {
            return Err(status::CONFIG_ERR);
        }
        let big = ver >= 3;
        let (mc_size, qb_size) = if big { (PORTAL_STRIDE as u32, 0x1_0000) } else { (0x40, 0x1000) };
        Ok(match e {
            Listed::Child(i) => (self.layout.containers[i].portal as u64 * PORTAL_STRIDE, mc_size, REGION_MC_PORTAL, 0),
            Listed::Obj(i) => {
                let o = &self.layout.objects[i];
                let hw = o.attrs.hw_index as u64;
                match (o.ty, index) {
                    (ObjType::Dpmcp, _) => (hw * PORTAL_STRIDE, mc_size, REGION_MC_PORTAL, 0),
                    // Region 0: cache-enabled area; region 1: cache-inhibited area.
                    (_, 0) => (hw * 0x1_0000, qb_size, REGION_QBMAN_PORTAL, REGION_CACHEABLE | REGION_SHAREABLE),
                    _ => (QBMAN_CINH_OFFSET + hw * 0x1_0000, qb_size, REGION_QBMAN_PORTAL, 0),
                }
            }
        })
    }

    fn fill_obj_desc(&self, e: Listed, rsp: &mut Params) {
        let (ty, id, opens, irqs, label, plugged) = match e {
            Listed::Obj(i) => {
                let o = &self.layout.objects[i];
                (o.ty, o.id, o.opens, o.ty.irq_count(), o.label.clone(), self.dprc.plugged(o.ty, o.id))
            }
            Listed::Child(i) => {
                let c = &self.layout.containers[i];
                (ObjType::Dprc, c.id, c.opens, 1, c.label.clone(), true)
            }
        };
        let (ma, mi) = ty.api_version();
        rsp.set_u32(4, id);
        rsp.set_u16(8, VENDOR_FREESCALE);
        rsp.set_u8(10, irqs);
        rsp.set_u8(11, self.region_count(e));
        rsp.set_u32(12, if plugged { STATE_PLUGGED } else { 0 } | if opens > 0 { STATE_OPEN } else { 0 });
        rsp.set_u16(16, ma);
        rsp.set_u16(18, mi);
        rsp.set_u16(20, 0);
        rsp.set_str16(24, ty.name());
        rsp.set_str16(40, &label);
    }

    /// DPMAC counter `id` (enum dpmac_counter_id, Linux 6.1 dpmac.h) of DPMAC `oid`. The
    /// model's MAC has no wire of its own; its counters come from its DPNI peer: ingress
    /// all/good frames = every frame the DPNI was offered (delivered + filtered +
    /// discarded + no buffer: the MAC received them all without error), ingress bytes and
    /// multicast/broadcast/unicast frames those of the delivered frames (DPNI page 0;
    /// unicast = delivered - multicast - broadcast), egress the frames it sent (page 1).
    /// Frame-size buckets, fragments, jabbers, alignment, pause, MAC discard and error
    /// counters are 0 (the model's links neither err nor pause and keep no size
    /// histogram). `None` for an id past DPMAC_CNT_EGR_GOOD_FRAME (27).
    fn dpmac_counter(&self, oid: u32, id: u8) -> Option<u64> {
        if id > 27 {
            return None;
        }
        let peer = self.layout.peer(Endpoint { ty: ObjType::Dpmac, id: oid, if_id: 0 });
        let s = match peer {
            Some(p) if p.ty == ObjType::Dpni => self.dpnis.get(&p.id).map(|d| d.stats).unwrap_or_default(),
            _ => Default::default(),
        };
        let rx_ucast = s.rx_frames.wrapping_sub(s.rx_mcast_frames).wrapping_sub(s.rx_bcast_frames);
        let tx_ucast = s.tx_frames.wrapping_sub(s.tx_mcast_frames).wrapping_sub(s.tx_bcast_frames);
        Some(match id {
            15 => s.rx_bytes,         // ING_BYTE
            16 => s.rx_mcast_frames,  // ING_MCAST_FRAME
            17 => s.rx_bcast_frames,  // ING_BCAST_FRAME
            // ING_ALL_FRAME, ING_GOOD_FRAME
            18 | 26 => s.rx_frames.wrapping_add(s.rx_filtered).wrapping_add(s.rx_discarded).wrapping_add(s.rx_nobuffer),
            19 => rx_ucast,           // ING_UCAST_FRAME
            21 => s.tx_bytes,         // EGR_BYTE
            22 => s.tx_mcast_frames,  // EGR_MCAST_FRAME
            23 => s.tx_bcast_frames,  // EGR_BCAST_FRAME
            24 => tx_ucast,           // EGR_UCAST_FRAME
            27 => s.tx_frames,        // EGR_GOOD_FRAME
            _ => 0,
        })
    }

    fn obj_cmd(&mut self, ty: ObjType, oid: u32, id: u16, p: &mut Params, rsp: &mut Params) -> R {
        let n = id >> 4;
        let h = Handle::Obj(ty, oid);
        if let Some(r) = self.irq_cmd(h, n, p, rsp) {
            return r;
        }
        let i = self.layout.obj_index(ty, oid).ok_or(status::CONFIG_ERR)?;
        match n {
            num::ENABLE | num::DISABLE => {
                let en = n == num::ENABLE;
                self.layout.objects[i].enabled = en;
                if ty == ObjType::Dpni {
                    // The link follows the enable state of the DPNI and its peer (§4.8).
                    self.update_links(oid);
                }
                return Ok(());
            }
            num::RESET => {
                let o = &mut self.layout.objects[i];
                o.enabled = false;
                for q in o.irqs.iter_mut() {
                    *q = Irq::default();
                }
                if ty == ObjType::Dpni {
                    self.dpni_reset(oid);
                }
                if ty == ObjType::Dpio {
                    let portal = self.layout.objects[i].attrs.hw_index;
                    self.qb_ops.push(super::dpni::QbOp::PortalReset(portal));
                }
                return Ok(());
            }
            num::IS_ENABLED => {
                rsp.set_u8(0, self.layout.objects[i].enabled as u8);
                return Ok(());
            }
            _ => {}
        }
        if ty == ObjType::Dpni {
            if n == super::datapath::n::SET_POOLS && id & 0xf >= 3 {
                // DPNI_CMDID_SET_POOLS v3 (DPDK 22.11 struct dpni_cmd_set_pools): each pool
                // entry is {u16 dpbp_id, u8 priority_mask, u8 pad}, where v1 (Linux) has a
                // u32 dpbp_id: keep the id alone (the model has no per-priority pools).
                for i in 0..8 {
                    let o = 4 + 4 * i;
                    let dpbp = p.u16(o) as u32;
                    p.set_u32(o, dpbp);
                }
            }
            if let Some(r) = self.dpni_cmd(oid, n, p, rsp) {
                return r;
            }
        }
        let o = self.layout.objects[i].clone();
        let a = &o.attrs;
        match (ty, n) {
            (ObjType::Dpmcp, num::GET_ATTR) => rsp.set_u32(0, o.id),
            (ObjType::Dpbp, num::GET_ATTR) => {
                rsp.set_u16(2, a.hw_index as u16);
                rsp.set_u32(4, o.id);
            }
            (ObjType::Dpcon, num::GET_ATTR) => {
                rsp.set_u32(0, o.id);
                rsp.set_u16(4, a.hw_index as u16);
                rsp.set_u8(6, a.num_priorities);
            }
            (ObjType::Dpcon, num::DPCON_SET_NOTIFICATION) => {
                // The DPIO must exist and have the priority asked for (struct
                // dpcon_notification_cfg: "valid values are 0-7, depending on the number
                // of priorities in that channel"); CDANs of the DPCON's channel go to its
                // portal.
                let dpio = self.layout.obj(ObjType::Dpio, p.u32(0)).ok_or(status::CONFIG_ERR)?;
                if p.u8(4) >= dpio.attrs.num_priorities.max(1) {
                    return Err(status::CONFIG_ERR);
                }
                self.dpcon_notify(oid, p.u32(0))?;
            }
            (ObjType::Dpio, num::GET_ATTR) => {
                rsp.set_u32(0, o.id);
                rsp.set_u16(4, a.hw_index as u16);
                rsp.set_u8(6, a.num_priorities);
                rsp.set_u8(7, a.channel_mode);
                rsp.set_u64(8, a.hw_index as u64 * 0x1_0000);
                rsp.set_u64(16, QBMAN_CINH_OFFSET + a.hw_index as u64 * 0x1_0000);
                rsp.set_u32(24, QBMAN_VERSION);
                rsp.set_u32(32, QBMAN_CLK_HZ);
            }
            (ObjType::Dpio, num::DPIO_SET_STASHING_DEST) => {}
            (ObjType::Dpio, num::DPIO_GET_STASHING_DEST) => {}
            (ObjType::Dpbp, num::DPBP_GET_FREE_BUFFERS_NUM) => {
                // Configuration still queued for the QBMan engine does not touch pools.
                rsp.set_u32(0, self.qbman.bp_count(a.hw_index as u16));
            }
            (ObjType::Dpmac, num::DPMAC_GET_COUNTER) => {
                let c = p.u8(0);
                rsp.set_u64(8, self.dpmac_counter(oid, c).ok_or(status::CONFIG_ERR)?);
            }
            (ObjType::Dpmac, num::GET_ATTR) => {
                // eth_if 0 (DPMAC_ETH_IF_MII: the model has no SerDes), link_type FIXED.
                rsp.set_u8(0, 0);
                rsp.set_u8(1, a.link_type);
                rsp.set_u16(2, o.id as u16);
                rsp.set_u32(4, LINK_RATE_MBPS);
            }
            (ObjType::Dpni, num::GET_ATTR) => {
                rsp.set_u32(0, 0);
                rsp.set_u8(4, a.num_queues);
                rsp.set_u8(5, a.num_tcs); // num_rx_tcs
                rsp.set_u8(6, 16); // mac_filter_entries
                // num_tx_tcs: as many as Rx (the DPL's num_tcs); DPDK 22.11's dpaa2 PMD
                // makes num_tx_tcs × num_channels Tx queues (dpaa2_dev_init).
                rsp.set_u8(7, a.num_tcs);
                rsp.set_u8(8, 16); // vlan_filter_entries
                // num_channels (DPDK 22.11 fsl_dpni_cmd.h dpni_rsp_get_attr byte 9; padding
                // in older layouts, which Linux 6.1 ignores): one Tx channel.
                rsp.set_u8(9, 1);
                rsp.set_u8(10, 1); // qos_entries
                // fs_entries and fs/qos key sizes: the flow steering table of datapath.rs.
                rsp.set_u16(12, super::dpni::FS_ENTRIES as u16);
                rsp.set_u8(16, super::keygen::MAX_KEY_SIZE as u8);
                rsp.set_u8(17, super::keygen::MAX_KEY_SIZE as u8);
                rsp.set_u16(18, 1 << 10 | 2 << 5); // WRIOP 1.2.0 → 64-byte Rx alignment
            }
            (_, num::GET_ATTR) if !ty.modelled() => rsp.set_u32(0, o.id),
            _ => {
                self.warn_once(ty, id);
                return Err(status::UNSUPPORTED_OP);
            }
        }
        Ok(())
    }
}
