//! What the benches share: a generated repository of sparksql tasks.

use std::fmt::Write as _;
use std::path::Path;

/// Tasks per generated flow.
pub(crate) const TASKS_PER_FLOW: usize = 100;

/// Writes `text` to `path`, creating its folders.
pub(crate) fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create bench folder");
    }
    std::fs::write(path, text).expect("write bench file");
}

/// A repository of `tasks` sparksql tasks with realistic SQL and cross-flow reads.
pub(crate) fn generate(root: &Path, tasks: usize) {
    write(
        &root.join("flowc.yaml"),
        "project: bench\nenvironments: {dev: {dag_prefix: dev__, databases: {dwd: dev_dwd}}, prod: {}}\nteams: {data: {}}\nsources:\n  - table: ods.events\n    partitioned_by: [dt]\n    columns: [{name: id, type: bigint}, {name: amount, type: \"decimal(18,2)\"}, {name: merchant_id, type: bigint}, {name: user_id, type: bigint}, {name: status, type: string}, {name: region, type: string}]\n",
    );
    let flows = tasks.div_ceil(TASKS_PER_FLOW);
    for flow in 0..flows {
        let mut yaml = format!(
            "name: f{flow:04}\nowner: data\nschedule: \"@daily\"\nstart_date: 2024-01-01\nparams: {{region: cn}}\ntasks:\n"
        );
        for local in 0..TASKS_PER_FLOW.min(tasks - flow * TASKS_PER_FLOW) {
            let n = flow * TASKS_PER_FLOW + local;
            let _ = write!(
                yaml,
                "  - name: t{local:03}\n    type: sparksql\n    sql: t{local:03}.sql\n"
            );
            let a = if n == 0 {
                "ods.events".to_owned()
            } else {
                format!("dwd.t{:05}", n / 2)
            };
            let b = if n < 3 {
                "ods.events".to_owned()
            } else {
                format!("dwd.t{:05}", n - 3)
            };
            let sql = format!(
                "-- task {n}: joins two upstream tables\n\
                 WITH recent AS (\n  SELECT id, amount, merchant_id FROM {a}\n  WHERE dt = '${{bizdate}}' AND region = '${{region}}'\n)\n\
                 INSERT OVERWRITE TABLE dwd.t{n:05} PARTITION (dt = '${{bizdate}}')\n\
                 SELECT r.id, r.merchant_id, SUM(r.amount) AS amount,\n       COUNT(DISTINCT o.user_id) AS users,\n       \
                 ROW_NUMBER() OVER (PARTITION BY r.merchant_id ORDER BY SUM(r.amount) DESC) AS rnk,\n       MIN(o.user_id) AS user_id, 'active' AS status, '${{region}}' AS region\n\
                 FROM recent r\nLEFT JOIN {b} o ON r.id = o.id AND o.dt = '{{{{ ds }}}}'\n\
                 WHERE r.amount > 0 AND r.merchant_id IN (SELECT id FROM {a} WHERE status = 'active')\n\
                 GROUP BY r.id, r.merchant_id;\n"
            );
            write(&root.join(format!("flows/f{flow:04}/t{local:03}.sql")), &sql);
        }
        write(&root.join(format!("flows/f{flow:04}/flow.yaml")), &yaml);
    }
}
