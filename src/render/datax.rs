//! DataX job files: each sync task's resolved [`DataxJob`] laid out by the
//! `datax/` templates, parsed back, checked against `schemas/datax.schema.json` and
//! written pretty-printed, so a template override can never ship a job DataX would
//! reject at run time. The launcher that fills credential placeholders at run time
//! ships next to the jobs.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use jsonschema::Validator;
use serde::Serialize;
use serde_json::Value;

use crate::Error;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::hash::json_bytes;
use crate::render::RenderInput;
use crate::render::{Budget, templates};
use crate::sync::DataxJob;

/// The template every job is rendered with.
pub const JOB_TEMPLATE: &str = "datax/job.json.jinja";

/// The launcher, as shipped to `<env>/datax/`.
pub const LAUNCHER: &str = include_str!("../../runtime/flowc_datax.py");

/// Its path under the environment's output folder.
pub const LAUNCHER_PATH: &str = "datax/flowc_datax.py";

/// The DataX job schema, also printed by `flowc schema datax`.
pub const SCHEMA: &str = include_str!("../../schemas/datax.schema.json");

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        // The schema is part of flowc and a test compiles it, so failing here is a bug.
        let schema: Value = serde_json::from_str(SCHEMA).expect("embedded DataX schema is valid JSON");
        jsonschema::draft202012::options()
            .build(&schema)
            .expect("embedded DataX schema compiles")
    })
}

/// Why a job does not pass the DataX job schema, one line per violation.
pub fn schema_violations(job: &Value) -> Vec<String> {
    validator()
        .iter_errors(job)
        .map(|error| format!("{}: {error}", error.instance_path()))
        .collect()
}

#[derive(Serialize)]
struct JobContext<'a> {
    job: &'a DataxJob,
    task: &'a str,
}

/// Renders one job: `Ok(job)` (checked against the DataX job schema) or the
/// diagnostic explaining why it failed.
pub(crate) fn render_job(
    input: &RenderInput<'_>,
    job: &DataxJob,
    task: &str,
    span: Option<Span>,
) -> Result<Value, Box<Diagnostic>> {
    let context = JobContext { job, task };
    let templates = input.templates;
    let text = templates::render(input.env, JOB_TEMPLATE, &context, Budget::for_tasks(1))
        .map_err(|failure| Box::new(templates::template_diagnostic(templates, &failure, span)))?;
    let invalid = |detail: String| {
        let overridden = templates
            .iter()
            .any(|t| t.name.starts_with("datax/") && t.origin == templates::Origin::Repository);
        let diagnostic = Diagnostic::error(
            Code::DataxJobInvalid,
            format!("the DataX job of `{task}` is not valid: {detail}"),
        )
        .with_help(if overridden {
            "fix the repository's `templates/datax/` overrides; `flowc schema datax` prints the job schema"
        } else {
            "this is a bug in flowc: please report it with the input that caused it"
        });
        Box::new(match span {
            Some(span) => diagnostic.at(span),
            None => diagnostic,
        })
    };
    let job: Value = serde_json::from_slice(&text).map_err(|error| invalid(format!("not JSON ({error})")))?;
    let violations = schema_violations(&job);
    if !violations.is_empty() {
        return Err(invalid(violations.join("; ")));
    }
    Ok(job)
}

/// Every job of one environment: `datax/<flow>/<task>.json` → bytes, plus the launcher.
pub(crate) fn render_jobs(
    input: &RenderInput<'_>,
    jobs: &BTreeMap<crate::model::TaskId, DataxJob>,
    spans: &BTreeMap<crate::model::TaskId, Span>,
) -> Result<super::Rendered, Error> {
    let mut files = BTreeMap::new();
    let mut found = Vec::new();
    for (id, job) in jobs {
        let span = spans.get(id).copied();
        match render_job(input, job, &id.to_string(), span) {
            Ok(job) => {
                files.insert(format!("datax/{}/{}.json", id.flow(), id.task()), json_bytes(&job)?);
            }
            Err(diagnostic) => found.push(*diagnostic),
        }
    }
    if !jobs.is_empty() {
        files.insert(LAUNCHER_PATH.to_owned(), LAUNCHER.as_bytes().to_vec());
    }
    Ok((files, found))
}
