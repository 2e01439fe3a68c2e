//! `flowc test`: the repository's unit tests (`flows/<flow>/tests/*.yaml`) run on a
//! local Spark, each in its own databases.

use super::sql_cache::RepoCache;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::ValueEnum;

use super::test_report::{self, Finished};
use super::{Outcome, Printer, open_tree, repository_above};
use crate::Error;
use crate::compiler::{CheckReport, Unobserved, check, environments};
use crate::execute::spark::{LocalSpark, SparkOptions};
use crate::execute::unit_test::{self, SqlSession, TestOutcome, Verdict};
use crate::load::{FileSource, GitTree};
use crate::model::{Environment, Repository, TestRows};
use crate::plan::{DEFAULT_ENVIRONMENT, PlanOutcome, plan_revisions};
use crate::unit_tests::{CheckedTest, csv_path};

/// Arguments of `flowc test`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Exit status: 0 when every test passed (or none was selected); 1 when the repository has \
errors or a test failed; 2 when flowc cannot run the tests (no Java or pyspark, unknown FLOW or TASK, a bad --base)."
)]
pub(crate) struct TestArgs {
    /// The repository (a folder holding flowc.yaml); may be left out before FLOW.
    #[arg(value_name = "REPO", default_value = ".")]
    pub(crate) repo: PathBuf,
    /// Run only the tests of these flows (`flow`), tasks (`flow.task`) or the tests
    /// named (`flow.task.test`).
    #[arg(value_name = "FLOW[.TASK[.TEST]]")]
    pub(crate) targets: Vec<String>,
    /// Run only the tests of tasks whose output the change since --base can affect
    /// (the changed tasks and everything downstream, as `flowc plan` computes it),
    /// and the tests whose files changed.
    #[arg(long, requires = "base")]
    pub(crate) changed: bool,
    /// The revision the change is compared with (`main`, `origin/main`, a commit).
    #[arg(long, value_name = "REF")]
    pub(crate) base: Option<String>,
    /// The environment whose settings the tasks run with (`${env}`, connections);
    /// tables are always the test's own. Default: the one environment other than
    /// prod, when there is one, else prod.
    #[arg(long, value_name = "ENV")]
    pub(crate) env: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = TestFormat::Human)]
    pub(crate) format: TestFormat,
    /// A running local Spark to use (`HOST:PORT`, as `scripts/local-spark.sh` prints
    /// it) instead of starting one; default: $FLOWC_SPARK.
    #[arg(long, value_name = "HOST:PORT")]
    pub(crate) spark: Option<String>,
    /// The Python whose pyspark starts the local Spark; default: $FLOWC_PYTHON, else
    /// python3.
    #[arg(long, value_name = "PATH")]
    pub(crate) python: Option<PathBuf>,
    /// Tests run at once, each on its own connection to the one Spark.
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub(crate) jobs: usize,
}

/// Output formats of `flowc test`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TestFormat {
    /// One line per test, then each failure with its diff, on stdout.
    Human,
    /// One JSON document on stdout.
    Json,
    /// JUnit XML on stdout, for CI systems' test reports.
    Junit,
    /// GitHub Actions `::error file=…,line=…::` annotations, and the human report.
    Github,
}

/// Runs `flowc test`.
pub(crate) fn run(args: &TestArgs, printer: &Printer) -> Result<Outcome, Error> {
    let (repo, targets) = repo_and_targets(args);
    let tree = open_tree(&repo, None)?;
    let report = check(tree.as_ref())?;
    if report.diagnostics.has_errors() {
        printer.diagnostics(&report.diagnostics, &report.sources);
        printer.err(&format!(
            "error: the repository has {} error(s); flowc test runs once `flowc check` passes\n",
            report.diagnostics.error_count()
        ));
        return Ok(Outcome::InputErrors);
    }
    let Some(repository) = report.repository.as_ref() else {
        return Ok(Outcome::InputErrors);
    };
    let Some(environment) = base_environment(repository, args.env.as_deref(), printer)? else {
        return Ok(Outcome::Exit(2));
    };
    let mut selected: Vec<&CheckedTest> = report.unit_tests.iter().collect();
    if !targets.is_empty() {
        match filter_targets(repository, &targets, selected) {
            Ok(kept) => selected = kept,
            Err(message) => {
                printer.err(&format!("error: {message}\n"));
                return Ok(Outcome::Exit(2));
            }
        }
    }
    if args.changed
        && let Some(base) = &args.base
    {
        let affected = affected_tasks(&repo, base, printer)?;
        let changed_files = changed_test_files(&repo, base, &report, tree.as_ref())?;
        selected.retain(|t| {
            affected.contains("*")
                || affected.contains(&t.task.to_string())
                || changed_files.contains(&repository.unit_tests[t.index].file)
        });
        printer.err(&format!(
            "{} test(s) of tasks the change since `{base}` can affect\n",
            selected.len()
        ));
    }
    if selected.is_empty() {
        printer.out("no tests to run\n");
        return Ok(Outcome::Clean);
    }
    Ok(run_selected(args, &repo, &report, environment, &selected, printer))
}

