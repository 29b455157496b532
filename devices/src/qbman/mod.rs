//! QBMan: the queue and buffer manager of DPAA2 (QMan 4.1 software portals in "direct"
//! mode, frame queues, channels, buffer pools), reference ls2088a-reference.md §5.
//!
//! The portal window is the fsl-mc node's `ranges` type 1 at [`crate::fslmc::QBMAN_BASE`]
//! (128 MiB): portal p's cache-enabled (CENA) page at p × 64 KiB, its cache-inhibited
//! (CINH) page at [`crate::fslmc::QBMAN_CINH_OFFSET`] + p × 64 KiB (reference §4.1, §4.7).
//! Both pages decode the same way (with 2 DPIO regions Linux maps the CINH page for the
//! rings too): the ring/command area 0x000-0x7FF is storage, the registers 0x800-0xFFF
//! are 32-bit.
//!
//! The engine (all synchronous: a command's effect is complete when the store that
//! triggers it returns, reference §5.3):
//! * frame queues: FQID → [`FqConfig`], a FIFO of frame descriptors and their frame/byte
//!   counts, an XON/XOFF state;
//! * channels: the FQs scheduled to them, by priority 0 (highest) to 7, round-robin within
//!   a priority (an FQ goes to the back after each frame taken from it); the CDAN state
//!   {enabled, context, notify portal};
//! * buffer pools: per BPID a stack of buffer addresses (BMan pools are LIFO: the last
//!   buffer released is the first acquired; a release of buf[0..n] pushes buf[0] first);
//!   acquires are all-or-nothing (dpaa2-eth's `dpaa2_eth_drain_pool` acquires 7 at a time
//!   until 0, then 1 at a time, which relies on it);
//! * per software portal: EQCR (8 entries, valid bit from EQCR_PI, the enqueue happens at
//!   the store to an entry's byte 0 when its valid bit is the expected one; EQCR_CI then
//!   advances), RCR (array mode: RAR gives the slot and its valid bit), the management
//!   command at CR with its result at RR0/RR1 (chosen by the command's valid bit), VDQCR
//!   volatile dequeues (channel, WQ = channel << 3 | prio, or FQ) with results to memory
//!   through the portal's DMA space or to the DQRR, static dequeue (SDQCR source bit 0 =
//!   the portal's own channel, see [`Qbman::set_portal_channel`]) into the DQRR, CDAN
//!   notifications into the notify portal's DQRR, FQDAN notifications of FQs in
//!   notification mode ([`Qbman::fq_set_notification`], DPNI_DEST_DPIO), the 8-entry DQRR with its valid bit
//!   toggling at each wrap and discrete consumption (DCAP, or an enqueue's DCA byte),
//!   ISR/IER/ISDR/IIR with an edge-triggered interrupt output ([`Qbman::take_irqs`]).
//!
//! Not modelled (accepted, warned about once): order restoration (ORP), enqueue responses,
//! stashing, congestion groups, state change notifications other than CDAN and FQDAN,
//! the IRQ hold-off timer (a DQRR entry below the DQRR_ITR threshold with ITPR ≠ 0 raises
//! DQRI at the next [`Qbman::take_irqs`], not after ITPR cycles), SDQCR sources other than bit 0, the
//! QMan 5 memory-backed layout (offsets 0x1000 and up read as 0).

use crate::{DmaSpace, MmioError, MmioResult, Size};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Size of the whole portal window (CENA half + CINH half).
pub const WINDOW: u64 = 0x800_0000;
/// One portal page.
pub const PAGE: u64 = 0x1_0000;
/// Number of portal pages per half.
pub const MAX_PORTALS: u64 = crate::fslmc::QBMAN_CINH_OFFSET / PAGE;

// Ring/command area offsets (qbman-portal.c QBMAN_CENA_SWP_*, reference §5.1).
pub const EQCR: u64 = 0x000;
pub const DQRR: u64 = 0x200;
pub const RCR: u64 = 0x400;
pub const CR: u64 = 0x600;
pub const RR0: u64 = 0x700;
pub const RR1: u64 = 0x740;
pub const VDQCR: u64 = 0x780;

// CINH register offsets (qbman-portal.c QBMAN_CINH_SWP_*, reference §5.1).
pub const EQCR_PI: u64 = 0x800;
pub const EQCR_CI: u64 = 0x840;
pub const EQAR: u64 = 0x8c0;
pub const DQPI: u64 = 0xa00;
pub const DQRR_ITR: u64 = 0xa80;
pub const DCAP: u64 = 0xac0;
pub const SDQCR: u64 = 0xb00;
pub const RCR_PI: u64 = 0xc00;
pub const RAR: u64 = 0xcc0;
pub const SWP_CFG: u64 = 0xd00;
pub const ISR: u64 = 0xe00;
pub const IER: u64 = 0xe40;
pub const ISDR: u64 = 0xe80;
pub const IIR: u64 = 0xec0;
pub const ITPR: u64 = 0xf40;
/// End of the ring/command area.
pub const RING_END: u64 = 0x800;

/// ISR/IER/ISDR bits (qbman-portal.h QBMAN_SWP_INTERRUPT_*).
pub const IRQ_EQRI: u32 = 0x01;
pub const IRQ_EQDI: u32 = 0x02;
pub const IRQ_DQRI: u32 = 0x04;
pub const IRQ_RCRI: u32 = 0x08;
pub const IRQ_RCDI: u32 = 0x10;
pub const IRQ_VDCI: u32 = 0x20;

/// Management command verbs (qbman-portal.c/.h, reference §5.4).
pub const VERB_ACQUIRE: u8 = 0x30;
pub const VERB_BP_QUERY: u8 = 0x32;
pub const VERB_FQ_QUERY_NP: u8 = 0x45;
pub const VERB_WQCHAN_CONFIGURE: u8 = 0x46;
pub const VERB_FQ_SCHEDULE: u8 = 0x48;
pub const VERB_FQ_FORCE: u8 = 0x49;
pub const VERB_FQ_XON: u8 = 0x4d;
pub const VERB_FQ_XOFF: u8 = 0x4e;
/// Result verbs written by QBMan (dpaa2-global.h / qbman-portal.h QBMAN_RESULT_*).
pub const RESULT_DQ: u8 = 0x60;
pub const RESULT_CDAN: u8 = 0x26;
pub const RESULT_FQDAN: u8 = 0x25;
/// Management result code "OK" (QBMAN_MC_RSLT_OK).
pub const RSLT_OK: u8 = 0xf0;
/// The model's result code for a refused command (unknown verb, unknown FQ, bad count):
/// Linux treats any code other than 0xF0 as a failure and prints it.
pub const RSLT_ERR: u8 = 0xff;

