//! Arbitrary sequences of portal writes/reads and CCSR writes into an MC built from the
//! built-in DPL (lsemu_devices::fslmc::fuzz::mc_portal).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lsemu_devices::fslmc::fuzz::mc_portal(data));
