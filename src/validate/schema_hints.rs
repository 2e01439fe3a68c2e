//! The words of schema diagnostics: how values and types are named, and the forms
//! suggested for a near miss (a duration with its unit, a name in the allowed form).

use jsonschema::error::TypeKind;
use serde_json::Value;

use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic};
use crate::words::{lowercase_first, snake_name};

/// A value that is none of the schema's `options` (an `enum`), with did-you-mean for
/// a near miss and the quoting a number or boolean needs; not yet located.
pub(super) fn not_one_of(options: &Value, instance: &Value, where_: &str) -> Diagnostic {
    let allowed: Vec<String> = options
        .as_array()
        .map(|values| {
            values
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let value = display_value(instance);
    let help = match instance {
        Value::Number(_) | Value::Bool(_) => {
            format!(
                "quote the value to make it a string; use one of {}",
                quote_list(&allowed)
            )
        }
        other => other
            .as_str()
            .and_then(|s| did_you_mean(s, allowed.iter().map(String::as_str)))
            .unwrap_or_else(|| format!("use one of {}", quote_list(&allowed))),
    };
    Diagnostic::error(Code::InvalidValue, format!("{value} is not a valid value for {where_}"))
        .with_label(format!("expected one of {}", quote_list(&allowed)))
        .with_help(help)
}

/// The help for a duration written as a bare number of seconds.
pub(super) fn duration_help(seconds: u64, description: Option<&str>) -> String {
    format!(
        "a duration takes its unit: write \"{}\" ({seconds} seconds); {}",
        duration_of(seconds),
        lowercase_first(description.unwrap_or_default())
    )
}

/// A number of seconds as flowc writes a duration: the largest unit that divides it.
pub(super) fn duration_of(seconds: u64) -> String {
    match seconds {
        0 => "0s".to_owned(),
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// For a name in the wrong form, e.g. `dwd.orders_clean`: the same name lower-cased
/// with every other character made `_` (`dwd_orders_clean`), when `schema` accepts it.
pub(super) fn fitting_name(instance: &Value, schema: Option<&Value>) -> Option<String> {
    let written = instance.as_str()?;
    let name = snake_name(written);
    let fits = jsonschema::validator_for(schema?)
        .ok()?
        .is_valid(&Value::String(name.clone()));
    (fits && name != written).then_some(name)
}

pub(super) fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "nothing (null)",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

pub(super) fn expected_type_name(kind: &TypeKind) -> String {
    let name = |t: &str| match t {
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "a boolean",
        "array" => "a list",
        "object" => "a mapping",
        "null" => "nothing",
        _ => "a value",
    };
    match kind {
        TypeKind::Single(t) => name(&t.to_string()).to_owned(),
        TypeKind::Multiple(set) => {
            let names: Vec<&str> = set.iter().map(|t| name(&t.to_string())).collect();
            names.join(" or ")
        }
    }
}

pub(super) fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => format!("`{s}`"),
        other => format!("`{other}`"),
    }
}

pub(super) fn quote_list(items: &[String]) -> String {
    items.iter().map(|i| format!("`{i}`")).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_their_largest_unit() {
        assert_eq!(duration_of(300), "5m");
        assert_eq!(duration_of(7200), "2h");
        assert_eq!(duration_of(86_400), "1d");
        assert_eq!(duration_of(61), "61s");
    }
}