/// DQ result stat bits (dpaa2-global.h DPAA2_DQ_STAT_*).
pub const STAT_VALIDFRAME: u8 = 0x10;
pub const STAT_VOLATILE: u8 = 0x02;
pub const STAT_EXPIRED: u8 = 0x01;

/// EQAR/RAR "success" bit (qbman-portal.c EQAR_SUCCESS / RAR_SUCCESS) and valid bit.
const AR_SUCCESS: u32 = 0x100;
const VB: u8 = 0x80;
/// Ring sizes (QMan 4.1: 8-entry EQCR, DQRR, RCR).
const RING: u8 = 8;
/// Bounds on guest-driven growth: frames held by all FQs, buffers per pool, DQRR
/// entries waiting for a free slot per portal. Beyond them enqueues are rejected,
/// releases dropped (as QBMan does when its PFDR/BMan memory is exhausted).
const MAX_FRAMES: usize = 1 << 20;
const MAX_POOL_BUFS: usize = 1 << 20;
const MAX_BACKLOG: usize = 256;

/// A frame descriptor (reference §5.5 layout).
pub type Fd = [u8; 32];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FqDest {
    /// Frames wait in the FQ until a portal pulls it by FQID (VDQCR type FQ).
    None,
    /// Scheduled to a channel (DPCON channel id / DPIO local channel) with priority 0..7.
    Channel { channel: u16, prio: u8 },
    /// Consumed by hardware (a DPNI's Tx FQ): enqueued frames are queued for
    /// `Qbman::take_hw_frames` instead of a channel.
    Hardware { tag: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FqConfig {
    pub dest: FqDest,
    pub user_ctx: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum QbmanError {
    #[error("frame queue {0:#x} does not exist")]
    NoSuchFq(u32),
    #[error("QBMan frame memory exhausted ({MAX_FRAMES} frames queued)")]
    Full,
}

/// The byte count of a frame: FD bytes 8-11, 18 bits with the short-length bit (bit 14
/// of format_offset at bytes 14-15), reference §5.5.
fn fd_len(fd: &Fd) -> u32 {
    let len = u32::from_le_bytes([fd[8], fd[9], fd[10], fd[11]]);
    if u16::from_le_bytes([fd[14], fd[15]]) & 0x4000 != 0 {
        len & 0x3_ffff
    } else {
        len
    }
}

fn le16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]])
}
fn le64(b: &[u8], o: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[o..o + 8]);
    u64::from_le_bytes(x)
}
fn put16(b: &mut [u8], o: usize, v: u16) {
    b[o..o + 2].copy_from_slice(&v.to_le_bytes());
}
fn put32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}
fn put64(b: &mut [u8], o: usize, v: u64) {
    b[o..o + 8].copy_from_slice(&v.to_le_bytes());
}

/// Expected valid bit of the entry at 4-bit ring index `pi` (bit 3 = wrap): 0x80 on the
/// first lap, toggling at each wrap (reference §5.3; qbman_swp_enqueue_multiple_direct
/// toggles pi_vb when the index wraps past 7).
fn ring_vb(pi: u8) -> u8 {
    if pi & RING == 0 {
        VB
    } else {
        0
    }
}

struct Fq {
    cfg: FqConfig,
    frames: VecDeque<Fd>,
    bytes: u64,
    xoff: bool,
    /// The channel list (channel, prio) the FQ currently sits in.
    sched: Option<(u16, u8)>,
    /// FQDAN mode (DPNI_DEST_DPIO, dpni.h): the portal notified when frames arrive, and
    /// whether the FQ is parked after a notification (until FQ_SCHEDULE).
    fqdan: Option<u32>,
    parked: bool,
}

#[derive(Default)]
struct Channel {
    cdan_en: bool,
    ctx: u64,
    /// Set by the MC (DPCON_SET_NOTIFICATION); else the portal that last configured it.
    notify: Option<u32>,
    config_portal: Option<u32>,
    /// FQs with frames, by priority, in service order.
    active: [VecDeque<u32>; 8],
    cdans: u64,
}

impl Channel {
    fn pending(&self) -> bool {
        self.active.iter().any(|l| !l.is_empty())
    }
}

#[derive(Clone)]
struct Portal {
    ring: Box<[u8; RING_END as usize]>,
    swp_cfg: u32,
    sdqcr: u32,
    dqrr_itr: u32,
    itpr: u32,
    dcap: u32,
    rcr_pi: u32,
    isr: u32,
    ier: u32,
    isdr: u32,
    iir: u32,
    /// EQCR: index (4 bits incl. wrap) of the next entry QBMan takes; every entry is
    /// consumed at once, so it is also the consumer index EQCR_CI.
    eqcr: u8,
    /// Expected valid bits: management command, VDQCR, each RCR slot.
    mc_vb: u8,
    vdq_vb: u8,
    rcr_vb: [u8; RING as usize],
    rcr_next: u8,
    /// DQRR producer index (4 bits incl. wrap) and occupied slots (bit i = slot i).
    dqrr_pi: u8,
    dqrr_busy: u8,
    /// Entries waiting for a free DQRR slot, verb without valid bit.
    backlog: VecDeque<[u8; 64]>,
    holdoff_pending: bool,
    line: bool,
    icid: Option<u16>,
    channel: Option<u16>,
    enqueues: u64,
    dequeues: u64,
}

impl Portal {
    fn new() -> Portal {
        Portal {
            ring: Box::new([0; RING_END as usize]),
            swp_cfg: 0,
            sdqcr: 0,
            dqrr_itr: 0,
            itpr: 0,
            dcap: 0,
            rcr_pi: 0,
            isr: 0,
            ier: 0,
            isdr: 0,
            iir: 0,
            eqcr: 0,
            mc_vb: VB,
            vdq_vb: VB,
            rcr_vb: [VB; RING as usize],
            rcr_next: 0,
            dqrr_pi: 0,
            dqrr_busy: 0,
            backlog: VecDeque::new(),
            holdoff_pending: false,
            line: false,
            icid: None,
            channel: None,
            enqueues: 0,
            dequeues: 0,
        }
    }

