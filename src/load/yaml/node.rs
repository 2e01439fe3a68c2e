//! The span-keeping YAML tree: values, mapping entries, JSON pointers into them and
//! their JSON form.

use serde_json::{Map, Number, Value};

use crate::diagnostic::Span;

/// A YAML value with the span it was written at.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlNode {
    /// Where the value is written (for a collection: its first to last character).
    pub span: Span,
    /// The value.
    pub value: YamlValue,
}

/// The value of a [`YamlNode`].
#[derive(Clone, Debug, PartialEq)]
pub enum YamlValue {
    /// `null`, `~` or nothing.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float (including `.inf` and `.nan`).
    Float(f64),
    /// A string (every quoted scalar, and plain scalars that are nothing else).
    String(String),
    /// A sequence.
    Seq(Vec<YamlNode>),
    /// A mapping, in source order.
    Map(Vec<YamlEntry>),
}

/// One `key: value` pair of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub struct YamlEntry {
    /// The key's text.
    pub key: String,
    /// Where the key is written.
    pub key_span: Span,
    /// The value.
    pub value: YamlNode,
}

impl YamlNode {
    /// The value at a JSON pointer path (`/tasks/0/name`), if there is one.
    pub fn pointer(&self, pointer: &str) -> Option<&YamlNode> {
        let mut node = self;
        for token in pointer.split('/').skip(1) {
            let token = token.replace("~1", "/").replace("~0", "~");
            node = node.child(&token)?;
        }
        Some(node)
    }

    /// The entry of a mapping with `key`.
    pub fn entry(&self, key: &str) -> Option<&YamlEntry> {
        match &self.value {
            YamlValue::Map(entries) => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    fn child(&self, token: &str) -> Option<&YamlNode> {
        match &self.value {
            YamlValue::Map(entries) => entries.iter().find(|e| e.key == token).map(|e| &e.value),
            YamlValue::Seq(items) => items.get(token.parse::<usize>().ok()?),
            _ => None,
        }
    }

    /// The node as a JSON value, for schema validation and typed deserialisation.
    pub fn to_json(&self) -> Value {
        match &self.value {
            YamlValue::Null => Value::Null,
            YamlValue::Bool(b) => Value::Bool(*b),
            YamlValue::Int(i) => Value::Number((*i).into()),
            YamlValue::Float(f) => Number::from_f64(*f).map_or_else(|| Value::String(f.to_string()), Value::Number),
            YamlValue::String(s) => Value::String(s.clone()),
            YamlValue::Seq(items) => Value::Array(items.iter().map(YamlNode::to_json).collect()),
            YamlValue::Map(entries) => {
                let map: Map<String, Value> = entries.iter().map(|e| (e.key.clone(), e.value.to_json())).collect();
                Value::Object(map)
            }
        }
    }

    /// The node as a string, when it is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            YamlValue::String(s) => Some(s),
            _ => None,
        }
    }
}
