//! QBMan tests. The guest side is replayed as Linux 6.1 does it (drivers/soc/fsl/dpio/
//! qbman-portal.c, dpio-service.c, drivers/net/ethernet/freescale/dpaa2/dpaa2-eth.c): the
//! helpers below mirror the driver's functions (its software state — valid bits, ring
//! indexes — is kept here, not read from the model), and the expected values are worked
//! out from those functions and ls2088a-reference.md §5, cited at each assertion.

use super::*;
use crate::dma::RamDma;

/// Portal p's CINH page offset within the window: 0x400_0000 + p × 64 KiB (reference §4.1:
/// CINH at 0x8_1C00_0000 + p·0x10000, window base 0x8_1800_0000).
fn cinh(p: u64, reg: u64) -> u64 {
    0x400_0000 + p * 0x1_0000 + reg
}

fn cena(p: u64, reg: u64) -> u64 {
    p * 0x1_0000 + reg
}

const RAM: u64 = 0x8000_0000;

/// The machine side: the model plus a DMA space of guest RAM.
struct Rig {
    q: Qbman,
    ram: RamDma,
}

/// Linux's `struct qbman_swp` software state for one portal (qbman-portal.h), with the
/// driver's functions as methods. Register and ring accesses go through the CINH page as
/// with a 2-region DPIO (reference §4.7).
struct Swp {
    p: u64,
    mc_vb: u8,
    vdq_vb: u8,
    dqrr_next: u8,
    dqrr_vb: u8,
    eqcr_pi: u8,
    eqcr_vb: u8,
    eqcr_ci: u8,
    eqcr_avail: u8,
}

impl Rig {
    fn new() -> Rig {
        Rig { q: Qbman::new(), ram: RamDma::new(RAM, 0x10_0000) }
    }
    fn w(&mut self, off: u64, size: Size, v: u64) {
        self.q.write(off, size, v, &mut self.ram).unwrap();
    }
    fn r(&mut self, off: u64, size: Size) -> u64 {
        self.q.read(off, size).unwrap()
    }
    fn w32(&mut self, p: u64, reg: u64, v: u32) {
        self.w(cinh(p, reg), Size::B4, v as u64);
    }
    fn r32(&mut self, p: u64, reg: u64) -> u32 {
        self.r(cinh(p, reg), Size::B4) as u32
    }
    /// Stores `bytes` at `reg` with 8-byte stores where aligned, else byte stores (never
    /// touching anything outside the range: the caller keeps byte 0 of an entry last).
    fn store(&mut self, p: u64, reg: u64, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            let a = reg + i as u64;
            if a.is_multiple_of(8) && i + 8 <= bytes.len() {
                let mut b = [0u8; 8];
                b.copy_from_slice(&bytes[i..i + 8]);
                self.w(cinh(p, a), Size::B8, u64::from_le_bytes(b));
                i += 8;
            } else {
                self.w(cinh(p, a), Size::B1, bytes[i] as u64);
                i += 1;
            }
        }
    }
    fn load64(&mut self, p: u64, reg: u64) -> [u8; 64] {
        let mut e = [0u8; 64];
        for i in 0..8 {
            let v = self.r(cinh(p, reg + 8 * i), Size::B8);
            e[8 * i as usize..8 * i as usize + 8].copy_from_slice(&v.to_le_bytes());
        }
        e
    }
    fn mem(&self, pa: u64, len: usize) -> &[u8] {
        let o = (pa - RAM) as usize;
        &self.ram.data[o..o + len]
    }

    /// qbman_swp_init + dpaa2_io_create for QMan 4.1 (reference §5.2).
    fn swp_init(&mut self, p: u64) -> Swp {
        // qbman_set_swp_cfg(8, 1, 0, 3, 2, 2, 1, 1, 1, 1, 0, 0) = 0x00807A3C.
        self.w32(p, 0xd00, 0x0080_7a3c);
        assert_ne!(self.r32(p, 0xd00), 0, "qbman: the portal is not enabled!");
        self.w32(p, 0xb00, 0);
        let pi = self.r32(p, 0x800);
        let ci = self.r32(p, 0x840);
        // qbman_swp_set_irq_coalescing(p, 8 - 1, 0): DQRR_ITR, ITPR.
        self.w32(p, 0xa80, 7);
        self.w32(p, 0xf40, 0);
        // dpaa2_io_create: IER = DQRI, ISR <- ~0, SDQCR = 0x21BB0001 (push_set(0, 1)).
        self.w32(p, 0xe40, 0x04);
        self.w32(p, 0xe00, 0xffff_ffff);
        self.w32(p, 0xb00, 0x21bb_0001);
        Swp {
            p,
            mc_vb: 0x80,
            vdq_vb: 0x80,
            dqrr_next: 0,
            dqrr_vb: 0x80,
            eqcr_pi: (pi & 0xf) as u8,
            eqcr_vb: (pi & 0x80) as u8,
            eqcr_ci: (ci & 0xf) as u8,
            eqcr_avail: 8,
        }
    }

    /// qbman_swp_mc_start/submit/result: body into CR, the verb byte (with the valid
    /// bit) last, the result read at RR(vb) = 0x700 + (vb >> 1); "no response" if the
    /// result verb without the valid bit is 0.
    fn mc(&mut self, s: &mut Swp, verb: u8, body: &[(usize, &[u8])]) -> [u8; 64] {
        for (o, b) in body {
            self.store(s.p, 0x600 + *o as u64, b);
        }
        self.w(cinh(s.p, 0x600), Size::B1, (verb | s.mc_vb) as u64);
        let rr = 0x700 + (s.mc_vb as u64 >> 1);
        let r = self.load64(s.p, rr);
        assert_ne!(u32::from_le_bytes([r[0], r[1], r[2], r[3]]) & !0x80, 0, "no response to verb {verb:#x}");
        s.mc_vb ^= 0x80;
        r
    }

    /// qbman_swp_CDAN_set(ch, we, en, ctx) (WQCHAN_CONFIGURE 0x46).
    fn cdan_set(&mut self, s: &mut Swp, ch: u16, we: u8, en: bool, ctx: u64) -> [u8; 64] {
        self.mc(s, 0x46, &[(2, &ch.to_le_bytes()), (4, &[we, en as u8]), (8, &ctx.to_le_bytes())])
    }

    /// qbman_swp_enqueue_multiple_direct for one frame: false when the ring is full.
    fn enqueue(&mut self, s: &mut Swp, desc: &[u8; 32], fd: &Fd) -> bool {
        if s.eqcr_avail == 0 {
            let old = s.eqcr_ci;
            s.eqcr_ci = (self.r32(s.p, 0x840) & 0xf) as u8;
            // qm_cyc_diff(8, old, new)
            s.eqcr_avail = if old <= s.eqcr_ci { s.eqcr_ci - old } else { 16 - (old - s.eqcr_ci) };
            if s.eqcr_avail == 0 {
                return false;
            }
        }
        s.eqcr_avail -= 1;
        let e = (s.eqcr_pi as u64 & 7) * 64; // QBMAN_CENA_SWP_EQCR(n) = 0x000 + 64 n
        // memcpy(&p[1], &cl[1], 28) then memcpy(&p[8], fd, 32). arm64 memcpy.S for
        // 16..32 bytes: STP of 16 bytes at dst and at dstend - 16 (overlapping), i.e.
        // 8-byte stores at +4, +12 (unaligned), +16, +24, then +32, +40, +48, +56.
        let mut line = [0u8; 64];
        line[4..32].copy_from_slice(&desc[4..32]);
        line[32..64].copy_from_slice(fd);
        for o in [4usize, 12, 16, 24, 32, 40, 48, 56] {
            let v = u64::from_le_bytes(line[o..o + 8].try_into().unwrap());
            self.w(cinh(s.p, e + o as u64), Size::B8, v);
        }
        // p[0] = cl[0] | pi_vb: a 32-bit store of verb, dca, seqnum.
        let cl0 = u32::from_le_bytes([desc[0], desc[1], desc[2], desc[3]]);
        self.w(cinh(s.p, e), Size::B4, (cl0 | s.eqcr_vb as u32) as u64);
        s.eqcr_pi = (s.eqcr_pi + 1) & 0xf;
        if s.eqcr_pi & 7 == 0 {
            s.eqcr_vb ^= 0x80;
        }
        true
    }

    /// qbman_swp_release_direct.
    fn release(&mut self, s: &Swp, bpid: u16, bufs: &[u64]) {
        let rar = self.r32(s.p, 0xcc0);
        assert_ne!(rar & 0x100, 0, "RAR_SUCCESS");
        let e = 0x400 + (rar as u64 & 7) * 64;
        for (i, b) in bufs.iter().enumerate() {
            self.store(s.p, e + 8 + 8 * i as u64, &b.to_le_bytes());
        }
        self.w(cinh(s.p, e + 2), Size::B2, bpid as u64);
        // qbman_release_desc_clear sets verb 1 << 5; | RAR_VB | num_buffers.
        self.w(cinh(s.p, e), Size::B1, (0x20 | (rar & 0x80) | bufs.len() as u32) as u64);
    }

    /// qbman_swp_acquire: returns the buffers or None for a non-OK result.
    fn acquire(&mut self, s: &mut Swp, bpid: u16, num: u8) -> Option<Vec<u64>> {
        let r = self.mc(s, 0x30, &[(2, &bpid.to_le_bytes()), (4, &[num])]);
        assert_eq!(r[0] & 0x7f, 0x30, "WARN_ON((r->verb & 0x7f) != QBMAN_MC_ACQUIRE)");
        if r[1] != 0xf0 {
            return None;
        }
        Some((0..r[4] as usize).map(|i| u64::from_le_bytes(r[8 + 8 * i..16 + 8 * i].try_into().unwrap())).collect())
    }

    /// qbman_swp_pull_direct: numf, tok = 1, dq_src, rsp_addr, then the verb with vb.
    fn pull(&mut self, s: &mut Swp, verb: u8, frames: u8, src: u32, rsp: u64) {
        self.w(cinh(s.p, 0x781), Size::B1, (frames - 1) as u64);
        self.w(cinh(s.p, 0x782), Size::B1, 1);
        self.w(cinh(s.p, 0x784), Size::B4, src as u64);
        self.w(cinh(s.p, 0x788), Size::B8, rsp);
        self.w(cinh(s.p, 0x780), Size::B1, (verb | s.vdq_vb) as u64);
        s.vdq_vb ^= 0x80;
    }

    /// qbman_swp_dqrr_next_direct: the entry at next_idx if its valid bit is expected.
    fn dqrr_next(&mut self, s: &mut Swp) -> Option<(u8, [u8; 64])> {
        let idx = s.dqrr_next;
        let e = self.load64(s.p, 0x200 + idx as u64 * 64);
        if e[0] & 0x80 != s.dqrr_vb {
            return None;
        }
        s.dqrr_next = (s.dqrr_next + 1) & 7;
        if s.dqrr_next == 0 {
            s.dqrr_vb ^= 0x80;
        }
        Some((idx, e))
    }

    /// qbman_swp_dqrr_consume: DCAP = index.
    fn consume(&mut self, s: &Swp, idx: u8) {
        self.w32(s.p, 0xac0, idx as u32);
    }

    /// dpaa2_io_irq: read ISR, walk and consume the DQRR, clear ISR, IIR = 0. Returns the
    /// notifications' contexts (it calls ctx->cb for each SCN; a DQ entry would be
    /// "Unrecognised/ignored").
    fn irq_handler(&mut self, s: &mut Swp) -> Vec<u64> {
        let status = self.r32(s.p, 0xe00);
        assert_ne!(status, 0, "IRQ_NONE");
        let mut ctxs = vec![];
        while let Some((idx, e)) = self.dqrr_next(s) {
            assert_ne!(e[0] & 0x7f, 0x60, "fsl-mc-dpio: Unrecognised/ignored DQRR entry");
            ctxs.push(u64::from_le_bytes(e[8..16].try_into().unwrap()));
            self.consume(s, idx);
        }
        self.w32(s.p, 0xe00, status);
        self.w32(s.p, 0xec0, 0);
        ctxs
    }
}

