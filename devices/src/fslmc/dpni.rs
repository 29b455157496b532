//! The DPNI data path of the MC model: per-DPNI state the firmware commands configure
//! (buffer layouts, pools, queues with their frame queue ids, MAC filtering, link,
//! statistics; dpni-cmd.h layouts, ls2088a-reference.md §4.8) and the frame model that
//! moves frames between DPNIs and the QBMan engine (§5.5, §5.6):
//!
//! - **Tx**: software enqueues FDs to a DPNI's Tx FQs, which the QBMan engine hands over
//!   as "hardware" frames ([`DataPlane::take_hw_frames`], tag = [`tx_tag`]). The frame is
//!   read through the DMA space of the DPNI's container ICID (single-buffer FD or a
//!   scatter-gather table), delivered to the DPNI's endpoint (a connected DPNI receives
//!   it; otherwise it is counted and dropped), then the unchanged FD is enqueued to the
//!   Tx-confirmation FQ of the same flow (FD CTRL FAERR when the frame could not be read).
//! - **Rx**: a buffer is acquired from the pool of the DPNI's first DPBP, the frame is
//!   written at the Rx data offset the Rx buffer layout gives, and a single-buffer FD is
//!   enqueued to Rx FQ (tc 0, flow 0).
//!
//! The QBMan engine is reached only through [`DataPlane`] (the contract API of
//! devices/src/qbman, implemented by [`crate::qbman::Qbman`]) so that the model can also
//! be driven by a stand-in in unit tests.
//! Configuration the firmware commands produce (FQ destinations, channel notification
//! targets, portal ICIDs) is queued as [`QbOp`]s and applied at the next pump, which the
//! machine runs after every MC or QBMan portal access: frames move only at those points,
//! in FIFO order, so runs are deterministic.

use crate::dma::DmaError;
use std::collections::VecDeque;

pub use crate::qbman::{Fd, FqConfig, FqDest};

/// The QBMan operations the MC uses (the devices/src/qbman contract API).
pub trait DataPlane {
    fn fq_configure(&mut self, fqid: u32, cfg: FqConfig);
    fn fq_frames(&self, fqid: u32) -> u32;
    /// Hardware-side enqueue; `false` if the FQ does not exist.
    fn enqueue(&mut self, fqid: u32, fd: &Fd) -> bool;
    fn bp_acquire(&mut self, bpid: u16) -> Option<u64>;
    fn bp_release(&mut self, bpid: u16, addr: u64);
    fn channel_set_notify_portal(&mut self, channel: u16, portal: u32);
    fn set_portal_icid(&mut self, portal: u32, icid: u16);
    fn qd_configure(&mut self, qdid: u16, fqids: &[u32]);
    fn portal_reset(&mut self, portal: u32);
    fn take_hw_frames(&mut self) -> Vec<(u32, u64, Fd)>;
    fn take_irqs(&mut self) -> Vec<u32>;
}

impl DataPlane for crate::qbman::Qbman {
    fn fq_configure(&mut self, fqid: u32, cfg: FqConfig) {
        crate::qbman::Qbman::fq_configure(self, fqid, cfg)
    }
    fn fq_frames(&self, fqid: u32) -> u32 {
        crate::qbman::Qbman::fq_frames(self, fqid)
    }
    fn enqueue(&mut self, fqid: u32, fd: &Fd) -> bool {
        crate::qbman::Qbman::enqueue(self, fqid, fd).is_ok()
    }
    fn bp_acquire(&mut self, bpid: u16) -> Option<u64> {
        crate::qbman::Qbman::bp_acquire(self, bpid)
    }
    fn bp_release(&mut self, bpid: u16, addr: u64) {
        crate::qbman::Qbman::bp_release(self, bpid, addr)
    }
    fn channel_set_notify_portal(&mut self, channel: u16, portal: u32) {
        crate::qbman::Qbman::channel_set_notify_portal(self, channel, portal)
    }
    fn set_portal_icid(&mut self, portal: u32, icid: u16) {
        crate::qbman::Qbman::set_portal_icid(self, portal, icid)
    }
    fn qd_configure(&mut self, qdid: u16, fqids: &[u32]) {
        crate::qbman::Qbman::qd_configure(self, qdid, fqids)
    }
    fn portal_reset(&mut self, portal: u32) {
        crate::qbman::Qbman::portal_reset(self, portal)
    }
    fn take_hw_frames(&mut self) -> Vec<(u32, u64, Fd)> {
        crate::qbman::Qbman::take_hw_frames(self)
    }
    fn take_irqs(&mut self) -> Vec<u32> {
        crate::qbman::Qbman::take_irqs(self)
    }
}

