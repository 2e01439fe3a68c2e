//! Access control: every table a task reads or writes, checked against the grants of
//! its flow's owner team.
//!
//! Input: the model and each task's reads and writes (from its SQL analysis, the sync
//! task's source and target, or the declared inputs and outputs), with spans, and the
//! tables its quality rules compare with (a check runs with its task's team). Output:
//! an [`AccessReport`] of who reads and writes what and why it is allowed, and the
//! diagnostics for what is not. Pure.
//!
//! Rules, for a task of a flow owned by team T touching table X:
//! - the owner of X (`tables:` in `flowc.yaml`, the last matching entry) may always;
//! - X's classes that require a grant (e.g. `pii`) must be named by the grant that
//!   allows the access — even for a team without `grants`, which is otherwise not
//!   restricted;
//! - a team with `grants` may read what a `read` or `write` grant matches and write
//!   what a `write` grant matches; anything else is an error at the table's name.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde::Serialize;

use crate::diagnostic::suggest::did_you_mean;
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::graph::TaskIo;
use crate::model::{Access, Repository, TableName, Task, TaskId, Team};
use crate::quality::Check;
use crate::sql::TableNames;

/// Why an access is allowed.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Allowed {
    /// The team owns the table.
    Owner,
    /// A grant of the team, by its pattern.
    Grant {
        /// The grant's table pattern.
        pattern: String,
    },
    /// The team has no `grants`: not restricted.
    Unrestricted,
    /// Not allowed: a diagnostic says why.
    Denied,
}

/// One team's access to one table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableAccess {
    /// The table.
    pub table: String,
    /// Read or write.
    pub access: &'static str,
    /// The tasks that do it, sorted.
    pub tasks: Vec<String>,
    /// The table's classes.
    pub classifications: Vec<String>,
    /// Why it is allowed.
    pub allowed: Allowed,
}

/// Who reads and writes what.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AccessReport {
    /// Team → its accesses, sorted by table then access.
    pub teams: BTreeMap<String, Vec<TableAccess>>,
    /// Table → its owner and classes, and the teams that read and write it.
    pub tables: BTreeMap<String, TableUse>,
}

/// How one table is used.
#[derive(Clone, Debug, Default, Serialize)]
pub struct TableUse {
    /// Its owner team, if declared.
    pub owner: Option<String>,
    /// Its classes.
    pub classifications: Vec<String>,
    /// Teams that read it.
    pub readers: BTreeSet<String>,
    /// Teams that write it.
    pub writers: BTreeSet<String>,
}

/// One access of one task, with where the table is named.
struct Touch<'a> {
    task: &'a Task,
    /// The quality rule whose check makes the access, if it is not the task itself.
    rule: Option<&'a str>,
    table: TableName,
    access: Access,
    span: Span,
}

impl Touch<'_> {
    /// Who makes the access: the task, or its quality check (`flow.task__dq_rule`,
    /// as the check task is named).
    fn accessor(&self) -> String {
        match self.rule {
            None => self.task.id.to_string(),
            Some(rule) => format!("{}__dq_{rule}", self.task.id),
        }
    }
}

