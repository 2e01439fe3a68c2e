//! A test's CSV file → rows, each value with its span in the file.

use crate::diagnostic::{Code, Diagnostic, FileId, Span};
use crate::model::{Cell, Spanned, TestRow, TestValue};

/// The rows of a CSV file (`text` is file `file`): a header row of column names, then
/// one line per row; an empty field is NULL. A problem is located in the file.
pub(super) fn rows(file: FileId, text: &str) -> Result<Vec<TestRow>, Box<Diagnostic>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    let problem = |offset: u64, message: String| {
        Box::new(
            Diagnostic::error(Code::TestCsv, message)
                .at(Span::new(file, offset as u32, offset as u32))
                .with_help(
                    "a test's CSV file holds a header row of column names, then one line per row with as many fields",
                ),
        )
    };
    let Some(header) = records.next() else {
        return Err(problem(
            0,
            "the CSV file is empty: it needs a header row of column names".to_owned(),
        ));
    };
    let header = header.map_err(|error| problem(0, format!("the header row is not CSV: {error}")))?;
    let header_offset = header.position().map_or(0, csv::Position::byte);
    let columns: Vec<Spanned<String>> = fields(&header, text, header_offset)
        .into_iter()
        .map(|(name, span)| Spanned {
            value: name.trim().to_lowercase(),
            span: Span::new(file, span.0, span.1),
        })
        .collect();
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|error| {
            let offset = error.position().map_or(0, csv::Position::byte);
            problem(offset, format!("not CSV: {error}"))
        })?;
        let offset = record.position().map_or(0, csv::Position::byte);
        if record.len() != columns.len() {
            return Err(problem(
                offset,
                format!("this line has {} fields, the header {}", record.len(), columns.len()),
            ));
        }
        let end = offset as usize + line_length(text, offset as usize);
        let values = columns
            .iter()
            .zip(fields(&record, text, offset))
            .map(|(column, (value, span))| TestValue {
                column: column.clone(),
                value: if value.is_empty() {
                    Cell::Null
                } else {
                    Cell::Text(value)
                },
                span: Span::new(file, span.0, span.1),
            })
            .collect();
        rows.push(TestRow {
            span: Span::new(file, offset as u32, end as u32),
            values,
        });
    }
    Ok(rows)
}

/// Each field's text and, when it can be found on the record's line, its byte range.
fn fields(record: &csv::StringRecord, text: &str, offset: u64) -> Vec<(String, (u32, u32))> {
    let start = offset as usize;
    let line = text.get(start..start + line_length(text, start)).unwrap_or("");
    let mut at = 0;
    record
        .iter()
        .map(|field| {
            let found = line[at..].find(field).map(|i| at + i);
            let begin = found.unwrap_or(at);
            let end = if found.is_some() { begin + field.len() } else { begin };
            at = end.min(line.len());
            (field.to_owned(), ((start + begin) as u32, (start + end) as u32))
        })
        .collect()
}

fn line_length(text: &str, start: usize) -> usize {
    text.get(start..)
        .map_or(0, |rest| rest.find(['\n', '\r']).unwrap_or(rest.len()))
}
