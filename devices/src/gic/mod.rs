//! Arm GIC-500 (GICv3) as on the NXP LS2088A: Distributor, 8 Redistributors and the CPU
//! interfaces (ICC_* system registers) of the 8 Cortex-A72 cores.
//!
//! References: Arm IHI 0069 (GICv3/v4 architecture specification, cited as "IHI 0069
//! §x") and Arm DDI 0516 (GIC-500 TRM). Everything is deterministic: no host time, no
//! threads; the machine calls in.
//!
//! # One MMIO window
//! The GIC implements [`Mmio`] over one 2 MiB window at 0x0600_0000 (the LS2088A's GIC
//! base): GICD at +0 (64 KiB), the ITS at +0x2_0000 (128 KiB: control frame, then
//! GITS_TRANSLATER's frame; see [`its`]), and the redistributors at +0x10_0000, 128 KiB
//! per CPU (RD_base then SGI_base).
//!
//! # DMA
//! The ITS (command queue) and the redistributors (LPI configuration and pending tables)
//! read guest memory: the machine accesses the window with [`Gic::read_dma`] /
//! [`Gic::write_dma`] and delivers MSIs with [`Gic::its_translate`], each given a
//! [`DmaSpace`]. The plain [`Mmio`] methods use no memory (ITS commands then stall).
//!
//! # Security
//! The GIC-500 implements two Security states, `GICD_CTLR.DS` resets to 0 and can be set
//! by a Secure write. [`Mmio`] accesses carry no security attribute in lsemu, so they are
//! treated as **Non-secure** accesses (what Linux does); the EL3 firmware model uses
//! [`Gic::read_attr`]/[`Gic::write_attr`] with `secure = true`, or
//! [`Gic::el3_firmware_init`], which does what TF-A's GICv3 driver does before it enters
//! a Non-secure kernel (every interrupt Group 1 Non-secure, all groups enabled, SRE
//! enabled for EL2/EL1, redistributors awake). [`GicConfig::security_disabled`] resets
//! DS to 1 instead (single Security state, like QEMU's virt board without EL3).
//! With DS = 0, Non-secure accesses follow IHI 0069 §4.8 and §12: Secure interrupts' bits
//! are RAZ/WI, IGROUPR/IGRPMODR/NSACR are RAZ/WI, GICR_WAKER.ProcessorSleep is RAZ/WI,
//! priorities use the Non-secure view (§4.8.6: written value >> 1 | 0x80). For the CPU
//! interface, PMR and RPR use the view with SCR_EL3.FIQ == 0 (no shift).
//!
//! # Interrupt inputs and outputs
//! SPIs come from devices through an [`IrqBank`] (line n = SPI n = INTID 32 + n); PPIs
//! through [`Gic::set_ppi`]. Level-sensitive interrupts are pending while the line is high
//! (or software set them pending); edge-triggered ones latch pending on a rising edge.
//! The per-CPU outputs come from [`Gic::irq_levels`]; the highest-priority pending
//! interrupt of each CPU is cached and recomputed after every GIC access, and whenever the
//! input bank's generation changes (`irq_levels` rescans while the cache is stale).
//!
//! # Wiring it into the machine
//! - `let spis = IrqBank::new(256); let gic = Gic::new(&GicConfig::ls2088a(), spis.clone());`
//!   map `gic` at 0x0600_0000, size [`WINDOW_SIZE`]; device n's line is
//!   `IrqLine::new(spis.clone(), n)` for `SPI n` (INTID 32 + n) of the DTB.
//! - `Platform::icc_access_ctx(ctx, enc, w)` →
//!   `gic.icc_access_virt(ctx.cpu as usize, CpuCtx { el: ctx.el, secure: ctx.secure },
//!   ctx.hcr_el2, SysRegId::new(enc.op0, enc.op1, enc.crn, enc.crm, enc.op2), w)`, mapping
//!   [`IccOutcome`] to `IccResult` (ICH_* at EL2/EL3, ICV_* at Non-secure EL1 when
//!   HCR_EL2.IMO/FMO select them, the traps to EL2 that HCR_EL2/ICH_HCR_EL2 ask for).
//!   [`Gic::icc_access`] is the same with HCR_EL2 = 0.
//! - `Platform::irq_levels(cpu)` → `let (irq, fiq) = gic.irq_levels(cpu as usize)` and
//!   `let (virq, vfiq) = gic.virq_levels(cpu as usize)` (the virtual CPU interface's
//!   outputs; the CPU uses them only while HCR_EL2.IMO/FMO are set). `irq_levels` uses
//!   the context of the CPU's latest ICC access, or the one given by [`Gic::set_cpu_ctx`]
//!   (call it when the PE changes EL/Security state, e.g. at quantum boundaries).
//! - Generic timer: `gic.set_ppi(cpu, 30 /* 29, 27, 26 */, level)`.
//! - Call [`Gic::sync_inputs`] at quantum boundaries and after device accesses/events, so
//!   edges are latched and `irq_levels` stays on its fast path.
//! - Built-in EL3 monitor: call [`Gic::el3_firmware_init`] before entering Linux in
//!   Non-secure state (as TF-A does); or build with `security_disabled = true`.
//!
//! # Not modelled (yet)
//! - GICv4 (VLPIs, V* ITS commands) and DirectLPI (GICR_SETLPIR/INVLPIR... RAZ/WI, as
//!   on the GIC-500). The ITS device/collection tables are kept in the model, not in
//!   guest memory (their format is IMPLEMENTATION DEFINED): see [`its`].
//! - GICv3 virtualization (vcpuif.rs): ICH_*_EL2 and ICV_* are modelled with the
//!   Cortex-A72 parameters (4 LRs, 5 priority bits); the maintenance interrupt drives
//!   PPI 25. Not modelled: GICv4 direct injection, virtual LPIs from an ITS, ICV_*
//!   accesses from AArch32, the ICC_SRE_EL2.Enable trap of ICC_SRE_EL1, SCR_EL3.{IRQ,FIQ}
//!   traps of ICC accesses to EL3.
//! - SCR_EL3.FIQ/IRQ-dependent views of PMR/RPR, GICR_CTLR.DPG*, GICD_SETSPI_*.

