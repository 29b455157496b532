//! DPL files as .dts source or .dtb blob (lsemu_devices::fslmc::fuzz::dpl_parse).
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| lsemu_devices::fslmc::fuzz::dpl_parse(data));
