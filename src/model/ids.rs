//! Names that cross stage boundaries, as newtypes so they cannot be mixed up.

use std::fmt;
use std::sync::Arc;

/// A flow's name, e.g. `payments`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(String);

impl FlowId {
    /// Wraps a flow name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The flow name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FlowId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A task's repository-wide id, `flow.task`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId {
    flow: FlowId,
    task: String,
}

impl TaskId {
    /// The id of task `task` in flow `flow`.
    pub fn new(flow: FlowId, task: impl Into<String>) -> Self {
        Self {
            flow,
            task: task.into(),
        }
    }

    /// The flow the task belongs to.
    pub fn flow(&self) -> &FlowId {
        &self.flow
    }

    /// The task's name within its flow.
    pub fn task(&self) -> &str {
        &self.task
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.flow, self.task)
    }
}

/// A table's normalised name: lower-case, without quotes, qualified as written or by
/// the default database (`db.table`, or `catalog.db.table`). Shared, not copied: a
/// name is cloned into every column lineage edge, read and schema that mentions it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableName(Arc<str>);

impl TableName {
    /// Normalises a dotted name: trims, strips backticks and double quotes from each
    /// part, lower-cases it.
    pub fn new(name: &str) -> Self {
        let parts: Vec<String> = name
            .split('.')
            .map(|part| part.trim().trim_matches(|c| c == '`' || c == '"').to_lowercase())
            .collect();
        Self(parts.join(".").into())
    }

    /// Builds a name from already-unquoted parts.
    pub fn from_parts<'a>(parts: impl IntoIterator<Item = &'a str>) -> Self {
        let joined: Vec<String> = parts.into_iter().map(str::to_lowercase).collect();
        Self(joined.join(".").into())
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The database part, when the name is qualified.
    pub fn database(&self) -> Option<&str> {
        self.0.rsplit_once('.').map(|(db, _)| db)
    }

    /// The name with `database` put in front when it has no database of its own.
    #[must_use]
    pub fn qualified_with(&self, database: Option<&str>) -> Self {
        match database {
            Some(db) if !self.0.contains('.') => Self(format!("{}.{}", db.to_lowercase(), self.0).into()),
            _ => self.clone(),
        }
    }
}

/// Saved as its name (in the SQL analysis cache).
impl serde::Serialize for TableName {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Loaded as saved: the name was normalised when it was made.
impl<'de> serde::Deserialize<'de> for TableName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Ok(Self(Arc::from(name.as_ref())))
    }
}

impl fmt::Display for TableName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_case_and_quote_insensitive() {
        assert_eq!(TableName::new("`DWD`.`Orders`"), TableName::new("dwd.orders"));
        assert_eq!(TableName::new("dwd.orders").database(), Some("dwd"));
        assert_eq!(TableName::new("orders").database(), None);
    }

    #[test]
    fn qualification_keeps_an_explicit_database() {
        assert_eq!(TableName::new("t").qualified_with(Some("DWD")).as_str(), "dwd.t");
        assert_eq!(TableName::new("ods.t").qualified_with(Some("dwd")).as_str(), "ods.t");
        assert_eq!(TableName::new("t").qualified_with(None).as_str(), "t");
    }

    #[test]
    fn task_ids_print_as_flow_dot_task() {
        assert_eq!(TaskId::new(FlowId::new("pay"), "load").to_string(), "pay.load");
    }
}
