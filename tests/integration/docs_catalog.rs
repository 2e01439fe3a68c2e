//! `flowc docs`: the page's data against the compiler's own answers (lineage, layout),
//! byte-identical output, hostile text kept as text, nothing written on errors. The
//! page's behaviour in a browser is `docs_page.rs`.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::support::{example, example_copy, example_repository, flowc, flowc_in, text};

/// The JSON a page carries.
fn data_of(page: &str) -> Value {
    let open = "id=\"flowc-data\">";
    let start = page.find(open).expect("the data element") + open.len();
    let end = start + page[start..].find("</script>").expect("its end");
    serde_json::from_str(&page[start..end]).expect("the data is JSON")
}

fn docs(repo: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec![
        "docs",
        repo.to_str().expect("utf-8 path"),
        "--out",
        out.to_str().expect("utf-8 path"),
    ];
    args.extend_from_slice(extra);
    flowc(&args, b"")
}

fn example_page() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("site/docs.html");
    let output = docs(&example(), &out, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout).starts_with(&format!("wrote {}: 56 tables", out.display())),
        "{}",
        text(&output.stdout)
    );
    let page = std::fs::read_to_string(&out).expect("the page");
    (dir, page)
}

/// `table.column` ids of a column's DIRECT path, upstream or down, from the page's data.
fn path(data: &Value, table: &str, column: &str, upstream: bool) -> BTreeSet<String> {
    let tables = data["tables"].as_array().expect("tables");
    let id = |t: usize, c: usize| {
        format!(
            "{}.{}",
            tables[t]["name"].as_str().unwrap_or_default(),
            tables[t]["columns"][c]["name"].as_str().unwrap_or_default()
        )
    };
    let edges: Vec<(usize, usize, usize, usize)> = data["lineage"]
        .as_array()
        .expect("lineage")
        .iter()
        .filter(|e| e[6] == 1)
        .map(|e| {
            let n = |i: usize| e[i].as_u64().expect("index") as usize;
            (n(0), n(1), n(2), n(3))
        })
        .collect();
    let start = format!("{table}.{column}");
    let mut found = BTreeSet::from([start.clone()]);
    let mut frontier = vec![start];
    while let Some(node) = frontier.pop() {
        for &(ft, fc, tt, tc) in &edges {
            let (from, to) = (id(ft, fc), id(tt, tc));
            let (here, next) = if upstream { (to, from) } else { (from, to) };
            if here == node && found.insert(next.clone()) {
                frontier.push(next);
            }
        }
    }
    found
}

