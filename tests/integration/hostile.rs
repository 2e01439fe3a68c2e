//! No user-supplied YAML value can become code in a rendered DAG file.
//!
//! `tests/fixtures/compile/hostile` puts `__HOSTILE__` in every free-text field; the
//! test copies it, replaces the token with text full of quotes, triple quotes,
//! backslashes, line breaks, Jinja openers, Python that would create a sentinel file
//! of this test run, and non-ASCII, then compiles it for Airflow 2.10 and 3 and
//! checks that: real Airflow loads every DAG without error or problem; the sentinel
//! never appears; every value comes back byte for byte where it is data (with only
//! `${name}` placeholders substituted in templated fields); and each DAG file's
//! syntax tree holds nothing but imports, the optional helper, one `with DAG(...)`
//! block of operator calls and `>>` chains. Names, which become identifiers, are
//! refused by the schema instead.

mod ast;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::airflow_harness::{AirflowVersion, inspect};
use crate::support::{copy_dir_editing, flowc_in, output_tree, repo_root, text};

/// The token the fixture holds in every free-text field.
const TOKEN: &str = "__HOSTILE__";

/// The sample date's placeholders, as Airflow renders them for
/// [`crate::airflow_harness::SAMPLE_LOGICAL_DATE`].
const BIZDATE: &str = "2024-03-05";
const BIZDATE_NODASH: &str = "20240305";

/// The ml application's file name (hostile on its own), relative to the flow.
const APPLICATION: &str = "scoring/app's {{ 7*7 }} {% if %} {# \"\"\" 数据 ü 🚀.py";

/// The hostile text; `sentinel` is the file its Python would create.
fn hostile(sentinel: &Path) -> String {
    let s = sentinel.to_str().expect("UTF-8 temp path");
    [
        "' '' ''' \" \"\"\" \\ \\\\ \\n-as-text\\x41",
        "\nline2\r\nline3\rline4\t",
        " {{ 7*7 }} {% if %} {% if true %}x{% endif %} {# c #} {# %} }} {{{ {{- 1 -}}",
        " {${bizdate}} ${bizdate_nodash} $${bizdate} ${env} ${DATAX_HOME} ${ unknown",
        &format!(" __import__('os').system('touch {s}')"),
        &format!(" \"\"\"; import os; os.system('touch {s}') #"),
        &format!(" '''; import os; os.system('touch {s}') #"),
        &format!(" '); __import__('os').system('touch {s}'); ('"),
        " 数据 ü 🚀 \u{2028} \u{85} \u{0}\u{1b}[31m end\n",
    ]
    .concat()
}

/// `text` as a YAML double-quoted scalar's content.
fn yaml_quoted(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                write!(out, "\\u{:04x}", c as u32).expect("writing to a String");
            }
            c => out.push(c),
        }
    }
    out
}

/// A test run's copy of the fixture, its sentinel path and hostile text.
struct Hostile {
    dir: tempfile::TempDir,
    sentinel: PathBuf,
    text: String,
}

impl Hostile {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let sentinel = dir.path().join("SENTINEL-flowc-hostile-was-executed");
        let text = hostile(&sentinel);
        copy_fixture(&dir.path().join("repo"), &yaml_quoted(&text));
        Self { dir, sentinel, text }
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    /// `prefix` followed by the hostile text: what a field of the fixture holds.
    fn field(&self, prefix: &str) -> String {
        format!("{prefix} {}", self.text)
    }

    fn assert_no_sentinel(&self, when: &str) {
        assert!(
            !self.sentinel.exists(),
            "{when}: a hostile value was executed: {} exists",
            self.sentinel.display()
        );
    }

    /// Compiles for `version` into `out`; flowc must succeed.
    fn compile(&self, version: &str, out: &Path) {
        let output = flowc_in(
            &self.repo(),
            &[
                "compile",
                ".",
                "--env",
                "prod",
                "--out",
                out.to_str().expect("UTF-8 path"),
                "--airflow-version",
                version,
            ],
            b"",
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "flowc compile --airflow-version {version}:\n{}\n{}",
            text(&output.stdout),
            text(&output.stderr)
        );
        self.assert_no_sentinel("after compiling");
    }
}

/// Copies the fixture to `to`, replacing [`TOKEN`] with `replacement` in `.yaml` files.
fn copy_fixture(to: &Path, replacement: &str) {
    copy_dir_editing(&repo_root().join("tests/fixtures/compile/hostile"), to, &|path| {
        path.extension().is_some_and(|e| e == "yaml").then(|| {
            let yaml = std::fs::read_to_string(path).expect("UTF-8 YAML");
            yaml.replace(SYNC_TOKEN, &sync_text(replacement))
                .replace(TOKEN, replacement)
        })
    });
}

