//! The documents as written: serde mirrors of the JSON Schemas, read from a document
//! the schema has accepted.
//!
//! Each type has exactly the fields of its schema object, optional where the schema
//! makes them optional; defaults and spans are the builders' job ([`super::build`]).

pub(super) mod flow;
pub(super) mod project;

use serde::de::DeserializeOwned;

use crate::Error;
use crate::load::Document;

/// Reads a schema-valid document into its mirror; a mismatch is a bug in flowc.
pub(super) fn from_json<T: DeserializeOwned>(document: &Document) -> Result<T, Error> {
    serde_json::from_value(document.root.to_json())
        .map_err(|e| Error::Internal(format!("a schema-valid document does not fit the model: {e}")))
}
