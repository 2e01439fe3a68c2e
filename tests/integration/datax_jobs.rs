//! The DataX jobs of the example, end to end: every sync task compiles into a job file
//! that passes the DataX job schema and holds no secret; the sync tasks are wired to
//! the SQL tasks that read their targets; real Airflow 2.10 and 3.x render the
//! credentials of Airflow connections into the task's environment; the launcher turns
//! such an environment into a runnable job. Plus the failures: a literal password and
//! a template override that breaks a job both fail the compile and write nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::airflow_harness::{AirflowVersion, inspect_with, test_login, test_password};
use crate::support::{example, example_copy, flowc_in, repo_root, text, tree};

/// Compiles the example's prod environment into `out` (for `version`, else the
/// project's).
fn compile_example(out: &Path, version: Option<AirflowVersion>) {
    let out = out.display().to_string();
    let mut args = vec!["compile", ".", "--env", "prod", "--out", &out];
    if let Some(version) = version {
        args.extend(["--airflow-version", version.cli_arg()]);
    }
    let output = flowc_in(&example(), &args, b"");
    assert!(output.status.success(), "compile failed: {}", text(&output.stderr));
}

/// The example compiled for prod, once per test process.
fn compiled() -> &'static Path {
    static OUT: OnceLock<tempfile::TempDir> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = tempfile::tempdir().expect("temp dir");
        compile_example(out.path(), None);
        out
    })
    .path()
}

fn manifest() -> Value {
    let bytes = fs::read(compiled().join("prod/manifest.json")).expect("manifest");
    serde_json::from_slice(&bytes).expect("manifest is JSON")
}

/// Every sync task of the manifest: its name → its manifest entry.
fn sync_tasks() -> BTreeMap<String, Value> {
    manifest()["flows"]
        .as_array()
        .expect("flows")
        .iter()
        .flat_map(|flow| flow["tasks"].as_array().expect("tasks").clone())
        .filter(|task| task["type"] == "sync")
        .map(|task| (task["name"].as_str().expect("name").to_owned(), task))
        .collect()
}

fn schema() -> jsonschema::Validator {
    let text = fs::read_to_string(repo_root().join("schemas/datax.schema.json")).expect("schema");
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::draft202012::new(&schema).expect("schema compiles")
}

/// Every `username`/`password` value of a job, with its key.
fn credentials(value: &Value, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                if (key == "username" || key == "password")
                    && let Some(text) = item.as_str()
                {
                    found.push((key.clone(), text.to_owned()));
                }
                credentials(item, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| credentials(item, found)),
        _ => {}
    }
}