/// Where sync values hold the hostile text: they refuse unknown `${name}` (a typo
/// there would reach the source database), so its `${` are broken up; the rest —
/// quotes, newlines, Jinja, Python — stays.
const SYNC_TOKEN: &str = "__HOSTILE_SYNC__";

fn sync_text(text: &str) -> String {
    text.replace("${", "$ {")
}

/// What a templated field renders to: `${name}` placeholders substituted as Airflow
/// renders them for the sample run, everything else as written.
fn rendered(text: &str, params: &[(&str, &str)]) -> String {
    let mut out = text
        .replace("${bizdate_nodash}", BIZDATE_NODASH)
        .replace("${bizdate}", BIZDATE)
        .replace("${env}", "prod");
    for (name, value) in params {
        out = out.replace(&format!("${{{name}}}"), value);
    }
    out
}

/// The contents of the single-quoted string literals of Spark SQL `sql`, unescaped as
/// Spark does (`\\`, `\'`, `\n`, `\r`, `\t`, `\uXXXX`). Comments are not skipped: the
/// generated checks hold none with quotes.
fn spark_string_literals(sql: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut chars = sql.chars();
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut literal = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\'' => break,
                '\\' => match chars.next() {
                    Some('n') => literal.push('\n'),
                    Some('r') => literal.push('\r'),
                    Some('t') => literal.push('\t'),
                    Some('u') => {
                        let hex: String = chars.by_ref().take(4).collect();
                        let code = u32::from_str_radix(&hex, 16).expect("four hex digits");
                        literal.push(char::from_u32(code).expect("a character"));
                    }
                    Some(other) => literal.push(other),
                    None => {}
                },
                c => literal.push(c),
            }
        }
        found.push(literal);
    }
    found
}

fn check_version(hostile: &Hostile, version: AirflowVersion) {
    let flag = version.cli_arg();
    let out = hostile.dir.path().join(format!("out-{flag}"));
    hostile.compile(flag, &out);
    let again = hostile.dir.path().join(format!("again-{flag}"));
    hostile.compile(flag, &again);
    let (first, second) = (output_tree(&out), output_tree(&again));
    assert_eq!(
        first.keys().collect::<Vec<_>>(),
        second.keys().collect::<Vec<_>>(),
        "{version:?}"
    );
    for (path, bytes) in &first {
        assert!(
            second[path] == *bytes,
            "{version:?}: {path} differs between two compiles"
        );
    }

    let dags = out.join("prod/dags");
    let report = inspect(version, &dags, Some(&out.join("prod/pools.json")));
    hostile.assert_no_sentinel(&format!("{version:?}: after loading and rendering"));
    assert_eq!(report["import_errors"], json!({}), "{version:?}");
    assert_eq!(report["problems"], json!([]), "{version:?}");
    let dag = &report["dags"]["hostile"];
    check_dag_and_docs(hostile, version, dag);
    check_rendered_fields(hostile, version, &dag["tasks"], &dags);
    check_datax_jobs(hostile, version, &out);
    ast::check_syntax_tree(hostile, version, &out, &first);
}

/// The DAG's own fields and every task's documentation, as Airflow loaded them.
fn check_dag_and_docs(hostile: &Hostile, version: AirflowVersion, dag: &Value) {
    let tasks = &dag["tasks"];
    let h = |prefix: &str| hostile.field(prefix);

    // The DAG.
    assert_eq!(dag["description"], json!(h("flow description")), "{version:?}");
    assert_eq!(dag["tags"], json!(["a.b:c-d_e", "hostile"]), "{version:?}");
    assert_eq!(
        dag["params"],
        json!({"p_flow": h("flow param"), "p_project": h("project param")}),
        "{version:?}"
    );
    for (name, prefix) in [("p_flow", "flow param"), ("p_project", "project param")] {
        assert_eq!(dag["params_spec"][name]["default"], json!(h(prefix)), "{version:?}");
    }

    // Task documentation: the description as written.
    for (task_id, prefix) in [
        ("sync_orders", "sync description"),
        ("load_detail", "sparksql description"),
        ("submit_detail", "spark_submit description"),
        ("score", "ml description"),
        ("cube", "kylin description"),
        ("wait_http", "http description"),
        ("wait_file", "file description"),
        ("wait_partition", "partition description"),
        ("load_detail__dq_value_known", "quality description"),
    ] {
        let doc = tasks[task_id]["doc_md"].as_str().expect("a doc_md");
        assert!(
            doc.contains(&format!("\n\n{}\n", h(prefix))),
            "{version:?} {task_id}: doc_md {doc:?}"
        );
    }
}

