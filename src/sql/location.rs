//! sqlparser positions (1-based line and character column) → byte offsets.
//!
//! The tokenizer reads the sanitised text, which has the same byte offsets as the
//! original file (see [`super::placeholder`]); so an offset computed here from the
//! sanitised text is an offset in the original file.

use sqlparser::tokenizer::Location;

use crate::diagnostic::{FileId, Span};

/// Line starts of one text, to turn sqlparser [`Location`]s into byte offsets.
#[derive(Debug)]
pub(crate) struct LineIndex<'a> {
    text: &'a str,
    file: FileId,
    line_starts: Vec<u32>,
    /// For each line that is not pure ASCII, the byte offset (in the line) of each
    /// character, so that a column is found without scanning the line: minified SQL
    /// can be one very long line with thousands of tokens.
    char_offsets: Vec<Option<Vec<u32>>>,
}

impl<'a> LineIndex<'a> {
    /// Indexes `text`, the text the tokenizer read, belonging to `file`.
    pub(crate) fn new(file: FileId, text: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| (i + 1) as u32))
            .collect::<Vec<u32>>();
        let char_offsets = line_starts
            .iter()
            .enumerate()
            .map(|(i, &start)| {
                let end = line_starts.get(i + 1).map_or(text.len(), |&next| next as usize);
                let line = &text[start as usize..end];
                (!line.is_ascii()).then(|| line.char_indices().map(|(at, _)| at as u32).collect())
            })
            .collect();
        Self {
            text,
            file,
            line_starts,
            char_offsets,
        }
    }

    /// The file the offsets belong to.
    pub(crate) fn file(&self) -> FileId {
        self.file
    }

    /// Byte offset of a location; `None` for sqlparser's empty location (line 0).
    /// A column past the end of its line is clamped to the line's end.
    pub(crate) fn offset(&self, location: Location) -> Option<u32> {
        let line = usize::try_from(location.line).ok()?.checked_sub(1)?;
        let column = usize::try_from(location.column).ok()?.checked_sub(1)?;
        let start = *self.line_starts.get(line)? as usize;
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |&next| next as usize);
        let in_line = match self.char_offsets.get(line).and_then(Option::as_ref) {
            Some(offsets) => offsets.get(column).map_or(end - start, |&at| at as usize),
            None => column.min(end - start),
        };
        Some((start + in_line) as u32)
    }

    /// The byte span of a sqlparser span, when it has a location.
    pub(crate) fn span(&self, span: sqlparser::tokenizer::Span) -> Option<Span> {
        let start = self.offset(span.start)?;
        let end = self.offset(span.end).unwrap_or(start).max(start);
        Some(Span::new(self.file, start, end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_map_to_byte_offsets() {
        let index = LineIndex::new(FileId::from_index(0), "ab\nçd e\n");
        assert_eq!(index.offset(Location { line: 1, column: 1 }), Some(0));
        assert_eq!(index.offset(Location { line: 2, column: 2 }), Some(5));
        assert_eq!(index.offset(Location { line: 2, column: 4 }), Some(7));
        assert_eq!(index.offset(Location { line: 0, column: 0 }), None);
        assert_eq!(index.offset(Location { line: 9, column: 1 }), None);
    }
}
