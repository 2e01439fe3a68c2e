//! Planning two revisions of a repository: compile both, read their manifests back,
//! run the [`Planner`]. The entry point of `flowc plan`, `flowc comment` and
//! `flowc promote`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::breaking::columns::column_changes;
use super::diff::columns::RevisionColumns;
use super::planner::{PlanInput, Planner};
use super::types::{ColumnChanges, Plan, Revision};
use super::view::markdown;
use crate::Error;
use crate::compiler::CheckReport;
use crate::compiler::{CompileRequest, Compiled, Observer, compile_observed};
use crate::diagnostic::Diagnostics;
use crate::diagnostic::render::human::{self, Color};
use crate::load::{FileSource, GitTree, WorkTree};
use crate::render::CompiledEnvironment;
use crate::render::manifest::{MANIFEST_VERSION, Manifest};
use crate::sql::cache::SqlCache;

/// The environment planned when none is named; every project has it.
pub const DEFAULT_ENVIRONMENT: &str = "prod";

/// The result of planning two revisions whose files could be read.
#[derive(Debug)]
pub enum PlanOutcome {
    /// Both revisions compiled.
    Planned(Box<Plan>),
    /// One of them has errors.
    Failed(Box<Failure>),
}

/// Which revision of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The revision compared against.
    Base,
    /// The revision with the changes.
    Head,
}

impl Side {
    /// `base` or `head`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Base => "base",
            Side::Head => "head",
        }
    }
}

/// A revision that does not compile.
#[derive(Debug)]
pub struct Failure {
    /// Which one.
    pub side: Side,
    /// The revision.
    pub revision: Revision,
    /// The environment asked for.
    pub environment: String,
    /// Its check, for the sources the diagnostics point into (and their warnings).
    pub report: CheckReport,
    /// The errors: the check's, or rendering's.
    pub diagnostics: Diagnostics,
    /// For a head that does not compile, the column changes against the base when
    /// both revisions' columns are known: the breaking ones explain errors such as a
    /// reader naming a removed column.
    pub columns: ColumnChanges,
}

impl Failure {
    /// `head revision `dev (0123456789ab)` has 2 errors`.
    pub fn headline(&self) -> String {
        let errors = self.diagnostics.error_count();
        format!(
            "{} revision `{}` does not compile: {} {}",
            self.side.as_str(),
            self.revision.label(),
            errors,
            if errors == 1 { "error" } else { "errors" }
        )
    }
}

impl PlanOutcome {
    /// The markdown for a pull request: the plan, or which revision does not compile
    /// and why; within [`markdown::DEFAULT_BUDGET`] either way.
    pub fn markdown(&self) -> String {
        match self {
            PlanOutcome::Planned(plan) => markdown::render(plan),
            PlanOutcome::Failed(failure) => failure_markdown(failure, markdown::DEFAULT_BUDGET),
        }
    }
}

/// One revision to compile.
pub struct Source<'a> {
    /// Its files.
    pub files: &'a dyn FileSource,
    /// Which revision it is.
    pub revision: Revision,
}

/// Plans `head` (a git revision, or the work tree at `repo` when `None`) against
/// `base` (a git revision) of the repository at `repo`, for `environment` (the CLI's
/// default is [`DEFAULT_ENVIRONMENT`]), both revisions using `cache`'s SQL analyses.
pub fn plan_revisions(
    repo: &Path,
    base: &str,
    head: Option<&str>,
    environment: &str,
    observer: &dyn Observer,
    cache: &SqlCache,
) -> Result<PlanOutcome, Error> {
    let base_tree = GitTree::open(repo, base)?;
    let base = Source {
        files: &base_tree,
        revision: Revision::git(base, &base_tree.commit_id()),
    };
    let planner = Planner::new();
    if let Some(head) = head {
        let head_tree = GitTree::open(repo, head)?;
        let head = Source {
            files: &head_tree,
            revision: Revision::git(head, &head_tree.commit_id()),
        };
        plan_sources(&base, &head, environment, &planner, observer, cache)
    } else {
        let work_tree = WorkTree::open(repo)?;
        let head = Source {
            files: &work_tree,
            revision: Revision::work_tree(),
        };
        plan_sources(&base, &head, environment, &planner, observer, cache)
    }
}