pub mod regs;

mod cpuif;
mod dist;
pub mod its;
mod redist;
mod vcpuif;
#[cfg(test)]
mod its_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod vtests;

pub use cpuif::{IccReg, SysRegId};
pub use its::{ItsError, ItsState, Lpi};
pub use vcpuif::{IccOutcome, IchReg, VCpuIfState, ICH_VTR, NUM_LRS};

use crate::dma::{DmaSpace, NoDma};
use crate::{DevCtx, IrqBank, Mmio, MmioError, MmioResult, Size};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Offset of the distributor in the GIC window.
pub const GICD_OFFSET: u64 = 0;
/// Offset of the ITS (control frame, then the translation frame at + 0x1_0000).
pub const GITS_OFFSET: u64 = 0x2_0000;
/// Offset of the first redistributor.
pub const GICR_OFFSET: u64 = 0x10_0000;
/// Size of one redistributor (RD_base + SGI_base).
pub const GICR_STRIDE: u64 = 0x2_0000;
/// Size of the whole GIC window.
pub const WINDOW_SIZE: u64 = 0x20_0000;

/// GICD_IIDR/GICR_IIDR: ProductID bits 31:24 = 0x02, Variant 0, Revision 0, Implementer
/// bits 11:0 = 0x43B (Arm): the GIC-500 value lsemu uses. It matches none of Linux 6.1's GICv3
/// quirk entries (e.g. 0x00000000, HiSilicon HIP07).
pub const GIC500_IIDR: u32 = 0x0200_043B;

/// Special INTIDs (IHI 0069 §2.2.1).
pub const INTID_SPURIOUS: u32 = 1023;
pub const INTID_SECURE_G1: u32 = 1020;
pub const INTID_NONSECURE_G1: u32 = 1021;

/// Implemented priority bits: 5 (32 levels), IHI 0069 §4.8, GIC-500 TRM.
pub const PRIO_MASK: u8 = 0xF8;

/// How the GIC is built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GicConfig {
    /// MPIDR of each CPU (only the Aff fields are used), in Processor_Number order.
    pub mpidrs: Vec<u64>,
    /// Number of SPIs (a multiple of 32, at most 988).
    pub num_spis: u32,
    /// GICD_CTLR.DS at reset (false on the real GIC-500).
    pub security_disabled: bool,
}

impl GicConfig {
    /// The LS2088A: 8 Cortex-A72 in 4 clusters of 2, 256 SPIs.
    pub fn ls2088a() -> Self {
        GicConfig {
            mpidrs: vec![0x000, 0x001, 0x100, 0x101, 0x200, 0x201, 0x300, 0x301],
            num_spis: 256,
            security_disabled: false,
        }
    }
}

/// Interrupt group (IHI 0069 §3.2: IGROUPR and IGRPMODR bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    G0,
    G1S,
    G1NS,
}

/// Security state and exception level of a PE, as the CPU interface needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuCtx {
    pub el: u8,
    pub secure: bool,
}

impl CpuCtx {
    pub const NS_EL1: CpuCtx = CpuCtx { el: 1, secure: false };
    pub const NS_EL2: CpuCtx = CpuCtx { el: 2, secure: false };
    pub const EL3: CpuCtx = CpuCtx { el: 3, secure: true };
    pub const S_EL1: CpuCtx = CpuCtx { el: 1, secure: true };
}

/// State of one interrupt (SGI, PPI or SPI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IntState {
    pub enabled: bool,
    /// Pending latch: set by an edge, ISPENDR or an SGI; cleared by ICPENDR or acknowledge.
    pub pending: bool,
    pub active: bool,
    /// IGROUPR bit.
    pub group: bool,
    /// IGRPMODR bit.
    pub grpmod: bool,
    /// Priority (implemented bits only: `PRIO_MASK`).
    pub priority: u8,
    /// ICFGR Int_config\[1\]: edge-triggered.
    pub edge: bool,
    /// Last sampled input level.
    pub level: bool,
    /// NSACR field (2 bits).
    pub nsacr: u8,
}

