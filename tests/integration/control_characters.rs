//! Control characters from repository content never reach a terminal or a CI log raw
//! (reliability finding F19): ESC and BEL planted in a table name, a priority, a
//! description and a file name come out neutralised (`␛`, `␇`) from `check` (human and
//! github), `graph`, `access` and `sql lineage`, while JSON output keeps the value.

use std::fs;
use std::path::Path;

use crate::support::{example_copy, flowc_in, text};

/// The sequence planted: set the terminal's title, ring the bell, clear the screen.
const PLANTED: &str = "\u{1b}]0;OWNED\u{7}\u{1b}[2J";

/// Every byte of `bytes` that would control a terminal: C0 controls other than
/// newline and tab, DEL, and C1 controls (`U+0080`–`U+009F`, as UTF-8).
fn raw_controls(bytes: &[u8]) -> Vec<String> {
    let mut found = Vec::new();
    for (i, &byte) in bytes.iter().enumerate() {
        let c1 = byte == 0xC2 && bytes.get(i + 1).is_some_and(|next| (0x80..=0x9F).contains(next));
        if (byte < 0x20 && byte != b'\n' && byte != b'\t') || byte == 0x7F || c1 {
            found.push(format!("{byte:#04x} at byte {i}"));
        }
    }
    found
}

fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).expect("read");
    assert!(text.contains(from), "{} holds `{from}`", path.display());
    fs::write(path, text.replacen(from, to, 1)).expect("write");
}

/// Runs each command in `repo` and requires output free of raw control characters.
fn assert_neutralised(repo: &Path, commands: &[&[&str]], stdin: &[u8]) {
    for args in commands {
        let output = flowc_in(repo, args, stdin);
        for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
            let found = raw_controls(bytes);
            assert!(
                found.is_empty(),
                "flowc {args:?} wrote raw control characters to {stream} ({found:?}):\n{}",
                text(bytes).escape_debug()
            );
        }
        assert!(
            !output.stdout.is_empty() || !output.stderr.is_empty(),
            "flowc {args:?} printed nothing"
        );
    }
}

#[test]
fn a_table_name_with_escapes_is_shown_neutralised_in_every_command() {
    let repo = example_copy();
    let sql = repo.path().join("flows/users/dim_user.sql");
    edit(&sql, "FROM ods.usr_user u", &format!("FROM ods.`usr{PLANTED}` u"));
    let lineage_input = fs::read(&sql).expect("read sql");
    assert_neutralised(
        repo.path(),
        &[
            &["check", "."],
            &["check", ".", "--format", "github"],
            &["graph", "."],
            &["access", "."],
            &["sql", "lineage", "flows/users/dim_user.sql"],
            &["sql", "lineage", "-"],
        ],
        &lineage_input,
    );
    let human = text(&flowc_in(repo.path(), &["check", "."], b"").stderr);
    assert!(human.contains("usr␛]0;OWNED␇␛[2J"), "{human}");
    // JSON keeps the value: the name still holds the raw characters once parsed.
    let json = flowc_in(repo.path(), &["check", ".", "--format", "json"], b"");
    assert!(raw_controls(&json.stdout).is_empty());
    let parsed: serde_json::Value = serde_json::from_slice(&json.stdout).expect("check --format json is JSON");
    assert!(parsed.to_string().contains("\\u001b]0;owned\\u0007"), "{parsed}");
}

#[test]
fn a_priority_a_description_and_a_file_name_with_escapes_are_neutralised() {
    let repo = example_copy();
    let flow = repo.path().join("flows/payments/flow.yaml");
    edit(&flow, "priority: core", "priority: \"\\e]0;T\\a\\e[2Jx\"");
    let users = repo.path().join("flows/users/flow.yaml");
    edit(&users, "description: ", "description: \"\\e]0;T\\a\\e[2J\" ");
    let named = repo.path().join(format!("q{PLANTED}.sql"));
    fs::write(&named, "INSERT OVERWRITE TABLE dw.t SELECT a FROM ods.s;\n").expect("write sql");
    let named = named
        .file_name()
        .and_then(|n| n.to_str())
        .expect("UTF-8 name")
        .to_owned();
    assert_neutralised(
        repo.path(),
        &[
            &["check", "."],
            &["check", ".", "--format", "github"],
            &["graph", "."],
            &["access", "."],
            &["sql", "lineage", &named],
            &["sql", "lineage", "no-such-dir/\u{1b}[2J.sql"],
        ],
        b"",
    );
    // With the priority fixed, graph and access print their reports in full.
    edit(&flow, "priority: \"\\e]0;T\\a\\e[2Jx\"", "priority: core");
    assert_neutralised(repo.path(), &[&["check", "."], &["graph", "."], &["access", "."]], b"");
}
