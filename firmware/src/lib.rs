//! `lsemu-firmware`: firmware models (semihosting, the EL3 monitor's PSCI/SMCCC; the MC
//! firmware later), loaders for guest images (ELF, raw, Linux arm64 Image) and the
//! device-tree fix-ups the boot firmware does before entering Linux. It depends on the
//! CPU crate's traits, never on devices.

pub mod dtb;
pub mod fdtree;
pub mod linux;
pub mod loaders;
pub mod psci;
pub mod semihosting;
pub mod smccc;
pub mod xen;
