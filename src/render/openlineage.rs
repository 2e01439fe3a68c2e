//! OpenLineage `JobEvent`s (spec 2-0-2): one per task of an environment, the static
//! lineage a catalog (Marquez, DataHub, OpenMetadata) imports with no runtime
//! integration.
//!
//! Input: the environment's DAG model (Airflow ids, rendered SQL), the model, each
//! task's tables ([`TaskIo`]) and, when known, the column lineage
//! ([`RepositoryColumns`]). Output: file name → event, as JSON values. Pure.
//!
//! Names are the ones OpenLineage's own integrations give at run time, so the static
//! and runtime graphs merge:
//! - job: `<dag_id>.<task_id>` as the Airflow integration names it, in the namespace
//!   [`job_namespace`] (`flowc://<project>/<env>`; set Airflow's
//!   `[openlineage] namespace` to it);
//! - warehouse tables: `hive://<host>:<port>` and `<database>.<table>`, as the Spark
//!   integration names Hive tables, with the environment's database mapping applied;
//!   the host is the `hive` connection's, else the metastore connection id;
//! - source systems of sync tasks: `mysql://host:port` and `<database>.<table>`,
//!   `oracle://host:port` and `<service>.<schema>.<table>`, and so on.
//!
//! `eventTime` is the epoch ([`EVENT_TIME`]): a JobEvent describes the job as
//! designed, not a moment; a fixed time keeps the output byte-identical, and any
//! runtime event is newer, so consumers that keep the latest facets keep the runtime
//! ones.

use std::collections::{BTreeMap, BTreeSet};

use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::columns::RepositoryColumns;
use crate::dags::{Dag, DagTask, EnvironmentDags, Operator};
use crate::graph::TaskIo;
use crate::model::{ConnectionKind, Environment, Project, Repository, TableName, Task, TaskId};
use crate::sql::columns::ColumnName;

/// `eventTime` of every event: see the module documentation.
pub const EVENT_TIME: &str = "1970-01-01T00:00:00Z";
/// `producer` of every event and facet.
pub const PRODUCER: &str = concat!("urn:flowc:", env!("CARGO_PKG_VERSION"));
const SPEC: &str = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent";
const FACETS: &str = "https://openlineage.io/spec/facets";

/// Where the repository's files are in version control, for the
/// `sourceCodeLocation` facet (known only to the command line, which reads git).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceLocation {
    /// The repository's URL (a remote's, else the repository folder's).
    pub url: String,
    /// The commit.
    pub version: String,
    /// The branch, when the revision is one.
    pub branch: Option<String>,
    /// The flowc repository's folder inside the git repository, `/`-terminated or empty.
    pub prefix: String,
}

/// What the events are built from, besides the DAG model.
pub struct LineageInput<'a> {
    /// The model.
    pub repository: &'a Repository,
    /// The environment.
    pub environment: &'a Environment,
    /// Each task's tables, as written.
    pub task_io: &'a BTreeMap<TaskId, TaskIo>,
    /// Column lineage and schemas, when they were built.
    pub columns: Option<&'a RepositoryColumns>,
    /// Version control, when known.
    pub source: Option<&'a SourceLocation>,
    /// Only these tasks' events; every task's when `None`.
    pub only: Option<&'a BTreeSet<TaskId>>,
}

/// The job namespace of an environment: `flowc://<project>/<env>`.
pub fn job_namespace(project: &str, environment: &str) -> String {
    format!("flowc://{project}/{environment}")
}

/// One event per task of the environment, by file name `<job name>.json`.
pub fn events(dags: &EnvironmentDags, input: &LineageInput<'_>) -> BTreeMap<String, Value> {
    events_as(dags, input, |event| event)
}

