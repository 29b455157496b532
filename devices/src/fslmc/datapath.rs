//! DPNI firmware commands and the frame pump of the MC model (see `dpni.rs` for the
//! model; request/response layouts: dpni-cmd.h, ls2088a-reference.md §4.8).

use super::cmd::{status, Params};
use super::dpni::*;
use super::objects::{Endpoint, ObjType};
use super::{Handle, Mc, MsiWrite};

/// DPNI command numbers (dpni-cmd.h DPNI_CMDID_*, without the version nibble).
pub mod n {
    pub const SET_POOLS: u16 = 0x200;
    pub const SET_ERRORS_BEHAVIOR: u16 = 0x20B;
    pub const GET_QDID: u16 = 0x210;
    pub const GET_TX_DATA_OFFSET: u16 = 0x212;
    pub const GET_LINK_STATE: u16 = 0x215;
    pub const SET_MAX_FRAME_LENGTH: u16 = 0x216;
    pub const GET_MAX_FRAME_LENGTH: u16 = 0x217;
    pub const SET_LINK_CFG: u16 = 0x21A;
    pub const SET_MCAST_PROMISC: u16 = 0x220;
    pub const GET_MCAST_PROMISC: u16 = 0x221;
    pub const SET_UNICAST_PROMISC: u16 = 0x222;
    pub const GET_UNICAST_PROMISC: u16 = 0x223;
    pub const SET_PRIM_MAC: u16 = 0x224;
    pub const GET_PRIM_MAC: u16 = 0x225;
    pub const ADD_MAC_ADDR: u16 = 0x226;
    pub const REMOVE_MAC_ADDR: u16 = 0x227;
    pub const CLR_MAC_FILTERS: u16 = 0x228;
    pub const ENABLE_VLAN_FILTER: u16 = 0x230;
    pub const ADD_VLAN_ID: u16 = 0x231;
    pub const REMOVE_VLAN_ID: u16 = 0x232;
    pub const GET_STATISTICS: u16 = 0x25D;
    pub const GET_QUEUE: u16 = 0x25F;
    pub const SET_QUEUE: u16 = 0x260;
    pub const GET_TAILDROP: u16 = 0x261;
    pub const SET_TAILDROP: u16 = 0x262;
    pub const GET_PORT_MAC_ADDR: u16 = 0x263;
    pub const GET_BUFFER_LAYOUT: u16 = 0x264;
    pub const SET_BUFFER_LAYOUT: u16 = 0x265;
    pub const GET_OFFLOAD: u16 = 0x26B;
    pub const SET_OFFLOAD: u16 = 0x26C;
    /// DPNI_CMDID_SET/GET_TX_CONFIRMATION_MODE (DPDK 22.11 fsl_dpni_cmd.h; not in Linux
    /// 6.1): `struct dpni_tx_confirmation_mode` = 4 bytes pad, confirmation_mode (byte 4).
    pub const SET_TX_CONFIRMATION_MODE: u16 = 0x266;
    pub const GET_TX_CONFIRMATION_MODE: u16 = 0x26D;
    /// DPNI_CMDID_SET_CONGESTION_NOTIFICATION (v3 in DPDK 22.11): qtype byte 0, tc 1,
    /// channel 2, congestion point 3, cgid 4, dest_id 8-11, notification mode 12-13,
    /// message_iova 16-23, thresholds 32-39.
    pub const SET_CONGESTION_NOTIFICATION: u16 = 0x267;
    pub const GET_LINK_CFG: u16 = 0x278;
}

/// DPNI Tx data offset (GET_TX_DATA_OFFSET; a multiple of 64, §4.8).
pub const TX_DATA_OFFSET: u16 = 256;
/// First FQID handed to DPNI queues.
pub const FQID_BASE: u32 = 0x100;
/// Most frames taken from one host backend per quantum boundary.
const MAX_HOST_FRAMES_PER_POLL: usize = 256;
/// Largest max frame length accepted (DPAA2_ETH_MFL for a 10240-byte jumbo frame).
pub const MAX_FRAME_LENGTH: u16 = 10240;

type R = Result<(), u8>;

fn mac_from(p: &Params) -> [u8; 6] {
    // Bytes 2-7 hold the address reversed (byte 2 = last octet; dpni.c).
    let mut m = [0u8; 6];
    for (k, b) in m.iter_mut().enumerate() {
        *b = p.u8(7 - k);
    }
    m
}

fn mac_to(rsp: &mut Params, m: &[u8; 6]) {
    for k in 0..6 {
        rsp.set_u8(2 + k, m[5 - k]);
    }
}

