//! Arm CoreLink MMU-500 System MMU (SMMUv2 architecture, Arm IHI 0062; MMU-500 TRM Arm
//! DDI 0517) as on the LS2088A at 0x0500_0000 (ls2088a-reference.md §3): the register file
//! (global spaces GR0/GR1 and 64 translation context banks), stream matching (SMR/S2CR with
//! the ID/MASK rule), context-bank translation (AArch64 long-descriptor stage 1 with the
//! TTBR0/TTBR1 split, stage 2 with VTCR-format TCR, and nested stage 1 + stage 2), fault
//! recording (CB_FSR/FAR/FSYNR0, CBFRSYNRA; sGFSR/sGFAR/sGFSYNR*) with the context and
//! global fault interrupts, and TLB maintenance that completes at once.
//!
//! Bus masters call [`Smmu::translate`] with their stream ID for every access, or do their
//! DMA through [`SmmuDma`], a [`DmaSpace`] that translates each access and reads or writes
//! the physical space behind it. Stream IDs on the LS2088A: fsl-mc/DPAA2 objects use the
//! ICID of their container (`iommu-map` of the fsl-mc node), PCIe the RID → SID map.
//!
//! Address map (IDR1: PAGESIZE = 64 KiB, NUMPAGE = 64): GR0 at page 0, GR1 at page 1,
//! pages 2..63 implementation defined (RAZ/WI here), context bank n at page 64 + n
//! (0x40_0000 + n·0x1_0000). Total 8 MiB = 2·NUMPAGE·PAGESIZE, the DT `reg` size.
//!
//! Choices and simplifications (documented, not architectural claims):
//! - One register view: the Secure/Non-secure banking of the global space is not modelled;
//!   the OS sees the NS view the RDB's firmware leaves it (all SMRs and CBs Non-secure).
//! - No TLB is kept: every transaction walks the tables, so every invalidation is complete
//!   as soon as it is written and TLBSTATUS/sTLBGSTATUS.GSACTIVE always read 0.
//! - Stall mode (SCTLR.CFCFG = 1): the fault is recorded with FSR.SS set, but the
//!   transaction is terminated at once (a synchronous device model cannot wait for
//!   CB_RESUME); writing CB_RESUME clears SS.
//! - Transactions are unprivileged data accesses unless S2CR.PRIVCFG forces privileged.
//! - Stage 1 translates in the AArch64 format (CBA2R.VA64 = 1) and the AArch32
//!   long-descriptor format (VA64 = 0, TCR.EAE = 1); the AArch32 short-descriptor format
//!   and AArch32-format stage 2 fault with FSR.TF (Linux on arm64 always picks AArch64).
//! - S2CR.TYPE = fault, like an unmatched stream with sCR0.USFCFG = 1, records a global
//!   Unidentified Stream Fault (sGFSR.USF).
//! - Nested (CBAR.TYPE = 0b11): CBAR[15:8] names the stage-2 context bank; stage-2 faults
//!   (also on stage-1 table reads, FSYNR0.PTWF) are recorded in that stage-2 bank with
//!   FAR = the faulting IPA and FSYNR0.S1CBNDX = the stage-1 bank.

mod walk;
#[cfg(test)]
mod tests;

pub use walk::{Granule, WalkFault};

use crate::dma::{DmaError, DmaSpace};
use crate::{DevCtx, IrqLine, Mmio, MmioError, MmioResult, Size};
use walk::{bits, s1_start_level, size_bits, walk, WalkCfg};

/// SMMU register page size (IDR1.PAGESIZE = 1: 64 KiB).
pub const PAGE: u64 = 0x1_0000;
/// Pages of global space (NUMPAGE = 2^(NUMPAGENDXB + 1) = 64).
pub const NUMPAGE: u64 = 64;
/// Size of the whole register window (the RDB DTB's `reg`: 8 MiB).
pub const WINDOW_SIZE: u64 = 2 * NUMPAGE * PAGE;
/// Stream mapping register groups (IDR0.NUMSMRG).
pub const NUM_SMRG: usize = 128;
/// Translation context banks (IDR1.NUMCB), none stage-2 only (IDR1.NUMS2CB = 0).
pub const NUM_CB: usize = 64;
/// Stream ID width (IDR0.NUMSIDB = 15).
pub const SID_BITS: u32 = 15;
/// Global fault interrupts in the RDB DTB (`#global-interrupts`); the model drives the
/// first (SPI 13).
pub const NUM_GLOBAL_IRQS: usize = 12;

// ---- GR0 (Arm IHI 0062 chapter 9; offsets as Linux's arm-smmu.h lists them too)
pub const SCR0: u64 = 0x00;
pub const SCR1: u64 = 0x04;
pub const SCR2: u64 = 0x08;
pub const SACR: u64 = 0x10;
pub const IDR0: u64 = 0x20;
pub const SGFAR: u64 = 0x40;
pub const SGFSR: u64 = 0x48;
pub const SGFSRRESTORE: u64 = 0x4c;
pub const SGFSYNR0: u64 = 0x50;
pub const SGFSYNR1: u64 = 0x54;
pub const SGFSYNR2: u64 = 0x58;
pub const STLBIALL: u64 = 0x60;
pub const TLBIVMID: u64 = 0x64;
pub const TLBIALLNSNH: u64 = 0x68;
pub const TLBIALLH: u64 = 0x6c;
pub const STLBGSYNC: u64 = 0x70;
pub const STLBGSTATUS: u64 = 0x74;
pub const TLBIVAH: u64 = 0x78;
pub const SMR0: u64 = 0x800;
pub const S2CR0: u64 = 0xc00;

// ---- GR1
pub const CBAR0: u64 = 0x000;
pub const CBFRSYNRA0: u64 = 0x400;
pub const CBA2R0: u64 = 0x800;

