//! `flowc templates`: the templates a repository's DAG files are rendered with.

use std::fmt::Write as _;
use std::path::PathBuf;

use super::{Outcome, Printer};
use crate::Error;
use crate::load::WorkTree;
use crate::render::Templates;
use crate::render::templates::{BUILTIN, Origin};

/// Arguments of `flowc templates`.
#[derive(Debug, clap::Args)]
pub(crate) struct TemplatesArgs {
    /// The repository (a folder holding flowc.yaml).
    #[arg(default_value = ".")]
    pub(crate) repo: PathBuf,
    /// Print the text of one template (as the repository would render it).
    #[arg(long, value_name = "NAME")]
    pub(crate) show: Option<String>,
}

/// Runs `flowc templates`.
pub(crate) fn run(args: &TemplatesArgs, printer: &Printer) -> Result<Outcome, Error> {
    let tree = WorkTree::open(&args.repo)?;
    let mut read = crate::load::read_all(&tree, Templates::override_paths())?;
    let templates = match Templates::new(&mut read) {
        Ok(templates) => templates,
        Err(problems) => {
            printer.diagnostics(&problems, &crate::diagnostic::SourceMap::new());
            return Ok(Outcome::InputErrors);
        }
    };
    if let Some(name) = &args.show {
        let Some(template) = templates.iter().find(|t| t.name == name.as_str()) else {
            let names: Vec<&str> = templates.iter().map(|t| t.name).collect();
            return Err(Error::Usage(format!(
                "no template `{name}`; templates: {}",
                names.join(", ")
            )));
        };
        // `flowc templates --show NAME > templates/NAME` empties the override before
        // flowc reads it: an empty override shows the built-in template it replaces.
        let builtin = BUILTIN.iter().find(|(builtin, _)| *builtin == template.name);
        match builtin {
            Some((_, text)) if template.origin == Origin::Repository && template.text.trim().is_empty() => {
                printer.err(&format!(
                    "note: templates/{0} is empty, so flowc's built-in `{0}` is shown; an empty override renders empty files (compile refuses them)\n",
                    template.name
                ));
                printer.out(text);
            }
            _ => printer.out(&template.text),
        }
        return Ok(Outcome::Clean);
    }
    let mut text = String::new();
    // One column for the names, as wide as the longest (a DataX reader's name is long).
    let width = templates
        .iter()
        .map(|template| template.name.chars().count())
        .max()
        .unwrap_or(0);
    for template in templates.iter() {
        let origin = match template.origin {
            Origin::Builtin => "built-in".to_owned(),
            Origin::Repository if template.text.trim().is_empty() => {
                format!("overridden by templates/{} (empty!)", template.name)
            }
            Origin::Repository => format!("overridden by templates/{}", template.name),
        };
        let _ = writeln!(text, "{:<width$}  {origin}", template.name);
    }
    text.push_str(
        "\nOverride one by copying it (`flowc templates --show NAME`) to templates/NAME in the repository.\n",
    );
    printer.out(&text);
    Ok(Outcome::Clean)
}