    fn fill(&self) -> u32 {
        self.dqrr_busy.count_ones()
    }

    /// The interrupt output: a status bit enabled in IER, not inhibited.
    fn level(&self) -> bool {
        self.isr & self.ier != 0 && self.iir == 0
    }

    /// Sets status bits (those disabled in ISDR are not recorded).
    fn raise(&mut self, bits: u32) {
        self.isr |= bits & !self.isdr;
    }

    /// DQRI condition: DQRR fill above the threshold DQRR_ITR, or any entry when the
    /// hold-off period ITPR is 0 (qbman_swp_set_irq_coalescing: Linux sets 7 and 0).
    fn dqri_due(&self) -> bool {
        let fill = self.fill();
        fill > 0 && (self.itpr == 0 || fill > self.dqrr_itr)
    }
}

/// The QBMan block: software portals, frame queues, channels, buffer pools.
#[derive(Default)]
pub struct Qbman {
    portals: BTreeMap<u32, Portal>,
    fqs: BTreeMap<u32, Fq>,
    channels: BTreeMap<u16, Channel>,
    pools: BTreeMap<u16, Vec<u64>>,
    qds: BTreeMap<u16, Vec<u32>>,
    hw_frames: Vec<(u32, u64, Fd)>,
    irqs: Vec<u32>,
    total_frames: usize,
    rejected: u64,
    warned: BTreeSet<String>,
    /// Warnings given (once per kind, so bounded), newest last.
    pub warnings: Vec<String>,
    /// Some state may have changed since the last [`Qbman::expire_holdoff`]: set by every
    /// `&mut self` entry point, so that an idle turn's hold-off/IRQ scan is O(1).
    dirty: bool,
}

impl Qbman {
    pub fn new() -> Qbman {
        Qbman::default()
    }

    fn split(off: u64) -> Option<(u32, bool, u64)> {
        if off >= WINDOW {
            return None;
        }
        let cinh = off >= crate::fslmc::QBMAN_CINH_OFFSET;
        let o = off % crate::fslmc::QBMAN_CINH_OFFSET;
        Some(((o / PAGE) as u32, cinh, o % PAGE))
    }

    /// Which portal an offset of the window belongs to (CENA or CINH page).
    pub fn portal_of(off: u64) -> Option<u32> {
        Self::split(off).map(|(p, _, _)| p)
    }

    /// A one-time warning per `key` (a fixed kind, or an offset within the page).
    fn warn(&mut self, key: &str, msg: impl FnOnce() -> String) {
        if !self.warned.contains(key) {
            self.warned.insert(key.to_string());
            let w = format!("QBMan portal model: {}", msg());
            tracing::warn!(target: "qbman", "{w}");
            self.warnings.push(w);
        }
    }

    /// Warnings raised since the last call.
    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    fn portal(&mut self, p: u32) -> &mut Portal {
        self.portals.entry(p).or_insert_with(Portal::new)
    }

    // ------------------------------------------------------------------ public API

    /// Creates or reconfigures frame queue `fqid` (24 bits); queued frames stay.
    pub fn fq_configure(&mut self, fqid: u32, cfg: FqConfig) {
        self.dirty = true;
        let fqid = fqid & 0xff_ffff;
        let fq = self.fqs.entry(fqid).or_insert(Fq { cfg, frames: VecDeque::new(), bytes: 0, xoff: false, sched: None, fqdan: None, parked: false });
        fq.cfg = cfg;
        self.resched(fqid);
        if let FqDest::Channel { channel, .. } = cfg.dest {
            self.channel_kick(channel);
        }
        self.eval_irqs();
    }

    /// FQ data availability notifications (DPNI_DEST_DPIO: "the queue is set in schedule
    /// mode and generates FQDAN notifications to the specified DPIO", dpni.h): frames
    /// arriving in `fqid` put one FQDAN (verb 0x25, rid = FQID, ctx = the FQ's user
    /// context) into `portal`'s DQRR, then the FQ stays parked until FQ_SCHEDULE (which
    /// notifies again at once if frames are left). `None` turns it off. Meant for FQs
    /// with destination [`FqDest::None`]; a no-op if the FQ does not exist.
    pub fn fq_set_notification(&mut self, fqid: u32, portal: Option<u32>) {
        self.dirty = true;
        let fqid = fqid & 0xff_ffff;
        if let Some(fq) = self.fqs.get_mut(&fqid) {
            fq.fqdan = portal;
            fq.parked = false;
        }
        self.fq_kick(fqid);
        self.eval_irqs();
    }

    /// Removes frame queue `fqid` and drops its frames.
    pub fn fq_remove(&mut self, fqid: u32) {
        self.dirty = true;
        let fqid = fqid & 0xff_ffff;
        if let Some(fq) = self.fqs.get_mut(&fqid) {
            fq.frames.clear();
            fq.bytes = 0;
        }
        self.resched(fqid);
        if let Some(fq) = self.fqs.remove(&fqid) {
            debug_assert!(fq.sched.is_none());
        }
        self.recount();
    }

    fn recount(&mut self) {
        self.total_frames = self.fqs.values().map(|f| f.frames.len()).sum();
    }

    /// Frames queued in `fqid` (0 if it does not exist).
    pub fn fq_frames(&self, fqid: u32) -> u32 {
        self.fqs.get(&(fqid & 0xff_ffff)).map_or(0, |f| f.frames.len() as u32)
    }

    /// Bytes queued in `fqid` (sum of the FD lengths).
    pub fn fq_bytes(&self, fqid: u32) -> u64 {
        self.fqs.get(&(fqid & 0xff_ffff)).map_or(0, |f| f.bytes)
    }

    /// The configuration of `fqid`, if it exists.
    pub fn fq_config(&self, fqid: u32) -> Option<FqConfig> {
        self.fqs.get(&(fqid & 0xff_ffff)).map(|f| f.cfg)
    }

    /// Hardware-side enqueue (Rx frames, Tx confirmations): Err if the FQ does not exist.
    pub fn enqueue(&mut self, fqid: u32, fd: &Fd) -> Result<(), QbmanError> {
        self.dirty = true;
        let r = self.enqueue_fd(fqid & 0xff_ffff, fd);
        self.eval_irqs();
        r
    }

