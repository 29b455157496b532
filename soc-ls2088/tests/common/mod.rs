//! Helpers shared by the machine tests (each test file that needs them has `mod common;`).

#![allow(dead_code)]

use cpu_aarch64::platform::{BusAttrs, PhysAddr};
use cpu_aarch64::Bus;
use soc_ls2088::machine::Firmware;
use soc_ls2088::{Machine, MachineConfig};

/// A machine with 64 MiB of RAM, `smp` PEs and `firmware`, its console and stderr
/// discarded.
pub fn machine(firmware: Firmware, smp: u32) -> Machine {
    Machine::new(MachineConfig {
        ram_size: 64 << 20,
        smp,
        semihosting: false,
        firmware,
        console: Box::new(|| Box::new(std::io::sink())),
        stderr: Box::new(std::io::sink()),
    })
    .unwrap()
}

/// A 32-bit bus write with `attrs`.
pub fn w32_as(m: &mut Machine, pa: u64, v: u32, attrs: BusAttrs) {
    m.bus.write(PhysAddr(pa), &v.to_le_bytes(), attrs).unwrap();
}

/// A 32-bit Non-secure bus write.
pub fn w32(m: &mut Machine, pa: u64, v: u32) {
    w32_as(m, pa, v, BusAttrs::default());
}

/// A 32-bit Non-secure bus read.
pub fn r32(m: &mut Machine, pa: u64) -> u32 {
    let mut b = [0u8; 4];
    m.bus.read(PhysAddr(pa), &mut b, BusAttrs::default()).unwrap();
    u32::from_le_bytes(b)
}
