//! Deploy: publishing one environment's compiled files to where Airflow reads them.
//!
//! Input: a [`release::Release`] (the files of one environment from
//! [`crate::compile::compile`], and the record naming them and their source commit).
//! Output: the files live in the target, and a [`release::Deployment`] saying what
//! changed. Targets: a folder ([`dir::DirTarget`], switched atomically through a
//! link) and a git branch ([`branch::BranchTarget`], one commit made with git
//! objects only). Both remove only files an earlier deploy recorded as flowc's, and
//! deploying the same files again changes nothing. This is one of the few stages that
//! touches the outside world: the filesystem and git.

pub mod branch;
pub mod dir;
pub mod release;
pub mod source;
mod store;
