//! `lsemu-firmware`: firmware models (semihosting now; the EL3 monitor with PSCI/SMCCC and
//! the MC firmware later) and loaders for guest images. It depends on the CPU crate's
//! traits, never on devices.

pub mod loaders;
pub mod semihosting;
