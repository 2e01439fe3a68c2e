//! `flowc deploy`: compile one environment, then publish it to a folder or a branch.

use crate::words::plural;
use std::fmt::Write as _;
use std::path::PathBuf;

use super::compile::finished;
use super::{Outcome, Printer};
use crate::Error;
use crate::compiler::{CompileRequest, compile};
use crate::deploy::branch::BranchTarget;
use crate::deploy::dir::{AbortPoint, DirOptions, DirTarget, Faults};
use crate::deploy::release::{self, Changes, Deployment, Provenance, Release};
use crate::deploy::source::{refusal, work_tree_provenance};
use crate::load::{FileSource, GitTree, WorkTree};

/// Arguments of `flowc deploy`.
#[derive(Debug, clap::Args)]
pub(crate) struct DeployArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// The environment to deploy.
    #[arg(long, value_name = "ENV")]
    pub(crate) env: String,
    /// Deploy this git revision (branch, tag, commit…) read from git objects, instead
    /// of the files on disk; `REV:FOLDER` names the project's folder in a bare clone.
    #[arg(long, value_name = "REF")]
    pub(crate) rev: Option<String>,
    /// `dir:PATH`: publish into folder PATH (an Airflow DAGs folder) as the link
    /// PATH/<project>_<env>, switched atomically to a complete release kept in
    /// PATH/.flowc/. `branch:NAME`: commit the files under <project>_<env>/ on branch
    /// NAME of the repository's git repository, for git-sync; push it with `git push`.
    #[arg(long, value_name = "dir:PATH|branch:NAME", value_parser = parse_deploy_target)]
    pub(crate) target: DeployTarget,
    /// Print the files that would be added, changed and removed; write, create and
    /// lock nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// Where `flowc deploy` publishes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DeployTarget {
    /// `dir:PATH`.
    Dir(PathBuf),
    /// `branch:NAME`.
    Branch(String),
}

fn parse_deploy_target(text: &str) -> Result<DeployTarget, String> {
    match text.split_once(':') {
        Some(("dir", path)) if !path.is_empty() => Ok(DeployTarget::Dir(PathBuf::from(path))),
        Some(("branch", name)) if !name.is_empty() => Ok(DeployTarget::Branch(name.to_owned())),
        _ => Err("expected `dir:PATH` (a folder) or `branch:NAME` (a git branch)".to_owned()),
    }
}

/// Test only: fail with an I/O error after writing this many files of a directory
/// deploy's new release.
const FAIL_AFTER_VAR: &str = "FLOWC_DEPLOY_FAIL_AFTER";
/// Test only: abort the process at `before-release`, `before-switch` or `after-switch`
/// of a directory deploy.
const ABORT_VAR: &str = "FLOWC_DEPLOY_ABORT";

/// Runs `flowc deploy`.
pub(crate) fn run(args: &DeployArgs, printer: &Printer) -> Result<Outcome, Error> {
    let faults = faults()?;
    let (tree, source): (Box<dyn FileSource>, Provenance) = match &args.rev {
        Some(rev) => {
            let tree = GitTree::open(&args.repo, rev)?;
            let source = Provenance::revision(tree.revision(), &tree.commit_id());
            (Box::new(tree), source)
        }
        None => (Box::new(WorkTree::open(&args.repo)?), work_tree_provenance(&args.repo)?),
    };
    let target = match &args.target {
        DeployTarget::Dir(path) => path.display().to_string(),
        DeployTarget::Branch(name) => format!("branch {name}"),
    };
    let request = CompileRequest {
        environments: vec![args.env.clone()],
        airflow_version: None,
    };
    let stopped = ["deploy stopped"; 2];
    let Some((report, mut environments)) = finished(compile(tree.as_ref(), &request)?, printer, stopped, &target)
    else {
        return Ok(Outcome::InputErrors);
    };
    let (Some(repository), Some(environment)) = (report.repository.as_ref(), environments.pop()) else {
        return Err(Error::Internal("a finished compile without its environment".to_owned()));
    };
    let branches = repository
        .project
        .environments
        .get(&environment.name)
        .map_or(&[][..], |env| env.deploy_from.as_slice());
    if !branches.is_empty()
        && let Some(reason) = refusal(&args.repo, &source, branches)?
    {
        if !args.dry_run {
            return Err(Error::DeployRefused { target, reason });
        }
        printer.err(&format!(
            "warning: a real deploy would be refused: {reason}
"
        ));
    }
    let release = Release::new(&repository.project.name, &environment.name, source, environment.files)?;
    let deployment = match &args.target {
        DeployTarget::Dir(path) => DirTarget::new(path).deploy(
            &release,
            &DirOptions {
                dry_run: args.dry_run,
                faults,
            },
        )?,
        DeployTarget::Branch(name) => BranchTarget::new(&args.repo, name).deploy(&release, args.dry_run)?,
    };
    print(printer, &release, &deployment, &args.target);
    Ok(Outcome::Clean)
}

/// The test-only failure injection from the environment.
fn faults() -> Result<Faults, Error> {
    let fail_after = match std::env::var(FAIL_AFTER_VAR) {
        Ok(text) => Some(
            text.parse::<usize>()
                .map_err(|_| Error::Usage(format!("{FAIL_AFTER_VAR}=`{text}` is not a number of files")))?,
        ),
        Err(_) => None,
    };
    let abort_at = match std::env::var(ABORT_VAR) {
        Ok(text) => Some(
            text.parse::<AbortPoint>()
                .map_err(|message| Error::Usage(format!("{ABORT_VAR}: {message}")))?,
        ),
        Err(_) => None,
    };
    Ok(Faults { fail_after, abort_at })
}

