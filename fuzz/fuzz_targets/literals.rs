//! Fuzz target `literals`: see `flowc_fuzz::literals` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flowc_fuzz::literals(data));
