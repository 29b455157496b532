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

const CODE: [u32; 11] = [
    0xd2800000, 0xd2b00003, 0x91400463, 0x91000c00, 0xca010002, 0xf9400464, 0x8b020084, 0xf9000464, 0xf1000421,
    0x54ffff41, 0x14000000,
];
const BASE: u64 = 0x8000_0000;

fn setup(mmu: bool) -> (Cpu, FlatRam) {
    let mut ram = FlatRam::new(BASE, 1 << 20);
    let bytes: Vec<u8> = CODE.iter().flat_map(|w| w.to_le_bytes()).collect();
    ram.load(BASE, &bytes);
    let mut cpu = Cpu::new(CpuConfig::default());
    cpu.reset(BASE);
    cpu.st.x[1] = u64::MAX; // loop "forever"; the budget ends the run
    if mmu {
        // EL1, 4K granule, T0SZ = 32 (4 GiB, walk starts at level 1), one 1 GiB block
        // at 0x8000_0000 (level-1 entry 2): Normal WB (MAIR attr 0 = 0xff), AF, inner
        // shareable, EL1 RW.
        let tt = BASE + 0x10000;
        let desc = BASE | (1 << 10) | (3 << 8) | 0b01;
        ram.load(tt + 2 * 8, &desc.to_le_bytes());
        cpu.sys.mair[1] = 0xff;
        cpu.sys.tcr[1] = 32 | (0b01 << 8) | (0b01 << 10) | (0b11 << 12) | (1 << 23); // IRGN/ORGN WB, ISH, EPD1
        cpu.sys.ttbr0[1] = tt;
        cpu.sys.sctlr[1] |= 1 | (1 << 2) | (1 << 12);
        cpu.sys.scr_el3 |= 1 | (1 << 10); // NS, RW
        cpu.sys.hcr_el2 |= 1 << 31; // RW
        cpu.st.pstate.el = 1;
    }
    (cpu, ram)
}

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
