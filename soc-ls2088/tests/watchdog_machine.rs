//! The SP805 watchdogs in the machine: programmed through the bus as Linux's sp805_wdt
//! does (unlock, WdogLoad, WdogIntClr, WdogControl = INTEN | RESEN, lock), a PE spinning
//! on `b .`; the second timeout without WdogIntClr makes `run` return `RunExit::Reset`
//! (Arm DDI 0270 §2.2). 1 instruction = 1 virtual ns; the watchdog clock is 350 MHz.

mod common;
use common::{w32, r32};

use soc_ls2088::machine::{Firmware, RunExit};
use soc_ls2088::Machine;

const RAM: u64 = 0x8000_0000;
const WDT: u64 = 0x0c11_0000; // the fourth watchdog (core 3's)


fn spinning_machine() -> Machine {
    let mut m = common::machine(Firmware::BareMetal, 1);
    // `b .` (B with imm26 = 0: 0x14000000, Arm ARM C6.2.26).
    w32(&mut m, RAM, 0x1400_0000);
    m.cpus[0].st.pc = RAM;
    m
}

fn arm(m: &mut Machine, control: u32) {
    w32(m, WDT + 0xc00, 0x1ACC_E551);
    w32(m, WDT, 3500); // 10 us at 350 MHz
    w32(m, WDT + 0xc, 0);
    w32(m, WDT + 0x8, control);
    w32(m, WDT + 0xc00, 0);
}

#[test]
fn watchdog_timeout_resets_the_machine() {
    let mut m = spinning_machine();
    // The AMBA identification Linux reads first (PeriphID 05 18 14 00, CellID 0D F0 05 B1).
    let ids: Vec<u32> = (0..8).map(|i| r32(&mut m, WDT + 0xfe0 + 4 * i)).collect();
    assert_eq!(ids, [0x05, 0x18, 0x14, 0x00, 0x0d, 0xf0, 0x05, 0xb1]);
    arm(&mut m, 3);
    assert_eq!(r32(&mut m, WDT + 0xc00), 1, "locked");
    assert_eq!(m.run(Some(1_000_000)), RunExit::Reset);
    // Two 10 us periods, seen at a quantum boundary.
    assert!(m.now_ns >= 20_000 && m.now_ns < 100_000, "{}", m.now_ns);
}

#[test]
fn watchdog_without_resen_only_interrupts() {
    let mut m = spinning_machine();
    arm(&mut m, 1);
    assert_eq!(m.run(Some(1_000_000)), RunExit::InsnLimit);
    assert_eq!(r32(&mut m, WDT + 0x10), 1, "WdogRIS");
}
