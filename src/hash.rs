//! Content hashes and JSON bytes: the one place flowc turns values into SHA-256 hex
//! and pretty JSON, so every hash in a manifest, a release record and a fingerprint
//! is computed the same way.

use std::fmt::Write as _;

use serde::Serialize;
use sha2::{Digest, Sha256};

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

/// `sha256:<hex>` of a value's compact JSON. Deterministic: serde_json writes struct
/// fields in declaration order and `json!` objects with sorted keys.
pub fn hash_json<T: Serialize + ?Sized>(value: &T) -> String {
    let bytes = serde_json::to_vec(value).unwrap_or_default();
    format!("sha256:{}", hash_bytes(&bytes))
}

/// Pretty JSON with a final newline.
pub fn json_bytes(value: &serde_json::Value) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Lowercase hex of some bytes.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
        let _ = write!(out, "{b:02x}");
        out
    })
}
