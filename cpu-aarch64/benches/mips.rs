//! Interpreter speed in MIPS on simple guest loops (a benchmark, not a test: nothing is
//! asserted about time). Run with `cargo bench -p cpu-aarch64 --bench mips`.
//!
//! The loop (assembled with aarch64-linux-gnu-as; 7 instructions per iteration, one load
//! and one store):
//! ```text
//!    0: d2800000  mov  x0, #0
//!    4: d2b00003  mov  x3, #0x80000000
//!    8: 91400463  add  x3, x3, #0x1, lsl #12
//!    c: 91000c00  add  x0, x0, #0x3
//!   10: ca010002  eor  x2, x0, x1
//!   14: f9400464  ldr  x4, [x3, #8]
//!   18: 8b020084  add  x4, x4, x2
//!   1c: f9000464  str  x4, [x3, #8]
//!   20: f1000421  subs x1, x1, #0x1
//!   24: 54ffff41  b.ne c
//!   28: 14000000  b    28
//! ```

use cpu_aarch64::interp;
use cpu_aarch64::platform::FlatRam;
use cpu_aarch64::{Cpu, CpuConfig};
use std::time::Instant;

include!("common/mips_loop.rs");

fn bench(name: &str, mmu: bool) {
    let (mut cpu, mut ram) = setup(mmu);
    let n: u64 = std::env::var("MIPS_N").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000_000);
    // warm up (decoder tree, TLB)
    let _ = interp::run(&mut cpu, &mut ram, 100_000);
    let t = Instant::now();
    let start = cpu.icount;
    while cpu.icount - start < n {
        let _ = interp::run(&mut cpu, &mut ram, 10_000);
    }
    let secs = t.elapsed().as_secs_f64();
    let done = cpu.icount - start;
    println!("{name}: {done} instructions in {secs:.3} s = {:.1} MIPS (pc {:#x}, exceptions {})", done as f64 / secs / 1e6, cpu.st.pc, cpu.stats.exceptions);
}

/// `MIPS_N` = instructions per variant (default 20 M); `MIPS_VARIANT` = `off` or `on` to run
/// only the MMU-off or the MMU-on loop (e.g. to count host instructions per variant with
/// `valgrind --tool=callgrind`).
fn main() {
    let v = std::env::var("MIPS_VARIANT").unwrap_or_default();
    if v != "on" {
        bench("interp, EL3 MMU off", false);
    }
    if v != "off" {
        bench("interp, EL1 MMU on ", true);
    }
}
