//! [`build`]: every task in dependency order, each read against the schemas known so
//! far; the tasks of one level of the graph side by side.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;

use super::compare::compare;
use super::unknown::unknown_schemas;
use super::{Column, RepositoryColumns, SchemaOrigin, TableSchema, TaskColumns};
use crate::diagnostic::{Diagnostics, Span};
use crate::graph::{DependencyGraph, TaskIo};
use crate::model::{Repository, TableColumn, TableName, TaskId, TaskKind};
use crate::sql::columns::{
    self, ColumnName, ColumnPlan, SchemaColumn, Schemas, TableOutput, TargetColumn, Transformation,
};
use crate::sync::DataxJob;

/// What the columns stage reads: a repository that checked without errors up to the
/// graph.
#[derive(Clone, Copy, Debug)]
pub struct ColumnsInput<'a> {
    /// The model: declared tables (`tables:` of each flow, the project's `sources:`).
    pub repository: &'a Repository,
    /// The dependency graph, for the order tasks are resolved in.
    pub graph: &'a DependencyGraph,
    /// The tables each task reads and writes.
    pub task_io: &'a BTreeMap<TaskId, TaskIo>,
    /// The column plan of every sparksql task.
    pub plans: &'a BTreeMap<TaskId, ColumnPlan>,
    /// The DataX job of every sync task (as written).
    pub datax_jobs: &'a BTreeMap<TaskId, DataxJob>,
}

/// Resolves every task in dependency order: each SQL task against the schemas its
/// upstream tasks give (declared, synced or inferred), each sync task from its
/// DataX job. A declared table's schema is its declaration, and the query that
/// writes it is checked against it; an undeclared table gets the columns its writer
/// gives, when they are all known.
pub fn build(input: &ColumnsInput<'_>) -> (RepositoryColumns, Diagnostics) {
    let mut known = Known::declared(input.repository, input.graph);
    // Where each sync task names its target, for its columns' spans.
    let sync_targets: BTreeMap<&TaskId, Span> = input
        .repository
        .tasks()
        .filter_map(|(_, task)| match &task.kind {
            TaskKind::Sync(sync) => Some((&task.id, sync.target.table.span)),
            _ => None,
        })
        .collect();
    let mut tasks = BTreeMap::new();
    let mut diagnostics = Diagnostics::new();
    let order = input.graph.topological_order();
    // Tasks of one level (none reads what another writes) are resolved side by side
    // against the schemas known before it; what they add is then added in order.
    for level in levels(input.graph, &order) {
        let resolved: Vec<(&TaskId, Resolved)> = level
            .par_iter()
            .filter_map(|&task| Some((task, resolve_task(task, input, &known, &sync_targets)?)))
            .collect();
        for (task, resolved) in resolved {
            let found = match resolved {
                Resolved::Sql(file) => {
                    diagnostics.extend(file.diagnostics);
                    for output in &file.outputs {
                        match known.schemas.get(&output.table) {
                            Some(schema) if matches!(schema.origin, SchemaOrigin::Declared(_)) => {
                                diagnostics.extend(compare(output, schema));
                            }
                            _ if output.complete => known.insert(inferred(output, task)),
                            _ => {}
                        }
                    }
                    TaskColumns {
                        outputs: file.outputs,
                        indirect: file.indirect,
                        reads: file.reads,
                        unresolved: file.unresolved,
                    }
                }
                Resolved::Sync(found, schema) => {
                    if let Some(schema) = schema
                        && !known.schemas.contains_key(&schema.table)
                    {
                        known.insert(schema);
                    }
                    found
                }
            };
            tasks.insert(task.clone(), found);
        }
    }
    let repository_columns = RepositoryColumns {
        schemas: known.schemas,
        tasks,
    };
    diagnostics.extend(unknown_schemas(
        input.repository,
        input.graph,
        &order,
        &repository_columns,
    ));
    (repository_columns, diagnostics)
}

