//! Stage 3, validate: YAML documents → the typed [`Repository`] model.
//!
//! Input: a [`LoadedRepo`]. Every document is checked against its embedded JSON
//! Schema, and every violation is reported. Schema-valid documents are turned into
//! the model, which is then checked for what a schema cannot express: flow names that
//! match their folders, unique flow and task names, declared teams and connections,
//! cron expressions that parse. Output: the model when there is no error, and all
//! diagnostics either way. Pure: no I/O.
//!
//! One document goes through: [`schema`] and `secrets` (every violation, literal
//! secrets); `raw`, the document read into serde mirrors of the schema; `build`, those
//! mirrors turned into the model (`quality` for quality rules, `spans` for where each
//! value is written). The checks across documents are here.

mod build;
mod quality;
mod raw;
pub mod schema;
mod schema_hints;
mod schema_kind;
pub(crate) mod secrets;
mod spans;

use std::collections::{BTreeMap, BTreeSet};

pub use schema::SchemaKind;

use crate::Error;
use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, FileId, SourceMap, Span};
use crate::load::{FLOW_FILE, FLOWS_DIR, LoadedRepo, PROJECT_FILE};
use crate::model::{Flow, Project, Repository, Schedule, TaskKind, UnitTest};
use crate::words::lowercase_first;

/// What validation produced.
#[derive(Debug)]
pub struct Validated {
    /// The model, when the repository has no errors so far.
    pub repository: Option<Repository>,
    /// Every problem found.
    pub diagnostics: Diagnostics,
}

/// Validates every document and builds the model.
pub fn validate(loaded: &LoadedRepo) -> Result<Validated, Error> {
    let mut diagnostics = Diagnostics::new();
    let project = match &loaded.project {
        Some(document) => {
            let found = schema_and_secrets(SchemaKind::Project, document, &loaded.sources);
            let clean = found.is_empty();
            diagnostics.extend(found);
            if clean { Some(build::project(document)?) } else { None }
        }
        None => None,
    };
    if let Some(project) = &project {
        check_project(project, &mut diagnostics);
    }

    let mut flows = Vec::new();
    for flow_document in &loaded.flows {
        let Some(document) = &flow_document.document else {
            continue;
        };
        let found = schema_and_secrets(SchemaKind::Flow, document, &loaded.sources);
        let clean = found.is_empty();
        diagnostics.extend(found);
        if let (true, Some(project)) = (clean, &project) {
            let folder = format!("{FLOWS_DIR}/{}", flow_document.folder);
            let flow = build::flow(document, &folder, project)?;
            check_flow(&flow, &flow_document.folder, project, &mut diagnostics);
            flows.push(flow);
        }
    }
    check_unique_flow_names(&flows, &mut diagnostics);
    // A test file's problems do not hold back the model: the rest is still checked.
    let mut test_problems = Diagnostics::new();
    let unit_tests = unit_tests(loaded, &flows, &mut test_problems)?;
    diagnostics.extend(secrets_in_unparsed_yaml(loaded));

    let repository = match project {
        Some(project) if !diagnostics.has_errors() && !loaded.diagnostics.has_errors() => {
            flows.sort_by(|a, b| a.id.cmp(&b.id));
            Some(Repository {
                project,
                flows,
                unit_tests,
            })
        }
        _ => None,
    };
    diagnostics.extend(test_problems);
    Ok(Validated {
        repository,
        diagnostics,
    })
}

/// The unit tests of the flows that validated, each file checked against its schema;
/// a test name used twice in a flow is an error (T808).
fn unit_tests(loaded: &LoadedRepo, flows: &[Flow], diagnostics: &mut Diagnostics) -> Result<Vec<UnitTest>, Error> {
    let mut tests: Vec<UnitTest> = Vec::new();
    for test_document in &loaded.tests {
        let Some(document) = &test_document.document else {
            continue;
        };
        let found = schema_and_secrets(SchemaKind::UnitTest, document, &loaded.sources);
        let clean = found.is_empty();
        diagnostics.extend(found);
        let Some(flow) = flows
            .iter()
            .find(|f| f.folder.rsplit('/').next() == Some(test_document.folder.as_str()))
        else {
            continue;
        };
        if clean {
            let text = loaded.sources.file(document.file).text();
            tests.extend(build::unit_tests(document, flow.id.as_str(), text)?);
        }
    }
    let mut seen: BTreeMap<(String, String), Span> = BTreeMap::new();
    for test in &tests {
        let key = (test.flow.as_str().to_owned(), test.name.value.clone());
        if let Some(first) = seen.get(&key) {
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateTestName,
                    format!("flow `{}` has two tests named `{}`", test.flow, test.name.value),
                )
                .at(test.name.span)
                .with_label("second test of this name")
                .with_secondary(*first, "first one here")
                .with_help("give each test of a flow its own name: `flowc test` and its reports name tests by it"),
            );
        } else {
            seen.insert(key, test.name.span);
        }
    }
    Ok(tests)
}

