//! The JSON view of a plan: the [`Plan`] serialised, pretty, with a final newline.
//! Stable: every list is sorted and fields come in a fixed order.

use crate::Error;
use crate::plan::types::Plan;

/// The plan as pretty JSON.
///
/// A plan holds only strings, numbers, booleans and lists, so serialising cannot fail;
/// if it ever does, that is a bug, reported as [`Error::Internal`] rather than printed
/// as nothing.
pub fn render(plan: &Plan) -> Result<String, Error> {
    let mut text = serde_json::to_string_pretty(plan)
        .map_err(|e| Error::Internal(format!("the plan does not serialise to JSON: {e}")))?;
    text.push('\n');
    Ok(text)
}
