//! flowc compiles a git repository of data pipelines — YAML flows and SparkSQL files —
//! into validated, dependency-ordered jobs.
//!
//! The compiler is a pipeline of stages, each a module with one job and plain data
//! types between them:
//!
//! 1. [`load`]: repository → source files and span-keeping YAML trees;
//! 2. [`validate`]: JSON Schema validation of every YAML file, then the typed [`model`];
//! 3. [`sql`]: SparkSQL parsing, and the tables each task reads and writes;
//!    [`sync`]: each DataX sync resolved into its job (plugins, columns, types,
//!    partitions, throttling) and the tables it reads and writes;
//!    [`access`]: every table a task touches, checked against its team's grants;
//! 4. [`graph`]: the task dependency graph across flows, cycles, duplicate writers;
//!    [`quality`]: each task's data quality rules resolved against the tables it
//!    writes, and the SQL of their checks;
//! 5. [`render`]: Airflow DAG files, DataX job files, pools and the manifest, in memory;
//!    [`output`] writes them all-or-nothing; [`compile::compile`] runs check and render
//!    for every command that needs compiled output;
//!    `render::codeowners` turns the teams and flow owners into the repository's
//!    `.github/CODEOWNERS`;
//! 6. [`plan`]: two compiles of an environment (base and head revision) → a plan of
//!    what changes, its downstream impact and the rendered diffs (`flowc plan`, and the
//!    body of `flowc comment` and `flowc promote`);
//! 7. [`deploy`]: one environment's compiled files published to a folder Airflow
//!    reads (atomically, through a link) or committed to a deploy branch.
//!
//! At the edge, [`deploy`] publishes results: [`deploy::github`] opens the promotion
//! pull request and keeps the plan comment on pull requests up to date.
//!
//! Every stage reports problems as [`diagnostic::Diagnostic`] values with spans and
//! collects all of them; the next stage runs only on input without errors. Start
//! reading at [`check::check`], which runs the stages in order.

pub mod access;
pub mod check;
pub mod cli;
pub mod compile;
pub mod deploy;
pub mod diagnostic;
pub mod environment;
mod error;
pub mod graph;
pub mod load;
pub mod model;
pub mod output;
pub mod plan;
pub mod quality;
pub mod render;
pub mod sql;
pub mod sync;
pub mod validate;
pub mod words;

pub use error::Error;
