//! Unified diffs of the rendered files of two compiles, cut to a line budget.

use std::collections::{BTreeMap, BTreeSet};

use similar::{ChangeTag, TextDiff};

use crate::plan::types::{FileDiff, Status};

/// The file every compile writes last, compared through the plan's lists instead.
pub(crate) const MANIFEST: &str = "manifest.json";

/// The folder of the OpenLineage events: each restates its task's SQL (diffed in its
/// own file, on one JSON line) and tables (the plan's lists), so its diff is noise.
const OPENLINEAGE: &str = "openlineage/";

/// How much of the rendered diffs a plan keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiffLimits {
    /// Lines of one file's unified diff.
    pub lines_per_file: usize,
    /// Lines of all unified diffs together; files past it are listed without a diff.
    pub total_lines: usize,
    /// Lines of context around each change.
    pub context: usize,
}

impl Default for DiffLimits {
    fn default() -> Self {
        Self {
            lines_per_file: 2_000,
            total_lines: 20_000,
            context: 3,
        }
    }
}

/// Every file that differs between `base` and `head` (`manifest.json` and the
/// OpenLineage events excepted), by path, with its unified diff cut to `limits`.
pub(crate) fn diff_files(
    base: &BTreeMap<String, Vec<u8>>,
    head: &BTreeMap<String, Vec<u8>>,
    limits: DiffLimits,
) -> Vec<FileDiff> {
    let paths: BTreeSet<&String> = base.keys().chain(head.keys()).collect();
    let mut budget = limits.total_lines;
    let mut diffs = Vec::new();
    for path in paths {
        if path == MANIFEST || path.starts_with(OPENLINEAGE) {
            continue;
        }
        let (before, after) = (base.get(path), head.get(path));
        let status = match (before, after) {
            (Some(a), Some(b)) if a == b || same_but_source_hash(a, b) => continue,
            (Some(_), Some(_)) => Status::Changed,
            (None, Some(_)) => Status::Added,
            (Some(_), None) => Status::Removed,
            (None, None) => continue,
        };
        let empty = Vec::new();
        let (before, after) = (before.unwrap_or(&empty), after.unwrap_or(&empty));
        diffs.push(diff_file(path, status, before, after, limits, &mut budget));
    }
    diffs
}

/// The header line every rendered DAG file starts with, naming its source's hash.
const SOURCE_HASH: &str = "# Source hash: ";

/// Whether two rendered files differ only in their `# Source hash:` header line: a
/// source change that renders nothing new in this file (a SQL edit shows in its own
/// SQL file, and in the plan's task changes) is noise in the file diffs.
fn same_but_source_hash(before: &[u8], after: &[u8]) -> bool {
    let (Ok(before), Ok(after)) = (std::str::from_utf8(before), std::str::from_utf8(after)) else {
        return false;
    };
    let body = |text: &str| {
        text.split_inclusive('\n')
            .filter(|line| !line.starts_with(SOURCE_HASH))
            .collect::<String>()
    };
    body(before) == body(after)
}

