//! `cpu-aarch64`: the architectural model of one AArch64 processing element (a Cortex-A72,
//! ARMv8.0-A with FP, AdvSIMD, CRC32 and the crypto extension), its A64 decoder and the
//! reference interpreter. It knows no devices: everything outside the core is reached
//! through the `platform` traits. It must not depend on any other lsemu crate.

pub mod decode;
pub mod engine;
pub mod exception;
pub mod hostdebug;
pub mod interp;
pub mod mem;
pub mod mmu;
pub mod platform;
pub mod semantics;
pub mod state;
pub mod sysreg;
pub mod trace;

pub use decode::{decode, Insn};
pub use exception::SyncExc;
pub use platform::{Bus, BusAttrs, BusError, Hooked, PhysAddr, Platform};
pub use state::ArchState;

/// Static configuration of a PE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuConfig {
    /// Index of this PE in the machine (0..8).
    pub index: u8,
    /// MPIDR_EL1 affinity value (Aff1 = cluster, Aff0 = core).
    pub mpidr: u64,
    pub has_el2: bool,
    pub has_el3: bool,
}

impl Default for CpuConfig {
    fn default() -> Self {
        CpuConfig { index: 0, mpidr: 0, has_el2: true, has_el3: true }
    }
}

/// The local exclusive monitor (Arm ARM B2.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExclusiveMonitor {
    /// Physical address and size of the reserved granule, when in the Exclusive Access state.
    pub reserved: Option<(u64, u8)>,
    /// Virtual address of the LDXR, for checks on the STXR's address.
    pub va: u64,
}

impl ExclusiveMonitor {
    pub fn clear(&mut self) {
        self.reserved = None;
    }
}

/// Counters kept by the CPU for `--stats`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpuStats {
    pub exceptions: u64,
    /// Instructions retired at each EL up to `el_mark` (the count at the last EL change):
    /// read the current totals with `Cpu::icount_el`, which adds those since then to the
    /// current EL. Neither engine counts per EL per instruction; every change of
    /// `pstate.el` calls `Cpu::el_stats_sync` first.
    pub icount_el: [u64; 4],
    /// `Cpu::icount` when `icount_el` was last brought up to date, less the failed fetches
    /// since (which count as time, `Cpu::count_failed_fetch`, but at no EL).
    pub el_mark: u64,
    /// Synchronous exceptions taken, by ESR_ELx.EC and target EL.
    pub exc_sync: [[u64; 4]; 64],
    /// IRQ, FIQ and SError exceptions taken (physical or virtual), by target EL.
    pub exc_irq: [u64; 4],
    pub exc_fiq: [u64; 4],
    pub exc_serror: [u64; 4],
}

impl Default for CpuStats {
    fn default() -> Self {
        CpuStats { exceptions: 0, icount_el: [0; 4], el_mark: 0, exc_sync: [[0; 4]; 64], exc_irq: [0; 4], exc_fiq: [0; 4], exc_serror: [0; 4] }
    }
}

/// One processing element: architectural state plus the emulator's bookkeeping.
///
/// Laid out on purpose (`repr(C)`, page aligned): what translated blocks and interpreted
/// instructions touch most (the general-purpose registers, SP, PC, PSTATE, `icount` and
/// the head of `fast`) is in the first 0x400 bytes of the page, at the same page offsets
/// in every build. (With the compiler's field order these fields moved, by up to a page,
/// whenever a field was added anywhere in `Cpu`, and the 1-vCPU Linux boot's host time
/// moved by ~13 % with them. The JIT keeps its own hot data at other page offsets:
/// `lsemu_jit::CtxHome`.)
#[derive(Debug, Clone)]
#[repr(C, align(4096))]
pub struct Cpu {
    pub st: ArchState,
    /// Instructions retired (drives virtual time).
    pub icount: u64,
    /// Host-pointer cache of recently used RAM pages and the interrupt re-check flag,
    /// valid only inside `interp::run` (see `mem::FastMem`).
    pub(crate) fast: mem::FastMem,
    pub sys: sysreg::SysRegs,
    pub cfg: CpuConfig,
    pub monitor: ExclusiveMonitor,
    pub tlb: mmu::Tlb,
    /// Set by WFI until an interrupt (or event, for WFE) wakes the PE.
    pub waiting: Option<WaitKind>,
    /// The event register (SEV/SEVL/WFE).
    pub event: bool,
    /// System counter value when the current WFE started (for the timer event streams).
    pub wait_start: u64,
    /// Software step: the last stepped instruction was a load-exclusive (ESR ISS.EX).
    pub step_ex: bool,
    /// The PE is powered down (PSCI CPU_OFF, secondaries before CPU_ON).
    pub off: bool,
    pub stats: CpuStats,
    /// Tracing (`trace`): off (flags 0) unless the front end sets it.
    pub trace: trace::Tracer,
    /// Host debugger breakpoints and watchpoints (see `hostdebug`).
    pub host_debug: hostdebug::HostDebug,
    warned: std::collections::HashSet<String>,
    /// Decoded instructions keyed by the instruction word (see `interp::DecodeCache`).
    pub(crate) dcache: interp::DecodeCache,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitKind {
    Wfi,
    Wfe,
}

impl Cpu {
    /// A PE in its reset state: EL3, MMU off, all interrupts masked, PC = `reset_pc`.
    pub fn new(cfg: CpuConfig) -> Self {
        let mut cpu = Cpu {
            st: ArchState::default(),
            sys: sysreg::SysRegs::default(),
            cfg,
            monitor: ExclusiveMonitor::default(),
            tlb: mmu::Tlb::default(),
            icount: 0,
            waiting: None,
            event: false,
            wait_start: 0,
            step_ex: false,
            off: false,
            stats: CpuStats::default(),
            trace: Default::default(),
            host_debug: Default::default(),
            warned: Default::default(),
            fast: Default::default(),
            dcache: Default::default(),
        };
        cpu.reset(0);
        cpu
    }