/// Literal secrets in the YAML files that did not parse, searched for as text: a
/// syntax error's excerpt shows their lines too.
fn secrets_in_unparsed_yaml(loaded: &LoadedRepo) -> Vec<Diagnostic> {
    let parsed: BTreeSet<FileId> = loaded
        .project
        .iter()
        .chain(loaded.flows.iter().filter_map(|flow| flow.document.as_ref()))
        .map(|document| document.file)
        .collect();
    (0..loaded.sources.len())
        .map(|index| FileId::from_index(index as u32))
        .filter(|file| !parsed.contains(file))
        .filter(|file| {
            let path = loaded.sources.file(*file).path();
            path == PROJECT_FILE || path.rsplit('/').next() == Some(FLOW_FILE)
        })
        .flat_map(|file| secrets::scan_text(file, loaded.sources.file(file).text()))
        .collect()
}

/// Schema violations and literal secrets of one document; a key holding a secret is
/// reported once, as a secret, not also as a key the schema does not know.
fn schema_and_secrets(kind: SchemaKind, document: &crate::load::Document, sources: &SourceMap) -> Vec<Diagnostic> {
    let (mut found, secret_keys) = secrets::scan_yaml(document, sources.file(document.file).text());
    found.extend(
        schema::validate(kind, document)
            .into_iter()
            .filter(|d| d.span.is_none_or(|span| !secret_keys.contains(&span))),
    );
    found
}

fn check_project(project: &Project, diagnostics: &mut Diagnostics) {
    let mut first: BTreeMap<_, Span> = BTreeMap::new();
    for source in &project.sources {
        if let Some(previous) = first.get(&source.table) {
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateSource,
                    format!("source table `{}` is declared twice", source.table),
                )
                .at(source.span)
                .with_label("declared again here")
                .with_secondary(*previous, "first declared here")
                .with_help("remove one of the declarations"),
            );
        } else {
            first.insert(&source.table, source.span);
        }
    }
}

fn check_flow(flow: &Flow, folder: &str, project: &Project, diagnostics: &mut Diagnostics) {
    if flow.id.as_str() != folder {
        diagnostics.push(
            Diagnostic::error(
                Code::FlowNameMismatch,
                format!("flow `{}` is in folder `{FLOWS_DIR}/{folder}`", flow.id),
            )
            .at(flow.name_span)
            .with_label("differs from the folder name")
            .with_help(format!(
                "name the flow `{folder}`, or rename its folder to `{}`",
                flow.id
            )),
        );
    }
    if !project.teams.contains_key(&flow.owner.value) {
        let mut diagnostic = Diagnostic::error(Code::UnknownTeam, format!("unknown team `{}`", flow.owner.value))
            .at(flow.owner.span)
            .with_label("not declared under `teams:` in flowc.yaml");
        diagnostic = diagnostic.with_help(
            did_you_mean(&flow.owner.value, project.teams.keys().map(String::as_str)).unwrap_or_else(|| {
                format!(
                    "declare the team under `teams:` in flowc.yaml: `{}: {{}}`",
                    flow.owner.value
                )
            }),
        );
        diagnostics.push(diagnostic);
    }
    if let Schedule::Cron(expression) = &flow.schedule.value {
        let parser = croner::parser::CronParser::builder()
            .seconds(croner::parser::Seconds::Disallowed)
            .year(croner::parser::Year::Disallowed)
            .build();
        match parser.parse(expression) {
            Ok(cron) => diagnostics.extend(never_runs(&cron, flow)),
            Err(error) => {
                let label = bad_cron_field(parser, expression).map_or_else(
                    || lowercase_first(&error.to_string()),
                    |(field, value)| format!("`{value}` is not a valid {field}"),
                );
                diagnostics.push(
                    Diagnostic::error(Code::InvalidSchedule, format!("invalid cron expression `{expression}`"))
                        .at(flow.schedule.span)
                        .with_label(label)
                        .with_help(
                            "write five fields: minute hour day-of-month month day-of-week, e.g. \"30 2 * * *\"",
                        ),
                );
            }
        }
    }
    let mut rules: BTreeMap<&str, Span> = BTreeMap::new();
    for rule in flow.tasks.iter().flat_map(|t| &t.quality) {
        if let Some(previous) = rules.get(rule.name.value.as_str()) {
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateQualityRule,
                    format!(
                        "quality rule `{}` is defined twice in flow `{}`",
                        rule.name.value, flow.id
                    ),
                )
                .at(rule.name.span)
                .with_label("defined again here")
                .with_secondary(*previous, "first defined here")
                .with_help("give each quality rule of a flow its own name: results are recorded by flow and rule"),
            );
        } else {
            rules.insert(&rule.name.value, rule.name.span);
        }
    }
    let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
    for task in &flow.tasks {
        if let Some(previous) = seen.get(task.id.task()) {
            diagnostics.push(
                Diagnostic::error(
                    Code::DuplicateTask,
                    format!("task `{}` is defined twice in flow `{}`", task.id.task(), flow.id),
                )
                .at(task.name_span)
                .with_label("defined again here")
                .with_secondary(*previous, "first defined here")
                .with_help("give each task of a flow its own name"),
            );
        } else {
            seen.insert(task.id.task(), task.name_span);
        }
        if let TaskKind::Sync(sync) = &task.kind
            && !project.connections.contains_key(&sync.source.connection.value)
        {
            let name = &sync.source.connection.value;
            diagnostics.push(
                Diagnostic::error(Code::UnknownConnection, format!("unknown connection `{name}`"))
                    .at(sync.source.connection.span)
                    .with_label("not declared under `connections:` in flowc.yaml")
                    .with_help(
                        did_you_mean(name, project.connections.keys().map(String::as_str))
                            .unwrap_or_else(|| "declare it under `connections:` in flowc.yaml".to_owned()),
                    ),
            );
        }
    }
}