fn fd(addr: u64, len: u32, bpid: u16) -> Fd {
    let mut f = [0u8; 32];
    f[0..8].copy_from_slice(&addr.to_le_bytes());
    f[8..12].copy_from_slice(&len.to_le_bytes());
    f[12..14].copy_from_slice(&bpid.to_le_bytes());
    f[14..16].copy_from_slice(&0x100u16.to_le_bytes()); // offset 256, format single
    f
}

/// An enqueue descriptor as qbman_eq_desc_clear + set_no_orp(0) + set_fq(fqid):
/// verb = enqueue_rejects_to_fq (2), tgtid at bytes 8-11.
fn eq_desc_fq(fqid: u32) -> [u8; 32] {
    let mut d = [0u8; 32];
    d[0] = 2;
    d[8..12].copy_from_slice(&fqid.to_le_bytes());
    d
}

fn u32_at(e: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(e[o..o + 4].try_into().unwrap())
}
fn u64_at(e: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(e[o..o + 8].try_into().unwrap())
}

/// The register sequence of qbman_swp_init + dpaa2_io_create for QMan 4.1 (reference §5.2).
#[test]
fn linux_swp_init_sequence_finds_an_enabled_portal() {
    let mut g = Rig::new();
    let p = 3;
    // qbman_set_swp_cfg(8, 1, 0, 3, 2, 2, 1, 1, 1, 1, 0, 0):
    // 8<<20 | 1<<14 | 3<<12 | 2<<10 | 2<<8 | 1<<5 | 1<<4 | 1<<3 | 1<<2 = 0x00807A3C.
    let cfg = (8 << 20) | (1 << 14) | (3 << 12) | (2 << 10) | (2 << 8) | (1 << 5) | (1 << 4) | (1 << 3) | (1 << 2);
    assert_eq!(cfg, 0x0080_7a3c);
    g.w32(p, 0xd00, cfg);
    // "qbman: the portal is not enabled!" iff this reads 0.
    assert_eq!(g.r32(p, 0xd00), 0x0080_7a3c);
    g.w32(p, 0xb00, 0); // SDQCR = 0
    // EQCR_PI: index (bits 3:0 with an 8-entry ring, mask 0xF) and valid bit 0x80.
    let pi = g.r32(p, 0x800);
    assert_eq!(pi & 0xf, 0, "EQCR producer index starts at entry 0");
    assert_eq!(pi & 0x80, 0x80, "EQCR valid bit starts at 1 (the other rings' start value, §5.3)");
    assert_eq!(g.r32(p, 0x840) & 0xf, 0, "EQCR_CI = 0: ring empty");
    // qbman_swp_set_irq_coalescing(p, 8 - 1, 0): DQRR_ITR 0xA80, ITPR 0xF40.
    g.w32(p, 0xa80, 7);
    g.w32(p, 0xf40, 0);
    assert_eq!(g.r32(p, 0xa80), 7);
    // dpaa2_io_create: IER = DQRI (0x04), ISR <- 0xFFFFFFFF, SDQCR = 0x21BB0001.
    g.w32(p, 0xe40, 0x04);
    g.w32(p, 0xe00, 0xffff_ffff);
    // SDQCR: FC up-to-3 (1<<29) | DCT prio-ICS (1<<24) | token 0xBB<<16 | channel 0 bit.
    let sdqcr = (1 << 29) | (1 << 24) | (0xbb << 16) | 1;
    assert_eq!(sdqcr, 0x21bb_0001);
    g.w32(p, 0xb00, sdqcr);
    assert_eq!(g.r32(p, 0xe40), 0x04);
    assert_eq!(g.r32(p, 0xe00), 0, "ISR: nothing pending");
    assert_eq!(g.r32(p, 0xb00), 0x21bb_0001);
    // Another portal is untouched: SWP_CFG still reads 0 ("not enabled").
    assert_eq!(g.r32(4, 0xd00), 0);
    assert!(g.q.warnings.is_empty(), "the init sequence touches only modelled registers: {:?}", g.q.warnings);
    assert!(g.q.take_irqs().is_empty());
}

