//! `schemas/datax.schema.json` against DataX's own documented job files: every doc example
//! in `tests/fixtures/datax/doc-examples/` passes, and mutations of them that DataX would
//! reject (or that are the known traps of its parameter formats) fail at the expected
//! JSON pointer.
//!
//! This file holds the helpers, the schema's own checks and the doc examples; the
//! mutations are in `mutations`, the hand-written jobs in `small_jobs`.

mod mutations;
mod small_jobs;

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use jsonschema::Validator;
use serde_json::{Value, json};

use crate::support::{flowc, repo_root, text};

const SCHEMA: &str = include_str!("../../schemas/datax.schema.json");

fn examples_dir() -> PathBuf {
    repo_root().join("tests/fixtures/datax/doc-examples")
}

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("schemas/datax.schema.json is valid JSON")
}

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&schema())
            .expect("schemas/datax.schema.json compiles")
    })
}

/// The entries of `MANIFEST.json`.
fn manifest() -> Vec<Value> {
    let text = fs::read_to_string(examples_dir().join("MANIFEST.json")).expect("MANIFEST.json is readable");
    let manifest: Value = serde_json::from_str(&text).expect("MANIFEST.json is valid JSON");
    manifest.as_array().expect("MANIFEST.json is an array").clone()
}

/// Removes `//` line comments that are outside JSON strings; the line break stays.
/// `//` inside a string (`"jdbc:mysql://host"`) is data and is kept.
fn strip_line_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    let mut escaped = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '/' && chars.peek() == Some(&'/') {
            while chars.next_if(|&next| next != '\n').is_some() {}
        } else {
            if c == '"' {
                in_string = true;
            }
            out.push(c);
        }
    }
    out
}

/// A doc example as JSON; `//` comments are stripped when MANIFEST.json says it is not
/// strict JSON.
fn example(file: &str) -> Value {
    let entry = manifest()
        .into_iter()
        .find(|entry| entry["file"] == file)
        .unwrap_or_else(|| panic!("{file} is listed in MANIFEST.json"));
    let text = fs::read_to_string(examples_dir().join(file)).expect("example is readable");
    let strict = entry["strict_json"].as_bool().expect("strict_json is a boolean");
    let text = if strict { text } else { strip_line_comments(&text) };
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} parses: {e}"))
}

/// A doc example changed by `change`.
fn mutated(file: &str, change: impl FnOnce(&mut Value)) -> Value {
    let mut job = example(file);
    change(&mut job);
    job
}

/// The value at `pointer`, which must exist.
fn at<'a>(job: &'a mut Value, pointer: &str) -> &'a mut Value {
    job.pointer_mut(pointer)
        .unwrap_or_else(|| panic!("{pointer} exists in the example"))
}

/// Removes key `key` from the object at `pointer`.
fn remove(job: &mut Value, pointer: &str, key: &str) {
    at(job, pointer)
        .as_object_mut()
        .expect("an object")
        .remove(key)
        .unwrap_or_else(|| panic!("{pointer} has {key}"));
}

/// Every violation, as `(instance pointer, message)`.
fn violations(job: &Value) -> Vec<(String, String)> {
    validator()
        .iter_errors(job)
        .map(|e| (e.instance_path().as_str().to_owned(), e.to_string()))
        .collect()
}

/// The job is rejected, and every violation is at `pointer`.
#[track_caller]
fn assert_rejected_at(job: &Value, pointer: &str) {
    let found = violations(job);
    assert!(!found.is_empty(), "expected a violation at {pointer}, the job passed");
    assert!(
        found.iter().all(|(path, _)| path == pointer),
        "expected every violation at {pointer}, got {found:#?}"
    );
}

#[track_caller]
fn assert_valid(job: &Value) {
    let found = violations(job);
    assert!(found.is_empty(), "expected the job to pass, got {found:#?}");
}

// ---------------------------------------------------------------------------------------
// The schema itself

#[test]
fn schema_is_valid_json_and_a_valid_draft_2020_12_schema() {
    let schema = schema();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(schema["$id"], "https://flowc.dev/schemas/datax.schema.json");
    assert!(schema["title"].is_string() && schema["description"].is_string());
    jsonschema::draft202012::meta::validate(&schema).expect("the schema follows the 2020-12 meta-schema");
    let _ = validator();
}

#[test]
fn flowc_schema_datax_prints_it() {
    let output = flowc(&["schema", "datax"], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), SCHEMA);
}

// ---------------------------------------------------------------------------------------
// The doc examples

#[test]
fn every_doc_example_in_the_manifest_passes() {
    let manifest = manifest();
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in &manifest {
        let file = entry["file"].as_str().expect("file is a string");
        let found = violations(&example(file));
        if !found.is_empty() {
            failures.push((file.to_owned(), found));
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "doc examples rejected: {failures:#?}");
    assert_eq!(checked, manifest.len());

    // The manifest lists every example in the folder, so none is skipped silently.
    let mut on_disk: Vec<String> = fs::read_dir(examples_dir())
        .expect("the examples folder is readable")
        .map(|entry| {
            entry
                .expect("a folder entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name != "MANIFEST.json" && name != "README.md")
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = manifest
        .iter()
        .map(|e| e["file"].as_str().expect("a file").to_owned())
        .collect();
    listed.sort();
    assert_eq!(listed, on_disk);
    // And an emptied manifest does not pass unnoticed.
    assert_eq!(checked, 10);
}

#[test]
fn the_manifest_says_which_examples_are_strict_json() {
    for entry in manifest() {
        let file = entry["file"].as_str().expect("file is a string");
        let text = fs::read_to_string(examples_dir().join(file)).expect("example is readable");
        let strict = entry["strict_json"].as_bool().expect("strict_json is a boolean");
        assert_eq!(serde_json::from_str::<Value>(&text).is_ok(), strict, "{file}");
    }
}

#[test]
fn comment_stripper_removes_line_comments_but_not_slashes_in_strings() {
    let text = concat!(
        "{\n",
        "  // a comment with \"quotes\" and a url http://x\n",
        "  \"jdbcUrl\": [\"jdbc:mysql://127.0.0.1:3306/db\"], // trailing\n",
        "  \"escaped\": \"a \\\" // still a string\",\n",
        "  \"slashes\": \"//\"\n",
        "}\n",
    );
    let stripped = strip_line_comments(text);
    assert!(!stripped.contains("a comment") && !stripped.contains("trailing"));
    let value: Value = serde_json::from_str(&stripped).expect("stripped text is JSON");
    assert_eq!(
        value,
        json!({
            "jdbcUrl": ["jdbc:mysql://127.0.0.1:3306/db"],
            "escaped": "a \" // still a string",
            "slashes": "//",
        })
    );
    // The line count is kept, so parse errors still point at the right line.
    assert_eq!(stripped.lines().count(), text.lines().count());
}

#[test]
fn oracle_example_keeps_its_jdbc_url_after_stripping() {
    let job = example("oraclereader_table_to_streamwriter.commented.json");
    assert_eq!(
        job.pointer("/job/content/0/reader/parameter/connection/0/jdbcUrl/0"),
        Some(&json!("jdbc:oracle:thin:@[HOST_NAME]:PORT:[DATABASE_NAME]"))
    );
    assert_eq!(job.pointer("/job/setting/speed/byte"), Some(&json!(1_048_576)));
}