fn check_unique_flow_names(flows: &[Flow], diagnostics: &mut Diagnostics) {
    let mut seen: BTreeMap<&str, &Flow> = BTreeMap::new();
    let mut reported = BTreeSet::new();
    for flow in flows {
        if let Some(previous) = seen.get(flow.id.as_str()) {
            if reported.insert(flow.folder.as_str()) {
                diagnostics.push(
                    Diagnostic::error(Code::DuplicateFlow, format!("flow name `{}` is used twice", flow.id))
                        .at(flow.name_span)
                        .with_label(format!("in `{}`", flow.folder))
                        .with_secondary(previous.name_span, format!("also in `{}`", previous.folder))
                        .with_help("every flow needs its own name, equal to its folder name"),
                );
            }
        } else {
            seen.insert(flow.id.as_str(), flow);
        }
    }
}

/// How far after a flow's start a cron schedule must run at least once.
const SCHEDULE_HORIZON_YEARS: u32 = 5;

/// S221 when a cron schedule that parses never runs in the years after the flow's
/// start date (`0 0 31 2 *`: February has no 31st). Searched from the start date (the
/// first of January 2000 without one), never from the clock, so the check is pure.
fn never_runs(cron: &croner::Cron, flow: &Flow) -> Option<Diagnostic> {
    let start = flow
        .start_date
        .as_deref()
        .and_then(|date| chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").ok())
        .or_else(|| chrono::NaiveDate::from_ymd_opt(2000, 1, 1))?
        .and_time(chrono::NaiveTime::MIN);
    let horizon = start.checked_add_months(chrono::Months::new(12 * SCHEDULE_HORIZON_YEARS))?;
    // croner's search is bounded: a pattern that never matches gives an error.
    if cron.find_next_occurrence(&start, true).is_ok_and(|next| next < horizon) {
        return None;
    }
    let Schedule::Cron(expression) = &flow.schedule.value else {
        return None;
    };
    Some(
        Diagnostic::warning(Code::ScheduleNeverRuns, format!("cron schedule `{expression}` never runs"))
            .at(flow.schedule.span)
            .with_label(format!(
                "no run in the {SCHEDULE_HORIZON_YEARS} years after the flow's start date"
            ))
            .with_help(
                "check the day of month against the month (February has no 30th or 31st; April, June, September and November no 31st), or write `schedule: none` for a flow that only runs when triggered",
            ),
    )
}

/// The first cron field that is wrong on its own, with its name.
fn bad_cron_field(parser: croner::parser::CronParser, expression: &str) -> Option<(&'static str, &str)> {
    const FIELDS: [&str; 5] = [
        "minute (0-59)",
        "hour (0-23)",
        "day of month (1-31)",
        "month (1-12)",
        "day of week (0-7)",
    ];
    let parts: Vec<&str> = expression.split_whitespace().collect();
    if parts.len() != FIELDS.len() {
        return None;
    }
    (0..FIELDS.len()).find_map(|i| {
        let probe: Vec<&str> = (0..FIELDS.len()).map(|j| if i == j { parts[j] } else { "*" }).collect();
        parser.parse(&probe.join(" ")).is_err().then_some((FIELDS[i], parts[i]))
    })
}