// ---- Context bank
pub const CB_SCTLR: u64 = 0x00;
pub const CB_ACTLR: u64 = 0x04;
pub const CB_RESUME: u64 = 0x08;
pub const CB_TCR2: u64 = 0x10;
pub const CB_TTBR0: u64 = 0x20;
pub const CB_TTBR1: u64 = 0x28;
pub const CB_TCR: u64 = 0x30;
pub const CB_CONTEXTIDR: u64 = 0x34;
pub const CB_MAIR0: u64 = 0x38;
pub const CB_MAIR1: u64 = 0x3c;
pub const CB_PAR: u64 = 0x50;
pub const CB_FSR: u64 = 0x58;
pub const CB_FSRRESTORE: u64 = 0x5c;
pub const CB_FAR: u64 = 0x60;
pub const CB_FSYNR0: u64 = 0x68;
pub const CB_FSYNR1: u64 = 0x6c;
pub const CB_IPAFAR: u64 = 0x70;
pub const CB_TLBIVA: u64 = 0x600;
pub const CB_TLBIVAA: u64 = 0x608;
pub const CB_TLBIASID: u64 = 0x610;
pub const CB_TLBIALL: u64 = 0x618;
pub const CB_TLBIVAL: u64 = 0x620;
pub const CB_TLBIVAAL: u64 = 0x628;
pub const CB_TLBIIPAS2: u64 = 0x630;
pub const CB_TLBIIPAS2L: u64 = 0x638;
pub const CB_TLBSYNC: u64 = 0x7f0;
pub const CB_TLBSTATUS: u64 = 0x7f4;

// ---- Fields
pub const SCR0_CLIENTPD: u32 = 1 << 0;
pub const SCR0_GFRE: u32 = 1 << 1;
pub const SCR0_GFIE: u32 = 1 << 2;
pub const SCR0_USFCFG: u32 = 1 << 10;
pub const SCR0_SMCFCFG: u32 = 1 << 21;
/// sCR0 after reset (MMU-500 TRM: SMCFCFG = 1, CLIENTPD = 1).
pub const SCR0_RESET: u32 = SCR0_SMCFCFG | SCR0_CLIENTPD;

pub const GFSR_ICF: u32 = 1 << 0;
pub const GFSR_USF: u32 = 1 << 1;
pub const GFSR_SMCF: u32 = 1 << 2;
pub const GFSR_UCBF: u32 = 1 << 3;
pub const GFSR_MULTI: u32 = 1 << 31;
/// sGFSYNR0.WNR: the faulting transaction was a write.
pub const GFSYNR0_WNR: u32 = 1 << 1;

pub const SMR_VALID: u32 = 1 << 31;
pub const S2CR_TYPE_TRANS: u32 = 0;
pub const S2CR_TYPE_BYPASS: u32 = 1;
pub const S2CR_TYPE_FAULT: u32 = 2;

pub const CBAR_TYPE_S2: u32 = 0;
pub const CBAR_TYPE_S1_S2BYPASS: u32 = 1;
pub const CBAR_TYPE_S1_S2FAULT: u32 = 2;
pub const CBAR_TYPE_NESTED: u32 = 3;
pub const CBA2R_VA64: u32 = 1;

pub const SCTLR_M: u32 = 1 << 0;
pub const SCTLR_CFRE: u32 = 1 << 5;
pub const SCTLR_CFIE: u32 = 1 << 6;
pub const SCTLR_CFCFG: u32 = 1 << 7;

pub const FSR_TF: u32 = 1 << 1;
pub const FSR_AFF: u32 = 1 << 2;
pub const FSR_PF: u32 = 1 << 3;
pub const FSR_EF: u32 = 1 << 4;
pub const FSR_ASF: u32 = 1 << 7;
pub const FSR_SS: u32 = 1 << 30;
pub const FSR_MULTI: u32 = 1 << 31;
/// FSR.FORMAT [10:9] = 0b10: the fault used the AArch64 descriptor format.
pub const FSR_FORMAT_AARCH64: u32 = 2 << 9;
/// The FSR bits that are faults (W1C, and what raises the context interrupt).
pub const FSR_FAULT: u32 = FSR_MULTI | FSR_SS | (1 << 8) | FSR_ASF | (1 << 6) | (1 << 5) | FSR_EF | FSR_PF | FSR_AFF | FSR_TF;
pub const FSYNR0_WNR: u32 = 1 << 4;
pub const FSYNR0_PTWF: u32 = 1 << 10;

/// ID register values of the LS2088A's MMU-500 (what `arm_smmu_device_cfg_probe` reads),
/// worked out from the MMU-500 TRM's configuration options, the RDB DTB and the
/// reference notes (ls2088a-reference.md §3):
/// - IDR0 0xFC40_7E80: SES(31) S1TS(30) S2TS(29) NTS(28) SMS(27) ATOSNS(26: the MMU-500
///   has no address translation operations), AArch32 formats supported (25:24 = 0),
///   NUMIRPT(23:16) = 64 context interrupts, CTTW(14) (dma-coherent walks), BTM(13),
///   NUMSIDB(12:9) = 15, EXIDS(8) = 0, NUMSMRG(7:0) = 128.
/// - IDR1 0xD000_1F40: PAGESIZE(31) = 64 KiB, NUMPAGENDXB(30:28) = 5 (64 pages),
///   SSDTP/NUMSSDNDXB(12:8) = 0x1F, NUMS2CB(23:16) = 0, NUMCB(7:0) = 64.
/// - IDR2 0x0000_5555: PTFS_64K(14), PTFS_4K(12), UBS = OAS = IAS = 5 (48 bits), no
///   VMID16, no 16K granule.
/// - IDR7 0x21: MMU-500 r2p1 (MAJOR 2, MINOR 1).
pub const LS2088A_IDR: [u32; 8] = [0xFC40_7E80, 0xD000_1F40, 0x0000_5555, 0, 0, 0, 0, 0x21];