impl Mc {
    /// Creates the DPNI data-path state for the layout's DPNIs (FQIDs in layout order)
    /// and queues the QBMan configuration: every FQ, the Tx queue-destination bins, and
    /// the bus-master ICID of each DPIO's software portal.
    pub(super) fn init_data_path(&mut self) {
        let mut next = FQID_BASE;
        let mut qdid = 0u16;
        let rate = super::fw::LINK_RATE_MBPS;
        let dpnis: Vec<(u32, u8, u8, [u8; 6])> =
            self.layout.objects.iter().filter(|o| o.ty == ObjType::Dpni).map(|o| (o.id, o.attrs.num_queues, o.attrs.num_tcs, o.attrs.mac)).collect();
        for (id, nq, nt, mac) in dpnis {
            qdid = qdid.wrapping_add(1);
            let d = Dpni::new(id, nq, nt, mac, &mut next, qdid, rate);
            self.dpnis.insert(id, d);
            self.sync_dpni_fqs(id);
        }
        let dpios: Vec<(u32, u32)> = self.layout.objects.iter().filter(|o| o.ty == ObjType::Dpio).map(|o| (o.attrs.hw_index, o.container)).collect();
        for (portal, cont) in dpios {
            if let Some(c) = self.layout.container(cont) {
                self.qb_ops.push(QbOp::PortalIcid { portal, icid: c.icid });
            }
        }
    }

    fn dpcon_channel(&self, dpcon: u32) -> Option<u16> {
        self.layout.obj(ObjType::Dpcon, dpcon).map(|o| o.attrs.hw_index as u16)
    }

    /// Queues the FQ configuration of every queue of DPNI `id` (and its Tx bins).
    fn sync_dpni_fqs(&mut self, id: u32) {
        let Some(d) = self.dpnis.get(&id) else { return };
        let chan = |c: u32| self.dpcon_channel(c);
        let mut ops = Vec::new();
        for (qt, flow, q) in d.all_queues() {
            ops.push(QbOp::Fq(q.fqid, d.fq_config(qt, &q, flow, &chan)));
        }
        let bins: Vec<u32> = d.tx.iter().take(d.num_queues.max(1) as usize).map(|q| q.fqid).collect();
        ops.push(QbOp::Qd { qdid: d.qdid, fqids: bins });
        self.qb_ops.extend(ops);
    }

    /// The ICID of the container of object (ty, id): its DMA and MSIs use it.
    pub(super) fn obj_icid(&self, ty: ObjType, id: u32) -> Option<u16> {
        let o = self.layout.obj(ty, id)?;
        self.layout.container(o.container).map(|c| c.icid)
    }

    /// Whether DPNI `id`'s link is up: it is enabled and so is its peer (a connected DPNI
    /// must be enabled; a DPMAC's fixed link is always up; an unconnected DPNI's link
    /// follows its own enable state).
    pub(super) fn dpni_link(&self, id: u32) -> bool {
        let en = |ty: ObjType, i: u32| self.layout.obj(ty, i).is_some_and(|o| o.enabled);
        if !en(ObjType::Dpni, id) {
            return false;
        }
        match self.layout.peer(Endpoint { ty: ObjType::Dpni, id, if_id: 0 }) {
            Some(p) if p.ty == ObjType::Dpni => en(ObjType::Dpni, p.id),
            _ => true,
        }
    }

    /// Re-evaluates the links of DPNI `id` and its DPNI peer; raises LINK_CHANGED on each
    /// whose state changed.
    pub(super) fn update_links(&mut self, id: u32) {
        let mut ids = vec![id];
        if let Some(p) = self.layout.peer(Endpoint { ty: ObjType::Dpni, id, if_id: 0 }) {
            if p.ty == ObjType::Dpni && p.id != id {
                ids.push(p.id);
            }
        }
        for i in ids {
            let up = self.dpni_link(i);
            let Some(d) = self.dpnis.get_mut(&i) else { continue };
            if d.link_up != up {
                d.link_up = up;
                self.raise(Handle::Obj(ObjType::Dpni, i), 0, super::fw::DPNI_IRQ_LINK_CHANGED);
            }
        }
    }

    /// DPNI-specific commands. `None`: not one of them (the caller answers it).
    pub(super) fn dpni_cmd(&mut self, id: u32, n: u16, p: &Params, rsp: &mut Params) -> Option<R> {
        self.ensure_dpni(id);
        let r = self.dpni_cmd_inner(id, n, p, rsp);
        match r {
            Err(e) if e == 0xff => None,
            r => Some(r),
        }
    }