/// Audits every task's reads and writes against its team's grants: who reads and
/// writes what and why it is allowed, and the problems.
///
/// `quality` holds the resolved checks (empty when an earlier error stopped their
/// resolution): the tables their SQL reads beyond what the rules name (subqueries of
/// expressions) are checked too, at the rule's check.
pub fn audit(
    repository: &Repository,
    task_io: &BTreeMap<TaskId, TaskIo>,
    sql_names: &BTreeMap<TaskId, TableNames>,
    quality: &BTreeMap<TaskId, Vec<Check>>,
) -> (AccessReport, Vec<Diagnostic>) {
    let mut found = references(repository);
    let mut report = AccessReport::default();
    let mut accesses: BTreeMap<(String, String, Access), TableAccess> = BTreeMap::new();
    let mut reported: BTreeSet<(TaskId, TableName, Access)> = BTreeSet::new();
    for (flow, task) in repository.tasks() {
        let Some(io) = task_io.get(&task.id) else {
            continue;
        };
        let team_name = flow.owner.value.as_str();
        let team = repository.project.teams.get(team_name);
        let checks = quality.get(&task.id).map_or(&[][..], Vec::as_slice);
        for touch in touches(task, io, sql_names.get(&task.id), checks) {
            let (owner, classes) = metadata(repository, &touch.table);
            let restricted: Vec<&str> = classes
                .iter()
                .filter(|class| {
                    repository
                        .project
                        .classifications
                        .get(*class)
                        .is_none_or(|c| c.requires_grant)
                })
                .map(String::as_str)
                .collect();
            let allowed = decide(team_name, team, owner, &touch, &restricted);
            if allowed == Allowed::Denied && reported.insert((task.id.clone(), touch.table.clone(), touch.access)) {
                found.push(denied(team_name, team, owner, &touch, &restricted));
            }
            let entry = accesses
                .entry((team_name.to_owned(), touch.table.to_string(), touch.access))
                .or_insert_with(|| TableAccess {
                    table: touch.table.to_string(),
                    access: touch.access.as_str(),
                    tasks: Vec::new(),
                    classifications: classes.clone(),
                    allowed: allowed.clone(),
                });
            entry.tasks.push(touch.accessor());
            if allowed == Allowed::Denied {
                entry.allowed = Allowed::Denied;
            }
            let usage = report
                .tables
                .entry(touch.table.to_string())
                .or_insert_with(|| TableUse {
                    owner: owner.map(str::to_owned),
                    classifications: classes.clone(),
                    ..TableUse::default()
                });
            match touch.access {
                Access::Read => usage.readers.insert(team_name.to_owned()),
                Access::Write => usage.writers.insert(team_name.to_owned()),
            };
        }
    }
    for ((team, _, _), mut access) in accesses {
        access.tasks.sort();
        access.tasks.dedup();
        report.teams.entry(team).or_default().push(access);
    }
    (report, found)
}

/// Every table a task touches: reads, writes, tables its DDL changes, other systems'
/// tables (named at the task), the tables its quality rules compare with (named in the
/// rule), and other tables their checks' SQL reads (at the rule's check). The table a rule checks is one the task writes, and the results
/// table is the platform's (`quality.results_table`), written for every team.
fn touches<'a>(task: &'a Task, io: &TaskIo, names: Option<&TableNames>, checks: &'a [Check]) -> Vec<Touch<'a>> {
    let located = |refs: &[crate::sql::TableRef], access: Access| -> Vec<Touch<'a>> {
        refs.iter()
            .map(|r| Touch {
                task,
                rule: None,
                table: r.name.clone(),
                access,
                span: r.span,
            })
            .collect()
    };
    let external = |tables: &[TableName], access: Access| -> Vec<Touch<'a>> {
        tables
            .iter()
            .map(|table| Touch {
                task,
                rule: None,
                table: table.clone(),
                access,
                span: task.name_span,
            })
            .collect()
    };
    let mut all = located(&io.reads, Access::Read);
    all.extend(located(&io.writes, Access::Write));
    if let Some(names) = names {
        all.extend(located(&names.altered, Access::Write));
    }
    all.extend(external(&io.external_reads, Access::Read));
    all.extend(external(&io.external_writes, Access::Write));
    all.extend(task.quality.iter().filter_map(|rule| {
        let other = rule.check.value.other_table()?;
        Some(Touch {
            task,
            rule: Some(rule.name.value.as_str()),
            table: other.table.value.clone(),
            access: Access::Read,
            span: other.table.span,
        })
    }));
    for check in checks {
        let compared = check.rule.check.value.other_table().map(|o| &o.table.value);
        all.extend(
            check
                .reads
                .iter()
                .filter(|read| Some(*read) != compared)
                .map(|read| Touch {
                    task,
                    rule: Some(check.rule.name.value.as_str()),
                    table: read.clone(),
                    access: Access::Read,
                    span: check.rule.check.span,
                }),
        );
    }
    all
}

/// The owner (last matching entry with one) and classes (of every matching entry).
fn metadata<'a>(repository: &'a Repository, table: &TableName) -> (Option<&'a str>, Vec<String>) {
    let mut owner = None;
    let mut classes = BTreeSet::new();
    for entry in repository
        .project
        .table_metadata
        .iter()
        .filter(|m| m.tables.matches(table))
    {
        if let Some(o) = &entry.owner {
            owner = Some(o.value.as_str());
        }
        classes.extend(entry.classifications.iter().map(|c| c.value.clone()));
    }
    (owner, classes.into_iter().collect())
}