    /// Maps a queuing destination's bins to FQIDs (DPNI Tx by QDID: enqueue with target
    /// QD `qdid`, bin `qdbin` goes to `fqids[qdbin]`). The QD priority is not used.
    pub fn qd_configure(&mut self, qdid: u16, fqids: &[u32]) {
        self.dirty = true;
        self.qds.insert(qdid, fqids.iter().map(|f| f & 0xff_ffff).collect());
    }

    /// Pops a buffer address from pool `bpid` (the last one released).
    pub fn bp_acquire(&mut self, bpid: u16) -> Option<u64> {
        self.dirty = true;
        self.pools.get_mut(&(bpid & 0x3fff)).and_then(|s| s.pop())
    }

    /// Pushes a buffer address onto pool `bpid`.
    pub fn bp_release(&mut self, bpid: u16, addr: u64) {
        self.dirty = true;
        let s = self.pools.entry(bpid & 0x3fff).or_default();
        if s.len() < MAX_POOL_BUFS {
            s.push(addr);
        } else {
            self.warn("pool full", || format!("buffer pool {bpid} holds {MAX_POOL_BUFS} buffers: release dropped"));
        }
    }

    /// Free buffers in pool `bpid`.
    pub fn bp_count(&self, bpid: u16) -> u32 {
        self.pools.get(&(bpid & 0x3fff)).map_or(0, |s| s.len() as u32)
    }

    /// Which software portal receives CDANs of `channel`.
    pub fn channel_set_notify_portal(&mut self, channel: u16, portal: u32) {
        self.dirty = true;
        self.channels.entry(channel).or_default().notify = Some(portal);
        self.channel_kick(channel);
        self.eval_irqs();
    }

    /// The portal's own channel (a DPIO in local channel mode): SDQCR source bit 0
    /// statically dequeues it into the portal's DQRR.
    pub fn set_portal_channel(&mut self, portal: u32, channel: u16) {
        self.dirty = true;
        self.portal(portal).channel = Some(channel);
        self.dqrr_fill(portal);
        self.eval_irqs();
    }

    /// Bus-master ID (ICID = SMMU stream ID) for the DMA of portal p.
    pub fn set_portal_icid(&mut self, portal: u32, icid: u16) {
        self.dirty = true;
        self.portal(portal).icid = Some(icid);
    }

    pub fn portal_icid(&self, portal: u32) -> Option<u16> {
        self.portals.get(&portal).and_then(|p| p.icid)
    }

    /// Back to the reset state of the portal's rings and registers (DPIO_RESET); its
    /// ICID and channel stay.
    pub fn portal_reset(&mut self, portal: u32) {
        self.dirty = true;
        let port = self.portal(portal);
        let (icid, channel) = (port.icid, port.channel);
        *port = Portal::new();
        port.icid = icid;
        port.channel = channel;
        self.irqs.retain(|&p| p != portal);
    }

    /// Frames enqueued by software to Hardware-destination FQs since the last call:
    /// (fqid, tag, fd), in enqueue order.
    pub fn take_hw_frames(&mut self) -> Vec<(u32, u64, Fd)> {
        std::mem::take(&mut self.hw_frames)
    }

    /// Nothing for [`Mc::pump_net`](crate::fslmc::Mc) to move: no state change since the
    /// last [`Qbman::expire_holdoff`], no frame for hardware, no IRQ edge untaken.
    pub fn idle(&self) -> bool {
        !self.dirty && self.hw_frames.is_empty() && self.irqs.is_empty()
    }

    /// Portals whose interrupt line rose since the last call (each once, in order). The
    /// IRQ hold-off period is taken to end here ([`Qbman::expire_holdoff`]): the caller
    /// polls after each access, so a DQRR entry below the threshold is never stranded.
    pub fn take_irqs(&mut self) -> Vec<u32> {
        self.expire_holdoff();
        std::mem::take(&mut self.irqs)
    }

    /// Whether `expire_holdoff` would change nothing now.
    pub fn holdoff_clean(&self) -> bool {
        !self.dirty
    }

    /// The IRQ hold-off period elapsed: DQRR entries below the DQRR_ITR threshold now
    /// raise DQRI (no timer is modelled; `take_irqs` calls this).
    pub fn expire_holdoff(&mut self) {
        // Clean: every portal's hold-off flag is clear and its line equals its level
        // since the last scan, so the scan below would change nothing.
        if !self.dirty {
            return;
        }
        self.dirty = false;
        for port in self.portals.values_mut() {
            if port.holdoff_pending && port.fill() > 0 {
                port.raise(IRQ_DQRI);
            }
            port.holdoff_pending = false;
        }
        self.eval_irqs();
    }

    // ------------------------------------------------------------------ MMIO

    pub fn read(&mut self, off: u64, size: Size) -> MmioResult<u64> {
        self.dirty = true;
        let (p, _cinh, reg) = Self::split(off).ok_or(MmioError::NoRegister)?;
        let n = size.bytes();
        if reg < RING_END {
            // The ring area is memory (CENA is mapped cacheable or write-combined): any
            // alignment, but not across its end.
            if reg + n as u64 > RING_END {
                return Err(MmioError::Unaligned);
            }
            let Some(port) = self.portals.get(&p) else { return Ok(0) };
            let mut b = [0u8; 8];
            b[..n].copy_from_slice(&port.ring[reg as usize..reg as usize + n]);
            return Ok(u64::from_le_bytes(b));
        }
        if size != Size::B4 {
            return Err(MmioError::BadSize);
        }
        let port = self.portal(p);
        let v = match reg {
            EQCR_PI => (port.eqcr & 0xf) as u32 | ring_vb(port.eqcr) as u32,
            EQCR_CI => (port.eqcr & 0xf) as u32,
            EQAR => AR_SUCCESS | (port.eqcr & 7) as u32 | ring_vb(port.eqcr) as u32,
            RAR => AR_SUCCESS | port.rcr_next as u32 | port.rcr_vb[port.rcr_next as usize] as u32,
            DQPI => (port.dqrr_pi & 0xf) as u32,
            DQRR_ITR => port.dqrr_itr,
            DCAP => port.dcap,
            SDQCR => port.sdqcr,
            RCR_PI => port.rcr_pi,
            SWP_CFG => port.swp_cfg,
            ISR => port.isr,
            IER => port.ier,
            ISDR => port.isdr,
            IIR => port.iir,
            ITPR => port.itpr,
            _ => {
                self.warn(&format!("read {reg:#x}"), || format!("read of portal offset {reg:#x} is not implemented (reads 0)"));
                0
            }
        };
        Ok(v as u64)
    }

