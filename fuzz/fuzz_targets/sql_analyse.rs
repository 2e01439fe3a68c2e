//! Fuzz target `sql_analyse`: see `flowc_fuzz::sql_analyse` for what it checks.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| flowc_fuzz::sql_analyse(data));
