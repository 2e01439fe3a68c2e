//! `schemas/datax.schema.json` against DataX's own documented job files: every doc example
//! in `tests/fixtures/datax/doc-examples/` passes, and mutations of them that DataX would
//! reject (or that are the known traps of its parameter formats) fail at the expected
//! JSON pointer.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use jsonschema::Validator;
use serde_json::{Value, json};

const SCHEMA: &str = include_str!("../../schemas/datax.schema.json");

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/datax/doc-examples")
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

// ---------------------------------------------------------------------------------------
// Negative cases: each a mutation that must fail at the given pointer

#[test]
fn mysqlwriter_jdbc_url_must_be_a_string() {
    let pointer = "/job/content/0/writer/parameter/connection/0/jdbcUrl";
    let job = mutated("streamreader_to_mysqlwriter.json", |job| {
        let url = at(job, pointer).clone();
        *at(job, pointer) = json!([url]);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn mysqlreader_jdbc_url_must_be_an_array() {
    let pointer = "/job/content/0/reader/parameter/connection/0/jdbcUrl";
    let job = mutated("mysqlreader_table_to_streamwriter.json", |job| {
        let url = at(job, &format!("{pointer}/0")).clone();
        *at(job, pointer) = url;
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn reader_connection_table_must_be_an_array() {
    let pointer = "/job/content/0/reader/parameter/connection/0/table";
    let job = mutated("oceanbasev10reader_table_to_streamwriter.json", |job| {
        *at(job, pointer) = json!("table");
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn hbase11xreader_table_must_be_a_single_string() {
    let pointer = "/job/content/0/reader/parameter/table";
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        *at(job, pointer) = json!(["users"]);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn hbase_config_needs_the_zookeeper_quorum() {
    let pointer = "/job/content/0/reader/parameter/hbaseConfig";
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        remove(job, pointer, "hbase.zookeeper.quorum");
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn hbase_mode_is_normal_or_multi_version_fixed_column() {
    let pointer = "/job/content/0/reader/parameter/mode";
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        *at(job, pointer) = json!("multiVersionDynamicColumn");
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn hbase_multi_version_mode_needs_max_version() {
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        *at(job, "/job/content/0/reader/parameter/mode") = json!("multiVersionFixedColumn");
    });
    assert_rejected_at(&job, "/job/content/0/reader/parameter");
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        let parameter = at(job, "/job/content/0/reader/parameter");
        parameter["mode"] = json!("multiVersionFixedColumn");
        parameter["maxVersion"] = json!("-1");
    });
    assert_valid(&job);
}

#[test]
fn hdfswriter_needs_a_field_delimiter() {
    let pointer = "/job/content/0/writer/parameter";
    let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
        remove(job, pointer, "fieldDelimiter");
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn hdfswriter_write_mode_is_append_non_conflict_or_truncate_in_any_case() {
    let pointer = "/job/content/0/writer/parameter/writeMode";
    let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
        *at(job, pointer) = json!("overwrite");
    });
    assert_rejected_at(&job, pointer);
    for mode in ["append", "nonConflict", "NONCONFLICT", "Truncate"] {
        let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
            *at(job, pointer) = json!(mode);
        });
        assert_valid(&job);
    }
}

#[test]
fn hdfswriter_file_type_is_text_orc_or_parquet_and_compress_fits_it() {
    let file_type = "/job/content/0/writer/parameter/fileType";
    let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
        *at(job, file_type) = json!("csv");
    });
    assert_rejected_at(&job, file_type);
    // ORC takes NONE or SNAPPY, not gzip.
    let compress = "/job/content/0/writer/parameter/compress";
    let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
        *at(job, compress) = json!("gzip");
    });
    assert_rejected_at(&job, compress);
    let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
        *at(job, file_type) = json!("TEXT");
        *at(job, compress) = json!("gzip");
    });
    assert_valid(&job);
}

#[test]
fn error_limit_percentage_is_at_most_one() {
    let pointer = "/job/setting/errorLimit/percentage";
    let job = mutated("mysqlreader_table_to_streamwriter.json", |job| {
        *at(job, pointer) = json!(1.5);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn speed_channel_is_at_least_one() {
    let pointer = "/job/setting/speed/channel";
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        *at(job, pointer) = json!(0);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn misspelt_key_in_job_setting_is_rejected() {
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        let setting = at(job, "/job/setting").as_object_mut().expect("an object");
        let limit = setting.remove("errorLimit").expect("errorLimit is set");
        setting.insert("errorlimit".to_owned(), limit);
    });
    assert_rejected_at(&job, "/job/setting");
}

#[test]
fn channel_directly_under_job_setting_is_rejected() {
    // The oceanbasev10reader doc's querySql example does this; DataX then finds no speed.
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        let setting = at(job, "/job/setting").as_object_mut().expect("an object");
        setting.remove("speed");
        setting.insert("channel".to_owned(), json!(2));
    });
    assert_rejected_at(&job, "/job/setting");
}