/// Interrupt registers: ISR is write-1-to-clear (the IRQ handler writes back the status it
/// read), IER/ISDR/IIR read back (IIR is written 0xFFFFFFFF / 0 to inhibit/uninhibit,
/// qbman_swp_interrupt_set_inhibit).
#[test]
fn interrupt_registers() {
    let mut g = Rig::new();
    for (reg, v) in [(0xe40, 0x1f), (0xe80, 0x2), (0xec0, 0xffff_ffff)] {
        g.w32(0, reg, v);
        assert_eq!(g.r32(0, reg), v, "reg {reg:#x}");
    }
    g.w32(0, 0xec0, 0);
    assert_eq!(g.r32(0, 0xec0), 0);
    // ISR cannot be set by software: writing ones clears.
    g.w32(0, 0xe00, 0x4);
    assert_eq!(g.r32(0, 0xe00), 0);
}

/// The ring area (0x000-0x7FF) is storage shared by the CENA and CINH pages of one portal
/// (Linux with 2 regions maps the CINH page for the rings, reference §4.7), separate per
/// portal; EQAR/RAR report a free slot (success bit 0x100, slot 0, valid bit 0x80 at reset).
#[test]
fn ring_area_and_allocation_registers() {
    let mut g = Rig::new();
    g.w(cinh(2, 0x608), Size::B8, 0x1122_3344_5566_7788);
    assert_eq!(g.r(cena(2, 0x608), Size::B8), 0x1122_3344_5566_7788);
    assert_eq!(g.r(cena(2, 0x60c), Size::B4), 0x1122_3344);
    assert_eq!(g.r(cena(1, 0x608), Size::B8), 0, "portal 1 is separate");
    for reg in [0x8c0, 0xcc0] {
        let v = g.r32(5, reg);
        assert_eq!(v & 0x100, 0x100, "{reg:#x}: success");
        assert_eq!(v & 0x7, 0, "{reg:#x}: slot 0");
        assert_eq!(v & 0x80, 0x80, "{reg:#x}: valid bit");
    }
    // A verb with the wrong valid bit (0x00 while the first command needs 0x80) is not a
    // command: no result in either RR slot.
    g.w(cinh(2, 0x600), Size::B1, 0x46);
    assert_eq!(g.r(cinh(2, 0x700), Size::B8), 0);
    assert_eq!(g.r(cinh(2, 0x740), Size::B8), 0);
}

/// Bad accesses are errors, not panics: registers are 32-bit, ring accesses aligned,
/// offsets beyond the 128 MiB window rejected; the last portal (1023) is reachable.
#[test]
fn bad_accesses() {
    let mut g = Rig::new();
    assert_eq!(g.q.read(cinh(0, 0xd00), Size::B8), Err(MmioError::BadSize));
    assert_eq!(g.q.write(cinh(0, 0xd00), Size::B2, 1, &mut g.ram), Err(MmioError::BadSize));
    // The ring area is memory: unaligned accesses work (memcpy), crossing its end not.
    g.w(cinh(0, 0x605), Size::B8, 0x0102_0304_0506_0708);
    assert_eq!(g.r(cinh(0, 0x604), Size::B8), 0x0203_0405_0607_0800);
    assert_eq!(g.q.read(cinh(0, 0x7fc), Size::B8), Err(MmioError::Unaligned));
    assert_eq!(g.q.read(0x800_0000, Size::B4), Err(MmioError::NoRegister));
    assert_eq!(g.q.read(u64::MAX, Size::B4), Err(MmioError::NoRegister));
    assert_eq!(g.q.write(u64::MAX, Size::B4, 0, &mut g.ram), Err(MmioError::NoRegister));
    g.w32(1023, 0xd00, 1);
    assert_eq!(g.r32(1023, 0xd00), 1);
    assert_eq!(Qbman::portal_of(cinh(1023, 0x600)), Some(1023));
    assert_eq!(Qbman::portal_of(cena(7, 0x780)), Some(7));
    assert_eq!(Qbman::portal_of(0x800_0000), None);
    // An unmodelled offset (QMan 5 memory-backed layout) reads 0 with a warning.
    assert_eq!(g.r32(0, 0x1600), 0);
    assert_eq!(g.q.take_warnings().len(), 1);
}

