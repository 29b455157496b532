//! Register-level tests. Expected values are worked out by hand from the SMMUv2
//! architecture (Arm IHI 0062: register layouts, stream matching, fault recording), the
//! Arm ARM's VMSAv8-64 descriptor formats (D5.3), the MMU-500 TRM and the RDB DTB
//! (ls2088a-reference.md §3), never read back from the model's own tables.

use super::*;
use crate::dma::RamDma;
use crate::irq::IrqBank;
use crate::sched::Scheduler;

const RAM: u64 = 0x8000_0000;
/// Context bank n's page: 64 KiB pages, NUMPAGE 64 → CB0 at 4 MiB.
fn cb(n: u64) -> u64 {
    0x40_0000 + n * 0x1_0000
}
/// GR1 is page 1.
const GR1: u64 = 0x1_0000;

struct T {
    smmu: Smmu,
    mem: RamDma,
    bank: std::sync::Arc<IrqBank>,
    sched: Scheduler,
    next_table: u64,
}

impl T {
    fn new() -> T {
        // Line 0: global fault; line 1 + n: context bank n.
        let bank = IrqBank::new(1 + NUM_CB);
        let ctx = (0..NUM_CB as u32).map(|n| IrqLine::new(bank.clone(), 1 + n)).collect();
        T {
            smmu: Smmu::new(IrqLine::new(bank.clone(), 0), ctx),
            mem: RamDma::new(RAM, 4 << 20),
            bank,
            sched: Scheduler::default(),
            next_table: RAM + 0x10_0000,
        }
    }
    fn rd(&mut self, off: u64) -> u32 {
        let mut cx = DevCtx { now: 0, sched: &mut self.sched };
        self.smmu.read(&mut cx, off, Size::B4).unwrap() as u32
    }
    fn rd64(&mut self, off: u64) -> u64 {
        let mut cx = DevCtx { now: 0, sched: &mut self.sched };
        self.smmu.read(&mut cx, off, Size::B8).unwrap()
    }
    fn wr(&mut self, off: u64, v: u32) {
        let mut cx = DevCtx { now: 0, sched: &mut self.sched };
        self.smmu.write(&mut cx, off, Size::B4, v as u64).unwrap();
    }
    fn wr64(&mut self, off: u64, v: u64) {
        let mut cx = DevCtx { now: 0, sched: &mut self.sched };
        self.smmu.write(&mut cx, off, Size::B8, v).unwrap();
    }
    fn tr(&mut self, sid: u32, iova: u64, dir: DmaDir) -> Result<u64, SmmuFault> {
        self.smmu.translate(&mut self.mem, sid, iova, dir)
    }
    fn global_irq(&self) -> bool {
        self.bank.level(0)
    }
    fn ctx_irq(&self, n: u32) -> bool {
        self.bank.level(1 + n)
    }
    /// A zeroed table of `size` bytes, aligned to its size.
    fn table(&mut self, size: u64) -> u64 {
        let a = (self.next_table + size - 1) & !(size - 1);
        self.next_table = a + size;
        a
    }
    fn put(&mut self, pa: u64, desc: u64) {
        self.mem.write(pa, &desc.to_le_bytes()).unwrap();
    }
    /// Enables client access (CLIENTPD = 0) with global fault reporting and interrupts;
    /// `usf`: unmatched streams fault.
    fn enable(&mut self, usf: bool) {
        let v = SCR0_GFRE | SCR0_GFIE | if usf { SCR0_USFCFG } else { 0 };
        self.wr(SCR0, v);
    }
    /// Stream group `i`: SMR = VALID | MASK << 16 | ID, S2CR = TYPE << 16 | CBNDX.
    fn map(&mut self, i: u64, id: u32, mask: u32, ty: u32, cbndx: u32) {
        self.wr(SMR0 + 4 * i, SMR_VALID | mask << 16 | id);
        self.wr(S2CR0 + 4 * i, ty << 16 | cbndx);
    }
}

// Descriptor bits (Arm ARM D5.3): valid+table/page = 0b11, block = 0b01, AF = bit 10,
// AP[2:1] = bits 7:6 (0b01 read/write at any level of privilege, 0b11 read-only at any).
const TABLE: u64 = 0b11;
const PAGE_RW: u64 = 0b11 | 1 << 10 | 0b01 << 6;
const PAGE_RO: u64 = 0b11 | 1 << 10 | 0b11 << 6;
const BLOCK_RW: u64 = 0b01 | 1 << 10 | 0b01 << 6;
// Stage-2 leaf: S2AP bits 7:6 (bit 6 read, bit 7 write), AF.
const S2_PAGE_RW: u64 = 0b11 | 1 << 10 | 0b11 << 6;
const S2_PAGE_RO: u64 = 0b11 | 1 << 10 | 0b01 << 6;
const S2_BLOCK_RW: u64 = 0b01 | 1 << 10 | 0b11 << 6;