/// Guest memory as seen by a bus master with a given ICID (through the SMMU).
pub trait IcidDma {
    fn read(&mut self, icid: u16, pa: u64, buf: &mut [u8]) -> Result<(), DmaError>;
    fn write(&mut self, icid: u16, pa: u64, buf: &[u8]) -> Result<(), DmaError>;
}

/// A bus with no memory: every DMA fails (MC commands that read guest memory then
/// answer DMA_ERR). For callers that drive the MC without a machine (fuzzing).
pub struct NoMemory;

impl IcidDma for NoMemory {
    fn read(&mut self, _icid: u16, _pa: u64, _buf: &mut [u8]) -> Result<(), DmaError> {
        Err(DmaError::Unmapped)
    }
    fn write(&mut self, _icid: u16, _pa: u64, _buf: &[u8]) -> Result<(), DmaError> {
        Err(DmaError::Unmapped)
    }
}

/// Configuration for the QBMan engine, applied at the next pump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QbOp {
    Fq(u32, FqConfig),
    Notify { channel: u16, portal: u32 },
    PortalIcid { portal: u32, icid: u16 },
    /// DPIO_RESET: the software portal's rings and registers back to reset.
    PortalReset(u32),
    /// Queuing destination `qdid`: bin i → `fqids[i]` (the Tx FQs of traffic class 0).
    Qd { qdid: u16, fqids: Vec<u32> },
}

/// Queue types (`enum dpni_queue_type`).
pub const QTYPE_RX: u8 = 0;
pub const QTYPE_TX: u8 = 1;
pub const QTYPE_TX_CONFIRM: u8 = 2;
pub const QTYPE_RX_ERR: u8 = 3;

/// Queue destination types (`enum dpni_dest`).
pub const DEST_NONE: u8 = 0;
pub const DEST_DPIO: u8 = 1;
pub const DEST_DPCON: u8 = 2;

/// SET_QUEUE options (DPNI_QUEUE_OPT_*).
pub const QUEUE_OPT_USER_CTX: u8 = 0x1;
pub const QUEUE_OPT_DEST: u8 = 0x2;
pub const QUEUE_OPT_FLC: u8 = 0x4;
pub const QUEUE_OPT_HOLD_ACTIVE: u8 = 0x8;

/// Buffer layout options and pass flags (DPNI_BUF_LAYOUT_OPT_*, dpni-cmd.h flags).
pub const BL_OPT_TIMESTAMP: u16 = 0x1;
pub const BL_OPT_PARSER_RESULT: u16 = 0x2;
pub const BL_OPT_FRAME_STATUS: u16 = 0x4;
pub const BL_OPT_PRIVATE_DATA_SIZE: u16 = 0x8;
pub const BL_OPT_DATA_ALIGN: u16 = 0x10;
pub const BL_OPT_DATA_HEAD_ROOM: u16 = 0x20;
pub const BL_OPT_DATA_TAIL_ROOM: u16 = 0x40;
/// Size of the hardware annotation area that precedes the data when any of the
/// timestamp / parser result / frame status fields is passed (DPAA2_ETH_RX_HWA_SIZE).
pub const HW_ANNOTATION: u32 = 64;