/// The repository and the targets: a first positional that is not a repository is a
/// target, and the repository is the one around the current folder.
fn repo_and_targets(args: &TestArgs) -> (PathBuf, Vec<String>) {
    if args.repo == Path::new(".") || args.repo.join("flowc.yaml").is_file() {
        return (args.repo.clone(), args.targets.clone());
    }
    let mut targets = vec![args.repo.display().to_string()];
    targets.extend(args.targets.iter().cloned());
    (
        repository_above(Path::new(".")).unwrap_or_else(|| PathBuf::from(".")),
        targets,
    )
}

/// `--env`, else the one environment other than prod, else prod.
fn base_environment<'a>(
    repository: &'a Repository,
    asked: Option<&str>,
    printer: &Printer,
) -> Result<Option<&'a Environment>, Error> {
    if let Some(name) = asked {
        return match environments(repository, &[name.to_owned()]) {
            Ok(found) => Ok(found.into_iter().next()),
            Err(error) => {
                printer.err(&format!("error: {error}\n"));
                Ok(None)
            }
        };
    }
    let all = environments(repository, &[])?;
    let others: Vec<&Environment> = all.iter().copied().filter(|e| !e.is_production()).collect();
    Ok(match others.as_slice() {
        [only] => Some(*only),
        _ => all.iter().copied().find(|e| e.is_production()).or(all.first().copied()),
    })
}

/// The tests of the flows, tasks and tests named (`flow`, `flow.task`,
/// `flow.task.test`); an unknown one is an error, with the names there are.
fn filter_targets<'a>(
    repository: &Repository,
    targets: &[String],
    tests: Vec<&'a CheckedTest>,
) -> Result<Vec<&'a CheckedTest>, String> {
    for target in targets {
        let mut parts = target.splitn(3, '.');
        let (flow, task, test) = (parts.next().unwrap_or_default(), parts.next(), parts.next());
        let Some(found) = repository.flows.iter().find(|f| f.id.as_str() == flow) else {
            let names = repository.flows.iter().map(|f| f.id.as_str());
            return Err(format!("no flow `{flow}`{}", suggestion(flow, names)));
        };
        if let Some(task) = task
            && !found.tasks.iter().any(|t| t.id.task() == task)
        {
            let names = found.tasks.iter().map(|t| t.id.task());
            return Err(format!("flow `{flow}` has no task `{task}`{}", suggestion(task, names)));
        }
        if let (Some(task), Some(test)) = (task, test) {
            let names = repository
                .unit_tests
                .iter()
                .filter(|t| t.flow.as_str() == flow && t.task.value == task)
                .map(|t| t.name.value.as_str());
            if !names.clone().any(|name| name == test) {
                return Err(format!(
                    "task `{flow}.{task}` has no test `{test}`{}",
                    suggestion(test, names)
                ));
            }
        }
    }
    Ok(tests
        .into_iter()
        .filter(|checked| {
            let test = &repository.unit_tests[checked.index];
            let task = checked.task.to_string();
            let full = format!("{task}.{}", test.name.value);
            targets
                .iter()
                .any(|target| *target == full || *target == task || *target == checked.task.flow().as_str())
        })
        .collect())
}

/// `; did you mean …?`, or the names there are.
fn suggestion<'a>(name: &str, names: impl Iterator<Item = &'a str> + Clone) -> String {
    let help = crate::diagnostic::suggest::did_you_mean(name, names.clone()).unwrap_or_else(|| {
        let all: Vec<&str> = names.collect();
        if all.is_empty() {
            "there are none".to_owned()
        } else {
            format!("there are: {}", all.join(", "))
        }
    });
    format!("; {help}")
}

