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
//!
//! This file holds the fake and the sandbox; the tests are in `job` (resolving and
//! running the job) and `output` (what the launcher prints).

mod job;
mod output;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::support::repo_root;

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
    repo_root().join("runtime/flowc_datax.py")
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
