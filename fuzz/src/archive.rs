//! A whole repository in one fuzz input: a plain-text archive, so that the seeds are
//! real repositories (the example and the fixtures) that libFuzzer mutates as text.
//!
//! ```text
//! === flowc.yaml
//! project: demo
//! === flows/orders/flow.yaml
//! name: orders
//! ```
//!
//! A line starting with `=== ` names a file; the file holds every byte up to the next
//! such line (its last line break included). Bytes before the first header are
//! ignored; a later file of the same path replaces the earlier one. Contents are bytes
//! (invalid UTF-8 is the loader's to report); a path is read lossily.

use flowc::load::MemoryTree;

/// The line prefix that starts a file.
pub const HEADER: &[u8] = b"=== ";

/// The repository the bytes describe, and whether it has a file under `templates/`
/// (its own templates, which may legitimately fail to render).
pub fn repository(data: &[u8]) -> (MemoryTree, bool) {
    let mut tree = MemoryTree::new();
    let mut has_templates = false;
    for (path, contents) in files(data) {
        has_templates |= path.starts_with("templates/");
        tree = tree.with(&path, contents);
    }
    (tree, has_templates)
}

/// The files of an archive, in order.
pub fn files(data: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut starts: Vec<usize> = Vec::new();
    if data.starts_with(HEADER) {
        starts.push(0);
    }
    starts.extend(
        data.windows(HEADER.len() + 1)
            .enumerate()
            .filter(|(_, window)| window[0] == b'\n' && &window[1..] == HEADER)
            .map(|(at, _)| at + 1),
    );
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let end = starts.get(i + 1).copied().unwrap_or(data.len());
            let entry = &data[start + HEADER.len()..end];
            let (path, contents) = match entry.iter().position(|&b| b == b'\n') {
                Some(newline) => (&entry[..newline], &entry[newline + 1..]),
                None => (entry, &[][..]),
            };
            (String::from_utf8_lossy(path).into_owned(), contents.to_vec())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{HEADER, files};

    /// The archive of `files`: the inverse of [`files`] for contents that end with a
    /// line break (or are empty) and hold no header line.
    fn archive<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> Vec<u8> {
        let mut out = Vec::new();
        for (path, contents) in files {
            if !out.is_empty() && !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            out.extend_from_slice(HEADER);
            out.extend_from_slice(path.as_bytes());
            out.push(b'\n');
            out.extend_from_slice(contents);
        }
        out
    }

    #[test]
    fn files_round_trip_through_an_archive() {
        let written: [(&str, &[u8]); 3] = [
            ("flowc.yaml", b"project: demo\n"),
            ("flows/a/flow.yaml", b"name: a\n"),
            ("flows/a/x.sql", b""),
        ];
        let read = files(&archive(written));
        let read: Vec<(&str, &[u8])> = read.iter().map(|(p, c)| (p.as_str(), c.as_slice())).collect();
        assert_eq!(read, written);
    }

    #[test]
    fn bytes_before_the_first_header_are_ignored() {
        let read = files(b"junk\n=== a.sql\nselect 1\n");
        assert_eq!(read, vec![("a.sql".to_owned(), b"select 1\n".to_vec())]);
    }
}