/// The templated fields, as Airflow renders them for the sample run.
fn check_rendered_fields(hostile: &Hostile, version: AirflowVersion, tasks: &Value, dags: &Path) {
    let h = |prefix: &str| hostile.field(prefix);
    let r = |prefix: &str| rendered(&hostile.field(prefix), &[]);
    let rendered_field = |task: &str, field: &str| tasks[task]["rendered"][field].clone();
    assert_eq!(
        rendered_field("wait_http", "endpoint"),
        json!(r("endpoint")),
        "{version:?}"
    );
    assert_eq!(rendered_field("wait_file", "filepath"), json!(r("path")), "{version:?}");
    assert_eq!(rendered_field("cube", "cube"), json!(r("cube")), "{version:?}");
    assert_eq!(
        rendered_field("cube", "project"),
        json!(r("kylin project")),
        "{version:?}"
    );
    // Partition specs are normalised by design: split on `,` and `/`, each part
    // trimmed and stripped of quotes; the hostile text stays data all the same.
    let spec = rendered(&format!("dt=${{bizdate}}/part={}", hostile.text), &[]);
    let parts: Vec<String> = spec
        .split([',', '/'])
        .map(|part| part.trim().replace(['\'', '"'], ""))
        .filter(|part| !part.is_empty())
        .collect();
    assert_eq!(
        rendered_field("wait_partition", "partition_names"),
        json!([format!("ods.h_marker/{}", parts.join("/"))]),
        "{version:?}"
    );
    let ml_task_param = h("ml task param");
    assert_eq!(
        rendered_field("score", "application_args"),
        json!([
            r("arg"),
            h("project param"),
            h("flow param"),
            ml_task_param,
            format!("--dt={{{BIZDATE}}}"),
        ]),
        "{version:?}"
    );
    let conf = rendered_field("score", "conf");
    assert_eq!(conf["spark.flowc.hostile"], json!(r("ml conf")), "{version:?}");
    assert_eq!(conf["spark.flowc.default"], json!(r("default conf")), "{version:?}");
    // `{{ dag.folder }}` is flowc's own expression; the file name is data.
    assert_eq!(
        rendered_field("score", "application"),
        json!(format!("{}/../apps/flows/hostile/{APPLICATION}", dags.display())),
        "{version:?}"
    );
    assert_eq!(
        rendered_field("submit_detail", "application"),
        json!(h("hdfs:///runner")),
        "{version:?}"
    );
    // flowc.yaml's datax_command is a command template of the platform team, taken
    // as written (no `${name}` substitution), then flowc's arguments.
    let bash = rendered_field("sync_orders", "bash_command");
    let bash = bash.as_str().expect("bash_command is rendered");
    let tail = format!(
        "/../datax/hostile/sync_orders.json\" -- {} -p \"-Dbizdate={BIZDATE} -Dbizdate_nodash={BIZDATE_NODASH}\"",
        h("datax")
    );
    assert!(bash.starts_with("python3 \""), "{version:?}: {bash:?}");
    assert!(bash.contains("/../datax/flowc_datax.py\" \""), "{version:?}: {bash:?}");
    assert!(bash.ends_with(&tail), "{version:?}: {bash:?}");

    // A quality check's constants are Spark string literals whose content, as Spark
    // reads it, is the YAML text byte for byte (no placeholder substituted).
    for (task, prefix) in [
        ("load_detail__dq_value_known", "value"),
        ("load_detail__dq_value_form", "pattern"),
    ] {
        let sql = rendered_field(task, "sql");
        let sql = sql.as_str().expect("the check's SQL is rendered");
        assert!(
            spark_string_literals(sql).contains(&h(prefix)),
            "{version:?} {task}: no literal holds the {prefix}: {sql}"
        );
    }

    // The templated conf of `operator: spark_submit` substitutes `${name}` like ml conf.
    assert_eq!(
        rendered_field("submit_detail", "conf")["spark.flowc.hostile"],
        json!(r("spark_submit conf")),
        "{version:?}"
    );
}

