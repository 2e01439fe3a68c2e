//! The launcher resolves the job: placeholders under `username`/`password` keys only,
//! a private temp copy removed afterwards, every missing variable reported before
//! anything runs, the command's exit code passed through, SIGTERM forwarded, and usage
//! and invalid JSON refused with exit 2.

use std::fs;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{FAKE_LOG, NO_COUNT, Sandbox, TIMEOUT, USAGE, code, path_str, resolved_path, statistics, terminate};
use crate::support::text;

/// A job with placeholders under nested reader and writer parameters, and `${...}`
/// text everywhere else that must stay as it is.
fn job_with_placeholders() -> Value {
    json!({
        "job": {
            "setting": {"speed": {"channel": 2}, "comment": "${env:FLOWC_T_PASS}"},
            "content": [{
                "reader": {
                    "name": "oraclereader",
                    "parameter": {
                        "username": "${env:FLOWC_T_SRC_USER}",
                        "password": "${env:FLOWC_T_SRC_PASS}",
                        "where": "dt = '${bizdate}' and note <> '${env:FLOWC_T_SRC_PASS}'",
                        "column": ["id", "${env:FLOWC_T_SRC_USER}"],
                        "connection": [{
                            "jdbcUrl": ["jdbc:oracle:thin:@//db:1521/${env:FLOWC_T_DB}"],
                            "table": ["orders"],
                        }],
                    },
                },
                "writer": {
                    "name": "hdfswriter",
                    "parameter": {
                        "path": "/warehouse/orders/dt=${bizdate}",
                        "hadoopConfig": {
                            "nested": [{"username": "${env:FLOWC_T_DST_USER}", "password": "${env:FLOWC_T_DST_PASS}"}],
                        },
                        "password": "prefix ${env:FLOWC_T_DST_PASS}",
                        "username": "${env:not-a-name}",
                        "Password": "${env:FLOWC_T_DST_PASS}",
                    },
                },
            }],
        }
    })
}