/// The tasks whose output the change since `base` can affect: `flowc plan`'s changed
/// tasks and their downstream, in prod.
fn affected_tasks(repo: &Path, base: &str, printer: &Printer) -> Result<BTreeSet<String>, Error> {
    let cache = RepoCache::open(repo);
    let outcome = plan_revisions(repo, base, None, DEFAULT_ENVIRONMENT, &Unobserved, cache.cache());
    cache.save();
    match outcome? {
        PlanOutcome::Planned(plan) => {
            let mut tasks: BTreeSet<String> = plan
                .tasks
                .iter()
                .filter(|t| t.affects_data)
                .map(|t| t.task.clone())
                .collect();
            tasks.extend(plan.impact.iter().flat_map(|i| i.downstream_tasks.iter().cloned()));
            Ok(tasks)
        }
        PlanOutcome::Failed(failure) => {
            printer.err(&format!("warning: {}; every test is run\n", failure.headline()));
            Ok(plan_all())
        }
    }
}

/// A set that stands for every task: the base cannot be planned.
fn plan_all() -> BTreeSet<String> {
    BTreeSet::from(["*".to_owned()])
}

/// The test files (by id) that differ from `base`, or whose CSV files do.
fn changed_test_files(
    repo: &Path,
    base: &str,
    report: &CheckReport,
    tree: &dyn FileSource,
) -> Result<BTreeSet<crate::diagnostic::FileId>, Error> {
    let base_tree = GitTree::open(repo, base)?;
    let Some(repository) = report.repository.as_ref() else {
        return Ok(BTreeSet::new());
    };
    let mut changed = BTreeSet::new();
    for test in &repository.unit_tests {
        let path = report.sources.file(test.file).path();
        let mut paths = vec![path.to_owned()];
        for table in test.given.iter().chain(&test.expect) {
            if let TestRows::Csv(csv) = &table.rows {
                paths.push(csv_path(path, &csv.value));
            }
        }
        for path in paths {
            if base_tree.read(&path)? != tree.read(&path)? {
                changed.insert(test.file);
            }
        }
    }
    Ok(changed)
}

/// Plans every selected test, starts (or reaches) the Spark, runs them and reports.
fn run_selected(
    args: &TestArgs,
    repo: &Path,
    report: &CheckReport,
    environment: &Environment,
    selected: &[&CheckedTest],
    printer: &Printer,
) -> Outcome {
    let Some(repository) = report.repository.as_ref() else {
        return Outcome::InputErrors;
    };
    let options = SparkOptions {
        address: args.spark.clone().or_else(|| std::env::var("FLOWC_SPARK").ok()),
        python: args
            .python
            .clone()
            .or_else(|| std::env::var_os("FLOWC_PYTHON").map(PathBuf::from)),
    };
    let status = |line: &str| printer.err(&format!("{line}\n"));
    let spark = match LocalSpark::open(&options, &status) {
        Ok(spark) => spark,
        Err(unavailable) => {
            printer.err(&format!("error: {unavailable}\n"));
            return Outcome::Exit(2);
        }
    };
    let connections: Result<Vec<_>, _> = (0..args.jobs.clamp(1, selected.len()))
        .map(|_| spark.connect())
        .collect::<Result<_, _>>();
    let connections = match connections {
        Ok(connections) => connections,
        Err(unavailable) => {
            printer.err(&format!("error: {unavailable}\n"));
            return Outcome::Exit(2);
        }
    };
    let began = Instant::now();
    let run = Run {
        report,
        environment,
        selected,
        prefix: format!("flowc_test_{}", std::process::id()),
        printer,
        began,
    };
    let results = run.on(connections);
    let total = began.elapsed();
    if !spark.started_here()
        && let Ok(mut connection) = spark.connect()
    {
        // A Spark that outlives the run keeps no test's databases.
        let cleanup: Vec<&str> = results
            .iter()
            .flatten()
            .map(|(_, c)| c.as_str())
            .filter(|c| !c.is_empty())
            .collect();
        if !cleanup.is_empty() {
            let _ = connection.sql(&cleanup.join(";\n"), &std::collections::BTreeMap::new());
        }
    }
    let finished: Vec<Finished<'_>> = selected
        .iter()
        .zip(results)
        .map(|(checked, result)| Finished {
            test: &repository.unit_tests[checked.index],
            checked,
            outcome: result.map_or_else(|| errored("the test did not run".to_owned()), |(outcome, _)| outcome),
        })
        .collect();
    let timing = test_report::Timing {
        startup: spark.startup(),
        started_here: spark.started_here(),
        total,
    };
    let text = render(args.format, repo, &finished, &report.sources, &timing);
    printer.out(&text);
    let failed = finished.iter().any(|f| f.outcome.verdict != Verdict::Passed);
    if failed { Outcome::InputErrors } else { Outcome::Clean }
}