/// Stage-1 AArch64 context: CBA2R.VA64, CBAR type S1 with S2 bypass (1), TCR, TCR2.PASIZE
/// = 5 (48 bits) and SEP = 7 (sign bit = upstream bus top bit, bit 47), TTBR0, SCTLR = M | CFRE | CFIE (what Linux's arm-smmu programs, §3).
fn s1_context(t: &mut T, n: u64, tcr: u32, ttbr0: u64) {
    t.wr(GR1 + CBA2R0 + 4 * n, CBA2R_VA64);
    t.wr(GR1 + CBAR0 + 4 * n, CBAR_TYPE_S1_S2BYPASS << 16 | 3 << 8 | 0xf << 12);
    t.wr(cb(n) + CB_TCR2, 5 | 7 << 15);
    t.wr(cb(n) + CB_TCR, tcr);
    t.wr64(cb(n) + CB_TTBR0, ttbr0);
    t.wr(cb(n) + CB_SCTLR, SCTLR_M | SCTLR_CFRE | SCTLR_CFIE);
}

#[test]
fn id_registers_match_the_ls2088a_device_tree() {
    let mut t = T::new();
    let id0 = t.rd(IDR0);
    // IDR0: S1TS(30), S2TS(29), NTS(28), SMS(27) all set; ATOSNS(26) set (MMU-500 has no
    // ATOS); CTTW(14) matches the DT's dma-coherent; NUMSIDB[12:9] = 15 so the DT's
    // stream-match-mask 0x7c00 fits; NUMSMRG[7:0] = 128; EXIDS(8) = 0.
    for bit in [30, 29, 28, 27, 26, 14] {
        assert_eq!(id0 >> bit & 1, 1, "IDR0 bit {bit}");
    }
    assert_eq!(id0 >> 8 & 1, 0);
    assert_eq!(id0 >> 9 & 0xf, 15);
    assert_eq!(id0 & 0xff, 128);
    let id1 = t.rd(IDR0 + 4);
    // IDR1: PAGESIZE(31) = 64 KiB; NUMPAGE = 2^(NUMPAGENDXB + 1); the SMMU spans
    // 2·NUMPAGE·PAGESIZE = the DT reg size 0x80_0000.
    assert_eq!(id1 >> 31, 1);
    let numpage = 1u64 << ((id1 >> 28 & 7) + 1);
    assert_eq!(2 * numpage * 0x1_0000, 0x80_0000);
    // NUMCB = 64 = the DT's context interrupts (76 interrupts - 12 global); NUMS2CB = 0.
    assert_eq!(id1 & 0xff, 64);
    assert_eq!(id1 >> 16 & 0xff, 0);
    let id2 = t.rd(IDR0 + 8);
    // IDR2: IAS[3:0] = OAS[7:4] = UBS[11:8] = 5 (48 bits), PTFS_4K(12), PTFS_64K(14), no 16K(13).
    assert_eq!(id2 & 0xf, 5);
    assert_eq!(id2 >> 4 & 0xf, 5);
    assert_eq!(id2 >> 8 & 0xf, 5);
    assert_eq!(id2 >> 12 & 7, 0b101);
    // IDR7: MAJOR ≥ 2 (r2: ACR.CACHE_LOCK exists and Linux clears it).
    assert!(t.rd(IDR0 + 0x1c) >> 4 & 0xf >= 2);
    // ID registers are read-only.
    t.wr(IDR0, 0);
    assert_eq!(t.rd(IDR0), id0);
}

#[test]
fn reset_state_and_smr_fields_are_read_write() {
    let mut t = T::new();
    // sCR0 resets with CLIENTPD = 1 (client accesses bypass) and SMCFCFG = 1.
    assert_eq!(t.rd(SCR0) & 1, 1);
    assert_eq!(t.rd(SCR0) >> 21 & 1, 1);
    // S2CR resets to TYPE = fault (0b10 at [17:16]).
    assert_eq!(t.rd(S2CR0 + 4 * 127) >> 16 & 3, 2);
    // Linux's arm_smmu_test_smr_masks: ID [15:0] then MASK [30:16] read back as written.
    t.wr(SMR0 + 4 * 5, 0x7fff);
    assert_eq!(t.rd(SMR0 + 4 * 5), 0x7fff);
    t.wr(SMR0 + 4 * 5, 0x7fff << 16);
    assert_eq!(t.rd(SMR0 + 4 * 5) >> 16, 0x7fff);
    // Beyond the 128 groups: RAZ/WI.
    t.wr(SMR0 + 4 * 200, 0x1234);
    assert_eq!(t.rd(SMR0 + 4 * 200), 0);
    // With CLIENTPD = 1 every transaction bypasses.
    assert_eq!(t.tr(0x42, 0x1234_5678, DmaDir::Write), Ok(0x1234_5678));
}