#[test]
fn the_example_page_carries_every_table_and_the_lineage_flowc_computes() {
    let (_dir, page) = example_page();
    let data = data_of(&page);
    assert_eq!(data["version"], 1);
    assert_eq!(data["project"], "wingpay");
    assert_eq!(data["environment"], "prod");
    assert_eq!(data["revision"], Value::Null);
    assert_eq!(data["tasks"].as_array().map(Vec::len), Some(44));
    assert_eq!(data["flows"].as_array().map(Vec::len), Some(7));
    let tables = data["tables"].as_array().expect("tables");
    let recon = tables
        .iter()
        .find(|t| t["name"] == "ads.ads_fin_recon_1d")
        .expect("the recon table");
    assert_eq!(
        recon["description"],
        "The reconciliation numbers finance signs off every morning."
    );
    assert_eq!(
        recon["columns"]
            .as_array()
            .and_then(|c| c.last())
            .map(|c| c["partition"].clone()),
        Some(Value::Bool(true))
    );
    let writer = &data["tasks"][recon["writer"].as_u64().expect("a writer") as usize];
    assert!(
        writer["sql"]
            .as_str()
            .expect("its SQL")
            .contains("ads.ads_fin_recon_1d")
    );
    // The page's upstream path of a report column is `flowc lineage`'s, down to the
    // source database.
    for (table, column) in [
        ("ads.ads_pay_gmv_1d", "gmv_cny"),
        ("ads.ads_fin_recon_1d", "total_closing_balance"),
    ] {
        let target = format!("{table}.{column}");
        let output = flowc(
            &[
                "lineage",
                "examples/wingpay",
                &target,
                "--upstream",
                "99",
                "--downstream",
                "0",
                "--format",
                "json",
            ],
            b"",
        );
        assert!(output.status.success(), "{}", text(&output.stderr));
        let lineage: Value = serde_json::from_slice(&output.stdout).expect("lineage JSON");
        let expected: BTreeSet<String> = lineage["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .map(|n| n["id"].as_str().expect("id").to_owned())
            .collect();
        assert!(expected.len() > 3, "{target}: {expected:?}");
        assert!(
            expected.iter().any(|id| id.split('.').count() > 3),
            "{target} reaches a source system: {expected:?}"
        );
        assert_eq!(path(&data, table, column, true), expected, "{target}");
    }
}

#[test]
fn the_layout_puts_every_edge_left_to_right_and_each_table_in_its_own_place() {
    let (_dir, page) = example_page();
    let data = data_of(&page);
    let tables = data["tables"].as_array().expect("tables");
    let place = |t: &Value| (t["layer"].as_u64().expect("layer"), t["order"].as_u64().expect("order"));
    let places: BTreeSet<(u64, u64)> = tables.iter().map(place).collect();
    assert_eq!(places.len(), tables.len(), "two tables share a place");
    for task in data["tasks"].as_array().expect("tasks") {
        for read in task["reads"].as_array().expect("reads") {
            for write in task["writes"].as_array().expect("writes") {
                let (from, to) = (
                    &tables[read.as_u64().expect("i") as usize],
                    &tables[write.as_u64().expect("i") as usize],
                );
                if from != to {
                    assert!(place(from).0 < place(to).0, "{} → {}", from["name"], to["name"]);
                }
            }
        }
    }
}

#[test]
fn the_same_repository_gives_the_same_page_and_a_revision_names_its_commit() {
    let (_first_dir, first) = example_page();
    let (_second_dir, second) = example_page();
    assert!(first == second, "two runs gave different pages");
    let (repo, repository) = example_repository("");
    let head = repository
        .head()
        .expect("head")
        .peel_to_commit()
        .expect("commit")
        .id()
        .to_string();
    std::fs::write(repo.path().join("flows/reporting/flow.yaml"), "not: [valid").expect("break the work tree");
    let out = repo.path().join("docs.html");
    let output = flowc_in(
        repo.path(),
        &["docs", "--rev", "main", "--out", "docs.html", "--env", "dev"],
        b"",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let data = data_of(&std::fs::read_to_string(&out).expect("the page"));
    assert_eq!(data["revision"], head.as_str());
    assert_eq!(data["environment"], "dev");
    let order = data["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["name"] == "dwd.dwd_pay_order_di")
        .expect("a dwd table")
        .clone();
    assert_ne!(order["physical"], "dwd.dwd_pay_order_di", "dev maps the dwd database");
}

#[test]
fn repository_text_stays_text_in_the_page() {
    let dir = example_copy();
    let flow = dir.path().join("flows/reporting/flow.yaml");
    let yaml = std::fs::read_to_string(&flow).expect("flow file");
    let hostile = "</script><script>alert(1)</script><!-- & -->";
    let edited = yaml.replace(
        "description: The reconciliation numbers finance signs off every morning.",
        &format!("description: {hostile:?}"),
    );
    assert_ne!(edited, yaml);
    std::fs::write(&flow, edited).expect("edit");
    let out = dir.path().join("docs.html");
    let output = docs(dir.path(), &out, &[]);
    assert!(output.status.success(), "{}", text(&output.stderr));
    let page = std::fs::read_to_string(&out).expect("the page");
    assert!(!page.contains("<script>alert(1)"), "hostile text became markup");
    let data = data_of(&page);
    let recon = data["tables"]
        .as_array()
        .expect("tables")
        .iter()
        .find(|t| t["name"] == "ads.ads_fin_recon_1d")
        .cloned();
    assert_eq!(recon.map(|t| t["description"].clone()), Some(Value::from(hostile)));
}

#[test]
fn errors_write_nothing_and_an_unknown_environment_is_named() {
    let dir = example_copy();
    let out = dir.path().join("docs.html");
    std::fs::write(&out, "the page before").expect("an older page");
    let sql = dir.path().join("flows/reporting/ads_pay_gmv_1d.sql");
    std::fs::write(&sql, "INSERT OVERWRITE TABLE ads.ads_pay_gmv_1d SELEC broken").expect("break the SQL");
    let output = docs(dir.path(), &out, &[]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("ads_pay_gmv_1d.sql:1:"),
        "{}",
        text(&output.stderr)
    );
    assert!(
        text(&output.stderr).contains("nothing was written"),
        "{}",
        text(&output.stderr)
    );
    assert_eq!(
        std::fs::read_to_string(&out).expect("the older page"),
        "the page before"
    );
    let output = docs(&example(), &out, &["--env", "staging"]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains("no environment `staging`; there are: dev, prod"),
        "{}",
        text(&output.stderr)
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("list")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with(".docs.html"))
        .collect();
    assert!(leftovers.is_empty(), "a temporary file was left behind");
}

/// What the example's and the scaffold's `docs` workflow runs, in a fresh scaffold.
#[test]
fn the_docs_workflow_command_builds_the_scaffolds_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let output = flowc_in(dir.path(), &["init", "."], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let workflow = std::fs::read_to_string(dir.path().join(".github/workflows/docs.yml")).expect("the docs workflow");
    assert!(workflow.contains("flowc docs . --out site/index.html"), "{workflow}");
    let output = flowc_in(dir.path(), &["docs", ".", "--out", "site/index.html"], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let data = data_of(&std::fs::read_to_string(dir.path().join("site/index.html")).expect("the page"));
    assert!(!data["tables"].as_array().expect("tables").is_empty());
}