    fn dpni_cmd_inner(&mut self, id: u32, n: u16, p: &Params, rsp: &mut Params) -> R {
        let enabled = self.layout.obj(ObjType::Dpni, id).is_some_and(|o| o.enabled);
        let d = self.dpnis.get_mut(&id).ok_or(status::CONFIG_ERR)?;
        match n {
            n::SET_BUFFER_LAYOUT => {
                let qt = p.u8(0);
                if qt > QTYPE_RX_ERR {
                    return Err(status::CONFIG_ERR);
                }
                if enabled {
                    return Err(status::INVALID_STATE);
                }
                let opt = p.u16(4);
                let l = &mut d.layouts[qt as usize];
                let flags = p.u8(6);
                if opt & BL_OPT_TIMESTAMP != 0 {
                    l.pass = (l.pass & !1) | (flags & 1);
                }
                if opt & BL_OPT_PARSER_RESULT != 0 {
                    l.pass = (l.pass & !2) | (flags & 2);
                }
                if opt & BL_OPT_FRAME_STATUS != 0 {
                    l.pass = (l.pass & !4) | (flags & 4);
                }
                if opt & BL_OPT_PRIVATE_DATA_SIZE != 0 {
                    l.private_data_size = p.u16(8);
                }
                if opt & BL_OPT_DATA_ALIGN != 0 {
                    l.data_align = p.u16(10);
                }
                if opt & BL_OPT_DATA_HEAD_ROOM != 0 {
                    l.head_room = p.u16(12);
                }
                if opt & BL_OPT_DATA_TAIL_ROOM != 0 {
                    l.tail_room = p.u16(14);
                }
            }
            n::GET_BUFFER_LAYOUT => {
                let qt = p.u8(0);
                let l = *d.layouts.get(qt as usize).ok_or(status::CONFIG_ERR)?;
                rsp.set_u8(0, l.pass & 0x7);
                rsp.set_u16(8, l.private_data_size);
                rsp.set_u16(10, l.data_align);
                rsp.set_u16(12, l.head_room);
                rsp.set_u16(14, l.tail_room);
            }
            n::GET_TX_DATA_OFFSET => rsp.set_u16(0, TX_DATA_OFFSET),
            n::GET_QDID => {
                if p.u8(0) != QTYPE_TX {
                    return Err(status::CONFIG_ERR);
                }
                rsp.set_u16(0, d.qdid);
            }
            n::SET_POOLS => {
                let num = p.u8(0) as usize;
                if num == 0 || num > 8 {
                    return Err(status::CONFIG_ERR);
                }
                let pools: Vec<(u32, u16)> = (0..num).map(|i| (p.u32(4 + 4 * i), p.u16(36 + 2 * i))).collect();
                let dpni_cont = self.layout.obj(ObjType::Dpni, id).map(|o| o.container);
                for &(bp, size) in &pools {
                    let o = self.layout.obj(ObjType::Dpbp, bp).ok_or(status::CONFIG_ERR)?;
                    if Some(o.container) != dpni_cont || size == 0 {
                        return Err(status::CONFIG_ERR);
                    }
                }
                if let Some(d) = self.dpnis.get_mut(&id) {
                    d.pools = pools;
                }
            }
            n::SET_ERRORS_BEHAVIOR => {
                d.err_mask = p.u32(0);
                d.err_flags = p.u8(4);
            }
            n::GET_LINK_STATE => {
                rsp.set_u8(4, d.link_up as u8);
                rsp.set_u32(8, if d.link_up { d.link_rate } else { 0 });
                rsp.set_u64(16, d.link_options);
            }
            n::SET_LINK_CFG => {
                d.link_options = p.u64(16);
                if p.u32(8) != 0 {
                    d.link_rate = p.u32(8);
                }
            }
            n::GET_LINK_CFG => {
                rsp.set_u32(8, d.link_rate);
                rsp.set_u64(16, d.link_options);
            }
            n::SET_MAX_FRAME_LENGTH => {
                let v = p.u16(0);
                if !(64..=MAX_FRAME_LENGTH).contains(&v) {
                    return Err(status::CONFIG_ERR);
                }
                d.max_frame_length = v;
            }
            n::GET_MAX_FRAME_LENGTH => rsp.set_u16(0, d.max_frame_length),
            n::SET_MCAST_PROMISC => d.multicast_promisc = p.u8(0) & 1 != 0,
            n::GET_MCAST_PROMISC => rsp.set_u8(0, d.multicast_promisc as u8),
            n::SET_UNICAST_PROMISC => d.unicast_promisc = p.u8(0) & 1 != 0,
            n::GET_UNICAST_PROMISC => rsp.set_u8(0, d.unicast_promisc as u8),
            n::SET_PRIM_MAC => {
                let m = mac_from(p);
                if m[0] & 1 != 0 {
                    return Err(status::CONFIG_ERR); // a multicast address cannot be primary
                }
                d.primary_mac = m;
            }
            n::GET_PRIM_MAC => mac_to(rsp, &d.primary_mac),
            n::GET_PORT_MAC_ADDR => mac_to(rsp, &d.port_mac),
            n::ADD_MAC_ADDR => {
                let m = mac_from(p);
                if !d.mac_filters.contains(&m) {
                    if d.mac_filters.len() >= MAC_FILTER_ENTRIES {
                        return Err(status::NO_RESOURCE);
                    }
                    d.mac_filters.push(m);
                }
            }
            n::REMOVE_MAC_ADDR => {
                let m = mac_from(p);
                let before = d.mac_filters.len();
                d.mac_filters.retain(|x| *x != m);
                if d.mac_filters.len() == before {
                    return Err(status::CONFIG_ERR);
                }
            }
            n::CLR_MAC_FILTERS => {
                // byte 0: bit0 unicast, bit1 multicast.
                let f = p.u8(0);
                d.mac_filters.retain(|m| if m[0] & 1 != 0 { f & 2 == 0 } else { f & 1 == 0 });
            }
            n::ENABLE_VLAN_FILTER => d.vlan_filter = p.u8(0) & 1 != 0,
            n::ADD_VLAN_ID => {
                // Word 0: flags, tc_id, flow_id, pad, vlan_id at bytes 4-5 (dpni_cmd_vlan_id).
                let v = p.u16(4) & 0xfff;
                if !d.vlans.contains(&v) {
                    if d.vlans.len() >= VLAN_FILTER_ENTRIES {
                        return Err(status::NO_RESOURCE);
                    }
                    d.vlans.push(v);
                }
            }
            n::REMOVE_VLAN_ID => {
                let v = p.u16(4) & 0xfff;
                d.vlans.retain(|x| *x != v);
            }
            n::SET_TX_CONFIRMATION_MODE => {
                // enum dpni_confirmation_mode: 0 AFFINE, 1 SINGLE, 2 DISABLE.
                let m = p.u8(4);
                if m > TX_CONF_DISABLE {
                    return Err(status::CONFIG_ERR);
                }
                d.tx_conf_mode = m;
            }
            n::GET_TX_CONFIRMATION_MODE => rsp.set_u8(4, d.tx_conf_mode),
            n::SET_CONGESTION_NOTIFICATION => {
                // Accepted for a valid queue type and traffic class. The model's queues never
                // build a backlog past a threshold (frames move at each pump), so no
                // congestion state change message is ever written to message_iova.
                if p.u8(0) > QTYPE_RX_ERR || p.u8(1) >= d.num_tcs.max(1) {
                    return Err(status::CONFIG_ERR);
                }
            }
            n::SET_OFFLOAD => {
                let t = p.u8(3) as usize;
                *d.offloads.get_mut(t).ok_or(status::CONFIG_ERR)? = p.u32(4);
            }
            n::GET_OFFLOAD => {
                let t = p.u8(3) as usize;
                rsp.set_u32(4, *d.offloads.get(t).ok_or(status::CONFIG_ERR)?);
            }
            n::GET_STATISTICS => {
                // Frames move synchronously at each pump: nothing is pending in egress FQs.
                let v = d.stats.page(p.u8(0), 0).ok_or(status::CONFIG_ERR)?;
                for (i, c) in v.iter().enumerate() {
                    rsp.set_u64(8 * i, *c);
                }
            }
            n::SET_TAILDROP => {
                // Accepted, not modelled (no congestion): validate the queue named.
                let (cp, qt, tc, ix) = (p.u8(0), p.u8(1), p.u8(2), p.u8(3));
                if cp > 1 || (cp == 0 && d.queue_mut(qt, tc, ix).is_none()) {
                    return Err(status::CONFIG_ERR);
                }
            }
            n::GET_TAILDROP => {
                let (cp, qt, tc, ix) = (p.u8(0), p.u8(1), p.u8(2), p.u8(3));
                if cp > 1 || (cp == 0 && d.queue_mut(qt, tc, ix).is_none()) {
                    return Err(status::CONFIG_ERR);
                }
            }
            n::GET_QUEUE => {
                let q = *d.queue_mut(p.u8(0), p.u8(1), p.u8(2)).ok_or(status::CONFIG_ERR)?;
                rsp.set_u32(8, q.dest_id);
                rsp.set_u8(14, q.dest_prio);
                rsp.set_u8(15, q.flags);
                rsp.set_u64(16, q.flc);
                rsp.set_u64(24, q.user_ctx);
                rsp.set_u32(32, q.fqid);
                rsp.set_u16(36, q.qdbin);
            }
            n::SET_QUEUE => return self.dpni_set_queue(id, p),
            _ => return Err(0xff),
        }
        Ok(())
    }