/// The dpaa2-eth notification cycle (reference §5.6; dpaa2-eth.c dpaa2_eth_setup_dpio,
/// dpaa2_eth_poll; dpio-service.c dpaa2_io_irq, dpaa2_io_service_rearm):
/// WQCHAN_CONFIGURE arms the channel, a frame arriving on an FQ of the channel gives one
/// CDAN in the notify portal's DQRR and one interrupt, NAPI pulls the channel 16 frames at
/// a time into a store, re-arming with frames left gives a new CDAN at once.
#[test]
fn cdan_pull_rearm_cycle_as_dpaa2_eth() {
    let mut g = Rig::new();
    let mut s = g.swp_init(1);
    g.q.set_portal_icid(1, 23);
    assert_eq!(g.q.portal_icid(1), Some(23));
    let (ch, fqid, fq_ctx, cdan_ctx) = (0x21u16, 0x42u32, 0xffff_0000_1234_5678u64, 0xffff_8000_dead_beefu64);
    // DPNI_SET_QUEUE(RX, dest DPCON, prio 1, user_ctx = FQ pointer) → an FQ on the channel.
    g.q.fq_configure(fqid, FqConfig { dest: FqDest::Channel { channel: ch, prio: 1 }, user_ctx: fq_ctx });
    g.q.channel_set_notify_portal(ch, 1);
    // dpaa2_io_service_register → qbman_swp_CDAN_set_context_enable: we = EN | CTX (0x5).
    let r = g.cdan_set(&mut s, ch, 0x1 | 0x4, true, cdan_ctx);
    assert_eq!(r[0] & 0x7f, 0x46, "result verb echoes WQCHAN_CONFIGURE");
    assert_eq!(r[1], 0xf0, "QBMAN_MC_RSLT_OK");
    assert_eq!(u16::from_le_bytes([r[2], r[3]]), ch, "qbman_cdan_ctrl_rslt.ch");
    assert!(g.dqrr_next(&mut s).is_none(), "armed on an empty channel: no CDAN yet");
    assert!(g.q.take_irqs().is_empty());

    // 20 Rx frames arrive (hardware enqueue by the DPNI model).
    for i in 0..20u64 {
        g.q.enqueue(fqid, &fd(0x9000_0000 + i * 0x1000, 60 + i as u32, 0)).unwrap();
    }
    assert_eq!(g.q.fq_frames(fqid), 20);
    // ISR.DQRI (0x04) set, one interrupt for the portal (IER = DQRI, IIR = 0).
    assert_eq!(g.r32(1, 0xe00) & 0x04, 0x04);
    assert_eq!(g.q.take_irqs(), vec![1], "exactly one interrupt for 20 frames: CDAN disarms");
    // dpaa2_io_irq: one SCN whose ctx is the registered notification context.
    let e = g.load64(1, 0x200);
    assert_eq!(e[0], 0x26 | 0x80, "CDAN verb with the DQRR's first-lap valid bit (§5.3, §5.5)");
    assert_eq!(u32_at(&e, 4) & 0xff_ffff, ch as u32, "rid = channel id (SCN_RID_MASK)");
    assert_eq!(g.irq_handler(&mut s), vec![cdan_ctx]);
    assert_eq!(g.r32(1, 0xe00), 0, "DQRR empty after consumption: DQRI stays clear");
    assert!(g.q.take_irqs().is_empty(), "IIR = 0 with nothing pending raises nothing");

    // NAPI poll: dpaa2_io_service_pull_channel(16 frames): verb = RLS (0x10) | WAE (0x20)
    // | DCT prio (1), type channel (0) = 0x31; tok 1; results into the 16-entry store.
    let store = RAM + 0x1000;
    g.pull(&mut s, 0x31, 16, ch as u32, store);
    for i in 0..16usize {
        let r = g.mem(store + 64 * i as u64, 64).to_vec();
        assert_eq!(r[7], 1, "tok = QMAN_DQ_TOKEN_VALID (qbman_result_has_new_result)");
        // DPAA2_DQ_STAT_VOLATILE | VALIDFRAME, the 16th also EXPIRED (pull complete).
        assert_eq!(r[1], if i == 15 { 0x13 } else { 0x12 }, "stat of result {i}");
        assert_eq!(u32_at(&r, 8) & 0xff_ffff, fqid, "fqid");
        assert_eq!(u64_at(&r, 24), fq_ctx, "fqd_ctx = the FQ's user context (dpaa2-eth casts it)");
        assert_eq!(r[32..64], fd(0x9000_0000 + i as u64 * 0x1000, 60 + i as u32, 0), "FD {i} in FIFO order");
    }
    assert_eq!(g.q.fq_frames(fqid), 4);
    // dpaa2_io_service_rearm → qbman_swp_CDAN_enable: we = EN (0x1), ctrl 1; 4 frames are
    // still queued, so the CDAN comes at once (§5.6), with the context set before.
    let r = g.cdan_set(&mut s, ch, 0x1, true, 0);
    assert_eq!(r[1], 0xf0);
    assert_eq!(g.q.take_irqs(), vec![1]);
    let (idx, e) = g.dqrr_next(&mut s).expect("immediate CDAN at re-arm");
    assert_eq!((idx, e[0]), (1, 0xa6), "second DQRR slot, still the first lap");
    assert_eq!(u64_at(&e, 8), cdan_ctx, "ctx kept (we did not include CTX)");
    g.consume(&s, idx);
    g.w32(1, 0xe00, 0x04);
    g.w32(1, 0xec0, 0);
    // Second pull: 4 frames, the 4th EXPIRED; Linux zeroed tok of the results it read.
    for i in 0..16u64 {
        g.ram.data[(store - RAM + 64 * i + 7) as usize] = 0;
    }
    g.pull(&mut s, 0x31, 16, ch as u32, store);
    for i in 0..4usize {
        let r = g.mem(store + 64 * i as u64, 64).to_vec();
        assert_eq!((r[7], r[1]), (1, if i == 3 { 0x13 } else { 0x12 }), "result {i}");
        assert_eq!(r[32..40], (0x9000_0000 + (16 + i as u64) * 0x1000).to_le_bytes());
    }
    assert_eq!(g.mem(store + 64 * 4, 64)[7], 0, "no fifth result");
    // Re-arm on an empty channel: no CDAN; the next frame brings one.
    g.cdan_set(&mut s, ch, 0x1, true, 0);
    assert!(g.dqrr_next(&mut s).is_none());
    assert!(g.q.take_irqs().is_empty());
    g.q.enqueue(fqid, &fd(0xa000_0000, 64, 0)).unwrap();
    assert_eq!(g.q.take_irqs(), vec![1]);
    assert_eq!(g.irq_handler(&mut s), vec![cdan_ctx]);
}

