//! The JSON view of a plan: the [`Plan`] serialised, pretty, with a final newline.
//! Stable: every list is sorted and fields come in a fixed order.

use super::types::Plan;

/// The plan as pretty JSON.
pub fn render(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(plan).unwrap_or_default();
    text.push('\n');
    text
}
