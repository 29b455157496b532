//! `lsemu-firmware`: firmware models (the built-in EL3 monitor, semihosting) and loaders
//! for guest images. It depends on the CPU crate's traits, not on devices.