#[test]
fn every_sync_task_of_the_example_has_a_job_that_passes_the_schema_and_holds_no_secret() {
    let validator = schema();
    let tasks = sync_tasks();
    assert_eq!(tasks.len(), 11, "the example's sync tasks: {:?}", tasks.keys());
    let mut readers = BTreeSet::new();
    let mut writers = BTreeSet::new();
    for (name, task) in &tasks {
        let path = compiled()
            .join("prod")
            .join(task["datax_job"].as_str().expect("datax_job"));
        let job: Value = serde_json::from_slice(&fs::read(&path).expect("the job file exists")).expect("JSON");
        let errors: Vec<String> = validator.iter_errors(&job).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{name}: {errors:?}");
        let content = &job["job"]["content"][0];
        readers.insert(content["reader"]["name"].as_str().expect("reader").to_owned());
        writers.insert(content["writer"]["name"].as_str().expect("writer").to_owned());
        // Throttling: the job's channels are the manifest's (capped by the level), and
        // the per-channel byte limit DataX divides by is positive.
        assert_eq!(
            job["job"]["setting"]["speed"]["channel"], task["datax_channels"],
            "{name}"
        );
        assert!(
            job["core"]["transport"]["channel"]["speed"]["byte"].as_u64() > Some(0),
            "{name}"
        );
        let mut found = Vec::new();
        credentials(&job, &mut found);
        let variables: BTreeSet<String> = task["credential_variables"]
            .as_array()
            .expect("credential_variables")
            .iter()
            .map(|v| v.as_str().expect("variable").to_owned())
            .collect();
        for (key, value) in found {
            if key == "password" || value.starts_with("${env:") {
                let variable = value
                    .strip_prefix("${env:")
                    .and_then(|v| v.strip_suffix('}'))
                    .unwrap_or_else(|| panic!("{name}: {key} is not a placeholder: {value}"));
                assert!(variables.contains(variable), "{name}: {variable} not in {variables:?}");
            } else {
                // A user name written in flowc.yaml: not a secret, and nothing else.
                assert!(
                    ["dw_reader", "dw_reader@acct_tenant", "wingpay_settle"].contains(&value.as_str()),
                    "{name}: {value}"
                );
            }
        }
    }
    let expected_readers = [
        "ftpreader",
        "hbase11xreader",
        "hdfsreader",
        "mysqlreader",
        "oceanbasev10reader",
        "oraclereader",
    ];
    assert_eq!(readers, expected_readers.iter().map(|s| (*s).to_owned()).collect());
    assert_eq!(
        writers,
        ["hdfswriter", "mysqlwriter"].iter().map(|s| (*s).to_owned()).collect()
    );
}

#[test]
fn no_rendered_file_holds_a_password_of_the_test_connections() {
    // The example's credentials come from Airflow connections and worker variables:
    // every rendered file holds names and placeholders only.
    let files = tree(&compiled().join("prod"));
    assert!(files.len() > 40, "{} files", files.len());
    for (file, bytes) in files {
        let content = text(&bytes);
        for needle in ["secret-", "password=", "PRIVATE KEY"] {
            assert!(!content.contains(needle), "prod/{file} contains {needle}");
        }
    }
}

