//! A [`Step`] as a command line, and running it: the files it needs written into the
//! run folder, its output streamed line by line, its exit code and what a quality
//! check reported.
//!
//! A sparksql step runs the way Airflow's `SparkSqlHook` builds `spark-sql`:
//! `--conf k=v` for each Spark conf, `--name`, `--queue`, and the rendered SQL
//! written to a file given with `-f`. An ml step runs `spark-submit` like
//! `SparkSubmitHook`; a sync step runs its `bash_command` with bash, as a
//! `BashOperator` does.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::{RunError, Step, Work};
use crate::model::Runners;

/// Where a line of a runner's output came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Its standard output.
    Out,
    /// Its standard error.
    Err,
}

/// A command to start: a program, its arguments, the files written for it first and
/// the environment variables set for it.
#[derive(Clone, Debug, Default)]
pub struct Invocation {
    /// The program.
    pub program: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Files to write first: path → text.
    pub files: BTreeMap<String, String>,
    /// Variables set for it (not secrets: `DATAX_HOME`).
    pub env: BTreeMap<String, String>,
    /// Variables it reads credentials from, which must be set.
    pub credentials: Vec<String>,
    /// How to configure the program when it is missing.
    pub runner_key: &'static str,
}

impl Invocation {
    /// The command as one shell-quoted line, for `--dry-run` and messages.
    pub fn display(&self) -> String {
        std::iter::once(&self.program)
            .chain(&self.args)
            .map(|word| quote(word))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// `word` quoted for a POSIX shell where it needs it.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%<>".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

/// The command line of `step`, its files under `run_dir`; `None` for a skipped step.
pub fn invocation(step: &Step, runners: &Runners, run_dir: &str) -> Option<Invocation> {
    let split = |command: &str| -> (String, Vec<String>) {
        let mut words = command.split_whitespace().map(str::to_owned);
        (words.next().unwrap_or_default(), words.collect())
    };
    match &step.work {
        Work::SparkSql { sql, conf, queue, name } => {
            let (program, mut args) = split(runners.spark_sql());
            for (key, value) in conf {
                args.extend(["--conf".to_owned(), format!("{key}={value}")]);
            }
            let file = format!("{run_dir}/sql/{}.sql", step.name.replacen('.', "/", 1));
            args.extend(["-f".to_owned(), file.clone(), "--name".to_owned(), name.clone()]);
            if !queue.is_empty() {
                args.extend(["--queue".to_owned(), queue.clone()]);
            }
            Some(Invocation {
                program,
                args,
                files: BTreeMap::from([(file, sql.clone())]),
                runner_key: "spark_sql",
                ..Invocation::default()
            })
        }
        Work::SparkSubmit {
            application,
            java_class,
            args: app_args,
            conf,
            name,
        } => {
            let (program, mut args) = split(runners.spark_submit());
            for (key, value) in conf {
                args.extend(["--conf".to_owned(), format!("{key}={value}")]);
            }
            args.extend(["--name".to_owned(), name.clone()]);
            if let Some(class) = java_class {
                args.extend(["--class".to_owned(), class.clone()]);
            }
            args.push(application.clone());
            args.extend(app_args.iter().cloned());
            Some(Invocation {
                program,
                args,
                runner_key: "spark_submit",
                ..Invocation::default()
            })
        }
        Work::DataX {
            command,
            job,
            credentials,
        } => Some(Invocation {
            program: "bash".to_owned(),
            args: vec!["-c".to_owned(), command.clone()],
            files: BTreeMap::from([(format!("{run_dir}/{}", job.0), job.1.clone())]),
            env: runners
                .datax_home
                .iter()
                .map(|home| ("DATAX_HOME".to_owned(), home.clone()))
                .collect(),
            credentials: credentials.clone(),
            runner_key: "datax",
        }),
        Work::Skip(_) => None,
    }
}

/// How a step ended.
#[derive(Clone, Debug, Default)]
pub struct Finished {
    /// The exit code (128 + N when killed by signal N).
    pub code: i32,
    /// The last line of its standard output (a `BashOperator`'s XCom).
    pub last_line: Option<String>,
    /// `flowc-dq` lines it printed (standard output or error).
    pub quality: Vec<String>,
}

/// Checks that `invocation` can start: its program is installed, its credentials
/// set.
pub fn preflight(invocation: &Invocation, step: &Step) -> Result<(), RunError> {
    let missing: Vec<String> = invocation
        .credentials
        .iter()
        .filter(|name| std::env::var_os(name).is_none_or(|v| v.is_empty()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(RunError::MissingCredentials {
            task: step.name.clone(),
            names: missing,
        });
    }
    if invocation.runner_key == "datax" {
        datax_preflight(invocation)?;
    }
    if find_program(&invocation.program).is_none() {
        let what = match invocation.runner_key {
            "spark_sql" | "spark_submit" => "install Spark and put its bin/ on PATH",
            _ => "install it",
        };
        return Err(RunError::MissingRunner {
            program: invocation.program.clone(),
            help: format!(
                "{what}, or set `runners.{}` in flowc.yaml (for all environments, or under `environments.<env>.runners`)",
                invocation.runner_key
            ),
        });
    }
    Ok(())
}

/// What a sync step needs besides bash: `python3` for the launcher, and `DATAX_HOME`
/// when its DataX command reads it.
fn datax_preflight(invocation: &Invocation) -> Result<(), RunError> {
    if find_program("python3").is_none() {
        return Err(RunError::MissingRunner {
            program: "python3".to_owned(),
            help: "install Python 3: flowc's DataX launcher (flowc_datax.py) runs on it".to_owned(),
        });
    }
    let reads_home = invocation.args.iter().any(|arg| arg.contains("${DATAX_HOME}"));
    let home_set = invocation.env.contains_key("DATAX_HOME")
        || std::env::var_os("DATAX_HOME").is_some_and(|home| !home.is_empty());
    if reads_home && !home_set {
        return Err(RunError::MissingRunner {
            program: "DataX".to_owned(),
            help: "its command reads DATAX_HOME, which is not set: export DATAX_HOME, or set `runners.datax_home` (or `runners.datax`) in flowc.yaml".to_owned(),
        });
    }
    Ok(())
}

/// The program's path: as given when it names a folder, else found on `PATH`.
fn find_program(program: &str) -> Option<PathBuf> {
    if program.is_empty() {
        return None;
    }
    if program.contains('/') {
        return Path::new(program).is_file().then(|| PathBuf::from(program));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// Writes the files of `invocation`, runs it and streams each line of its output to
/// `line`.
pub fn run(invocation: &Invocation, line: &(dyn Fn(Stream, &str) + Sync)) -> Result<Finished, RunError> {
    for (path, text) in &invocation.files {
        let path = Path::new(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| io(format!("create `{}`", parent.display()), source))?;
        }
        std::fs::write(path, text).map_err(|source| io(format!("write `{}`", path.display()), source))?;
    }
    let mut child = Command::new(&invocation.program)
        .args(&invocation.args)
        .envs(&invocation.env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| io(format!("start `{}`", invocation.program), source))?;
    let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
    let (out, err) = std::thread::scope(|scope| {
        let out = scope.spawn(|| copy(stdout, Stream::Out, line));
        let err = copy(stderr, Stream::Err, line);
        (out.join().unwrap_or_default(), err)
    });
    let status = child
        .wait()
        .map_err(|source| io(format!("wait for `{}`", invocation.program), source))?;
    let code = status.code().unwrap_or_else(|| signal_code(status));
    let mut quality = out.quality;
    quality.extend(err.quality);
    Ok(Finished {
        code,
        last_line: out.last_line,
        quality,
    })
}

#[cfg(unix)]
fn signal_code(status: std::process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    status.signal().map_or(1, |signal| 128 + signal)
}

#[cfg(not(unix))]
fn signal_code(_: std::process::ExitStatus) -> i32 {
    1
}

fn io(action: String, source: std::io::Error) -> RunError {
    RunError::Io { action, source }
}

/// What one output stream held.
#[derive(Default)]
struct Copied {
    last_line: Option<String>,
    quality: Vec<String>,
}

/// Copies `stream` line by line to `line`, keeping its last line and its `flowc-dq`
/// lines.
fn copy(stream: Option<impl Read>, which: Stream, line: &(dyn Fn(Stream, &str) + Sync)) -> Copied {
    let mut copied = Copied::default();
    let Some(stream) = stream else {
        return copied;
    };
    let mut reader = BufReader::new(stream);
    let mut buffer = Vec::new();
    while reader.read_until(b'\n', &mut buffer).is_ok_and(|n| n > 0) {
        let text = String::from_utf8_lossy(&buffer);
        let text = text.trim_end_matches(['\n', '\r']);
        line(which, text);
        if let Some(at) = text.find("flowc-dq ") {
            copied.quality.push(text[at..].to_owned());
        }
        copied.last_line = Some(text.to_owned());
        buffer.clear();
    }
    copied
}

/// A check's result from its `flowc-dq` line: (`pass`, `warn` or `fail`, the rule).
pub fn quality_result(line: &str) -> Option<(&'static str, &str)> {
    let rest = line.strip_prefix("flowc-dq ")?;
    let (word, rest) = rest.split_once(' ')?;
    let verdict = match word {
        "PASS" => "pass",
        "WARN" => "warn",
        "FAIL" => "fail",
        _ => return None,
    };
    let rule = rest
        .split_whitespace()
        .find_map(|part| part.strip_prefix("rule="))
        .unwrap_or(rest);
    Some((verdict, rule))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spark_sql_is_called_like_the_hook_calls_it() {
        let step = Step {
            name: "payments.dwd_pay_order".into(),
            task_id: "dwd_pay_order".into(),
            task_type: "sparksql",
            work: Work::SparkSql {
                sql: "SELECT 1".into(),
                conf: BTreeMap::from([("spark.executor.memory".into(), "8g".into())]),
                queue: "root.dev".into(),
                name: "dev__payments.dwd_pay_order".into(),
            },
        };
        let runners = Runners {
            spark_sql: Some("bin/spark-sql --master thrift://h:1".into()),
            ..Runners::default()
        };
        let invocation = invocation(&step, &runners, "/run").unwrap_or_default();
        assert_eq!(
            invocation.display(),
            "bin/spark-sql --master thrift://h:1 --conf spark.executor.memory=8g -f /run/sql/payments/dwd_pay_order.sql --name dev__payments.dwd_pay_order --queue root.dev"
        );
        assert_eq!(
            invocation
                .files
                .get("/run/sql/payments/dwd_pay_order.sql")
                .map(String::as_str),
            Some("SELECT 1")
        );
    }

    #[test]
    fn quality_lines_give_verdict_and_rule() {
        let line = "flowc-dq WARN rule=payments.fee table=dwd.t partition=dt=2024-03-05 severity=weak observed=3";
        assert_eq!(quality_result(line), Some(("warn", "payments.fee")));
        assert_eq!(quality_result("flowc-dq MAYBE x"), None);
        assert_eq!(quote("it's"), "'it'\\''s'");
    }
}