#[test]
fn unmatched_stream_bypasses_or_faults_per_usfcfg() {
    let mut t = T::new();
    t.enable(false);
    assert_eq!(t.tr(0x33, 0x9000_0000, DmaDir::Read), Ok(0x9000_0000));
    assert!(!t.global_irq());
    t.enable(true);
    let e = t.tr(0x33, 0x9000_0010, DmaDir::Write).unwrap_err();
    assert_eq!(e, SmmuFault { record: FaultRecord::Global(GFSR_USF), abort: true });
    // sGFSR.USF = bit 1; sGFSYNR1 = stream ID; sGFSYNR0.WNR = bit 1; sGFAR = address.
    assert_eq!(t.rd(SGFSR), 1 << 1);
    assert_eq!(t.rd(SGFSYNR1) & 0xffff, 0x33);
    assert_eq!(t.rd(SGFSYNR0) & 2, 2);
    assert_eq!(t.rd64(SGFAR), 0x9000_0010);
    assert!(t.global_irq());
    // A second fault before software clears the first: MULTI (bit 31), syndrome kept.
    let _ = t.tr(0x44, 0x1000, DmaDir::Read);
    assert_eq!(t.rd(SGFSR), 1 << 31 | 1 << 1);
    assert_eq!(t.rd(SGFSYNR1) & 0xffff, 0x33);
    // sGFSR is write-1-to-clear; the interrupt drops with it.
    t.wr(SGFSR, 1 << 31 | 1 << 1);
    assert_eq!(t.rd(SGFSR), 0);
    assert!(!t.global_irq());
    // GFIE = 0: recorded but no interrupt; GFRE = 0: no abort to the client.
    t.wr(SCR0, SCR0_USFCFG);
    let e = t.tr(0x33, 0, DmaDir::Read).unwrap_err();
    assert!(!e.abort);
    assert_eq!(t.rd(SGFSR), 1 << 1);
    assert!(!t.global_irq());
}

#[test]
fn stream_matching_uses_the_mask_and_flags_conflicts() {
    let mut t = T::new();
    t.enable(true);
    // DT stream-match-mask 0x7c00: bits 14:10 ignored. SMR0 id 0x23 matches 0x23 and
    // 0x423, 0x7c23; not 0x24.
    t.map(0, 0x23, 0x7c00, S2CR_TYPE_BYPASS, 0);
    for sid in [0x23, 0x423, 0x7c23] {
        assert_eq!(t.tr(sid, 0x8000_1000, DmaDir::Read), Ok(0x8000_1000), "sid {sid:#x}");
    }
    assert!(t.tr(0x24, 0x8000_1000, DmaDir::Read).is_err());
    t.wr(SGFSR, u32::MAX);
    // An SMR without VALID never matches.
    t.wr(SMR0 + 4, 0x24);
    t.wr(S2CR0 + 4, S2CR_TYPE_BYPASS << 16);
    assert!(t.tr(0x24, 0, DmaDir::Read).is_err());
    t.wr(SGFSR, u32::MAX);
    // Two groups matching one stream with sCR0.SMCFCFG = 1 (reset value, kept by a
    // write that sets it): Stream Match Conflict fault, sGFSR.SMCF = bit 2.
    t.wr(SCR0, SCR0_GFRE | SCR0_GFIE | SCR0_USFCFG | SCR0_SMCFCFG);
    t.map(2, 0x423, 0, S2CR_TYPE_BYPASS, 0);
    let e = t.tr(0x423, 0, DmaDir::Read).unwrap_err();
    assert_eq!(e.record, FaultRecord::Global(GFSR_SMCF));
    assert_eq!(t.rd(SGFSR), 1 << 2);
    // S2CR.TYPE = fault (0b10) terminates the stream's transactions.
    t.wr(SGFSR, u32::MAX);
    t.map(3, 0x55, 0, S2CR_TYPE_FAULT, 0);
    assert!(t.tr(0x55, 0, DmaDir::Read).is_err());
    assert_ne!(t.rd(SGFSR), 0);
    // A translating S2CR naming a context bank beyond NUMCB (64): UCBF (bit 3).
    t.wr(SGFSR, u32::MAX);
    t.map(4, 0x56, 0, S2CR_TYPE_TRANS, 100);
    assert_eq!(t.tr(0x56, 0, DmaDir::Read).unwrap_err().record, FaultRecord::Global(GFSR_UCBF));
}

