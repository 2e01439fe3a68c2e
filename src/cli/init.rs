//! `flowc init`: scaffold a minimal repository a new user can grow — dev and prod, one
//! flow with a sync and two SQL tasks, a strong and a weak quality rule, grants, the
//! editor schemas, CODEOWNERS and the GitHub workflows. It checks clean as written, and
//! nothing existing is ever overwritten.

use std::path::{Path, PathBuf};

use super::{Outcome, Printer};
use crate::Error;
use crate::compiler::check;
use crate::load::MemoryTree;
use crate::output::scaffold::write_new_files;
use crate::policy::codeowners::{self, CODEOWNERS_PATH};
use crate::validate::SchemaKind;

/// Arguments of `flowc init`.
#[derive(Debug, clap::Args)]
pub(crate) struct InitArgs {
    /// The folder to scaffold the repository in (created if missing; it may hold other
    /// files, such as `.git`, but none of those flowc writes).
    #[arg(default_value = ".")]
    pub(crate) dir: PathBuf,
    /// The project name (lower-case letters, digits and underscores); default: the
    /// folder's name, made into one.
    #[arg(long)]
    pub(crate) project: Option<String>,
}

/// The scaffold's files, `{{ project }}`, `{{ github_org }}` and `{{ flowc_action }}`
/// standing for the project name, a GitHub organisation named after it and the action
/// reference.
const SCAFFOLD: &[(&str, &str)] = &[
    ("flowc.yaml", include_str!("../../scaffold/flowc.yaml")),
    (
        "flows/orders/flow.yaml",
        include_str!("../../scaffold/flows/orders/flow.yaml"),
    ),
    (
        "flows/orders/dwd_orders.sql",
        include_str!("../../scaffold/flows/orders/dwd_orders.sql"),
    ),
    (
        "flows/orders/dws_orders_1d.sql",
        include_str!("../../scaffold/flows/orders/dws_orders_1d.sql"),
    ),
    (
        "flows/orders/tests/dwd_orders.yaml",
        include_str!("../../scaffold/flows/orders/tests/dwd_orders.yaml"),
    ),
    (
        ".github/workflows/pull-request.yml",
        include_str!("../../scaffold/.github/workflows/pull-request.yml"),
    ),
    (
        ".github/workflows/deploy-dev.yml",
        include_str!("../../scaffold/.github/workflows/deploy-dev.yml"),
    ),
    (
        ".github/workflows/deploy-prod.yml",
        include_str!("../../scaffold/.github/workflows/deploy-prod.yml"),
    ),
    (
        ".github/workflows/docs.yml",
        include_str!("../../scaffold/.github/workflows/docs.yml"),
    ),
    (".gitignore", include_str!("../../scaffold/.gitignore")),
    ("README.md", include_str!("../../scaffold/README.md")),
];

/// The action the workflows install flowc with: a placeholder owner (the user's copy of
/// flowc's repository) at this version's release tag.
const FLOWC_ACTION: &str = concat!("your-org/flowc@v", env!("CARGO_PKG_VERSION"));

/// The name a project gets when the folder's own cannot be made into one.
const FALLBACK_PROJECT: &str = "pipelines";

/// Runs `flowc init`.
pub(crate) fn run(args: &InitArgs, printer: &Printer) -> Result<Outcome, Error> {
    let project = match &args.project {
        Some(project) => project.clone(),
        None => project_name(&args.dir),
    };
    let mut files = scaffold(&project);
    // Checked before anything is written: a `--project` the schema rejects is reported
    // at its place in flowc.yaml, and CODEOWNERS comes from the scaffold's own teams.
    let tree = files
        .iter()
        .fold(MemoryTree::new(), |tree, (path, text)| tree.with(path, text.as_bytes()));
    let report = check(&tree)?;
    let repository = match report.repository.as_ref() {
        Some(repository) if !report.diagnostics.has_errors() => repository,
        _ => {
            printer.diagnostics(&report.diagnostics, &report.sources);
            printer.out("init stopped: the scaffold does not check with this project name; nothing written\n");
            return Ok(Outcome::InputErrors);
        }
    };
    files.push((CODEOWNERS_PATH.to_owned(), codeowners::render(repository).text));
    files.sort();
    write_new_files(&args.dir, &files)?;
    printer.out(&next_steps(&args.dir, &project, files.len()));
    Ok(Outcome::Clean)
}

/// Every file of the scaffold for `project`, the editor schemas included.
fn scaffold(project: &str) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = SCAFFOLD
        .iter()
        .map(|(path, text)| {
            let text = text
                .replace("{{ project }}", project)
                // GitHub organisation names take hyphens, not underscores.
                .replace("{{ github_org }}", &project.replace('_', "-"))
                .replace("{{ flowc_action }}", FLOWC_ACTION);
            ((*path).to_owned(), text)
        })
        .collect();
    for (path, kind) in [
        ("schemas/flowc.schema.json", SchemaKind::Project),
        ("schemas/flow.schema.json", SchemaKind::Flow),
        ("schemas/test.schema.json", SchemaKind::UnitTest),
    ] {
        files.push((path.to_owned(), kind.text().to_owned()));
    }
    files
}

/// A project name made from the folder's name: lower case, every other character an
/// underscore, starting with a letter.
fn project_name(dir: &Path) -> String {
    let folder = std::path::absolute(dir)
        .ok()
        .and_then(|path| path.file_name().map(|name| name.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let name: String = crate::words::snake_name(&folder)
        .chars()
        .skip_while(|c| !c.is_ascii_lowercase())
        .take(64)
        .collect();
    let name = name.trim_end_matches('_');
    if name.is_empty() {
        FALLBACK_PROJECT.to_owned()
    } else {
        name.to_owned()
    }
}

fn next_steps(dir: &Path, project: &str, count: usize) -> String {
    let shown = dir.display();
    format!(
        "created project `{project}` in {shown} ({count} files)\n\
         \n\
         next:\n  \
         flowc check {shown}\n  \
         flowc compile {shown} --env dev --env prod --out {build}\n\
         \n\
         then set the hosts under `connections:` and the GitHub handles under `teams:` in\n\
         flowc.yaml, point the workflows' `uses: {FLOWC_ACTION}` at your copy of flowc,\n\
         and commit\n",
        build = if dir == Path::new(".") {
            PathBuf::from("build")
        } else {
            dir.join("build")
        }
        .display(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_name_comes_from_the_folder() {
        assert_eq!(project_name(Path::new("/tmp/Shop-DW")), "shop_dw");
        assert_eq!(project_name(Path::new("/tmp/2024 data")), "data");
        assert_eq!(project_name(Path::new("/tmp/___")), FALLBACK_PROJECT);
        assert_eq!(project_name(Path::new("/")), FALLBACK_PROJECT);
    }

    #[test]
    fn the_scaffold_fills_in_every_placeholder() {
        for (path, text) in scaffold("shop") {
            assert!(
                !text.contains("{{ project }}") && !text.contains("{{ flowc_action }}"),
                "{path}"
            );
        }
    }
}