/// FQDAN (DPNI_DEST_DPIO, dpni.h; dpaa2-switch.c's FQ poll): a frame arriving in an FQ
/// in notification mode gives one FQDAN (QBMAN_RESULT_FQDAN 0x25, ctx = the FQ context)
/// in the portal's DQRR; the driver pulls the FQ (dpaa2_io_service_pull_fq: verb 0x39)
/// and re-arms with FQ_SCHEDULE (dpaa2_io_service_rearm, is_cdan = 0), which notifies
/// again at once when frames are left.
#[test]
fn fqdan_cycle_as_dpaa2_switch() {
    let mut g = Rig::new();
    let mut s = g.swp_init(2);
    let (fqid, ctx) = (0x901u32, 0xffff_0000_aaaa_0001u64);
    g.q.fq_configure(fqid, FqConfig { dest: FqDest::None, user_ctx: ctx });
    g.q.fq_set_notification(fqid, Some(2));
    assert!(g.q.take_irqs().is_empty());
    for i in 0..5 {
        g.q.enqueue(fqid, &fd(0, 100 + i, 0)).unwrap();
    }
    assert_eq!(g.q.take_irqs(), vec![2]);
    let e = g.load64(2, 0x200);
    assert_eq!(e[0], 0x25 | 0x80);
    assert_eq!(u32_at(&e, 4) & 0xff_ffff, fqid, "rid = FQID");
    assert_eq!(g.irq_handler(&mut s), vec![ctx], "one FQDAN for 5 frames: the FQ parks");
    let store = RAM + 0x8000;
    g.pull(&mut s, 0x39, 3, fqid, store);
    assert_eq!(g.mem(store + 128, 64)[1], 0x13, "third result expires the pull");
    let r = g.mc(&mut s, 0x48, &[(4, &fqid.to_le_bytes())]);
    assert_eq!((r[0] & 0x7f, r[1]), (0x48, 0xf0));
    assert_eq!(g.q.take_irqs(), vec![2], "2 frames left: FQDAN at re-arm");
    assert_eq!(g.irq_handler(&mut s), vec![ctx]);
    g.pull(&mut s, 0x39, 16, fqid, store);
    assert_eq!((g.mem(store + 64, 64)[1], u32_at(g.mem(store + 64, 64), 40)), (0x13, 104));
    g.mc(&mut s, 0x48, &[(4, &fqid.to_le_bytes())]);
    assert!(g.q.take_irqs().is_empty(), "empty at re-arm: no FQDAN");
    g.q.enqueue(fqid, &fd(0, 1, 0)).unwrap();
    assert_eq!(g.q.take_irqs(), vec![2]);
}

/// A pull of an empty channel / FQ still writes one result: stat VOLATILE | EXPIRED
/// without VALIDFRAME, tok 1 (dpaa2_io_store_next returns NULL with is_last = 1; Linux
/// re-enables the VDQCR only when it reads result 0, reference §5.4, §5.5).
#[test]
fn empty_pull_writes_one_expired_result() {
    let mut g = Rig::new();
    let mut s = g.swp_init(0);
    g.q.fq_configure(0x77, FqConfig { dest: FqDest::None, user_ctx: 0xabcd });
    let store = RAM + 0x4000;
    g.ram.data[0x4000 + 64 + 7] = 0x55; // a stale byte in result 1: must stay
    // dpaa2_io_service_pull_fq: qbman_pull_desc_set_fq → DCT 1 | type FQ (2 << 2), RLS, WAE.
    g.pull(&mut s, 0x31 | 0x08, 16, 0x77, store);
    let r = g.mem(store, 64).to_vec();
    assert_eq!((r[1], r[7]), (0x03, 1));
    assert_eq!(g.mem(store + 64, 64)[7], 0x55, "exactly one result");
    // Channel pull of a channel nothing was ever scheduled to.
    g.pull(&mut s, 0x31, 16, 0x5, store + 0x400);
    let r = g.mem(store + 0x400, 64).to_vec();
    assert_eq!((r[1], r[7]), (0x03, 1));
    // ISR.VDCI (0x20): volatile dequeue command complete (QBMAN_SWP_INTERRUPT_VDCI).
    assert_eq!(g.r32(0, 0xe00) & 0x20, 0x20);
    assert!(g.q.take_irqs().is_empty(), "VDCI is not enabled in IER (dpaa2_io_create sets DQRI only)");
}

/// A volatile dequeue without RLS (qbman_pull_desc_set_storage(NULL) clears bit 4): the
/// results go to the DQRR as DQ entries (verb 0x60 | valid bit), the last with
/// VOLATILE | EXPIRED — what qbman_swp_dqrr_next_direct watches to make the VDQCR
/// available again.
#[test]
fn pull_without_storage_goes_to_the_dqrr() {
    let mut g = Rig::new();
    let mut s = g.swp_init(4);
    g.q.fq_configure(0x88, FqConfig { dest: FqDest::None, user_ctx: 0x5150 });
    for i in 0..3 {
        g.q.enqueue(0x88, &fd(0, 10 + i, 0)).unwrap();
    }
    // qbman_pull_desc_set_fq: DCT 1, type FQ (2 << 2), no RLS: verb 0x09.
    g.pull(&mut s, 0x09, 2, 0x88, 0);
    let mut got = vec![];
    while let Some((idx, e)) = g.dqrr_next(&mut s) {
        got.push((e[0], e[1], u32_at(&e, 8), u64_at(&e, 24), u32_at(&e, 40)));
        g.consume(&s, idx);
    }
    assert_eq!(got, vec![(0xe0, 0x12, 0x88, 0x5150, 10), (0xe0, 0x13, 0x88, 0x5150, 11)]);
    assert_eq!(g.q.fq_frames(0x88), 1);
    assert_eq!(g.q.take_irqs(), vec![4], "DQRR entries raise DQRI");
}

/// Buffer pools: dpaa2_eth_seed_pool releases buffers 7 per command through the RCR
/// (qbman_swp_release_direct: RAR gives slot and valid bit); BMan pools are stacks, so
/// the last command's buffers come back first; ACQUIRE is all-or-nothing
/// (dpaa2_eth_drain_pool acquires 7 until 0 then 1 until 0, relying on it); BP_QUERY's
/// fill is the free-buffer count (qbman_bp_info_num_free_bufs).
#[test]
fn release_then_acquire_and_bp_query() {
    let mut g = Rig::new();
    let mut s = g.swp_init(2);
    let bpid = 3;
    let a: Vec<u64> = (0..7).map(|i| 0x8_8000_0000 + i * 0x800).collect();
    let b: Vec<u64> = (0..7).map(|i| 0x8_9000_0000 + i * 0x800).collect();
    g.release(&s, bpid, &a);
    g.release(&s, bpid, &b);
    // RAR moved on by 2 slots (array mode, one slot per command).
    assert_eq!(g.r32(2, 0xcc0) & 7, 2);
    let r = g.mc(&mut s, 0x32, &[(2, &bpid.to_le_bytes())]);
    assert_eq!((r[0] & 0x7f, r[1]), (0x32, 0xf0));
    assert_eq!(u32_at(&r, 8), 14, "fill = 14 free buffers");
    let mut got = g.acquire(&mut s, bpid, 7).unwrap();
    got.sort();
    assert_eq!(got, b, "LIFO: the 7 buffers released last come first");
    let mut got = g.acquire(&mut s, bpid, 7).unwrap();
    got.sort();
    assert_eq!(got, a);
    assert_eq!(g.acquire(&mut s, bpid, 7).unwrap(), vec![], "empty pool: num = 0 (drain loop ends)");
    // Partial: 3 buffers, acquire 7 → none; then 1 at a time → 3.
    g.release(&s, bpid, &a[..3]);
    assert_eq!(g.acquire(&mut s, bpid, 7).unwrap(), vec![]);
    let mut n = 0;
    while !g.acquire(&mut s, bpid, 1).unwrap().is_empty() {
        n += 1;
    }
    assert_eq!(n, 3);
    let r = g.mc(&mut s, 0x32, &[(2, &bpid.to_le_bytes())]);
    assert_eq!(u32_at(&r, 8), 0);
    // 9 more releases wrap the 8-slot RCR (valid bit toggles per slot reuse).
    for i in 0..9u64 {
        g.release(&s, 4, &[0x1000 * (i + 1)]);
    }
    assert_eq!(g.q.bp_count(4), 9);
    assert_eq!(g.q.bp_acquire(4), Some(0x9000), "API pops the last released");
    // ACQUIRE of 0 or 8 buffers is outside qbman_swp_acquire's 1..7: an error result.
    assert_eq!(g.acquire(&mut s, bpid, 8), None);
    assert!(g.q.take_irqs().is_empty());
}