/// [`events`], each turned into what `convert` makes of it as soon as it is built
/// (e.g. its bytes), so that the events never all exist at once.
pub fn events_as<T: Send>(
    dags: &EnvironmentDags,
    input: &LineageInput<'_>,
    convert: impl Fn(Value) -> T + Sync,
) -> BTreeMap<String, T> {
    let tasks: BTreeMap<String, &Task> = input
        .repository
        .tasks()
        .map(|(_, task)| (task.id.to_string(), task))
        .collect();
    let owners: BTreeMap<&str, &str> = input
        .repository
        .flows
        .iter()
        .map(|flow| (flow.id.as_str(), flow.owner.value.as_str()))
        .collect();
    let project = input.environment.apply(&input.repository.project);
    let datasets = Datasets {
        project: &project,
        environment: input.environment,
        hive: hive_namespace(&project.connections, &project.airflow.metastore_conn_id),
        external: input
            .task_io
            .values()
            .flat_map(|io| io.external_reads.iter().chain(&io.external_writes))
            .collect(),
    };
    // Each DAG's tasks on their own, in parallel; the events sorted by name.
    dags.dags
        .par_iter()
        .flat_map_iter(|dag| dag.tasks.iter().map(move |dag_task| (dag, dag_task)))
        .filter_map(|(dag, dag_task)| {
            // Not the sensors, partitions, checks and gates flowc adds around tasks.
            let task = tasks
                .get(&dag_task.name)
                .filter(|task| task.kind.type_name() == dag_task.task_type)?;
            if input.only.is_some_and(|only| !only.contains(&task.id)) {
                return None;
            }
            let (name, event) = event(dag, dag_task, task, &datasets, &owners, dags, input);
            Some((name, convert(event)))
        })
        .collect()
}

/// The OpenLineage event of `task`, run as `dag_task` of `dag`: its file name and JSON.
fn event(
    dag: &Dag,
    dag_task: &DagTask,
    task: &Task,
    datasets: &Datasets<'_>,
    owners: &BTreeMap<&str, &str>,
    dags: &EnvironmentDags,
    input: &LineageInput<'_>,
) -> (String, Value) {
    let name = format!("{}.{}", dag.dag_id, dag_task.task_id);
    let owner = owners.get(task.id.flow().as_str()).copied().unwrap_or_default();
    let job = json!({
        "namespace": job_namespace(&input.repository.project.name, &dags.environment),
        "name": name,
        "facets": job_facets(task, dag_task, dags, owner, input),
    });
    let io = input.task_io.get(&task.id).cloned().unwrap_or_default();
    let lineage = input.columns.and_then(|c| c.tasks.get(&task.id));
    let inputs: BTreeSet<&TableName> = io.reads.iter().map(|r| &r.name).chain(&io.external_reads).collect();
    let outputs: BTreeSet<&TableName> = io.writes.iter().map(|w| &w.name).chain(&io.external_writes).collect();
    let schema = |table: &TableName| input.columns.and_then(|c| schema_facet(c, table));
    let inputs: Vec<Value> = inputs
        .iter()
        .map(|table| datasets.dataset(table, schema(table)))
        .collect();
    let outputs: Vec<Value> = outputs
        .iter()
        .map(|table| {
            let mut dataset = datasets.dataset(table, schema(table));
            if let Some(facet) = lineage.and_then(|l| datasets.column_lineage(l, table))
                && let Some(facets) = dataset["facets"].as_object_mut()
            {
                facets.insert("columnLineage".to_owned(), facet);
            }
            dataset
        })
        .collect();
    let event = json!({
        "eventTime": EVENT_TIME,
        "producer": PRODUCER,
        "schemaURL": SPEC,
        "job": job,
        "inputs": inputs,
        "outputs": outputs,
    });
    (format!("{name}.json"), event)
}

/// A facet object with its `_producer` and `_schemaURL`.
fn facet(schema: &str, fields: Value) -> Value {
    let name = schema.rsplit('/').next().unwrap_or(schema);
    let mut object = Map::new();
    object.insert("_producer".to_owned(), Value::from(PRODUCER));
    object.insert(
        "_schemaURL".to_owned(),
        Value::from(format!("{FACETS}/{schema}.json#/$defs/{name}")),
    );
    if let Value::Object(fields) = fields {
        object.extend(fields);
    }
    Value::Object(object)
}

