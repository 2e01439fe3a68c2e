//! Stage 8, policy: what the repository may do, beyond what it says.
//!
//! Input: the checked model and what the analysis stages found (each task's reads
//! and writes, the tables its SQL alters, its quality checks). Output: diagnostics,
//! plus the access report and the CODEOWNERS text. Pure: reading and writing
//! `.github/CODEOWNERS` is left to the compiler and the CLI.
//!
//! - [`access`]: every table a task touches, checked against its team's grants;
//! - [`isolation`]: what an environment other than `prod` may not write;
//! - [`codeowners`]: the owning team's review as the pull request's approval gate.

pub mod access;
pub mod codeowners;
pub mod isolation;
