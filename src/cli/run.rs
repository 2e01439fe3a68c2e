//! `flowc run`: one task, or a flow's tasks, once, for one business date, through
//! the environment's runners (see [`crate::execute`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Days, NaiveDate};

use super::{Outcome, Printer, open_tree, repository_above};
use crate::Error;
use crate::compiler::{CompileRequest, Compiled, compile, environments};
use crate::dags::{Dag, DagTask, RunDate};
use crate::execute::process::{self, Stream};
use crate::execute::{self, RunError, RunInput, RunRequest, Step, Work};
use crate::model::{Environment, Repository};
use crate::render::CompiledEnvironment;

/// Arguments of `flowc run`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when every task succeeded; the exit status of the first task that failed \
(a strong quality check that failed included); 1 when the repository has errors; 2 when flowc cannot run what \
was asked (unknown flow or task, a production environment without --allow-prod, a runner not installed, \
credentials not set)."
)]
pub(crate) struct RunArgs {
    /// The repository (a folder holding flowc.yaml); may be left out before FLOW.
    #[arg(value_name = "REPO", default_value = ".")]
    pub(crate) repo: PathBuf,
    /// `flow` (every task of the flow, in dependency order) or `flow.task`.
    #[arg(value_name = "FLOW[.TASK]")]
    pub(crate) target: Option<String>,
    /// The business date, `${bizdate}`: the local date, in the flow's time zone, of the
    /// run's data interval start. Default: yesterday in the flow's time zone.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub(crate) date: Option<NaiveDate>,
    /// The environment whose DAG is run (its databases, connections, runners).
    /// Default: the one environment other than prod, when there is one.
    #[arg(long, value_name = "ENV")]
    pub(crate) env: Option<String>,
    /// Print every command and the files it runs (rendered SQL, DataX job) instead of
    /// running them; needs no Spark. Credentials are shown by variable name only.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// After each task, run its data quality checks and print `pass`, `warn` or `fail`
    /// with each rule; a strong rule that fails stops the run.
    #[arg(long)]
    pub(crate) with_checks: bool,
    /// Allow a run in `prod`, which writes production tables.
    #[arg(long)]
    pub(crate) allow_prod: bool,
}

/// `YYYY-MM-DD`.
fn parse_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|error| format!("`{text}` is not a date of the form YYYY-MM-DD ({error})"))
}

/// The folder the files of a dry run are shown under.
const DRY_RUN_DIR: &str = "<run>";

/// Runs `flowc run`.
pub(crate) fn run(args: &RunArgs, printer: &Printer) -> Result<Outcome, Error> {
    if args.target.is_none() && args.repo == Path::new(".") {
        printer.err("error: name the flow to run: flowc run [REPO] FLOW[.TASK]\n");
        return Ok(Outcome::Exit(2));
    }
    // `flowc run FLOW`: the one positional given is the target.
    let (repo, target) = match &args.target {
        Some(target) => (args.repo.clone(), target.clone()),
        None => (
            repository_above(Path::new(".")).unwrap_or_else(|| PathBuf::from(".")),
            args.repo.display().to_string(),
        ),
    };
    let (flow, task) = match target.split_once('.') {
        Some((flow, task)) => (flow.to_owned(), Some(task.to_owned())),
        None => (target.clone(), None),
    };
    let tree = open_tree(&repo, None)?;
    let request = CompileRequest {
        environments: args.env.iter().cloned().collect(),
        airflow_version: None,
    };
    let (report, compiled) = match compile(tree.as_ref(), &request)? {
        Compiled::Done { report, environments } => (report, environments),
        Compiled::CheckFailed { report } => {
            printer.diagnostics(&report.diagnostics, &report.sources);
            printer.err("run stopped: the repository has errors\n");
            return Ok(Outcome::InputErrors);
        }
        Compiled::RenderFailed { report, diagnostics } => {
            printer.diagnostics(&report.diagnostics, &report.sources);
            printer.diagnostics(&diagnostics, &report.sources);
            printer.err("run stopped: the repository does not render\n");
            return Ok(Outcome::InputErrors);
        }
    };
    let Some(repository) = report.repository.as_ref() else {
        return Err(Error::Internal("a compile without a repository".to_owned()));
    };
    let Some(compiled) = choose_environment(repository, &compiled, args.env.as_deref(), printer)? else {
        return Ok(Outcome::Exit(2));
    };
    let Some(environment) = repository.project.environments.get(&compiled.name) else {
        return Err(Error::Internal(format!(
            "environment `{}` was compiled but not declared",
            compiled.name
        )));
    };
    let request = RunRequest {
        flow,
        task,
        date: NaiveDate::MIN,
        with_checks: args.with_checks,
    };
    match run_environment(repository, compiled, environment, request, args, printer) {
        Ok(outcome) => Ok(outcome),
        Err(error) => {
            printer.err(&format!("error: {error}\n"));
            Ok(Outcome::Exit(2))
        }
    }
}

