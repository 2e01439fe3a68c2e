//! `flowc schema`: print an embedded JSON Schema, for editors.

use super::{Outcome, Printer, SchemaArgs};
use crate::validate::SchemaKind;

/// Runs `flowc schema`.
pub(crate) fn run(args: &SchemaArgs, printer: &Printer) -> Outcome {
    let kind = match args.kind {
        super::SchemaName::Project => SchemaKind::Project,
        super::SchemaName::Flow => SchemaKind::Flow,
    };
    printer.out(kind.text());
    Outcome::Clean
}
