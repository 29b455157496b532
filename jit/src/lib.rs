//! `lsemu-jit`: translates A64 blocks to x86-64 (dynasmrt). It must not depend on devices.
//!
//! Scaffolding only (issue 4 in progress): `Jit` implements `Engine` by running the
//! interpreter, so that the CLI, the machine and the differential tests can be wired up
//! while the translator is written. It is replaced by the translator.

use cpu_aarch64::engine::{Engine, EngineKind};
use cpu_aarch64::interp::{self, Exit};
use cpu_aarch64::{Cpu, Platform};

#[derive(Debug, Default)]
pub struct Jit {}

impl Jit {
    pub fn new() -> Self {
        Jit {}
    }
}

impl Engine for Jit {
    fn kind(&self) -> EngineKind {
        EngineKind::Jit
    }
    fn run(&mut self, cpu: &mut Cpu, p: &mut dyn Platform, budget: u64) -> Exit {
        interp::run(cpu, p, budget)
    }
}