/// The compiled environment `--env` names, or the only one other than prod.
fn choose_environment<'a>(
    repository: &Repository,
    compiled: &'a [CompiledEnvironment],
    asked: Option<&str>,
    printer: &Printer,
) -> Result<Option<&'a CompiledEnvironment>, Error> {
    let name = if let Some(name) = asked {
        name.to_owned()
    } else {
        let others: Vec<&str> = environments(repository, &[])?
            .into_iter()
            .filter(|e| !e.is_production())
            .map(|e| e.name.as_str())
            .collect();
        let [only] = others.as_slice() else {
            printer.err(&format!(
                "error: name the environment to run in with --env: {}\n",
                others.join(", ")
            ));
            return Ok(None);
        };
        (*only).to_owned()
    };
    Ok(compiled.iter().find(|c| c.name == name))
}

/// Runs (or prints) the steps of `request` in `compiled`.
fn run_environment(
    repository: &Repository,
    compiled: &CompiledEnvironment,
    environment: &Environment,
    mut request: RunRequest,
    args: &RunArgs,
    printer: &Printer,
) -> Result<Outcome, RunError> {
    if environment.is_production() && !args.allow_prod {
        return Err(RunError::ProductionRefused(compiled.name.clone()));
    }
    let (dag, tasks) = execute::select(&compiled.dags, &request)?;
    let zone = repository
        .flows
        .iter()
        .find(|f| f.id.as_str() == dag.flow)
        .map(|f| f.timezone);
    request.date = args.date.unwrap_or_else(|| yesterday(zone.map_or("UTC", |z| z.name())));
    let Some(run) = execute::run_date_of(repository, dag, request.date) else {
        return Err(RunError::UnknownFlow {
            name: request.flow.clone(),
            suggestion: String::new(),
        });
    };
    let runners = repository.project.runners.overridden_by(&environment.runners);
    let temp = if args.dry_run {
        None
    } else {
        Some(
            tempfile::Builder::new()
                .prefix("flowc-run-")
                .tempdir()
                .map_err(|source| RunError::Io {
                    action: "create a temporary folder".to_owned(),
                    source,
                })?,
        )
    };
    let run_dir = temp
        .as_ref()
        .map_or_else(|| DRY_RUN_DIR.to_owned(), |t| t.path().display().to_string());
    let input = RunInput {
        repository,
        environment,
        files: &compiled.files,
        runners: &runners,
        run_dir: &run_dir,
        params: &BTreeMap::new(),
    };
    printer.out(&format!(
        "{} `{}` in {} for business date {} (data interval {} to {}, run id {})\n",
        if args.dry_run { "dry run of" } else { "running" },
        request
            .task
            .as_ref()
            .map_or_else(|| request.flow.clone(), |t| format!("{}.{t}", request.flow)),
        compiled.name,
        run.bizdate,
        run.logical_date.format("%Y-%m-%dT%H:%M:%S%:z"),
        run.data_interval_end.format("%Y-%m-%dT%H:%M:%S%:z"),
        crate::render::airflow_context::RunContext::run_id_of(&run),
    ));
    if temp.is_some() {
        write_support_files(&compiled.files, &run_dir)?;
    }
    let runner = Runner {
        input: &input,
        dag,
        run: &run,
        args,
        printer,
        progress: printer.err_is_terminal(),
    };
    runner.run_all(&tasks)
}

/// Yesterday in time zone `zone` (an IANA name).
fn yesterday(zone: &str) -> NaiveDate {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let zone: chrono_tz::Tz = zone.parse().unwrap_or(chrono_tz::Tz::UTC);
    let today = DateTime::from_timestamp(now, 0).map_or(NaiveDate::MIN, |t| t.with_timezone(&zone).date_naive());
    today.checked_sub_days(Days::new(1)).unwrap_or(today)
}