/// FD fields (§5.5).
pub const FD_FMT_SINGLE: u16 = 0;
pub const FD_FMT_SG: u16 = 2;
/// FD CTRL: frame access error (DPAA2_FD_CTRL_FAERR).
pub const FD_CTRL_FAERR: u32 = 0x40;
/// FD FRC: the frame annotation status in the annotation is valid (DPAA2_FD_FRC_FASV).
pub const FD_FRC_FASV: u32 = 0x8000;
/// Largest frame the model moves (the DPNI maximum frame length Linux sets, 10240).
pub const MAX_FRAME: usize = 10240;
/// Most S/G entries followed in one frame.
const MAX_SG: usize = 64;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BufLayout {
    /// Pass flags: bit0 timestamp, bit1 parser result, bit2 frame status.
    pub pass: u8,
    pub private_data_size: u16,
    pub data_align: u16,
    pub head_room: u16,
    pub tail_room: u16,
}

/// One DPNI queue as DPNI_GET_QUEUE/SET_QUEUE see it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Queue {
    pub fqid: u32,
    pub dest_type: u8,
    pub dest_id: u32,
    pub dest_prio: u8,
    /// Byte 15 of GET_QUEUE: dest type bits[3:0], stash control bit 6, hold active bit 7.
    pub flags: u8,
    pub flc: u64,
    pub user_ctx: u64,
    pub qdbin: u16,
}

/// Statistics counters by page (union dpni_statistics).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub rx_frames: u64,
    pub rx_bytes: u64,
    pub rx_mcast_frames: u64,
    pub rx_mcast_bytes: u64,
    pub rx_bcast_frames: u64,
    pub rx_bcast_bytes: u64,
    pub tx_frames: u64,
    pub tx_bytes: u64,
    pub tx_mcast_frames: u64,
    pub tx_mcast_bytes: u64,
    pub tx_bcast_frames: u64,
    pub tx_bcast_bytes: u64,
    pub rx_filtered: u64,
    pub rx_discarded: u64,
    pub rx_nobuffer: u64,
    pub tx_discarded: u64,
    pub tx_confirmed: u64,
}

impl Stats {
    /// The counters of DPNI_GET_STATISTICS page `page` (dpni.h union dpni_statistics);
    /// `None` for pages the firmware does not have.
    pub fn page(&self, page: u8, tx_pending: u64) -> Option<Vec<u64>> {
        Some(match page {
            0 => vec![self.rx_frames, self.rx_bytes, self.rx_mcast_frames, self.rx_mcast_bytes, self.rx_bcast_frames, self.rx_bcast_bytes],
            1 => vec![self.tx_frames, self.tx_bytes, self.tx_mcast_frames, self.tx_mcast_bytes, self.tx_bcast_frames, self.tx_bcast_bytes],
            2 => vec![self.rx_filtered, self.rx_discarded, self.rx_nobuffer, self.tx_discarded, self.tx_confirmed],
            3 => vec![self.tx_bytes, self.tx_frames, 0, 0],
            4 => vec![0, 0],
            5 => vec![0; 5],
            6 => vec![tx_pending],
            _ => return None,
        })
    }
}

/// The firmware-side state of one DPNI.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dpni {
    pub id: u32,
    pub num_queues: u8,
    pub num_tcs: u8,
    /// Indexed by queue type (RX, TX, TX_CONFIRM, RX_ERR).
    pub layouts: [BufLayout; 4],
    /// (DPBP id, buffer size) from DPNI_SET_POOLS.
    pub pools: Vec<(u32, u16)>,
    pub err_mask: u32,
    pub err_flags: u8,
    /// Rx queues, index tc × num_queues + flow.
    pub rx: Vec<Queue>,
    /// Tx queues, index tc × num_queues + flow.
    pub tx: Vec<Queue>,
    /// Tx confirmation queues, one per flow.
    pub tx_conf: Vec<Queue>,
    pub rx_err: Queue,
    pub qdid: u16,
    pub link_rate: u32,
    pub link_options: u64,
    pub primary_mac: [u8; 6],
    pub port_mac: [u8; 6],
    pub mac_filters: Vec<[u8; 6]>,
    pub vlan_filter: bool,
    pub vlans: Vec<u16>,
    pub unicast_promisc: bool,
    pub multicast_promisc: bool,
    pub max_frame_length: u16,
    /// SET_OFFLOAD values by type (0 RX_L3_CSUM .. 3 TX_L4_CSUM).
    pub offloads: [u32; 4],
    /// SET_TX_CONFIRMATION_MODE: 0 AFFINE (the default, Linux's), 2 DISABLE (DPDK's).
    pub tx_conf_mode: u8,
    pub stats: Stats,
    /// The link state last reported through LINK_CHANGED (GET_LINK_STATE answers it).
    pub link_up: bool,
    /// Rx distribution of each traffic class (SET_RX_HASH_DIST / SET_RX_FS_DIST /
    /// SET_RX_TC_DIST, ADD/REMOVE/CLR_FS_ENT).
    pub dist: Vec<TcDist>,
    /// Problems already warned about (guest errors, once per DPNI each).
    pub warned: std::collections::BTreeSet<String>,
}