/// What resolving one task found, before it is added to what is known.
enum Resolved {
    /// A sparksql task's file.
    Sql(columns::FileColumns),
    /// A sync task's columns and the schema of its target, when known.
    Sync(TaskColumns, Option<TableSchema>),
}

/// Resolves `task` against the schemas `known` so far; `None` for a task without
/// columns (neither SQL nor a sync with a target).
fn resolve_task(
    task: &TaskId,
    input: &ColumnsInput<'_>,
    known: &Known,
    sync_targets: &BTreeMap<&TaskId, Span>,
) -> Option<Resolved> {
    if let Some(plan) = input.plans.get(task) {
        let io = input.task_io.get(task);
        // A declared table the task writes is hidden from the resolver (unless the
        // task reads it too), so that the items keep their own names to compare.
        let hidden: Vec<&TableName> = io
            .into_iter()
            .flat_map(|io| &io.writes)
            .map(|write| &write.name)
            .filter(|name| known.is_declared(name))
            .filter(|name| !io.is_some_and(|io| io.reads.iter().any(|read| &read.name == *name)))
            .collect();
        let file = columns::resolve(
            plan,
            &Hiding {
                known: &known.flat,
                hidden: &hidden,
            },
        );
        return Some(Resolved::Sql(file));
    }
    let (job, &span) = (input.datax_jobs.get(task)?, sync_targets.get(task)?);
    let (found, schema) = sync_columns(task, job, span);
    Some(Resolved::Sync(found, schema))
}

/// `order` (a topological order) cut into levels: a task's level is one past the
/// highest of its upstream tasks', so no task reads what another of its level writes.
/// Each level keeps the tasks in `order`'s order.
fn levels<'a>(graph: &DependencyGraph, order: &[&'a TaskId]) -> Vec<Vec<&'a TaskId>> {
    let mut level_of: BTreeMap<&TaskId, usize> = BTreeMap::new();
    let mut levels: Vec<Vec<&TaskId>> = Vec::new();
    for &task in order {
        let level = graph
            .upstream(task)
            .into_iter()
            .filter_map(|up| level_of.get(up).map(|level| level + 1))
            .max()
            .unwrap_or(0);
        level_of.insert(task, level);
        if levels.len() <= level {
            levels.resize_with(level + 1, Vec::new);
        }
        levels[level].push(task);
    }
    levels
}

/// The schemas known so far, and the same as plain column lists for the resolver.
struct Known {
    schemas: BTreeMap<TableName, TableSchema>,
    flat: BTreeMap<TableName, Vec<SchemaColumn>>,
}

impl Known {
    /// The declared schemas: every flow's `tables:` (the first declaration of a table
    /// counts), then the project's `sources:` that list columns.
    fn declared(repository: &Repository, graph: &DependencyGraph) -> Self {
        let mut known = Self {
            schemas: BTreeMap::new(),
            flat: BTreeMap::new(),
        };
        for table in repository.flows.iter().flat_map(|flow| &flow.tables) {
            if !known.schemas.contains_key(&table.name.value) {
                known.insert(TableSchema {
                    table: table.name.value.clone(),
                    columns: table.columns.iter().map(declared_column).collect(),
                    partition_columns: table.partition_columns.iter().map(declared_column).collect(),
                    origin: SchemaOrigin::Declared(table.name.span),
                    writer: graph.writer(&table.name.value).cloned(),
                });
            }
        }
        for source in &repository.project.sources {
            if !source.columns.is_empty() && !known.schemas.contains_key(&source.table) {
                known.insert(TableSchema {
                    table: source.table.clone(),
                    columns: source.columns.iter().map(declared_column).collect(),
                    partition_columns: source.partition_columns.iter().map(declared_column).collect(),
                    origin: SchemaOrigin::Declared(source.span),
                    writer: None,
                });
            }
        }
        known
    }

