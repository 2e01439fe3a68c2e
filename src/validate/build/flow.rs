//! `flow.yaml` → [`Flow`]: the flow's settings, its tasks (see `task`) and the tables
//! it declares.

use super::columns::{partition_columns, table_columns};
use super::task::{FlowContext, task};
use super::{conf, duration, params};
use crate::Error;
use crate::load::Document;
use crate::model::{Flow, FlowId, Priority, Project, Schedule, TableDeclaration, TableFormat, TableName, TimeZone};
use crate::validate::raw::flow::{RawFlow, RawTable};
use crate::validate::raw::from_json;
use crate::validate::spans::Spans;

/// Builds one flow from a schema-valid `flow.yaml` in `folder` (repository-relative).
pub(in crate::validate) fn flow(document: &Document, folder: &str, project: &Project) -> Result<Flow, Error> {
    let raw: RawFlow = from_json(document)?;
    let spans = Spans { root: &document.root };
    let id = FlowId::new(raw.name.clone());
    let schedule = match raw.schedule.as_str() {
        "none" => Schedule::Triggered,
        preset if preset.starts_with('@') => Schedule::Preset(preset.to_owned()),
        cron => Schedule::Cron(cron.split_whitespace().collect::<Vec<_>>().join(" ")),
    };
    let flow_priority = raw.priority.unwrap_or(Priority::Normal);
    let flow_default_database = raw
        .default_database
        .clone()
        .or_else(|| project.default_database.clone());
    let mut flow_params = project.params.clone();
    flow_params.extend(params(raw.params));
    let flow_alerts = raw.defaults.alerts.clone().or_else(|| project.defaults.alerts.clone());
    let context = FlowContext {
        id: &id,
        folder,
        spans: &spans,
        priority: flow_priority,
        default_database: flow_default_database.as_ref(),
        params: &flow_params,
        conf: &conf(raw.defaults.conf),
        retries: raw.defaults.retries.or(project.defaults.retries),
        retry_delay: duration(raw.defaults.retry_delay.as_deref()).or(project.defaults.retry_delay),
        timeout: duration(raw.defaults.timeout.as_deref()).or(project.defaults.timeout),
        depends_on_past: raw.defaults.depends_on_past.or(project.defaults.depends_on_past),
        alerts: flow_alerts.as_deref(),
    };
    let tasks = raw
        .tasks
        .into_iter()
        .enumerate()
        .map(|(i, raw_task)| task(raw_task, &format!("/tasks/{i}"), &context))
        .collect::<Result<Vec<_>, Error>>()?;
    let tables = tables(raw.tables, &spans, flow_default_database.as_deref());
    Ok(Flow {
        id,
        file: document.file,
        folder: folder.to_owned(),
        name_span: spans.at("/name"),
        owner: spans.spanned(raw.owner, "/owner"),
        description: raw.description,
        schedule: spans.spanned(schedule, "/schedule"),
        start_date: raw.start_date,
        // The schema has checked the name (format `iana-time-zone`).
        timezone: raw
            .timezone
            .as_deref()
            .and_then(TimeZone::named)
            .unwrap_or(project.timezone),
        priority: flow_priority,
        tags: raw.tags,
        default_database: flow_default_database,
        max_active_runs: raw.max_active_runs.or(project.defaults.max_active_runs),
        max_active_tasks: raw.max_active_tasks,
        dagrun_timeout: duration(raw.dagrun_timeout.as_deref()).or(project.defaults.dagrun_timeout),
        sla: duration(raw.sla.as_deref())
            .map(|sla| spans.spanned(sla, "/sla"))
            .or_else(|| project.defaults.sla.clone()),
        alerts: flow_alerts.unwrap_or_default(),
        catchup: raw.catchup,
        cross_flow: raw.cross_flow.unwrap_or(project.airflow.cross_flow),
        params: flow_params,
        tasks,
        tables,
    })
}

/// The tables a flow declares.
fn tables(raw: Vec<RawTable>, spans: &Spans<'_>, default_database: Option<&str>) -> Vec<TableDeclaration> {
    raw.into_iter()
        .enumerate()
        .map(|(i, table)| {
            let at = format!("/tables/{i}");
            let format = match table.format.as_deref() {
                Some("parquet") => TableFormat::Parquet,
                Some("text") => TableFormat::Text,
                _ => TableFormat::Orc,
            };
            let partition_columns = partition_columns(table.partitioned_by, spans, &format!("{at}/partitioned_by"));
            TableDeclaration {
                name: spans.spanned(
                    TableName::new(&table.name).qualified_with(default_database),
                    &format!("{at}/name"),
                ),
                description: table.description,
                format,
                field_delimiter: table.field_delimiter.unwrap_or_else(|| "\u{1}".to_owned()),
                location: table.location,
                partitioned_by_span: spans
                    .root
                    .pointer(&format!("{at}/partitioned_by"))
                    .map_or_else(|| spans.at(&format!("{at}/name")), |node| node.span),
                partitioned_by: partition_columns.iter().map(|c| c.name.clone()).collect(),
                partition_columns,
                columns: table_columns(table.columns, spans, &format!("{at}/columns")),
            }
        })
        .collect()
}