/// Flow steering miss: drop (DPNI_FS_MISS_DROP as a miss flow id).
pub const FS_MISS_DROP: u16 = 0xffff;
/// Flow steering entries per traffic class (GET_ATTR fs_entries).
pub const FS_ENTRIES: usize = 64;

/// Hash distribution of a traffic class: `size` queues, key from `profile`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HashDist {
    pub size: u16,
    pub profile: super::keygen::Profile,
}

/// Flow steering of a traffic class: the key profile, the flow of a miss
/// ([`FS_MISS_DROP`] drops; with hashing on, a miss is hashed) and the entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FsDist {
    pub size: u16,
    pub profile: super::keygen::Profile,
    pub miss_flow: u16,
}

/// One flow steering rule: frames whose key & mask equals `key` & mask go to `flow`
/// (or are discarded with DPNI_FS_OPT_DISCARD).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FsEntry {
    pub key: Vec<u8>,
    pub mask: Vec<u8>,
    pub flow: u16,
    pub discard: bool,
}

impl FsEntry {
    pub fn matches(&self, key: &[u8]) -> bool {
        self.key.len() <= key.len() && self.key.iter().zip(key).zip(&self.mask).all(|((k, f), m)| k & m == f & m)
    }
}

/// The Rx distribution state of one traffic class.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcDist {
    pub hash: Option<HashDist>,
    pub fs: Option<FsDist>,
    pub entries: Vec<FsEntry>,
}

/// DMA reads a command needs before it can complete (the MC reads guest memory through
/// the SMMU with the DPNI container's ICID).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DmaReq {
    pub icid: u16,
    pub reads: Vec<(u64, usize)>,
}

/// Where a received frame goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RxPick {
    /// Rx queue `flow` of traffic class 0.
    Flow(u16),
    /// Dropped by flow steering (a discard rule, or a miss with no miss flow).
    Drop,
}

/// Mac filter table size (GET_ATTR mac_filter_entries).
pub const MAC_FILTER_ENTRIES: usize = 16;
/// VLAN filter table size (GET_ATTR vlan_filter_entries).
pub const VLAN_FILTER_ENTRIES: usize = 16;
/// Maximum frame length after reset (the MC default, 1536 + VLAN tags).
pub const DEFAULT_MAX_FRAME: u16 = 1536;
/// Link options after reset: AUTONEG (DPNI_LINK_OPT_AUTONEG).
pub const LINK_OPT_AUTONEG: u64 = 0x1;

impl Dpni {
    /// A DPNI with its frame queues numbered from `*next_fqid` (advanced) and `qdid`.
    pub fn new(id: u32, num_queues: u8, num_tcs: u8, mac: [u8; 6], next_fqid: &mut u32, qdid: u16, rate: u32) -> Dpni {
        let nq = num_queues.max(1) as usize;
        let nt = num_tcs.max(1) as usize;
        let mut alloc = |qdbin: u16| {
            let q = Queue { fqid: *next_fqid, qdbin, ..Default::default() };
            *next_fqid = next_fqid.wrapping_add(1);
            q
        };
        let rx: Vec<Queue> = (0..nt * nq).map(|_| alloc(0)).collect();
        let tx: Vec<Queue> = (0..nt * nq).map(|i| alloc((i % nq) as u16)).collect();
        let tx_conf: Vec<Queue> = (0..nq).map(|_| alloc(0)).collect();
        let rx_err = alloc(0);
        let mut d = Dpni { id, num_queues: nq as u8, num_tcs: nt as u8, rx, tx, tx_conf, rx_err, qdid, port_mac: mac, link_rate: rate, ..Default::default() };
        d.reset();
        d
    }

