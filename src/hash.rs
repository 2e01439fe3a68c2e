//! Stage 0, hashes and JSON bytes: the one place flowc turns values into SHA-256 hex
//! and pretty JSON, so every hash in a manifest, a release record and a fingerprint
//! is computed the same way.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::Error;

/// SHA-256 of some files, by path and content, hex. Each path is followed by a NUL and
/// its content by its length, so no two different file sets hash alike.
pub fn hash_files<'a>(files: impl IntoIterator<Item = (&'a str, &'a Vec<u8>)>) -> String {
    let mut hasher = Sha256::new();
    for (path, bytes) in files {
        hasher.update(path.as_bytes());
        hasher.update([0]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hex(&hasher.finalize())
}

/// SHA-256 of one file's bytes, hex.
pub fn hash_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `sha256:<hex>` of a JSON value's compact text. Deterministic: objects are sorted
/// maps.
pub fn hash_json(value: &Value) -> String {
    // A `Value` always has a text form: its `Display` cannot fail.
    format!("sha256:{}", hash_bytes(value.to_string().as_bytes()))
}

/// Pretty JSON (two-space indent, sorted keys) with a final newline.
pub fn json_bytes(value: &Value) -> Vec<u8> {
    format!("{value:#}\n").into_bytes()
}

/// A value as JSON. Every type flowc serialises has string keys and no failing
/// `Serialize`, so an error here is a bug in flowc, reported as one.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    serde_json::to_value(value)
        .map_err(|error| Error::Internal(format!("cannot serialise {}: {error}", std::any::type_name::<T>())))
}

/// Lowercase hex of some bytes.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
