//! Fuzz target `yaml_load`: see `flowc_fuzz::yaml_load` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flowc_fuzz::yaml_load(data));