/// The stream ID a DPAA2/fsl-mc bus master presents for an access with these AMQ
/// (Accessing Master Qualifier) attributes on Chassis-3 parts (ls2088a-reference.md,
/// "Stream-ID plan", from U-Boot's stream_id_lsch3.h): ICID[6:0] → SID[6:0], VA → bit 7,
/// BMT (bypass memory translation) → bit 8, PL (privilege level) → bit 9. Ordinary DPAA2
/// traffic has VA = BMT = PL = 0, so its stream ID is the container ICID (23..63 under
/// the fixed-up `iommu-map`). The DT's stream-match-mask 0x7c00 ignores bits 14:10.
pub fn amq_stream_id(icid: u16, va: bool, bmt: bool, pl: bool) -> u32 {
    (icid as u32 & 0x7f) | (va as u32) << 7 | (bmt as u32) << 8 | (pl as u32) << 9
}

/// Direction of a device access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DmaDir {
    Read,
    Write,
}

/// Where a transaction's fault was recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultRecord {
    /// In sGFSR with this bit (USF, SMCF, UCBF, ICF).
    Global(u32),
    /// In context bank `cb`'s FSR with this bit (TF, AFF, PF, EF, ASF).
    Context { cb: u8, fsr: u32 },
}

/// A transaction the SMMU terminated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SmmuFault {
    pub record: FaultRecord,
    /// The client sees an abort (sCR0.GFRE / SCTLR.CFRE set); otherwise the access
    /// completes without effect: reads return zero, writes are dropped.
    pub abort: bool,
}

/// One translation context bank.
#[derive(Debug, Clone, Default)]
struct Cb {
    cbar: u32,
    cba2r: u32,
    cbfrsynra: u32,
    sctlr: u32,
    actlr: u32,
    tcr: u32,
    tcr2: u32,
    ttbr0: u64,
    ttbr1: u64,
    contextidr: u32,
    mair0: u32,
    mair1: u32,
    fsr: u32,
    far: u64,
    fsynr0: u32,
    fsynr1: u32,
    ipafar: u64,
}

/// The MMU-500 model. See the module documentation.
pub struct Smmu {
    idr: [u32; 8],
    scr0: u32,
    scr1: u32,
    scr2: u32,
    sacr: u32,
    sgfsr: u32,
    sgfar: u64,
    sgfsynr: [u32; 3],
    smr: Vec<u32>,
    s2cr: Vec<u32>,
    cbs: Vec<Cb>,
    global_irq: IrqLine,
    context_irqs: Vec<IrqLine>,
    /// Counts of translations by outcome, for `describe`.
    stats: Stats,
    warned_offsets: Vec<u64>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    translated: u64,
    bypassed: u64,
    faults: u64,
}

/// What a stream maps to after stream matching.
enum Route {
    Bypass,
    Fault(u32),
    Context(usize, u32),
}

/// A stage's fault: the FSR bit, the level, and (stage 2) the IPA.
#[derive(Debug, Clone, Copy)]
struct StageFault {
    fsr: u32,
    level: u8,
    /// Context bank that records it (the stage-2 bank for stage-2 faults when nested).
    cb: usize,
    ipa: Option<u64>,
    ptw: bool,
}

impl From<(WalkFault, u8)> for StageFault {
    fn from((f, level): (WalkFault, u8)) -> Self {
        let fsr = match f {
            WalkFault::Translation => FSR_TF,
            WalkFault::AccessFlag => FSR_AFF,
            WalkFault::AddressSize => FSR_ASF,
            WalkFault::External => FSR_EF,
        };
        StageFault { fsr, level, cb: usize::MAX, ipa: None, ptw: false }
    }
}

impl Smmu {
    /// The LS2088A's SMMU after reset: `global_irq` is its first global fault interrupt,
    /// `context_irqs[n]` context bank n's interrupt (missing ones are detached).
    pub fn new(global_irq: IrqLine, mut context_irqs: Vec<IrqLine>) -> Self {
        context_irqs.resize_with(NUM_CB, IrqLine::detached);
        Smmu {
            idr: LS2088A_IDR,
            scr0: SCR0_RESET,
            // NSNUMSMRGO [15:8] and NSNUMCBO [7:0]: every SMR and CB belongs to Non-secure
            // (fields saturate at their width: 128 SMRs fit, 64 CBs fit).
            scr1: (NUM_SMRG as u32) << 8 | NUM_CB as u32,
            scr2: 0,
            // MMU-500 sACR reset: CACHE_LOCK (bit 26) set; Linux clears it (r2p0+).
            sacr: 0x0400_0004,
            sgfsr: 0,
            sgfar: 0,
            sgfsynr: [0; 3],
            smr: vec![0; NUM_SMRG],
            // S2CR reset: TYPE = fault (MMU-500 TRM reset value 0x0002_0000).
            s2cr: vec![S2CR_TYPE_FAULT << 16; NUM_SMRG],
            // CB ACTLR reset: CPRE (bit 1) and CMTLB (bit 0) set; Linux clears CPRE.
            cbs: vec![Cb { actlr: 3, ..Cb::default() }; NUM_CB],
            global_irq,
            context_irqs,
            stats: Stats::default(),
            warned_offsets: Vec::new(),
        }
    }

    /// An SMMU whose interrupts go nowhere (unit tests, inspection).
    pub fn detached() -> Self {
        Smmu::new(IrqLine::detached(), Vec::new())
    }

    fn update_irqs(&self) {
        self.global_irq.set_level(self.sgfsr != 0 && self.scr0 & SCR0_GFIE != 0);
        for (cb, line) in self.cbs.iter().zip(&self.context_irqs) {
            line.set_level(cb.fsr & FSR_FAULT != 0 && cb.sctlr & SCTLR_CFIE != 0);
        }
    }

    // ------------------------------------------------------------------ matching

    fn sid_mask() -> u32 {
        (1 << SID_BITS) - 1
    }