/// 4K granule, T0SZ = 25 (39-bit input): the walk starts at level 1 and takes three
/// levels; T0SZ = 34 (30-bit) starts at level 2 (two levels).
#[test]
fn stage1_4k_three_and_two_levels() {
    let mut t = T::new();
    t.enable(true);
    // iova 0x6345_6789 = L1 index 1 (bits 38:30), L2 index 0x11a (bits 29:21), L3 index
    // 0x56, offset 0x789.
    let iova = 0x6345_6789u64;
    assert_eq!((iova >> 30) & 0x1ff, 1);
    assert_eq!((iova >> 21) & 0x1ff, 0x11a);
    assert_eq!((iova >> 12) & 0x1ff, 0x56);
    let l1 = t.table(0x1000);
    let l2 = t.table(0x1000);
    let l3 = t.table(0x1000);
    t.put(l1 + 8, l2 | TABLE);
    t.put(l2 + 0x11a * 8, l3 | TABLE);
    t.put(l3 + 0x56 * 8, 0x8012_3000 | PAGE_RW);
    // TG0 = 00 (4K), T0SZ = 25; ASID 7 in TTBR0[63:48] does not affect the walk.
    s1_context(&mut t, 3, 25, 7 << 48 | l1);
    t.map(0, 0x10, 0, S2CR_TYPE_TRANS, 3);
    assert_eq!(t.tr(0x10, iova, DmaDir::Write), Ok(0x8012_3789));
    // A 2 MiB block at level 2 (L2 index 0x11b): output = block base + iova[20:0].
    t.put(l2 + 0x11b * 8, 0x8020_0000 | BLOCK_RW);
    assert_eq!(t.tr(0x10, 0x6365_4321, DmaDir::Read), Ok(0x8025_4321));

    // Two levels: T0SZ = 34 → 30-bit input, start level 2.
    let m2 = t.table(0x1000);
    let m3 = t.table(0x1000);
    // iova 0x3fe0_1abc: L2 index 0x1ff, L3 index 1.
    t.put(m2 + 0x1ff * 8, m3 | TABLE);
    t.put(m3 + 8, 0x8033_0000 | PAGE_RW);
    s1_context(&mut t, 4, 34, m2);
    t.map(1, 0x11, 0, S2CR_TYPE_TRANS, 4);
    assert_eq!(t.tr(0x11, 0x3fe0_1abc, DmaDir::Read), Ok(0x8033_0abc));
    // Outside the 30-bit input range: translation fault at level 0... reported in CB4.
    let e = t.tr(0x11, 0x4000_0000, DmaDir::Read).unwrap_err();
    assert_eq!(e.record, FaultRecord::Context { cb: 4, fsr: FSR_TF });
    assert_eq!(t.smmu.describe().lines().filter(|l| l.contains("CB4")).count(), 1);
}

/// 4K granule with T0SZ = 16 (48 bits): four levels from level 0.
#[test]
fn stage1_4k_four_levels() {
    let mut t = T::new();
    t.enable(true);
    let iova = 0x8000_0000_0000u64 - 0x1000 + 0x18; // 0x7fff_ffff_f018
    let tables: Vec<u64> = (0..4).map(|_| t.table(0x1000)).collect();
    // 0x7fff_ffff_f000: L0 index (bits 47:39) = 0xff, L1..L3 indices = 0x1ff.
    t.put(tables[0] + 0xff * 8, tables[1] | TABLE);
    for l in 1..3 {
        t.put(tables[l] + 0x1ff * 8, tables[l + 1] | TABLE);
    }
    t.put(tables[3] + 0x1ff * 8, 0x8044_4000 | PAGE_RW);
    s1_context(&mut t, 0, 16, tables[0]);
    t.map(0, 0x1, 0, S2CR_TYPE_TRANS, 0);
    assert_eq!(t.tr(1, iova, DmaDir::Read), Ok(0x8044_4018));
}

/// 64K granule (TG0 = 01), T0SZ = 22 (42-bit input): 13 bits per level, start level 2,
/// two levels; a level-2 block is 512 MiB.
#[test]
fn stage1_64k_granule() {
    let mut t = T::new();
    t.enable(true);
    let l2 = t.table(0x1_0000);
    let l3 = t.table(0x1_0000);
    // iova 0x2_4003_1234: L2 index = bits 41:29 = 0x12, L3 index = bits 28:16 = 3.
    let iova = 0x2_4003_1234u64;
    assert_eq!(iova >> 29 & 0x1fff, 0x12);
    assert_eq!(iova >> 16 & 0x1fff, 3);
    t.put(l2 + 0x12 * 8, l3 | TABLE);
    t.put(l3 + 3 * 8, 0x8005_0000 | PAGE_RW);
    s1_context(&mut t, 9, 1 << 14 | 22, l2);
    t.map(7, 0x700, 0, S2CR_TYPE_TRANS, 9);
    assert_eq!(t.tr(0x700, iova, DmaDir::Write), Ok(0x8005_1234));
    // 512 MiB block at L2 index 0x13.
    t.put(l2 + 0x13 * 8, 0xa000_0000 | BLOCK_RW);
    assert_eq!(t.tr(0x700, 0x2_6123_4567, DmaDir::Read), Ok(0xa123_4567));
}

/// TTBR1 region: with TCR2.SEP = 7 (upstream bus top bit: bit 48, IDR2.UBS = 0b0101 is a
/// 49-bit upstream bus in the SMMUv2 spec), an address with bit 48 set is sign-extended
/// and walks TTBR1 (TG1 = 0b10 4K, T1SZ = 25); bit 47 alone stays in TTBR0's range.
#[test]
fn stage1_ttbr1_split() {
    let mut t = T::new();
    t.enable(true);
    let l1 = t.table(0x1000);
    let l2 = t.table(0x1000);
    let l3 = t.table(0x1000);
    // 0xffff_ffff_c000_2000 after sign extension: L1 index 0x1ff, L2 index 0, L3 index 2.
    t.put(l1 + 0x1ff * 8, l2 | TABLE);
    t.put(l2, l3 | TABLE);
    t.put(l3 + 2 * 8, 0x8066_6000 | PAGE_RW);
    // TCR: T0SZ 25, EPD0 (bit 7) set, T1SZ 25 at [21:16], TG1 = 0b10 at [31:30].
    s1_context(&mut t, 2, 25 | 1 << 7 | 25 << 16 | 0b10 << 30, 0);
    t.wr64(cb(2) + CB_TTBR1, l1);
    t.wr(cb(2) + CB_TCR2, 5 | 7 << 15);
    t.map(0, 0x20, 0, S2CR_TYPE_TRANS, 2);
    assert_eq!(t.tr(0x20, 0x1_ffff_c000_2010, DmaDir::Read), Ok(0x8066_6010));
    // TTBR0 walks are disabled by EPD0: translation fault (bit 47 without bit 48 too).
    assert_eq!(t.tr(0x20, 0x1000, DmaDir::Read).unwrap_err().record, FaultRecord::Context { cb: 2, fsr: FSR_TF });
    assert_eq!(t.tr(0x20, 0xffff_c000_2010, DmaDir::Read).unwrap_err().record, FaultRecord::Context { cb: 2, fsr: FSR_TF });
}