/// CPU interface state of one PE (ICC_* registers). Banked registers are indexed
/// `[Secure, Non-secure]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuIfState {
    pub pmr: u8,
    pub bpr0: u8,
    pub bpr1: [u8; 2],
    pub eoimode: [bool; 2],
    pub cbpr: [bool; 2],
    pub eoimode_el3: bool,
    pub igrpen0: bool,
    pub igrpen1: [bool; 2],
    pub sre_el2_enable: bool,
    pub sre_el3_enable: bool,
    pub ap0r: u32,
    pub ap1r: [u32; 2],
}

impl Default for CpuIfState {
    fn default() -> Self {
        // Reset values: IHI 0069 §12.2 (ICC_BPR0 resets to the minimum, 2 for 5 bits of
        // preemption; ICC_BPR1 to its minimum: that of BPR0 for the Secure copy, + 1 for the
        // Non-secure one; PMR to 0; everything else 0).
        CpuIfState {
            pmr: 0,
            bpr0: BPR0_MIN,
            bpr1: [BPR0_MIN, BPR0_MIN + 1],
            eoimode: [false; 2],
            cbpr: [false; 2],
            eoimode_el3: false,
            igrpen0: false,
            igrpen1: [false; 2],
            sre_el2_enable: false,
            sre_el3_enable: false,
            ap0r: 0,
            ap1r: [0; 2],
        }
    }
}

/// Minimum ICC_BPR0 value with 5 bits of preemption (IHI 0069 §12.2.? ICC_BPR0_EL1).
pub const BPR0_MIN: u8 = 2;

/// State of one redistributor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedistState {
    /// GICR_WAKER.ProcessorSleep (resets to 1).
    pub processor_sleep: bool,
    pub enable_lpis: bool,
    pub propbaser: u64,
    pub pendbaser: u64,
    /// SGIs 0-15 and PPIs 16-31.
    pub private: [IntState; 32],
    /// Pending LPIs (INTID → configuration read from the LPI configuration table).
    pub lpis: BTreeMap<u32, Lpi>,
}

impl Default for RedistState {
    fn default() -> Self {
        let mut private = [IntState::default(); 32];
        for s in private.iter_mut().take(16) {
            s.edge = true; // SGIs are always edge-triggered
        }
        RedistState { processor_sleep: true, enable_lpis: false, propbaser: 0, pendbaser: 0, private, lpis: BTreeMap::new() }
    }
}

/// One PE as the GIC sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuState {
    pub mpidr: u64,
    pub redist: RedistState,
    pub cpuif: CpuIfState,
    /// Virtual CPU interface (ICH_*_EL2 registers).
    pub vif: VCpuIfState,
    /// Security context used by `irq_levels` (set by the machine).
    pub ctx: CpuCtx,
}

/// The whole GIC state as plain data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GicState {
    pub ds: bool,
    pub enable_grp0: bool,
    pub enable_grp1ns: bool,
    pub enable_grp1s: bool,
    pub e1nwf: bool,
    pub spis: Vec<IntState>,
    pub irouter: Vec<u64>,
    pub cpus: Vec<CpuState>,
    pub its: ItsState,
}

/// The GIC-500.
pub struct Gic {
    st: GicState,
    spi_in: Arc<IrqBank>,
    /// Highest-priority pending interrupt of each CPU (derived from `st` and the input
    /// levels; not part of the state). Valid while `spi_in.generation() == cache_gen`.
    hppi_cache: Vec<Option<Hppi>>,
    cache_gen: u64,
}

/// INTID, priority and group of a pending interrupt.
type Hppi = (u32, u8, Group);

const AFF_MASK: u64 = 0xff_00ff_ffff;
const IROUTER_IRM: u64 = 1 << 31;

impl Gic {
    /// A GIC after reset. `spi_in` provides the SPI input levels (line n = SPI n).
    pub fn new(cfg: &GicConfig, spi_in: Arc<IrqBank>) -> Self {
        let num_spis = (cfg.num_spis.min(988) / 32 * 32) as usize;
        let cpus = cfg
            .mpidrs
            .iter()
            .map(|&m| CpuState {
                mpidr: m & AFF_MASK,
                redist: RedistState::default(),
                cpuif: CpuIfState::default(),
                vif: VCpuIfState::default(),
                ctx: CpuCtx::NS_EL1,
            })
            .collect();
        Gic {
            st: GicState {
                ds: cfg.security_disabled,
                enable_grp0: false,
                enable_grp1ns: false,
                enable_grp1s: false,
                e1nwf: false,
                spis: vec![IntState::default(); num_spis],
                irouter: vec![0; num_spis],
                cpus,
                its: ItsState::default(),
            },
            spi_in,
            hppi_cache: Vec::new(),
            cache_gen: 0,
        }
        .refreshed()
    }

    fn refreshed(mut self) -> Self {
        self.sync_inputs();
        self.refresh();
        self
    }

    pub fn state(&self) -> &GicState {
        &self.st
    }
    pub fn from_state(st: GicState, spi_in: Arc<IrqBank>) -> Self {
        Gic { st, spi_in, hppi_cache: Vec::new(), cache_gen: 0 }.refreshed()
    }
    pub fn num_cpus(&self) -> usize {
        self.st.cpus.len()
    }
    pub fn num_spis(&self) -> usize {
        self.st.spis.len()
    }