    /// Stream matching (IHI 0062 §2.4): SMRn matches when VALID and the stream ID equals
    /// SMRn.ID in every bit that SMRn.MASK does not ignore. Returns the matching groups.
    fn matches(&self, sid: u32) -> impl Iterator<Item = usize> + '_ {
        self.smr.iter().enumerate().filter_map(move |(i, &smr)| {
            let id = smr & 0xffff;
            let mask = (smr >> 16) & 0x7fff;
            (smr & SMR_VALID != 0 && (sid ^ id) & !mask & Self::sid_mask() == 0).then_some(i)
        })
    }

    fn route(&self, sid: u32) -> Route {
        if self.scr0 & SCR0_CLIENTPD != 0 {
            return Route::Bypass;
        }
        let mut m = self.matches(sid);
        let Some(first) = m.next() else {
            return if self.scr0 & SCR0_USFCFG != 0 { Route::Fault(GFSR_USF) } else { Route::Bypass };
        };
        // More than one match: a Stream Match Conflict fault when sCR0.SMCFCFG = 1;
        // otherwise UNPREDICTABLE, and lsemu uses the lowest-numbered group.
        if m.next().is_some() && self.scr0 & SCR0_SMCFCFG != 0 {
            return Route::Fault(GFSR_SMCF);
        }
        let s2cr = self.s2cr[first];
        match (s2cr >> 16) & 3 {
            S2CR_TYPE_TRANS => {
                let cb = (s2cr & 0xff) as usize;
                if cb >= NUM_CB {
                    Route::Fault(GFSR_UCBF)
                } else {
                    Route::Context(cb, s2cr)
                }
            }
            S2CR_TYPE_BYPASS => Route::Bypass,
            _ => Route::Fault(GFSR_USF),
        }
    }

    // ------------------------------------------------------------------ translation

    /// Translates one access of bus master `sid` to `iova`, walking tables in `mem`
    /// (physical addresses). Faults are recorded (FSR/FAR/FSYNR0 or sGFSR/sGFAR/sGFSYNR*)
    /// and raise the context or global interrupt as the enables say.
    pub fn translate(&mut self, mem: &mut dyn DmaSpace, sid: u32, iova: u64, dir: DmaDir) -> Result<u64, SmmuFault> {
        match self.route(sid) {
            Route::Bypass => {
                self.stats.bypassed += 1;
                Ok(iova)
            }
            Route::Fault(bit) => Err(self.global_fault(bit, sid, iova, dir)),
            Route::Context(cb, s2cr) => {
                // S2CR.PRIVCFG [25:24]: 0b11 forces privileged; otherwise the device's own
                // attribute, which is unprivileged here.
                let privileged = (s2cr >> 24) & 3 == 3;
                match self.context_translate(mem, cb, iova, dir, privileged) {
                    Ok(pa) => {
                        self.stats.translated += 1;
                        Ok(pa)
                    }
                    Err(Err(bit)) => Err(self.global_fault(bit, sid, iova, dir)),
                    Err(Ok(f)) => Err(self.context_fault(f, cb, sid, iova, dir)),
                }
            }
        }
    }

    fn global_fault(&mut self, bit: u32, sid: u32, iova: u64, dir: DmaDir) -> SmmuFault {
        self.stats.faults += 1;
        if self.sgfsr & !GFSR_MULTI != 0 {
            self.sgfsr |= GFSR_MULTI;
        } else {
            self.sgfsr |= bit;
            self.sgfar = iova;
            self.sgfsynr[0] = if dir == DmaDir::Write { GFSYNR0_WNR } else { 0 };
            self.sgfsynr[1] = sid & 0xffff;
            self.sgfsynr[2] = 0;
        }
        self.update_irqs();
        SmmuFault { record: FaultRecord::Global(bit), abort: self.scr0 & SCR0_GFRE != 0 }
    }

    fn context_fault(&mut self, f: StageFault, s1cb: usize, sid: u32, iova: u64, dir: DmaDir) -> SmmuFault {
        self.stats.faults += 1;
        let cbi = if f.cb < NUM_CB { f.cb } else { s1cb };
        let cb = &mut self.cbs[cbi];
        if cb.fsr & FSR_FAULT != 0 {
            cb.fsr |= FSR_MULTI;
        } else {
            cb.fsr |= f.fsr | FSR_FORMAT_AARCH64;
            if cb.sctlr & SCTLR_CFCFG != 0 {
                cb.fsr |= FSR_SS;
            }
            let mut syn = (f.level & 3) as u32;
            if dir == DmaDir::Write {
                syn |= FSYNR0_WNR;
            }
            if f.ptw {
                syn |= FSYNR0_PTWF;
            }
            if cbi != s1cb {
                // S1CBNDX [23:16]: the stage-1 bank of a nested stage-2 fault.
                syn |= (s1cb as u32 & 0xff) << 16;
            }
            cb.fsynr0 = syn;
            cb.fsynr1 = 0;
            cb.far = f.ipa.unwrap_or(iova);
            cb.ipafar = f.ipa.unwrap_or(0);
            cb.cbfrsynra = sid & 0xffff;
        }
        let abort = cb.sctlr & SCTLR_CFRE != 0;
        self.update_irqs();
        SmmuFault { record: FaultRecord::Context { cb: cbi as u8, fsr: f.fsr }, abort }
    }

    /// Context-bank translation. `Err(Ok(f))` is a context fault, `Err(Err(bit))` a
    /// global one (a nested bank pointing at a bank that is not stage 2: ICF).
    fn context_translate(&self, mem: &mut dyn DmaSpace, cbi: usize, iova: u64, dir: DmaDir, privileged: bool) -> Result<u64, Result<StageFault, u32>> {
        let cb = &self.cbs[cbi];
        let ty = (cb.cbar >> 16) & 3;
        if ty == CBAR_TYPE_S2 {
            return self.stage2(mem, cbi, iova, dir, false).map_err(Ok);
        }
        let s2 = match ty {
            CBAR_TYPE_NESTED => {
                let s2 = ((cb.cbar >> 8) & 0xff) as usize;
                if s2 >= NUM_CB || (self.cbs[s2].cbar >> 16) & 3 != CBAR_TYPE_S2 {
                    return Err(Err(GFSR_ICF));
                }
                Some(s2)
            }
            _ => None,
        };
        let ipa = if cb.sctlr & SCTLR_M == 0 {
            iova
        } else {
            let mut read = |pa: u64, _level: u8| -> Result<u64, StageFault> {
                // Stage-1 table addresses are IPAs under a nested stage 2.
                let pa = match s2 {
                    Some(s2) => self.stage2(mem, s2, pa, DmaDir::Read, true)?,
                    None => pa,
                };
                mem.read_u64(pa).map_err(|_| StageFault::from((WalkFault::External, _level)))
            };
            self.stage1(cbi, iova, dir, privileged, &mut read).map_err(Ok)?
        };
        match (ty, s2) {
            (CBAR_TYPE_S1_S2FAULT, _) => {
                // Stage 2 configured to fault: every transaction that reaches it faults.
                Err(Ok(StageFault { fsr: FSR_TF, level: 0, cb: cbi, ipa: None, ptw: false }))
            }
            (_, Some(s2)) => self.stage2(mem, s2, ipa, dir, false).map_err(Ok),
            _ => Ok(ipa),
        }
    }

    fn stage1(&self, cbi: usize, iova: u64, dir: DmaDir, privileged: bool, read: &mut dyn FnMut(u64, u8) -> Result<u64, StageFault>) -> Result<u64, StageFault> {
        let cb = &self.cbs[cbi];
        let tf = StageFault { fsr: FSR_TF, level: 0, cb: cbi, ipa: None, ptw: false };
        let params = if cb.cba2r & CBA2R_VA64 != 0 { self.s1_aarch64(cb, iova) } else { Self::s1_aarch32_long(cb, iova) };
        let (c, va) = params.ok_or(tf)?;
        let leaf = walk(&c, va, read).map_err(|f: StageFault| if f.cb == usize::MAX { StageFault { cb: cbi, ..f } } else { f })?;
        // AP[2:1] (descriptor bits 7:6) with APTable: AP[2] = read-only, AP[1] = EL0 too.
        let ap = (leaf.desc >> 6) & 3;
        let user_ok = ap & 1 == 1 && leaf.ap_table & 1 == 0;
        let write_ok = ap & 2 == 0 && leaf.ap_table & 2 == 0;
        if (!privileged && !user_ok) || (dir == DmaDir::Write && !write_ok) {
            return Err(StageFault { fsr: FSR_PF, level: leaf.level, cb: cbi, ipa: None, ptw: false });
        }
        Ok(leaf.oa)
    }

    /// Stage-1 walk parameters of an AArch64-format bank (CBA2R.VA64 = 1; TCR as
    /// TCR_EL1's low word, TCR2 with PASIZE and SEP) and the sign-extended input address,
    /// or `None` for a translation fault (EPDx, outside both ranges, reserved granule).
    fn s1_aarch64(&self, cb: &Cb, iova: u64) -> Option<(WalkCfg, u64)> {
        let tcr = cb.tcr as u64;
        // TCR2.SEP [17:15]: which input bit is the sign bit selecting TTBR0/TTBR1
        // (0..5: bit 31, 35, 39, 41, 43, 47; 7: the upstream bus's top bit — IDR2.UBS
        // 0b0101 is a 49-bit upstream bus (SMMUv2 spec), so bit 48: a 48-bit IOVA with
        // bit 47 set, as Linux's dma-iommu allocates top-down, still selects TTBR0).
        let sep = match (cb.tcr2 >> 15) & 7 {
            7 => 48,
            n => size_bits(n as u64) - 1,
        };
        let va = if iova >> sep & 1 == 1 { iova | bits(u64::MAX, 63, sep) } else { iova & !bits(u64::MAX, 63, sep + 1) };
        let upper = va >> 63 == 1;
        let (txsz, epd, granule, ttbr) = if upper {
            let g = match (tcr >> 30) & 3 {
                0b10 => Granule::K4,
                0b11 => Granule::K64,
                _ => return None,
            };
            ((tcr >> 16) & 63, tcr >> 23 & 1, g, cb.ttbr1)
        } else {
            let g = match (tcr >> 14) & 3 {
                0b00 => Granule::K4,
                0b01 => Granule::K64,
                _ => return None,
            };
            (tcr & 63, tcr >> 7 & 1, g, cb.ttbr0)
        };
        let inputsize = 64 - (txsz as u32).clamp(16, 39);
        let in_range = if upper { bits(!va, 63, inputsize) == 0 } else { bits(va, 63, inputsize) == 0 };
        if epd == 1 || !in_range {
            return None;
        }
        let c = WalkCfg {
            granule,
            inputsize,
            start_level: s1_start_level(granule, inputsize),
            ttbr: bits(ttbr, 47, 1),
            outputsize: size_bits(cb.tcr2 as u64).min(size_bits((self.idr[2] & 0xf) as u64)),
            stage2: false,
        };
        Some((c, va))
    }

    /// Stage-1 walk parameters of an AArch32 long-descriptor bank (CBA2R.VA64 = 0,
    /// TTBCR.EAE = 1; VMSAv7 LPAE, Arm ARM G5.5): 32-bit input, 4K granule, 40-bit
    /// output, T0SZ [2:0] / T1SZ [18:16], EPD0 (7) / EPD1 (23). TTBR0 covers
    /// [0, 2^(32-T0SZ)); TTBR1 the top 2^(32-T1SZ) bytes (everything above TTBR0's
    /// region when T1SZ = 0); an address in neither faults. The short-descriptor format
    /// (EAE = 0) is not modelled: a translation fault.
    fn s1_aarch32_long(cb: &Cb, iova: u64) -> Option<(WalkCfg, u64)> {
        let tcr = cb.tcr as u64;
        if tcr >> 31 == 0 || iova > u32::MAX as u64 {
            return None;
        }
        let (t0sz, t1sz) = ((tcr & 7) as u32, ((tcr >> 16) & 7) as u32);
        let (inputsize, epd, ttbr) = if iova < 1u64 << (32 - t0sz) {
            (32 - t0sz, tcr >> 7 & 1, cb.ttbr0)
        } else if t1sz == 0 || iova >= (1u64 << 32) - (1u64 << (32 - t1sz)) {
            (32 - t1sz, tcr >> 23 & 1, cb.ttbr1)
        } else {
            return None;
        };
        if epd == 1 {
            return None;
        }
        let c = WalkCfg {
            granule: Granule::K4,
            inputsize,
            start_level: s1_start_level(Granule::K4, inputsize),
            ttbr: bits(ttbr, 39, 1),
            outputsize: 40,
            stage2: false,
        };
        Some((c, iova))
    }

    /// Stage-2 translation of `ipa` in bank `cbi` (TCR in VTCR format, TTBR0 = VTTBR).
    /// `ptw`: the access is a stage-1 table read (FSYNR0.PTWF).
    fn stage2(&self, mem: &mut dyn DmaSpace, cbi: usize, ipa: u64, dir: DmaDir, ptw: bool) -> Result<u64, StageFault> {
        let cb = &self.cbs[cbi];
        let f = |fsr: u32, level: u8| StageFault { fsr, level, cb: cbi, ipa: Some(ipa), ptw };
        if cb.sctlr & SCTLR_M == 0 {
            return Ok(ipa);
        }
        if cb.cba2r & CBA2R_VA64 == 0 {
            return Err(f(FSR_TF, 0));
        }
        let vtcr = cb.tcr as u64;
        let granule = match (vtcr >> 14) & 3 {
            0b00 => Granule::K4,
            0b01 => Granule::K64,
            _ => return Err(f(FSR_TF, 0)),
        };
        let inputsize = 64 - ((vtcr & 63) as u32).clamp(16, 39);
        let sl0 = ((vtcr >> 6) & 3) as i32;
        let start_level = match granule {
            Granule::K4 => 2 - sl0,
            Granule::K64 => 3 - sl0,
        };
        let stride = granule.bits() as i32 - 3;
        let first = inputsize as i32 - ((3 - start_level) * stride + granule.bits() as i32);
        // The starting level needs at least 2 entries and at most 16 concatenated tables;
        // 64K has no level 0.
        if start_level < 0 || (granule == Granule::K64 && start_level < 1) || first < 1 || first > stride + 4 || bits(ipa, 63, inputsize) != 0 {
            return Err(f(FSR_TF, 0));
        }
        let c = WalkCfg {
            granule,
            inputsize,
            start_level,
            ttbr: bits(cb.ttbr0, 47, 1),
            outputsize: size_bits(vtcr >> 16).min(size_bits(((self.idr[2] >> 4) & 0xf) as u64)),
            stage2: true,
        };
        let mut read = |pa: u64, level: u8| mem.read_u64(pa).map_err(|_| f(FSR_EF, level));
        let leaf = walk(&c, ipa, &mut read).map_err(|e: StageFault| if e.cb == usize::MAX { f(e.fsr, e.level) } else { e })?;
        // S2AP [7:6]: bit 6 read allowed, bit 7 write allowed.
        let s2ap = (leaf.desc >> 6) & 3;
        let ok = match dir {
            DmaDir::Read => s2ap & 1 == 1,
            DmaDir::Write => s2ap & 2 == 2,
        };
        if !ok {
            return Err(f(FSR_PF, leaf.level));
        }
        Ok(leaf.oa)
    }

    // ------------------------------------------------------------------ registers

    fn warn_once(&mut self, off: u64, what: &str) {
        if !self.warned_offsets.contains(&off) && self.warned_offsets.len() < 64 {
            self.warned_offsets.push(off);
            tracing::warn!(target: "smmu", "MMU-500: {what} at offset {off:#x} is not modelled (RAZ/WI)");
        }
    }

    fn gr0_read(&mut self, off: u64) -> u32 {
        match off {
            SCR0 => self.scr0,
            SCR1 => self.scr1,
            SCR2 => self.scr2,
            SACR => self.sacr,
            0x20..=0x3c => self.idr[((off - IDR0) / 4) as usize],
            SGFAR => self.sgfar as u32,
            0x44 => (self.sgfar >> 32) as u32,
            SGFSR => self.sgfsr,
            SGFSYNR0 => self.sgfsynr[0],
            SGFSYNR1 => self.sgfsynr[1],
            SGFSYNR2 => self.sgfsynr[2],
            // No TLB: a sync is complete as soon as it is issued (GSACTIVE = 0).
            STLBGSTATUS => 0,
            0x800..=0xbfc => self.smr.get(((off - SMR0) / 4) as usize).copied().unwrap_or(0),
            0xc00..=0xffc if off < S2CR0 + 4 * NUM_SMRG as u64 => self.s2cr[((off - S2CR0) / 4) as usize],
            // Unimplemented SMRn/S2CRn and the write-only TLB operations read as zero.
            0xc00..=0xffc | STLBIALL | TLBIVMID | TLBIALLNSNH | TLBIALLH | STLBGSYNC | SGFSRRESTORE | TLBIVAH | 0x7c => 0,
            _ => {
                self.warn_once(off, "GR0 register read");
                0
            }
        }
    }

    fn gr0_write(&mut self, off: u64, v: u32) {
        match off {
            SCR0 => self.scr0 = v,
            SCR1 => self.scr1 = v,
            SCR2 => self.scr2 = v,
            SACR => self.sacr = v,
            0x20..=0x3c => {} // ID registers: read-only
            SGFAR => self.sgfar = self.sgfar & !0xffff_ffff | v as u64,
            0x44 => self.sgfar = self.sgfar & 0xffff_ffff | (v as u64) << 32,
            SGFSR => self.sgfsr &= !v,
            SGFSRRESTORE => self.sgfsr = v,
            SGFSYNR0 => self.sgfsynr[0] = v,
            SGFSYNR1 => self.sgfsynr[1] = v,
            SGFSYNR2 => self.sgfsynr[2] = v,
            // TLB maintenance: nothing is cached, so every operation is complete at once.
            STLBIALL | TLBIVMID | TLBIALLNSNH | TLBIALLH | STLBGSYNC | STLBGSTATUS | TLBIVAH | 0x7c => {}
            0x800..=0xbfc => {
                if let Some(r) = self.smr.get_mut(((off - SMR0) / 4) as usize) {
                    *r = v;
                }
            }
            0xc00..=0xffc => {
                if let Some(r) = self.s2cr.get_mut(((off - S2CR0) / 4) as usize) {
                    *r = v;
                }
            }
            _ => self.warn_once(off, "GR0 register write"),
        }
        self.update_irqs();
    }

    fn gr1_read(&mut self, off: u64) -> u32 {
        let n = ((off & 0x3ff) / 4) as usize;
        let Some(cb) = self.cbs.get(n) else { return 0 };
        match off {
            0x000..=0x3fc => cb.cbar,
            0x400..=0x7fc => cb.cbfrsynra,
            0x800..=0xbfc => cb.cba2r,
            _ => {
                self.warn_once(PAGE + off, "GR1 register read");
                0
            }
        }
    }

    fn gr1_write(&mut self, off: u64, v: u32) {
        let n = ((off & 0x3ff) / 4) as usize;
        if n >= NUM_CB {
            return;
        }
        match off {
            0x000..=0x3fc => self.cbs[n].cbar = v,
            0x400..=0x7fc => self.cbs[n].cbfrsynra = v,
            0x800..=0xbfc => self.cbs[n].cba2r = v,
            _ => self.warn_once(PAGE + off, "GR1 register write"),
        }
    }

    fn cb_read(&mut self, n: usize, off: u64) -> u32 {
        let cb = &self.cbs[n];
        let lo = |v: u64| v as u32;
        let hi = |v: u64| (v >> 32) as u32;
        match off {
            CB_SCTLR => cb.sctlr,
            CB_ACTLR => cb.actlr,
            CB_TCR2 => cb.tcr2,
            CB_TTBR0 => lo(cb.ttbr0),
            0x24 => hi(cb.ttbr0),
            CB_TTBR1 => lo(cb.ttbr1),
            0x2c => hi(cb.ttbr1),
            CB_TCR => cb.tcr,
            CB_CONTEXTIDR => cb.contextidr,
            CB_MAIR0 => cb.mair0,
            CB_MAIR1 => cb.mair1,
            CB_FSR => cb.fsr,
            CB_FAR => lo(cb.far),
            0x64 => hi(cb.far),
            CB_FSYNR0 => cb.fsynr0,
            CB_FSYNR1 => cb.fsynr1,
            CB_IPAFAR => lo(cb.ipafar),
            0x74 => hi(cb.ipafar),
            // PAR (no ATOS), write-only operations, TLBSTATUS (never active).
            CB_RESUME | CB_PAR | 0x54 | CB_FSRRESTORE | CB_TLBSTATUS => 0,
            0x600..=0x63c | CB_TLBSYNC => 0,
            _ => {
                self.warn_once(PAGE * (NUMPAGE + n as u64) + off, "context bank register read");
                0
            }
        }
    }

    fn cb_write(&mut self, n: usize, off: u64, v: u32) {
        let set_lo = |r: &mut u64| *r = *r & !0xffff_ffff | v as u64;
        let set_hi = |r: &mut u64| *r = *r & 0xffff_ffff | (v as u64) << 32;
        let cb = &mut self.cbs[n];
        match off {
            CB_SCTLR => cb.sctlr = v,
            CB_ACTLR => cb.actlr = v,
            CB_RESUME => cb.fsr &= !FSR_SS,
            CB_TCR2 => cb.tcr2 = v,
            CB_TTBR0 => set_lo(&mut cb.ttbr0),
            0x24 => set_hi(&mut cb.ttbr0),
            CB_TTBR1 => set_lo(&mut cb.ttbr1),
            0x2c => set_hi(&mut cb.ttbr1),
            CB_TCR => cb.tcr = v,
            CB_CONTEXTIDR => cb.contextidr = v,
            CB_MAIR0 => cb.mair0 = v,
            CB_MAIR1 => cb.mair1 = v,
            CB_FSR => cb.fsr &= !(v & FSR_FAULT),
            CB_FSRRESTORE => cb.fsr = v,
            CB_FAR => set_lo(&mut cb.far),
            0x64 => set_hi(&mut cb.far),
            CB_FSYNR0 => cb.fsynr0 = v,
            CB_FSYNR1 => cb.fsynr1 = v,
            CB_IPAFAR => set_lo(&mut cb.ipafar),
            0x74 => set_hi(&mut cb.ipafar),
            // TLB maintenance and sync: nothing cached, complete at once.
            0x600..=0x63c | CB_TLBSYNC | CB_TLBSTATUS | CB_PAR | 0x54 => {}
            _ => self.warn_once(PAGE * (NUMPAGE + n as u64) + off, "context bank register write"),
        }
        self.update_irqs();
    }

    fn read32(&mut self, off: u64) -> u32 {
        match off / PAGE {
            0 => self.gr0_read(off),
            1 => self.gr1_read(off - PAGE),
            p if p < NUMPAGE => 0,
            p => {
                let n = (p - NUMPAGE) as usize;
                if n < NUM_CB {
                    self.cb_read(n, off % PAGE)
                } else {
                    0
                }
            }
        }
    }

    fn write32(&mut self, off: u64, v: u32) {
        match off / PAGE {
            0 => self.gr0_write(off, v),
            1 => self.gr1_write(off - PAGE, v),
            p if p < NUMPAGE => {}
            p => {
                let n = (p - NUMPAGE) as usize;
                if n < NUM_CB {
                    self.cb_write(n, off % PAGE, v)
                }
            }
        }
    }

    /// A summary of the SMMU's state for the monitor: global configuration, pending
    /// faults, every valid stream mapping and every enabled context bank.
    pub fn describe(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let onoff = |b: bool| if b { "on" } else { "off" };
        let _ = writeln!(
            s,
            "MMU-500: sCR0 {:#010x} (client port {}, unmatched streams {}), sGFSR {:#x}, translated {} bypassed {} faults {}",
            self.scr0,
            if self.scr0 & SCR0_CLIENTPD != 0 { "disabled: all bypass" } else { "enabled" },
            if self.scr0 & SCR0_USFCFG != 0 { "fault" } else { "bypass" },
            self.sgfsr,
            self.stats.translated,
            self.stats.bypassed,
            self.stats.faults
        );
        if self.sgfsr != 0 {
            let _ = writeln!(s, "  global fault: sGFAR {:#x} sGFSYNR0 {:#x} stream {:#x}", self.sgfar, self.sgfsynr[0], self.sgfsynr[1]);
        }
        for (i, &smr) in self.smr.iter().enumerate().filter(|(_, &smr)| smr & SMR_VALID != 0) {
            let s2cr = self.s2cr[i];
            let target = match (s2cr >> 16) & 3 {
                S2CR_TYPE_TRANS => format!("context bank {}", s2cr & 0xff),
                S2CR_TYPE_BYPASS => "bypass".to_string(),
                _ => "fault".to_string(),
            };
            let _ = writeln!(s, "  SMR{i}: id {:#x} mask {:#x} -> {target}", smr & 0xffff, (smr >> 16) & 0x7fff);
        }
        for (i, cb) in self.cbs.iter().enumerate().filter(|(_, cb)| cb.sctlr & SCTLR_M != 0 || cb.fsr != 0) {
            let ty = match (cb.cbar >> 16) & 3 {
                CBAR_TYPE_S2 => format!("stage 2 (VMID {})", cb.cbar & 0xff),
                CBAR_TYPE_S1_S2BYPASS => "stage 1".to_string(),
                CBAR_TYPE_S1_S2FAULT => "stage 1, stage 2 fault".to_string(),
                _ => format!("nested S1 + S2 (bank {})", (cb.cbar >> 8) & 0xff),
            };
            let _ = writeln!(
                s,
                "  CB{i}: {ty}, M {}, TCR {:#x} TCR2 {:#x} TTBR0 {:#x} TTBR1 {:#x}, FSR {:#x} FAR {:#x} FSYNR0 {:#x}",
                onoff(cb.sctlr & SCTLR_M != 0),
                cb.tcr,
                cb.tcr2,
                cb.ttbr0,
                cb.ttbr1,
                cb.fsr,
                cb.far,
                cb.fsynr0
            );
        }
        s
    }
}