/// The compiled files a run needs besides its SQL: DataX jobs and the launcher, ml
/// applications.
fn write_support_files(files: &BTreeMap<String, Vec<u8>>, run_dir: &str) -> Result<(), RunError> {
    for (path, bytes) in files {
        if !(path.starts_with("datax/") || path.starts_with("apps/")) {
            continue;
        }
        let target = Path::new(run_dir).join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(|source| RunError::Io {
                action: format!("create `{}`", parent.display()),
                source,
            })?;
        }
        std::fs::write(&target, bytes).map_err(|source| RunError::Io {
            action: format!("write `{}`", target.display()),
            source,
        })?;
    }
    Ok(())
}

/// Runs the steps of one run, one after the other.
struct Runner<'a> {
    input: &'a RunInput<'a>,
    dag: &'a Dag,
    run: &'a RunDate,
    args: &'a RunArgs,
    printer: &'a Printer,
    /// Whether `[n/m]` progress lines go to stderr (a terminal).
    progress: bool,
}

impl Runner<'_> {
    fn run_all(&self, tasks: &[&DagTask]) -> Result<Outcome, RunError> {
        let mut xcom = BTreeMap::new();
        if !self.args.dry_run {
            // Every runner installed and every credential set before anything runs.
            for task in tasks {
                let step = execute::prepare(self.input, self.dag, task, self.run, &xcom)?;
                if let Some(invocation) = process::invocation(&step, self.input.runners, self.input.run_dir) {
                    process::preflight(&invocation, &step)?;
                }
            }
        }
        let total = tasks.len();
        let started = Instant::now();
        for (n, task) in tasks.iter().enumerate() {
            let step = execute::prepare(self.input, self.dag, task, self.run, &xcom)?;
            let counter = format!("[{}/{total}]", n + 1);
            let Some(invocation) = process::invocation(&step, self.input.runners, self.input.run_dir) else {
                if let Work::Skip(reason) = &step.work {
                    self.printer.out(&format!(
                        "{counter} {} ({}): skipped: {reason}\n",
                        step.name, step.task_type
                    ));
                }
                continue;
            };
            if self.args.dry_run {
                self.print_dry_run(&counter, &step, &invocation);
                continue;
            }
            if self.progress {
                self.printer.err(&format!("{counter} {} …\n", step.name));
            }
            let finished = process::run(&invocation, &|stream, line| match stream {
                Stream::Out => self.printer.out(&format!("{line}\n")),
                Stream::Err => self.printer.err(&format!("{line}\n")),
            })?;
            if let Some(line) = &finished.last_line {
                xcom.insert(step.task_id.clone(), line.clone());
            }
            if task.task_type == "quality" {
                self.report_check(task, &finished);
            }
            if self.progress {
                self.printer.err(&format!(
                    "{counter} {} {} ({:.1} s)\n",
                    step.name,
                    if finished.code == 0 { "done" } else { "failed" },
                    started.elapsed().as_secs_f64()
                ));
            }
            if finished.code != 0 {
                self.printer.err(&format!(
                    "error: {} failed with exit status {}; the run stops here\n",
                    step.name, finished.code
                ));
                return Ok(Outcome::Exit(u8::try_from(finished.code.clamp(1, 255)).unwrap_or(1)));
            }
        }
        Ok(Outcome::Clean)
    }

    /// One `pass`/`warn`/`fail` line per check.
    fn report_check(&self, task: &DagTask, finished: &process::Finished) {
        let rule = task.quality.as_ref().map_or("", |q| q.rule.as_str());
        let reported: Vec<(&str, &str)> = finished
            .quality
            .iter()
            .filter_map(|line| process::quality_result(line))
            .collect();
        match reported.last() {
            Some((verdict, rule)) => self.printer.out(&format!("{verdict} {rule}\n")),
            None if finished.code != 0 => self.printer.out(&format!("fail {}.{rule}\n", self.dag.flow)),
            None => self
                .printer
                .out(&format!("pass {}.{rule} (no flowc-dq line seen)\n", self.dag.flow)),
        }
    }

    fn print_dry_run(&self, counter: &str, step: &Step, invocation: &process::Invocation) {
        let mut text = format!("\n# {counter} {} ({})\n", step.name, step.task_type);
        for (name, value) in &invocation.env {
            let _ = writeln!(text, "# with {name}={value}");
        }
        if !invocation.credentials.is_empty() {
            let _ = writeln!(
                text,
                "# credentials from the environment variables {} (values not shown)",
                invocation.credentials.join(", ")
            );
        }
        let _ = writeln!(text, "$ {}", invocation.display());
        for (path, content) in &invocation.files {
            // Always one line break before the end marker, so the text between the
            // markers is the file and that break.
            let _ = write!(text, "----- {path}\n{content}\n----- end of {path}\n");
        }
        self.printer.out(&text);
    }
}