    /// Sets the Security state / EL that `irq_levels(cpu)` assumes (IHI 0069 §4.6.2:
    /// the group-to-IRQ/FIQ mapping depends on it).
    pub fn set_cpu_ctx(&mut self, cpu: usize, ctx: CpuCtx) {
        if let Some(c) = self.st.cpus.get_mut(cpu) {
            c.ctx = ctx;
        }
    }

    /// Drives PPI `intid` (16..31) of `cpu` (the generic timer: 26, 27, 29, 30; PMU 23).
    pub fn set_ppi(&mut self, cpu: usize, intid: u32, level: bool) {
        if !(16..32).contains(&intid) {
            return;
        }
        if let Some(s) = self.st.cpus.get_mut(cpu).and_then(|c| c.redist.private.get_mut(intid as usize)) {
            let was = (s.pending, s.level);
            if s.edge && level && !s.level {
                s.pending = true;
            }
            s.level = level;
            // The machine drives every timer PPI at every turn: most calls change nothing,
            // and then the cached HPPIs (up to date after every state change) still hold.
            if (s.pending, s.level) != was {
                self.refresh();
            }
        }
    }

    /// Samples the SPI inputs: latches rising edges of edge-triggered SPIs and refreshes the
    /// cached highest-priority pending interrupts. Every entry point does this first;
    /// the machine should also call it at quantum boundaries (and after device accesses)
    /// so that `irq_levels` takes its fast path. `irq_levels` is correct either way: with
    /// a stale cache it rescans, seeing unlatched edges as pending.
    pub fn sync_inputs(&mut self) {
        let gen = self.spi_in.generation();
        if gen == self.cache_gen && self.hppi_cache.len() == self.st.cpus.len() {
            return;
        }
        let mut rose = 0u64;
        for (i, s) in self.st.spis.iter_mut().enumerate() {
            if i % 64 == 0 {
                rose = self.spi_in.take_rising(i / 64);
            }
            let l = self.spi_in.level(i as u32);
            // A rising edge, also one that fell again before this sample.
            if s.edge && (rose >> (i % 64) & 1 != 0 || (l && !s.level)) {
                s.pending = true;
            }
            s.level = l;
        }
        self.cache_gen = gen;
        self.refresh();
    }

    /// Recomputes the HPPI of every CPU in one pass over the interrupts.
    fn refresh(&mut self) {
        self.update_maintenance();
        // The previous cache's buffer, reused (this runs at every GIC state change).
        let mut best = std::mem::take(&mut self.hppi_cache);
        best.clear();
        best.resize(self.st.cpus.len(), None);
        let better = |b: &Option<Hppi>, prio: u8| match b {
            None => true,
            Some((_, p, _)) => prio < *p,
        };
        for (cpu, c) in self.st.cpus.iter().enumerate() {
            if c.redist.processor_sleep {
                continue;
            }
            for (i, s) in c.redist.private.iter().enumerate() {
                if s.enabled && !s.active && Gic::is_pending(s, s.level) {
                    let g = self.group_of(s);
                    if self.dist_group_enabled(g) && self.cpu_group_enabled(cpu, g) {
                        if let Some(b) = best.get_mut(cpu) {
                            if better(b, s.priority) {
                                *b = Some((i as u32, s.priority, g));
                            }
                        }
                    }
                }
            }
        }
        for (i, s) in self.st.spis.iter().enumerate() {
            if !s.enabled || s.active || !self.spi_pending(i, s) {
                continue;
            }
            let g = self.group_of(s);
            if !self.dist_group_enabled(g) {
                continue;
            }
            let Some(t) = self.spi_target(i) else {
                continue;
            };
            let awake = self.st.cpus.get(t).is_some_and(|c| !c.redist.processor_sleep);
            if awake && self.cpu_group_enabled(t, g) {
                if let Some(b) = best.get_mut(t) {
                    if better(b, s.priority) {
                        *b = Some((32 + i as u32, s.priority, g));
                    }
                }
            }
        }
        // LPIs: always Group 1 Non-secure (IHI 0069 §5.1), no active state.
        if self.dist_group_enabled(Group::G1NS) {
            for (cpu, c) in self.st.cpus.iter().enumerate() {
                if c.redist.processor_sleep || !c.redist.enable_lpis || !self.cpu_group_enabled(cpu, Group::G1NS) {
                    continue;
                }
                for (&intid, l) in c.redist.lpis.iter() {
                    if let (true, Some(b)) = (l.enabled, best.get_mut(cpu)) {
                        if better(b, l.priority) {
                            *b = Some((intid, l.priority, Group::G1NS));
                        }
                    }
                }
            }
        }
        self.hppi_cache = best;
    }

    // ---- classification ---------------------------------------------------------------

    fn group_of(&self, s: &IntState) -> Group {
        match (s.group, s.grpmod && !self.st.ds) {
            (false, false) => Group::G0,
            (true, false) => Group::G1NS,
            (false, true) => Group::G1S,
            // Reserved combination: treated as Group 1 Non-secure (CONSTRAINED
            // UNPREDICTABLE choice, IHI 0069 §3.2 table 3-2 note).
            (true, true) => Group::G1NS,
        }
    }

    fn dist_group_enabled(&self, g: Group) -> bool {
        match g {
            Group::G0 => self.st.enable_grp0,
            Group::G1NS => self.st.enable_grp1ns,
            Group::G1S => self.st.enable_grp1s,
        }
    }