    pub fn write(&mut self, off: u64, size: Size, val: u64, dma: &mut dyn DmaSpace) -> MmioResult<()> {
        self.dirty = true;
        let (p, _cinh, reg) = Self::split(off).ok_or(MmioError::NoRegister)?;
        let n = size.bytes();
        if reg < RING_END {
            // Memory semantics, as for reads. Linux's memcpy of an EQCR body starts at
            // byte 4 of the entry: unaligned 8-byte stores (arm64 memcpy STPs).
            if reg + n as u64 > RING_END {
                return Err(MmioError::Unaligned);
            }
            let port = self.portal(p);
            port.ring[reg as usize..reg as usize + n].copy_from_slice(&val.to_le_bytes()[..n]);
            // In direct mode the store covering an entry's first byte (the verb) is the
            // trigger; no doorbell is written (reference §5.3). A store of at most 8
            // bytes covers at most one entry start.
            let entry = (reg + n as u64 - 1) & !63;
            if entry >= reg {
                match entry {
                    EQCR..0x200 => self.eqcr_process(p),
                    DQRR..0x400 => self.warn("dqrr store", || format!("store to DQRR entry at {entry:#x} (a QBMan-written ring)")),
                    RCR..0x600 => self.rcr_process(p, ((entry - RCR) / 64) as u8),
                    CR => self.mc_process(p),
                    VDQCR => self.vdq_process(p, dma),
                    _ => {}
                }
                self.eval_irqs();
            }
            return Ok(());
        }
        if size != Size::B4 {
            return Err(MmioError::BadSize);
        }
        let v = val as u32;
        let port = self.portal(p);
        match reg {
            ISR => {
                port.isr &= !v;
                // DQRI stays asserted while its condition holds (entries left unconsumed).
                if port.dqri_due() {
                    port.raise(IRQ_DQRI);
                }
            }
            IER => port.ier = v,
            // Status disable: those bits are no longer set (already set ones stay).
            ISDR => port.isdr = v,
            IIR => {
                port.iir = v;
                // Un-inhibiting with a status still pending raises the line again (the
                // IRQ handler ends with IIR = 0, dpaa2_io_irq).
                let level = port.level();
                if v == 0 && level && !self.irqs.contains(&p) {
                    self.irqs.push(p);
                }
            }
            DQRR_ITR => port.dqrr_itr = v & 0xf,
            ITPR => port.itpr = v,
            SWP_CFG => port.swp_cfg = v,
            RCR_PI => port.rcr_pi = v,
            SDQCR => {
                port.sdqcr = v;
                if v & 0xfffe != 0 {
                    self.warn("sdqcr src", || format!("SDQCR {v:#x}: dequeue sources other than bit 0 (the portal's channel) are not modelled"));
                }
                self.dqrr_fill(p);
            }
            DCAP => {
                port.dcap = v;
                port.dqrr_busy &= !(1u8 << (v & 7));
                self.dqrr_fill(p);
            }
            EQCR_PI | EQCR_CI | EQAR | RAR | DQPI => {
                self.warn(&format!("write {reg:#x}"), || format!("write to read-only portal register {reg:#x} ignored"));
            }
            _ => self.warn(&format!("write {reg:#x}"), || format!("write to portal offset {reg:#x} is not implemented (ignored)")),
        }
        self.eval_irqs();
        Ok(())
    }

    // ------------------------------------------------------------------ engine

    /// Rising edges of the portals' interrupt outputs become entries of `take_irqs`.
    fn eval_irqs(&mut self) {
        for (&p, port) in self.portals.iter_mut() {
            let level = port.level();
            if level && !port.line && !self.irqs.contains(&p) {
                self.irqs.push(p);
            }
            port.line = level;
        }
    }

    /// Puts `fqid` in the service list of its channel if it has frames, is XON and is
    /// scheduled to a channel; takes it out otherwise. An FQ already listed keeps its place.
    fn resched(&mut self, fqid: u32) {
        let want = self.fqs.get(&fqid).and_then(|fq| match fq.cfg.dest {
            FqDest::Channel { channel, prio } if !fq.frames.is_empty() && !fq.xoff => Some((channel, prio & 7)),
            _ => None,
        });
        let cur = self.fqs.get(&fqid).and_then(|f| f.sched);
        if want == cur {
            return;
        }
        if let Some((c, pr)) = cur {
            if let Some(ch) = self.channels.get_mut(&c) {
                ch.active[pr as usize].retain(|&f| f != fqid);
            }
        }
        if let Some((c, pr)) = want {
            self.channels.entry(c).or_default().active[pr as usize].push_back(fqid);
        }
        if let Some(fq) = self.fqs.get_mut(&fqid) {
            fq.sched = want;
        }
    }

    fn enqueue_fd(&mut self, fqid: u32, fd: &Fd) -> Result<(), QbmanError> {
        let Some(fq) = self.fqs.get_mut(&fqid) else { return Err(QbmanError::NoSuchFq(fqid)) };
        match fq.cfg.dest {
            FqDest::Hardware { tag } => {
                if self.hw_frames.len() >= MAX_FRAMES {
                    return Err(QbmanError::Full);
                }
                self.hw_frames.push((fqid, tag, *fd));
                Ok(())
            }
            dest => {
                if self.total_frames >= MAX_FRAMES {
                    return Err(QbmanError::Full);
                }
                fq.frames.push_back(*fd);
                fq.bytes = fq.bytes.wrapping_add(fd_len(fd) as u64);
                self.total_frames += 1;
                if let FqDest::Channel { channel, .. } = dest {
                    self.resched(fqid);
                    self.channel_kick(channel);
                }
                self.fq_kick(fqid);
                Ok(())
            }
        }
    }

    /// Takes the head frame of `fqid`: (fd, frames left, bytes left, user_ctx).
    fn fq_pop(&mut self, fqid: u32) -> Option<(Fd, u32, u64, u64)> {
        let fq = self.fqs.get_mut(&fqid)?;
        if fq.xoff {
            return None;
        }
        let fd = fq.frames.pop_front()?;
        fq.bytes = fq.bytes.wrapping_sub(fd_len(&fd) as u64);
        let r = (fd, fq.frames.len() as u32, fq.bytes, fq.cfg.user_ctx);
        self.total_frames = self.total_frames.saturating_sub(1);
        Some(r)
    }

