//! Integration tests: one binary, one module per area, each driving the real `flowc`.
//!
//! Tests that need more than Rust — real Airflow (Python and the network to install
//! it), `python3`, or Node.js with npm — are `#[ignore]`d with the reason, so a plain
//! `cargo test` needs nothing else; `scripts/test.sh` runs them all with
//! `--include-ignored`.

mod access;
mod action;
mod airflow;
mod airflow_harness;
mod architecture;
mod bounded;
mod check_fixtures;
mod codeowners;
mod column_lineage_corpus;
mod compile;
mod compile_memo;
mod compile_snapshots;
mod compiled_in_airflow;
mod control_characters;
mod datax_jobs;
mod datax_launcher;
mod datax_schema;
mod ddl;
mod deploy;
mod docs_catalog;
mod docs_page;
mod environments;
mod example_on_spark;
mod example_services;
mod examples;
mod flow_links;
mod fuzz_corpus;
mod git_rev;
mod github;
mod hostile;
mod init;
mod mutations;
mod openlineage;
mod output;
mod partitions_in_airflow;
mod plan;
mod quality;
mod run_dry;
mod run_rendering;
mod run_spark;
mod secrets;
mod shell;
mod spark_client;
mod spark_harness;
mod spark_runs;
mod spark_seeds;
mod sql_cache;
mod sql_column_lineage;
mod sql_forms;
mod sql_lineage;
mod stdout;
mod support;
mod template_overrides;
mod timezone;
mod timings;
mod unit_tests;
mod wheel;
mod workflows;
