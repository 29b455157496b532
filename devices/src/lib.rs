//! `lsemu-devices`: device models as small state machines behind the `Mmio` trait. Devices
//! know nothing of the CPU crate; they see a context with virtual time and raise interrupts
//! through `IrqLine`. No host clock, threads, files or printing here.
