//! The views of a plan, one per format: [`text`] (a terminal), [`markdown`] (a
//! pull-request comment, under GitHub's size limit by construction) and [`json`]. Each
//! turns a [`crate::plan::Plan`] into text and nothing else.

pub mod json;
pub mod markdown;
pub mod text;

use crate::plan::types::FileDiff;

/// ` (+3 -1)`, ` (binary)`.
fn counts(file: &FileDiff) -> String {
    if file.binary {
        " (binary)".to_owned()
    } else {
        format!(" (+{} -{})", file.lines_added, file.lines_removed)
    }
}
