//! `soc-ls2088`: the LS2088A SoC and the RDB board as data (`board.rs`: addresses, sizes,
//! interrupts, stream IDs), and the machine built from that table (`machine.rs`). Device
//! instantiation (`machine.rs`) and device-tree generation (`fdt.rs`) both read the one table.

pub mod board;
pub mod fdt;
pub mod machine;

pub use machine::{Machine, MachineConfig, MachineError, RunExit};
