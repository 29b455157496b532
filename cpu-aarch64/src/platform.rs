//! How the CPU talks to the rest of the machine. The CPU knows no devices: it sees a
//! physical bus, a counter, interrupt input levels and firmware hooks.

use crate::Cpu;

/// A physical address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PhysAddr(pub u64);

/// Why a bus access failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BusError {
    /// Nothing decodes this address (DECERR).
    #[error("no device or memory at this address")]
    Unmapped,
    /// The slave answered with an error (SLVERR).
    #[error("the device reported an error")]
    Slave,
}

/// Attributes of one bus access, as the interconnect sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BusAttrs {
    pub secure: bool,
    pub privileged: bool,
    pub instruction: bool,
    /// Index of the requesting PE.
    pub cpu: u8,
}

/// A contiguous run of guest RAM backed by host memory.
#[derive(Debug, Clone, Copy)]
pub struct RamSpan {
    pub base: PhysAddr,
    pub len: u64,
    pub host: *mut u8,
}

/// Interrupt input levels of one PE, sampled between instructions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IrqLevels {
    pub irq: bool,
    pub fiq: bool,
    pub serror: bool,
    pub virq: bool,
    pub vfiq: bool,
}

/// What a firmware hook did with a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hooked {
    /// Not handled: the architecture's behaviour applies (exception or UNDEFINED).
    No,
    /// Handled: registers were updated; execution continues after the instruction.
    Done,
    /// Handled and the machine must stop (e.g. semihosting SYS_EXIT, PSCI SYSTEM_OFF).
    Halt(i32),
    /// Handled, and the hook set the PC itself (e.g. a PSCI power-down CPU_SUSPEND that
    /// resumes at its entry point): execution continues at `cpu.st.pc`.
    Jumped,
}

/// The physical bus. Sizes are 1, 2, 4, 8 or 16 bytes, naturally aligned by the caller.
pub trait Bus {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], a: BusAttrs) -> Result<(), BusError>;
    fn write(&mut self, pa: PhysAddr, buf: &[u8], a: BusAttrs) -> Result<(), BusError>;
    /// The RAM span containing `pa`, for fast paths. `None` for MMIO or unmapped.
    fn ram_span(&self, _pa: PhysAddr) -> Option<RamSpan> {
        None
    }
}

/// Everything outside the core.
pub trait Platform: Bus {
    /// The system counter (CNTPCT_EL0 before offsets), derived from virtual time.
    fn counter(&self) -> u64;
    /// The system counter as seen by a PE that has retired `icount` instructions (the
    /// machine adds the PE's progress within the current quantum). Default: `counter()`.
    fn counter_at(&self, _icount: u64) -> u64 {
        self.counter()
    }
    /// Interrupt input levels for `cpu`. `interp::run` samples them at its start and then
    /// again only after something that can change them: a bus access that is not a plain
    /// RAM access, a System-group instruction (MSR/MRS incl. ICC_*, SMC/HVC/HLT hooks,
    /// ...), an exception. So they must not change otherwise during a `run` call (the
    /// machine updates lines between quanta).
    fn irq_levels(&self, _cpu: u8) -> IrqLevels {
        IrqLevels::default()
    }
    /// SMC from `cpu`: the built-in EL3 firmware may handle it (PSCI, SMCCC).
    fn smc(&mut self, _cpu: &mut Cpu, _imm: u16) -> Hooked {
        Hooked::No
    }
    /// HVC from `cpu` when no EL2 software is present to take it.
    fn hvc(&mut self, _cpu: &mut Cpu, _imm: u16) -> Hooked {
        Hooked::No
    }
    /// HLT from `cpu` (semihosting uses HLT #0xF000).
    fn hlt(&mut self, _cpu: &mut Cpu, _imm: u16) -> Hooked {
        Hooked::No
    }
    /// GIC CPU interface system registers (ICC_*). `None` means "not implemented here":
    /// the access is UNDEFINED.
    fn icc_access(&mut self, _cpu: u8, _enc: crate::sysreg::SysRegEnc, _write: Option<u64>) -> Option<u64> {
        None
    }
    /// GIC CPU interface access with the PE's context, for a GIC model that applies the
    /// architecture's routing and traps (ICC_* vs ICV_* by HCR_EL2.IMO/FMO, ICC_SRE_ELx
    /// enables, ICH_HCR_EL2 traps, SCR_EL3 routing). The CPU has already made accesses
    /// from an EL below the register's own (ICC_*_EL1: EL1, *_EL2: EL2, *_EL3: EL3)
    /// UNDEFINED. Default: `icc_access` (no context, no traps).
    fn icc_access_ctx(&mut self, ctx: &IccContext, enc: crate::sysreg::SysRegEnc, write: Option<u64>) -> IccResult {
        match self.icc_access(ctx.cpu, enc, write) {
            Some(v) => IccResult::Value(v),
            None => IccResult::Undefined,
        }
    }
    /// Called when the PE executes a store to `pa`, so code caches and exclusive monitors
    /// of other PEs can react. Default: nothing.
    fn store_notify(&mut self, _cpu: u8, _pa: PhysAddr, _len: usize) {}
    /// Which stores `store_notify` must hear about during the next `Engine::run`: `true`
    /// with `out` filled with physical ranges `(pa, len)` means a PE's store that overlaps
    /// none of them may be left unreported (its `store_notify` would do nothing); `false`
    /// (the default) means every store must be reported. The answer must hold for the
    /// whole of that run (the machine fixes the other PEs' reservations before a turn).
    /// Engines may still report any store (the interpreter reports all of them).
    fn store_watch(&self, _out: &mut Vec<(u64, u64)>) -> bool {
        false
    }
    /// Whether a store to the guest RAM page at `pa` (4 KiB aligned) may go unreported
    /// (neither `store_notify` nor any check of the engine's) until the engine says
    /// otherwise: asked when `FastMem` makes a write entry for the page, whose quiet tag
    /// (`mem::QUIET`) a JIT's inline stores use. Default: no. A JIT's own platform
    /// answers for pages holding neither translated code nor watched stores.
    fn quiet_store_ok(&self, _pa: PhysAddr) -> bool {
        false
    }
    /// An Inner Shareable TLBI by `cpu`: the machine applies it to the other PEs before
    /// they next run, with `mmu::tlbi_remote` (not `mmu::tlbi`: the issuer's VMID and
    /// Security state are not the receiver's). Default: nothing (single PE).
    fn tlbi_broadcast(&mut self, _cpu: u8, _op: crate::mmu::TlbiOp, _arg: u64) {}
    /// SEV by `cpu`: sets the event register of the other PEs. Default: nothing.
    fn send_event(&mut self, _cpu: u8) {}
    /// Guest RAM ranges `(pa, len)` written since the last call other than by a PE's
    /// store (which `store_notify` reports): device DMA, firmware hooks. Execution
    /// engines with code caches drain this after each bus access and hook. Default: none.
    fn take_ram_writes(&mut self) -> Vec<(u64, u64)> {
        Vec::new()
    }
    /// Asked by an engine whose run has retired its whole budget, the PE neither off nor
    /// waiting: may the run go on as the PE's next turn without returning? If so, the
    /// platform has done at once everything that happens between the two turns (time,
    /// interrupt inputs), which must be exactly what returning and being run again would
    /// do, and the answer is the next turn's budget; the engine then continues as at the
    /// start of a run (interrupts sampled before the next instruction). 0 (the default):
    /// the run ends.
    fn continue_run(&mut self, _cpu: &mut Cpu) -> u64 {
        0
    }
}

