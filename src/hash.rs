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

/// SHA-256 of a sequence of byte strings, each preceded by its length, so no two
/// different sequences hash alike.
pub fn digest_parts<'a>(parts: impl IntoIterator<Item = &'a [u8]>) -> [u8; 32] {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update((part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    hasher.finalize().into()
}

/// SHA-256 of one file's bytes, hex.
pub fn hash_bytes(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// `sha256:<hex>` of a JSON value's compact text, streamed into the hash.
/// Deterministic: objects are sorted maps.
pub fn hash_json(value: &Value) -> Result<String, Error> {
    let mut hasher = HashWriter(Sha256::new());
    serde_json::to_writer(&mut hasher, value).map_err(|error| serialise_error("a JSON value", &error))?;
    Ok(format!("sha256:{}", hex(&hasher.0.finalize())))
}

/// Pretty JSON (two-space indent, sorted keys) with a final newline.
pub fn json_bytes(value: &Value) -> Result<Vec<u8>, Error> {
    let mut bytes = serde_json::to_vec_pretty(value).map_err(|error| serialise_error("a JSON value", &error))?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// A value as JSON. Every type flowc serialises has string keys and no failing
/// `Serialize`, so an error here is a bug in flowc, reported as one.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<Value, Error> {
    serde_json::to_value(value).map_err(|error| serialise_error(std::any::type_name::<T>(), &error))
}

/// Serialisation cannot fail for flowc's types (string keys, no failing `Serialize`,
/// writers into memory): when it does, it is a bug in flowc, said so.
fn serialise_error(what: &str, error: &serde_json::Error) -> Error {
    Error::Internal(format!("cannot serialise {what}: {error}"))
}

/// Feeds what serde_json writes into a hash.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Lowercase hex of some bytes.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