fn job_facets(task: &Task, dag_task: &DagTask, dags: &EnvironmentDags, owner: &str, input: &LineageInput<'_>) -> Value {
    let mut facets = Map::new();
    if let Operator::SparkSqlOperator { sql, .. } = &dag_task.operator
        && let Some(query) = dags.sql_files.get(sql)
    {
        facets.insert(
            "sql".to_owned(),
            facet("1-1-0/SQLJobFacet", json!({"query": query, "dialect": "spark"})),
        );
    }
    facets.insert(
        "jobType".to_owned(),
        facet(
            "2-0-4/JobTypeJobFacet",
            json!({"processingType": "BATCH", "integration": "FLOWC", "jobType": "TASK"}),
        ),
    );
    if !owner.is_empty() {
        facets.insert(
            "ownership".to_owned(),
            facet(
                "1-0-1/OwnershipJobFacet",
                json!({"owners": [{"name": format!("team:{owner}"), "type": "MAINTAINER"}]}),
            ),
        );
    }
    if let Some(description) = &task.description {
        facets.insert(
            "documentation".to_owned(),
            facet("1-1-0/DocumentationJobFacet", json!({"description": description})),
        );
    }
    if let Some(source) = input.source {
        let flow = input.repository.flows.iter().find(|f| &f.id == task.id.flow());
        let mut location = json!({"type": "git", "url": source.url, "version": source.version});
        if let Some(flow) = flow {
            location["path"] = Value::from(format!("{}{}", source.prefix, flow.folder));
        }
        if let Some(branch) = &source.branch {
            location["branch"] = Value::from(branch.as_str());
        }
        facets.insert(
            "sourceCodeLocation".to_owned(),
            facet("1-1-0/SourceCodeLocationJobFacet", location),
        );
    }
    Value::Object(facets)
}

fn schema_facet(columns: &RepositoryColumns, table: &TableName) -> Option<Value> {
    let schema = columns.schemas.get(table)?;
    let fields: Vec<Value> = schema
        .columns
        .iter()
        .chain(&schema.partition_columns)
        .map(|column| {
            let mut field = json!({"name": column.name});
            if let Some(data_type) = &column.data_type {
                field["type"] = Value::from(data_type.as_str());
            }
            if let Some(description) = &column.description {
                field["description"] = Value::from(description.as_str());
            }
            field
        })
        .collect();
    Some(facet("1-2-0/SchemaDatasetFacet", json!({ "fields": fields })))
}

/// Names datasets as OpenLineage's integrations do, in one environment.
struct Datasets<'a> {
    project: &'a Project,
    environment: &'a Environment,
    hive: String,
    /// Tables outside the warehouse (sync tasks' source and target systems).
    external: BTreeSet<&'a TableName>,
}

impl Datasets<'_> {
    /// `(namespace, name)` of a table: a warehouse table with the environment's
    /// database mapping, or a sync task's external table.
    fn name(&self, table: &TableName) -> (String, String) {
        if !self.external.contains(table) {
            return (self.hive.clone(), self.environment.table(table).to_string());
        }
        let (connection, rest) = table.as_str().split_once('.').unwrap_or((table.as_str(), ""));
        let Some(connection) = self.project.connections.get(connection) else {
            return (format!("flowc://{connection}"), rest.to_owned());
        };
        let (host, port, service) = address(connection);
        let scheme = match connection.kind {
            ConnectionKind::Oracle => "oracle",
            ConnectionKind::Oceanbase => "oceanbase",
            ConnectionKind::Mysql => "mysql",
            ConnectionKind::Sftp => "sftp",
            ConnectionKind::Hbase => "hbase",
            ConnectionKind::Hdfs => "hdfs",
            ConnectionKind::Hive => "hive",
        };
        let authority = match (host, port) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host,
            // No address in the model: the connection's name stands for it.
            (None, _) => connection.name.clone(),
        };
        let name = match (connection.kind, service) {
            (ConnectionKind::Oracle, Some(service)) if rest.split('.').count() == 2 => {
                format!("{}.{rest}", service.to_lowercase())
            }
            _ => rest.to_owned(),
        };
        (format!("{scheme}://{authority}"), name)
    }

    fn dataset(&self, table: &TableName, schema: Option<Value>) -> Value {
        let (namespace, name) = self.name(table);
        let mut facets = Map::new();
        if let Some(schema) = schema {
            facets.insert("schema".to_owned(), schema);
        }
        json!({"namespace": namespace, "name": name, "facets": facets})
    }

    fn input_field(&self, column: &ColumnName, transformations: &[Value]) -> Value {
        let (namespace, name) = self.name(&column.table);
        json!({"namespace": namespace, "name": name, "field": column.column, "transformations": transformations})
    }

    /// The columnLineage facet (1-2-0) of `table` as `lineage` writes it: DIRECT
    /// sources per column, INDIRECT ones in `dataset`.
    fn column_lineage(&self, lineage: &crate::columns::TaskColumns, table: &TableName) -> Option<Value> {
        let output = lineage.outputs.iter().find(|o| &o.table == table)?;
        let mut fields = Map::new();
        for column in &output.columns {
            let subtype = crate::columns::lineage::EdgeKind::Direct(column.transformation).subtype();
            let transformation = json!({"type": "DIRECT", "subtype": subtype});
            let inputs: Vec<Value> = column
                .sources
                .iter()
                .map(|source| self.input_field(source, std::slice::from_ref(&transformation)))
                .collect();
            fields.insert(column.name.clone(), json!({ "inputFields": inputs }));
        }
        let mut indirect: BTreeMap<&ColumnName, BTreeSet<&str>> = BTreeMap::new();
        for source in lineage.indirect.iter().filter(|i| &i.target == table) {
            indirect.entry(&source.source).or_default().insert(source.kind.as_str());
        }
        let dataset: Vec<Value> = indirect
            .into_iter()
            .map(|(source, kinds)| {
                let transformations: Vec<Value> = kinds
                    .into_iter()
                    .map(|kind| json!({"type": "INDIRECT", "subtype": kind}))
                    .collect();
                self.input_field(source, &transformations)
            })
            .collect();
        Some(facet(
            "1-2-0/ColumnLineageDatasetFacet",
            json!({"fields": fields, "dataset": dataset}),
        ))
    }
}

