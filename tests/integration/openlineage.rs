//! OpenLineage events and `flowc lineage`: the events of a small repository (a sync
//! task from Oracle, a SQL task) with column lineage built by hand, what `flowc
//! compile` writes, and every event checked by OpenLineage's own Python client.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::{flowc, output_tree, repo_root, text};
use flowc::columns::{Column, RepositoryColumns, SchemaOrigin, TableSchema, TaskColumns};
use flowc::compiler::{CompileRequest, Compiled, compile};
use flowc::diagnostic::{FileId, Span};
use flowc::load::WorkTree;
use flowc::model::{FlowId, TableName, TaskId};
use flowc::render::openlineage::{LineageInput, events};
use flowc::sql::columns::{ColumnName, IndirectKind, IndirectSource, TableOutput, TargetColumn, Transformation};

fn fixture() -> PathBuf {
    repo_root().join("tests/fixtures/openlineage/repo")
}

fn span() -> Span {
    Span::file_start(FileId::from_index(0))
}

fn column(name: &str) -> ColumnName {
    let (table, column) = name.rsplit_once('.').expect("table.column");
    ColumnName::new(TableName::new(table), column)
}

fn target(name: &str, sources: &[&str], transformation: Transformation) -> TargetColumn {
    TargetColumn {
        name: name.to_owned(),
        data_type: None,
        sources: sources.iter().map(|s| column(s)).collect(),
        transformation,
        span: span(),
    }
}

fn output(table: &str, columns: Vec<TargetColumn>) -> TableOutput {
    TableOutput {
        table: TableName::new(table),
        columns,
        static_partitions: vec!["dt".to_owned()],
        dynamic_partitions: Vec::new(),
        complete: true,
        by_name: false,
        span: span(),
    }
}

fn schema(table: &str, columns: &[(&str, &str)], origin: SchemaOrigin) -> (TableName, TableSchema) {
    let column = |(name, data_type): &(&str, &str)| Column {
        name: (*name).to_owned(),
        data_type: Some((*data_type).to_owned()),
        description: None,
        classifications: Vec::new(),
        span: None,
    };
    let table = TableName::new(table);
    let schema = TableSchema {
        table: table.clone(),
        columns: columns.iter().map(column).collect(),
        partition_columns: vec![column(&("dt", "string"))],
        origin,
        writer: None,
    };
    (table, schema)
}

/// The column lineage the columns stage gives the fixture, written out by hand.
fn hand_built_columns() -> RepositoryColumns {
    let task = |name: &str| TaskId::new(FlowId::new("pay"), name);
    let identity = Transformation::Identity;
    let sync = TaskColumns {
        outputs: vec![output(
            "ods.pay_order",
            vec![
                target("order_id", &["core_oracle.pay.t_order.order_id"], identity),
                target("amount", &["core_oracle.pay.t_order.amount"], identity),
                target("state", &["core_oracle.pay.t_order.state"], identity),
            ],
        )],
        ..TaskColumns::default()
    };
    let indirect = |name: &str, kind| IndirectSource {
        target: TableName::new("dwd.order_amount"),
        source: column(name),
        kind,
    };
    let sql = TaskColumns {
        outputs: vec![output(
            "dwd.order_amount",
            vec![
                target("order_id", &["ods.pay_order.order_id"], identity),
                target("amount", &["ods.pay_order.amount"], Transformation::Aggregation),
            ],
        )],
        indirect: vec![
            indirect("ods.pay_order.dt", IndirectKind::Filter),
            indirect("ods.pay_order.order_id", IndirectKind::GroupBy),
            indirect("ods.pay_order.state", IndirectKind::Filter),
        ],
        ..TaskColumns::default()
    };
    RepositoryColumns {
        schemas: BTreeMap::from([
            schema(
                "ods.pay_order",
                &[("order_id", "bigint"), ("amount", "string"), ("state", "string")],
                SchemaOrigin::Declared(span()),
            ),
            schema(
                "dwd.order_amount",
                &[("order_id", "bigint"), ("amount", "double")],
                SchemaOrigin::Inferred(task("order_amount")),
            ),
        ]),
        tasks: BTreeMap::from([(task("sync_order"), sync), (task("order_amount"), sql)]),
    }
}