fn decide(
    team_name: &str,
    team: Option<&Team>,
    owner: Option<&str>,
    touch: &Touch<'_>,
    restricted: &[&str],
) -> Allowed {
    if owner == Some(team_name) {
        return Allowed::Owner;
    }
    match team.and_then(|t| t.grants.as_ref()) {
        None if restricted.is_empty() => Allowed::Unrestricted,
        None => Allowed::Denied,
        Some(grants) => grants
            .iter()
            .find(|grant| grant.allows(touch.access, &touch.table, restricted))
            .map_or(Allowed::Denied, |grant| Allowed::Grant {
                pattern: grant.tables.as_str().to_owned(),
            }),
    }
}

fn denied(
    team_name: &str,
    team: Option<&Team>,
    owner: Option<&str>,
    touch: &Touch<'_>,
    restricted: &[&str],
) -> Diagnostic {
    let verb = touch.access.as_str();
    let classes = restricted
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let grants = team.and_then(|t| t.grants.as_ref());
    // A grant that would allow it but for the classes.
    let near = grants.and_then(|grants| {
        grants
            .iter()
            .find(|grant| grant.allows(touch.access, &touch.table, &[]))
    });
    let owned_by = owner.map_or_else(String::new, |owner| format!(" (owned by team `{owner}`)"));
    let diagnostic =
        if !restricted.is_empty() && (near.is_some() || grants.is_none()) {
            let help = match near {
                Some(grant) => format!(
                    "add `classifications: [{}]` to the grant `{}: {}` of team `{team_name}`{}",
                    restricted.join(", "),
                    grant.access.as_str(),
                    grant.tables.as_str(),
                    owner.map_or_else(String::new, |owner| format!(
                        ", once team `{owner}`, which owns it, agrees"
                    ))
                ),
                None => format!(
                    "give team `{team_name}` a grant that names the class: `- {{{verb}: {}, classifications: [{}]}}`",
                    touch.table,
                    restricted.join(", ")
                ),
            };
            Diagnostic::error(
            Code::ClassifiedTableNotGranted,
            format!(
                "team `{team_name}` may not {verb} `{}`: it is classified {classes}, and no grant of the team names {}",
                touch.table,
                if restricted.len() == 1 { "that class" } else { "those classes" }
            ),
        )
        .with_help(help)
        } else {
            let mut help = format!(
                "add `- {verb}: {}` under `teams.{team_name}.grants` in flowc.yaml",
                touch.table
            );
            if !restricted.is_empty() {
                let _ = write!(help, " with `classifications: [{}]`", restricted.join(", "));
            }
            if let Some(owner) = owner {
                let _ = write!(help, ", once team `{owner}`, which owns it, agrees");
            }
            let mut diagnostic = Diagnostic::error(
                Code::AccessNotGranted,
                format!(
                    "team `{team_name}` may not {verb} `{}`{owned_by}: no grant covers it",
                    touch.table
                ),
            )
            .with_help(help);
            if let Some(grants) = grants {
                let listed: Vec<String> = grants
                    .iter()
                    .filter(|g| touch.access == Access::Read || g.access == Access::Write)
                    .map(|g| format!("`{}`", g.tables.as_str()))
                    .collect();
                if !listed.is_empty() {
                    diagnostic = diagnostic.with_note(format!("team `{team_name}` may {verb}: {}", listed.join(", ")));
                }
            }
            diagnostic
        };
    let done = match touch.access {
        Access::Read => "read",
        Access::Write => "written",
    };
    let by = match touch.rule {
        None => format!("`{}`", touch.task.id),
        Some(rule) => format!("quality rule `{rule}` of `{}`", touch.task.id),
    };
    diagnostic.at(touch.span).with_label(format!("{done} by {by}"))
}