    fn cpu_group_enabled(&self, cpu: usize, g: Group) -> bool {
        let Some(c) = self.st.cpus.get(cpu) else {
            return false;
        };
        match g {
            Group::G0 => c.cpuif.igrpen0,
            Group::G1S => c.cpuif.igrpen1[0],
            Group::G1NS => c.cpuif.igrpen1[1],
        }
    }

    /// Pending state as seen now: the latch, or the input level for a level-sensitive
    /// interrupt, or an input edge not yet latched.
    fn is_pending(s: &IntState, line: bool) -> bool {
        // Level: the line; edge: a rising edge not latched yet.
        s.pending || (line && (!s.edge || !s.level))
    }

    /// Pending state of SPI `i` now, including an input edge not latched yet.
    fn spi_pending(&self, i: usize, s: &IntState) -> bool {
        Gic::is_pending(s, self.spi_line(i)) || (s.edge && self.spi_in.rose(i as u32))
    }

    fn spi_line(&self, i: usize) -> bool {
        self.spi_in.level(i as u32)
    }

    /// The PE an SPI is routed to (IHI 0069 §5.1: IROUTER with IRM = 0 names one PE by
    /// affinity; IRM = 1 is 1-of-N: this model picks the lowest-numbered PE that is awake
    /// and has the interrupt's group enabled in its CPU interface).
    fn spi_target(&self, i: usize) -> Option<usize> {
        let r = *self.st.irouter.get(i)?;
        if r & IROUTER_IRM != 0 {
            let s = self.st.spis.get(i)?;
            let g = self.group_of(s);
            (0..self.st.cpus.len()).find(|&c| {
                self.st.cpus.get(c).is_some_and(|cs| !cs.redist.processor_sleep) && self.cpu_group_enabled(c, g)
            })
        } else {
            let aff = r & AFF_MASK;
            self.st.cpus.iter().position(|c| c.mpidr == aff)
        }
    }

    /// The highest-priority pending interrupt for `cpu` that is enabled, not active, whose
    /// group is enabled in the distributor and the CPU interface (IHI 0069 §4.7). Ties go to
    /// the lowest INTID. Returns (INTID, priority, group).
    fn hppi(&self, cpu: usize) -> Option<Hppi> {
        if self.cache_gen == self.spi_in.generation() {
            if let Some(h) = self.hppi_cache.get(cpu) {
                return *h;
            }
        }
        self.hppi_scan(cpu)
    }

    /// `hppi` without the cache (reference version, used when the inputs changed since the
    /// last refresh).
    fn hppi_scan(&self, cpu: usize) -> Option<Hppi> {
        let c = self.st.cpus.get(cpu)?;
        if c.redist.processor_sleep {
            return None; // IHI 0069 §11.1: a sleeping redistributor forwards nothing
        }
        let mut best: Option<(u32, u8, Group)> = None;
        let mut consider = |intid: u32, s: &IntState, pending: bool, this: &Gic| {
            if !s.enabled || s.active || !pending {
                return;
            }
            let g = this.group_of(s);
            if !this.dist_group_enabled(g) || !this.cpu_group_enabled(cpu, g) {
                return;
            }
            let better = match best {
                None => true,
                Some((_, p, _)) => s.priority < p,
            };
            if better {
                best = Some((intid, s.priority, g));
            }
        };
        for (i, s) in c.redist.private.iter().enumerate() {
            consider(i as u32, s, Gic::is_pending(s, s.level), self);
        }
        for (i, s) in self.st.spis.iter().enumerate() {
            if s.enabled && self.spi_pending(i, s) && self.spi_target(i) == Some(cpu) {
                consider(32 + i as u32, s, true, self);
            }
        }
        if c.redist.enable_lpis && self.dist_group_enabled(Group::G1NS) && self.cpu_group_enabled(cpu, Group::G1NS) {
            for (&intid, l) in c.redist.lpis.iter() {
                if l.enabled && best.is_none_or(|(_, p, _)| l.priority < p) {
                    best = Some((intid, l.priority, Group::G1NS));
                }
            }
        }
        best
    }

    /// Interrupt state by INTID as seen by `cpu` (private interrupts are per CPU).
    fn int_mut(&mut self, cpu: usize, intid: u32) -> Option<&mut IntState> {
        if intid < 32 {
            self.st.cpus.get_mut(cpu)?.redist.private.get_mut(intid as usize)
        } else {
            self.st.spis.get_mut((intid - 32) as usize)
        }
    }
    fn int_ref(&self, cpu: usize, intid: u32) -> Option<&IntState> {
        if intid < 32 {
            self.st.cpus.get(cpu)?.redist.private.get(intid as usize)
        } else {
            self.st.spis.get((intid - 32) as usize)
        }
    }