    fn dpni_set_queue(&mut self, id: u32, p: &Params) -> R {
        let (qt, tc, ix, opt) = (p.u8(0), p.u8(1), p.u8(2), p.u8(3));
        let flags = p.u8(15);
        let (dest_type, dest_id, dest_prio) = (flags & 0xf, p.u32(8), p.u8(14));
        if opt & QUEUE_OPT_DEST != 0 {
            match dest_type {
                DEST_NONE => {}
                DEST_DPCON => {
                    let Some(o) = self.layout.obj(ObjType::Dpcon, dest_id) else { return Err(status::CONFIG_ERR) };
                    if dest_prio >= o.attrs.num_priorities.max(1) {
                        return Err(status::CONFIG_ERR);
                    }
                }
                DEST_DPIO => {
                    self.layout.obj(ObjType::Dpio, dest_id).ok_or(status::CONFIG_ERR)?;
                }
                _ => return Err(status::CONFIG_ERR),
            }
        }
        let d = self.dpnis.get_mut(&id).ok_or(status::CONFIG_ERR)?;
        let nq = d.num_queues.max(1) as u16;
        let q = d.queue_mut(qt, tc, ix).ok_or(status::CONFIG_ERR)?;
        if opt & QUEUE_OPT_DEST != 0 {
            q.dest_type = dest_type;
            q.dest_id = dest_id;
            q.dest_prio = dest_prio;
            q.flags = (q.flags & 0xf0) | dest_type;
        }
        if opt & QUEUE_OPT_USER_CTX != 0 {
            q.user_ctx = p.u64(24);
        }
        if opt & QUEUE_OPT_FLC != 0 {
            q.flc = p.u64(16);
            q.flags = (q.flags & !0x40) | (flags & 0x40);
        }
        if opt & QUEUE_OPT_HOLD_ACTIVE != 0 {
            q.flags = (q.flags & !0x80) | (flags & 0x80);
        }
        let q = *q;
        let flow = if qt == QTYPE_TX { (tc as u16 * nq + ix as u16) % nq } else { ix as u16 };
        let d = self.dpnis.get(&id).ok_or(status::CONFIG_ERR)?;
        let chan = |c: u32| self.dpcon_channel(c);
        let cfg = d.fq_config(qt, &q, flow, &chan);
        self.qb_ops.push(QbOp::Fq(q.fqid, cfg));
        Ok(())
    }