/// P503 for owners and classes that are not declared (in `tables:`, grants, and the
/// columns of declared tables and sources).
fn references(repository: &Repository) -> Vec<Diagnostic> {
    let project = &repository.project;
    let mut found = Vec::new();
    let unknown_class = |class: &crate::model::Spanned<String>| {
        (!project.classifications.contains_key(&class.value)).then(|| {
            let help = did_you_mean(&class.value, project.classifications.keys().map(String::as_str))
                .unwrap_or_else(|| format!("declare it under `classifications:` (e.g. `{}: {{}}`)", class.value));
            Diagnostic::error(
                Code::UnknownAccessReference,
                format!("classification `{}` is not declared", class.value),
            )
            .at(class.span)
            .with_label("not under `classifications:`")
            .with_help(help)
        })
    };
    for entry in &project.table_metadata {
        if let Some(owner) = &entry.owner
            && !project.teams.contains_key(&owner.value)
        {
            found.push(
                Diagnostic::error(
                    Code::UnknownAccessReference,
                    format!("owner `{}` is not a team", owner.value),
                )
                .at(owner.span)
                .with_label("not under `teams:`")
                .with_help(
                    did_you_mean(&owner.value, project.teams.keys().map(String::as_str))
                        .unwrap_or_else(|| "name a team declared under `teams:`".to_owned()),
                ),
            );
        }
        found.extend(entry.classifications.iter().filter_map(&unknown_class));
    }
    for team in project.teams.values() {
        for grant in team.grants.iter().flatten() {
            found.extend(grant.classifications.iter().filter_map(&unknown_class));
        }
    }
    let declared_columns = repository
        .flows
        .iter()
        .flat_map(|flow| &flow.tables)
        .flat_map(|table| table.columns.iter().chain(&table.partition_columns))
        .chain(
            project
                .sources
                .iter()
                .flat_map(|source| source.columns.iter().chain(&source.partition_columns)),
        );
    for column in declared_columns {
        found.extend(column.classifications.iter().filter_map(&unknown_class));
    }
    found
}

#[cfg(test)]
mod tests {
    use crate::compiler::check;
    use crate::diagnostic::{Code, Diagnostic};
    use crate::load::MemoryTree;

    fn run(project_extra: &str) -> crate::compiler::CheckReport {
        let project = format!(
            "project: t\nenvironments: {{dev: {{databases: {{dwd: dev_dwd, dws: dev_dws}}}}, prod: {{}}}}\n\
             sources:\n  - {{table: ods.users, columns: [{{name: id, type: bigint}}]}}\n  - {{table: ods.orders, columns: [{{name: uid, type: bigint}}]}}\n{project_extra}"
        );
        let flow = "name: risk\nowner: risk\nschedule: \"@daily\"\nstart_date: 2024-01-01\n\
                    tasks:\n  - name: score\n    type: sparksql\n    sql: score.sql\n";
        let sql =
            "INSERT OVERWRITE TABLE dws.risk_score\nSELECT u.id FROM ods.users u JOIN ods.orders o ON u.id = o.uid;\n";
        let tree = MemoryTree::new()
            .with("flowc.yaml", project)
            .with("flows/risk/flow.yaml", flow)
            .with("flows/risk/score.sql", sql);
        check(&tree).expect("check runs")
    }

    fn codes(report: &crate::compiler::CheckReport) -> Vec<Code> {
        report.diagnostics.iter().map(|d| d.code).collect()
    }