impl Mmio for Smmu {
    fn read(&mut self, _cx: &mut DevCtx, off: u64, size: Size) -> MmioResult<u64> {
        if !off.is_multiple_of(size.bytes() as u64) {
            return Err(MmioError::Unaligned);
        }
        match size {
            Size::B4 => Ok(self.read32(off) as u64),
            // 64-bit registers (TTBRn, FAR, PAR, sGFAR): low word first.
            Size::B8 => Ok(self.read32(off) as u64 | (self.read32(off + 4) as u64) << 32),
            _ => Err(MmioError::BadSize),
        }
    }

    fn write(&mut self, _cx: &mut DevCtx, off: u64, size: Size, val: u64) -> MmioResult<()> {
        if !off.is_multiple_of(size.bytes() as u64) {
            return Err(MmioError::Unaligned);
        }
        match size {
            Size::B4 => self.write32(off, val as u32),
            Size::B8 => {
                self.write32(off, val as u32);
                self.write32(off + 4, (val >> 32) as u32);
            }
            _ => return Err(MmioError::BadSize),
        }
        Ok(())
    }
}

/// The memory a bus master sees through the SMMU: every access is translated with the
/// master's stream ID, split at 4 KiB boundaries (the smallest granule), then performed
/// in the physical space `mem`. A fault whose client response is an abort gives
/// [`DmaError::Fault`]; without one the access completes with no effect (reads zero).
pub struct SmmuDma<'a> {
    pub smmu: &'a mut Smmu,
    pub mem: &'a mut dyn DmaSpace,
    pub stream_id: u32,
}

