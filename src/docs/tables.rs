//! The catalog's tables: columns, partitions, owner, writer and readers, quality
//! rules, grants, their place in the layout; and the column lineage between them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::layout;
use super::{DocsInput, Indexes};
use crate::columns::lineage::{EdgeKind, LineageGraph};
use crate::model::TableName;
use crate::policy::access::Allowed;

/// One DIRECT column lineage edge: `(from table, from column, to table, to column,
/// task, subtype, 1)`; columns index the table's `columns`.
pub type LineageTuple = (usize, usize, usize, usize, usize, &'static str, u8);

/// One INDIRECT source: `(from table, from column, to table, task, subtype)` — the
/// column decides which rows the task writes into the table, so it bears on every
/// column the task writes there (listed once, not once per written column).
pub type IndirectTuple = (usize, usize, usize, usize, &'static str);

/// One table.
#[derive(Clone, Debug, Serialize)]
pub struct TableEntry {
    /// `db.table`, or `<connection>.<schema>.<table>` outside the warehouse.
    pub name: String,
    /// The part before the last dot (the layer, for a warehouse table).
    pub database: String,
    /// Its name in the environment shown.
    pub physical: String,
    /// Whether it lives outside the warehouse (a sync task's source or target).
    pub external: bool,
    /// Whether it is declared under the project's `sources:`.
    pub source: bool,
    /// Free text, from its declaration.
    pub description: Option<String>,
    /// Its owner team: declared under `tables:`, else the team of its writer's flow.
    pub owner: Option<usize>,
    /// Classes of sensitive data it holds, from `tables:`.
    pub classifications: Vec<String>,
    /// The task that writes it.
    pub writer: Option<usize>,
    /// The tasks that read it.
    pub readers: Vec<usize>,
    /// Its columns in table order, then columns only lineage knows, then partition
    /// columns.
    pub columns: Vec<ColumnEntry>,
    /// The columns its writer's SQL writes (indexes into `columns`): an INDIRECT source
    /// into the table bears on each of these.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub written: Vec<usize>,
    /// The quality rules on it.
    pub rules: Vec<RuleEntry>,
    /// Which teams may read or write it, and why.
    pub grants: Vec<GrantEntry>,
    /// Its layer in the layout: the longest path to it from a table nothing writes.
    pub layer: usize,
    /// Its place in its layer.
    pub order: usize,
}

/// One column.
///
/// A repository of ten thousand tables has a hundred thousand columns: a field without
/// a value is left out (the page reads it as `null`, `[]` or `false`).
#[derive(Clone, Debug, Serialize)]
pub struct ColumnEntry {
    /// Lower case.
    pub name: String,
    /// Its Spark/Hive type, when known.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub data_type: Option<String>,
    /// Its comment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Classes of sensitive data it holds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub classifications: Vec<String>,
    /// Whether it is a partition column.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partition: bool,
}

/// One quality rule.
#[derive(Clone, Debug, Serialize)]
pub struct RuleEntry {
    /// Its name.
    pub name: String,
    /// `strong` or `weak`.
    pub severity: &'static str,
    /// `completeness`, `accuracy` …
    pub dimension: &'static str,
    /// What it checks, as written in YAML.
    pub check: String,
    /// Free text.
    pub description: Option<String>,
    /// The task whose output it checks.
    pub task: usize,
}

/// One team's access to a table.
#[derive(Clone, Debug, Serialize)]
pub struct GrantEntry {
    /// The team.
    pub team: usize,
    /// `read` or `write`.
    pub access: &'static str,
    /// Why it is allowed: `owner`, `grant <pattern>`, `unrestricted`, `denied`.
    pub reason: String,
}

/// Every table name, sorted, and whether it lives outside the warehouse.
pub(super) fn names(input: &DocsInput<'_>) -> Vec<(TableName, bool)> {
    let mut names: BTreeMap<TableName, bool> = BTreeMap::new();
    for node in LineageGraph::tables(input.task_io).nodes.into_values() {
        names.insert(node.table, node.external);
    }
    for table in input.columns.schemas.keys() {
        names.entry(table.clone()).or_insert(false);
    }
    for source in &input.repository.project.sources {
        names.entry(source.table.clone()).or_insert(false);
    }
    names.into_iter().collect()
}

pub(super) fn build(
    input: &DocsInput<'_>,
    indexes: &Indexes,
    names: &[(TableName, bool)],
) -> (Vec<TableEntry>, Vec<LineageTuple>, Vec<IndirectTuple>) {
    let graph = LineageGraph::columns(input.columns, input.task_io, false);
    let mut columns: Vec<Vec<ColumnEntry>> = names.iter().map(|(name, _)| table_columns(input, name)).collect();
    // Columns only lineage knows (a source system's), before the partition columns.
    let mut extra: BTreeMap<usize, BTreeSet<&str>> = BTreeMap::new();
    let indirect_sources = input
        .columns
        .tasks
        .values()
        .flat_map(|t| &t.indirect)
        .map(|i| &i.source);
    let mentioned = graph
        .nodes
        .values()
        .filter_map(|node| Some((&node.table, node.column.as_deref()?)))
        .chain(indirect_sources.map(|source| (&source.table, source.column.as_str())));
    for (table, column) in mentioned {
        let Some(&table) = indexes.tables.get(table) else {
            continue;
        };
        if !columns[table].iter().any(|c| c.name == column) {
            extra.entry(table).or_default().insert(column);
        }
    }
    for (table, names) in extra {
        let at = columns[table]
            .iter()
            .position(|c| c.partition)
            .unwrap_or(columns[table].len());
        let added = names.into_iter().map(|name| ColumnEntry {
            name: name.to_owned(),
            data_type: None,
            description: None,
            classifications: Vec::new(),
            partition: false,
        });
        columns[table].splice(at..at, added);
    }
    let lineage = lineage(&graph, indexes, &columns);
    let indirect = indirect(input, indexes, &columns);
    let placed = layout::layered(names.len(), &table_edges(input, indexes));
    let mut rules = rules(input, indexes);
    let lookups = Lookups::new(input, indexes);
    let tables = names
        .iter()
        .zip(columns)
        .zip(placed)
        .enumerate()
        .map(|(index, (((name, external), columns), (layer, order)))| TableEntry {
            written: written_columns(input, name, &columns),
            columns,
            rules: rules.remove(&index).unwrap_or_default(),
            layer,
            order,
            ..table_entry(input, indexes, &lookups, name, *external)
        })
        .collect();
    (tables, lineage, indirect)
}

/// What each table's entry looks up, gathered once (a pass per table over every task
/// would be quadratic on a large repository).
struct Lookups<'a> {
    readers: BTreeMap<&'a TableName, BTreeSet<usize>>,
    external_writers: BTreeMap<&'a TableName, &'a crate::model::TaskId>,
    descriptions: BTreeMap<&'a TableName, &'a str>,
    flow_owners: BTreeMap<&'a str, &'a str>,
    grants: BTreeMap<&'a str, Vec<GrantEntry>>,
    sources: BTreeSet<&'a TableName>,
}

impl<'a> Lookups<'a> {
    fn new(input: &DocsInput<'a>, indexes: &Indexes) -> Self {
        let mut readers: BTreeMap<&TableName, BTreeSet<usize>> = BTreeMap::new();
        let mut external_writers = BTreeMap::new();
        for (task, io) in input.task_io {
            let Some(&index) = indexes.tasks.get(task) else {
                continue;
            };
            for read in io.reads.iter().map(|r| &r.name).chain(&io.external_reads) {
                readers.entry(read).or_default().insert(index);
            }
            for write in &io.external_writes {
                external_writers.entry(write).or_insert(task);
            }
        }
        let flows = &input.repository.flows;
        let declared = flows.iter().flat_map(|f| &f.tables);
        Self {
            readers,
            external_writers,
            descriptions: declared
                .filter_map(|t| Some((&t.name.value, t.description.as_deref()?)))
                .collect(),
            flow_owners: flows.iter().map(|f| (f.id.as_str(), f.owner.value.as_str())).collect(),
            grants: grants(input, indexes),
            sources: input.repository.project.sources.iter().map(|s| &s.table).collect(),
        }
    }
}

fn table_entry(
    input: &DocsInput<'_>,
    indexes: &Indexes,
    lookups: &Lookups<'_>,
    name: &TableName,
    external: bool,
) -> TableEntry {
    let key = name.to_string();
    let usage = input.access.tables.get(&key);
    let writer = input
        .graph
        .writer(name)
        .or_else(|| lookups.external_writers.get(name).copied());
    let writer_team = writer.and_then(|task| lookups.flow_owners.get(task.flow().as_str()).copied());
    let owner = usage.and_then(|u| u.owner.as_deref()).or(writer_team);
    TableEntry {
        name: key.clone(),
        database: name.database().unwrap_or_default().to_owned(),
        physical: if external {
            key.clone()
        } else {
            input.environment.table(name).to_string()
        },
        external,
        source: lookups.sources.contains(name),
        description: lookups.descriptions.get(name).map(|d| (*d).to_owned()),
        owner: owner.and_then(|team| indexes.teams.get(team).copied()),
        classifications: usage.map(|u| u.classifications.clone()).unwrap_or_default(),
        writer: writer.and_then(|task| indexes.tasks.get(task).copied()),
        readers: lookups
            .readers
            .get(name)
            .map(|r| r.iter().copied().collect())
            .unwrap_or_default(),
        columns: Vec::new(),
        written: Vec::new(),
        rules: Vec::new(),
        grants: lookups.grants.get(key.as_str()).cloned().unwrap_or_default(),
        layer: 0,
        order: 0,
    }
}

/// A table's columns from its schema, partition columns last.
fn table_columns(input: &DocsInput<'_>, name: &TableName) -> Vec<ColumnEntry> {
    let Some(schema) = input.columns.schemas.get(name) else {
        return Vec::new();
    };
    let entry = |column: &crate::columns::Column, partition: bool| ColumnEntry {
        name: column.name.clone(),
        data_type: column.data_type.clone(),
        description: column.description.clone(),
        classifications: column.classifications.clone(),
        partition,
    };
    let columns = schema.columns.iter().map(|c| entry(c, false));
    columns
        .chain(schema.partition_columns.iter().map(|c| entry(c, true)))
        .collect()
}

/// The indexes of the columns the tasks that write `table` write into it, as
/// `flowc lineage --indirect` follows an INDIRECT source to them.
fn written_columns(input: &DocsInput<'_>, table: &TableName, columns: &[ColumnEntry]) -> Vec<usize> {
    let written: BTreeSet<usize> = input
        .graph
        .writer(table)
        .and_then(|task| input.columns.tasks.get(task))
        .into_iter()
        .flat_map(|lineage| &lineage.outputs)
        .filter(|output| &output.table == table)
        .flat_map(|output| &output.columns)
        .filter_map(|column| columns.iter().position(|c| c.name == column.name))
        .collect();
    written.into_iter().collect()
}

/// Table-level edges by index: every table a task reads to every table it writes.
fn table_edges(input: &DocsInput<'_>, indexes: &Indexes) -> Vec<(usize, usize)> {
    let graph = LineageGraph::tables(input.task_io);
    let index = |id: &str| indexes.tables.get(&TableName::new(id)).copied();
    graph
        .edges
        .iter()
        .filter_map(|edge| Some((index(&edge.from)?, index(&edge.to)?)))
        .collect()
}

/// Every column edge by indexes, sorted.
fn lineage(graph: &LineageGraph, indexes: &Indexes, columns: &[Vec<ColumnEntry>]) -> Vec<LineageTuple> {
    let locate = |id: &str| -> Option<(usize, usize)> {
        let node = graph.nodes.get(id)?;
        let table = *indexes.tables.get(&node.table)?;
        let column = columns[table]
            .iter()
            .position(|c| Some(c.name.as_str()) == node.column.as_deref())?;
        Some((table, column))
    };
    let mut tuples: Vec<LineageTuple> = graph
        .edges
        .iter()
        .filter_map(|edge| {
            let (from_table, from_column) = locate(&edge.from)?;
            let (to_table, to_column) = locate(&edge.to)?;
            let task = *indexes.tasks.get(&edge.task)?;
            let direct = u8::from(matches!(edge.kind, EdgeKind::Direct(_)));
            let subtype = edge.kind.subtype().unwrap_or("TABLE");
            Some((from_table, from_column, to_table, to_column, task, subtype, direct))
        })
        .collect();
    tuples.sort_unstable();
    tuples.dedup();
    tuples
}

/// Every INDIRECT source by indexes, sorted.
fn indirect(input: &DocsInput<'_>, indexes: &Indexes, columns: &[Vec<ColumnEntry>]) -> Vec<IndirectTuple> {
    let mut tuples: Vec<IndirectTuple> = input
        .columns
        .tasks
        .iter()
        .flat_map(|(task, lineage)| lineage.indirect.iter().map(move |i| (task, i)))
        .filter_map(|(task, indirect)| {
            let from_table = *indexes.tables.get(&indirect.source.table)?;
            let from_column = columns[from_table]
                .iter()
                .position(|c| c.name == indirect.source.column)?;
            let to_table = *indexes.tables.get(&indirect.target)?;
            Some((
                from_table,
                from_column,
                to_table,
                *indexes.tasks.get(task)?,
                indirect.kind.as_str(),
            ))
        })
        .collect();
    tuples.sort_unstable();
    tuples.dedup();
    tuples
}

/// The quality rules of each table, by table index, in task then rule order.
fn rules(input: &DocsInput<'_>, indexes: &Indexes) -> BTreeMap<usize, Vec<RuleEntry>> {
    let mut rules: BTreeMap<usize, Vec<RuleEntry>> = BTreeMap::new();
    for (task, checks) in input.quality {
        let Some(&task_index) = indexes.tasks.get(task) else {
            continue;
        };
        for check in checks {
            let Some(&table) = indexes.tables.get(&check.table) else {
                continue;
            };
            let span = check.rule.check.span;
            let text = input.sources.file(span.file).text();
            let written = text.get(span.start as usize..span.end as usize).unwrap_or_default();
            rules.entry(table).or_default().push(RuleEntry {
                name: check.rule.name.value.clone(),
                severity: check.rule.severity.as_str(),
                dimension: check.rule.check.value.dimension().as_str(),
                check: written.trim().to_owned(),
                description: check.rule.description.clone(),
                task: task_index,
            });
        }
    }
    rules
}

/// Which teams read or write each table, and why they may, by table.
fn grants<'a>(input: &DocsInput<'a>, indexes: &Indexes) -> BTreeMap<&'a str, Vec<GrantEntry>> {
    let mut grants: BTreeMap<&str, Vec<GrantEntry>> = BTreeMap::new();
    for (team, accesses) in &input.access.teams {
        let Some(&team_index) = indexes.teams.get(team) else {
            continue;
        };
        for access in accesses {
            let reason = match &access.allowed {
                Allowed::Owner => "owner".to_owned(),
                Allowed::Grant { pattern } => format!("grant {pattern}"),
                Allowed::Unrestricted => "unrestricted".to_owned(),
                Allowed::Denied => "denied".to_owned(),
            };
            grants.entry(access.table.as_str()).or_default().push(GrantEntry {
                team: team_index,
                access: access.access,
                reason,
            });
        }
    }
    grants
}