/// Every event of the fixture, per environment, with the hand-built column lineage.
fn fixture_events() -> &'static BTreeMap<String, BTreeMap<String, Value>> {
    static EVENTS: OnceLock<BTreeMap<String, BTreeMap<String, Value>>> = OnceLock::new();
    EVENTS.get_or_init(|| {
        let tree = WorkTree::open(&fixture()).expect("the fixture opens");
        let Compiled::Done { report, environments } = compile(&tree, &CompileRequest::default()).expect("compiles")
        else {
            panic!("the fixture compiles without errors");
        };
        let repository = report.repository.as_ref().expect("a model");
        let columns = hand_built_columns();
        environments
            .iter()
            .map(|compiled| {
                let input = LineageInput {
                    repository,
                    environment: &repository.project.environments[&compiled.name],
                    task_io: &report.task_io,
                    columns: Some(&columns),
                    source: None,
                    only: None,
                };
                (compiled.name.clone(), events(&compiled.dags, &input))
            })
            .collect()
    })
}

#[test]
fn jobs_are_named_as_airflow_names_them_in_a_namespace_per_environment() {
    let all = fixture_events();
    let names: Vec<&String> = all["dev"].keys().collect();
    assert_eq!(names, ["dev__pay.order_amount.json", "dev__pay.sync_order.json"]);
    let event = &all["dev"]["dev__pay.order_amount.json"];
    assert_eq!(event["job"]["namespace"], "flowc://ol_demo/dev");
    assert_eq!(event["job"]["name"], "dev__pay.order_amount");
    assert_eq!(event["eventTime"], "1970-01-01T00:00:00Z");
    assert_eq!(
        event["schemaURL"],
        "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/JobEvent"
    );
    let facets = &event["job"]["facets"];
    assert_eq!(facets["sql"]["dialect"], "spark");
    assert!(
        facets["sql"]["query"]
            .as_str()
            .is_some_and(|q| q.contains("dev_ods.pay_order")),
        "{facets}"
    );
    assert_eq!(facets["jobType"]["processingType"], "BATCH");
    assert_eq!(facets["ownership"]["owners"][0]["name"], "team:payments");
    assert_eq!(facets["documentation"]["description"], "Paid amount per order.");
    assert!(facets.get("sourceCodeLocation").is_none(), "compile knows no commit");
}

#[test]
fn datasets_are_named_as_the_spark_integration_names_them_with_the_environment_mapping() {
    let all = fixture_events();
    let sync = &all["prod"]["pay.sync_order.json"];
    assert_eq!(sync["inputs"][0]["namespace"], "oracle://core-stby:1521");
    assert_eq!(sync["inputs"][0]["name"], "core.pay.t_order", "service.schema.table");
    assert_eq!(sync["outputs"][0]["namespace"], "hive://metastore_default");
    assert_eq!(sync["outputs"][0]["name"], "ods.pay_order");
    let dev = &all["dev"]["dev__pay.sync_order.json"];
    assert_eq!(dev["outputs"][0]["name"], "dev_ods.pay_order");
    let fields = &dev["outputs"][0]["facets"]["columnLineage"]["fields"];
    assert_eq!(
        fields["amount"]["inputFields"][0]["namespace"],
        "oracle://core-stby:1521"
    );
    assert_eq!(fields["amount"]["inputFields"][0]["field"], "amount");
}