    /// One frame from `channel` (priority 0 first; `prio` restricts to one work queue):
    /// the head FQ of the list gives its head frame and moves to the back.
    fn channel_pop(&mut self, channel: u16, prio: Option<u8>) -> Option<(u32, Fd, u32, u64, u64)> {
        let ch = self.channels.get_mut(&channel)?;
        let fqid = (0..8u8).filter(|&pr| prio.is_none_or(|x| x == pr)).find_map(|pr| ch.active[pr as usize].pop_front())?;
        if let Some(fq) = self.fqs.get_mut(&fqid) {
            fq.sched = None;
        }
        let r = self.fq_pop(fqid);
        self.resched(fqid);
        r.map(|(fd, n, b, ctx)| (fqid, fd, n, b, ctx))
    }

    /// A 64-byte DQ result (reference §5.5; dpaa2-global.h struct dq).
    fn dq_entry(stat: u8, tok: u8, fqid: u32, frames: u32, bytes: u64, ctx: u64, fd: Option<&Fd>) -> [u8; 64] {
        let mut e = [0u8; 64];
        e[0] = RESULT_DQ;
        e[1] = stat;
        e[7] = tok;
        put32(&mut e, 8, fqid & 0xff_ffff);
        put32(&mut e, 16, bytes as u32);
        put32(&mut e, 20, frames & 0xff_ffff);
        put64(&mut e, 24, ctx);
        if let Some(fd) = fd {
            e[32..64].copy_from_slice(fd);
        }
        e
    }

    /// Delivers what a channel has: to the portal that statically dequeues it, else a
    /// CDAN when armed (then disarmed until the next WQCHAN_CONFIGURE enable).
    fn channel_kick(&mut self, channel: u16) {
        let Some(ch) = self.channels.get(&channel) else { return };
        if !ch.pending() {
            return;
        }
        let pusher = self.portals.iter().find(|(_, port)| port.channel == Some(channel) && port.sdqcr & 1 != 0).map(|(&p, _)| p);
        if let Some(p) = pusher {
            self.dqrr_fill(p);
            return;
        }
        let Some(ch) = self.channels.get_mut(&channel) else { return };
        if !ch.cdan_en {
            return;
        }
        let Some(target) = ch.notify.or(ch.config_portal) else {
            self.warn("cdan target", || format!("channel {channel:#x} has a CDAN armed but no notification portal"));
            return;
        };
        ch.cdan_en = false;
        ch.cdans = ch.cdans.wrapping_add(1);
        // Notification (SCN) format, reference §5.5: verb 0x26, rid = channel id, ctx.
        let mut e = [0u8; 64];
        e[0] = RESULT_CDAN;
        put32(&mut e, 4, channel as u32);
        put64(&mut e, 8, ch.ctx);
        self.dqrr_push(target, e);
    }

    /// An FQ in FQDAN mode with frames and not parked notifies its portal and parks.
    fn fq_kick(&mut self, fqid: u32) {
        let Some(fq) = self.fqs.get_mut(&fqid) else { return };
        let Some(target) = fq.fqdan else { return };
        if fq.parked || fq.xoff || fq.frames.is_empty() {
            return;
        }
        fq.parked = true;
        // Notification (SCN) format, reference §5.5: verb 0x25, rid = FQID, ctx.
        let mut e = [0u8; 64];
        e[0] = RESULT_FQDAN;
        put32(&mut e, 4, fqid);
        put64(&mut e, 8, fq.cfg.user_ctx);
        self.dqrr_push(target, e);
    }

    fn dqrr_push(&mut self, p: u32, e: [u8; 64]) {
        let port = self.portal(p);
        if port.backlog.len() >= MAX_BACKLOG {
            self.warn("dqrr backlog", || format!("portal {p}: DQRR not consumed, {MAX_BACKLOG} entries waiting: entry dropped"));
            return;
        }
        port.backlog.push_back(e);
        self.dqrr_fill(p);
    }

    /// Writes waiting entries, then statically dequeued frames, into free DQRR slots in
    /// ring order (valid bit 0x80 on the first lap, toggled at each wrap).
    fn dqrr_fill(&mut self, p: u32) {
        loop {
            let port = self.portal(p);
            let slot = port.dqrr_pi & 7;
            if port.dqrr_busy & (1 << slot) != 0 {
                break;
            }
            let entry = if let Some(e) = port.backlog.pop_front() {
                e
            } else {
                let (Some(ch), true) = (port.channel, port.sdqcr & 1 != 0) else { break };
                let tok = (port.sdqcr >> 16) as u8;
                let Some((fqid, fd, n, b, ctx)) = self.channel_pop(ch, None) else { break };
                Self::dq_entry(STAT_VALIDFRAME, tok, fqid, n, b, ctx, Some(&fd))
            };
            let port = self.portal(p);
            let base = (DQRR + slot as u64 * 64) as usize;
            port.ring[base..base + 64].copy_from_slice(&entry);
            port.ring[base] = (entry[0] & 0x7f) | ring_vb(port.dqrr_pi);
            port.dqrr_busy |= 1 << slot;
            port.dqrr_pi = (port.dqrr_pi + 1) & 0xf;
            if port.dqri_due() {
                port.raise(IRQ_DQRI);
            } else {
                port.holdoff_pending = true;
            }
        }
    }

    /// EQCR: takes every entry from the current index whose valid bit is the expected one.
    fn eqcr_process(&mut self, p: u32) {
        for _ in 0..RING {
            let port = self.portal(p);
            let pi = port.eqcr;
            let base = (EQCR + (pi & 7) as u64 * 64) as usize;
            let verb = port.ring[base];
            if verb & VB != ring_vb(pi) {
                break;
            }
            let mut e = [0u8; 64];
            e.copy_from_slice(&port.ring[base..base + 64]);
            port.eqcr = (pi + 1) & 0xf;
            port.enqueues = port.enqueues.wrapping_add(1);
            self.eq_command(p, &e);
        }
    }