/// FQ_QUERY_NP (qbman_fq_query_state): frm_cnt at bytes 24-27 (24 bits), byte_cnt at
/// 28-31 (qbman_fq_query_np_rslt); dpaa2-eth's ndo_stop polls it until 0.
#[test]
fn fq_query_np_counts() {
    let mut g = Rig::new();
    let mut s = g.swp_init(0);
    g.q.fq_configure(0x123, FqConfig { dest: FqDest::Channel { channel: 9, prio: 0 }, user_ctx: 0 });
    for len in [100, 200, 300] {
        g.q.enqueue(0x123, &fd(0x1000, len, 0)).unwrap();
    }
    let r = g.mc(&mut s, 0x45, &[(4, &0x123u32.to_le_bytes())]);
    assert_eq!((r[0] & 0x7f, r[1]), (0x45, 0xf0));
    assert_eq!(u32_at(&r, 24) & 0xff_ffff, 3);
    assert_eq!(u32_at(&r, 28), 600);
    // An FQID never configured: no frames.
    let r = g.mc(&mut s, 0x45, &[(4, &0x999u32.to_le_bytes())]);
    assert_eq!(r[1], 0xf0);
    assert_eq!(u32_at(&r, 24) & 0xff_ffff, 0);
    assert_eq!(g.q.fq_bytes(0x123), 600);
    assert_eq!(g.q.enqueue(0x999, &fd(0, 1, 0)), Err(QbmanError::NoSuchFq(0x999)));
}

/// EQCR ring: 20 enqueues the way qbman_swp_enqueue_multiple_direct does them — 8
/// entries from the initial `available`, then EQCR_CI read (& 0xF) whenever it runs out;
/// the valid bit from EQCR_PI toggles each time the index wraps past 7 (§5.3). Every
/// frame must arrive, in order; the final CI is 20 mod 16 = 4.
#[test]
fn eqcr_wrap_over_20_enqueues() {
    let mut g = Rig::new();
    let mut s = g.swp_init(5);
    g.q.fq_configure(0x300, FqConfig { dest: FqDest::None, user_ctx: 0 });
    for i in 0..20u32 {
        assert!(g.enqueue(&mut s, &eq_desc_fq(0x300), &fd(0x1000 * i as u64, i, 0)), "enqueue {i}: ring full");
    }
    assert_eq!(g.q.fq_frames(0x300), 20);
    assert_eq!(s.eqcr_ci, 0, "last CI read after 16 entries: 16 & 0xF");
    assert_eq!(g.r32(5, 0x840) & 0xf, 4);
    assert_eq!(s.eqcr_pi, 4);
    // Pull them back by FQID: FIFO order.
    let store = RAM + 0x2000;
    g.pull(&mut s, 0x39, 16, 0x300, store);
    for i in 0..16u32 {
        let r = g.mem(store + 64 * i as u64, 64).to_vec();
        assert_eq!(u32_at(&r, 40), i, "FD len of frame {i}");
    }
    // Re-storing a consumed entry's verb (stale valid bit) enqueues nothing.
    let v = g.r(cinh(5, 0x000), Size::B4);
    g.w(cinh(5, 0x000), Size::B4, v);
    assert_eq!(g.q.fq_frames(0x300), 4);
    // An enqueue to an FQ that does not exist is rejected (warned), the entry consumed.
    assert!(g.enqueue(&mut s, &eq_desc_fq(0xdead), &fd(0, 1, 0)));
    assert_eq!(g.r32(5, 0x840) & 0xf, 5);
    assert!(g.q.take_warnings().iter().any(|w| w.contains("rejected")));
}

/// Enqueue by queuing destination (DPNI < 7.9: qbman_eq_desc_set_qd(qdid, qdbin, prio):
/// verb bit 4, tgtid = QDID, qdbin at 16-17) to a hardware-consumed (Tx) FQ: the frame
/// goes to take_hw_frames, not to a queue.
#[test]
fn qdid_enqueue_to_hardware_fq() {
    let mut g = Rig::new();
    let mut s = g.swp_init(0);
    g.q.fq_configure(0x50, FqConfig { dest: FqDest::Hardware { tag: 0xa }, user_ctx: 0 });
    g.q.fq_configure(0x51, FqConfig { dest: FqDest::Hardware { tag: 0xb }, user_ctx: 0 });
    g.q.qd_configure(7, &[0x50, 0x51]);
    let mut d = [0u8; 32];
    d[0] = 2 | 1 << 4;
    d[8..12].copy_from_slice(&7u32.to_le_bytes());
    d[16..18].copy_from_slice(&1u16.to_le_bytes());
    let f = fd(0x8_8000_0000, 1514, 0);
    assert!(g.enqueue(&mut s, &d, &f));
    assert!(g.enqueue(&mut s, &eq_desc_fq(0x50), &f));
    assert_eq!(g.q.take_hw_frames(), vec![(0x51, 0xb, f), (0x50, 0xa, f)]);
    assert!(g.q.take_hw_frames().is_empty());
    assert_eq!(g.q.fq_frames(0x51), 0);
}

