//! flowc compiles a git repository of data pipelines — YAML flows and SparkSQL files —
//! into validated, dependency-ordered Airflow DAGs and DataX jobs.
//!
//! The compiler is a pipeline of numbered stages. A module imports only modules of a
//! lower stage (a module of stage 0 only from stage 0), plain data goes between them,
//! and stages 3–10 are pure functions of their input: no files, git, network or
//! clock. `tests/integration/architecture.rs` reads this table and keeps it so.
//!
//! | stage | modules | hands on |
//! |---|---|---|
//! | 0 | `diagnostic` `error` `hash` `words` | diagnostics with spans, tool errors, hashes |
//! | 1 | `model` | the typed model: project, environments, flows, tasks |
//! | 2 | `load` | source files and span-keeping YAML trees; the only reader of files |
//! | 3 | `validate` | JSON Schema problems and the typed [`model::Repository`] |
//! | 4 | `sql` | each SQL file's reads, writes and table names (the one sqlparser adapter) |
//! | 5 | `sync` | each sync task's DataX job and the tables it reads and writes |
//! | 6 | `graph` `columns` | the dependency graph across flows, cycles, duplicate writers; every table's schema and every task's column lineage |
//! | 7 | `quality` | each task's data quality checks and their SQL |
//! | 8 | `policy` `unit_tests` | access grants, environment isolation, CODEOWNERS; unit tests checked against the schemas |
//! | 9 | `dags` | one environment's DAG model: DAGs, tasks, operators, pools, sensors |
//! | 10 | `render` `docs` | one environment's files in memory (table DDL among them), the manifest, fingerprints; the catalog and lineage page |
//! | 11 | `compiler` | runs stages 2–10 and owns the report: `check`, `compile` |
//! | 12 | `output` | the compiled files written all-or-nothing |
//! | 13 | `plan` | the pull-request plan: a diff of two compiles and its views |
//! | 14 | `deploy` `execute` | atomic publish to a folder or a branch; the GitHub edge; `flowc run`'s processes; `flowc test`'s local Spark |
//! | 15 | `cli` | clap arguments, one `run` per subcommand, the one printer |
//!
//! Every stage reports problems in the user's input as [`diagnostic::Diagnostic`]
//! values with spans and collects all of them; the next stage runs only on input
//! without errors. [`Error`] is for flowc failing (I/O, git, GitHub). Start reading at
//! [`compiler`], which runs the stages in order; `docs/ARCHITECTURE.md` says where
//! each diagnostic code and output file comes from.

// Stage 0.
pub mod diagnostic;
mod error;
pub mod hash;
pub mod words;
// Stage 1.
pub mod model;
// Stage 2.
pub mod load;
// Stage 3.
pub mod validate;
// Stage 4.
pub mod sql;
// Stage 5.
pub mod sync;
// Stage 6.
pub mod columns;
pub mod graph;
// Stage 7.
pub mod quality;
// Stage 8.
pub mod policy;
pub mod unit_tests;
// Stage 9.
pub mod dags;
// Stage 10.
pub mod docs;
pub mod render;
// Stage 11.
pub mod compiler;
// Stage 12.
pub mod output;
// Stage 13.
pub mod plan;
// Stage 14.
pub mod deploy;
pub mod execute;
// Stage 15.
pub mod cli;

pub use error::Error;