/// The DataX jobs hold the hostile values as JSON strings, byte for byte.
fn check_datax_jobs(hostile: &Hostile, version: AirflowVersion, out: &Path) {
    let h = |prefix: &str| hostile.field(prefix);
    let job = |task: &str| -> Value {
        let bytes = std::fs::read(out.join(format!("prod/datax/hostile/{task}.json"))).expect("a job file");
        serde_json::from_slice(&bytes).expect("the job is JSON")
    };
    let sync = |prefix: &str| format!("{prefix} {}", sync_text(&hostile.text));
    let orders = job("sync_orders");
    let reader = &orders["job"]["content"][0]["reader"]["parameter"];
    assert_eq!(reader["where"], json!(sync("where")), "{version:?}");
    assert_eq!(reader["username"], json!(h("username")), "{version:?}");
    let query = job("sync_query");
    assert_eq!(
        query["job"]["content"][0]["reader"]["parameter"]["connection"][0]["querySql"],
        json!([sync("query")]),
        "{version:?}"
    );
    let export = job("export_orders");
    assert_eq!(
        export["job"]["content"][0]["writer"]["parameter"]["preSql"],
        json!([sync("pre sql")]),
        "{version:?}"
    );
}

#[test]
#[ignore = "needs Airflow (Python 3.11 and the network to install .venv/airflow-*): run by scripts/test.sh"]
fn hostile_values_stay_data_in_airflow_2_10_and_3() {
    let hostile = Hostile::new();
    let check = flowc_in(&hostile.repo(), &["check", "."], b"");
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}\n{}",
        text(&check.stdout),
        text(&check.stderr)
    );
    std::thread::scope(|scope| {
        for version in AirflowVersion::ALL {
            let hostile = &hostile;
            scope.spawn(move || check_version(hostile, version));
        }
    });
    hostile.assert_no_sentinel("at the end");
}

/// Flow and task names become DAG ids, task ids and Python variables: the schema
/// refuses anything but `^[a-z][a-z0-9_]{0,63}$`, at the name's line and column.
#[test]
fn hostile_names_are_refused_with_a_located_error() {
    let hostile = Hostile::new();
    let flow_yaml = hostile.repo().join("flows/hostile/flow.yaml");
    let original = std::fs::read_to_string(&flow_yaml).expect("flow.yaml");
    let name_line = |needle: &str| {
        original
            .lines()
            .position(|line| line.trim_start().starts_with(needle))
            .expect("the name is in flow.yaml")
            + 1
    };
    let evil = "x'); __import__('os').system('touch /tmp/x') #\\n{{ 7*7 }}";
    for (what, needle, replacement) in [
        (
            "flow",
            "name: hostile",
            format!("name: \"{}\"", yaml_quoted(&format!("hostile{evil}"))),
        ),
        (
            "task",
            "- name: load_detail",
            format!("- name: \"{}\"", yaml_quoted(&format!("load_detail{evil}"))),
        ),
    ] {
        let line = name_line(needle);
        let edited: Vec<String> = original
            .lines()
            .enumerate()
            .map(|(i, text)| {
                if i + 1 == line {
                    text.replacen(needle, &replacement, 1)
                } else {
                    text.to_owned()
                }
            })
            .collect();
        std::fs::write(&flow_yaml, edited.join("\n") + "\n").expect("flow.yaml is written");
        let check = flowc_in(&hostile.repo(), &["check", ".", "--format", "json"], b"");
        assert_eq!(check.status.code(), Some(1), "{what}: {}", text(&check.stdout));
        let report: Value = serde_json::from_slice(&check.stdout).expect("JSON output");
        let diagnostics = report["diagnostics"].as_array().expect("diagnostics");
        assert!(
            diagnostics.iter().any(|d| d["code"] == "S204"
                && d["file"] == "flows/hostile/flow.yaml"
                && d["line"] == line
                && d["column"].as_u64().is_some_and(|c| c > 1)),
            "{what}: no S204 at flows/hostile/flow.yaml:{line}: {report:#}"
        );
        let out = hostile.dir.path().join(format!("out-{what}"));
        let compile = flowc_in(
            &hostile.repo(),
            &[
                "compile",
                ".",
                "--env",
                "prod",
                "--out",
                out.to_str().expect("UTF-8 path"),
            ],
            b"",
        );
        assert_eq!(compile.status.code(), Some(1), "{what}: {}", text(&compile.stderr));
        assert!(
            text(&compile.stderr).contains(&format!("flows/hostile/flow.yaml:{line}:")),
            "{what}: {}",
            text(&compile.stderr)
        );
        assert!(!out.join("prod/dags").exists(), "{what}: DAG files were written");
        std::fs::write(&flow_yaml, &original).expect("flow.yaml is restored");
    }
    hostile.assert_no_sentinel("after the refused names");
}