/// Compiles both revisions (in parallel, both told to `observer`, both using `cache`)
/// and plans the head against the base.
///
/// A head that does not compile is not planned, but when its errors come from its
/// columns (a reader naming a column its table lost) the column changes are still
/// compared, so that the failure names the breaking changes behind its errors.
pub fn plan_sources(
    base: &Source<'_>,
    head: &Source<'_>,
    environment: &str,
    planner: &Planner,
    observer: &dyn Observer,
    cache: &SqlCache,
) -> Result<PlanOutcome, Error> {
    let request = CompileRequest {
        environments: vec![environment.to_owned()],
        airflow_version: None,
    };
    let (base_compiled, head_compiled) = rayon::join(
        || compile_observed(base.files, &request, observer, cache),
        || compile_observed(head.files, &request, observer, cache),
    );
    let (head_report, head_result) = split(head_compiled?);
    let head_environment = match head_result {
        Ok(environments) => environments
            .into_iter()
            .find(|e| e.name == environment)
            .ok_or_else(|| Error::Internal(format!("environment `{environment}` was not compiled")))?,
        Err(diagnostics) => {
            let columns = match &base_compiled {
                Ok(Compiled::Done { report, .. }) => failed_head_columns(report, &head_report, &diagnostics),
                _ => ColumnChanges::default(),
            };
            return Ok(PlanOutcome::Failed(Box::new(Failure {
                side: Side::Head,
                revision: head.revision.clone(),
                environment: environment.to_owned(),
                report: head_report,
                diagnostics,
                columns,
            })));
        }
    };
    // A base without the environment (one the head adds) is planned as empty.
    let (base_report, base_environment) = match base_compiled {
        // The only usage error of a compile: an environment the project lacks.
        Err(Error::Usage(_)) => (None, None),
        Err(error) => return Err(error),
        Ok(compiled) => match split(compiled) {
            (report, Ok(environments)) => (Some(report), environments.into_iter().find(|e| e.name == environment)),
            (report, Err(diagnostics)) => {
                return Ok(PlanOutcome::Failed(Box::new(Failure {
                    side: Side::Base,
                    revision: base.revision.clone(),
                    environment: environment.to_owned(),
                    report,
                    diagnostics,
                    columns: ColumnChanges::default(),
                })));
            }
        },
    };
    observer.stage("plan");
    let head_manifest = read_manifest(&head_environment, &head.revision)?;
    let no_files = BTreeMap::new();
    let (base_manifest, base_files) = match &base_environment {
        Some(environment) => (read_manifest(environment, &base.revision)?, &environment.files),
        None => (empty_manifest(&head_manifest), &no_files),
    };
    let base_columns = base_report
        .as_ref()
        .filter(|_| base_environment.is_some())
        .and_then(|report| RevisionColumns::of(report, &report.diagnostics));
    let head_columns = RevisionColumns::of(&head_report, &head_report.diagnostics);
    let mut plan = planner.plan(
        &PlanInput {
            revision: &base.revision,
            manifest: &base_manifest,
            files: base_files,
            columns: base_columns.as_ref(),
            ddl: base_environment.as_ref().map(|environment| &environment.ddl),
        },
        &PlanInput {
            revision: &head.revision,
            manifest: &head_manifest,
            files: &head_environment.files,
            columns: head_columns.as_ref(),
            ddl: Some(&head_environment.ddl),
        },
    );
    if base_environment.is_none() {
        plan.notes.push(format!(
            "the base revision has no environment `{environment}`: everything in it is new"
        ));
    }
    Ok(PlanOutcome::Planned(Box::new(plan)))
}

/// The column changes between a base that compiled and a head that did not, when the
/// head's columns are known despite its errors.
fn failed_head_columns(base: &CheckReport, head: &CheckReport, head_errors: &Diagnostics) -> ColumnChanges {
    match (
        RevisionColumns::of(base, &base.diagnostics),
        RevisionColumns::of(head, head_errors),
    ) {
        (Some(base), Some(head)) => column_changes(&base, &head),
        _ => ColumnChanges::default(),
    }
}

/// A compile's check and its environments, or the errors that stopped it.
fn split(compiled: Compiled) -> (CheckReport, Result<Vec<CompiledEnvironment>, Diagnostics>) {
    match compiled {
        Compiled::Done { report, environments } => (report, Ok(environments)),
        Compiled::CheckFailed { mut report } => {
            let diagnostics = std::mem::take(&mut report.diagnostics);
            (report, Err(diagnostics))
        }
        Compiled::RenderFailed { report, diagnostics } => (report, Err(diagnostics)),
    }
}