impl SmmuDma<'_> {
    fn each(&mut self, iova: u64, len: usize, dir: DmaDir, mut f: impl FnMut(&mut dyn DmaSpace, Option<u64>, std::ops::Range<usize>) -> Result<(), DmaError>) -> Result<(), DmaError> {
        let mut done = 0usize;
        while done < len {
            let a = iova.wrapping_add(done as u64);
            let n = ((0x1000 - (a & 0xfff)) as usize).min(len - done);
            match self.smmu.translate(&mut *self.mem, self.stream_id, a, dir) {
                Ok(pa) => f(&mut *self.mem, Some(pa), done..done + n)?,
                Err(e) if e.abort => return Err(DmaError::Fault),
                Err(_) => f(&mut *self.mem, None, done..done + n)?,
            }
            done += n;
        }
        Ok(())
    }
}

impl DmaSpace for SmmuDma<'_> {
    fn read(&mut self, iova: u64, buf: &mut [u8]) -> Result<(), DmaError> {
        self.each(iova, buf.len(), DmaDir::Read, |mem, pa, r| match pa {
            Some(pa) => mem.read(pa, buf.get_mut(r).ok_or(DmaError::Unmapped)?),
            None => {
                buf.get_mut(r).ok_or(DmaError::Unmapped)?.fill(0);
                Ok(())
            }
        })
    }
    fn write(&mut self, iova: u64, buf: &[u8]) -> Result<(), DmaError> {
        self.each(iova, buf.len(), DmaDir::Write, |mem, pa, r| match pa {
            Some(pa) => mem.write(pa, buf.get(r).ok_or(DmaError::Unmapped)?),
            None => Ok(()),
        })
    }
}