    /// Data-path state for a DPNI created after the MC came up (DPRC object creation):
    /// its FQIDs follow the highest one in use.
    fn ensure_dpni(&mut self, id: u32) {
        if self.dpnis.contains_key(&id) {
            return;
        }
        let Some(o) = self.layout.obj(ObjType::Dpni, id) else { return };
        let (nq, nt, mac) = (o.attrs.num_queues, o.attrs.num_tcs, o.attrs.mac);
        let mut next = self.dpnis.values().flat_map(|d| d.all_queues()).map(|(_, _, q)| q.fqid.wrapping_add(1)).max().unwrap_or(FQID_BASE);
        let qdid = self.dpnis.values().map(|d| d.qdid).max().unwrap_or(0).wrapping_add(1);
        let d = Dpni::new(id, nq, nt, mac, &mut next, qdid, super::fw::LINK_RATE_MBPS);
        self.dpnis.insert(id, d);
        self.sync_dpni_fqs(id);
    }

    /// DPNI_RESET: state back to defaults, FQs unscheduled.
    pub(super) fn dpni_reset(&mut self, id: u32) {
        self.ensure_dpni(id);
        if let Some(d) = self.dpnis.get_mut(&id) {
            d.reset();
        }
        self.sync_dpni_fqs(id);
        self.update_links(id);
    }