    /// DPNI_RESET: configuration back to defaults; queue ids and counters stay.
    pub fn reset(&mut self) {
        self.layouts = Default::default();
        self.tx_conf_mode = 0;
        self.pools.clear();
        self.err_mask = 0;
        self.err_flags = 0;
        for q in self.rx.iter_mut().chain(self.tx.iter_mut()).chain(self.tx_conf.iter_mut()).chain(std::iter::once(&mut self.rx_err)) {
            *q = Queue { fqid: q.fqid, qdbin: q.qdbin, ..Default::default() };
        }
        self.link_options = LINK_OPT_AUTONEG;
        self.primary_mac = self.port_mac;
        self.mac_filters.clear();
        self.vlan_filter = false;
        self.vlans.clear();
        self.unicast_promisc = false;
        self.multicast_promisc = false;
        self.max_frame_length = DEFAULT_MAX_FRAME;
        self.offloads = [0; 4];
        self.dist = vec![TcDist::default(); self.num_tcs.max(1) as usize];
    }

    /// The Rx queue of traffic class 0 frame `f` (parsed as `p`, parse results `pr`)
    /// goes to: a flow steering hit; on a miss (or without flow steering) the hash of the
    /// hash key modulo the distribution size when hashing is on, else the miss flow
    /// (dpni.h `struct dpni_rx_dist_cfg`: fs_miss_flow_id applies "when packet misses
    /// all rules from flow steering table and hash is disabled"); flow 0 when no
    /// distribution is configured.
    pub fn rx_pick(&self, f: &[u8], p: &super::keygen::Parsed, pr: &[u8]) -> RxPick {
        let Some(d) = self.dist.first() else { return RxPick::Flow(0) };
        if let Some(fs) = &d.fs {
            let key = fs.profile.key(f, p, pr);
            if let Some(e) = d.entries.iter().find(|e| e.matches(&key)) {
                return if e.discard { RxPick::Drop } else { RxPick::Flow(e.flow) };
            }
            if d.hash.is_none() {
                return if fs.miss_flow == FS_MISS_DROP { RxPick::Drop } else { RxPick::Flow(fs.miss_flow) };
            }
        }
        match &d.hash {
            Some(h) if h.size > 1 => {
                let key = h.profile.key(f, p, pr);
                RxPick::Flow((super::keygen::hash(&key) % h.size as u32) as u16)
            }
            _ => RxPick::Flow(0),
        }
    }

    /// The hardware annotation written before a received frame's data (at the Rx
    /// buffer layout's private data size): frame annotation status (FAS: bytes 0-7,
    /// status word at 4) when frame status is passed, the timestamp word (8-15, 0: the
    /// model has no 1588 timer) when timestamps are, the parse results (0x10-0x3f) when
    /// parser results are (`parse_results`, keygen::parse_results). `None` when the
    /// layout passes none of them.
    pub fn rx_annotation(&self, fas_status: u32, parse_results: &[u8; 48]) -> Option<[u8; HW_ANNOTATION as usize]> {
        let pass = self.layouts[QTYPE_RX as usize].pass;
        if pass & 0x7 == 0 {
            return None;
        }
        let mut a = [0u8; HW_ANNOTATION as usize];
        if pass & 0x4 != 0 {
            a[4..8].copy_from_slice(&fas_status.to_le_bytes());
        }
        if pass & 0x2 != 0 {
            a[0x10..0x40].copy_from_slice(parse_results);
        }
        Some(a)
    }