fn one_page_context(t: &mut T, leaf: u64) {
    // 4K, T0SZ 34 (two levels): iova 0x5000 → L2 index 0, L3 index 5.
    let l2 = t.table(0x1000);
    let l3 = t.table(0x1000);
    t.put(l2, l3 | TABLE);
    t.put(l3 + 5 * 8, leaf);
    s1_context(t, 6, 34, l2);
    t.map(0, 0x31, 0, S2CR_TYPE_TRANS, 6);
}

#[test]
fn permission_fault_records_fsr_far_fsynr_and_raises_the_context_irq() {
    let mut t = T::new();
    t.enable(true);
    one_page_context(&mut t, 0x8077_7000 | PAGE_RO);
    assert_eq!(t.tr(0x31, 0x5008, DmaDir::Read), Ok(0x8077_7008));
    assert!(!t.ctx_irq(6));
    let e = t.tr(0x31, 0x5010, DmaDir::Write).unwrap_err();
    assert_eq!(e, SmmuFault { record: FaultRecord::Context { cb: 6, fsr: FSR_PF }, abort: true });
    // FSR.PF = bit 3; FAR = the input address; FSYNR0: PLVL [1:0] = 3, WNR (bit 4);
    // GR1 CBFRSYNRA6 = the stream ID.
    assert_eq!(t.rd(cb(6) + CB_FSR) & FSR_FAULT, 1 << 3);
    assert_eq!(t.rd64(cb(6) + CB_FAR), 0x5010);
    assert_eq!(t.rd(cb(6) + CB_FSYNR0) & 0x13, 0x13);
    assert_eq!(t.rd(GR1 + CBFRSYNRA0 + 4 * 6) & 0xffff, 0x31);
    assert!(t.ctx_irq(6));
    assert!(!t.ctx_irq(5));
    // FSR is write-1-to-clear (Linux writes back what it read); the line drops.
    let fsr = t.rd(cb(6) + CB_FSR);
    t.wr(cb(6) + CB_FSR, fsr);
    assert_eq!(t.rd(cb(6) + CB_FSR) & FSR_FAULT, 0);
    assert!(!t.ctx_irq(6));
}

#[test]
fn translation_and_access_flag_faults() {
    let mut t = T::new();
    t.enable(true);
    // Invalid level-3 descriptor: FSR.TF (bit 1), PLVL = 3.
    one_page_context(&mut t, 0);
    let e = t.tr(0x31, 0x5000, DmaDir::Read).unwrap_err();
    assert_eq!(e.record, FaultRecord::Context { cb: 6, fsr: FSR_TF });
    assert_eq!(t.rd(cb(6) + CB_FSR) & FSR_FAULT, 1 << 1);
    assert_eq!(t.rd(cb(6) + CB_FSYNR0) & 3, 3);
    assert_eq!(t.rd(cb(6) + CB_FSYNR0) & FSYNR0_WNR, 0);
    // A second fault while FSR holds one: MULTI (bit 31), FAR kept.
    let _ = t.tr(0x31, 0x6000, DmaDir::Read);
    assert_eq!(t.rd(cb(6) + CB_FSR) >> 31, 1);
    assert_eq!(t.rd64(cb(6) + CB_FAR), 0x5000);
    t.wr(cb(6) + CB_FSR, u32::MAX);
    // AF = 0 in the page: Access flag fault, FSR.AFF = bit 2.
    let mut t = T::new();
    t.enable(true);
    one_page_context(&mut t, (0x8077_7000 | PAGE_RW) & !(1 << 10));
    assert_eq!(t.tr(0x31, 0x5000, DmaDir::Read).unwrap_err().record, FaultRecord::Context { cb: 6, fsr: FSR_AFF });
    assert_eq!(t.rd(cb(6) + CB_FSR) & FSR_FAULT, 1 << 2);
}