/// DQRR: 8 entries (QMan ≥ 4.1), produced with valid bit 0x80 on the first lap and 0x00
/// on the second (§5.3); production stops while the next slot is unconsumed (DCAP,
/// DCM = discrete consumption). Static dequeue: SDQCR source bit 0 = the portal's channel,
/// token 0xBB (dpaa2_io_create), stat VALIDFRAME without VOLATILE.
#[test]
fn dqrr_wraps_past_8_entries() {
    let mut g = Rig::new();
    let mut s = g.swp_init(6);
    g.q.fq_configure(0x60, FqConfig { dest: FqDest::Channel { channel: 0x66, prio: 0 }, user_ctx: 0x1234 });
    for i in 0..11u32 {
        g.q.enqueue(0x60, &fd(0, i, 0)).unwrap();
    }
    g.q.set_portal_channel(6, 0x66);
    assert_eq!(g.q.take_irqs(), vec![6], "DQRI with ITPR = 0");
    assert_eq!(g.q.fq_frames(0x60), 3, "8 in the DQRR, 3 waiting for space");
    let mut seen = vec![];
    for _ in 0..8 {
        let (idx, e) = g.dqrr_next(&mut s).unwrap();
        assert_eq!(e[0], 0x60 | 0x80);
        assert_eq!((e[1], e[7]), (0x10, 0xbb));
        assert_eq!(u64_at(&e, 24), 0x1234);
        seen.push((idx, u32_at(&e, 40)));
    }
    assert!(g.dqrr_next(&mut s).is_none());
    assert_eq!(seen, (0..8).map(|i| (i as u8, i as u32)).collect::<Vec<_>>());
    // Consume slots 0..2: frames 8, 9, 10 go there with valid bit 0 (second lap).
    for i in 0..3 {
        g.consume(&s, i);
    }
    for i in 0..3u32 {
        let (idx, e) = g.dqrr_next(&mut s).unwrap();
        assert_eq!((idx, e[0], u32_at(&e, 40)), (i as u8, 0x60, 8 + i));
    }
    assert!(g.dqrr_next(&mut s).is_none());
    assert_eq!(g.r32(6, 0xa00) & 0xf, 11, "DQPI: 11 entries produced (4-bit index with wrap bit)");
}

/// The irq handler's end (ISR cleared, IIR = 0) with an entry still unconsumed raises the
/// interrupt again; an inhibited portal (IIR ≠ 0) raises nothing until IIR = 0.
#[test]
fn iir_inhibit_and_rearm() {
    let mut g = Rig::new();
    let mut s = g.swp_init(0);
    g.q.fq_configure(1, FqConfig { dest: FqDest::Channel { channel: 1, prio: 0 }, user_ctx: 0 });
    g.q.fq_configure(2, FqConfig { dest: FqDest::Channel { channel: 2, prio: 0 }, user_ctx: 0 });
    g.cdan_set(&mut s, 1, 5, true, 11);
    g.cdan_set(&mut s, 2, 5, true, 22);
    g.w32(0, 0xec0, 0xffff_ffff);
    g.q.enqueue(1, &fd(0, 1, 0)).unwrap();
    assert_eq!(g.r32(0, 0xe00), 0x04, "status set");
    assert!(g.q.take_irqs().is_empty(), "inhibited");
    g.w32(0, 0xec0, 0);
    assert_eq!(g.q.take_irqs(), vec![0], "un-inhibit with status pending");
    // A handler that clears ISR without consuming the entry: DQRI stays, IIR = 0 re-raises.
    let st = g.r32(0, 0xe00);
    g.w32(0, 0xe00, st);
    assert_eq!(g.r32(0, 0xe00) & 0x04, 0x04);
    g.w32(0, 0xec0, 0);
    assert_eq!(g.q.take_irqs(), vec![0]);
    assert_eq!(g.irq_handler(&mut s), vec![11]);
    assert!(g.q.take_irqs().is_empty());
    g.q.enqueue(2, &fd(0, 1, 0)).unwrap();
    assert_eq!(g.q.take_irqs(), vec![0]);
    assert_eq!(g.irq_handler(&mut s), vec![22]);
}

/// DQRR_ITR threshold with a non-zero hold-off (qbman_swp_set_irq_coalescing): DQRI as
/// soon as the fill exceeds the threshold; below it, when the hold-off period ends (in the
/// model: at the next take_irqs, the machine's poll).
#[test]
fn dqrr_itr_threshold() {
    let mut g = Rig::new();
    let mut s = g.swp_init(0);
    g.w32(0, 0xa80, 2);
    g.w32(0, 0xf40, 100);
    for c in 1..=3u16 {
        g.q.fq_configure(c as u32, FqConfig { dest: FqDest::Channel { channel: c, prio: 0 }, user_ctx: 0 });
        g.cdan_set(&mut s, c, 5, true, c as u64);
    }
    g.q.enqueue(1, &fd(0, 1, 0)).unwrap();
    g.q.enqueue(2, &fd(0, 1, 0)).unwrap();
    assert_eq!(g.r32(0, 0xe00), 0, "fill 2 ≤ threshold 2: DQRI waits for the hold-off");
    g.q.enqueue(3, &fd(0, 1, 0)).unwrap();
    assert_eq!(g.r32(0, 0xe00), 0x04, "fill 3 > 2");
    assert_eq!(g.q.take_irqs(), vec![0]);
    assert_eq!(g.irq_handler(&mut s), vec![1, 2, 3]);
    // One more CDAN under the threshold: status only once the hold-off has ended.
    g.cdan_set(&mut s, 1, 1, true, 0);
    g.q.enqueue(1, &fd(0, 1, 0)).unwrap();
    assert_eq!(g.r32(0, 0xe00), 0);
    assert_eq!(g.q.take_irqs(), vec![0]);
    assert_eq!(g.r32(0, 0xe00), 0x04);
}

/// XOFF takes an FQ out of its channel (pulls skip it, no CDAN); XON puts it back and,
/// with the channel armed, notifies (qbman_swp_fq_xoff/xon: alt FQ state verbs 0x4E/0x4D).
#[test]
fn xoff_xon_and_priorities() {
    let mut g = Rig::new();
    let mut s = g.swp_init(0);
    let ch = 4;
    g.q.fq_configure(0x10, FqConfig { dest: FqDest::Channel { channel: ch, prio: 3 }, user_ctx: 0x10 });
    g.q.fq_configure(0x11, FqConfig { dest: FqDest::Channel { channel: ch, prio: 1 }, user_ctx: 0x11 });
    g.q.enqueue(0x10, &fd(0, 1, 0)).unwrap();
    g.q.enqueue(0x11, &fd(0, 2, 0)).unwrap();
    let r = g.mc(&mut s, 0x4e, &[(4, &0x11u32.to_le_bytes())]);
    assert_eq!((r[0] & 0x7f, r[1]), (0x4e, 0xf0));
    let r = g.mc(&mut s, 0x45, &[(4, &0x11u32.to_le_bytes())]);
    assert_eq!(u32_at(&r, 24), 1, "XOFF keeps the frames");
    let store = RAM;
    g.pull(&mut s, 0x31, 16, ch as u32, store);
    assert_eq!((g.mem(store, 64)[1], u32_at(g.mem(store, 64), 8)), (0x13, 0x10), "only the XON FQ is served");
    g.cdan_set(&mut s, ch, 5, true, 0x77);
    assert!(g.q.take_irqs().is_empty());
    let r = g.mc(&mut s, 0x4d, &[(4, &0x11u32.to_le_bytes())]);
    assert_eq!(r[1], 0xf0);
    assert_eq!(g.q.take_irqs(), vec![0], "XON on an armed channel notifies");
    assert_eq!(g.irq_handler(&mut s), vec![0x77]);
    // Priority: WQ 1 before WQ 3 (0 is the highest).
    g.q.enqueue(0x10, &fd(0, 3, 0)).unwrap();
    g.q.enqueue(0x11, &fd(0, 4, 0)).unwrap();
    // A channel pull is served from one FQ (the first the scheduler picks: WQ 1), and
    // expires when that FQ is empty; the next pull serves WQ 3.
    g.pull(&mut s, 0x31, 16, ch as u32, store);
    let got: Vec<(u32, u8)> = (0..2).map(|i| (u32_at(g.mem(store + 64 * i, 64), 8), g.mem(store + 64 * i, 64)[1])).collect();
    assert_eq!(got, vec![(0x11, 0x12), (0x11, 0x13)]);
    for i in 0..16u64 {
        g.ram.data[(store - RAM + 64 * i + 7) as usize] = 0;
    }
    g.pull(&mut s, 0x31, 16, ch as u32, store);
    assert_eq!((u32_at(g.mem(store, 64), 8), g.mem(store, 64)[1]), (0x10, 0x13));
    // An FQ state command on an FQID that does not exist: error result.
    let r = g.mc(&mut s, 0x48, &[(4, &0x4444u32.to_le_bytes())]);
    assert_ne!(r[1], 0xf0);
}

