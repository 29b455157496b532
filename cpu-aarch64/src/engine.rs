//! Execution engines: what runs a PE for a number of instructions. The interpreter
//! (`interp`) is the reference; the JIT (`lsemu-jit`) implements the same trait and must
//! leave exactly the same architectural state, instruction count and platform effects.

use crate::interp::{self, Exit};
use crate::platform::Platform;
use crate::Cpu;

/// Which engine a command line asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineKind {
    /// The reference interpreter.
    #[default]
    Interp,
    /// The A64 to x86-64 translator.
    Jit,
}

impl EngineKind {
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Interp => "interp",
            EngineKind::Jit => "jit",
        }
    }
}

impl std::str::FromStr for EngineKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "interp" => Ok(EngineKind::Interp),
            "jit" => Ok(EngineKind::Jit),
            _ => Err(format!("unknown engine `{s}` (expected interp or jit)")),
        }
    }
}

/// Counters an engine keeps for `--stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EngineStats {
    /// Guest blocks translated.
    pub blocks_translated: u64,
    /// Translations thrown away (code written, TLB/context change, cache full).
    pub blocks_invalidated: u64,
    /// Whole-cache flushes.
    pub flushes: u64,
}

/// An execution engine. One engine serves every PE of a machine (PEs run in turn), so
/// translations can be shared between them.
pub trait Engine {
    fn kind(&self) -> EngineKind;

    /// Runs `cpu` for up to `budget` instructions, with the same contract as
    /// `interp::run`: `cpu.icount` grows by exactly the number of instructions retired
    /// (plus failed fetches), and the state on return is the interpreter's.
    fn run(&mut self, cpu: &mut Cpu, p: &mut dyn Platform, budget: u64) -> Exit;

    /// Guest physical memory `[pa, pa + len)` was changed behind the engine's back (a
    /// loader, a debugger write, a device's DMA): any translation of it is stale.
    fn invalidate_phys(&mut self, _pa: u64, _len: u64) {}

    /// Forgets every translation.
    fn invalidate_all(&mut self) {}

    fn stats(&self) -> EngineStats {
        EngineStats::default()
    }
}

/// The reference interpreter as an `Engine`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Interpreter;

impl Engine for Interpreter {
    fn kind(&self) -> EngineKind {
        EngineKind::Interp
    }
    fn run(&mut self, cpu: &mut Cpu, p: &mut dyn Platform, budget: u64) -> Exit {
        interp::run(cpu, p, budget)
    }
}
