//! `flowc schema`: print an embedded JSON Schema, for editors.

use clap::ValueEnum;

use super::{Outcome, Printer};
use crate::validate::SchemaKind;

/// Arguments of `flowc schema`.
#[derive(Debug, clap::Args)]
pub(crate) struct SchemaArgs {
    /// Which schema.
    #[arg(value_enum)]
    pub(crate) kind: SchemaName,
}

/// The schemas `flowc schema` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SchemaName {
    /// `flowc.yaml`.
    Project,
    /// `flows/<flow>/flow.yaml`.
    Flow,
    /// A unit test file, `flows/<flow>/tests/*.yaml`.
    Test,
    /// A rendered DataX job file (`datax/<flow>/<task>.json`).
    Datax,
}

/// Runs `flowc schema`.
pub(crate) fn run(args: &SchemaArgs, printer: &Printer) -> Outcome {
    let text = match args.kind {
        SchemaName::Project => SchemaKind::Project.text(),
        SchemaName::Flow => SchemaKind::Flow.text(),
        SchemaName::Test => SchemaKind::UnitTest.text(),
        SchemaName::Datax => crate::render::datax::SCHEMA,
    };
    printer.out(text);
    Outcome::Clean
}