/// An unknown management verb gets a result (Linux polls only 2000 times) with a non-OK
/// code, and one warning however often it is sent.
#[test]
fn unknown_verb_is_an_error_result() {
    let mut g = Rig::new();
    let mut s = g.swp_init(2);
    let r = g.mc(&mut s, 0x37, &[]);
    assert_eq!(r[0] & 0x7f, 0x37);
    assert_ne!(r[1], 0xf0);
    assert_eq!(g.q.take_warnings().len(), 1);
    let r = g.mc(&mut s, 0x37, &[]);
    assert_ne!(r[1], 0xf0);
    assert!(g.q.take_warnings().is_empty(), "warned once");
    // The next command still works (valid bits stay in step): result in the other slot.
    let r = g.mc(&mut s, 0x32, &[(2, &[0, 0])]);
    assert_eq!(r[1], 0xf0);
}

/// Volatile dequeue results to an address outside RAM: warned, no panic; the portal goes on.
#[test]
fn pull_to_unmapped_memory_is_survivable() {
    let mut g = Rig::new();
    let mut s = g.swp_init(0);
    g.q.fq_configure(5, FqConfig { dest: FqDest::None, user_ctx: 0 });
    g.q.enqueue(5, &fd(0, 1, 0)).unwrap();
    g.pull(&mut s, 0x39, 1, 5, 0xffff_ffff_ffff_ffc0);
    assert!(g.q.take_warnings().iter().any(|w| w.contains("failed")));
    g.pull(&mut s, 0x39, 1, 5, RAM);
    assert_eq!(g.mem(RAM, 64)[1], 0x03, "FQ emptied by the first pull");
}

/// Guest garbage everywhere in a portal page (a deterministic pseudo-random sequence of
/// stores of every size) never panics and keeps the model consistent.
#[test]
fn random_stores_do_not_panic() {
    let mut g = Rig::new();
    g.q.fq_configure(1, FqConfig { dest: FqDest::Channel { channel: 1, prio: 0 }, user_ctx: 0 });
    g.q.fq_configure(2, FqConfig { dest: FqDest::Hardware { tag: 0 }, user_ctx: 0 });
    g.q.set_portal_channel(0, 1);
    let mut x: u64 = 0x1234_5678_9abc_def0;
    for _ in 0..200_000 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let size = [Size::B1, Size::B2, Size::B4, Size::B8][(x >> 60) as usize & 3];
        let reg = (x >> 20) & 0xffc & !(size.bytes() as u64 - 1);
        let val = x.rotate_left(17);
        let off = if x & 1 != 0 { cinh(0, reg) } else { cena(0, reg) };
        let _ = g.q.write(off, size, val, &mut g.ram);
        let _ = g.q.read(off, size);
        if x & 0xff == 0 {
            let _ = g.q.enqueue(1, &fd(val, val as u32, 0));
        }
    }
    let _ = g.q.describe();
    let _ = g.q.take_irqs();
    let _ = g.q.take_hw_frames();
}

/// describe() lists portals, FQs with their counts, channels and pools.
#[test]
fn describe_lists_everything() {
    let mut g = Rig::new();
    let s = g.swp_init(0);
    g.q.fq_configure(0x42, FqConfig { dest: FqDest::Channel { channel: 3, prio: 1 }, user_ctx: 0 });
    g.q.enqueue(0x42, &fd(0, 100, 0)).unwrap();
    g.release(&s, 9, &[1, 2]);
    let d = g.q.describe();
    assert!(d.contains("qbman portal 0:"), "{d}");
    assert!(d.contains("qbman fq 0x42: channel 0x3 prio 1 ctx 0x0 frames 1 bytes 100"), "{d}");
    assert!(d.contains("qbman channel 0x3:"), "{d}");
    assert!(d.contains("qbman pool 9: 2 free buffers"), "{d}");
}

/// A volatile dequeue from a channel takes its frames from a single FQ: QMan serves a
/// pull command from the one FQ it schedules and ends it (EXPIRED) when that FQ runs
/// dry, even if other FQs of the channel still hold frames. dpaa2-eth relies on it
/// (dpaa2_eth_consume_frames: "all frames in a pull come from the same queue", it takes
/// the FQ from the first result and counts every frame of the pull against that FQ).
#[test]
fn channel_pull_serves_a_single_fq() {
    let mut g = Rig::new();
    let mut s = g.swp_init(0);
    let ch = 9;
    // Rx FQ (prio 1) and Tx-confirm FQ (prio 0... here both at prio 1, same WQ).
    g.q.fq_configure(0x20, FqConfig { dest: FqDest::Channel { channel: ch, prio: 1 }, user_ctx: 0xa });
    g.q.fq_configure(0x21, FqConfig { dest: FqDest::Channel { channel: ch, prio: 1 }, user_ctx: 0xb });
    for i in 0..3 {
        g.q.enqueue(0x20, &fd(0x1000 * i, 64, 0)).unwrap();
        g.q.enqueue(0x21, &fd(0x8000 + 0x1000 * i, 64, 0)).unwrap();
    }
    let store = RAM;
    let mut seen = Vec::new();
    for _ in 0..2 {
        for i in 0..16u64 {
            g.ram.data[(store - RAM + 64 * i + 7) as usize] = 0;
        }
        g.pull(&mut s, 0x31, 16, ch as u32, store);
        let mut fqs = Vec::new();
        for i in 0..16u64 {
            let r = g.mem(store + 64 * i, 64).to_vec();
            if r[7] == 0 {
                break;
            }
            fqs.push(u32_at(&r, 8));
            if r[1] & 0x01 != 0 {
                break;
            }
        }
        assert_eq!(fqs.len(), 3, "each pull returns the 3 frames of one FQ and expires");
        assert!(fqs.iter().all(|&f| f == fqs[0]), "one FQ per pull: {fqs:x?}");
        seen.push(fqs[0]);
    }
    seen.sort_unstable();
    assert_eq!(seen, vec![0x20, 0x21], "the two pulls served both FQs");
}