/// The PE state a GIC CPU interface access depends on (see `Platform::icc_access_ctx`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IccContext {
    pub cpu: u8,
    /// Current EL.
    pub el: u8,
    /// Current Security state.
    pub secure: bool,
    /// HCR_EL2 as it applies at EL0/EL1 now (0 when EL2 is not enabled).
    pub hcr_el2: u64,
    pub scr_el3: u64,
}

/// Outcome of a GIC CPU interface register access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IccResult {
    /// The value read (0 for a write).
    Value(u64),
    /// UNDEFINED (EC 0x00).
    Undefined,
    /// Trapped to this EL (EC 0x18, ISS built by the CPU from the instruction).
    Trap(u8),
}

/// A simple flat RAM platform: one block of RAM at `base`, nothing else. For tests.
#[derive(Debug, Clone)]
pub struct FlatRam {
    pub base: u64,
    pub mem: Vec<u8>,
    pub ticks: u64,
}

impl FlatRam {
    pub fn new(base: u64, size: usize) -> Self {
        FlatRam { base, mem: vec![0; size], ticks: 0 }
    }
    fn range(&self, pa: PhysAddr, len: usize) -> Result<std::ops::Range<usize>, BusError> {
        let off = pa.0.checked_sub(self.base).ok_or(BusError::Unmapped)?;
        let end = off.checked_add(len as u64).ok_or(BusError::Unmapped)?;
        if end > self.mem.len() as u64 {
            return Err(BusError::Unmapped);
        }
        Ok(off as usize..end as usize)
    }
    pub fn load(&mut self, pa: u64, data: &[u8]) {
        let r = self.range(PhysAddr(pa), data.len()).expect("load outside FlatRam");
        self.mem[r].copy_from_slice(data);
    }
}

impl Bus for FlatRam {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], _a: BusAttrs) -> Result<(), BusError> {
        let r = self.range(pa, buf.len())?;
        buf.copy_from_slice(&self.mem[r]);
        Ok(())
    }
    fn write(&mut self, pa: PhysAddr, buf: &[u8], _a: BusAttrs) -> Result<(), BusError> {
        let r = self.range(pa, buf.len())?;
        self.mem[r].copy_from_slice(buf);
        Ok(())
    }
    fn ram_span(&self, pa: PhysAddr) -> Option<RamSpan> {
        self.range(pa, 1).ok()?;
        Some(RamSpan { base: PhysAddr(self.base), len: self.mem.len() as u64, host: self.mem.as_ptr() as *mut u8 })
    }
}

impl Platform for FlatRam {
    fn counter(&self) -> u64 {
        self.ticks
    }
}