#[test]
fn outputs_carry_the_schema_and_column_lineage_with_indirect_sources_apart() {
    let event = &fixture_events()["dev"]["dev__pay.order_amount.json"];
    let output = &event["outputs"][0];
    assert_eq!(output["name"], "dev_dwd.order_amount");
    let schema: Vec<(&str, &str)> = output["facets"]["schema"]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| (f["name"].as_str().unwrap_or(""), f["type"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(schema, [("order_id", "bigint"), ("amount", "double"), ("dt", "string")]);
    let lineage = &output["facets"]["columnLineage"];
    assert_eq!(
        lineage["_schemaURL"],
        "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet"
    );
    let amount = &lineage["fields"]["amount"]["inputFields"][0];
    assert_eq!(amount["name"], "dev_ods.pay_order");
    assert_eq!(amount["transformations"][0]["type"], "DIRECT");
    assert_eq!(amount["transformations"][0]["subtype"], "AGGREGATION");
    let indirect: Vec<String> = lineage["dataset"]
        .as_array()
        .expect("dataset")
        .iter()
        .map(|field| {
            let kinds: Vec<&str> = field["transformations"]
                .as_array()
                .expect("transformations")
                .iter()
                .map(|t| t["subtype"].as_str().unwrap_or(""))
                .collect();
            format!("{}:{}", field["field"].as_str().unwrap_or(""), kinds.join("+"))
        })
        .collect();
    assert_eq!(indirect, ["dt:FILTER", "order_id:GROUP_BY", "state:FILTER"]);
    // The input's schema is the declared one.
    assert_eq!(event["inputs"][0]["facets"]["schema"]["fields"][2]["name"], "state");
}

#[test]
fn compile_writes_one_event_per_task_and_environment_byte_for_byte_the_same() {
    let compile_into = || {
        let out = tempfile::tempdir().expect("temp dir");
        let fixture = fixture();
        let result = flowc(&["compile", path(&fixture), "--out", path(out.path())], b"");
        assert!(result.status.success(), "{}", text(&result.stderr));
        out
    };
    let (one, two) = (compile_into(), compile_into());
    let files = output_tree(one.path());
    assert_eq!(files, output_tree(two.path()), "deterministic");
    let events: Vec<&String> = files.keys().filter(|p| p.contains("/openlineage/")).collect();
    assert_eq!(
        events,
        [
            "dev/openlineage/dev__pay.order_amount.json",
            "dev/openlineage/dev__pay.sync_order.json",
            "prod/openlineage/pay.order_amount.json",
            "prod/openlineage/pay.sync_order.json",
        ]
    );
    let manifest = text(&files["prod/manifest.json"]);
    assert!(
        manifest.contains("openlineage/pay.sync_order.json"),
        "listed as an output"
    );
    assert!(
        !manifest.contains("\"eventTime\""),
        "the events themselves stay out of the manifest"
    );
}

fn path(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 path")
}

/// Runs `tests/openlineage/validate.py` with the pinned client on `paths`.
fn validate(paths: &[&Path]) -> (bool, String) {
    let setup = Command::new("bash")
        .arg(repo_root().join("scripts/openlineage-venv.sh"))
        .current_dir(repo_root())
        .output()
        .expect("bash runs");
    assert!(setup.status.success(), "{}{}", text(&setup.stdout), text(&setup.stderr));
    let output = Command::new(repo_root().join(".venv/openlineage/bin/python"))
        .arg(repo_root().join("tests/openlineage/validate.py"))
        .args(paths)
        .output()
        .expect("python runs");
    (
        output.status.success(),
        format!("{}{}", text(&output.stdout), text(&output.stderr)),
    )
}

#[test]
#[ignore = "needs python3 and openlineage-python (scripts/openlineage-venv.sh installs it)"]
fn every_event_passes_openlineage_s_own_client() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (environment, events) in fixture_events() {
        for (name, event) in events {
            let file = dir.path().join(format!("{environment}.{name}"));
            std::fs::write(&file, event.to_string()).expect("written");
        }
    }
    let out = tempfile::tempdir().expect("temp dir");
    let example = crate::support::example();
    let compiled = flowc(&["compile", path(&example), "--out", path(out.path())], b"");
    assert!(compiled.status.success(), "{}", text(&compiled.stderr));
    let (dev, prod) = (out.path().join("dev/openlineage"), out.path().join("prod/openlineage"));
    let (ok, report) = validate(&[dir.path(), &dev, &prod]);
    assert!(ok, "{report}");
    assert!(report.trim_end().ends_with(" passed, 0 failed"), "{report}");
    // And the validator is strict: a key the spec does not know fails.
    let mut broken = fixture_events()["prod"]["pay.order_amount.json"].clone();
    broken["job"]["facets"]["sql"]["dialekt"] = Value::from("spark");
    let file = dir.path().join("broken.json");
    std::fs::write(&file, broken.to_string()).expect("written");
    let (ok, report) = validate(&[&file]);
    assert!(!ok && report.contains("unknown keys ['dialekt']"), "{report}");
}

#[test]
fn lineage_names_an_unknown_table_and_its_closest_match() {
    let example = crate::support::example();
    let output = flowc(&["lineage", path(&example), "dws.dws_pay_merchnt_1d"], b"");
    assert_eq!(output.status.code(), Some(2));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("did you mean `dws.dws_pay_merchant_1d`?"), "{stderr}");
}

