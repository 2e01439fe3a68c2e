//! Stage 14, deploy: the edge that publishes compiled output and talks to a forge.
//!
//! Input: a [`release::Release`] (the files of one environment from
//! [`crate::compiler::compile`], and the record naming them and their source commit).
//! Output: the files live in the target, and a [`release::Deployment`] saying what
//! changed. Targets: a folder ([`dir::DirTarget`], switched atomically through a
//! link) and a git branch ([`branch::BranchTarget`], one commit made with git
//! objects only). Both remove only files an earlier deploy recorded as flowc's, and
//! deploying the same files again changes nothing. [`github`] opens the promotion
//! pull request and keeps the plan comment up to date. Unlike the compiler stages,
//! these modules touch the outside world (the filesystem, git, the network); nothing
//! before them depends on them.

pub mod branch;
pub mod dir;
pub mod github;
pub mod release;
pub mod source;
mod store;
