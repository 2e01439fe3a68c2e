//! `runtime/flowc_datax.py`, the launcher a DataX task runs: it fills `${env:NAME}`
//! placeholders under `username`/`password` keys from its environment, writes the
//! resolved job to a private temp file, runs the command on it and removes the file.
//!
//! Each test runs the real script with `python3` from PATH against a fake "DataX": a
//! small Python script that copies the job file it is given to a known place and
//! records the file's path, mode and arguments, then exits with `FAKE_DATAX_EXIT`
//! (or, with `FAKE_DATAX_SLEEP`, waits for SIGTERM and records that it got it).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::text;

/// The fake DataX: `fake_datax.py OUT [ARG...] JOB`.
const FAKE_DATAX: &str = r#"
import json, os, shutil, signal, stat, sys, time

out, job = sys.argv[1], sys.argv[-1]
shutil.copyfile(job, os.path.join(out, "job.json"))
record = {
    "path": job,
    "mode": stat.S_IMODE(os.stat(job).st_mode),
    "dir_mode": stat.S_IMODE(os.stat(os.path.dirname(job)).st_mode),
    "args": sys.argv[2:-1],
}
with open(os.path.join(out, "record.json"), "w") as file:
    json.dump(record, file)

if os.environ.get("FAKE_DATAX_SLEEP"):
    def on_term(signum, _frame):
        with open(os.path.join(out, "got-signal"), "w") as file:
            file.write(str(signum))
        sys.exit(143)
    signal.signal(signal.SIGTERM, on_term)
    open(os.path.join(out, "started"), "w").close()
    time.sleep(60)
    sys.exit(0)

sys.exit(int(os.environ.get("FAKE_DATAX_EXIT", "0")))
"#;

/// The job file's name; the resolved copy's name starts with its stem.
const JOB_NAME: &str = "load_orders.json";

/// The first line of every usage error.
const USAGE: &str = "usage: flowc_datax.py JOB -- COMMAND [ARG...]";

/// How long a launcher or its child may take before a test gives up.
const TIMEOUT: Duration = Duration::from_secs(30);

fn launcher() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("runtime/flowc_datax.py")
}

/// `python3`, once checked to be on PATH and at least 3.8; fails clearly otherwise.
fn python3() -> &'static str {
    static CHECKED: OnceLock<Result<(), String>> = OnceLock::new();
    let checked = CHECKED.get_or_init(|| {
        let output = Command::new("python3")
            .args(["-c", "import sys; sys.exit(sys.version_info < (3, 8))"])
            .output()
            .map_err(|error| format!("python3 is not on PATH ({error}); the DataX launcher tests need it"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err("python3 on PATH is older than 3.8; the DataX launcher needs 3.8 or later".to_owned())
        }
    });
    if let Err(message) = checked {
        panic!("{message}");
    }
    "python3"
}

/// A temp folder with the fake DataX, the job, its output folder and the launcher's
/// `TMPDIR`.
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        fs::write(dir.path().join("fake_datax.py"), FAKE_DATAX).expect("fake DataX is written");
        fs::create_dir(dir.path().join("out")).expect("out dir");
        fs::create_dir(dir.path().join("tmp")).expect("tmp dir");
        Self { dir }
    }

    fn job(&self) -> PathBuf {
        self.dir.path().join(JOB_NAME)
    }

    fn write_job(&self, job: &Value) {
        fs::write(self.job(), serde_json::to_string_pretty(job).expect("job serializes")).expect("job is written");
    }

    fn out(&self, name: &str) -> PathBuf {
        self.dir.path().join("out").join(name)
    }

    /// The launcher with `args`, its `TMPDIR` in the sandbox and `FLOWC_T_*`
    /// variables only as `env` sets them.
    fn launcher(&self, args: &[&str], env: &[(&str, &str)]) -> Command {
        let mut command = Command::new(python3());
        command
            .arg(launcher())
            .args(args)
            .env("TMPDIR", self.dir.path().join("tmp"));
        for (name, _) in std::env::vars_os() {
            if name.to_string_lossy().starts_with("FLOWC_T_") {
                command.env_remove(name);
            }
        }
        command.env_remove("FAKE_DATAX_EXIT").env_remove("FAKE_DATAX_SLEEP");
        command.envs(env.iter().copied());
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// The launcher on the job with the fake DataX, given DataX-like `-p` arguments.
    fn run(&self, env: &[(&str, &str)]) -> Output {
        self.launcher_with_fake(env).output().expect("launcher runs")
    }

    fn launcher_with_fake(&self, env: &[(&str, &str)]) -> Command {
        let job = self.job();
        let fake = self.dir.path().join("fake_datax.py");
        let out = self.dir.path().join("out");
        let args = [
            path_str(&job),
            "--",
            python3(),
            path_str(&fake),
            path_str(&out),
            "-p",
            "-Dbizdate=2024-03-05 -Dbizdate_nodash=20240305",
        ];
        self.launcher(&args, env)
    }

    /// What the fake DataX recorded, if it ran.
    fn record(&self) -> Option<Value> {
        let record = fs::read_to_string(self.out("record.json")).ok()?;
        Some(serde_json::from_str(&record).expect("record is JSON"))
    }

    /// The job file the fake DataX was given, as JSON.
    fn copied_job(&self) -> Value {
        let bytes = fs::read(self.out("job.json")).expect("the command copied the job");
        serde_json::from_slice(&bytes).expect("the resolved job is JSON")
    }

    /// Asserts that the launcher left nothing in its temp folder.
    fn assert_temp_is_empty(&self) {
        let left: Vec<_> = fs::read_dir(self.dir.path().join("tmp"))
            .expect("tmp dir is readable")
            .map(|entry| entry.expect("tmp entry").path())
            .collect();
        assert!(left.is_empty(), "the launcher left temp files behind: {left:?}");
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 temp path")
}

/// The resolved job's path the fake DataX was given.
fn resolved_path(record: &Value) -> PathBuf {
    PathBuf::from(record["path"].as_str().expect("path is a string"))
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

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
fn the_commands_exit_code_is_passed_through() {
    for expected in [0, 1, 3] {
        let sandbox = Sandbox::new();
        sandbox
            .write_job(&json!({"job": {"content": [{"writer": {"parameter": {"password": "${env:FLOWC_T_PASS}"}}}]}}));
        let exit = expected.to_string();
        let output = sandbox.run(&[("FLOWC_T_PASS", "secret"), ("FAKE_DATAX_EXIT", &exit)]);
        assert_eq!(code(&output), Some(expected), "stderr: {}", text(&output.stderr));
        assert!(sandbox.record().is_some(), "the command ran");
        sandbox.assert_temp_is_empty();
    }
}

#[test]
fn sigterm_is_forwarded_to_the_command_and_the_temp_file_removed() {
    let sandbox = Sandbox::new();
    sandbox.write_job(&json!({"job": {"content": [{"reader": {"parameter": {"password": "${env:FLOWC_T_PASS}"}}}]}}));
    let mut launcher = sandbox
        .launcher_with_fake(&[("FLOWC_T_PASS", "secret"), ("FAKE_DATAX_SLEEP", "1")])
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

    let kill = Command::new("kill")
        .args(["-TERM", &launcher.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success(), "kill -TERM the launcher");

    let killed = Instant::now();
    let status = loop {
        if let Some(status) = launcher.try_wait().expect("launcher status") {
            break status;
        }
        if killed.elapsed() > TIMEOUT {
            launcher.kill().expect("launcher is killed");
            panic!("the launcher did not end after SIGTERM");
        }
        thread::sleep(Duration::from_millis(20));
    };
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
}

#[test]
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