#[test]
fn fault_response_terminate_stall_and_smmu_dma() {
    let mut t = T::new();
    t.enable(true);
    one_page_context(&mut t, 0x8000_0000 | PAGE_RO);
    t.mem.write(0x8000_0100, &[1, 2, 3, 4]).unwrap();
    {
        let mut d = SmmuDma { smmu: &mut t.smmu, mem: &mut t.mem, stream_id: 0x31 };
        assert_eq!(d.read_u32(0x5100), Ok(0x0403_0201));
        // Terminate with CFRE = 1: the client sees an abort.
        assert_eq!(d.write(0x5100, &[9]), Err(DmaError::Fault));
    }
    assert_eq!(t.mem.read_u32(0x8000_0100), Ok(0x0403_0201));
    t.wr(cb(6) + CB_FSR, u32::MAX);
    // CFRE = 0: the fault is recorded but the write completes silently (dropped).
    t.wr(cb(6) + CB_SCTLR, SCTLR_M | SCTLR_CFIE);
    {
        let mut d = SmmuDma { smmu: &mut t.smmu, mem: &mut t.mem, stream_id: 0x31 };
        assert_eq!(d.write(0x5100, &[9]), Ok(()));
    }
    assert_eq!(t.mem.read_u32(0x8000_0100), Ok(0x0403_0201));
    assert_eq!(t.rd(cb(6) + CB_FSR) & FSR_PF, FSR_PF);
    t.wr(cb(6) + CB_FSR, u32::MAX);
    // CFCFG = 1 (stall): FSR.SS (bit 30) is set with the fault; CB_RESUME clears it.
    t.wr(cb(6) + CB_SCTLR, SCTLR_M | SCTLR_CFRE | SCTLR_CFIE | SCTLR_CFCFG);
    assert!(t.tr(0x31, 0x5000, DmaDir::Write).is_err());
    assert_eq!(t.rd(cb(6) + CB_FSR) & (FSR_SS | FSR_PF), FSR_SS | FSR_PF);
    t.wr(cb(6) + CB_RESUME, 1);
    assert_eq!(t.rd(cb(6) + CB_FSR) & FSR_SS, 0);
}

/// Stage 2 only (CBAR.TYPE = 0), TCR in VTCR format: 4K, T0SZ = 25 (39-bit IPA),
/// SL0 = 1 (start at level 1), PS = 5 (48-bit).
#[test]
fn stage2_translation_and_s2ap() {
    let mut t = T::new();
    t.enable(true);
    let l1 = t.table(0x1000);
    let l2 = t.table(0x1000);
    let l3 = t.table(0x1000);
    // IPA 0x4020_3456: L1 index 1, L2 index 1, L3 index 3.
    t.put(l1 + 8, l2 | TABLE);
    t.put(l2 + 8, l3 | TABLE);
    t.put(l3 + 3 * 8, 0x8088_8000 | S2_PAGE_RO);
    t.put(l3 + 4 * 8, 0x8099_9000 | S2_PAGE_RW);
    t.wr(GR1 + CBA2R0 + 4 * 10, CBA2R_VA64);
    t.wr(GR1 + CBAR0 + 4 * 10, CBAR_TYPE_S2 << 16 | 5); // VMID 5
    t.wr(cb(10) + CB_TCR, 25 | 1 << 6 | 5 << 16);
    t.wr64(cb(10) + CB_TTBR0, l1);
    t.wr(cb(10) + CB_SCTLR, SCTLR_M | SCTLR_CFRE | SCTLR_CFIE);
    t.map(0, 0x40, 0, S2CR_TYPE_TRANS, 10);
    assert_eq!(t.tr(0x40, 0x4020_3456, DmaDir::Read), Ok(0x8088_8456));
    assert_eq!(t.tr(0x40, 0x4020_4456, DmaDir::Write), Ok(0x8099_9456));
    // S2AP write bit (7) clear: permission fault on a write.
    let e = t.tr(0x40, 0x4020_3000, DmaDir::Write).unwrap_err();
    assert_eq!(e.record, FaultRecord::Context { cb: 10, fsr: FSR_PF });
    assert_eq!(t.rd64(cb(10) + CB_FAR), 0x4020_3000);
    assert!(t.ctx_irq(10));
}

