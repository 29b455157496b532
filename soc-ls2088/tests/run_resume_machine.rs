//! `Machine::run` stopped in the middle of a round (an instruction limit, a debugger
//! breakpoint, debugger single steps) and called again continues the round: the guest
//! sees the same system counter values as in one uninterrupted run. Two PEs each store
//! CNTPCT_EL0 into their own buffer in a loop; the buffers (and the time and instruction
//! counts) must be identical however the run is cut. The expected counter values are
//! also worked out by hand: 1 instruction = 1 ns, 25 MHz counter (40 ns per tick),
//! QUANTUM = 10000 instructions per turn, PE 0 then PE 1.

mod common;

use cpu_aarch64::interp::Exit;
use cpu_aarch64::platform::{BusAttrs, PhysAddr};
use cpu_aarch64::Bus;
use soc_ls2088::machine::{Firmware, RunExit, QUANTUM};
use soc_ls2088::Machine;

const RAM: u64 = 0x8000_0000;
const BUF: [u64; 2] = [RAM + 0x10_0000, RAM + 0x20_0000];
const ITER: u64 = 6000;
/// aarch64-linux-gnu-as encodings.
const CODE: [u32; 5] = [
    0xd53be022, // 0x00: loop: mrs x2, cntpct_el0
    0xf8008422, // 0x04: str x2, [x1], #8
    0xf1000400, // 0x08: subs x0, x0, #1
    0x54ffffa1, // 0x0c: b.ne loop
    0x14000000, // 0x10: b .
];

fn machine() -> Machine {
    let mut m = common::machine(Firmware::BareMetal, 2);
    let code: Vec<u8> = CODE.iter().flat_map(|w| w.to_le_bytes()).collect();
    m.bus.write(PhysAddr(RAM), &code, BusAttrs::default()).unwrap();
    for (i, c) in m.cpus.iter_mut().enumerate() {
        c.reset(RAM);
        c.sys.cntfrq_el0 = 25_000_000;
        c.off = false;
        c.st.x[0] = ITER;
        c.st.x[1] = BUF[i];
    }
    m
}

fn stored(m: &mut Machine, i: usize) -> Vec<u64> {
    let mut b = vec![0u8; ITER as usize * 8];
    m.bus.read(PhysAddr(BUF[i]), &mut b, BusAttrs::default()).unwrap();
    b.chunks(8).map(|c| u64::from_le_bytes(c.try_into().unwrap())).collect()
}

const TOTAL: u64 = 60_000;

fn reference() -> Machine {
    let mut m = machine();
    assert_eq!(m.run(Some(TOTAL)), RunExit::InsnLimit);
    m
}

fn same(a: &mut Machine, b: &mut Machine) {
    assert_eq!(a.now_ns, b.now_ns);
    for i in 0..2 {
        assert_eq!(a.cpus[i].icount, b.cpus[i].icount, "cpu{i} icount");
        assert_eq!(a.cpus[i].st, b.cpus[i].st, "cpu{i} registers");
        assert_eq!(stored(a, i), stored(b, i), "cpu{i} counter values");
    }
}

#[test]
fn hand_worked_counter_values() {
    let mut m = reference();
    let s0 = stored(&mut m, 0);
    let s1 = stored(&mut m, 1);
    // PE 0's first mrs is its first instruction at time 0; its k-th loop iteration reads
    // at instruction 4k of its first quantum (4 instructions per iteration).
    assert_eq!(s0[0], 0);
    assert_eq!(s0[10], 40 / 40);
    assert_eq!(s0[100], 400 / 40);
    // PE 1 runs its first quantum at virtual time 0 too (turns of one round share the
    // quantum's start time), so its first values equal PE 0's.
    assert_eq!(s1[100], 400 / 40);
    // Iteration 2500 is the first of the second quantum: time QUANTUM.
    assert_eq!(s0[2500], QUANTUM / 40);
    assert_eq!(s1[2501], (QUANTUM + 4) / 40);
}

#[test]
fn run_in_small_slices_equals_one_run() {
    let mut a = reference();
    let mut b = machine();
    let mut total = 0;
    while total < TOTAL {
        let before = b.icount();
        assert_eq!(b.run(Some(777.min(TOTAL - total))), RunExit::InsnLimit);
        total += b.icount() - before;
    }
    same(&mut a, &mut b);
}

#[test]
fn breakpoint_stop_and_single_steps_continue_the_round() {
    let mut a = reference();
    let mut b = machine();
    // Debugger single steps before the first round (`--wait-gdb`, then `stepi`).
    for _ in 0..3 {
        assert_eq!(b.step_cpu(0), (Exit::Budget, None));
    }
    // A host breakpoint on PE 1's `subs`: it stops in PE 1's first turn.
    b.cpus[1].host_debug.breakpoints.push(RAM + 8);
    let x = b.run(Some(TOTAL));
    assert_eq!(x, RunExit::Debug { cpu: 1 });
    assert_eq!(b.cpus[1].st.pc, RAM + 8);
    assert_eq!(b.cpus[1].icount, 2, "mrs and str retired, subs not");
    b.cpus[1].host_debug.hit = None;
    b.cpus[1].host_debug.breakpoints.clear();
    // Single steps of PE 1 (the debugger's stepi), then carry on.
    for _ in 0..5 {
        let (x, stop) = b.step_cpu(1);
        assert_eq!((x, stop), (Exit::Budget, None));
    }
    assert_eq!(b.cpus[1].icount, 7);
    while b.icount() < TOTAL {
        let left = TOTAL - b.icount();
        assert_eq!(b.run(Some(left)), RunExit::InsnLimit);
    }
    same(&mut a, &mut b);
}
