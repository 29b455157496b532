//! Shared helpers of lsemu's test suites: the QEMU user-mode differential harness
//! (`diff`, `gen`, `regress`) and helpers for the decoder agreement tests.

pub mod diff;
pub mod gen;
pub mod regress;
pub mod jitdiff;
