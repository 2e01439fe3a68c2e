//! `runtime/flowc_datax.py`, the launcher a DataX task runs: it fills `${env:NAME}`
//! placeholders under `username`/`password` keys from its environment, writes the
//! resolved job to a private temp file, runs the command on it and removes the file.
//!
//! Each test runs the real script with `python3` from PATH against a fake "DataX": a
//! small Python script that copies the job file it is given to a known place and
//! records the file's path, mode and arguments, then exits with `FAKE_DATAX_EXIT`
//! (or, with `FAKE_DATAX_SLEEP`, waits for SIGTERM and records that it got it).
//! On stdout it prints what `FAKE_DATAX_RAW` holds (hex), a DataX-like log and the
//! end-of-job statistics with the counts of `FAKE_DATAX_SUMMARY`, which the launcher
//! copies through and reads the record count from.

use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{OnceLock, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::text;

/// The fake DataX: `fake_datax.py OUT [ARG...] JOB`.
///
/// On stdout, flushing after each write, it prints in order:
/// - the bytes `FAKE_DATAX_RAW` holds in hex;
/// - a line of `FAKE_DATAX_LONG` `x`s, if set;
/// - with `FAKE_DATAX_SUMMARY` set, [`FAKE_LOG`] and then, for each `;`-separated
///   `READ[,FAILED]`, DataX's end-of-job statistics as JobContainer logs them (without
///   the failed line when FAILED is left out); with `FAKE_DATAX_TRICKLE` set, in 7-byte
///   pieces (splitting the labels' UTF-8) written apart;
/// - with `FAKE_DATAX_SLEEP`, `fake datax: sleeping`, and on SIGTERM
///   `fake datax: got SIGTERM`, exiting with `FAKE_DATAX_TERM_EXIT` (143 if unset).
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

def emit(data):
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()

LOG = (
    "2024-03-05 01:00:00.101 [main] INFO  Engine - the machine info  => \n"
    "2024-03-05 01:00:00.202 [job-0] INFO  JobContainer - DataX jobContainer starts job.\n"
    "2024-03-05 01:00:10.303 [job-0] INFO  StandAloneJobContainerCommunicator - Total 12345 records, "
    "98765 bytes | Speed 9.65KB/s, 1234 records/s | Error 0 records, 0 bytes | Percentage 100.00%\n"
)

def statistics(read, failed):
    rows = [
        ("任务启动时刻", "%-18s" % "2024-03-05 01:00:00"),
        ("任务结束时刻", "%-18s" % "2024-03-05 01:00:10"),
        ("任务总计耗时", "%19s" % "10s"),
        ("任务平均流量", "%19s" % "9.65KB/s"),
        ("记录写入速度", "%19s" % "1234rec/s"),
        ("读出记录总数", "%19s" % read),
    ]
    if failed is not None:
        rows.append(("读写失败总数", "%19s" % failed))
    block = "".join("%-26s: %s\n" % row for row in rows)
    return "2024-03-05 01:00:10.404 [job-0] INFO  JobContainer - \n" + block + "\n"

emit(bytes.fromhex(os.environ.get("FAKE_DATAX_RAW", "")))
if os.environ.get("FAKE_DATAX_LONG"):
    emit(b"x" * int(os.environ["FAKE_DATAX_LONG"]) + b"\n")
summary = os.environ.get("FAKE_DATAX_SUMMARY")
if summary is not None:
    emit(LOG.encode("utf-8"))
    for block in summary.split(";"):
        read, _, failed = block.partition(",")
        data = statistics(read, failed or None).encode("utf-8")
        if os.environ.get("FAKE_DATAX_TRICKLE"):
            for start in range(0, len(data), 7):
                emit(data[start:start + 7])
                time.sleep(0.002)
        else:
            emit(data)

if os.environ.get("FAKE_DATAX_SLEEP"):
    def on_term(signum, _frame):
        with open(os.path.join(out, "got-signal"), "w") as file:
            file.write(str(signum))
        emit(b"fake datax: got SIGTERM\n")
        sys.exit(int(os.environ.get("FAKE_DATAX_TERM_EXIT", "143")))
    signal.signal(signal.SIGTERM, on_term)
    emit(b"fake datax: sleeping\n")
    open(os.path.join(out, "started"), "w").close()
    time.sleep(60)
    sys.exit(0)

sys.exit(int(os.environ.get("FAKE_DATAX_EXIT", "0")))
"#;

/// The log lines the fake DataX prints before its statistics.
const FAKE_LOG: &str = "2024-03-05 01:00:00.101 [main] INFO  Engine - the machine info  => \n\
2024-03-05 01:00:00.202 [job-0] INFO  JobContainer - DataX jobContainer starts job.\n\
2024-03-05 01:00:10.303 [job-0] INFO  StandAloneJobContainerCommunicator - Total 12345 records, \
98765 bytes | Speed 9.65KB/s, 1234 records/s | Error 0 records, 0 bytes | Percentage 100.00%\n";

/// DataX's end-of-job statistics as the fake prints them, written out by hand: each
/// label padded to 26 characters, `: `, the value right-aligned in 19 (the dates
/// left-aligned in 18), after a log line and followed by an empty line.
fn statistics(read: &str, failed: Option<&str>) -> String {
    let mut block = String::from("2024-03-05 01:00:10.404 [job-0] INFO  JobContainer - \n");
    block.push_str("任务启动时刻                    : 2024-03-05 01:00:00\n");
    block.push_str("任务结束时刻                    : 2024-03-05 01:00:10\n");
    block.push_str("任务总计耗时                    :                 10s\n");
    block.push_str("任务平均流量                    :            9.65KB/s\n");
    block.push_str("记录写入速度                    :           1234rec/s\n");
    writeln!(block, "读出记录总数                    : {read:>19}").expect("a String takes it");
    if let Some(failed) = failed {
        writeln!(block, "读写失败总数                    : {failed:>19}").expect("a String takes it");
    }
    block.push('\n');
    block
}

/// The launcher's last line when DataX printed no read count.
const NO_COUNT: &str = "flowc_datax: DataX printed no record count";

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
        for name in [
            "FAKE_DATAX_EXIT",
            "FAKE_DATAX_SLEEP",
            "FAKE_DATAX_TERM_EXIT",
            "FAKE_DATAX_SUMMARY",
            "FAKE_DATAX_TRICKLE",
            "FAKE_DATAX_RAW",
            "FAKE_DATAX_LONG",
        ] {
            command.env_remove(name);
        }
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

/// Sends SIGTERM to the launcher and waits (at most [`TIMEOUT`]) for it to end.
fn terminate(launcher: &mut std::process::Child) -> std::process::ExitStatus {
    let kill = Command::new("kill")
        .args(["-TERM", &launcher.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success(), "kill -TERM the launcher");
    let killed = Instant::now();
    loop {
        if let Some(status) = launcher.try_wait().expect("launcher status") {
            return status;
        }
        if killed.elapsed() > TIMEOUT {
            launcher.kill().expect("launcher is killed");
            panic!("the launcher did not end after SIGTERM");
        }
        thread::sleep(Duration::from_millis(20));
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

/// The last line of `stdout`, without its line break.
fn last_line(stdout: &[u8]) -> String {
    let stdout = text(stdout);
    let stdout = stdout
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("stdout ends with a line break: {stdout:?}"));
    stdout.rsplit('\n').next().unwrap_or_default().to_owned()
}

/// Runs the launcher on a plain job with `env` for the fake DataX.
fn run_plain(env: &[(&str, &str)]) -> (Sandbox, Output) {
    let sandbox = Sandbox::new();
    sandbox.write_job(&json!({"job": {"content": [{"reader": {"parameter": {"password": "${env:FLOWC_T_PASS}"}}}]}}));
    let mut all = vec![("FLOWC_T_PASS", "secret")];
    all.extend_from_slice(env);
    let output = sandbox.run(&all);
    (sandbox, output)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut hex, byte| {
        write!(hex, "{byte:02x}").expect("a String takes it");
        hex
    })
}

#[test]
fn the_commands_stdout_passes_through_then_the_read_count_is_the_last_line() {
    let (sandbox, output) = run_plain(&[("FAKE_DATAX_SUMMARY", "12345,2")]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_eq!(
        stdout,
        format!(
            "{FAKE_LOG}{}flowc_datax: DataX read 12345 records, 2 failed\n12345\n",
            statistics("12345", Some("2"))
        )
    );
    // DataX's own layout: the label padded to 26 characters, `: `, the count in 19.
    for line in [
        "读出记录总数                    :               12345",
        "读写失败总数                    :                   2",
    ] {
        assert_eq!(stdout.lines().filter(|l| *l == line).count(), 1, "{line:?} in {stdout}");
    }
    assert_eq!(last_line(&output.stdout), "12345");
    assert_eq!(text(&output.stderr), "", "the launcher reports on stdout only");
    sandbox.assert_temp_is_empty();
}

#[test]
fn without_a_summary_the_last_line_says_so() {
    // Lines that only look like the summary: a log prefix, no number, a signed or
    // decimal number, a non-ASCII digit, a failed count alone.
    let decoys = "2024-03-05 01:00:10.404 [job-0] INFO  JobContainer - 读出记录总数 : 999\n\
                  读出记录总数                    :                    \n\
                  读出记录总数                    :                  -5\n\
                  读出记录总数                    :                 7.5\n\
                  读出记录总数                    :                  ٣\n\
                  读出记录总数                    :               12 rec\n\
                  读写失败总数                    :                   4\n";
    let (_sandbox, output) = run_plain(&[("FAKE_DATAX_RAW", &hex(decoys.as_bytes()))]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    assert_eq!(text(&output.stdout), format!("{decoys}{NO_COUNT}\n"));
    assert_eq!(last_line(&output.stdout), NO_COUNT);

    let (_sandbox, output) = run_plain(&[]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!("{NO_COUNT}\n"),
        "a command that prints nothing"
    );
}

#[test]
fn the_last_summary_wins_and_a_missing_failed_count_is_0() {
    let (_sandbox, output) = run_plain(&[("FAKE_DATAX_SUMMARY", "777,5;12345")]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!(
            "{FAKE_LOG}{}{}flowc_datax: DataX read 12345 records, 0 failed\n12345\n",
            statistics("777", Some("5")),
            statistics("12345", None)
        )
    );

    // A count of 0 is a count; the failed count of the earlier summary is not kept.
    let (_sandbox, output) = run_plain(&[("FAKE_DATAX_SUMMARY", "777,5;0")]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!(
            "{FAKE_LOG}{}{}flowc_datax: DataX read 0 records, 0 failed\n0\n",
            statistics("777", Some("5")),
            statistics("0", None)
        )
    );
}

#[test]
fn summary_lines_split_across_reads_are_found() {
    let (_sandbox, output) = run_plain(&[("FAKE_DATAX_SUMMARY", "12000000,0"), ("FAKE_DATAX_TRICKLE", "1")]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!(
            "{FAKE_LOG}{}flowc_datax: DataX read 12000000 records, 0 failed\n12000000\n",
            statistics("12000000", Some("0"))
        )
    );
}

#[test]
fn a_long_line_passes_through_and_the_summary_after_it_is_found() {
    let long = 1_000_000;
    let (_sandbox, output) = run_plain(&[
        ("FAKE_DATAX_LONG", &long.to_string()),
        ("FAKE_DATAX_SUMMARY", "12345,2"),
    ]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    let mut expected = vec![b'x'; long];
    expected.push(b'\n');
    expected.extend_from_slice(FAKE_LOG.as_bytes());
    expected.extend_from_slice(statistics("12345", Some("2")).as_bytes());
    expected.extend_from_slice(b"flowc_datax: DataX read 12345 records, 2 failed\n12345\n");
    assert!(
        output.stdout == expected,
        "stdout differs ({} bytes)",
        output.stdout.len()
    );
}

#[test]
fn a_failing_command_prints_no_count() {
    let (sandbox, output) = run_plain(&[("FAKE_DATAX_SUMMARY", "12345,2"), ("FAKE_DATAX_EXIT", "3")]);
    assert_eq!(code(&output), Some(3), "stderr: {}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!("{FAKE_LOG}{}", statistics("12345", Some("2"))),
        "the command's output and nothing else"
    );
    sandbox.assert_temp_is_empty();
}

#[test]
fn non_utf8_output_passes_through_byte_for_byte() {
    let raw: &[u8] = b"caf\xe9 \xff\xfe\x80\x00 \xe6\x95\xb0\xe6\x8d\xae \xe6\x95\r\n\x1b[31mred\x1b[0m\n\xc3\n";
    let (_sandbox, output) = run_plain(&[("FAKE_DATAX_RAW", &hex(raw)), ("FAKE_DATAX_SUMMARY", "12345,2")]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    let mut expected = raw.to_vec();
    expected.extend_from_slice(FAKE_LOG.as_bytes());
    expected.extend_from_slice(statistics("12345", Some("2")).as_bytes());
    expected.extend_from_slice(b"flowc_datax: DataX read 12345 records, 2 failed\n12345\n");
    assert_eq!(output.stdout, expected);

    // Output without a final line break gets one before the launcher's line.
    let raw: &[u8] = b"\xff\xfe no line break \xe6\x95";
    let (_sandbox, output) = run_plain(&[("FAKE_DATAX_RAW", &hex(raw))]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    let mut expected = raw.to_vec();
    expected.push(b'\n');
    expected.extend_from_slice(NO_COUNT.as_bytes());
    expected.push(b'\n');
    assert_eq!(output.stdout, expected);
}

#[test]
fn stdout_streams_while_the_command_runs_and_a_signal_prints_no_count() {
    // The command exits 0 after SIGTERM: the launcher still exits 143 and, having
    // drained what the command printed in its handler, prints no count.
    let sandbox = Sandbox::new();
    sandbox.write_job(&json!({"job": {"content": [{"reader": {"parameter": {"password": "${env:FLOWC_T_PASS}"}}}]}}));
    let mut launcher = sandbox
        .launcher_with_fake(&[
            ("FLOWC_T_PASS", "secret"),
            ("FAKE_DATAX_SLEEP", "1"),
            ("FAKE_DATAX_TERM_EXIT", "0"),
            ("FAKE_DATAX_SUMMARY", "12345,2"),
        ])
        .spawn()
        .expect("launcher starts");
    let mut stdout = launcher.stdout.take().expect("stdout is piped");
    let (sender, received) = mpsc::channel::<Vec<u8>>();
    let reader = thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        loop {
            match stdout.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if sender.send(buffer[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });

    let sleeping = format!("{FAKE_LOG}{}fake datax: sleeping\n", statistics("12345", Some("2")));
    let mut seen = Vec::new();
    let started = Instant::now();
    while seen != sleeping.as_bytes() {
        assert!(
            sleeping.as_bytes().starts_with(&seen),
            "unexpected output: {:?}",
            text(&seen)
        );
        match received.recv_timeout(Duration::from_millis(50)) {
            Ok(chunk) => seen.extend(chunk),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("stdout closed early: {:?}", text(&seen)),
        }
        if started.elapsed() > TIMEOUT {
            launcher.kill().expect("launcher is killed");
            panic!("the command's output did not stream: {:?}", text(&seen));
        }
    }
    assert!(
        launcher.try_wait().expect("launcher status").is_none(),
        "the output arrived while the command runs"
    );

    let status = terminate(&mut launcher);
    reader.join().expect("reader thread");
    seen.extend(received.try_iter().flatten());
    assert_eq!(status.code(), Some(143), "128 + SIGTERM although the command exited 0");
    assert_eq!(
        fs::read_to_string(sandbox.out("got-signal")).expect("the command got a signal"),
        "15"
    );
    assert_eq!(text(&seen), format!("{sleeping}fake datax: got SIGTERM\n"));
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
