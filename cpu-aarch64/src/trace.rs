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
    /// An interrupt acknowledged through the GIC CPU interface: a read of ICC_IAR0_EL1
    /// (`group` 0) or ICC_IAR1_EL1 (`group` 1), or their ICV_ forms for a virtual
    /// interrupt (`virt`), returning `intid` (1020-1023: no interrupt). Reported with
    /// the `IRQ` target.
    IrqAck { group: u8, intid: u32, virt: bool },
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
            Event::IrqAck { group, intid, virt } => (Event::IrqAck { group, intid, virt }, String::new()),
        };
        if let Ok(mut v) = self.records.lock() {
            v.push(OwnedRecord { cpu: r.cpu, el: r.el, pc: r.pc, event, dev });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::FlatRam;
    use crate::{interp, Cpu, CpuConfig};

    const BASE: u64 = 0x8000_0000;

    /// EL3, MMU off: `nop; svc #5`, the SVC taken to VBAR_EL3 + 0x200 (current EL, SP_EL3)
    /// where `b .` loops. Encodings from aarch64-linux-gnu-as: nop d503201f, svc #5
    /// d40000a1, b . 14000000.
    fn setup(flags: u32) -> (Cpu, FlatRam, Arc<Collect>) {
        let mut ram = FlatRam::new(BASE, 1 << 16);
        ram.load(BASE, &[0xd503201fu32, 0xd40000a1].iter().flat_map(|w| w.to_le_bytes()).collect::<Vec<u8>>());
        ram.load(BASE + 0xa00, &0x1400_0000u32.to_le_bytes());
        let mut cpu = Cpu::new(CpuConfig::default());
        cpu.reset(BASE);
        cpu.sys.vbar[3] = BASE + 0x800;
        cpu.st.pstate.sp = 1;
        let sink = Arc::new(Collect::default());
        cpu.trace = Tracer::new(flags, sink.clone());
        (cpu, ram, sink)
    }

    #[test]
    fn records_in_execution_order_and_none_when_off() {
        let (mut cpu, mut ram, sink) = setup(INSN | EXC);
        let _ = interp::run(&mut cpu, &mut ram, 4);
        let r = sink.records.lock().unwrap().clone();
        let insn = |pc: u64, raw: u32| OwnedRecord { cpu: 0, el: Some(3), pc: Some(pc), event: Event::Insn { raw }, dev: String::new() };
        // SVC #5 at EL3 (Arm ARM AArch64.CallSupervisor): EC 0x15, IL 1, ISS 5 ->
        // ESR 0x56000005; ELR = the next instruction; to EL3 at VBAR_EL3 + 0x200.
        let exc = OwnedRecord {
            cpu: 0,
            el: Some(3),
            pc: Some(BASE + 4),
            event: Event::Exception { kind: Kind::Sync, from_el: 3, to_el: 3, esr: 0x5600_0005, far: None, elr: BASE + 8, vector: BASE + 0xa00 },
            dev: String::new(),
        };
        assert_eq!(r, vec![insn(BASE, 0xd503201f), insn(BASE + 4, 0xd40000a1), exc, insn(BASE + 0xa00, 0x14000000), insn(BASE + 0xa00, 0x14000000)]);
        assert_eq!(cpu.stats.exc_sync[0x15][3], 1);

        // Tracing off: no record, same state and counts.
        let (mut off, mut ram2, sink2) = setup(0);
        let _ = interp::run(&mut off, &mut ram2, 4);
        assert!(sink2.records.lock().unwrap().is_empty());
        assert_eq!((off.st, off.icount, off.stats), (cpu.st, cpu.icount, cpu.stats));
        // Only exceptions: the one record.
        let (mut e, mut ram3, sink3) = setup(EXC);
        let _ = interp::run(&mut e, &mut ram3, 4);
        assert_eq!(sink3.records.lock().unwrap().len(), 1);
    }
}