/// Nested: stage-1 bank 1 (CBAR.TYPE = 0b11, CBAR[15:8] = 2) whose table addresses and
/// output are IPAs translated by stage-2 bank 2 (a 1 GiB IPA → PA offset using level-1
/// blocks: IPA 0x4000_0000.. → PA 0x8000_0000..).
#[test]
fn nested_stage1_then_stage2() {
    let mut t = T::new();
    t.enable(true);
    let off = 0x4000_0000u64; // PA = IPA + 0x4000_0000
    // Stage 2: 4K, T0SZ 25, SL0 1 → level-1 table, 1 GiB blocks; IPA 1 GiB → PA 2 GiB.
    let s2l1 = t.table(0x1000);
    t.put(s2l1 + 8, 0x8000_0000 | S2_BLOCK_RW);
    t.wr(GR1 + CBA2R0 + 4 * 2, CBA2R_VA64);
    t.wr(GR1 + CBAR0 + 4 * 2, CBAR_TYPE_S2 << 16 | 1);
    t.wr(cb(2) + CB_TCR, 25 | 1 << 6 | 5 << 16);
    t.wr64(cb(2) + CB_TTBR0, s2l1);
    t.wr(cb(2) + CB_SCTLR, SCTLR_M | SCTLR_CFRE | SCTLR_CFIE);
    // Stage 1 tables live at PAs t.table(); the descriptors hold their IPAs (PA - off).
    let l2 = t.table(0x1000);
    let l3 = t.table(0x1000);
    t.put(l2, (l3 - off) | TABLE);
    t.put(l3 + 5 * 8, 0x4012_3000 | PAGE_RW); // output IPA 0x4012_3000 → PA 0x8012_3000
    t.wr(GR1 + CBA2R0 + 4, CBA2R_VA64);
    t.wr(GR1 + CBAR0 + 4, CBAR_TYPE_NESTED << 16 | 2 << 8);
    t.wr(cb(1) + CB_TCR2, 5);
    t.wr(cb(1) + CB_TCR, 34);
    t.wr64(cb(1) + CB_TTBR0, l2 - off);
    t.wr(cb(1) + CB_SCTLR, SCTLR_M | SCTLR_CFRE | SCTLR_CFIE);
    t.map(0, 0x50, 0, S2CR_TYPE_TRANS, 1);
    assert_eq!(t.tr(0x50, 0x5abc, DmaDir::Write), Ok(0x8012_3abc));
    // A stage-1 output IPA that stage 2 does not map (IPA 0xc000_0000, L1 index 3):
    // stage-2 translation fault recorded in bank 2 with FAR = the IPA, FSYNR0.S1CBNDX = 1.
    t.put(l3 + 6 * 8, 0xc000_0000 | PAGE_RW);
    let e = t.tr(0x50, 0x6004, DmaDir::Read).unwrap_err();
    assert_eq!(e.record, FaultRecord::Context { cb: 2, fsr: FSR_TF });
    assert_eq!(t.rd64(cb(2) + CB_FAR), 0xc000_0004);
    assert_eq!(t.rd(cb(2) + CB_FSYNR0) >> 16 & 0xff, 1);
    assert_eq!(t.rd(cb(2) + CB_FSYNR0) & FSYNR0_PTWF, 0);
    assert!(t.ctx_irq(2) && !t.ctx_irq(1));
    t.wr(cb(2) + CB_FSR, u32::MAX);
    // A stage-1 table at an IPA stage 2 does not map: fault on the table walk (PTWF).
    t.wr64(cb(1) + CB_TTBR0, 0xc000_0000);
    let _ = t.tr(0x50, 0x5000, DmaDir::Read).unwrap_err();
    assert_eq!(t.rd(cb(2) + CB_FSYNR0) & FSYNR0_PTWF, FSYNR0_PTWF);
    assert_eq!(t.rd64(cb(2) + CB_FAR), 0xc000_0000);
}

#[test]
fn tlb_invalidate_and_sync_complete() {
    let mut t = T::new();
    t.enable(true);
    one_page_context(&mut t, 0x8011_1000 | PAGE_RW);
    assert_eq!(t.tr(0x31, 0x5000, DmaDir::Read), Ok(0x8011_1000));
    // Change the page, invalidate by VA (iova >> 12 | ASID << 48, 64-bit write) and sync:
    // after TLBSTATUS.GSACTIVE reads 0 the new mapping must be the one used.
    let l3_entry = {
        // The page is the only non-zero entry in the context's level-3 table.
        let ttbr = t.rd64(cb(6) + CB_TTBR0);
        let mut d = [0u8; 8];
        t.mem.read(ttbr, &mut d).unwrap();
        (u64::from_le_bytes(d) & !0xfff) + 5 * 8
    };
    t.put(l3_entry, 0x8022_2000 | PAGE_RW);
    t.wr64(cb(6) + CB_TLBIVA, 0x5);
    t.wr(cb(6) + CB_TLBSYNC, 0);
    assert_eq!(t.rd(cb(6) + CB_TLBSTATUS) & 1, 0);
    assert_eq!(t.tr(0x31, 0x5000, DmaDir::Read), Ok(0x8022_2000));
    // Global invalidation and sync (what Linux's reset does).
    t.wr(TLBIALLNSNH, 0);
    t.wr(TLBIALLH, 0);
    t.wr(STLBGSYNC, 0);
    assert_eq!(t.rd(STLBGSTATUS) & 1, 0);
}

#[test]
fn describe_lists_streams_and_contexts() {
    let mut t = T::new();
    t.enable(true);
    one_page_context(&mut t, 0x8011_1000 | PAGE_RW);
    let d = t.smmu.describe();
    assert!(d.contains("SMR0: id 0x31 mask 0x0 -> context bank 6"), "{d}");
    assert!(d.contains("CB6: stage 1"), "{d}");
    assert!(d.contains("unmatched streams fault"), "{d}");
}