    /// Warm reset to the highest implemented EL with `pc`.
    pub fn reset(&mut self, pc: u64) {
        self.el_stats_sync();
        self.st = ArchState::default();
        self.st.pstate.el = if self.cfg.has_el3 { 3 } else if self.cfg.has_el2 { 2 } else { 1 };
        self.st.pc = pc;
        self.sys = sysreg::SysRegs::default();
        sysreg::reset(self);
        self.monitor.clear();
        self.tlb = mmu::Tlb::default();
        self.fast.invalidate();
        self.waiting = None;
        self.event = false;
    }

    /// Brings `stats.icount_el` up to date: the instructions retired since the last call
    /// ran at the current EL. Call it before every change of `pstate.el` (exception entry
    /// and return, reset, a debugger's PSTATE write).
    #[inline]
    pub fn el_stats_sync(&mut self) {
        let n = self.icount.saturating_sub(self.stats.el_mark);
        let el = self.st.pstate.el as usize & 3;
        self.stats.icount_el[el] = self.stats.icount_el[el].wrapping_add(n);
        self.stats.el_mark = self.icount;
    }

    /// Instructions retired at EL0..EL3 (`--stats`): the counts at the last EL change plus
    /// those since, at the current EL. Failed instruction fetches count in `icount` only.
    pub fn icount_el(&self) -> [u64; 4] {
        let mut e = self.stats.icount_el;
        let el = self.st.pstate.el as usize & 3;
        e[el] = e[el].wrapping_add(self.icount.saturating_sub(self.stats.el_mark));
        e
    }

    /// A failed instruction fetch: it takes time (one instruction of `icount`, so that a
    /// PE stuck in a fetch-abort loop keeps consuming its budget) but did not execute at
    /// any EL (`icount_el`).
    #[inline]
    pub fn count_failed_fetch(&mut self) {
        self.icount = self.icount.wrapping_add(1);
        self.stats.el_mark = self.stats.el_mark.wrapping_add(1);
    }

    pub fn has_el2(&self) -> bool {
        self.cfg.has_el2
    }
    pub fn has_el3(&self) -> bool {
        self.cfg.has_el3
    }
    /// Whether the PE is in Secure state (EL3, or SCR_EL3.NS == 0 below it).
    pub fn is_secure(&self) -> bool {
        self.has_el3() && (self.st.pstate.el == 3 || self.sys.scr_el3 & sysreg::SCR_NS == 0)
    }
    /// Whether EL2 is implemented and enabled in the current security state (ARMv8.0:
    /// EL2 exists only in Non-secure state).
    pub fn el2_enabled(&self) -> bool {
        self.has_el2() && !self.is_secure_below_el3()
    }
    fn is_secure_below_el3(&self) -> bool {
        self.has_el3() && self.sys.scr_el3 & sysreg::SCR_NS == 0
    }

    /// Checks the FP/AdvSIMD enable controls (CPACR_EL1.FPEN, CPTR_EL2.TFP,
    /// CPTR_EL3.TFP) for the current EL. Every FP/AdvSIMD instruction, including loads and
    /// stores of SIMD&FP registers, calls this before it has any effect.
    ///
    /// Arm ARM AArch64.CheckFPAdvSIMDEnabled: at EL0/EL1 CPACR_EL1.FPEN first (trap to
    /// EL1, or to EL2 as an Uncategorized exception when HCR_EL2.TGE routes it), then
    /// CPTR_EL2.TFP at EL0-EL2 when EL2 is enabled (to EL2), then CPTR_EL3.TFP at any EL
    /// (to EL3). The trap is EC 0x07 with ISS CV = 1, COND = 0b1110.
    pub fn check_fp_enabled(&self) -> Result<(), SyncExc> {
        use sysreg::{CPTR_TFP, HCR_TGE};
        let el = self.st.pstate.el;
        let trap = |target: u8| -> SyncExc {
            if target == 1 && self.el2_enabled() && self.sys.hcr_el2 & HCR_TGE != 0 {
                SyncExc::undefined().to_el(2)
            } else {
                SyncExc::new(exception::ec::FP_ACCESS, 0x1e << 20).to_el(target)
            }
        };
        if el <= 1 {
            let disabled = match (self.sys.cpacr_el1 >> 20) & 3 {
                0b01 => el == 0,
                0b11 => false,
                _ => true,
            };
            if disabled {
                return Err(trap(1));
            }
        }
        if el <= 2 && self.el2_enabled() && self.sys.cptr_el2 & CPTR_TFP != 0 {
            return Err(trap(2));
        }
        if self.has_el3() && self.sys.cptr_el3 & CPTR_TFP != 0 {
            return Err(trap(3));
        }
        Ok(())
    }

    /// Logs a warning once per `key` (e.g. an unimplemented encoding's name).
    pub fn warn_once(&mut self, key: &str, msg: impl FnOnce() -> String) {
        if self.warned.len() < 4096 && self.warned.insert(key.to_string()) {
            tracing::warn!(target: "cpu", cpu = self.cfg.index, "{}", msg());
        }
    }

    /// An encoding lsemu decodes but does not execute yet: warns once, raises UNDEFINED.
    pub fn unimplemented(&mut self, insn: &Insn, raw: u32) -> SyncExc {
        let name = insn.name();
        let pc = self.st.pc;
        self.warn_once(name, || format!("unimplemented instruction {name} ({raw:#010x}) at pc {pc:#x}: UNDEFINED"));
        SyncExc::undefined()
    }
}
