//! Spark SQL statement forms (tests/fixtures/sql/spark_forms.txt): each parses with the
//! expected lineage, or fails with a named, located error; docs/sql.md states the
//! figures and lists every form with its status.

use crate::support::{flowc, repo_root, text};

/// One form of the data file.
struct Form {
    group: String,
    name: String,
    sql: String,
    expected: String,
}

fn forms() -> Vec<Form> {
    let data = std::fs::read_to_string(repo_root().join("tests/fixtures/sql/spark_forms.txt")).expect("forms file");
    let mut forms: Vec<Form> = Vec::new();
    for line in data.lines() {
        if let Some(title) = line.strip_prefix("# ") {
            let (group, name) = title.split_once(" | ").expect("`# group | form`");
            forms.push(Form {
                group: group.to_owned(),
                name: name.to_owned(),
                sql: String::new(),
                expected: String::new(),
            });
        } else if let Some(form) = forms.last_mut() {
            if let Some(expected) = line.strip_prefix("=> ") {
                expected.clone_into(&mut form.expected);
            } else if !line.trim().is_empty() {
                form.sql.push_str(line);
                form.sql.push('\n');
            }
        }
    }
    forms
}

/// Whether `form` gives what the file expects; `Err` says what it gave.
fn check(form: &Form) -> Result<(), String> {
    let output = flowc(&["sql", "lineage", "--format", "json", "-"], form.sql.as_bytes());
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    if let Some(error) = form.expected.strip_prefix("error ") {
        let mut parts = error.splitn(3, ' ');
        let (code, location, message) = (parts.next(), parts.next(), parts.next());
        let (Some(code), Some(location), Some(message)) = (code, location, message) else {
            return Err(format!("malformed expectation `{}`", form.expected));
        };
        let mut lines = stderr.lines();
        let first = lines.next().unwrap_or_default();
        let second = lines.next().unwrap_or_default();
        let named = message.starts_with('`');
        if output.status.code() == Some(1)
            && first == format!("error[{code}]: {message}")
            && second.ends_with(&format!("<stdin>:{location}"))
            && named
        {
            return Ok(());
        }
        return Err(format!("exit {:?}\n{stdout}{stderr}", output.status.code()));
    }
    if output.status.success() && stdout.trim_end() == form.expected {
        Ok(())
    } else {
        Err(format!("exit {:?}\n{stdout}{stderr}", output.status.code()))
    }
}

#[test]
fn every_spark_form_parses_with_lineage_or_gets_a_named_error() {
    let forms = forms();
    assert!(forms.len() >= 150, "{} forms", forms.len());
    let failures: Vec<String> = forms
        .iter()
        .filter_map(|form| {
            check(form)
                .err()
                .map(|got| format!("{} | {}: {got}", form.group, form.name))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} forms fail:\n{}",
        failures.len(),
        failures.join("\n")
    );

    let errors = forms.iter().filter(|form| form.expected.starts_with("error ")).count();
    let hive_only = forms.iter().filter(|form| form.group == "Hive-only").count();
    let lineage = forms.len() - errors;
    let docs = std::fs::read_to_string(repo_root().join("docs/sql.md")).expect("docs/sql.md");
    let figure = format!(
        "{lineage} of {} statement forms parse with lineage, {errors} give a named located error \
         ({hive_only} Hive-only statements that Spark rejects, {} Spark constructs flowc does not read)",
        forms.len(),
        errors - hive_only
    );
    assert!(docs.contains(&figure), "docs/sql.md should state: {figure}");
    for form in &forms {
        let status = if form.group == "Hive-only" {
            "Hive-only: named error"
        } else if form.expected.starts_with("error ") {
            "not read: named error"
        } else {
            "lineage"
        };
        let row = format!("| {} | {} | {status} |", form.group, form.name.replace('|', "\\|"));
        assert!(docs.contains(&row), "docs/sql.md lacks the row {row}");
    }
}

/// A repository with three sparksql tasks: one only alters (partition maintenance), one
/// only reads, one writes.
fn q305_repository(dir: &std::path::Path) {
    let flow = dir.join("flows/ingest");
    std::fs::create_dir_all(&flow).expect("flow folder");
    std::fs::write(
        dir.join("flowc.yaml"),
        "project: demo\nenvironments:\n  dev: {databases: {ods: dev_ods, dw: dev_dw}}\n  prod: {}\nteams:\n  data: {}\nsources:\n  - table: ods.orders\n",
    )
    .expect("flowc.yaml");
    std::fs::write(
        flow.join("flow.yaml"),
        "name: ingest\nowner: data\nschedule: \"0 1 * * *\"\nstart_date: \"2024-01-01\"\ntasks:\n\
         \x20 - {name: add_partitions, type: sparksql, sql: add_partitions.sql}\n\
         \x20 - {name: peek, type: sparksql, sql: peek.sql}\n\
         \x20 - {name: daily, type: sparksql, sql: daily.sql}\n",
    )
    .expect("flow.yaml");
    std::fs::write(
        flow.join("add_partitions.sql"),
        "ALTER TABLE ods.orders ADD IF NOT EXISTS PARTITION (dt = '${bizdate}');\n",
    )
    .expect("sql");
    std::fs::write(flow.join("peek.sql"), "SELECT count(*) FROM ods.orders;\n").expect("sql");
    std::fs::write(
        flow.join("daily.sql"),
        "INSERT OVERWRITE TABLE dw.orders_daily SELECT * FROM ods.orders;\n",
    )
    .expect("sql");
}

#[test]
fn q305_warns_a_read_only_file_but_not_an_alter_only_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    q305_repository(dir.path());
    let output = crate::support::flowc_in(dir.path(), &["check", "--format", "json", "."], b"");
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    let all = format!("{stdout}{stderr}");
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert_eq!(all.matches("Q305").count(), 1, "{all}");
    assert!(all.contains("task `ingest.peek` writes no table"), "{all}");
    assert!(!all.contains("ingest.add_partitions` writes no table"), "{all}");
}
