//! Integration tests: the real `flowc` binary run on repositories, one module per area.

mod check_fixtures;
mod examples;
