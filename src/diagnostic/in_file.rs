//! Spans as a cache saves them: without their file.
//!
//! A cached SQL analysis (`crate::sql::cache`) only holds spans in the one file it
//! analysed, and that file has another [`FileId`] in every run. So a [`Span`]'s file is
//! saved as nothing and loaded as the file being loaded: [`within`] names it for the
//! time of one save or load. Saving a span of another file fails (the analysis is
//! then not cached), and so does saving or loading a span outside [`within`].
//!
//! [`Span`]: super::Span

use std::cell::Cell;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::FileId;

thread_local! {
    static FILE: Cell<Option<FileId>> = const { Cell::new(None) };
}

/// Runs `f` (one save or load of spans) with `file` as the file of every span.
pub fn within<R>(file: FileId, f: impl FnOnce() -> R) -> R {
    let before = FILE.with(|current| current.replace(Some(file)));
    let result = f();
    FILE.with(|current| current.set(before));
    result
}

/// Saves a span's file: nothing, when it is the file of [`within`].
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's `with` passes the field by reference"
)]
pub(super) fn serialize<S: Serializer>(file: &FileId, serializer: S) -> Result<S::Ok, S::Error> {
    match FILE.with(Cell::get) {
        Some(current) if current == *file => ().serialize(serializer),
        _ => Err(serde::ser::Error::custom("a span outside the file being saved")),
    }
}

/// Loads a span's file: the file of [`within`].
pub(super) fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<FileId, D::Error> {
    <()>::deserialize(deserializer)?;
    FILE.with(Cell::get)
        .ok_or_else(|| serde::de::Error::custom("a span loaded outside `within`"))
}