    /// Group priority of `prio` for group `g` on `cpu` (IHI 0069 §4.8.3, binary point).
    fn group_priority(&self, cpu: usize, g: Group, prio: u8) -> u8 {
        let Some(c) = self.st.cpus.get(cpu) else {
            return prio;
        };
        let ci = &c.cpuif;
        // Group 0 and Group 1 Secure: BPR n means group priority bits [7:n+1]; the
        // Non-secure ICC_BPR1 is offset by one (n means [7:n]). With CBPR, BPR0 is used.
        let shift = match g {
            Group::G0 => ci.bpr0 + 1,
            Group::G1S if ci.cbpr[0] => ci.bpr0 + 1,
            Group::G1NS if ci.cbpr[1] => ci.bpr0 + 1,
            Group::G1S => ci.bpr1[0] + 1,
            Group::G1NS => ci.bpr1[1],
        };
        let mask = if shift >= 8 { 0 } else { 0xffu8 << shift };
        prio & mask
    }

    /// Running priority: the highest active group priority in the APRs, 0xFF when idle
    /// (IHI 0069 §4.8.4; with 5 bits, APR bit n is group priority n << 3).
    fn running_priority(&self, cpu: usize) -> u8 {
        let Some(c) = self.st.cpus.get(cpu) else {
            return 0xff;
        };
        let a = c.cpuif.ap0r | c.cpuif.ap1r[0] | c.cpuif.ap1r[1];
        if a == 0 {
            0xff
        } else {
            (a.trailing_zeros() as u8) << 3
        }
    }

    /// The HPPI if it may be signalled: priority above PMR and group priority above the
    /// running priority (IHI 0069 §4.8.5).
    fn signalled(&self, cpu: usize) -> Option<(u32, u8, Group)> {
        let h = self.hppi(cpu)?;
        let c = self.st.cpus.get(cpu)?;
        if h.1 < c.cpuif.pmr && self.group_priority(cpu, h.2, h.1) < self.running_priority(cpu) {
            Some(h)
        } else {
            None
        }
    }

    /// IRQ and FIQ levels of `cpu` with its stored context (see `set_cpu_ctx`).
    pub fn irq_levels(&self, cpu: usize) -> (bool, bool) {
        let ctx = self.st.cpus.get(cpu).map_or(CpuCtx::NS_EL1, |c| c.ctx);
        self.irq_levels_in(cpu, ctx)
    }

    /// IRQ and FIQ levels of `cpu` in context `ctx` (IHI 0069 §4.6.2, table 4-3: Group 0 is
    /// always FIQ; Group 1 of the current Security state is IRQ, the other one FIQ; at EL3
    /// both Group 1 are FIQ. With DS = 1, Group 0 is FIQ and Group 1 IRQ).
    pub fn irq_levels_in(&self, cpu: usize, ctx: CpuCtx) -> (bool, bool) {
        let Some((_, _, g)) = self.signalled(cpu) else {
            return (false, false);
        };
        let irq = if self.st.ds {
            g != Group::G0
        } else {
            match g {
                Group::G0 => false,
                Group::G1S => ctx.secure && ctx.el != 3,
                Group::G1NS => !ctx.secure,
            }
        };
        (irq, !irq)
    }

    /// What TF-A's GICv3 driver does before entering a Non-secure OS (BL31
    /// `gicv3_distif_init`, `gicv3_rdistif_init`, `gicv3_cpuif_enable` for every PE):
    /// every SGI/PPI/SPI Group 1 Non-secure, all groups enabled with affinity routing,
    /// ICC_SRE_EL3/EL2.Enable set, redistributors awake, ICC_IGRPEN1 (Secure) set.
    pub fn el3_firmware_init(&mut self) {
        self.st.enable_grp0 = true;
        self.st.enable_grp1ns = true;
        self.st.enable_grp1s = true;
        for s in self.st.spis.iter_mut() {
            s.group = true;
            s.grpmod = false;
        }
        for c in self.st.cpus.iter_mut() {
            for s in c.redist.private.iter_mut() {
                s.group = true;
                s.grpmod = false;
            }
            c.redist.processor_sleep = false;
            c.cpuif.sre_el3_enable = true;
            c.cpuif.sre_el2_enable = true;
            c.cpuif.igrpen0 = true;
            c.cpuif.igrpen1[0] = true;
        }
        self.refresh();
    }

    // ---- MMIO with a security attribute --------------------------------------------------

    /// Reads the GIC window with an explicit security attribute.
    pub fn read_attr(&mut self, off: u64, size: Size, secure: bool) -> MmioResult<u64> {
        self.read_attr_dma(&mut NoDma, off, size, secure)
    }

    /// Reads the GIC window; `dma` is the memory the ITS and redistributors master.
    pub fn read_attr_dma(&mut self, _dma: &mut dyn DmaSpace, off: u64, size: Size, secure: bool) -> MmioResult<u64> {
        self.sync_inputs();
        if off & (size.bytes() as u64 - 1) != 0 {
            return Err(MmioError::Unaligned);
        }
        let sec = secure || self.st.ds;
        match off {
            0..=0xFFFF => self.gicd_read(off, size, sec),
            GITS_OFFSET..=0x3_FFFF => self.its_read(off - GITS_OFFSET, size),
            GICR_OFFSET..=0x1F_FFFF => {
                let r = off - GICR_OFFSET;
                let cpu = (r / GICR_STRIDE) as usize;
                if cpu >= self.st.cpus.len() {
                    return Err(MmioError::NoRegister);
                }
                self.gicr_read(cpu, r % GICR_STRIDE, size, sec)
            }
            _ => Err(MmioError::NoRegister),
        }
    }

