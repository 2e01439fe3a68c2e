//! Source files and positions.
//!
//! Every file flowc reads is registered once in a [`SourceMap`] and referred to by a
//! [`FileId`]. A [`Span`] is a byte range in one file; line and column (1-based, the
//! column counted in characters) are computed from it only when a diagnostic is shown.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// Index of a file in a [`SourceMap`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(u32);

impl FileId {
    /// The id of the `index`-th file of a source map.
    pub const fn from_index(index: u32) -> Self {
        Self(index)
    }

    /// The position of the file in its source map.
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

/// A byte range `start..end` in one source file. Saved and loaded only within one
/// file ([`super::in_file`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    /// The file the range is in.
    #[serde(with = "super::in_file")]
    pub file: FileId,
    /// Byte offset of the first byte.
    pub start: u32,
    /// Byte offset one past the last byte (equal to `start` for a point).
    pub end: u32,
}

impl Span {
    /// A span over `start..end` in `file`.
    pub const fn new(file: FileId, start: u32, end: u32) -> Self {
        Self { file, start, end }
    }

    /// A span covering the whole of a file's first line, or its start when empty.
    pub const fn file_start(file: FileId) -> Self {
        Self { file, start: 0, end: 0 }
    }

    /// The byte range as `usize` bounds.
    pub const fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

/// A 1-based line and column (the column counts characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    /// 1-based line number.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
}

impl fmt::Display for LineCol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One file's path (as shown to users) and text.
#[derive(Debug)]
pub struct SourceFile {
    path: String,
    text: Arc<str>,
    line_starts: Vec<u32>,
    /// The text with every masked secret's bytes replaced by `*`, once one is masked.
    shown: Option<String>,
}

impl SourceFile {
    fn new(path: String, text: Arc<str>) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| (i + 1) as u32))
            .collect();
        Self {
            path,
            text,
            line_starts,
            shown: None,
        }
    }

    /// The path shown in diagnostics: relative to the repository, with `/` separators.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The file's full text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text shown in source excerpts: the file's text with the bytes of every
    /// masked secret replaced by `*`, so spans into the text stay valid.
    pub fn shown_text(&self) -> &str {
        self.shown.as_deref().unwrap_or(&self.text)
    }

    /// Replaces each character of `range` but line breaks by as many `*` as its UTF-8
    /// bytes in the shown text; the range is widened to character boundaries.
    fn mask(&mut self, range: std::ops::Range<usize>) {
        let start = self.floor_char_boundary(range.start);
        let mut end = range.end.min(self.text.len());
        while !self.text.is_char_boundary(end) {
            end += 1;
        }
        if start >= end {
            return;
        }
        // Line breaks stay, so every line is where it was.
        let masked: String = self.text[start..end]
            .chars()
            .map(|c| match c {
                '\n' | '\r' => c.to_string(),
                _ => "*".repeat(c.len_utf8()),
            })
            .collect();
        self.shown
            .get_or_insert_with(|| self.text.to_string())
            .replace_range(start..end, &masked);
    }

    /// The file's text as a shared string.
    pub fn shared_text(&self) -> Arc<str> {
        Arc::clone(&self.text)
    }

    /// Line and column of a byte offset (clamped to the file, snapped to a char boundary).
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = self.floor_char_boundary(offset as usize);
        let line_index = match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = self.line_starts[line_index] as usize;
        let column = self.text[line_start..offset].chars().count() + 1;
        LineCol {
            line: line_index as u32 + 1,
            column: column as u32,
        }
    }

    /// Byte offset of a 1-based line and character column, if it lies in the file.
    pub fn offset_of(&self, position: LineCol) -> Option<u32> {
        let line_start = *self.line_starts.get(position.line.checked_sub(1)? as usize)? as usize;
        let line_end = self.text[line_start..]
            .find('\n')
            .map_or(self.text.len(), |i| line_start + i);
        let line = &self.text[line_start..line_end];
        let wanted = position.column.checked_sub(1)? as usize;
        let in_line = line
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(line.len()))
            .nth(wanted)?;
        Some((line_start + in_line) as u32)
    }

    /// The whole lines that byte ranges of this file touch, for showing them.
    ///
    /// A renderer handed the whole file splits all of it into lines for each
    /// diagnostic, which makes many diagnostics in one big file quadratic; the
    /// excerpt is bounded by the lines from the first range's to the last's. Lines
    /// are counted as `annotate-snippets` counts them (a range starting after the
    /// final line break belongs to the last line), so showing the excerpt from
    /// [`Excerpt::first_line`] with the ranges shifted by [`Excerpt::offset`] reads
    /// the same as showing the whole file.
    pub fn excerpt(&self, ranges: impl IntoIterator<Item = std::ops::Range<usize>>) -> Excerpt<'_> {
        let mut touched: Option<(usize, usize)> = None;
        for range in ranges {
            let first = self.shown_line(range.start);
            let last = self.shown_line(range.end.max(range.start));
            touched = Some(touched.map_or((first, last), |(lo, hi)| (lo.min(first), hi.max(last))));
        }
        let (first, last) = touched.unwrap_or((0, 0));
        let start = self.line_starts[first] as usize;
        let end = self
            .line_starts
            .get(last + 1)
            .map_or(self.text.len(), |&next| next as usize);
        Excerpt {
            text: &self.shown_text()[start..end],
            offset: start,
            first_line: first + 1,
        }
    }

    /// The 0-based index of the line a renderer shows for a byte offset: the line
    /// holding it, or the last line for an offset at or past the end of the file.
    fn shown_line(&self, offset: usize) -> usize {
        let holding = self
            .line_starts
            .partition_point(|&start| start as usize <= offset)
            .saturating_sub(1);
        // A final line break starts no line of its own for the renderer.
        let last = if self.text.ends_with('\n') {
            self.line_starts.len().saturating_sub(2)
        } else {
            self.line_starts.len() - 1
        };
        holding.min(last)
    }

    fn floor_char_boundary(&self, offset: usize) -> usize {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        offset
    }
}

