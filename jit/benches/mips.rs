//! JIT vs interpreter speed in MIPS on the interpreter benchmark's loop (a benchmark, not
//! a test: nothing is asserted about time). Run with `cargo bench -p lsemu-jit --bench mips`.
//! The loop is `cpu-aarch64/benches/mips.rs`'s (7 instructions per iteration, one load and
//! one store, assembled with aarch64-linux-gnu-as):
//! ```text
//!    c: 91000c00  add  x0, x0, #0x3
//!   10: ca010002  eor  x2, x0, x1
//!   14: f9400464  ldr  x4, [x3, #8]
//!   18: 8b020084  add  x4, x4, x2
//!   1c: f9000464  str  x4, [x3, #8]
//!   20: f1000421  subs x1, x1, #0x1
//!   24: 54ffff41  b.ne c
//! ```

use cpu_aarch64::engine::{Engine, Interpreter};
use cpu_aarch64::platform::FlatRam;
use cpu_aarch64::{Cpu, CpuConfig};
use lsemu_jit::Jit;
use std::time::Instant;

include!("../../cpu-aarch64/benches/common/mips_loop.rs");

fn bench(name: &str, engine: &mut dyn Engine, mmu: bool, slice: u64) {
    let (mut cpu, mut ram) = setup(mmu);
    let n: u64 = std::env::var("MIPS_N").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000_000);
    let _ = engine.run(&mut cpu, &mut ram, 100_000);
    let t = Instant::now();
    let start = cpu.icount;
    while cpu.icount - start < n {
        let _ = engine.run(&mut cpu, &mut ram, slice);
    }
    let secs = t.elapsed().as_secs_f64();
    let done = cpu.icount - start;
    println!("{name}: {done} instructions in {secs:.3} s = {:.1} MIPS (budget slices of {slice})", done as f64 / secs / 1e6);
}

/// `MIPS_N` = instructions per variant (default 50 M).
fn main() {
    for (mmu, what) in [(false, "EL3 MMU off"), (true, "EL1 MMU on ")] {
        bench(&format!("interp, {what}"), &mut Interpreter, mmu, 10_000);
        bench(&format!("jit,    {what}"), &mut Jit::new(), mmu, 10_000);
        bench(&format!("jit,    {what}"), &mut Jit::new(), mmu, 1_000_000);
    }
}