    /// The report's only diagnostic, a P501 with `message`, and the text it points at.
    fn the_one_denial<'a>(report: &'a crate::compiler::CheckReport, message: &str) -> (&'a Diagnostic, &'a str) {
        let [diagnostic] = report.diagnostics.iter().collect::<Vec<_>>()[..] else {
            panic!("{:#?}", report.diagnostics)
        };
        assert_eq!(diagnostic.code, Code::AccessNotGranted);
        assert_eq!(diagnostic.message, message);
        let span = diagnostic.span.expect("located");
        (diagnostic, &report.sources.file(span.file).text()[span.range()])
    }

    #[test]
    fn a_team_without_grants_is_not_restricted() {
        let report = run("teams:\n  risk: {}\n");
        assert_eq!(codes(&report), []);
    }

    #[test]
    fn a_read_outside_the_grants_is_located_at_the_table() {
        let report = run("teams:\n  risk:\n    grants:\n      - read: ods.orders\n      - write: dws.risk_*\n");
        let (_, named) = the_one_denial(&report, "team `risk` may not read `ods.users`: no grant covers it");
        assert_eq!(named, "ods.users");
    }

    #[test]
    fn classified_tables_need_a_grant_naming_the_class_even_for_unrestricted_teams() {
        let tables = "classifications:\n  pii: {}\ntables:\n  - match: ods.users\n    owner: users\n    classifications: [pii]\n";
        let unrestricted = run(&format!("teams:\n  risk: {{}}\n  users: {{}}\n{tables}"));
        assert_eq!(codes(&unrestricted), [Code::ClassifiedTableNotGranted]);
        let wildcard = run(&format!(
            "teams:\n  risk:\n    grants:\n      - read: ods.*\n      - write: dws.*\n  users: {{}}\n{tables}"
        ));
        assert_eq!(codes(&wildcard), [Code::ClassifiedTableNotGranted]);
        let named = run(&format!(
            "teams:\n  risk:\n    grants:\n      - read: ods.*\n        classifications: [pii]\n      - write: dws.*\n  users: {{}}\n{tables}"
        ));
        assert_eq!(codes(&named), []);
    }

    /// Team `risk` may read `ods.users` and write `dws.risk_*`; its task `score` reads
    /// `ods.users` (columns `id`, `mid`, `fee`) and has the quality rule `rule`.
    fn check_rule(rule: &str) -> crate::compiler::CheckReport {
        let project = "project: t\nenvironments: {dev: {databases: {dws: dev_dws}}, prod: {}}\n\
                       sources:\n  - {table: ods.users, columns: [{name: id, type: bigint}, {name: mid, type: bigint}, {name: fee, type: double}]}\n  - table: dim.merchant\n\
                       teams:\n  risk:\n    grants:\n      - read: ods.users\n      - write: dws.risk_*\n";
        let flow = format!(
            "name: risk\nowner: risk\nschedule: \"@daily\"\nstart_date: 2024-01-01\n\
             tasks:\n  - name: score\n    type: sparksql\n    sql: score.sql\n    quality:\n      - {rule}\n"
        );
        let sql = "INSERT OVERWRITE TABLE dws.risk_score\nSELECT u.id, u.mid, u.fee FROM ods.users u;\n";
        let tree = MemoryTree::new()
            .with("flowc.yaml", project)
            .with("flows/risk/flow.yaml", flow)
            .with("flows/risk/score.sql", sql);
        check(&tree).expect("check runs")
    }

    #[test]
    fn the_table_a_quality_rule_compares_with_needs_a_grant_too() {
        let report = check_rule(
            "{name: known_merchant, severity: strong, consistency: {references: {column: mid, table: dim.merchant, key: id, with_partition: none}}}",
        );
        let (diagnostic, named) =
            the_one_denial(&report, "team `risk` may not read `dim.merchant`: no grant covers it");
        assert_eq!(named, "dim.merchant");
        assert_eq!(
            diagnostic.label.as_deref(),
            Some("read by quality rule `known_merchant` of `risk.score`")
        );
        let audit = &report.access.teams["risk"];
        let merchant = audit.iter().find(|a| a.table == "dim.merchant").expect("listed");
        assert_eq!(merchant.tasks, ["risk.score__dq_known_merchant"]);
        assert_eq!(merchant.allowed, super::Allowed::Denied);
    }

    #[test]
    fn a_compared_column_is_located_at_its_table_name_plain_or_quoted() {
        for with in ["dim.merchant.fee", "\"dim.merchant.fee\"", "'dim.merchant.fee'"] {
            let report = check_rule(&format!(
                "{{name: fees, severity: weak, consistency: {{equal_sum: {{column: fee, with: {with}}}}}}}"
            ));
            let (_, named) = the_one_denial(&report, "team `risk` may not read `dim.merchant`: no grant covers it");
            assert_eq!(named, "dim.merchant", "{with}");
        }
    }

    #[test]
    fn a_table_read_in_a_rules_subquery_needs_a_grant_too() {
        let report = check_rule(
            "{name: known, severity: weak, accuracy: {expression: \"mid IN (SELECT id FROM dim.merchant)\"}}",
        );
        let (diagnostic, named) =
            the_one_denial(&report, "team `risk` may not read `dim.merchant`: no grant covers it");
        assert_eq!(named, "{expression: \"mid IN (SELECT id FROM dim.merchant)\"}");
        assert_eq!(
            diagnostic.label.as_deref(),
            Some("read by quality rule `known` of `risk.score`")
        );
        let audit = &report.access.teams["risk"];
        let merchant = audit.iter().find(|a| a.table == "dim.merchant").expect("listed");
        assert_eq!(merchant.tasks, ["risk.score__dq_known"]);
    }
}