#[test]
fn lineage_of_a_table_reaches_the_source_database_through_the_sync_task() {
    let example = crate::support::example();
    let output = flowc(
        &[
            "lineage",
            path(&example),
            "dws.dws_pay_merchant_1d",
            "--upstream",
            "3",
            "--downstream",
            "0",
        ],
        b"",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("← core_oracle.paycore.t_pay_order (external)  [ods_ingest.sync_payment_order]"),
        "{stdout}"
    );
    let json = flowc(
        &[
            "lineage",
            path(&example),
            "dws.dws_pay_merchant_1d",
            "--format",
            "json",
            "--downstream",
            "0",
        ],
        b"",
    );
    let value: Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(value["level"], "table");
    assert_eq!(value["focus"], "dws.dws_pay_merchant_1d");
    assert!(value["hidden"]["downstream"].as_u64().is_some_and(|n| n > 0), "{value}");
    let events = flowc(
        &[
            "lineage",
            path(&example),
            "dws.dws_pay_merchant_1d",
            "--format",
            "openlineage",
            "--upstream",
            "1",
            "--downstream",
            "0",
        ],
        b"",
    );
    let lines: Vec<Value> = text(&events.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one event a line"))
        .collect();
    assert_eq!(lines.len(), 1, "the one task writing it");
    assert_eq!(lines[0]["job"]["namespace"], "flowc://wingpay/prod");
}

#[test]
fn lineage_events_name_the_git_location_of_each_flow() {
    let dir = tempfile::tempdir().expect("temp dir");
    let project = dir.path().join("warehouse");
    crate::support::copy_dir(&fixture(), &project);
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let repository = git2::Repository::init_opts(dir.path(), &options).expect("git init");
    repository
        .remote("origin", "https://git.example.invalid/data/warehouse.git")
        .expect("a remote");
    let commit = crate::support::commit_all(&repository, "the warehouse");
    let output = flowc(
        &[
            "lineage",
            path(&project),
            "dwd.order_amount",
            "--format",
            "openlineage",
            "--env",
            "dev",
        ],
        b"",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let events: Vec<Value> = stdout.lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    let names: Vec<&str> = events.iter().map(|e| e["job"]["name"].as_str().unwrap_or("")).collect();
    assert_eq!(
        names,
        ["dev__pay.order_amount", "dev__pay.sync_order"],
        "the tasks around it"
    );
    let location = &events[0]["job"]["facets"]["sourceCodeLocation"];
    assert_eq!(location["type"], "git");
    assert_eq!(location["url"], "https://git.example.invalid/data/warehouse.git");
    assert_eq!(location["version"], commit.to_string());
    assert_eq!(location["branch"], "main");
    assert_eq!(location["path"], "warehouse/flows/pay");
    // A revision: its commit, and the branch it names.
    let at_rev = flowc(
        &[
            "lineage",
            path(&project),
            "dwd.order_amount",
            "--format",
            "openlineage",
            "--rev",
            "main",
        ],
        b"",
    );
    let first: Value = serde_json::from_str(text(&at_rev.stdout).lines().next().expect("an event")).expect("JSON");
    assert_eq!(
        first["job"]["facets"]["sourceCodeLocation"]["version"],
        commit.to_string()
    );
    assert_eq!(first["job"]["namespace"], "flowc://ol_demo/prod");
}