    /// The queue `(qtype, tc, index)` names, if it exists.
    pub fn queue_mut(&mut self, qtype: u8, tc: u8, index: u8) -> Option<&mut Queue> {
        let (tc, ix) = (tc as usize, index as usize);
        let nq = self.num_queues as usize;
        if ix >= nq && qtype != QTYPE_RX_ERR {
            return None;
        }
        match qtype {
            QTYPE_RX if tc < self.num_tcs as usize => self.rx.get_mut(tc * nq + ix),
            QTYPE_TX if tc < self.num_tcs as usize => self.tx.get_mut(tc * nq + ix),
            QTYPE_TX_CONFIRM if tc == 0 => self.tx_conf.get_mut(ix),
            QTYPE_RX_ERR if tc == 0 && ix == 0 => Some(&mut self.rx_err),
            _ => None,
        }
    }

    /// The FQ configuration the QBMan engine gets for a queue of this DPNI; `channel_of`
    /// maps a DPCON id to its QBMan channel.
    pub fn fq_config(&self, qtype: u8, q: &Queue, flow: u16, channel_of: &dyn Fn(u32) -> Option<u16>) -> FqConfig {
        let dest = if qtype == QTYPE_TX {
            FqDest::Hardware { tag: tx_tag(self.id, flow) }
        } else {
            match q.dest_type {
                DEST_DPCON => match channel_of(q.dest_id) {
                    Some(channel) => FqDest::Channel { channel, prio: q.dest_prio },
                    None => FqDest::None,
                },
                _ => FqDest::None,
            }
        };
        FqConfig { dest, user_ctx: q.user_ctx }
    }

    /// All (qtype, flow, queue) of this DPNI, in FQID order.
    pub fn all_queues(&self) -> Vec<(u8, u16, Queue)> {
        let nq = self.num_queues.max(1) as usize;
        let mut v: Vec<(u8, u16, Queue)> = self.rx.iter().enumerate().map(|(i, q)| (QTYPE_RX, (i % nq) as u16, *q)).collect();
        v.extend(self.tx.iter().enumerate().map(|(i, q)| (QTYPE_TX, (i % nq) as u16, *q)));
        v.extend(self.tx_conf.iter().enumerate().map(|(i, q)| (QTYPE_TX_CONFIRM, i as u16, *q)));
        v.push((QTYPE_RX_ERR, 0, self.rx_err));
        v
    }

    /// Whether the MAC filter accepts a frame with destination `dst`.
    pub fn accepts(&self, dst: &[u8]) -> bool {
        let Ok(d) = <[u8; 6]>::try_from(dst) else { return false };
        if d == [0xff; 6] {
            return true; // broadcast is always accepted
        }
        if d[0] & 1 != 0 {
            return self.multicast_promisc || self.mac_filters.contains(&d);
        }
        self.unicast_promisc || d == self.primary_mac || self.mac_filters.contains(&d)
    }

    /// The offset at which received data starts in a buffer (Rx buffer layout): the
    /// hardware annotation when any annotation field is passed, the private data, the
    /// head room, rounded up to the data alignment.
    pub fn rx_data_offset(&self) -> u32 {
        let l = &self.layouts[QTYPE_RX as usize];
        let hwa = if l.pass & 0x7 != 0 { HW_ANNOTATION } else { 0 };
        let raw = hwa + l.private_data_size as u32 + l.head_room as u32;
        let a = (l.data_align as u32).max(1);
        raw.div_ceil(a) * a
    }
}

/// The hardware tag of Tx FQ `flow` of DPNI `dpni` (bits 47:16 DPNI id, 15:0 flow).
pub fn tx_tag(dpni: u32, flow: u16) -> u64 {
    (dpni as u64) << 16 | flow as u64
}

pub fn tag_dpni(tag: u64) -> u32 {
    (tag >> 16) as u32
}

pub fn tag_flow(tag: u64) -> u16 {
    tag as u16
}