    fn is_declared(&self, table: &TableName) -> bool {
        self.schemas
            .get(table)
            .is_some_and(|s| matches!(s.origin, SchemaOrigin::Declared(_)))
    }

    fn insert(&mut self, schema: TableSchema) {
        let flat = schema
            .columns
            .iter()
            .chain(&schema.partition_columns)
            .map(|c| SchemaColumn {
                name: c.name.clone(),
                data_type: c.data_type.clone(),
            })
            .collect();
        self.flat.insert(schema.table.clone(), flat);
        self.schemas.insert(schema.table.clone(), schema);
    }
}

/// The known schemas, less the tables a task writes and must not see.
struct Hiding<'a> {
    known: &'a BTreeMap<TableName, Vec<SchemaColumn>>,
    hidden: &'a [&'a TableName],
}

impl Schemas for Hiding<'_> {
    fn columns(&self, table: &TableName) -> Option<&[SchemaColumn]> {
        if self.hidden.contains(&table) {
            return None;
        }
        self.known.columns(table)
    }
}

/// A column a task writes, as a schema column located at `span`.
fn written_column(column: &TargetColumn, span: Span) -> Column {
    Column {
        name: column.name.clone(),
        data_type: column.data_type.clone(),
        description: None,
        classifications: Vec::new(),
        span: Some(span),
    }
}

fn declared_column(column: &TableColumn) -> Column {
    Column {
        name: column.name.clone(),
        data_type: Some(column.hive_type.clone()),
        description: column.description.clone(),
        classifications: column.classifications.iter().map(|c| c.value.clone()).collect(),
        span: Some(column.span),
    }
}

/// The schema a query gives a table nobody declares: its columns in written order,
/// then its partition columns: static ones (type unknown), then dynamic ones (the
/// last items written, with their types), as Spark requires them in `PARTITION (…)`.
fn inferred(output: &TableOutput, task: &TaskId) -> TableSchema {
    let is_dynamic = |c: &&TargetColumn| output.dynamic_partitions.contains(&c.name);
    let statics = output
        .static_partitions
        .iter()
        .map(|name| Column::partition(name, None));
    let dynamics = output
        .columns
        .iter()
        .filter(is_dynamic)
        .map(|c| written_column(c, c.span));
    TableSchema {
        table: output.table.clone(),
        columns: output
            .columns
            .iter()
            .filter(|c| !is_dynamic(c))
            .map(|c| written_column(c, c.span))
            .collect(),
        partition_columns: statics.chain(dynamics).collect(),
        origin: SchemaOrigin::Inferred(task.clone()),
        writer: Some(task.clone()),
    }
}

/// A sync task's column lineage (each target column from its source system column)
/// and the schema of what it writes: the DataX writer's columns, with their types
/// when the writer has them (hdfswriter).
/// `span` is where the task names its target.
fn sync_columns(task: &TaskId, job: &DataxJob, span: Span) -> (TaskColumns, Option<TableSchema>) {
    let Some(target) = job
        .writes
        .first()
        .map(|t| t.name.clone())
        .or_else(|| job.external_writes.first().cloned())
    else {
        return (TaskColumns::default(), None);
    };
    let mut seen = BTreeSet::new();
    let target_columns: Vec<TargetColumn> = job
        .columns
        .iter()
        .filter_map(|lineage| {
            let (_, to) = lineage.to.rsplit_once('.')?;
            let (from_table, from) = lineage.from.rsplit_once('.')?;
            seen.insert(to.to_lowercase()).then(|| TargetColumn {
                name: to.to_lowercase(),
                data_type: job
                    .writer
                    .columns
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(to))
                    .map(|c| c.data_type.to_lowercase()),
                sources: vec![ColumnName::new(TableName::new(from_table), from)],
                transformation: Transformation::Identity,
                span,
            })
        })
        .collect();
    let schema = TableSchema {
        table: target.clone(),
        columns: target_columns.iter().map(|c| written_column(c, span)).collect(),
        partition_columns: job
            .partition
            .iter()
            .flat_map(|p| &p.spec)
            .map(|(name, _)| Column::partition(&name.to_lowercase(), Some("string")))
            .collect(),
        origin: SchemaOrigin::Sync(task.clone()),
        writer: Some(task.clone()),
    };
    let output = TableOutput {
        table: target,
        columns: target_columns,
        static_partitions: schema.partition_columns.iter().map(|c| c.name.clone()).collect(),
        dynamic_partitions: Vec::new(),
        complete: true,
        by_name: false,
        span,
    };
    let columns = TaskColumns {
        outputs: vec![output],
        ..TaskColumns::default()
    };
    // Without listed columns the job says nothing of the table's columns.
    let schema = (!schema.columns.is_empty()).then_some(schema);
    (columns, schema)
}