#[test]
fn odd_accesses_do_not_panic() {
    let mut t = T::new();
    let mut cx = DevCtx { now: 0, sched: &mut t.sched };
    assert_eq!(t.smmu.read(&mut cx, 2, Size::B4), Err(MmioError::Unaligned));
    assert_eq!(t.smmu.read(&mut cx, 0, Size::B1), Err(MmioError::BadSize));
    for off in [0x2_0000, 0x3f_fffc, 0x7f_fffc, 0x80_0000, !7] {
        let _ = t.smmu.read(&mut cx, off, Size::B4);
        let _ = t.smmu.write(&mut cx, off, Size::B4, 0xffff_ffff);
    }
    // A garbage context bank configuration faults rather than panicking.
    t.wr(SCR0, 0);
    t.map(0, 1, 0, S2CR_TYPE_TRANS, 0);
    t.wr(GR1 + CBA2R0, 1);
    t.wr(GR1 + CBAR0, CBAR_TYPE_NESTED << 16 | 0xff << 8);
    t.wr(cb(0) + CB_TCR, u32::MAX);
    t.wr(cb(0) + CB_SCTLR, 1);
    assert!(t.tr(1, u64::MAX, DmaDir::Write).is_err());
    t.wr(GR1 + CBAR0, CBAR_TYPE_S2 << 16);
    assert!(t.tr(1, u64::MAX, DmaDir::Write).is_err());
}

/// AArch32 long-descriptor stage 1 (CBA2R.VA64 = 0, TTBCR.EAE = 1; Arm ARM G5.5):
/// T0SZ = 0 gives a 32-bit TTBR0 region walked from level 1 (4 entries, bits 31:30).
/// With T0SZ = 2 (TTBR0 below 1 GiB, from level 2) and T1SZ = 1 (TTBR1 from 2 GiB up),
/// an address in between faults.
#[test]
fn stage1_aarch32_long_descriptor() {
    let mut t = T::new();
    t.enable(true);
    let l1 = t.table(0x1000);
    let l2 = t.table(0x1000);
    let l3 = t.table(0x1000);
    // 0xc012_3456: L1 index 3 (bits 31:30), L2 index 0 (bits 29:21), L3 index 0x123.
    t.put(l1 + 3 * 8, l2 | TABLE);
    t.put(l2, l3 | TABLE);
    t.put(l3 + 0x123 * 8, 0x8055_5000 | PAGE_RW);
    t.wr(GR1 + CBA2R0 + 4 * 5, 0);
    t.wr(GR1 + CBAR0 + 4 * 5, CBAR_TYPE_S1_S2BYPASS << 16);
    t.wr(cb(5) + CB_TCR, 1 << 31);
    t.wr64(cb(5) + CB_TTBR0, l1);
    t.wr(cb(5) + CB_SCTLR, SCTLR_M | SCTLR_CFRE);
    t.map(0, 0x60, 0, S2CR_TYPE_TRANS, 5);
    assert_eq!(t.tr(0x60, 0xc012_3456, DmaDir::Write), Ok(0x8055_5456));
    // Above 32 bits: no such input address in an AArch32 context.
    assert_eq!(t.tr(0x60, 0x1_0000_0000, DmaDir::Read).unwrap_err().record, FaultRecord::Context { cb: 5, fsr: FSR_TF });
    t.wr(cb(5) + CB_FSR, u32::MAX);
    // T0SZ 2: TTBR0 is a level-2 table for [0, 1 GiB): 0x0020_1000 = L2 index 1, L3 index 1.
    let m2 = t.table(0x1000);
    let m3 = t.table(0x1000);
    t.put(m2 + 8, m3 | TABLE);
    t.put(m3 + 8, 0x8066_6000 | PAGE_RW);
    // TTBR1 (T1SZ 1: [2 GiB, 4 GiB), level 1, 2 entries): 0x8000_0000 = L1 index 0 → l2.
    let n1 = t.table(0x1000);
    t.put(n1, l2 | TABLE);
    t.put(l3, 0x8077_7000 | PAGE_RW);
    t.wr(cb(5) + CB_TCR, 1 << 31 | 2 | 1 << 16);
    t.wr64(cb(5) + CB_TTBR0, m2);
    t.wr64(cb(5) + CB_TTBR1, n1);
    assert_eq!(t.tr(0x60, 0x0020_1008, DmaDir::Read), Ok(0x8066_6008));
    assert_eq!(t.tr(0x60, 0x8000_0010, DmaDir::Read), Ok(0x8077_7010));
    assert_eq!(t.tr(0x60, 0x5000_0000, DmaDir::Read).unwrap_err().record, FaultRecord::Context { cb: 5, fsr: FSR_TF });
    t.wr(cb(5) + CB_FSR, u32::MAX);
    // EAE = 0 (short-descriptor format, not modelled): translation fault.
    t.wr(cb(5) + CB_TCR, 0);
    assert!(t.tr(0x60, 0x1000, DmaDir::Read).is_err());
}

#[test]
fn amq_stream_ids() {
    // ICID 23 (the root DPRC of the reference DPL) with plain AMQ: SID 23 = 0x17.
    assert_eq!(amq_stream_id(23, false, false, false), 0x17);
    // ICID 63 with VA (bit 7), BMT (bit 8), PL (bit 9): 0x3f | 0x80 | 0x100 | 0x200.
    assert_eq!(amq_stream_id(63, true, true, true), 0x3bf);
    // Only ICID[6:0] is carried.
    assert_eq!(amq_stream_id(0x1ff, false, false, false), 0x7f);
}
