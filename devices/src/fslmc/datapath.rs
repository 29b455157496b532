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
    /// DPNI_CMDID_RESET_STATISTICS (DPDK 22.11 fsl_dpni_cmd.h; no parameters).
    pub const RESET_STATISTICS: u16 = 0x25E;
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
    /// Rx distribution (dpni-cmd.h): the legacy per-TC command (DPNI < 7.5), flow
    /// steering entries, and the hash / flow-steering distribution of DPNI ≥ 7.5.
    pub const SET_RX_TC_DIST: u16 = 0x235;
    pub const ADD_FS_ENT: u16 = 0x244;
    pub const REMOVE_FS_ENT: u16 = 0x245;
    pub const CLR_FS_ENT: u16 = 0x246;
    pub const SET_RX_FS_DIST: u16 = 0x273;
    pub const SET_RX_HASH_DIST: u16 = 0x274;
}

/// Not an MC status: the command waits for DMA reads (`Mc::dma_req`), done at the next
/// pump, which runs it again with their results (`Mc::dma_in`).
pub(super) const PENDING_DMA: u8 = 0xfe;

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
        if let Some(r) = self.dpni_dist_cmd(id, n, p) {
            return Some(r);
        }
        let r = self.dpni_cmd_inner(id, n, p, rsp);
        match r {
            Err(e) if e == 0xff => None,
            r => Some(r),
        }
    }

    /// Warns once per DPNI about `what` (a guest error answered with an MC status).
    fn dpni_warn(&mut self, id: u32, what: String) {
        if let Some(d) = self.dpnis.get_mut(&id) {
            if d.warned.insert(what.clone()) {
                tracing::warn!(target: "fslmc", "dpni.{id}: {what}");
            }
        }
    }

    /// The results of the DMA reads `reads` (address, length) the current command
    /// needs: from `dma_in` when the pump re-runs it, otherwise they are requested
    /// (`dma_req`, with the DPNI container's ICID) and the command is left pending.
    fn dpni_dma(&mut self, id: u32, reads: Vec<(u64, usize)>) -> Result<Vec<Option<Vec<u8>>>, u8> {
        if let Some(r) = self.dma_in.take() {
            if r.len() == reads.len() {
                return Ok(r);
            }
        }
        let icid = self.obj_icid(ObjType::Dpni, id).ok_or(status::CONFIG_ERR)?;
        self.dma_req = Some(DmaReq { icid, reads });
        Err(PENDING_DMA)
    }

    /// Reads and checks a key-generation profile at `iova` (256 bytes, the layout of
    /// `dpni_prepare_key_cfg`): DMA_ERR when unreadable, CONFIG_ERR when refused, each
    /// warned about once.
    fn dpni_profile(&mut self, id: u32, what: &str, iova: u64) -> Result<super::keygen::Profile, u8> {
        let r = self.dpni_dma(id, vec![(iova, super::keygen::PROFILE_BYTES)])?;
        let Some(Some(b)) = r.into_iter().next() else {
            self.dpni_warn(id, format!("{what}: key configuration at IOVA {iova:#x} is not readable (DMA_ERR)"));
            return Err(status::DMA_ERR);
        };
        super::keygen::Profile::parse(&b).map_err(|e| {
            self.dpni_warn(id, format!("{what}: key configuration refused (CONFIG_ERR): {}", e.0));
            status::CONFIG_ERR
        })
    }

    /// The Rx distribution commands; `None` for other commands.
    fn dpni_dist_cmd(&mut self, id: u32, n: u16, p: &Params) -> Option<R> {
        if !matches!(n, n::SET_RX_TC_DIST | n::SET_RX_HASH_DIST | n::SET_RX_FS_DIST | n::ADD_FS_ENT | n::REMOVE_FS_ENT | n::CLR_FS_ENT) {
            return None;
        }
        Some(self.dpni_dist_cmd_inner(id, n, p))
    }

    fn dpni_dist_cmd_inner(&mut self, id: u32, n: u16, p: &Params) -> R {
        let (nq, nt) = {
            let d = self.dpnis.get(&id).ok_or(status::CONFIG_ERR)?;
            (d.num_queues.max(1) as u16, d.num_tcs.max(1))
        };
        let size_ok = |size: u16| (1..=nq).contains(&size);
        match n {
            n::SET_RX_HASH_DIST | n::SET_RX_FS_DIST => {
                // dpni_cmd_set_rx_hash_dist / _fs_dist: dist_size 0-1, enable bit 0 of
                // byte 2, tc 3, (FS) miss_flow_id 4-5, key_cfg_iova 8-15.
                let (size, enable, tc, iova) = (p.u16(0), p.u8(2) & 1 != 0, p.u8(3), p.u64(8));
                if tc >= nt {
                    return Err(status::CONFIG_ERR);
                }
                let hash = n == n::SET_RX_HASH_DIST;
                let miss = p.u16(4);
                if enable && (!size_ok(size) || (!hash && miss != FS_MISS_DROP && miss >= size)) {
                    return Err(status::CONFIG_ERR);
                }
                let prof = if enable { Some(self.dpni_profile(id, if hash { "SET_RX_HASH_DIST" } else { "SET_RX_FS_DIST" }, iova)?) } else { None };
                let d = self.dpnis.get_mut(&id).ok_or(status::CONFIG_ERR)?;
                let t = d.dist.get_mut(tc as usize).ok_or(status::CONFIG_ERR)?;
                if hash {
                    t.hash = prof.map(|profile| HashDist { size, profile });
                } else {
                    t.fs = prof.map(|profile| FsDist { size, profile, miss_flow: miss });
                }
            }
            n::SET_RX_TC_DIST => {
                // dpni_cmd_set_rx_tc_dist: dist_size 0-1, tc 2, byte 3 dist_mode (bits
                // 3:0: 0 none, 1 hash, 2 FS) and miss_action (7:4: 0 drop, 1 explicit
                // flow, 2 hash), default_flow_id 6-7, key_cfg_iova in word 6.
                let (size, tc, mode, miss_action, dflt, iova) = (p.u16(0), p.u8(2), p.u8(3) & 0xf, p.u8(3) >> 4, p.u16(6), p.u64(48));
                if tc >= nt || mode > 2 || miss_action > 2 || (mode != 0 && !size_ok(size)) || (mode == 2 && miss_action == 1 && dflt >= size) {
                    return Err(status::CONFIG_ERR);
                }
                let prof = if mode != 0 { Some(self.dpni_profile(id, "SET_RX_TC_DIST", iova)?) } else { None };
                let d = self.dpnis.get_mut(&id).ok_or(status::CONFIG_ERR)?;
                let t = d.dist.get_mut(tc as usize).ok_or(status::CONFIG_ERR)?;
                t.hash = None;
                t.fs = None;
                if let Some(profile) = prof {
                    if mode == 1 || miss_action == 2 {
                        t.hash = Some(HashDist { size, profile: profile.clone() });
                    }
                    if mode == 2 {
                        let miss_flow = if miss_action == 1 { dflt } else { FS_MISS_DROP };
                        t.fs = Some(FsDist { size, profile, miss_flow });
                    }
                }
            }
            n::ADD_FS_ENT | n::REMOVE_FS_ENT => {
                // dpni_cmd_add_fs_entry: options 0-1 (bit 0 DISCARD), tc 2, key_size 3,
                // index 4-5 (ignored: exact match), flow_id 6-7, key_iova 8-15, mask_iova
                // 16-23 (0: no mask), flc 24-31; remove: tc 2, key_size 3, key/mask IOVAs.
                let add = n == n::ADD_FS_ENT;
                let (tc, ksize, key_iova, mask_iova) = (p.u8(2), p.u8(3) as usize, p.u64(8), p.u64(16));
                let (discard, flow) = (add && p.u16(0) & 1 != 0, p.u16(6));
                let fs_size = {
                    let d = self.dpnis.get(&id).ok_or(status::CONFIG_ERR)?;
                    let t = d.dist.get(tc as usize).ok_or(status::CONFIG_ERR)?;
                    t.fs.as_ref().map(|f| f.size)
                };
                let Some(fs_size) = fs_size else {
                    self.dpni_warn(id, format!("flow steering entry for TC {tc} without SET_RX_FS_DIST (CONFIG_ERR)"));
                    return Err(status::CONFIG_ERR);
                };
                if ksize == 0 || ksize > super::keygen::MAX_KEY_SIZE || (add && !discard && flow >= fs_size) {
                    return Err(status::CONFIG_ERR);
                }
                let mut reads = vec![(key_iova, ksize)];
                if mask_iova != 0 {
                    reads.push((mask_iova, ksize));
                }
                let r = self.dpni_dma(id, reads)?;
                let mut it = r.into_iter();
                let key = it.next().flatten();
                let mask = if mask_iova != 0 { it.next().flatten() } else { Some(vec![0xff; ksize]) };
                let (Some(key), Some(mask)) = (key, mask) else {
                    self.dpni_warn(id, format!("flow steering entry: key/mask at IOVA {key_iova:#x}/{mask_iova:#x} not readable (DMA_ERR)"));
                    return Err(status::DMA_ERR);
                };
                let d = self.dpnis.get_mut(&id).ok_or(status::CONFIG_ERR)?;
                let t = d.dist.get_mut(tc as usize).ok_or(status::CONFIG_ERR)?;
                let pos = t.entries.iter().position(|e| e.key == key && e.mask == mask);
                if add {
                    let e = FsEntry { key, mask, flow, discard };
                    match pos {
                        Some(i) => t.entries[i] = e,
                        None if t.entries.len() >= FS_ENTRIES => return Err(status::NO_RESOURCE),
                        None => t.entries.push(e),
                    }
                } else {
                    t.entries.remove(pos.ok_or(status::CONFIG_ERR)?);
                }
            }
            _ => {
                // CLR_FS_ENT: tc 2.
                let d = self.dpnis.get_mut(&id).ok_or(status::CONFIG_ERR)?;
                d.dist.get_mut(p.u8(2) as usize).ok_or(status::CONFIG_ERR)?.entries.clear();
            }
        }
        Ok(())
    }

    /// Runs commands waiting for DMA reads: does the reads through `dma` and executes
    /// each command again on its portal with their results.
    fn run_dma_commands(&mut self, dma: &mut dyn IcidDma) {
        for (portal, req) in std::mem::take(&mut self.dma_wait) {
            self.dma_in = Some(do_reads(dma, &req));
            self.run_portal(portal);
            self.dma_in = None;
            self.dma_req = None;
        }
    }

    /// [`Mc::command`] for commands that read guest memory (tests): the DMA reads go
    /// through `dma` and the command completes at once.
    pub fn command_with_dma(&mut self, portal: u32, header: u64, params: [u64; 7], dma: &mut dyn IcidDma) -> (u64, [u64; 7]) {
        let r = self.command(portal, header, params);
        let Some(req) = self.dma_req.take() else { return r };
        self.dma_in = Some(do_reads(dma, &req));
        let r = self.command(portal, header, params);
        self.dma_in = None;
        self.dma_req = None;
        r
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
            n::RESET_STATISTICS => d.stats = Stats::default(),
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

    /// [`Mc::pump_net`] without host backends to poll would do nothing (and [`Mc::take_msis`]
    /// return nothing): no waiting DMA command, QBMan operation, Rx or Tx frame, MSI, and
    /// QBMan itself [`idle`](crate::qbman::Qbman::idle). O(1), for the per-turn poll.
    pub fn net_idle(&self) -> bool {
        self.dma_wait.is_empty()
            && self.qb_ops.is_empty()
            && self.rx_pending.is_empty()
            && self.host_tx.is_empty()
            && self.msis.is_empty()
            && self.qbman.idle()
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
        self.run_dma_commands(dma);
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

    /// Rx of `frame` by DPNI `id`: link, length and MAC filter checks; the parser's
    /// checksum validation (SET_OFFLOAD RX_L3/L4_CSUM) and the errors behaviour
    /// (SET_ERRORS_BEHAVIOR: frames with an L3/L4 checksum error in the error mask are
    /// discarded, continue, or go to the Rx error FQ); the Rx queue from flow steering /
    /// the hash distribution; then a buffer from the pool, the hardware annotation the Rx
    /// buffer layout asks for (frame status, parse results) at the private data size,
    /// the frame at the Rx data offset, and a single FD (FRC FASV when the frame status
    /// is passed) enqueued to the queue.
    fn receive(&mut self, qb: &mut dyn DataPlane, dma: &mut dyn IcidDma, id: u32, frame: &[u8]) {
        let up = self.dpni_link(id);
        let Some(icid) = self.obj_icid(ObjType::Dpni, id) else { return };
        let bpid = |mc: &Mc, dpbp: u32| mc.layout.obj(ObjType::Dpbp, dpbp).map(|o| o.attrs.hw_index as u16);
        let Some(d) = self.dpnis.get(&id) else { return };
        let pool = d.pools.first().copied();
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
        let parsed = super::keygen::parse(frame);
        // VLAN filtering (ENABLE_VLAN_FILTER, ADD/REMOVE_VLAN_ID): a tagged frame passes only
        // when the VID of its outer tag is in the table; untagged frames always pass.
        if d.vlan_filter {
            if let Some(v) = parsed.vlan_first {
                let tci = frame.get(v + 2..v + 4).map_or(0, |t| u16::from_be_bytes([t[0], t[1]]));
                let vid = tci & 0xfff;
                if !d.vlans.contains(&vid) {
                    tracing::debug!(target: "fslmc", "dpni.{id}: Rx frame with VLAN {vid} filtered");
                    d.stats.rx_filtered += 1;
                    return;
                }
            }
        }
        let fas = super::keygen::rx_status(frame, &parsed, d.offloads[0] != 0, d.offloads[1] != 0);
        let errors = fas & d.err_mask & (super::keygen::fas::L3CE | super::keygen::fas::L4CE);
        let to_err_queue = errors != 0 && d.err_flags & 0xf == ERR_ACTION_ERROR_QUEUE;
        if errors != 0 && d.err_flags & 0xf != ERR_ACTION_CONTINUE && !to_err_queue {
            tracing::debug!(target: "fslmc", "dpni.{id}: Rx frame with checksum errors {errors:#x} discarded");
            d.stats.rx_discarded += 1;
            return;
        }
        let pr = super::keygen::parse_results(frame, &parsed);
        let rxq = if to_err_queue {
            Some(d.rx_err)
        } else {
            match d.rx_pick(frame, &parsed, &pr) {
                RxPick::Flow(f) => d.rx.get(f as usize).copied(),
                RxPick::Drop => {
                    tracing::debug!(target: "fslmc", "dpni.{id}: Rx frame dropped by flow steering");
                    d.stats.rx_discarded += 1;
                    return;
                }
            }
        };
        let annotation = d.rx_annotation(fas, &pr);
        let hwa_at = d.layouts[QTYPE_RX as usize].private_data_size as u64;
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
        let written = dma.write(icid, buf.wrapping_add(offset as u64), frame).is_ok()
            && annotation.as_ref().is_none_or(|a| dma.write(icid, buf.wrapping_add(hwa_at), a).is_ok());
        if !written {
            tracing::warn!(target: "fslmc", "dpni.{id}: Rx buffer {buf:#x} not writable; frame dropped");
            qb.bp_release(bpid, buf);
            d.stats.rx_discarded += 1;
            return;
        }
        let mut fd = fd_single(buf, offset, frame.len() as u32, bpid);
        if d.layouts[QTYPE_RX as usize].pass & 0x4 != 0 {
            fd_set_frc(&mut fd, FD_FRC_FASV);
        }
        if !qb.enqueue(rxq.fqid, &fd) {
            tracing::debug!(target: "fslmc", "dpni.{id}: Rx enqueue to FQ {:#x} refused", rxq.fqid);
            qb.bp_release(bpid, buf);
            d.stats.rx_discarded += 1;
            return;
        }
        if to_err_queue {
            // Counted as discarded ingress frames, not as received ones.
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

/// SET_ERRORS_BEHAVIOR actions (enum dpni_error_action): 0 discard, 1 continue, 2 send
/// to the error queue.
pub const ERR_ACTION_CONTINUE: u8 = 1;
pub const ERR_ACTION_ERROR_QUEUE: u8 = 2;

/// DPNI_CONF_DISABLE (enum dpni_confirmation_mode).
pub const TX_CONF_DISABLE: u8 = 2;

/// The reads of `req`, each `None` when the SMMU or memory refused it.
fn do_reads(dma: &mut dyn IcidDma, req: &DmaReq) -> Vec<Option<Vec<u8>>> {
    req.reads
        .iter()
        .map(|&(a, len)| {
            let mut b = vec![0u8; len];
            dma.read(req.icid, a, &mut b).ok().map(|_| b)
        })
        .collect()
}

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
