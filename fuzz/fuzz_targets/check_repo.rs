//! Fuzz target `check_repo`: see `flowc_fuzz::check_repo` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flowc_fuzz::check_repo(data));