    /// DPCON_SET_NOTIFICATION: CDANs of the DPCON's channel go to the DPIO's portal.
    pub(super) fn dpcon_notify(&mut self, dpcon: u32, dpio: u32) -> R {
        let ch = self.dpcon_channel(dpcon).ok_or(status::CONFIG_ERR)?;
        let portal = self.layout.obj(ObjType::Dpio, dpio).ok_or(status::CONFIG_ERR)?.attrs.hw_index;
        self.qb_ops.push(QbOp::Notify { channel: ch, portal });
        Ok(())
    }

    /// Frames offered to DPNI `dpni` from outside the MC (tests, host backends): received
    /// at the next pump.
    pub fn inject_rx(&mut self, dpni: u32, frame: Vec<u8>) {
        self.rx_pending.push_back((dpni, frame));
    }

    /// [`Mc::pump_with`] on the MC's own QBMan engine; the machine calls it after every
    /// MC or QBMan portal access (and at quantum boundaries), with guest memory as each
    /// ICID sees it through the SMMU.
    pub fn pump(&mut self, dma: &mut dyn IcidDma) {
        self.pump_net(dma, &mut [], false);
    }

    /// [`Mc::pump`] with host network backends (`--net ENDPOINT=SPEC`, endpoint
    /// "dpmac.N" or "dpni.N"): frames a DPNI transmits towards a backend's endpoint (the
    /// DPNI itself, or the DPMAC it is connected to) are sent to it; with `poll_host`
    /// (the machine sets it at quantum boundaries only, so that guest-visible arrival
    /// points are fixed) each backend's waiting frames, in backend order, are received by
    /// the DPNI behind its endpoint.
    pub fn pump_net(&mut self, dma: &mut dyn IcidDma, nets: &mut [crate::net::Attached], poll_host: bool) {
        if poll_host {
            for (ep, b) in nets.iter_mut() {
                let Some(dpni) = self.endpoint_dpni(ep) else { continue };
                for _ in 0..MAX_HOST_FRAMES_PER_POLL {
                    let Some(f) = b.recv() else { break };
                    self.rx_pending.push_back((dpni, f));
                }
            }
        }
        let mut qb = std::mem::take(&mut self.qbman);
        self.pump_with(&mut qb, dma);
        self.qbman = qb;
        for (id, frame) in std::mem::take(&mut self.host_tx) {
            let names = self.dpni_endpoint_names(id);
            if let Some((_, b)) = nets.iter_mut().find(|(ep, _)| names.contains(ep)) {
                b.send(&frame);
            }
        }
    }

    /// The DPNI behind a backend endpoint: "dpni.N" itself, or the DPNI connected to
    /// "dpmac.N".
    fn endpoint_dpni(&self, ep: &str) -> Option<u32> {
        let (ty, id) = crate::net::endpoint_object(ep).ok()?;
        match ty {
            ObjType::Dpni => self.dpnis.contains_key(&id).then_some(id),
            ObjType::Dpmac => match self.layout.peer(Endpoint { ty, id, if_id: 0 }) {
                Some(p) if p.ty == ObjType::Dpni => Some(p.id),
                _ => None,
            },
            _ => None,
        }
    }

    /// The endpoint names under which DPNI `id`'s frames leave the machine.
    fn dpni_endpoint_names(&self, id: u32) -> Vec<String> {
        let mut v = vec![format!("dpni.{id}")];
        if let Some(p) = self.layout.peer(Endpoint { ty: ObjType::Dpni, id, if_id: 0 }) {
            if p.ty == ObjType::Dpmac {
                v.push(format!("dpmac.{}", p.id));
            }
        }
        v
    }

    /// Runs the data path until quiet: applies queued QBMan configuration, turns portal
    /// interrupts into the DPIOs' MSIs, transmits the frames software enqueued to DPNI Tx
    /// FQs (DMA with the DPNI container's ICID) with their Tx confirmations, and receives
    /// pending frames. Order: configuration, Tx in enqueue order (each delivered frame
    /// queued for Rx behind earlier ones), Rx FIFO, then portal interrupts.
    pub fn pump_with(&mut self, qb: &mut dyn DataPlane, dma: &mut dyn IcidDma) {
        for _round in 0..64 {
            for op in std::mem::take(&mut self.qb_ops) {
                match op {
                    QbOp::Fq(fqid, cfg) => qb.fq_configure(fqid, cfg),
                    QbOp::Notify { channel, portal } => qb.channel_set_notify_portal(channel, portal),
                    QbOp::PortalIcid { portal, icid } => qb.set_portal_icid(portal, icid),
                    QbOp::PortalReset(portal) => qb.portal_reset(portal),
                    QbOp::Qd { qdid, fqids } => qb.qd_configure(qdid, &fqids),
                }
            }
            let tx = qb.take_hw_frames();
            let idle = tx.is_empty() && self.rx_pending.is_empty();
            for (_fqid, tag, fd) in tx {
                self.transmit(qb, dma, tag, fd);
            }
            while let Some((id, frame)) = self.rx_pending.pop_front() {
                self.receive(qb, dma, id, &frame);
            }
            for portal in qb.take_irqs() {
                self.portal_irq(portal);
            }
            if idle && self.qb_ops.is_empty() {
                break;
            }
        }
    }