/// FD accessors (§5.5).
pub fn fd_addr(fd: &Fd) -> u64 {
    u64::from_le_bytes(fd[0..8].try_into().unwrap_or([0; 8]))
}
pub fn fd_len(fd: &Fd) -> u32 {
    let l = u32::from_le_bytes(fd[8..12].try_into().unwrap_or([0; 4]));
    // Short-length form (format_offset bit 14): 18-bit length.
    if fd_fmt_off(fd) & 0x4000 != 0 {
        l & 0x3_ffff
    } else {
        l
    }
}
fn fd_fmt_off(fd: &Fd) -> u16 {
    u16::from_le_bytes([fd[14], fd[15]])
}
pub fn fd_format(fd: &Fd) -> u16 {
    (fd_fmt_off(fd) >> 12) & 0x3
}
pub fn fd_offset(fd: &Fd) -> u32 {
    (fd_fmt_off(fd) & 0xfff) as u32
}
pub fn fd_ctrl(fd: &Fd) -> u32 {
    u32::from_le_bytes(fd[20..24].try_into().unwrap_or([0; 4]))
}
pub fn fd_set_ctrl(fd: &mut Fd, v: u32) {
    fd[20..24].copy_from_slice(&v.to_le_bytes());
}
pub fn fd_frc(fd: &Fd) -> u32 {
    u32::from_le_bytes(fd[16..20].try_into().unwrap_or([0; 4]))
}
pub fn fd_set_frc(fd: &mut Fd, v: u32) {
    fd[16..20].copy_from_slice(&v.to_le_bytes());
}

/// A single-buffer FD: buffer `addr`, data at `offset`, `len` bytes, from pool `bpid`.
pub fn fd_single(addr: u64, offset: u32, len: u32, bpid: u16) -> Fd {
    let mut fd = [0u8; 32];
    fd[0..8].copy_from_slice(&addr.to_le_bytes());
    fd[8..12].copy_from_slice(&len.to_le_bytes());
    fd[12..14].copy_from_slice(&(bpid & 0x3fff).to_le_bytes());
    fd[14..16].copy_from_slice(&((offset & 0xfff) as u16 | FD_FMT_SINGLE << 12).to_le_bytes());
    fd
}

/// Reads the bytes of a Tx frame described by `fd`: a single buffer (format 0) or a
/// scatter-gather table (format 2; 16-byte entries: address, length, bpid,
/// offset/format with the final bit 15). `Err` on a DMA failure or a malformed FD.
pub fn read_frame(dma: &mut dyn IcidDma, icid: u16, fd: &Fd) -> Result<Vec<u8>, &'static str> {
    let len = fd_len(fd) as usize;
    if len > MAX_FRAME {
        return Err("frame longer than the maximum frame length");
    }
    let base = fd_addr(fd).wrapping_add(fd_offset(fd) as u64);
    match fd_format(fd) {
        FD_FMT_SINGLE => {
            let mut buf = vec![0u8; len];
            dma.read(icid, base, &mut buf).map_err(|_| "frame buffer not readable")?;
            Ok(buf)
        }
        FD_FMT_SG => {
            let mut out = Vec::with_capacity(len);
            for i in 0..MAX_SG {
                let mut e = [0u8; 16];
                dma.read(icid, base.wrapping_add(16 * i as u64), &mut e).map_err(|_| "S/G table not readable")?;
                let addr = u64::from_le_bytes(e[0..8].try_into().unwrap_or([0; 8]));
                let elen = u32::from_le_bytes(e[8..12].try_into().unwrap_or([0; 4])) as usize;
                let fo = u16::from_le_bytes([e[14], e[15]]);
                if (fo >> 12) & 0x3 != 0 {
                    return Err("S/G extension entries are not supported");
                }
                let take = elen.min(len - out.len());
                let start = out.len();
                out.resize(start + take, 0);
                dma.read(icid, addr.wrapping_add((fo & 0xfff) as u64), &mut out[start..]).map_err(|_| "S/G buffer not readable")?;
                if fo & 0x8000 != 0 || out.len() >= len {
                    break;
                }
            }
            if out.len() != len {
                return Err("S/G entries shorter than the FD length");
            }
            Ok(out)
        }
        _ => Err("frame list FDs are not supported"),
    }
}

/// Frames waiting to be received by DPNIs: (dpni id, bytes), FIFO.
pub type RxQueue = VecDeque<(u32, Vec<u8>)>;