/// The manifest the compile wrote, read back.
fn read_manifest(environment: &CompiledEnvironment, revision: &Revision) -> Result<Manifest, Error> {
    let bytes = environment
        .files
        .get("manifest.json")
        .ok_or_else(|| Error::Internal(format!("no manifest.json compiled for {}", revision.label())))?;
    Manifest::from_json(bytes)
        .map_err(|e| Error::Internal(format!("manifest.json of {} does not read back: {e}", revision.label())))
}

/// A manifest with nothing in it, standing in for an environment the base lacks.
fn empty_manifest(like: &Manifest) -> Manifest {
    Manifest {
        manifest_version: MANIFEST_VERSION,
        generator: like.generator.clone(),
        project: like.project.clone(),
        environment: like.environment.clone(),
        airflow_version: like.airflow_version.clone(),
        pools: BTreeMap::new(),
        flows: Vec::new(),
        edges: Vec::new(),
        sources: Vec::new(),
        inputs: BTreeMap::new(),
        outputs: BTreeMap::new(),
        access: BTreeMap::new(),
    }
}

/// Which revision failed and its errors, as markdown within `budget` bytes.
fn failure_markdown(failure: &Failure, budget: usize) -> String {
    let mut out = format!(
        "{}\n## flowc plan: `{}`\n\n> [!CAUTION]\n> The plan could not be computed: the {}.\n\n",
        markdown::marker(&failure.environment),
        failure.environment.replace('`', "'"),
        failure.headline().replace('\n', " ")
    );
    // What the head breaks comes first: it is usually why it does not compile.
    out.push_str(&markdown::breaking_block(&failure.columns.breaking, budget / 2));
    let fence = "````";
    let close = format!("{fence}\n");
    let _ = writeln!(out, "{fence}text");
    let mut left_out = 0;
    for diagnostic in &failure.diagnostics {
        let text = human::render(diagnostic, &failure.report.sources, Color::Never).replace(fence, "'''");
        if left_out == 0 && out.len() + text.len() + close.len() + 200 <= budget {
            out.push_str(&text);
        } else {
            left_out += 1;
        }
    }
    out.push_str(&close);
    if left_out > 0 {
        let _ = writeln!(
            out,
            "\n… and {left_out} more; run `flowc check` on that revision to see all."
        );
    }
    if out.len() > budget {
        let mut end = budget;
        while !out.is_char_boundary(end) {
            end -= 1;
        }
        out.truncate(end);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Failure, Side, failure_markdown};
    use crate::load::MemoryTree;
    use crate::plan::markdown;
    use crate::plan::types::{
        ColumnBreakingChange, ColumnBreakingKind, ColumnChanges, ColumnReader, ReadKind, Revision,
    };

    #[test]
    fn a_head_that_fails_lists_the_column_breaking_changes_before_its_errors() {
        let mut report = crate::compiler::check(&MemoryTree::new().with("flowc.yaml", "name: x\n")).expect("checks");
        let diagnostics = std::mem::take(&mut report.diagnostics);
        assert!(diagnostics.error_count() > 0);
        let failure = Failure {
            side: Side::Head,
            revision: Revision::work_tree(),
            environment: "prod".to_owned(),
            report,
            diagnostics,
            columns: ColumnChanges {
                breaking: vec![ColumnBreakingChange {
                    kind: ColumnBreakingKind::Renamed,
                    table: "dws.t".to_owned(),
                    column: Some("net_gmv".to_owned()),
                    renamed_to: Some("net_gmv_amount".to_owned()),
                    types: None,
                    readers: vec![ColumnReader {
                        path: "flows/r/top.sql".to_owned(),
                        line: 3,
                        col: 8,
                        task: "r.top".to_owned(),
                        how: ReadKind::Name,
                    }],
                }],
                ..ColumnChanges::default()
            },
        };
        let text = failure_markdown(&failure, markdown::DEFAULT_BUDGET);
        let warning = text
            .find("> [!WARNING]\n> **1 breaking change**")
            .expect("the breaking changes");
        let errors = text.find("````text").expect("the errors");
        assert!(warning < errors, "{text}");
        assert!(
            text.contains(
                "> - `dws.t.net_gmv` **renamed** to `net_gmv_amount`? — still read at `flows/r/top.sql:3` (`r.top`)\n"
            ),
            "{text}"
        );
    }
}