    /// One enqueue command (reference §5.4; qbman-portal.h struct qbman_eq_desc).
    fn eq_command(&mut self, p: u32, e: &[u8; 64]) {
        let verb = e[0];
        // DCA: discrete consumption acknowledgement of a DQRR entry with the enqueue.
        if e[1] & 0x80 != 0 {
            self.portal(p).dqrr_busy &= !(1u8 << (e[1] & 7));
            self.dqrr_fill(p);
        }
        match verb & 3 {
            0 => return, // enqueue_empty: the entry is consumed, nothing enqueued
            1 => self.warn("eq response", || "enqueue with response-always: responses are not written".to_string()),
            _ => {}
        }
        if verb & 0x04 != 0 {
            self.warn("orp", || "enqueue with order restoration (ORP): ORP ignored, frame enqueued".to_string());
        }
        let tgt = le32(e, 8);
        let fqid = if verb & 0x10 != 0 {
            let qdid = tgt as u16;
            let bin = le16(e, 16) as usize;
            match self.qds.get(&qdid).and_then(|b| b.get(bin)).copied() {
                Some(f) => f,
                None => {
                    self.rejected = self.rejected.wrapping_add(1);
                    self.warn("qd reject", || format!("enqueue to queuing destination {qdid} bin {bin}: not configured, frame rejected"));
                    return;
                }
            }
        } else {
            tgt & 0xff_ffff
        };
        let mut fd = [0u8; 32];
        fd.copy_from_slice(&e[32..64]);
        if let Err(err) = self.enqueue_fd(fqid, &fd) {
            self.rejected = self.rejected.wrapping_add(1);
            self.warn("eq reject", || format!("enqueue rejected: {err}"));
        }
        if verb & 0x08 != 0 {
            self.portal(p).raise(IRQ_EQDI);
        }
    }

    /// RCR slot `slot`: a release command when its valid bit is the slot's expected one.
    fn rcr_process(&mut self, p: u32, slot: u8) {
        let slot = slot & 7;
        let port = self.portal(p);
        let base = (RCR + slot as u64 * 64) as usize;
        let verb = port.ring[base];
        if verb & VB != port.rcr_vb[slot as usize] {
            return;
        }
        let mut e = [0u8; 64];
        e.copy_from_slice(&port.ring[base..base + 64]);
        port.rcr_vb[slot as usize] ^= VB;
        if slot == port.rcr_next {
            port.rcr_next = (slot + 1) & 7;
        }
        let n = (verb & 7) as usize;
        if verb & 0x20 == 0 || n == 0 {
            self.warn("rcr verb", || format!("release command verb {verb:#04x}: not a release of 1-7 buffers, ignored"));
            return;
        }
        let bpid = le16(&e, 2) & 0x3fff;
        for i in 0..n {
            self.bp_release(bpid, le64(&e, 8 + 8 * i));
        }
        if verb & 0x40 != 0 {
            self.portal(p).raise(IRQ_RCDI);
        }
    }

    /// A management command at CR, answered at RR(valid bit) at once (reference §5.3, §5.4).
    fn mc_process(&mut self, p: u32) {
        let port = self.portal(p);
        let verb = port.ring[CR as usize];
        let vb = verb & VB;
        if vb != port.mc_vb || verb & 0x7f == 0 {
            if verb & 0x7f != 0 {
                self.warn("mc vb", || format!("portal {p}: management command verb {verb:#04x} with a stale valid bit ignored"));
            }
            return;
        }
        port.mc_vb ^= VB;
        let mut c = [0u8; 64];
        c.copy_from_slice(&port.ring[CR as usize..CR as usize + 64]);
        let cmd = verb & 0x7f;
        let mut r = [0u8; 64];
        r[0] = cmd | vb;
        r[1] = RSLT_OK;
        match cmd {
            VERB_ACQUIRE => {
                let bpid = le16(&c, 2) & 0x3fff;
                let num = c[4] as usize;
                if num == 0 || num > 7 {
                    self.warn("acquire num", || format!("ACQUIRE of {num} buffers (1-7 allowed) refused"));
                    r[1] = RSLT_ERR;
                } else {
                    // All or nothing (BMan: an acquire of more buffers than the pool holds
                    // returns none).
                    let pool = self.pools.entry(bpid).or_default();
                    if pool.len() >= num {
                        for i in 0..num {
                            let a = pool.pop().unwrap_or(0);
                            put64(&mut r, 8 + 8 * i, a);
                        }
                        r[4] = num as u8;
                    }
                }
            }
            VERB_BP_QUERY => {
                let bpid = le16(&c, 2) & 0x3fff;
                let fill = self.bp_count(bpid);
                // state bit0: pool empty (qbman_bp_info_has_free_bufs is !(state & 1)).
                r[7] = u8::from(fill == 0);
                put32(&mut r, 8, fill);
            }
            VERB_FQ_QUERY_NP => {
                let fqid = le32(&c, 4) & 0xff_ffff;
                if let Some(fq) = self.fqs.get(&fqid) {
                    // st1 bits 2:0 FQ state: 3 truly scheduled (frames, XON), 4 parked.
                    r[2] = if !fq.frames.is_empty() && !fq.xoff { 3 } else { 4 };
                    // st2 bit 1: XOFF.
                    r[3] = if fq.xoff { 0x02 } else { 0 };
                    put32(&mut r, 24, fq.frames.len() as u32 & 0xff_ffff);
                    put32(&mut r, 28, fq.bytes as u32);
                }
                // An FQID never configured is out of service with no frames: all zero.
            }
            VERB_WQCHAN_CONFIGURE => {
                let chid = le16(&c, 2);
                let we = c[4];
                let ch = self.channels.entry(chid).or_default();
                if we & 0x1 != 0 {
                    ch.cdan_en = c[5] & 1 != 0;
                }
                if we & 0x4 != 0 {
                    ch.ctx = le64(&c, 8);
                }
                ch.config_portal = Some(p);
                put16(&mut r, 2, chid);
                // Armed with frames already waiting: the CDAN comes at once (§5.6).
                self.channel_kick(chid);
            }
            VERB_FQ_SCHEDULE | VERB_FQ_FORCE | VERB_FQ_XON | VERB_FQ_XOFF => {
                let fqid = le32(&c, 4) & 0xff_ffff;
                match self.fqs.get_mut(&fqid) {
                    None => {
                        self.warn("alt fq", || format!("FQ state command {cmd:#04x} on FQID {fqid:#x} that does not exist refused"));
                        r[1] = RSLT_ERR;
                    }
                    Some(fq) => {
                        match cmd {
                            VERB_FQ_XOFF => fq.xoff = true,
                            VERB_FQ_XON => fq.xoff = false,
                            // Parked → scheduled (qbman_swp_fq_schedule; the FQDAN re-arm
                            // of dpaa2_io_service_rearm).
                            _ => fq.parked = false,
                        }
                        let dest = fq.cfg.dest;
                        self.resched(fqid);
                        if let FqDest::Channel { channel, .. } = dest {
                            self.channel_kick(channel);
                        }
                        self.fq_kick(fqid);
                    }
                }
            }
            _ => {
                self.warn(&format!("verb {cmd:#x}"), || format!("management command verb {cmd:#04x} is not implemented: error result {RSLT_ERR:#04x}"));
                r[1] = RSLT_ERR;
            }
        }
        let rr = (RR0 + (vb as u64 >> 1)) as usize;
        self.portal(p).ring[rr..rr + 64].copy_from_slice(&r);
    }