fn print(printer: &Printer, release: &Release, deployment: &Deployment, target: &DeployTarget) {
    let env = &release.record.environment;
    let location = match target {
        DeployTarget::Dir(_) => deployment.location.clone(),
        DeployTarget::Branch(_) => format!("branch {}", deployment.location),
    };
    for warning in &deployment.warnings {
        printer.err(&format!("warning: {warning}\n"));
    }
    let changes = &deployment.changes;
    let id = &deployment.release;
    let from = &release.record.source;
    let text = match &deployment.outcome {
        release::Outcome::AlreadyDeployed { recorded } => {
            format!("{env} → {location}: already deployed (release {id}, from {recorded})\n")
        }
        release::Outcome::DryRun => {
            format!(
                "{}{env} → {location} (dry run): would change {}, add {}, remove {} (release {id}, from {from}); nothing written\n",
                file_list(changes),
                plural(changes.changed.len(), "file"),
                changes.added.len(),
                changes.removed.len(),
            )
        }
        release::Outcome::Published { commit, .. } => {
            let commit = commit
                .as_deref()
                .map(|commit| format!("commit {}, ", release::short(commit)))
                .unwrap_or_default();
            let push = match target {
                DeployTarget::Branch(name) => format!("publish it with `git push <remote> {name}`\n"),
                DeployTarget::Dir(_) => String::new(),
            };
            format!(
                "{env} → {location}: {} changed, {} added, {} removed ({commit}release {id}, from {from})\n{push}",
                plural(changes.changed.len(), "file"),
                changes.added.len(),
                changes.removed.len(),
            )
        }
    };
    printer.out(&text);
    for reminder in [
        pools_reminder(release, deployment, target),
        ddl_reminder(release, deployment, target),
    ]
    .into_iter()
    .flatten()
    {
        printer.out(&reminder);
    }
}

/// The `airflow pools import` command to run when the deploy adds or changes
/// `pools.json`: flowc never changes an Airflow's pools itself (they are shared by
/// everything that runs there), and until they are imported the tasks wait on pools
/// that do not exist or have the old slot counts.
fn pools_reminder(release: &Release, deployment: &Deployment, target: &DeployTarget) -> Option<String> {
    let (path, when) = touched(release, deployment, target, "pools.json", "import")?;
    Some(format!(
        "pools.json {when} so the tasks' pools exist with these slots:\n  airflow pools import {path}\n"
    ))
}

/// The `spark-sql -f ddl.sql` to run when the deploy adds or changes `ddl.sql`: a
/// documented step, not a task — creating databases takes rights the DAGs' Spark user
/// need not have, and every table must exist before the first DAG runs. It is
/// idempotent (`IF NOT EXISTS`); what it cannot change in place, `flowc plan` lists.
fn ddl_reminder(release: &Release, deployment: &Deployment, target: &DeployTarget) -> Option<String> {
    let (path, when) = touched(release, deployment, target, "ddl.sql", "apply")?;
    Some(format!(
        "ddl.sql {when} before the DAGs run, so every table they write exists (idempotent; what it cannot change in place, `flowc plan` lists):\n  spark-sql -f {path}\n"
    ))
}

/// Where `file` of the deployed environment is, and what to say (`verb` it), when the
/// deploy adds or changes it.
fn touched(
    release: &Release,
    deployment: &Deployment,
    target: &DeployTarget,
    file: &str,
    verb: &str,
) -> Option<(String, String)> {
    let changes = &deployment.changes;
    let touched = changes.added.iter().chain(&changes.changed).any(|path| path == file);
    if !touched || matches!(deployment.outcome, release::Outcome::AlreadyDeployed { .. }) {
        return None;
    }
    let path = match target {
        DeployTarget::Dir(_) => shell_word(&format!("{}/{file}", deployment.location)),
        // Where git-sync checks the branch out is only known on the Airflow side.
        DeployTarget::Branch(_) => format!(
            "<git-sync checkout>/{}_{}/{file}",
            release.record.project, release.record.environment
        ),
    };
    let when = match deployment.outcome {
        release::Outcome::DryRun => format!("would change: after the deploy, {verb} it"),
        _ => format!("changed: {verb} it"),
    };
    Some((path, when))
}

/// `text` as one shell word: as is when it holds only safe characters, else in single
/// quotes.
fn shell_word(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "/._-+:,=@".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// `  + path` per added, `  ~ path` per changed, `  - path` per removed file.
fn file_list(changes: &Changes) -> String {
    let mut lines: Vec<(&str, char)> = changes
        .added
        .iter()
        .map(|path| (path.as_str(), '+'))
        .chain(changes.changed.iter().map(|path| (path.as_str(), '~')))
        .chain(changes.removed.iter().map(|path| (path.as_str(), '-')))
        .collect();
    lines.sort_unstable();
    lines.into_iter().fold(String::new(), |mut text, (path, mark)| {
        let _ = writeln!(text, "  {mark} {path}");
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(
            shell_word("/srv/dags/shop_prod/pools.json"),
            "/srv/dags/shop_prod/pools.json"
        );
        assert_eq!(shell_word("/srv/my dags/p.json"), "'/srv/my dags/p.json'");
        assert_eq!(shell_word("/srv/it's/p.json"), r"'/srv/it'\''s/p.json'");
    }
}