/// The shortest secret also masked where it is written again elsewhere.
pub(super) const MIN_MASKED_ELSEWHERE: usize = 4;

/// Whole lines of one file, cut out for showing a diagnostic: see [`SourceFile::excerpt`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Excerpt<'a> {
    /// The lines, each with its line break (the last one without, at the end of the file).
    pub text: &'a str,
    /// Byte offset of the excerpt in its file: subtract it from a span to place it here.
    pub offset: usize,
    /// 1-based number of the excerpt's first line in its file.
    pub first_line: usize,
}

impl Excerpt<'_> {
    /// A byte range of the file as a range of the excerpt.
    pub fn shift(&self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        range.start.saturating_sub(self.offset)..range.end.saturating_sub(self.offset)
    }
}

/// All files read in one run, addressed by [`FileId`].
#[derive(Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// An empty source map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a file and returns its id.
    pub fn add(&mut self, path: impl Into<String>, text: impl Into<Arc<str>>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::new(path.into(), text.into()));
        id
    }

    /// The file behind an id.
    ///
    /// # Panics
    /// Only when the id came from another source map, which is a bug in flowc.
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id.index()]
    }

    /// Line and column where a span starts.
    pub fn line_col(&self, span: Span) -> LineCol {
        self.file(span.file).line_col(span.start)
    }

    /// Masks a secret in the text shown in source excerpts: the bytes of `span`, and
    /// every other place in any file where the same text is written (unless it is too
    /// short to be told from ordinary text). Returns the secret's text, for
    /// [`crate::diagnostic::Diagnostics::redact`].
    pub fn mask_secret(&mut self, span: Span) -> String {
        let Some(file) = self.files.get_mut(span.file.index()) else {
            return String::new();
        };
        let secret = file.text.get(span.range()).unwrap_or_default().to_owned();
        file.mask(span.range());
        if secret.trim().chars().count() >= MIN_MASKED_ELSEWHERE {
            for file in &mut self.files {
                let places: Vec<usize> = file.text.match_indices(secret.as_str()).map(|(i, _)| i).collect();
                for start in places {
                    file.mask(start..start + secret.len());
                }
            }
        }
        secret
    }

    /// The id of the file registered under `path` first, if any.
    pub fn find(&self, path: &str) -> Option<FileId> {
        self.files.iter().position(|f| f.path == path).map(|i| FileId(i as u32))
    }

    /// Every file, in registration order.
    pub fn iter(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    /// Number of files registered.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is registered.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let mut map = SourceMap::new();
        let id = map.add("a.sql", "select 1;\n  héllo wörld\n");
        let file = map.file(id);
        assert_eq!(file.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(file.line_col(10), LineCol { line: 2, column: 1 });
        // "  héllo " is 9 bytes but 8 characters: `w` is the 9th character.
        let w = file.text().find('w').unwrap() as u32;
        assert_eq!(file.line_col(w), LineCol { line: 2, column: 9 });
    }

    #[test]
    fn offset_of_inverts_line_col() {
        let mut map = SourceMap::new();
        let id = map.add("a.sql", "ab\nçd\n");
        let file = map.file(id);
        for offset in [0, 1, 3, 5, 6] {
            let position = file.line_col(offset);
            assert_eq!(file.offset_of(position), Some(offset));
        }
        assert_eq!(file.offset_of(LineCol { line: 9, column: 1 }), None);
    }

    #[test]
    fn a_masked_secret_keeps_every_offset_and_is_masked_everywhere() {
        let mut map = SourceMap::new();
        let yaml = map.add("a.yaml", "password: hünter2\n");
        let sql = map.add("b.sql", "-- hünter2 again\n");
        let start = map.file(yaml).text().find('h').unwrap() as u32;
        let end = map.file(yaml).text().len() as u32 - 1;
        assert_eq!(map.mask_secret(Span::new(yaml, start, end)), "hünter2");
        assert_eq!(map.file(yaml).shown_text(), "password: ********\n");
        assert_eq!(map.file(sql).shown_text(), "-- ******** again\n");
        assert_eq!(map.file(yaml).text(), "password: hünter2\n");
        let key = map.add("c.sql", "-- a\n-- b\n");
        map.mask_secret(Span::new(key, 0, 9));
        assert_eq!(map.file(key).shown_text(), "****\n****\n");
    }

    #[test]
    fn offsets_past_the_end_are_clamped() {
        let mut map = SourceMap::new();
        let id = map.add("a.sql", "ab");
        assert_eq!(map.file(id).line_col(99), LineCol { line: 1, column: 3 });
    }
}
