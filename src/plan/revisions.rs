//! Planning two revisions of a repository: compile both, read their manifests back,
//! run the [`Planner`]. The entry point of `flowc plan`, `flowc comment` and
//! `flowc promote`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::planner::{PlanInput, Planner};
use super::types::{Plan, Revision};
use super::view::markdown;
use crate::Error;
use crate::compiler::CheckReport;
use crate::compiler::{CompileRequest, Compiled, compile};
use crate::diagnostic::Diagnostics;
use crate::diagnostic::render::human::{self, Color};
use crate::load::{FileSource, GitTree, WorkTree};
use crate::render::CompiledEnvironment;
use crate::render::manifest::{MANIFEST_VERSION, Manifest};

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
/// default is [`DEFAULT_ENVIRONMENT`]).
pub fn plan_revisions(repo: &Path, base: &str, head: Option<&str>, environment: &str) -> Result<PlanOutcome, Error> {
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
        plan_sources(&base, &head, environment, &planner)
    } else {
        let work_tree = WorkTree::open(repo)?;
        let head = Source {
            files: &work_tree,
            revision: Revision::work_tree(),
        };
        plan_sources(&base, &head, environment, &planner)
    }
}

/// Compiles both revisions (in parallel) and plans the head against the base.
pub fn plan_sources(
    base: &Source<'_>,
    head: &Source<'_>,
    environment: &str,
    planner: &Planner,
) -> Result<PlanOutcome, Error> {
    let request = CompileRequest {
        environments: vec![environment.to_owned()],
        airflow_version: None,
    };
    let (base_compiled, head_compiled) =
        rayon::join(|| compile(base.files, &request), || compile(head.files, &request));
    let head_environment = match outcome(head_compiled?, Side::Head, &head.revision, environment) {
        Ok(environments) => environments
            .into_iter()
            .find(|e| e.name == environment)
            .ok_or_else(|| Error::Internal(format!("environment `{environment}` was not compiled")))?,
        Err(failure) => return Ok(PlanOutcome::Failed(failure)),
    };
    // A base without the environment (one the head adds) is planned as empty.
    let base_environment = match base_compiled {
        // The only usage error of a compile: an environment the project lacks.
        Err(Error::Usage(_)) => None,
        Err(error) => return Err(error),
        Ok(compiled) => match outcome(compiled, Side::Base, &base.revision, environment) {
            Ok(environments) => environments.into_iter().find(|e| e.name == environment),
            Err(failure) => return Ok(PlanOutcome::Failed(failure)),
        },
    };
    let head_manifest = read_manifest(&head_environment, &head.revision)?;
    let no_files = BTreeMap::new();
    let (base_manifest, base_files) = match &base_environment {
        Some(environment) => (read_manifest(environment, &base.revision)?, &environment.files),
        None => (empty_manifest(&head_manifest), &no_files),
    };
    let mut plan = planner.plan(
        &PlanInput {
            revision: &base.revision,
            manifest: &base_manifest,
            files: base_files,
        },
        &PlanInput {
            revision: &head.revision,
            manifest: &head_manifest,
            files: &head_environment.files,
        },
    );
    if base_environment.is_none() {
        plan.notes.push(format!(
            "the base revision has no environment `{environment}`: everything in it is new"
        ));
    }
    Ok(PlanOutcome::Planned(Box::new(plan)))
}

/// The compiled environments, or the failure of this side.
fn outcome(
    compiled: Compiled,
    side: Side,
    revision: &Revision,
    environment: &str,
) -> Result<Vec<CompiledEnvironment>, Box<Failure>> {
    let failure = |report: CheckReport, diagnostics: Diagnostics| {
        Box::new(Failure {
            side,
            revision: revision.clone(),
            environment: environment.to_owned(),
            report,
            diagnostics,
        })
    };
    match compiled {
        Compiled::Done { environments, .. } => Ok(environments),
        Compiled::CheckFailed { mut report } => {
            let diagnostics = std::mem::take(&mut report.diagnostics);
            Err(failure(report, diagnostics))
        }
        Compiled::RenderFailed { report, diagnostics } => Err(failure(report, diagnostics)),
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