/// The namespace of warehouse tables: `hive://<host>:<port>` of the project's `hive`
/// connection when it has an address (port 9083, the metastore's, unless given),
/// else `hive://<metastore connection id>` (as the environment maps it).
fn hive_namespace(connections: &BTreeMap<String, crate::model::Connection>, metastore_conn_id: &str) -> String {
    let hive = connections
        .values()
        .find(|c| c.kind == ConnectionKind::Hive && c.host.is_some());
    match hive {
        Some(connection) => format!(
            "hive://{}:{}",
            connection.host.as_deref().unwrap_or_default(),
            connection.port.unwrap_or(9083)
        ),
        None => format!("hive://{metastore_conn_id}"),
    }
}

/// Host, port and (Oracle) service name of a JDBC-style connection: its own fields,
/// else read from its JDBC URL (`jdbc:mysql://host:port/db`,
/// `jdbc:oracle:thin:@//host:port/SERVICE`).
fn address(connection: &crate::model::Connection) -> (Option<String>, Option<u16>, Option<String>) {
    if connection.host.is_some() {
        return (connection.host.clone(), connection.port, None);
    }
    let Some(url) = connection.jdbc_url.as_deref() else {
        return (None, None, None);
    };
    let Some((_, rest)) = url.split_once("//") else {
        return (None, None, None);
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) => (host, port.parse().ok()),
        None => (authority, None),
    };
    let service = path
        .split(['?', ';'])
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    (Some(host.to_owned()), port, service)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{FileId, Span};
    use crate::model::Connection;

    fn connection(kind: ConnectionKind, edit: impl FnOnce(&mut Connection)) -> Connection {
        let mut connection = Connection::new("c", kind, Span::file_start(FileId::from_index(0)));
        edit(&mut connection);
        connection
    }

    #[test]
    fn addresses_come_from_the_fields_else_from_the_jdbc_url() {
        let fields = connection(ConnectionKind::Mysql, |c| {
            c.host = Some("db".to_owned());
            c.port = Some(3306);
        });
        assert_eq!(address(&fields), (Some("db".to_owned()), Some(3306), None));
        let mysql = connection(ConnectionKind::Mysql, |c| {
            c.jdbc_url = Some("jdbc:mysql://uc-ro:3306/usercenter?useSSL=true".to_owned());
        });
        assert_eq!(
            address(&mysql),
            (Some("uc-ro".to_owned()), Some(3306), Some("usercenter".to_owned()))
        );
        let oracle = connection(ConnectionKind::Oracle, |c| {
            c.jdbc_url = Some("jdbc:oracle:thin:@//stby:1521/PAYCORE".to_owned());
        });
        assert_eq!(
            address(&oracle),
            (Some("stby".to_owned()), Some(1521), Some("PAYCORE".to_owned()))
        );
        let none = connection(ConnectionKind::Hbase, |_| {});
        assert_eq!(address(&none), (None, None, None));
    }

    #[test]
    fn the_warehouse_namespace_is_the_hive_connection_s_else_the_metastore_connection_id() {
        let mut connections = BTreeMap::new();
        assert_eq!(hive_namespace(&connections, "metastore_dev"), "hive://metastore_dev");
        let hive = connection(ConnectionKind::Hive, |c| c.host = Some("hms".to_owned()));
        connections.insert("warehouse".to_owned(), hive);
        assert_eq!(hive_namespace(&connections, "metastore_dev"), "hive://hms:9083");
        assert_eq!(job_namespace("p", "dev"), "flowc://p/dev");
    }
}