/// The report in `format`.
fn render(
    format: TestFormat,
    repo: &Path,
    finished: &[Finished<'_>],
    sources: &crate::diagnostic::SourceMap,
    timing: &test_report::Timing,
) -> String {
    match format {
        TestFormat::Human => test_report::human(finished, sources, timing),
        TestFormat::Json => test_report::json(finished, sources, timing),
        TestFormat::Junit => test_report::junit(finished, sources, timing),
        TestFormat::Github => {
            let prefix = super::check::github_prefix(repo);
            let mut text = test_report::github(finished, sources, &prefix);
            text.push_str(&test_report::human(finished, sources, timing));
            text
        }
    }
}

/// The selected tests and what running them needs.
struct Run<'a> {
    report: &'a CheckReport,
    environment: &'a Environment,
    selected: &'a [&'a CheckedTest],
    /// Each test's databases are `<prefix>_<number>_<db>`.
    prefix: String,
    printer: &'a Printer,
    began: Instant,
}

impl Run<'_> {
    /// Runs every test, one thread per connection taking the next test; each test's
    /// outcome and the SQL that drops its databases, in the order selected.
    fn on(&self, connections: Vec<crate::execute::spark::SparkConnection>) -> Vec<Option<(TestOutcome, String)>> {
        let next = AtomicUsize::new(0);
        let done = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<(TestOutcome, String)>>> = Mutex::new(vec![None; self.selected.len()]);
        let (next, done, results_ref) = (&next, &done, &results);
        std::thread::scope(|scope| {
            for mut connection in connections {
                scope.spawn(move || {
                    while let Some(number) =
                        Some(next.fetch_add(1, Ordering::Relaxed)).filter(|n| *n < self.selected.len())
                    {
                        let result = self.one(&mut connection, number);
                        let count = done.fetch_add(1, Ordering::Relaxed) + 1;
                        self.progress(count, number, &result.0);
                        if let Ok(mut results) = results_ref.lock() {
                            results[number] = Some(result);
                        }
                    }
                });
            }
        });
        results.into_inner().unwrap_or_default()
    }

    /// Plans and runs test `number`.
    fn one(&self, connection: &mut crate::execute::spark::SparkConnection, number: usize) -> (TestOutcome, String) {
        let checked = self.selected[number];
        let Some(repository) = self.report.repository.as_ref() else {
            return (errored("the repository has errors".to_owned()), String::new());
        };
        let test = &repository.unit_tests[checked.index];
        let version = repository.project.airflow.version;
        let prefix = format!("{}_{number}", self.prefix);
        match unit_test::plan(self.report, self.environment, version, checked, test, &prefix) {
            Ok(plan) => (unit_test::run(connection, &plan), plan.cleanup),
            Err(message) => (errored(message), String::new()),
        }
    }

    /// `[count/total] outcome flow.task test (elapsed)` on a terminal.
    fn progress(&self, count: usize, number: usize, outcome: &TestOutcome) {
        let Some(repository) = self
            .report
            .repository
            .as_ref()
            .filter(|_| self.printer.err_is_terminal())
        else {
            return;
        };
        let test = &repository.unit_tests[self.selected[number].index];
        self.printer.err(&format!(
            "[{count}/{}] {} {} {} ({:.1} s)\n",
            self.selected.len(),
            outcome.verdict.as_str(),
            test.task_name(),
            test.name.value,
            self.began.elapsed().as_secs_f64()
        ));
    }
}

/// The outcome of a test flowc could not run.
fn errored(message: String) -> TestOutcome {
    TestOutcome {
        verdict: Verdict::Error,
        message: Some(message),
        tables: Vec::new(),
        checks: Vec::new(),
        duration: Duration::ZERO,
    }
}

impl SqlSession for crate::execute::spark::SparkConnection {
    fn sql(&mut self, text: &str, conf: &std::collections::BTreeMap<String, String>) -> Result<Vec<String>, String> {
        crate::execute::spark::SparkConnection::sql(self, text, conf).map_err(|failure| failure.message)
    }
}
