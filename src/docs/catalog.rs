//! The catalog's teams, flows and tasks, and the whole [`Catalog`].

use serde::Serialize;

use super::tables::{self, IndirectTuple, LineageTuple, TableEntry};
use super::{DocsInput, Indexes};
use crate::model::{Schedule, TableName, TaskId, TaskKind};

/// The version of the page's data; the page's script reads this one.
pub(super) const VERSION: u32 = 1;

/// Everything the page shows; every reference is an index into one of the lists,
/// each sorted by name.
#[derive(Clone, Debug, Serialize)]
pub struct Catalog {
    /// [`VERSION`].
    pub version: u32,
    /// The project's name.
    pub project: String,
    /// The environment whose table names are shown.
    pub environment: String,
    /// The git commit read, when the page is of a revision.
    pub revision: Option<String>,
    /// Every team.
    pub teams: Vec<TeamEntry>,
    /// Every flow.
    pub flows: Vec<FlowEntry>,
    /// Every task.
    pub tasks: Vec<TaskEntry>,
    /// Every table, in the warehouse or outside it.
    pub tables: Vec<TableEntry>,
    /// Every DIRECT column lineage edge.
    pub lineage: Vec<LineageTuple>,
    /// Every INDIRECT source of the tables tasks write.
    pub indirect: Vec<IndirectTuple>,
}

/// One team.
#[derive(Clone, Debug, Serialize)]
pub struct TeamEntry {
    /// Its name.
    pub name: String,
    /// The GitHub team whose review approves its changes.
    pub github: Option<String>,
}

/// One flow.
#[derive(Clone, Debug, Serialize)]
pub struct FlowEntry {
    /// Its name.
    pub name: String,
    /// Its owner team.
    pub team: Option<usize>,
    /// When it runs: a cron expression, a preset or `triggered`.
    pub schedule: String,
    /// Free text.
    pub description: Option<String>,
    /// Its file, repository-relative.
    pub file: String,
    /// Its tasks.
    pub tasks: Vec<usize>,
}

/// One task.
#[derive(Clone, Debug, Serialize)]
pub struct TaskEntry {
    /// Its name in its flow.
    pub name: String,
    /// Its flow.
    pub flow: usize,
    /// Its `type`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// When it runs (its flow's schedule).
    pub schedule: String,
    /// Its priority level.
    pub priority: &'static str,
    /// Free text.
    pub description: Option<String>,
    /// The tables it reads.
    pub reads: Vec<usize>,
    /// The tables it writes.
    pub writes: Vec<usize>,
    /// The tasks it depends on.
    pub upstream: Vec<usize>,
    /// The tasks that depend on it.
    pub downstream: Vec<usize>,
    /// Its SQL file, repository-relative.
    pub file: Option<String>,
    /// Its SQL as written.
    pub sql: Option<String>,
}

pub(super) fn build(input: &DocsInput<'_>) -> Catalog {
    let repository = input.repository;
    let teams: Vec<TeamEntry> = repository
        .project
        .teams
        .values()
        .map(|team| TeamEntry {
            name: team.name.clone(),
            github: team.github.clone(),
        })
        .collect();
    let mut flows: Vec<&crate::model::Flow> = repository.flows.iter().collect();
    flows.sort_by(|a, b| a.id.as_str().cmp(b.id.as_str()));
    let mut task_ids: Vec<(usize, &crate::model::Task)> = flows
        .iter()
        .enumerate()
        .flat_map(|(flow, f)| f.tasks.iter().map(move |t| (flow, t)))
        .collect();
    task_ids.sort_by(|a, b| a.1.id.cmp(&b.1.id));
    let table_names = tables::names(input);
    let indexes = Indexes {
        teams: teams.iter().enumerate().map(|(i, t)| (t.name.clone(), i)).collect(),
        tasks: task_ids
            .iter()
            .enumerate()
            .map(|(i, (_, t))| (t.id.clone(), i))
            .collect(),
        tables: table_names
            .iter()
            .enumerate()
            .map(|(i, (name, _))| (name.clone(), i))
            .collect(),
    };
    let flow_entries = flows
        .iter()
        .enumerate()
        .map(|(index, flow)| FlowEntry {
            name: flow.id.as_str().to_owned(),
            team: indexes.teams.get(&flow.owner.value).copied(),
            schedule: schedule_text(&flow.schedule.value),
            description: flow.description.clone(),
            file: input.sources.file(flow.file).path().to_owned(),
            tasks: task_ids
                .iter()
                .enumerate()
                .filter(|(_, (f, _))| *f == index)
                .map(|(i, _)| i)
                .collect(),
        })
        .collect();
    let tasks = task_ids
        .iter()
        .map(|&(flow, task)| task_entry(input, &indexes, flow, flows[flow], task))
        .collect();
    let (tables, lineage, indirect) = tables::build(input, &indexes, &table_names);
    Catalog {
        version: VERSION,
        project: repository.project.name.clone(),
        environment: input.environment.name.clone(),
        revision: input.revision.map(str::to_owned),
        teams,
        flows: flow_entries,
        tasks,
        tables,
        lineage,
        indirect,
    }
}

fn task_entry(
    input: &DocsInput<'_>,
    indexes: &Indexes,
    flow: usize,
    flow_model: &crate::model::Flow,
    task: &crate::model::Task,
) -> TaskEntry {
    let io = input.task_io.get(&task.id);
    let table_indexes = |names: Vec<&TableName>| -> Vec<usize> {
        let mut found: Vec<usize> = names
            .into_iter()
            .filter_map(|n| indexes.tables.get(n).copied())
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    };
    let reads = io.map_or_else(Vec::new, |io| {
        table_indexes(io.reads.iter().map(|r| &r.name).chain(&io.external_reads).collect())
    });
    let writes = io.map_or_else(Vec::new, |io| {
        table_indexes(io.writes.iter().map(|w| &w.name).chain(&io.external_writes).collect())
    });
    let task_indexes = |ids: Vec<&TaskId>| -> Vec<usize> {
        let mut found: Vec<usize> = ids
            .into_iter()
            .filter_map(|id| indexes.tasks.get(id).copied())
            .collect();
        found.sort_unstable();
        found
    };
    let sql_file = matches!(task.kind, TaskKind::SparkSql(_))
        .then(|| input.sql_files.get(&task.id))
        .flatten()
        .map(|&file| input.sources.file(file));
    TaskEntry {
        name: task.id.task().to_owned(),
        flow,
        kind: task.kind.type_name(),
        schedule: schedule_text(&flow_model.schedule.value),
        priority: task.priority.as_str(),
        description: task.description.clone(),
        reads,
        writes,
        upstream: task_indexes(input.graph.upstream(&task.id)),
        downstream: task_indexes(input.graph.downstream(&task.id)),
        file: sql_file.map(|f| f.path().to_owned()),
        sql: sql_file.map(|f| f.text().to_owned()),
    }
}

fn schedule_text(schedule: &Schedule) -> String {
    match schedule {
        Schedule::Cron(text) | Schedule::Preset(text) => text.clone(),
        Schedule::Triggered => "triggered".to_owned(),
    }
}