    /// A volatile dequeue command at VDQCR (reference §5.4, §5.6): up to numf+1 frames
    /// from a channel, a work queue or an FQ; results to memory (RLS) or to the DQRR;
    /// every command gives at least one result, the last with EXPIRED.
    fn vdq_process(&mut self, p: u32, dma: &mut dyn DmaSpace) {
        let port = self.portal(p);
        let verb = port.ring[VDQCR as usize];
        if verb & VB != port.vdq_vb {
            return;
        }
        port.vdq_vb ^= VB;
        let mut c = [0u8; 64];
        c.copy_from_slice(&port.ring[VDQCR as usize..VDQCR as usize + 64]);
        let want = (c[1] & 0xf) as usize + 1;
        let tok = c[2];
        let src = le32(&c, 4);
        let rsp = le64(&c, 8);
        let dt = (verb >> 2) & 3;
        let mut out: Vec<[u8; 64]> = Vec::with_capacity(want);
        let mut empty_fqid = 0;
        let mut empty_ctx = 0;
        let mut first_fq: Option<u32> = None;
        while out.len() < want {
            let got = match (dt, first_fq) {
                (0 | 1, Some(fqid)) => {
                    let r = self.fq_pop(fqid).map(|(fd, n, b, ctx)| (fqid, fd, n, b, ctx));
                    self.resched(fqid);
                    r
                }
                (0, None) => self.channel_pop(src as u16, None),
                (1, None) => self.channel_pop((src >> 3) as u16, Some((src & 7) as u8)),
                (2, _) => {
                    let fqid = src & 0xff_ffff;
                    empty_fqid = fqid;
                    empty_ctx = self.fqs.get(&fqid).map_or(0, |f| f.cfg.user_ctx);
                    let r = self.fq_pop(fqid).map(|(fd, n, b, ctx)| (fqid, fd, n, b, ctx));
                    self.resched(fqid);
                    r
                }
                _ => {
                    self.warn("vdq type", || format!("volatile dequeue type 3 (verb {verb:#04x}) is reserved: empty result"));
                    None
                }
            };
            let Some((fqid, fd, n, b, ctx)) = got else { break };
            first_fq.get_or_insert(fqid);
            out.push(Self::dq_entry(STAT_VOLATILE | STAT_VALIDFRAME, tok, fqid, n, b, ctx, Some(&fd)));
        }
        if out.is_empty() {
            out.push(Self::dq_entry(STAT_VOLATILE, tok, empty_fqid, 0, 0, empty_ctx, None));
        }
        if let Some(last) = out.last_mut() {
            last[1] |= STAT_EXPIRED;
        }
        let port = self.portal(p);
        port.dequeues = port.dequeues.wrapping_add(out.len() as u64);
        if verb & 0x10 != 0 {
            for (i, e) in out.iter().enumerate() {
                let a = rsp.wrapping_add(64 * i as u64);
                if let Err(err) = dma.write(a, e) {
                    self.warn("vdq dma", || format!("portal {p}: volatile dequeue result to {a:#x} failed ({err}): result lost"));
                }
            }
        } else {
            for e in out {
                self.dqrr_push(p, e);
            }
        }
        self.portal(p).raise(IRQ_VDCI);
    }

    /// Portals, FQs with their counts, channels and pools (for a monitor view).
    pub fn describe(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        for (p, port) in &self.portals {
            let _ = writeln!(
                s,
                "qbman portal {p}: SWP_CFG {:#010x} SDQCR {:#010x} IER {:#x} ISR {:#x} IIR {:#x} EQCR_CI {} DQRR pi {} fill {} icid {} enqueues {} dequeued {}",
                port.swp_cfg,
                port.sdqcr,
                port.ier,
                port.isr,
                port.iir,
                port.eqcr,
                port.dqrr_pi,
                port.fill(),
                port.icid.map_or("-".to_string(), |i| i.to_string()),
                port.enqueues,
                port.dequeues
            );
        }
        for (id, fq) in &self.fqs {
            let dest = match fq.cfg.dest {
                FqDest::None => "none".to_string(),
                FqDest::Channel { channel, prio } => format!("channel {channel:#x} prio {prio}"),
                FqDest::Hardware { tag } => format!("hardware tag {tag:#x}"),
            };
            let fqdan = match (fq.fqdan, fq.parked) {
                (Some(p), false) => format!(" FQDAN to portal {p}"),
                (Some(p), true) => format!(" FQDAN to portal {p} (parked)"),
                (None, _) => String::new(),
            };
            let _ = writeln!(s, "qbman fq {id:#x}: {dest} ctx {:#x} frames {} bytes {}{}{fqdan}", fq.cfg.user_ctx, fq.frames.len(), fq.bytes, if fq.xoff { " XOFF" } else { "" });
        }
        for (id, ch) in &self.channels {
            let pending: usize = ch.active.iter().map(|l| l.len()).sum();
            let _ = writeln!(
                s,
                "qbman channel {id:#x}: cdan {} ctx {:#x} notify {} fqs pending {pending} cdans {}",
                if ch.cdan_en { "armed" } else { "off" },
                ch.ctx,
                ch.notify.or(ch.config_portal).map_or("-".to_string(), |p| format!("portal {p}")),
                ch.cdans
            );
        }
        for (id, pool) in &self.pools {
            let _ = writeln!(s, "qbman pool {id}: {} free buffers", pool.len());
        }
        if self.rejected != 0 {
            let _ = writeln!(s, "qbman: {} enqueues rejected", self.rejected);
        }
        s
    }
}

#[cfg(test)]
mod tests;
