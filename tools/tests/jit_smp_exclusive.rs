//! Two PEs on the real machine (`soc_ls2088::Machine`, round-robin turns of `QUANTUM`
//! instructions): PE 0 takes an exclusive reservation (LDXR), waits several quanta, then
//! tries STXR; PE 1 meanwhile stores in a loop, either into PE 0's reservation granule
//! (which must clear PE 0's monitor: STXR fails) or elsewhere (STXR succeeds). This is
//! the path the JIT's store filter skips for most stores (`Platform::store_watch`: the
//! machine watches only other PEs' reservation granules), so each case runs under the
//! interpreter and the JIT, and the final state of both PEs and the memory must be the
//! same. Oracles: the interpreter for the JIT, and the expected STXR status and memory
//! worked out by hand from the Arm ARM (B2.9: a store by another observer to the marked
//! granule clears the global monitor; STXR writes 1 to Ws when it fails, 0 on success).

use cpu_aarch64::engine::{Engine, Interpreter};
use cpu_aarch64::platform::{BusAttrs, PhysAddr};
use cpu_aarch64::Bus;
use soc_ls2088::machine::{Firmware, RunExit};
use soc_ls2088::{Machine, MachineConfig};

const RAM: u64 = 0x8000_0000;
/// The shared doubleword (64-byte aligned: the start of a reservation granule).
const SHARED: u64 = RAM + 0x10_0000;
/// Where PE 0 stores its STXR status.
const RESULT: u64 = RAM + 0x20_0000;
const INITIAL: u64 = 0x1234;
/// aarch64-linux-gnu-as encodings.
const CODE: [u32; 12] = [
    // PE 0 (offset 0): x1 = SHARED, x3 = delay, x5 = RESULT
    0xc85f7c22, // 0x00: ldxr x2, [x1]
    0xf1000463, // 0x04: 1: subs x3, x3, #1
    0x54ffffe1, // 0x08: b.ne 1b
    0x91000442, // 0x0c: add x2, x2, #1
    0xc8047c22, // 0x10: stxr w4, x2, [x1]
    0xf90000a4, // 0x14: str x4, [x5]
    0x14000000, // 0x18: b .
    // PE 1 (offset 0x1c): x1 = address to store to, x3 = iterations, x6 = another
    // granule of x1's page (its store fills the PE's fast-path entry for the page, so
    // the JIT's stores to x1 are all inline ones, the path its store filter guards).
    0xf90000df, // 0x1c: str xzr, [x6]
    0xf9000023, // 0x20: 1: str x3, [x1]
    0xf1000463, // 0x24: subs x3, x3, #1
    0x54ffffc1, // 0x28: b.ne 1b
    0x14000000, // 0x2c: b .
];
/// PE 0's delay loop: 2 instructions per iteration, 6 quanta.
const DELAY: u64 = 30_000;
const STORES: u64 = 1000;

fn run(engine: Box<dyn Engine>, target: u64) -> Machine {
    let mut m = Machine::new(MachineConfig {
        ram_size: 64 << 20,
        smp: 2,
        semihosting: false,
        firmware: Firmware::BareMetal,
        console: Box::new(|| Box::new(std::io::sink())),
        stderr: Box::new(std::io::sink()),
    })
    .unwrap();
    m.set_engine(engine);
    let code: Vec<u8> = CODE.iter().flat_map(|w| w.to_le_bytes()).collect();
    m.bus.write(PhysAddr(RAM), &code, BusAttrs::default()).unwrap();
    m.bus.write(PhysAddr(SHARED), &INITIAL.to_le_bytes(), BusAttrs::default()).unwrap();
    m.bus.write(PhysAddr(RESULT), &u64::MAX.to_le_bytes(), BusAttrs::default()).unwrap();
    for (i, c) in m.cpus.iter_mut().enumerate() {
        c.reset(if i == 0 { RAM } else { RAM + 0x1c });
        c.off = false;
    }
    let c0 = &mut m.cpus[0];
    (c0.st.x[1], c0.st.x[3], c0.st.x[5]) = (SHARED, DELAY, RESULT);
    let c1 = &mut m.cpus[1];
    (c1.st.x[1], c1.st.x[3], c1.st.x[6]) = (target, STORES, (target & !0xfff) + 0x800);
    assert_eq!(m.run(Some(200_000)), RunExit::InsnLimit);
    m
}

fn r64(m: &mut Machine, pa: u64) -> u64 {
    let mut b = [0u8; 8];
    m.bus.read(PhysAddr(pa), &mut b, BusAttrs::default()).unwrap();
    u64::from_le_bytes(b)
}

/// Runs PE 1 storing to `target` under both engines; returns (STXR status, SHARED).
fn both(target: u64) -> (u64, u64) {
    let mut a = run(Box::new(Interpreter), target);
    let mut b = run(Box::new(jit::Jit::new()), target);
    assert!(b.engine.stats().blocks_translated > 0, "the JIT translated nothing");
    for i in 0..2 {
        assert_eq!(a.cpus[i].icount, b.cpus[i].icount, "cpu{i} icount");
        assert_eq!(a.cpus[i].st, b.cpus[i].st, "cpu{i} registers");
        assert_eq!(a.cpus[i].monitor, b.cpus[i].monitor, "cpu{i} exclusive monitor");
    }
    for pa in [SHARED, SHARED + 64, SHARED + 0x1000, RESULT] {
        assert_eq!(r64(&mut a, pa), r64(&mut b, pa), "memory at {pa:#x}");
    }
    // PE 0 has finished (stored its status) and parks on `b .`.
    assert_eq!(a.cpus[0].st.pc, RAM + 0x18);
    (r64(&mut a, RESULT), r64(&mut a, SHARED))
}

#[test]
fn store_into_reserved_granule_fails_other_pes_stxr() {
    // PE 1's stores (the last one writes x3 = 1) land in PE 0's granule (8 bytes into
    // it) while PE 0 waits: PE 0's STXR fails (status 1) and SHARED is untouched by it.
    let (status, shared) = both(SHARED + 8);
    assert_eq!(status, 1);
    assert_eq!(shared, INITIAL);
    // Same granule, same doubleword: the last store (1) is what remains.
    let (status, shared) = both(SHARED);
    assert_eq!(status, 1);
    assert_eq!(shared, 1);
}

#[test]
fn store_outside_reserved_granule_keeps_other_pes_reservation() {
    // The next granule (same page: the JIT calls the platform, which ignores it) and
    // another page (the JIT's filter skips the call): STXR succeeds (status 0) and
    // stores INITIAL + 1.
    for target in [SHARED + 64, SHARED + 0x1000] {
        let (status, shared) = both(target);
        assert_eq!(status, 0, "PE 1 storing to {target:#x}");
        assert_eq!(shared, INITIAL + 1, "PE 1 storing to {target:#x}");
    }
}
