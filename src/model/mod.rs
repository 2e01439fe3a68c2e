//! The typed, validated model of a pipeline repository.

mod ids;

pub use ids::{FlowId, TableName, TaskId};
