//! The deploy edge: everything that publishes compiled output or talks to a forge.
//!
//! Unlike the compiler stages, these modules touch the outside world (git, the
//! network); nothing before them depends on them.

pub mod github;