/// The hostile password: quotes, backslashes, a line break, dollars, a placeholder of
/// its own and non-ASCII.
const HOSTILE_PASSWORD: &str = "p\"a\\ss\nw$rd' ${env:FLOWC_T_OTHER} $$ ${bizdate} 数据 ü 🚀 \\u0041";

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn replaces_placeholders_under_username_and_password_only() {
    let sandbox = Sandbox::new();
    let job = job_with_placeholders();
    sandbox.write_job(&job);
    let output = sandbox.run(&[
        ("FLOWC_T_SRC_USER", "reader_user"),
        ("FLOWC_T_SRC_PASS", HOSTILE_PASSWORD),
        ("FLOWC_T_DST_USER", "writer_üser"),
        ("FLOWC_T_DST_PASS", "w-pass"),
        ("FLOWC_T_OTHER", "must-not-appear"),
        ("FLOWC_T_PASS", "must-not-appear-either"),
        ("FLOWC_T_DB", "must-not-appear-too"),
    ]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));

    let mut expected = job;
    let reader = &mut expected["job"]["content"][0]["reader"]["parameter"];
    reader["username"] = json!("reader_user");
    reader["password"] = json!(HOSTILE_PASSWORD);
    let nested = &mut expected["job"]["content"][0]["writer"]["parameter"]["hadoopConfig"]["nested"][0];
    nested["username"] = json!("writer_üser");
    nested["password"] = json!("w-pass");
    assert_eq!(sandbox.copied_job(), expected);

    let record = sandbox.record().expect("the command ran");
    assert_eq!(
        record["args"],
        json!(["-p", "-Dbizdate=2024-03-05 -Dbizdate_nodash=20240305"]),
        "the command's own arguments come first, the resolved job last"
    );
    for secret in [HOSTILE_PASSWORD, "w-pass", "reader_user"] {
        assert!(!text(&output.stdout).contains(secret), "stdout shows a secret");
        assert!(!text(&output.stderr).contains(secret), "stderr shows a secret");
    }
    // The original job file is left as it was.
    let original: Value =
        serde_json::from_slice(&fs::read(sandbox.job()).expect("job is readable")).expect("job is JSON");
    assert_eq!(original, job_with_placeholders());
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn resolved_job_is_private_while_running_and_removed_afterwards() {
    let sandbox = Sandbox::new();
    sandbox.write_job(&json!({"job": {"content": [{"reader": {"parameter": {"password": "${env:FLOWC_T_PASS}"}}}]}}));
    let output = sandbox.run(&[("FLOWC_T_PASS", "secret")]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));

    let record = sandbox.record().expect("the command ran");
    assert_eq!(record["mode"], json!(0o600), "the resolved job file is private");
    assert_eq!(record["dir_mode"], json!(0o700), "the resolved job's folder is private");
    let path = resolved_path(&record);
    let name = path.file_name().and_then(|name| name.to_str()).expect("file name");
    assert!(
        name.starts_with("load_orders.") && name.to_ascii_lowercase().ends_with(".json"),
        "the resolved job is named like the job: {name}"
    );
    let folder = path.parent().expect("the resolved job is in a folder");
    assert!(
        folder.starts_with(sandbox.dir.path().join("tmp")),
        "the resolved job is under TMPDIR: {}",
        path.display()
    );
    assert!(!path.exists(), "the resolved job is removed: {}", path.display());
    assert!(!folder.exists(), "its folder is removed: {}", folder.display());
    sandbox.assert_temp_is_empty();
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn job_without_placeholders_goes_through_the_same_path() {
    let sandbox = Sandbox::new();
    let job = json!({"job": {"content": [{"reader": {"parameter": {"username": "plain", "password": ""}}}]}});
    sandbox.write_job(&job);
    let output = sandbox.run(&[]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    assert_eq!(sandbox.copied_job(), job);
    let record = sandbox.record().expect("the command ran");
    assert_ne!(resolved_path(&record), sandbox.job(), "the command gets a private copy");
    assert_eq!(record["mode"], json!(0o600));
    sandbox.assert_temp_is_empty();
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn missing_variables_are_all_reported_and_the_command_does_not_run() {
    let sandbox = Sandbox::new();
    sandbox.write_job(&job_with_placeholders());
    let output = sandbox.run(&[
        ("FLOWC_T_SRC_USER", "set-user-value"),
        ("FLOWC_T_SRC_PASS", "set-secret-value"),
        ("FLOWC_T_DST_PASS", ""),
    ]);
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), Some(2), "stderr: {stderr}");
    let job = sandbox.job();
    let job = path_str(&job);
    let writer = "$.job.content[0].writer.parameter.hadoopConfig.nested[0]";
    for line in [
        format!("flowc_datax: FLOWC_T_DST_USER is not set; {job}: {writer}.username needs it"),
        format!("flowc_datax: FLOWC_T_DST_PASS is not set; {job}: {writer}.password needs it"),
    ] {
        assert!(stderr.lines().any(|l| l == line), "stderr lacks {line:?}:\n{stderr}");
    }
    assert_eq!(
        stderr.lines().filter(|line| line.contains("is not set")).count(),
        2,
        "{stderr}"
    );
    assert!(
        stderr.contains("hint:") && stderr.contains("worker") && stderr.contains("env"),
        "stderr has a hint: {stderr}"
    );
    for secret in ["set-user-value", "set-secret-value"] {
        assert!(!stderr.contains(secret), "stderr shows a secret: {stderr}");
        assert!(!text(&output.stdout).contains(secret), "stdout shows a secret");
    }
    assert!(sandbox.record().is_none(), "the command must not run");
    sandbox.assert_temp_is_empty();
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn the_commands_exit_code_is_passed_through() {
    for expected in [0, 1, 3] {
        let sandbox = Sandbox::new();
        sandbox
            .write_job(&json!({"job": {"content": [{"writer": {"parameter": {"password": "${env:FLOWC_T_PASS}"}}}]}}));
        let exit = expected.to_string();
        let output = sandbox.run(&[("FLOWC_T_PASS", "secret"), ("FAKE_DATAX_EXIT", &exit)]);
        assert_eq!(code(&output), Some(expected), "stderr: {}", text(&output.stderr));
        assert!(sandbox.record().is_some(), "the command ran");
        let stdout = if expected == 0 {
            format!("{NO_COUNT}\n")
        } else {
            String::new()
        };
        assert_eq!(text(&output.stdout), stdout, "exit {expected}");
        sandbox.assert_temp_is_empty();
    }
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn sigterm_is_forwarded_to_the_command_and_the_temp_file_removed() {
    let sandbox = Sandbox::new();
    sandbox.write_job(&json!({"job": {"content": [{"reader": {"parameter": {"password": "${env:FLOWC_T_PASS}"}}}]}}));
    let mut launcher = sandbox
        .launcher_with_fake(&[
            ("FLOWC_T_PASS", "secret"),
            ("FAKE_DATAX_SLEEP", "1"),
            ("FAKE_DATAX_SUMMARY", "12345,2"),
        ])
        .spawn()
        .expect("launcher starts");

    let started = Instant::now();
    while !sandbox.out("started").exists() {
        if let Some(status) = launcher.try_wait().expect("launcher status") {
            panic!("the launcher ended before the command slept: {status}");
        }
        assert!(started.elapsed() < TIMEOUT, "the command never started");
        thread::sleep(Duration::from_millis(20));
    }
    let record = sandbox.record().expect("the command ran");
    let resolved = resolved_path(&record);
    assert!(resolved.exists(), "the resolved job exists while the command runs");

    let status = terminate(&mut launcher);
    let output = launcher.wait_with_output().expect("launcher output");
    assert_eq!(
        fs::read_to_string(sandbox.out("got-signal")).expect("the command got a signal"),
        "15",
        "the command got SIGTERM"
    );
    assert!(!status.success(), "the launcher fails after SIGTERM");
    assert_eq!(
        status.code(),
        Some(143),
        "the command's exit code; stderr: {}",
        text(&output.stderr)
    );
    assert!(
        !resolved.exists(),
        "the resolved job is removed: {}",
        resolved.display()
    );
    sandbox.assert_temp_is_empty();
    // What the command printed, also after the signal, and no count of the launcher's.
    assert_eq!(
        text(&output.stdout),
        format!(
            "{FAKE_LOG}{}fake datax: sleeping\nfake datax: got SIGTERM\n",
            statistics("12345", Some("2"))
        )
    );
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn wrong_usage_exits_2_with_the_usage() {
    let sandbox = Sandbox::new();
    sandbox.write_job(&json!({"job": {}}));
    let job = sandbox.job();
    let job = path_str(&job);
    let cases: [&[&str]; 5] = [&[], &[job], &[job, "--"], &[job, "true"], &[job, "-x", "true"]];
    for args in cases {
        let output = sandbox.launcher(args, &[]).output().expect("launcher runs");
        let stderr = text(&output.stderr);
        assert_eq!(code(&output), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr, format!("flowc_datax: {USAGE}\n"), "{args:?}");
    }
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn invalid_json_exits_2_naming_the_file_and_position() {
    let sandbox = Sandbox::new();
    fs::write(sandbox.job(), "{\n  \"job\": [1, 2 3]\n}\n").expect("job is written");
    let output = sandbox.run(&[]);
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), Some(2), "{stderr}");
    // The message after the position is Python's own and varies between versions.
    let prefix = format!(
        "flowc_datax: {} is not valid JSON: line 2 column 16: ",
        sandbox.job().display()
    );
    assert!(stderr.starts_with(&prefix) && stderr.lines().count() == 1, "{stderr}");
    assert!(sandbox.record().is_none(), "the command must not run");
    sandbox.assert_temp_is_empty();

    let missing = sandbox.dir.path().join("missing.json");
    let output = sandbox
        .launcher(&[path_str(&missing), "--", "true"], &[])
        .output()
        .expect("launcher runs");
    let stderr = text(&output.stderr);
    assert_eq!(code(&output), Some(2), "{stderr}");
    assert!(
        stderr.starts_with(&format!("flowc_datax: cannot read {}: ", missing.display())),
        "{stderr}"
    );
}