/// One's complement sum of `data` (16-bit big-endian words, odd byte padded) added to
/// `acc`, not folded.
pub(crate) fn ones_sum(data: &[u8], mut acc: u64) -> u64 {
    let mut it = data.chunks_exact(2);
    for w in &mut it {
        acc += u16::from_be_bytes([w[0], w[1]]) as u64;
    }
    if let [b] = it.remainder() {
        acc += (*b as u64) << 8;
    }
    acc
}

/// `acc` folded to 16 bits (end-around carries).
pub(crate) fn fold(mut acc: u64) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The Internet checksum (RFC 1071) of `data` with `acc` added.
pub fn inet_checksum(data: &[u8], acc: u64) -> u16 {
    !fold(ones_sum(data, acc))
}

/// Tx checksum generation of the DPNI (DPNI_OFF_TX_L3_CSUM / TX_L4_CSUM, which Linux
/// enables so that it hands over TCP/UDP frames with only the pseudo-header sum in the
/// L4 checksum field, and software-TSO segments whose IPv4 header checksum is left to
/// hardware): recomputes the IPv4 header checksum (`l3`) and the TCP/UDP checksum over
/// the pseudo-header and segment (`l4`; IPv4 non-fragments, IPv6 without extension
/// headers), after an optional 802.1Q tag. Other frames are left alone.
pub fn tx_checksum(f: &mut [u8], l3: bool, l4: bool) {
    let mut off = 12;
    let mut ethertype = match f.get(off..off + 2) {
        Some(b) => u16::from_be_bytes([b[0], b[1]]),
        None => return,
    };
    if ethertype == 0x8100 {
        off += 4;
        ethertype = match f.get(off..off + 2) {
            Some(b) => u16::from_be_bytes([b[0], b[1]]),
            None => return,
        };
    }
    let ip = off + 2;
    let (proto, l4_start, l4_len, pseudo) = match ethertype {
        0x0800 => {
            let Some(&vihl) = f.get(ip) else { return };
            let ihl = (vihl & 0xf) as usize * 4;
            if vihl >> 4 != 4 || ihl < 20 || f.len() < ip + ihl {
                return;
            }
            if l3 {
                f[ip + 10] = 0;
                f[ip + 11] = 0;
                let c = inet_checksum(&f[ip..ip + ihl], 0);
                f[ip + 10..ip + 12].copy_from_slice(&c.to_be_bytes());
            }
            let tot = u16::from_be_bytes([f[ip + 2], f[ip + 3]]) as usize;
            let frag = u16::from_be_bytes([f[ip + 6], f[ip + 7]]);
            if frag & 0x3fff != 0 || tot < ihl || f.len() < ip + tot {
                return;
            }
            let proto = f[ip + 9];
            let l4_len = tot - ihl;
            let pseudo = ones_sum(&f[ip + 12..ip + 20], proto as u64 + l4_len as u64);
            (proto, ip + ihl, l4_len, pseudo)
        }
        0x86dd => {
            if f.len() < ip + 40 {
                return;
            }
            let plen = u16::from_be_bytes([f[ip + 4], f[ip + 5]]) as usize;
            if f.len() < ip + 40 + plen {
                return;
            }
            let proto = f[ip + 6];
            let pseudo = ones_sum(&f[ip + 8..ip + 40], proto as u64 + plen as u64);
            (proto, ip + 40, plen, pseudo)
        }
        _ => return,
    };
    if !l4 {
        return;
    }
    let csum_at = match proto {
        6 if l4_len >= 20 => l4_start + 16,
        17 if l4_len >= 8 => l4_start + 6,
        _ => return,
    };
    f[csum_at] = 0;
    f[csum_at + 1] = 0;
    let mut c = inet_checksum(&f[l4_start..l4_start + l4_len], pseudo);
    if proto == 17 && c == 0 {
        c = 0xffff; // UDP: a computed 0 is sent as all ones (RFC 768)
    }
    f[csum_at..csum_at + 2].copy_from_slice(&c.to_be_bytes());
}
