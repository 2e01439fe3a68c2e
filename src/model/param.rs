//! Template parameter values, typed as written in YAML.

use std::fmt;

/// A parameter value: a string, a number or a boolean, as the YAML wrote it.
///
/// SQL sees its text; rendered DAG files keep its type (an Airflow `Param` of a
/// number stays a number).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ParamValue {
    /// A string.
    Text(String),
    /// A number, kept as its JSON text (`30`, `0.01`, `-2`, `1e3`).
    Number(String),
    /// `true` or `false`.
    Bool(bool),
}

impl ParamValue {
    /// The value from schema-valid JSON; anything that is not a number or boolean is text.
    pub fn from_json(value: &serde_json::Value) -> Self {
        match value {
            serde_json::Value::String(text) => Self::Text(text.clone()),
            serde_json::Value::Number(number) => Self::Number(number.to_string()),
            serde_json::Value::Bool(flag) => Self::Bool(*flag),
            other => Self::Text(other.to_string()),
        }
    }

    /// The value as JSON, typed.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Text(text) => serde_json::Value::String(text.clone()),
            Self::Number(number) => serde_json::from_str(number).unwrap_or_else(|_| number.clone().into()),
            Self::Bool(flag) => serde_json::Value::Bool(*flag),
        }
    }
}

impl fmt::Display for ParamValue {
    /// The text the value stands for in SQL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(text) | Self::Number(text) => f.write_str(text),
            Self::Bool(flag) => write!(f, "{flag}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_their_type_and_text() {
        let number = ParamValue::from_json(&serde_json::json!(0.01));
        assert_eq!(number, ParamValue::Number("0.01".into()));
        assert_eq!(number.to_string(), "0.01");
        assert_eq!(number.to_json(), serde_json::json!(0.01));
        assert_eq!(ParamValue::from_json(&serde_json::json!(true)).to_string(), "true");
        assert_eq!(
            ParamValue::from_json(&serde_json::json!("CNY")).to_json(),
            serde_json::json!("CNY")
        );
    }
}