#[test]
fn sync_tasks_are_wired_to_the_tasks_that_read_their_targets() {
    let output = flowc_in(&example(), &["graph", ".", "--format", "json"], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let graph: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let tasks = graph["tasks"].as_object().expect("tasks");
    let edges: BTreeSet<(String, String)> = graph["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| {
            (
                e["from"].as_str().expect("from").to_owned(),
                e["to"].as_str().expect("to").to_owned(),
            )
        })
        .collect();
    let mut wired = 0;
    for (sync, io) in tasks.iter().filter(|(_, io)| io["type"] == "sync") {
        for written in io["writes"].as_array().expect("writes") {
            for (reader, reader_io) in tasks {
                if reader_io["reads"].as_array().expect("reads").contains(written) {
                    assert!(edges.contains(&(sync.clone(), reader.clone())), "{sync} → {reader}");
                    wired += 1;
                }
            }
        }
        let reads =
            io["external_reads"].as_array().expect("external").len() + io["reads"].as_array().expect("reads").len();
        assert!(reads > 0, "{sync} reads nothing");
    }
    // Every ods table read downstream (see examples/wingpay/README.md): 11 edges.
    assert_eq!(wired, 11, "sync → reader edges");
    // The export reads a warehouse table: it runs after that table's writer.
    assert!(edges.contains(&(
        "reporting.ads_pay_gmv_1d".to_owned(),
        "reporting.export_gmv_to_mysql".to_owned()
    )));
    assert_eq!(
        tasks["reporting.export_gmv_to_mysql"]["external_writes"],
        serde_json::json!(["report_mysql.report.t_pay_gmv_latest"])
    );
    assert_eq!(
        tasks["ods_ingest.sync_refund_order"]["external_reads"],
        serde_json::json!(["core_oracle.paycore.t_refund", "core_oracle.paycore.t_refund_status"])
    );
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn airflow_renders_connection_credentials_into_the_sync_task_env() {
    let tasks = sync_tasks();
    for version in AirflowVersion::ALL {
        let out = tempfile::tempdir().expect("temp dir");
        compile_example(out.path(), Some(version));
        let dags = out.path().join("prod/dags");
        // The example's triggered flow needs its business date, as when triggered.
        let airflow = inspect_with(
            version,
            &dags,
            Some(&out.path().join("prod/pools.json")),
            &["--conf".as_ref(), r#"{"bizdate": "2024-03-05"}"#.as_ref()],
        );
        assert_eq!(airflow["problems"], serde_json::json!([]), "{version:?}");
        let mut checked = 0;
        for name in tasks.keys() {
            let (flow, task) = name.split_once('.').expect("flow.task");
            let rendered = &airflow["dags"][flow]["tasks"][task]["rendered"];
            let command = rendered["bash_command"].as_str().expect("bash_command rendered");
            assert!(
                command.contains(&format!("/datax/{flow}/{task}.json\" -- python ")),
                "{command}"
            );
            assert!(
                command.contains("-Dbizdate=2024-03-05 -Dbizdate_nodash=20240305"),
                "{command}"
            );
            let env = &rendered["env"];
            let conn_id = match name.as_str() {
                "ods_ingest.sync_account" | "ods_ingest.sync_ledger_entry" => Some("acct_oceanbase_ro"),
                "ods_ingest.sync_merchant" | "ods_ingest.sync_store" => Some("merchant_mysql_ro"),
                "ods_ingest.sync_bank_settlement" => Some("bank_sftp"),
                "reporting.export_gmv_to_mysql" => Some("report_mysql_rw"),
                _ => None,
            };
            let Some(conn_id) = conn_id else {
                // Worker environment variables (password_env) or no credentials at all.
                assert!(env.is_null() || env == &serde_json::json!({}), "{name}: {env}");
                continue;
            };
            let password = env
                .as_object()
                .expect("env rendered")
                .iter()
                .find(|(k, _)| k.ends_with("_PASSWORD"))
                .map(|(_, v)| v.as_str().expect("text").to_owned());
            assert_eq!(password, Some(test_password(conn_id)), "{version:?} {name}");
            if let Some(login) = env
                .as_object()
                .expect("env")
                .iter()
                .find(|(k, _)| k.ends_with("_LOGIN"))
            {
                assert_eq!(login.1, &Value::String(test_login(conn_id)), "{name}");
            }
            checked += 1;
        }
        assert_eq!(
            checked, 6,
            "{version:?}: sync tasks with Airflow-connection credentials"
        );
    }
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn the_launcher_runs_an_example_job_with_the_credentials_of_its_env() {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("seen.json");
    let fake_datax = dir.path().join("datax.py");
    fs::write(
        &fake_datax,
        "import shutil, sys\nshutil.copy(sys.argv[-1], sys.argv[1])\n",
    )
    .expect("write fake datax");
    let job = compiled().join("prod/datax/reporting/export_gmv_to_mysql.json");
    let output = Command::new("python3")
        .arg(compiled().join("prod/datax/flowc_datax.py"))
        .arg(&job)
        .arg("--")
        .arg("python3")
        .arg(&fake_datax)
        .arg(&copy)
        .env("FLOWC_REPORT_MYSQL_LOGIN", "report_writer")
        .env("FLOWC_REPORT_MYSQL_PASSWORD", "p\"a$s'w\\ord")
        .output()
        .expect("python3 runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let seen: Value = serde_json::from_slice(&fs::read(&copy).expect("the command saw a job")).expect("JSON");
    let writer = &seen["job"]["content"][0]["writer"]["parameter"];
    assert_eq!(writer["username"], "report_writer");
    assert_eq!(writer["password"], "p\"a$s'w\\ord");
    // Everything else is the job as compiled, `${bizdate}` left for DataX.
    let original: Value = serde_json::from_slice(&fs::read(&job).expect("job")).expect("JSON");
    assert_eq!(
        seen["job"]["content"][0]["reader"],
        original["job"]["content"][0]["reader"]
    );
    assert_eq!(
        writer["preSql"],
        original["job"]["content"][0]["writer"]["parameter"]["preSql"]
    );
}

fn compile_fails_writing_nothing(repo: &Path, code: &str) -> String {
    let out = tempfile::tempdir().expect("temp dir");
    let output = flowc_in(repo, &["compile", ".", "--out", &out.path().display().to_string()], b"");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&format!("error[{code}]")), "{stderr}");
    assert_eq!(fs::read_dir(out.path()).expect("list").count(), 0, "output written");
    stderr
}

#[test]
fn a_literal_password_fails_the_compile_with_a_located_error() {
    let repo = example_copy();
    let path = repo.path().join("flowc.yaml");
    let yaml = fs::read_to_string(&path).expect("read");
    let broken = yaml.replace("    password_env: CORE_ORACLE_PASSWORD", "    password: \"Tiger#2024\"");
    assert_ne!(broken, yaml);
    fs::write(&path, broken).expect("write");
    let stderr = compile_fails_writing_nothing(repo.path(), "S213");
    assert!(stderr.contains("flowc.yaml:"), "{stderr}");
    assert!(
        stderr.contains("password_env"),
        "the help says how to reference it: {stderr}"
    );
    assert!(!stderr.contains("error[S201]"), "{stderr}");
    // The secret is shown only where it stands in the source line, never in the message.
    let message = stderr.lines().next().expect("a first line");
    assert!(!message.contains("Tiger"), "{message}");
}

#[test]
fn a_template_override_that_breaks_a_job_fails_the_compile_with_r605() {
    let repo = example_copy();
    let folder = repo.path().join("templates/datax/writers");
    fs::create_dir_all(&folder).expect("mkdir");
    // The classic trap: mysqlwriter's jdbcUrl is a string, not an array.
    let template = include_str!("../../templates/datax/writers/mysqlwriter.json.jinja")
        .replace("{\"jdbcUrl\": {{ w.jdbc_url }}", "{\"jdbcUrl\": [{{ w.jdbc_url }}]");
    fs::write(folder.join("mysqlwriter.json.jinja"), template).expect("write");
    let stderr = compile_fails_writing_nothing(repo.path(), "R605");
    assert!(stderr.contains("reporting.export_gmv_to_mysql"), "{stderr}");
    assert!(stderr.contains("jdbcUrl"), "{stderr}");
    assert!(stderr.contains("templates/datax/"), "{stderr}");
}

#[test]
fn one_sftp_file_gets_one_channel_unless_asked() {
    let repo = tempfile::tempdir().expect("temp dir");
    crate::support::copy_dir(&repo_root().join("tests/fixtures/compile/sync"), repo.path());
    let flow = repo.path().join("flows/ods_ingest/flow.yaml");
    let original = fs::read_to_string(&flow).expect("flow.yaml");
    let channel = |yaml: &str| -> Value {
        fs::write(&flow, yaml).expect("write");
        let out = tempfile::tempdir().expect("out");
        let out_arg = out.path().display().to_string();
        let output = flowc_in(repo.path(), &["compile", ".", "--env", "prod", "--out", &out_arg], b"");
        assert!(output.status.success(), "{}", text(&output.stderr));
        let job = fs::read(out.path().join("prod/datax/ods_ingest/sync_settlement.json")).expect("job");
        serde_json::from_slice::<Value>(&job).expect("json")["job"]["setting"]["speed"]["channel"].clone()
    };
    let wildcard = "\"/out/SETTLE_${bizdate_nodash}_*.csv.gz\"";
    assert!(original.contains(wildcard));
    // Several files: the level's default.
    assert_eq!(channel(&original), 8);
    // One file: one channel, unless the task asks for more.
    let one_file = original.replace(wildcard, "\"/out/SETTLE_${bizdate_nodash}.csv.gz\"");
    assert_eq!(channel(&one_file), 1);
}