fn diff_file(
    path: &str,
    status: Status,
    before: &[u8],
    after: &[u8],
    limits: DiffLimits,
    budget: &mut usize,
) -> FileDiff {
    let (Ok(old), Ok(new)) = (std::str::from_utf8(before), std::str::from_utf8(after)) else {
        return FileDiff {
            path: path.to_owned(),
            status,
            lines_added: 0,
            lines_removed: 0,
            binary: true,
            diff: None,
            diff_lines: 0,
            cut_lines: 0,
        };
    };
    let diff = TextDiff::from_lines(old, new);
    let (mut added, mut removed) = (0, 0);
    for change in diff.iter_all_changes() {
        match change.tag() {
            ChangeTag::Insert => added += 1,
            ChangeTag::Delete => removed += 1,
            ChangeTag::Equal => {}
        }
    }
    let (from, to) = match status {
        Status::Added => ("/dev/null".to_owned(), format!("b/{path}")),
        Status::Removed => (format!("a/{path}"), "/dev/null".to_owned()),
        Status::Changed => (format!("a/{path}"), format!("b/{path}")),
    };
    let text = diff
        .unified_diff()
        .context_radius(limits.context)
        .header(&from, &to)
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    let keep = lines.len().min(limits.lines_per_file).min(*budget);
    *budget -= keep;
    FileDiff {
        path: path.to_owned(),
        status,
        lines_added: added,
        lines_removed: removed,
        binary: false,
        diff: (keep > 0).then(|| {
            let mut kept = lines[..keep].join("\n");
            kept.push('\n');
            kept
        }),
        diff_lines: lines.len(),
        cut_lines: lines.len() - keep,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::files;

    #[test]
    fn lists_added_removed_and_changed_files_but_not_the_manifest() {
        let base = files(&[("a.py", "x\ny\n"), ("gone.py", "g\n"), ("same", "s"), (MANIFEST, "1")]);
        let head = files(&[("a.py", "x\nz\n"), ("new.py", "n\n"), ("same", "s"), (MANIFEST, "2")]);
        let diffs = diff_files(&base, &head, DiffLimits::default());
        let summary: Vec<(&str, Status, usize, usize)> = diffs
            .iter()
            .map(|d| (d.path.as_str(), d.status, d.lines_added, d.lines_removed))
            .collect();
        assert_eq!(
            summary,
            vec![
                ("a.py", Status::Changed, 1, 1),
                ("gone.py", Status::Removed, 0, 1),
                ("new.py", Status::Added, 1, 0)
            ]
        );
        assert_eq!(
            diffs[0].diff.as_deref(),
            Some("--- a/a.py\n+++ b/a.py\n@@ -1,2 +1,2 @@\n x\n-y\n+z\n")
        );
        assert!(
            diffs[1]
                .diff
                .as_deref()
                .is_some_and(|d| d.starts_with("--- a/gone.py\n+++ /dev/null\n"))
        );
    }

    #[test]
    fn long_diffs_are_cut_per_file_and_in_total() {
        let long: String = (0..100).fold(String::new(), |mut text, i| {
            text.push_str("line ");
            text.push_str(&i.to_string());
            text.push('\n');
            text
        });
        let base = files(&[]);
        let head = files(&[("a", &long), ("b", &long), ("c", &long)]);
        let limits = DiffLimits {
            lines_per_file: 60,
            total_lines: 100,
            context: 3,
        };
        let diffs = diff_files(&base, &head, limits);
        let kept: Vec<(usize, usize)> = diffs.iter().map(|d| (d.diff_lines, d.cut_lines)).collect();
        // 3 header lines + 100 added lines each.
        assert_eq!(kept, vec![(103, 43), (103, 63), (103, 103)]);
        assert!(diffs[2].diff.is_none());
        assert_eq!(diffs[0].diff.as_deref().map(|d| d.lines().count()), Some(60));
    }

    #[test]
    fn a_file_whose_only_change_is_the_source_hash_is_not_listed() {
        let file =
            |hash: &str, body: &str| format!("# Generated by flowc\n# Source hash: sha256:{hash}\n{body}").into_bytes();
        let base = BTreeMap::from([
            ("dags/a.py".to_owned(), file("11", "x = 1\n")),
            ("dags/b.py".to_owned(), file("11", "x = 1\n")),
        ]);
        let head = BTreeMap::from([
            ("dags/a.py".to_owned(), file("22", "x = 1\n")),
            ("dags/b.py".to_owned(), file("22", "x = 2\n")),
        ]);
        let diffs = diff_files(&base, &head, DiffLimits::default());
        let paths: Vec<&str> = diffs.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, ["dags/b.py"]);
        assert!(
            diffs[0]
                .diff
                .as_deref()
                .unwrap_or_default()
                .contains("-# Source hash: sha256:11")
        );
    }

    #[test]
    fn binary_files_are_listed_without_a_diff() {
        let base: BTreeMap<String, Vec<u8>> = BTreeMap::from([("x.jar".to_owned(), vec![0xff, 0x00])]);
        let head: BTreeMap<String, Vec<u8>> = BTreeMap::from([("x.jar".to_owned(), vec![0xfe])]);
        let diffs = diff_files(&base, &head, DiffLimits::default());
        assert!(diffs[0].binary && diffs[0].diff.is_none());
    }
}