#[cfg(test)]
mod tests {
    use crate::columns::SchemaOrigin;
    use crate::compiler::{CheckReport, check};
    use crate::diagnostic::Code;
    use crate::load::MemoryTree;
    use crate::model::{FlowId, TableName, TaskId};
    use crate::sql::columns::{ColumnName, Transformation};

    const PROJECT: &str = "project: t\nenvironments: {dev: {databases: {ods: dev_ods, dwd: dev_dwd}, connections: {shop: shop_dev}}, prod: {}}\n\
        teams: {data: {}}\nclassifications:\n  pii: {}\nconnections:\n  warehouse: {type: hive, default_fs: \"hdfs://ns1\", warehouse_dir: /warehouse}\n\
        \x20 shop: {type: mysql, host: shop, port: 3306, database: shop, airflow_conn_id: shop_ro}\n\
        \x20 shop_dev: {type: mysql, host: shop-dev, port: 3306, database: shop, airflow_conn_id: shop_dev_ro}\n\
        sources:\n  - table: ods.raw_users\n    columns:\n      - {name: user_id, type: bigint}\n      - {name: phone, type: string, description: mobile number, classifications: [pii]}\n    partitioned_by: [{name: dt, type: string}]\n";

    /// A column's name, type, description and classes.
    type Described<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a [String]);

    /// A sync of `shop.t_order` into the declared `ods.orders`, and a SQL task copying
    /// it on; `classes` are the classifications of `ods.orders.id`.
    fn run(classes: &str) -> CheckReport {
        let flow = format!(
            "name: pay\nowner: data\nschedule: \"0 2 * * *\"\nstart_date: \"2024-01-01\"\ntasks:\n  - name: land\n    type: sync\n\
             \x20   source: {{connection: shop, table: t_order, columns: [id, amount]}}\n\
             \x20   target: {{table: ods.orders, partition: \"dt=${{bizdate}}\"}}\n\
             \x20 - name: copy\n    type: sparksql\n    sql: copy.sql\n\
             tables:\n  - name: ods.orders\n    partitioned_by: [{{name: dt, type: string, description: business date}}]\n\
             \x20   columns:\n      - {{name: id, type: bigint, description: order id, classifications: [{classes}]}}\n      - {{name: amount, type: double}}\n"
        );
        let tree = MemoryTree::new()
            .with("flowc.yaml", PROJECT)
            .with("flows/pay/flow.yaml", flow)
            .with(
                "flows/pay/copy.sql",
                "INSERT OVERWRITE TABLE dwd.orders PARTITION (dt = '${bizdate}')\nSELECT o.id, o.amount, u.phone FROM ods.orders o JOIN ods.raw_users u ON o.id = u.user_id;\n",
            );
        check(&tree).unwrap()
    }

    #[test]
    fn declared_tables_and_sources_are_known_schemas() {
        let report = run("pii");
        assert!(!report.diagnostics.has_errors(), "{:?}", report.diagnostics);
        let columns = report.columns.expect("the columns stage ran");
        let orders = &columns.schemas[&TableName::new("ods.orders")];
        assert!(matches!(orders.origin, SchemaOrigin::Declared(_)));
        assert_eq!(orders.writer, Some(TaskId::new(FlowId::new("pay".to_owned()), "land")));
        let described: Vec<Described<'_>> = orders
            .columns
            .iter()
            .chain(&orders.partition_columns)
            .map(|c| {
                (
                    c.name.as_str(),
                    c.data_type.as_deref(),
                    c.description.as_deref(),
                    c.classifications.as_slice(),
                )
            })
            .collect();
        assert_eq!(
            described,
            [
                ("id", Some("bigint"), Some("order id"), &["pii".to_owned()][..]),
                ("amount", Some("double"), None, &[][..]),
                ("dt", Some("string"), Some("business date"), &[][..]),
            ]
        );
        let users = &columns.schemas[&TableName::new("ods.raw_users")];
        assert!(matches!(users.origin, SchemaOrigin::Declared(_)));
        assert_eq!(users.writer, None);
        let names: Vec<&str> = users.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["user_id", "phone"]);
        assert_eq!(users.columns[1].classifications, ["pii"]);
        assert_eq!(users.partition_columns[0].name, "dt");
    }

    #[test]
    fn a_sync_task_maps_each_target_column_to_its_source_system_column() {
        let report = run("pii");
        let columns = report.columns.expect("the columns stage ran");
        let land = &columns.tasks[&TaskId::new(FlowId::new("pay".to_owned()), "land")];
        assert_eq!(land.outputs.len(), 1);
        let output = &land.outputs[0];
        assert_eq!(output.table, TableName::new("ods.orders"));
        assert_eq!(output.static_partitions, ["dt"]);
        let lineage: Vec<(&str, Vec<String>, Transformation, Option<&str>)> = output
            .columns
            .iter()
            .map(|c| {
                (
                    c.name.as_str(),
                    c.sources.iter().map(ToString::to_string).collect(),
                    c.transformation,
                    c.data_type.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            lineage,
            [
                (
                    "id",
                    vec!["shop.shop.t_order.id".to_owned()],
                    Transformation::Identity,
                    Some("bigint")
                ),
                (
                    "amount",
                    vec!["shop.shop.t_order.amount".to_owned()],
                    Transformation::Identity,
                    Some("double")
                ),
            ]
        );
        let edges = columns.edges();
        assert!(edges.iter().any(
            |e| e.source == ColumnName::new(TableName::new("shop.shop.t_order"), "id")
                && e.target == ColumnName::new(TableName::new("ods.orders"), "id")
        ));
    }

    #[test]
    fn a_written_declared_table_is_hidden_from_the_resolver() {
        use super::Hiding;
        use crate::sql::columns::{SchemaColumn, Schemas};
        let column = SchemaColumn {
            name: "id".to_owned(),
            data_type: Some("bigint".to_owned()),
        };
        let (written, read) = (TableName::new("ads.t"), TableName::new("dwd.s"));
        let known =
            std::collections::BTreeMap::from([(written.clone(), vec![column.clone()]), (read.clone(), vec![column])]);
        let hiding = Hiding {
            known: &known,
            hidden: &[&written],
        };
        assert!(hiding.columns(&written).is_none());
        assert_eq!(hiding.columns(&read).map(<[SchemaColumn]>::len), Some(1));
    }

    #[test]
    fn an_undeclared_class_on_a_column_is_an_error() {
        let report = run("pij");
        let codes: Vec<Code> = report.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [Code::UnknownAccessReference]);
        let diagnostic = report.diagnostics.iter().next().unwrap();
        assert_eq!(diagnostic.message, "classification `pij` is not declared");
        assert!(
            diagnostic.help.as_deref().unwrap().contains("under `classifications:`"),
            "{diagnostic:?}"
        );
    }
}
