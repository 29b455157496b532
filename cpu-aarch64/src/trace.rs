//! Execution tracing hooks (`lsemu --trace`). The PE and the machine report events
//! (instructions, exceptions and exception returns, interrupts taken, MMIO accesses,
//! firmware calls) as `Record`s to a `TraceSink` chosen by the front end, which filters
//! and formats them; nothing here formats text.
//!
//! Cost when off: `Cpu::trace.flags` is 0, and each hook is one test of that word on a
//! path that already runs (the instruction hook: one predictable branch per instruction
//! in `interp`; the others are on exception entry/return and MMIO paths). The record
//! itself is built in a `#[cold]` function.
//!
//! Engines: while `Cpu::trace_insn()` is true every instruction must be reported, so a
//! translating engine must interpret (or emit the hook) for that PE.

use std::sync::Arc;

/// Trace targets (bits of `Tracer::flags`).
pub const INSN: u32 = 1 << 0;
/// Synchronous exceptions, SError and exception returns (ERET).
pub const EXC: u32 = 1 << 1;
/// IRQ and FIQ exceptions taken (physical and virtual).
pub const IRQ: u32 = 1 << 2;
/// MMIO accesses (reported by the machine's bus).
pub const MMIO: u32 = 1 << 3;
/// PSCI/SMCCC calls answered by the built-in firmware (reported by the machine).
pub const PSCI: u32 = 1 << 4;

/// Kind of an exception entry (the vector offset group).
pub use crate::exception::Kind;

/// One traced event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// The instruction at the record's `pc` is about to execute (it retires, or raises the
    /// exception reported next).
    Insn { raw: u32 },
    /// An exception taken from `from_el` to `to_el`. `esr` is ESR_ELx of the target for
    /// synchronous exceptions and SError (0 for IRQ/FIQ); `far` is FAR_ELx when the class
    /// sets it (aborts, PC alignment, watchpoints); `elr` the preferred return address;
    /// `vector` the address execution continues at.
    Exception { kind: Kind, from_el: u8, to_el: u8, esr: u64, far: Option<u64>, elr: u64, vector: u64 },
    /// An exception return (at the record's `pc`) from `from_el`, continuing at `target`
    /// in `to_el` (`illegal`: an illegal return, PSTATE.IL set, EL unchanged).
    Eret { from_el: u8, to_el: u8, target: u64, spsr: u64, illegal: bool },
    /// A device register access: physical address `pa`, `off` into device `dev` (its
    /// name in the board table), `size` bytes. `value` is the value written, or read
    /// (reads of a bad register or size read 0 and set `error`).
    Mmio { dev: &'a str, pa: u64, off: u64, size: u8, write: bool, value: u64, error: bool },
    /// A firmware call (SMC) answered by the built-in EL3 firmware: function id (W0/X0),
    /// X1..X3 and the result in X0 (`None` when the call does not return, e.g.
    /// SYSTEM_OFF or a CPU_ON that powered this PE off).
    Smc { imm: u16, fid: u64, args: [u64; 3], result: Option<u64> },
}

/// An event with the PE it happened on, the EL at the time and the PC (when known): the
/// instruction executed, the one that raised an exception (for an interrupt, the next
/// one to execute), the ERET, the SMC. MMIO records carry neither EL nor PC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    pub cpu: u8,
    pub el: Option<u8>,
    pub pc: Option<u64>,
    pub event: Event<'a>,
}

/// Where records go. Called on the emulation thread; implementations buffer.
pub trait TraceSink: Send + Sync {
    fn record(&self, r: &Record<'_>);
}

/// A PE's (or the bus's) tracing state: which targets are on and the sink.
#[derive(Clone, Default)]
pub struct Tracer {
    /// `INSN | EXC | ...`; 0 = tracing off (the sink is then never called).
    pub flags: u32,
    pub sink: Option<Arc<dyn TraceSink>>,
}

impl std::fmt::Debug for Tracer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tracer").field("flags", &self.flags).field("sink", &self.sink.is_some()).finish()
    }
}

impl Tracer {
    pub fn new(flags: u32, sink: Arc<dyn TraceSink>) -> Self {
        Tracer { flags, sink: Some(sink) }
    }

    /// Whether target `flag` is on (and a sink is set).
    #[inline(always)]
    pub fn on(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// Sends a record to the sink (if any).
    #[cold]
    #[inline(never)]
    pub fn emit(&self, r: &Record<'_>) {
        if let Some(s) = &self.sink {
            s.record(r);
        }
    }
}

impl crate::Cpu {
    /// Whether every executed instruction must be reported (`--trace insn`): a
    /// translating engine must then run this PE in the interpreter.
    #[inline(always)]
    pub fn trace_insn(&self) -> bool {
        self.trace.flags & INSN != 0
    }

    /// Reports the instruction at `pc` (called by the interpreter when `trace_insn()`).
    #[cold]
    #[inline(never)]
    pub fn trace_insn_record(&self, pc: u64, raw: u32) {
        self.trace.emit(&Record { cpu: self.cfg.index, el: Some(self.st.pstate.el), pc: Some(pc), event: Event::Insn { raw } });
    }
}

/// A sink that keeps every record in memory (for tests).
#[derive(Default)]
pub struct Collect {
    pub records: std::sync::Mutex<Vec<OwnedRecord>>,
}

/// A `Record` with owned strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedRecord {
    pub cpu: u8,
    pub el: Option<u8>,
    pub pc: Option<u64>,
    pub event: Event<'static>,
    /// The device name of an `Mmio` event (its `dev` field is then "").
    pub dev: String,
}

impl TraceSink for Collect {
    fn record(&self, r: &Record<'_>) {
        let (event, dev) = match r.event {
            Event::Mmio { dev, pa, off, size, write, value, error } => {
                (Event::Mmio { dev: "", pa, off, size, write, value, error }, dev.to_string())
            }
            Event::Insn { raw } => (Event::Insn { raw }, String::new()),
            Event::Exception { kind, from_el, to_el, esr, far, elr, vector } => {
                (Event::Exception { kind, from_el, to_el, esr, far, elr, vector }, String::new())
            }
            Event::Eret { from_el, to_el, target, spsr, illegal } => {
                (Event::Eret { from_el, to_el, target, spsr, illegal }, String::new())
            }
            Event::Smc { imm, fid, args, result } => (Event::Smc { imm, fid, args, result }, String::new()),
        };
        if let Ok(mut v) = self.records.lock() {
            v.push(OwnedRecord { cpu: r.cpu, el: r.el, pc: r.pc, event, dev });
        }
    }
}