#[test]
fn reader_plugin_cannot_be_the_writer() {
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        let reader = at(job, "/job/content/0/reader").clone();
        *at(job, "/job/content/0/writer") = reader;
    });
    assert_rejected_at(&job, "/job/content/0/writer/name");
}

#[test]
fn writer_plugin_cannot_be_the_reader() {
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        let writer = at(job, "/job/content/0/writer").clone();
        *at(job, "/job/content/0/reader") = writer;
    });
    assert_rejected_at(&job, "/job/content/0/reader/name");
}

#[test]
fn relational_reader_connection_needs_table_or_query_sql() {
    let pointer = "/job/content/0/reader/parameter/connection/0";
    let job = mutated("mysqlreader_querysql_to_streamwriter.json", |job| {
        remove(job, pointer, "querySql");
    });
    assert_rejected_at(&job, pointer);
    // Both at once is an error in DataX too (a column list keeps table mode's rule out).
    let job = mutated("mysqlreader_querysql_to_streamwriter.json", |job| {
        at(job, pointer)["table"] = json!(["db_info"]);
        at(job, "/job/content/0/reader/parameter")["column"] = json!(["db_id"]);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn relational_reader_in_table_mode_needs_columns() {
    let pointer = "/job/content/0/reader/parameter";
    let job = mutated("oraclereader_table_to_streamwriter.commented.json", |job| {
        remove(job, pointer, "column");
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn mysqlreader_has_no_fetch_size() {
    let pointer = "/job/content/0/reader/parameter";
    let job = mutated("mysqlreader_table_to_streamwriter.json", |job| {
        at(job, pointer)["fetchSize"] = json!(500);
    });
    assert_rejected_at(&job, pointer);
    // oraclereader has one.
    let job = mutated("oraclereader_table_to_streamwriter.commented.json", |job| {
        at(job, pointer)["fetchSize"] = json!(500);
    });
    assert_valid(&job);
}

#[test]
fn ftpreader_protocol_is_ftp_or_sftp() {
    let pointer = "/job/content/0/reader/parameter/protocol";
    let job = mutated("ftpreader_sftp_to_ftpwriter.json", |job| {
        *at(job, pointer) = json!("scp");
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn ftpreader_path_is_an_array() {
    let pointer = "/job/content/0/reader/parameter/path";
    let job = mutated("ftpreader_sftp_to_ftpwriter.json", |job| {
        let path = at(job, &format!("{pointer}/0")).clone();
        *at(job, pointer) = path;
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn file_reader_column_has_index_or_value_not_both() {
    let pointer = "/job/content/0/reader/parameter/column/2";
    let job = mutated("hdfsreader_orc_to_streamwriter.json", |job| {
        at(job, pointer)["index"] = json!(2);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn streamwriter_rejects_unknown_keys() {
    let pointer = "/job/content/0/writer/parameter";
    let job = mutated("hdfsreader_orc_to_streamwriter.json", |job| {
        let parameter = at(job, pointer).as_object_mut().expect("an object");
        let print = parameter.remove("print").expect("print is set");
        parameter.insert("prnt".to_owned(), print);
    });
    assert_rejected_at(&job, pointer);
}

#[test]
fn other_plugins_only_need_an_object_parameter() {
    // txtfilewriter is not described in detail: any object passes, anything else fails.
    let pointer = "/job/content/0/writer/parameter";
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        at(job, pointer)["anything"] = json!({"goes": true});
    });
    assert_valid(&job);
    let job = mutated("hbase11xreader_normal_to_txtfilewriter.json", |job| {
        *at(job, pointer) = json!("path");
    });
    assert_rejected_at(&job, pointer);
}

// ---------------------------------------------------------------------------------------
// Small jobs for what the doc examples do not cover

/// A job reading with `reader`'s parameters into a printing streamwriter.
fn job_reading(reader: &str, parameter: &Value) -> Value {
    json!({
        "job": {
            "setting": { "speed": { "channel": 2 } },
            "content": [{
                "reader": { "name": reader, "parameter": parameter },
                "writer": { "name": "streamwriter", "parameter": { "print": true } }
            }]
        }
    })
}

#[test]
fn hbase20xsqlreader_needs_table_and_split_key_unless_it_has_query_sql() {
    let table_mode = json!({
        "queryServerAddress": "http://phoenix-qs:8765",
        "serialization": "PROTOBUF",
        "schema": "ODS",
        "table": "ORDERS",
        "column": ["ID", "AMOUNT"],
        "splitKey": "ID",
        "splitPoint": [1000, 2000],
        "where": "DT = '${bizdate}'"
    });
    assert_valid(&job_reading("hbase20xsqlreader", &table_mode));
    let query_mode = json!({
        "queryServerAddress": "http://phoenix-qs:8765",
        "querySql": ["SELECT ID FROM ORDERS"]
    });
    assert_valid(&job_reading("hbase20xsqlreader", &query_mode));

    let mut no_split_key = table_mode.clone();
    no_split_key.as_object_mut().expect("an object").remove("splitKey");
    assert_rejected_at(
        &job_reading("hbase20xsqlreader", &no_split_key),
        "/job/content/0/reader/parameter",
    );
    let mut no_address = table_mode;
    no_address
        .as_object_mut()
        .expect("an object")
        .remove("queryServerAddress");
    assert_rejected_at(
        &job_reading("hbase20xsqlreader", &no_address),
        "/job/content/0/reader/parameter",
    );
}

#[test]
fn flowc_placeholders_pass_as_plain_strings() {
    let job = job_reading(
        "oraclereader",
        &json!({
            "username": "${env:CORE_ORACLE_USER}",
            "password": "${env:CORE_ORACLE_PASSWORD}",
            "column": ["ID", "AMOUNT"],
            "where": "GMT_CREATE >= TO_DATE('${bizdate}', 'YYYYMMDD')",
            "connection": [{ "table": ["ORDERS"], "jdbcUrl": ["jdbc:oracle:thin:@db:1521:CORE"] }]
        }),
    );
    assert_valid(&job);
    let job = mutated("txtfilereader_to_hdfswriter_orc.json", |job| {
        *at(job, "/job/content/0/writer/parameter/path") = json!("/user/hive/warehouse/ods.db/orders/dt=${bizdate}");
    });
    assert_valid(&job);
}

#[test]
fn byte_speed_with_per_channel_limit_in_core() {
    let mut job = example("oraclereader_table_to_streamwriter.commented.json");
    job["core"] = json!({ "transport": { "channel": { "speed": { "byte": 1_048_576 } } } });
    assert_valid(&job);
    job["core"]["transport"]["channel"]["speed"]["byte"] = json!("1M");
    assert_rejected_at(&job, "/core/transport/channel/speed/byte");
}

#[test]
fn job_needs_speed_settings() {
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        *at(job, "/job/setting/speed") = json!({});
    });
    assert_rejected_at(&job, "/job/setting/speed");
}

#[test]
fn mysqlwriter_write_mode_is_insert_replace_or_update() {
    let pointer = "/job/content/0/writer/parameter/writeMode";
    for mode in ["ignore", "update (id)", "upsert"] {
        let job = mutated("streamreader_to_mysqlwriter.json", |job| {
            *at(job, pointer) = json!(mode);
        });
        assert_rejected_at(&job, pointer);
    }
    for mode in ["replace", "update", "INSERT"] {
        let job = mutated("streamreader_to_mysqlwriter.json", |job| {
            *at(job, pointer) = json!(mode);
        });
        assert_valid(&job);
    }
}

#[test]
fn kerberos_needs_keytab_and_principal() {
    let pointer = "/job/content/0/reader/parameter";
    let job = mutated("hdfsreader_orc_to_streamwriter.json", |job| {
        at(job, pointer)["haveKerberos"] = json!(true);
    });
    assert_rejected_at(&job, pointer);
    let job = mutated("hdfsreader_orc_to_streamwriter.json", |job| {
        let parameter = at(job, pointer);
        parameter["haveKerberos"] = json!(true);
        parameter["kerberosKeytabFilePath"] = json!("/etc/security/keytabs/datax.keytab");
        parameter["kerberosPrincipal"] = json!("datax@EXAMPLE.COM");
    });
    assert_valid(&job);
}

#[test]
fn streamreader_spells_boolean_bool() {
    // ftpreader and hdfsreader say `boolean`; streamreader only knows `bool`.
    let pointer = "/job/content/0/reader/parameter/column/3/type";
    let job = mutated("core_job_streamreader_to_streamwriter.json", |job| {
        *at(job, pointer) = json!("boolean");
    });
    assert_rejected_at(&job, pointer);
}