    fn portal_irq(&mut self, portal: u32) {
        // The DPIO owning the software portal raises its IRQ 0 MSI (as programmed with
        // DPRC_SET_OBJ_IRQ; Linux does not use DPIO IRQ enable/mask commands).
        let Some(o) = self.layout.objects.iter().find(|o| o.ty == ObjType::Dpio && o.attrs.hw_index == portal) else { return };
        let Some(irq) = o.irqs.first() else { return };
        if !irq.configured {
            return;
        }
        let Some(icid) = self.layout.container(o.container).map(|c| c.icid) else { return };
        self.msis.push(MsiWrite { icid, addr: irq.addr, data: irq.data });
    }

    fn transmit(&mut self, qb: &mut dyn DataPlane, dma: &mut dyn IcidDma, tag: u64, mut fd: Fd) {
        let id = tag_dpni(tag);
        let flow = tag_flow(tag);
        let Some(icid) = self.obj_icid(ObjType::Dpni, id) else { return };
        let up = self.dpni_link(id);
        let mut frame = read_frame(dma, icid, &fd);
        let Some(d) = self.dpnis.get_mut(&id) else { return };
        if let Ok(f) = frame.as_mut() {
            // SET_OFFLOAD types 2 (TX_L3_CSUM) and 3 (TX_L4_CSUM).
            let (l3, l4) = (d.offloads[2] != 0, d.offloads[3] != 0);
            if l3 || l4 {
                tx_checksum(f, l3, l4);
            }
        }
        match frame {
            Ok(f) if up && f.len() <= d.max_frame_length as usize && f.len() >= 14 => {
                tracing::trace!(target: "fslmc", "dpni.{id}: Tx {} bytes, type {:02x?}, format {}", f.len(), &f[12..14], fd_format(&fd));
                d.stats.tx_frames += 1;
                d.stats.tx_bytes += f.len() as u64;
                if f[..6] == [0xff; 6] {
                    d.stats.tx_bcast_frames += 1;
                    d.stats.tx_bcast_bytes += f.len() as u64;
                } else if f[0] & 1 != 0 {
                    d.stats.tx_mcast_frames += 1;
                    d.stats.tx_mcast_bytes += f.len() as u64;
                }
                match self.layout.peer(Endpoint { ty: ObjType::Dpni, id, if_id: 0 }) {
                    // Back to back: the peer DPNI receives it.
                    Some(p) if p.ty == ObjType::Dpni => self.rx_pending.push_back((p.id, f)),
                    // Through a DPMAC, or unconnected: a host backend may take it.
                    _ => self.host_tx.push((id, f)),
                }
            }
            Ok(f) => {
                tracing::debug!(target: "fslmc", "dpni.{id}: Tx frame of {} bytes discarded (link up {up}, max {})", f.len(), d.max_frame_length);
                d.stats.tx_discarded += 1
            }
            Err(why) => {
                tracing::warn!(target: "fslmc", "dpni.{id}: Tx frame dropped: {why}");
                d.stats.tx_discarded += 1;
                let c = fd_ctrl(&fd);
                fd_set_ctrl(&mut fd, c | FD_CTRL_FAERR);
            }
        }
        // Tx confirmation: the FD back to software, on the flow's Tx-conf FQ — unless
        // confirmations are disabled (DPDK's default): then the hardware releases the
        // frame's buffers to their pools (dpni.h DPNI_CONF_DISABLE).
        let Some(d) = self.dpnis.get_mut(&id) else { return };
        if d.tx_conf_mode == TX_CONF_DISABLE {
            release_frame_buffers(qb, dma, icid, &fd);
            return;
        }
        if let Some(q) = d.tx_conf.get(flow as usize) {
            if qb.enqueue(q.fqid, &fd) {
                d.stats.tx_confirmed += 1;
            }
        }
    }