    /// Writes the GIC window with an explicit security attribute.
    pub fn write_attr(&mut self, off: u64, size: Size, val: u64, secure: bool) -> MmioResult<()> {
        self.write_attr_dma(&mut NoDma, off, size, val, secure)
    }

    /// Writes the GIC window; `dma` is the memory the ITS (command queue) and the
    /// redistributors (LPI tables) master.
    pub fn write_attr_dma(&mut self, dma: &mut dyn DmaSpace, off: u64, size: Size, val: u64, secure: bool) -> MmioResult<()> {
        self.sync_inputs();
        if off & (size.bytes() as u64 - 1) != 0 {
            return Err(MmioError::Unaligned);
        }
        let sec = secure || self.st.ds;
        let r = match off {
            0..=0xFFFF => self.gicd_write(off, size, val, sec),
            GITS_OFFSET..=0x3_FFFF => self.its_write(dma, off - GITS_OFFSET, size, val),
            GICR_OFFSET..=0x1F_FFFF => {
                let r = off - GICR_OFFSET;
                let cpu = (r / GICR_STRIDE) as usize;
                if cpu >= self.st.cpus.len() {
                    return Err(MmioError::NoRegister);
                }
                let was = self.st.cpus.get(cpu).is_some_and(|c| c.redist.enable_lpis);
                let r = self.gicr_write(cpu, r % GICR_STRIDE, size, val, sec);
                let now = self.st.cpus.get(cpu).is_some_and(|c| c.redist.enable_lpis);
                if !was && now {
                    self.lpi_enable(dma, cpu);
                }
                r
            }
            _ => Err(MmioError::NoRegister),
        };
        self.refresh();
        r
    }

    // ---- helpers shared by the distributor and redistributor ----------------------------

    /// Whether an access with security `sec` may see interrupt `s` (IHI 0069 §4.8: with
    /// DS = 0, Non-secure accesses to Secure interrupts' fields are RAZ/WI).
    fn ns_can_access(&self, s: &IntState, sec: bool) -> bool {
        sec || self.group_of(s) == Group::G1NS
    }

    /// Reads a bit-per-interrupt register covering INTIDs `base..base+32` of `cpu`.
    fn read_bits(&self, cpu: usize, base: u32, sec: bool, f: impl Fn(&Gic, u32, &IntState) -> bool) -> u32 {
        let mut v = 0u32;
        for b in 0..32u32 {
            let intid = base + b;
            if let Some(s) = self.int_ref(cpu, intid) {
                if self.ns_can_access(s, sec) && f(self, intid, s) {
                    v |= 1 << b;
                }
            }
        }
        v
    }

    /// Applies `f` to each interrupt whose bit is set in `val` in `base..base+32`.
    fn write_bits(&mut self, cpu: usize, base: u32, val: u32, sec: bool, f: impl Fn(&mut IntState)) {
        for b in 0..32u32 {
            if val >> b & 1 == 0 {
                continue;
            }
            let intid = base + b;
            let ok = self.int_ref(cpu, intid).is_some_and(|s| self.ns_can_access(s, sec));
            if ok {
                if let Some(s) = self.int_mut(cpu, intid) {
                    f(s);
                }
            }
        }
    }

    /// IPRIORITYR byte read (NS view with DS = 0: IHI 0069 §4.8.6).
    fn read_prio(&self, s: &IntState, sec: bool) -> u8 {
        if sec {
            s.priority
        } else if self.group_of(s) == Group::G1NS {
            s.priority << 1
        } else {
            0
        }
    }
    fn write_prio(&mut self, cpu: usize, intid: u32, v: u8, sec: bool) {
        let ds = self.st.ds;
        let ok = self.int_ref(cpu, intid).is_some_and(|s| self.ns_can_access(s, sec));
        if let (true, Some(s)) = (ok, self.int_mut(cpu, intid)) {
            s.priority = if sec || ds { v & PRIO_MASK } else { (0x80 | (v >> 1)) & PRIO_MASK };
        }
    }

    /// Common bit-per-interrupt and byte registers of GICD (INTIDs from 32) and
    /// GICR SGI_base (INTIDs 0-31). `off` is the register block offset (IGROUPR at 0x80 ...)
    /// and `base` the first INTID covered by the accessed word.
    fn read_irq_reg(&self, cpu: usize, off: u64, base: u32, sec: bool) -> Option<u32> {
        let r = off & !0x7f; // block start
        Some(match r {
            0x080 => {
                if sec {
                    self.read_bits(cpu, base, sec, |_, _, s| s.group)
                } else {
                    0
                }
            }
            0x100 | 0x180 => self.read_bits(cpu, base, sec, |_, _, s| s.enabled),
            0x200 | 0x280 => self.read_bits(cpu, base, sec, |g, intid, s| {
                if intid < 32 {
                    Gic::is_pending(s, s.level)
                } else {
                    g.spi_pending((intid - 32) as usize, s)
                }
            }),
            0x300 | 0x380 => self.read_bits(cpu, base, sec, |_, _, s| s.active),
            0xD00 => {
                if sec && !self.st.ds {
                    self.read_bits(cpu, base, sec, |_, _, s| s.grpmod)
                } else {
                    0
                }
            }
            _ => return None,
        })
    }

