//! The file formats flowc validates, and their embedded JSON Schemas.

/// The file formats flowc validates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SchemaKind {
    /// `flowc.yaml`.
    Project,
    /// `flows/<flow>/flow.yaml`.
    Flow,
    /// `flows/<flow>/tests/*.yaml`.
    UnitTest,
}

impl SchemaKind {
    /// Every schema, for `flowc schema`.
    pub const ALL: [SchemaKind; 3] = [SchemaKind::Project, SchemaKind::Flow, SchemaKind::UnitTest];

    /// The schema's file name in `schemas/`.
    pub const fn file_name(self) -> &'static str {
        match self {
            SchemaKind::Project => "flowc.schema.json",
            SchemaKind::Flow => "flow.schema.json",
            SchemaKind::UnitTest => "test.schema.json",
        }
    }

    /// The schema's text, as embedded at build time.
    pub const fn text(self) -> &'static str {
        match self {
            SchemaKind::Project => include_str!("../../schemas/flowc.schema.json"),
            SchemaKind::Flow => include_str!("../../schemas/flow.schema.json"),
            SchemaKind::UnitTest => include_str!("../../schemas/test.schema.json"),
        }
    }

    /// How the file is named in messages.
    pub(super) const fn file_label(self) -> &'static str {
        match self {
            SchemaKind::Project => "flowc.yaml",
            SchemaKind::Flow => "flow.yaml",
            SchemaKind::UnitTest => "the test file",
        }
    }

    /// The short name used on the command line (`flowc schema project`).
    pub const fn name(self) -> &'static str {
        match self {
            SchemaKind::Project => "project",
            SchemaKind::Flow => "flow",
            SchemaKind::UnitTest => "test",
        }
    }
}