    fn receive(&mut self, qb: &mut dyn DataPlane, dma: &mut dyn IcidDma, id: u32, frame: &[u8]) {
        let up = self.dpni_link(id);
        let Some(icid) = self.obj_icid(ObjType::Dpni, id) else { return };
        let bpid = |mc: &Mc, dpbp: u32| mc.layout.obj(ObjType::Dpbp, dpbp).map(|o| o.attrs.hw_index as u16);
        let Some(d) = self.dpnis.get(&id) else { return };
        let pool = d.pools.first().copied();
        let rxq = d.rx.first().copied();
        let accepts = d.accepts(frame.get(..6).unwrap_or(&[]));
        let max = d.max_frame_length as usize;
        let offset = d.rx_data_offset();
        let pool_bpid = pool.and_then(|(bp, size)| bpid(self, bp).map(|b| (b, size)));
        let Some(d) = self.dpnis.get_mut(&id) else { return };
        if !up || frame.len() < 14 || frame.len() > max {
            tracing::debug!(target: "fslmc", "dpni.{id}: Rx frame of {} bytes discarded (link up {up}, max {max})", frame.len());
            d.stats.rx_discarded += 1;
            return;
        }
        if !accepts {
            tracing::debug!(target: "fslmc", "dpni.{id}: Rx frame filtered (destination {:02x?})", frame.get(..6));
            d.stats.rx_filtered += 1;
            return;
        }
        let (Some((bpid, size)), Some(rxq)) = (pool_bpid, rxq) else {
            tracing::debug!(target: "fslmc", "dpni.{id}: Rx frame dropped: no pool configured");
            d.stats.rx_nobuffer += 1;
            return;
        };
        if offset as usize + frame.len() > size as usize {
            tracing::debug!(target: "fslmc", "dpni.{id}: Rx frame of {} bytes does not fit a {size}-byte buffer at offset {offset}", frame.len());
            d.stats.rx_discarded += 1;
            return;
        }
        let Some(buf) = qb.bp_acquire(bpid) else {
            tracing::debug!(target: "fslmc", "dpni.{id}: Rx frame dropped: buffer pool {bpid} empty");
            d.stats.rx_nobuffer += 1;
            return;
        };
        if dma.write(icid, buf.wrapping_add(offset as u64), frame).is_err() {
            tracing::warn!(target: "fslmc", "dpni.{id}: Rx buffer {buf:#x} not writable; frame dropped");
            qb.bp_release(bpid, buf);
            d.stats.rx_discarded += 1;
            return;
        }
        let fd = fd_single(buf, offset, frame.len() as u32, bpid);
        if !qb.enqueue(rxq.fqid, &fd) {
            tracing::debug!(target: "fslmc", "dpni.{id}: Rx enqueue to FQ {:#x} refused", rxq.fqid);
            qb.bp_release(bpid, buf);
            d.stats.rx_discarded += 1;
            return;
        }
        d.stats.rx_frames += 1;
        d.stats.rx_bytes += frame.len() as u64;
        if frame[..6] == [0xff; 6] {
            d.stats.rx_bcast_frames += 1;
            d.stats.rx_bcast_bytes += frame.len() as u64;
        } else if frame[0] & 1 != 0 {
            d.stats.rx_mcast_frames += 1;
            d.stats.rx_mcast_bytes += frame.len() as u64;
        }
    }
}

/// DPNI_CONF_DISABLE (enum dpni_confirmation_mode).
pub const TX_CONF_DISABLE: u8 = 2;

/// Releases the buffers of a transmitted frame to their buffer pools, as the hardware
/// does when Tx confirmation is disabled: the FD's buffer (single) or the S/G table's
/// buffers and the table itself (S/G). A buffer whose BPID word has IVP (bit 14: invalid
/// pool) set is not released.
fn release_frame_buffers(qb: &mut dyn DataPlane, dma: &mut dyn IcidDma, icid: u16, fd: &Fd) {
    let bp_word = u16::from_le_bytes([fd[12], fd[13]]);
    let release = |qb: &mut dyn DataPlane, w: u16, addr: u64| {
        if w & 0x4000 == 0 {
            qb.bp_release(w & 0x3fff, addr);
        }
    };
    if fd_format(fd) == 2 {
        let base = fd_addr(fd).wrapping_add(fd_offset(fd) as u64);
        for i in 0..64u64 {
            let mut e = [0u8; 16];
            if dma.read(icid, base.wrapping_add(16 * i), &mut e).is_err() {
                break;
            }
            let addr = u64::from_le_bytes(e[0..8].try_into().unwrap_or([0; 8]));
            release(qb, u16::from_le_bytes([e[12], e[13]]), addr);
            if e[15] & 0x80 != 0 {
                break;
            }
        }
    }
    release(qb, bp_word, fd_addr(fd));
}
