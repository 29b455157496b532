//! Stores into code from another PE, against the reference interpreter (the oracle): two
//! PEs share RAM and one `Jit` (as on the machine) and run in alternating slices; PE 1
//! rewrites a function that PE 0 keeps calling, and stores data next to it, and both store
//! to a data page whose stores the platform watches in some slices only (as the machine
//! watches other PEs' reservation granules). After every slice both PEs' states, counts,
//! memory and the watched-store reports must equal the interpreter's under the same
//! schedule.
//!
//! What this checks in the JIT: an inline store reports nothing, so a PE may keep a
//! write entry usable by inline stores (a quiet tag) only for a page without translated
//! code and not watched; PE 1 gets its tag for the function's page before PE 0 first
//! translates it, and must lose it before its next run (`Jit::sync_quiet`), as it must
//! lose the watched page's when a slice starts watching it.

use cpu_aarch64::engine::Engine;
use cpu_aarch64::interp::{self, Exit};
use cpu_aarch64::platform::{Bus, BusAttrs, BusError, FlatRam, PhysAddr, RamSpan};
use cpu_aarch64::{Cpu, CpuConfig, Platform};
use lsemu_jit::Jit;
mod common;

const BASE: u64 = 0x8000_0000;
/// The function PE 0 calls and PE 1 rewrites (`f` below).
const F: u64 = BASE + 0x1000;
/// The data page both PEs store to (`data` below).
const DATA: u64 = BASE + 0x3000;

const SRC: &str = "
    // PE 0: 40 x (X19 = F() + 2 * X19; store X19 to the data page).
    movz x26, #40
    adr x21, data
1:  bl f
    add x19, x0, x19, lsl #1
    str x19, [x21]
    subs x26, x26, #1
    b.ne 1b
2:  b 2b
    .org 0x1000
f:  movz x0, #5
    ret
    .org 0x2000
    // PE 1: 40 x (data next to f; the data page; f's first word = MOVZ X0, #imm, imm + 1).
    adr x24, f
    add x25, x24, #0x800
    adr x21, data
    ldr w23, new
    movz x26, #40
1:  str x26, [x25]
    str x26, [x21, #8]
    str w23, [x24]
    add x23, x23, #32
    subs x26, x26, #1
    b.ne 1b
2:  b 2b
new: movz x0, #7
    .org 0x3000
data: .quad 0
";

/// Assembles `SRC` with the GNU assembler into a flat binary.
fn assemble() -> Vec<u8> {
    common::assemble("jit-smp-stores", "p", SRC)
}

/// RAM, and the ranges whose stores must be reported (changed between slices).
#[derive(Clone)]
struct Plat {
    ram: FlatRam,
    watch: Vec<(u64, u64)>,
    /// Reports of stores overlapping a watched range: (PE, PA, length).
    reports: Vec<(u8, u64, usize)>,
}

impl Bus for Plat {
    fn read(&mut self, pa: PhysAddr, buf: &mut [u8], a: BusAttrs) -> Result<(), BusError> {
        self.ram.read(pa, buf, a)
    }
    fn write(&mut self, pa: PhysAddr, buf: &[u8], a: BusAttrs) -> Result<(), BusError> {
        self.ram.write(pa, buf, a)
    }
    fn ram_span(&self, pa: PhysAddr) -> Option<RamSpan> {
        self.ram.ram_span(pa)
    }
}

impl Platform for Plat {
    fn counter(&self) -> u64 {
        0
    }
    fn store_watch(&self, out: &mut Vec<(u64, u64)>) -> bool {
        out.extend_from_slice(&self.watch);
        true
    }
    fn store_notify(&mut self, cpu: u8, pa: PhysAddr, len: usize) {
        if self.watch.iter().any(|&(b, l)| pa.0 < b + l && pa.0 + len as u64 > b) {
            self.reports.push((cpu, pa.0, len));
        }
    }
}

fn pe(index: u8, pc: u64) -> Cpu {
    let mut c = Cpu::new(CpuConfig { index, ..CpuConfig::default() });
    c.reset(pc);
    c
}

/// Runs both PEs for `rounds` rounds of (PE 1 for `s1`, PE 0 for `s0`) instructions, on
/// the interpreter and on one `Jit`, comparing everything after every slice. Returns the
/// interpreter's PE 0 X19 and the watched-store reports.
fn run(s0: u64, s1: u64, rounds: usize) -> (u64, usize) {
    let code = assemble();
    let mut ram = FlatRam::new(BASE, 1 << 16);
    ram.load(BASE, &code);
    let plat = Plat { ram, watch: Vec::new(), reports: Vec::new() };
    let (mut pa, mut pb) = (plat.clone(), plat);
    let mut a = [pe(0, BASE), pe(1, BASE + 0x2000)];
    let mut b = [pe(0, BASE), pe(1, BASE + 0x2000)];
    let mut jit = Jit::new();
    for round in 0..rounds {
        for (i, n) in [(1, s1), (0, s0)] {
            // Watch the data page (and the data next to f) in every fourth round (from the fourth).
            let w = if round % 4 == 3 { vec![(DATA, 64), (F + 0x800, 64)] } else { Vec::new() };
            pa.watch.clone_from(&w);
            pb.watch = w;
            let xa = interp::run(&mut a[i], &mut pa, n);
            let xb = jit.run(&mut b[i], &mut pb, n);
            let what = format!("slices {s0}/{s1}, round {round}, PE {i}");
            assert_eq!(xa, xb, "{what}: exit");
            assert!(matches!(xa, Exit::Budget), "{what}: {xa:?}");
            assert_eq!(a[i].st, b[i].st, "{what}: architectural state");
            assert_eq!(a[i].icount, b[i].icount, "{what}: icount");
            assert_eq!(a[i].stats, b[i].stats, "{what}: stats");
            assert!(pa.ram.mem == pb.ram.mem, "{what}: memory");
            assert_eq!(pa.reports, pb.reports, "{what}: watched-store reports");
        }
    }
    (a[0].st.x[19], pa.reports.len())
}

#[test]
fn stores_into_code_from_another_pe() {
    // Schedules: PE 1's first slice stores next to f before PE 0 has run it (6: up to its
    // first store), or rewrites f too; PE 0 calls f once or many times per slice.
    let mut changed = 0;
    let mut reported = 0;
    for (s0, s1) in [(5, 6), (9, 8), (17, 7), (3, 40), (50, 6), (1, 9), (11, 11), (64, 64)] {
        let (x19, reports) = run(s0, s1, 40);
        // f returned something else than its original 5 at least once (PE 1's rewrite
        // was seen): X19 differs from 40 calls of the original (5 * (2^40 - 1)).
        changed += (x19 != 5u64.wrapping_mul((1 << 40) - 1)) as usize;
        reported += reports;
    }
    assert!(changed >= 6, "PE 0 rarely saw PE 1's code: {changed} of 8 schedules");
    assert!(reported > 0, "no watched store was reported");
}