    fn write_irq_reg(&mut self, cpu: usize, off: u64, base: u32, val: u32, sec: bool) -> bool {
        let r = off & !0x7f;
        match r {
            0x080 => {
                if sec {
                    for b in 0..32 {
                        if let Some(s) = self.int_mut(cpu, base + b) {
                            s.group = val >> b & 1 != 0;
                        }
                    }
                }
            }
            0x100 => self.write_bits(cpu, base, val, sec, |s| s.enabled = true),
            0x180 => self.write_bits(cpu, base, val, sec, |s| s.enabled = false),
            0x200 => self.write_bits(cpu, base, val, sec, |s| s.pending = true),
            // ICPENDR clears the latch; a level-sensitive interrupt whose line is high stays
            // pending (IHI 0069 §4.1.2).
            0x280 => self.write_bits(cpu, base, val, sec, |s| s.pending = false),
            0x300 => self.write_bits(cpu, base, val, sec, |s| s.active = true),
            0x380 => self.write_bits(cpu, base, val, sec, |s| s.active = false),
            0xD00 => {
                if sec && !self.st.ds {
                    for b in 0..32 {
                        if let Some(s) = self.int_mut(cpu, base + b) {
                            s.grpmod = val >> b & 1 != 0;
                        }
                    }
                }
            }
            _ => return false,
        }
        true
    }

    /// ICFGR word covering INTIDs `base..base+16` (2 bits each, Int_config[1] = edge).
    fn read_icfgr(&self, cpu: usize, base: u32, sec: bool) -> u32 {
        let mut v = 0;
        for k in 0..16u32 {
            if let Some(s) = self.int_ref(cpu, base + k) {
                if self.ns_can_access(s, sec) && s.edge {
                    v |= 2 << (2 * k);
                }
            }
        }
        v
    }
    fn write_icfgr(&mut self, cpu: usize, base: u32, val: u32, sec: bool) {
        for k in 0..16u32 {
            let intid = base + k;
            if intid < 16 {
                continue; // SGIs: always edge, RO
            }
            let ok = self.int_ref(cpu, intid).is_some_and(|s| self.ns_can_access(s, sec));
            if let (true, Some(s)) = (ok, self.int_mut(cpu, intid)) {
                s.edge = val >> (2 * k + 1) & 1 != 0;
            }
        }
    }

    /// NSACR word covering INTIDs `base..base+16` (Secure only; RAZ/WI with DS = 1).
    fn read_nsacr(&self, cpu: usize, base: u32, sec: bool) -> u32 {
        if !sec || self.st.ds {
            return 0;
        }
        let mut v = 0;
        for k in 0..16u32 {
            if let Some(s) = self.int_ref(cpu, base + k) {
                v |= (s.nsacr as u32 & 3) << (2 * k);
            }
        }
        v
    }
    fn write_nsacr(&mut self, cpu: usize, base: u32, val: u32, sec: bool) {
        if !sec || self.st.ds {
            return;
        }
        for k in 0..16u32 {
            if let Some(s) = self.int_mut(cpu, base + k) {
                s.nsacr = (val >> (2 * k) & 3) as u8;
            }
        }
    }
}

impl Gic {
    /// A Non-secure read of the GIC window with the DMA space of the machine (what
    /// [`Mmio::read`] does without one).
    pub fn read_dma(&mut self, dma: &mut dyn DmaSpace, off: u64, size: Size) -> MmioResult<u64> {
        self.read_attr_dma(dma, off, size, false)
    }
    /// A Non-secure write of the GIC window with the DMA space of the machine. Use this
    /// rather than [`Mmio::write`] when the ITS or LPIs are in use: without a DMA space,
    /// ITS commands and LPI table reads fail.
    pub fn write_dma(&mut self, dma: &mut dyn DmaSpace, off: u64, size: Size, val: u64) -> MmioResult<()> {
        self.write_attr_dma(dma, off, size, val, false)
    }
}

impl Mmio for Gic {
    /// Non-secure access (see the module documentation).
    fn read(&mut self, _cx: &mut DevCtx, off: u64, size: Size) -> MmioResult<u64> {
        self.read_attr(off, size, false)
    }
    fn write(&mut self, _cx: &mut DevCtx, off: u64, size: Size, val: u64) -> MmioResult<()> {
        self.write_attr(off, size, val, false)
    }
}

/// Splits a 64-bit register access into the 32-bit word accessed (`off & 4` selects the
/// upper half for 32-bit accesses).
fn reg64_read(v: u64, off: u64, size: Size) -> MmioResult<u64> {
    match size {
        Size::B8 => Ok(v),
        Size::B4 => Ok(if off & 4 != 0 { v >> 32 } else { v & 0xffff_ffff }),
        _ => Err(MmioError::BadSize),
    }
}
fn reg64_write(old: u64, off: u64, size: Size, val: u64) -> MmioResult<u64> {
    match size {
        Size::B8 => Ok(val),
        Size::B4 if off & 4 != 0 => Ok((old & 0xffff_ffff) | (val & 0xffff_ffff) << 32),
        Size::B4 => Ok((old & !0xffff_ffff) | (val & 0xffff_ffff)),
        _ => Err(MmioError::BadSize),
    }
}
