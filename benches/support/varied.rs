//! The performance bench's repository: `tasks` sparksql tasks in `tasks / 100` flows,
//! with varied SQL of realistic size (1.2–1.6 KB a file on average) drawn
//! deterministically from seven shapes — CTE chains, window functions, `LATERAL VIEW
//! explode`, `UNION ALL`, CASE with a `BROADCAST` hint, a dedup by `ROW_NUMBER`, GROUP
//! BY/HAVING — with `IN`/`EXISTS`/scalar subqueries, `${bizdate}`, the flow parameter
//! `${region}`, `{{ ds }}` and comments.
//!
//! Every written table has the same nine columns (plus the partition `dt`), produced by
//! different expressions, so each task can read any table written before it and column
//! lineage resolves everywhere; the declared sources have the same columns with types.
//! Task `n` writes one table and reads one to three tables written by earlier tasks
//! (the same flow's recent ones, or any earlier flow's) or a declared source, so the
//! graph has no cycle. The repository checks with no error and no warning.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Tasks per generated flow.
pub(crate) const TASKS_PER_FLOW: usize = 100;

/// The declared source tables, all with [`SOURCE_COLUMNS`] and partitioned by `dt`.
const SOURCES: [&str; 5] = ["ods.events", "ods.orders", "ods.users", "ods.merchants", "ods.payments"];

/// Every table's columns: a source's declared ones, and what every task writes.
const SOURCE_COLUMNS: &str = "[{name: id, type: bigint}, {name: user_id, type: bigint}, {name: merchant_id, type: bigint}, {name: region, type: string}, {name: status, type: string}, {name: amount, type: \"decimal(18,2)\"}, {name: cnt, type: bigint}, {name: score, type: double}, {name: tags, type: string}]";

/// Business domains: flow names and table names.
const DOMAINS: [&str; 10] = ["pay", "risk", "mkt", "usr", "mch", "fin", "ops", "crm", "log", "sup"];
const ENTITIES: [&str; 8] = [
    "order", "refund", "visit", "coupon", "ledger", "device", "settle", "profile",
];
const TEAMS: [&str; 4] = ["data", "payments", "risk", "growth"];
const REGIONS: [&str; 5] = ["cn", "sg", "eu", "us", "jp"];
const PURPOSES: [&str; 6] = [
    "daily facts, cleaned and deduplicated, for the layers above",
    "one row per key and business day, consumed by finance reconciliation",
    "per-merchant summary used by the risk scoring models and the BI dashboards",
    "enriched with the merchant dimension; late rows of the previous day are merged",
    "tag-level breakdown for marketing attribution (campaign tags come as a list)",
    "net amounts after refunds and reversals, the input of the monthly close",
];

/// What the bench needs to know about the repository it generated.
pub(crate) struct Generated {
    /// Every SQL file, in task order.
    pub(crate) sql_files: Vec<PathBuf>,
    /// Their total size.
    pub(crate) sql_bytes: u64,
    /// A SQL file in the middle of the graph, to change (it has an ` AS score` item).
    pub(crate) change: PathBuf,
    /// `db.table.column` of a column written by the last task: deep in the lineage.
    pub(crate) deep_column: String,
}

/// A small deterministic PRNG (SplitMix64): the same repository on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// Writes `text` to `path`, creating its folders.
pub(crate) fn write(path: &Path, text: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("create bench folder");
    }
    std::fs::write(path, text).expect("write bench file");
}

fn flow_name(flow: usize) -> String {
    format!("{}_{flow:04}", DOMAINS[flow % DOMAINS.len()])
}

/// The table task `n` writes (its task is named after it, without the database).
fn table_of(n: usize) -> String {
    let local = n % TASKS_PER_FLOW;
    let (db, layer) = match local {
        0..40 => ("dwd", "dwd"),
        40..80 => ("dws", "dws"),
        _ => ("ads", "ads"),
    };
    let domain = DOMAINS[(n / TASKS_PER_FLOW) % DOMAINS.len()];
    let entity = ENTITIES[n % ENTITIES.len()];
    format!("{db}.{layer}_{domain}_{entity}_{n:06}")
}

/// One to three distinct tables task `n` reads, all written before it or declared.
fn reads_of(n: usize, rng: &mut Rng) -> Vec<String> {
    let count = match rng.below(100) {
        0..30 => 1,
        30..75 => 2,
        _ => 3,
    };
    let local = n % TASKS_PER_FLOW;
    let flow_start = n - local;
    let mut reads: Vec<String> = Vec::new();
    for _ in 0..count * 3 {
        if reads.len() == count {
            break;
        }
        let roll = rng.below(100);
        let table = if n < 5 || roll < 12 {
            rng.pick(&SOURCES).to_owned()
        } else if local > 0 && (roll < 60 || flow_start == 0) {
            // A recent task of the same flow.
            table_of(n - 1 - rng.below(local.min(20)))
        } else if flow_start > 0 {
            // Any task of an earlier flow.
            table_of(rng.below(flow_start))
        } else {
            rng.pick(&SOURCES).to_owned()
        };
        if !reads.contains(&table) {
            reads.push(table);
        }
    }
    reads
}

/// Generates the repository under `root`.
pub(crate) fn generate(root: &Path, tasks: usize) -> Generated {
    let mut rng = Rng(0x00F1_0C00_BE4C_2026);
    write(&root.join("flowc.yaml"), &project_yaml());
    let mut sql_files = Vec::with_capacity(tasks);
    let mut sql_bytes = 0;
    for flow in 0..tasks.div_ceil(TASKS_PER_FLOW) {
        let name = flow_name(flow);
        let team = TEAMS[flow % TEAMS.len()];
        let mut yaml = format!(
            "name: {name}\nowner: {team}\ndescription: Generated flow {flow} of the performance bench.\nschedule: \"{} {} * * *\"\nstart_date: \"2024-01-01\"\ntags: [{}, bench]\nparams: {{region: {}}}\ntasks:\n",
            flow % 60,
            1 + flow % 5,
            DOMAINS[flow % DOMAINS.len()],
            REGIONS[flow % REGIONS.len()],
        );
        for local in 0..TASKS_PER_FLOW.min(tasks - flow * TASKS_PER_FLOW) {
            let n = flow * TASKS_PER_FLOW + local;
            let table = table_of(n);
            let task = table.split_once('.').map_or(table.as_str(), |(_, t)| t).to_owned();
            task_yaml(&mut yaml, &task, &mut rng);
            let reads = reads_of(n, &mut rng);
            let sql = sql_of(&table, &reads, &name, team, &mut rng);
            let path = root.join(format!("flows/{name}/{task}.sql"));
            write(&path, &sql);
            sql_bytes += sql.len() as u64;
            sql_files.push(path);
        }
        write(&root.join(format!("flows/{name}/flow.yaml")), &yaml);
    }
    let change = sql_files[sql_files.len() / 2].clone();
    Generated {
        sql_files,
        sql_bytes,
        change,
        deep_column: format!("{}.amount", table_of(tasks - 1)),
    }
}

fn project_yaml() -> String {
    let mut yaml = String::from(
        "project: bench\ndescription: The flowc performance bench's generated warehouse.\ntimezone: Asia/Shanghai\nsql: {dialect: spark, default_database: dwd}\nenvironments:\n  dev: {dag_prefix: dev__, databases: {ods: dev_ods, dwd: dev_dwd, dws: dev_dws, ads: dev_ads}}\n  prod: {}\nteams:\n",
    );
    for team in TEAMS {
        let _ = writeln!(yaml, "  {team}: {{description: the {team} team}}");
    }
    yaml.push_str("sources:\n");
    for source in SOURCES {
        let _ = writeln!(
            yaml,
            "  - table: {source}\n    description: landed by the ingestion system\n    partitioned_by: [dt]\n    columns: {SOURCE_COLUMNS}"
        );
    }
    yaml
}

fn task_yaml(yaml: &mut String, task: &str, rng: &mut Rng) {
    let _ = write!(yaml, "  - name: {task}\n    type: sparksql\n    sql: {task}.sql\n");
    if rng.chance(40) {
        let _ = writeln!(yaml, "    description: {}", rng.pick(&PURPOSES));
    }
    if rng.chance(15) {
        yaml.push_str("    priority: important\n    retries: 2\n");
    }
    if rng.chance(10) {
        let _ = writeln!(
            yaml,
            "    conf: {{spark.sql.shuffle.partitions: {}}}",
            100 * (1 + rng.below(8))
        );
    }
}

/// One task's SQL: a header comment, then one of the shapes with its slots filled.
fn sql_of(table: &str, reads: &[String], flow: &str, team: &str, rng: &mut Rng) -> String {
    let a = &reads[0];
    let b = &reads[1 % reads.len()];
    let c = &reads[2 % reads.len()];
    let mut sql = format!(
        "-- {table}\n-- Purpose: {}.\n-- Owner: {team} (flow {flow}). Reads {}.\n",
        rng.pick(&PURPOSES),
        reads.join(", ")
    );
    for _ in 0..=rng.below(5) {
        let _ = writeln!(
            sql,
            "-- 2025-{:02}-{:02} DW-{}: {}",
            1 + rng.below(12),
            1 + rng.below(28),
            1000 + rng.below(9000),
            rng.pick(&CHANGES)
        );
    }
    let shape = SHAPES[rng.below(SHAPES.len())];
    let key = rng.pick(&["merchant_id", "user_id", "region"]);
    let filled = shape
        .replace("@t", table)
        .replace("@a", a)
        .replace("@b", b)
        .replace("@c", c)
        .replace("@key", key)
        .replace("@k1", &(1 + rng.below(50)).to_string())
        .replace("@k2", &(10 + rng.below(90)).to_string())
        .replace("@k3", &(100 + rng.below(900)).to_string())
        .replace("@f1", &format!("{}.{:02}", rng.below(2), rng.below(100)))
        .replace("@days", &(1 + rng.below(7)).to_string());
    sql.push_str(&filled);
    sql
}

const CHANGES: [&str; 6] = [
    "exclude test merchants flagged by risk",
    "late rows of the previous day are merged",
    "amounts in CNY after the FX change",
    "status mapping follows the new order states",
    "dedup on the business key, keep the latest",
    "performance: broadcast the small side",
];

/// The shapes. Slots: `@t` the written table, `@a` `@b` `@c` the tables read (the
/// same table twice when the task reads fewer), `@key` a grouping column, `@k1`–`@k3`
/// integers, `@f1` a decimal, `@days` a day count. Every shape writes the nine columns
/// in order and has an ` AS score` item (the bench's one-file change edits it).
const SHAPES: [&str; 7] = [CTE_AGG, WINDOW, LATERAL, UNION, CASE_HINT, DEDUP, SUMMARY];

const CTE_AGG: &str = "WITH base AS (
    SELECT s.id, s.user_id, s.merchant_id, s.region, s.status, s.amount, s.cnt, s.score, s.tags
    FROM @a s
    WHERE s.dt = '${bizdate}'
      AND s.region = '${region}'
      AND s.amount >= @k1
),
totals AS (
    -- totals per @key over the business day
    SELECT @key, SUM(amount) AS total_amount, COUNT(*) AS order_cnt, MAX(score) AS max_score
    FROM base
    GROUP BY @key
    HAVING COUNT(*) > @k2
)
INSERT OVERWRITE TABLE @t PARTITION (dt = '${bizdate}')
SELECT /*+ BROADCAST(m) */
       b.id,
       b.user_id,
       b.merchant_id,
       b.region,
       CASE WHEN t.order_cnt > @k3 THEN 'hot'
            WHEN t.order_cnt > @k2 THEN 'warm'
            ELSE m.status END AS status,
       CAST(t.total_amount AS DECIMAL(18,2)) AS amount,
       t.order_cnt AS cnt,
       CAST(ROUND(t.max_score * @f1, 4) AS DOUBLE) AS score,
       b.tags
FROM base b
JOIN totals t ON b.@key = t.@key
LEFT JOIN @b m ON m.merchant_id = b.merchant_id AND m.dt = '{{ ds }}'
WHERE b.user_id NOT IN (SELECT x.user_id FROM @c x WHERE x.dt = '${bizdate}' AND x.status = 'blocked');
";

const WINDOW: &str = "INSERT OVERWRITE TABLE @t PARTITION (dt = '${bizdate}')
SELECT w.id, w.user_id, w.merchant_id, w.region, w.status, w.amount, w.cnt, w.score, w.tags
FROM (
    -- running amount over the last @k1 orders of each user
    SELECT e.id,
           e.user_id,
           e.merchant_id,
           e.region,
           e.status,
           SUM(e.amount) OVER (PARTITION BY e.user_id ORDER BY e.id ROWS BETWEEN @k1 PRECEDING AND CURRENT ROW) AS amount,
           CAST(ROW_NUMBER() OVER (PARTITION BY e.@key ORDER BY e.amount DESC, e.id) AS BIGINT) AS cnt,
           LAG(e.score, 1) OVER (PARTITION BY e.user_id ORDER BY e.id) AS score,
           CONCAT_WS(',', e.tags, p.tags) AS tags
    FROM @a e
    LEFT JOIN @b p ON p.id = e.id AND p.dt = DATE_SUB('${bizdate}', 1)
    WHERE e.dt = '${bizdate}'
      AND e.status IN ('paid', 'settled', 'refunded')
) w
WHERE w.cnt <= @k3
  AND EXISTS (SELECT 1 FROM @c c WHERE c.merchant_id = w.merchant_id AND c.dt = '${bizdate}')
DISTRIBUTE BY w.merchant_id;
";

const LATERAL: &str = "-- one row per tag: campaign tags come as a comma-separated list
INSERT OVERWRITE TABLE @t PARTITION (dt = '${bizdate}')
SELECT MIN(s.id) AS id,
       MIN(s.user_id) AS user_id,
       s.merchant_id,
       s.region,
       LOWER(TRIM(tag)) AS status,
       SUM(s.amount) AS amount,
       COUNT(DISTINCT s.user_id) AS cnt,
       AVG(s.score) AS score,
       CONCAT('tag:', tag) AS tags
FROM @a s
LEFT SEMI JOIN @b m ON m.merchant_id = s.merchant_id AND m.dt = '${bizdate}'
LATERAL VIEW explode(split(s.tags, ',')) tg AS tag
WHERE s.dt = '${bizdate}'
  AND s.region = '${region}'
  AND tag <> ''
  AND s.user_id IN (SELECT u.user_id FROM @c u WHERE u.dt = '{{ ds }}')
GROUP BY s.merchant_id, s.region, tag
HAVING SUM(s.amount) > @k1;
";

const UNION: &str = "WITH unioned AS (
    SELECT a1.id, a1.user_id, a1.merchant_id, a1.region, a1.status,
           CAST(a1.amount AS DECIMAL(20,2)) AS amount, a1.cnt, a1.score, a1.tags,
           'primary' AS origin
    FROM @a a1
    WHERE a1.dt = '${bizdate}'
    UNION ALL
    -- refunds reverse the amount
    SELECT b1.id, b1.user_id, b1.merchant_id, b1.region, b1.status,
           CAST(-b1.amount AS DECIMAL(20,2)) AS amount, b1.cnt, b1.score, b1.tags,
           'reversal' AS origin
    FROM @b b1
    WHERE b1.dt = '${bizdate}' AND b1.status = 'refunded'
)
INSERT OVERWRITE TABLE @t PARTITION (dt = '${bizdate}')
SELECT u.id,
       MAX(u.user_id) AS user_id,
       MAX(u.merchant_id) AS merchant_id,
       MAX(u.region) AS region,
       CASE WHEN SUM(u.amount) < 0 THEN 'net_refund' ELSE 'net_paid' END AS status,
       SUM(u.amount) AS amount,
       SUM(u.cnt) AS cnt,
       MAX(u.score) AS score,
       CONCAT_WS('|', COLLECT_SET(u.origin)) AS tags
FROM unioned u
WHERE u.merchant_id NOT IN (SELECT c.merchant_id FROM @c c WHERE c.dt = '${bizdate}' AND c.score < @f1)
GROUP BY u.id;
";

const CASE_HINT: &str = "INSERT OVERWRITE TABLE @t PARTITION (dt = '${bizdate}')
SELECT /*+ BROADCAST(d) */
       f.id,
       f.user_id,
       f.merchant_id,
       UPPER(f.region) AS region,
       CASE
           WHEN f.amount >= @k3 THEN 'large'
           WHEN f.amount >= @k2 THEN 'medium'
           WHEN f.amount > 0 THEN 'small'
           ELSE 'zero'
       END AS status,
       CAST(f.amount * @f1 AS DECIMAL(18,2)) AS amount,
       f.cnt + d.cnt AS cnt,
       CASE WHEN d.score IS NULL THEN f.score ELSE (f.score + d.score) / 2 END AS score,
       CONCAT_WS(',', f.tags, '${region}', '${bizdate_nodash}') AS tags
FROM @a f
JOIN @b d ON d.merchant_id = f.merchant_id AND d.dt = '${bizdate}'
WHERE f.dt = '${bizdate}'
  AND f.id > (SELECT MIN(c.id) FROM @c c WHERE c.dt = '{{ ds }}');
";

const DEDUP: &str = "WITH ranked AS (
    SELECT r.*,
           ROW_NUMBER() OVER (PARTITION BY r.id ORDER BY r.score DESC, r.amount DESC) AS rn
    FROM @a r
    WHERE r.dt BETWEEN DATE_SUB('${bizdate}', @days) AND '${bizdate}'
),
latest AS (
    -- keep the latest version of each row
    SELECT id, user_id, merchant_id, region, status, amount, cnt, score, tags
    FROM ranked
    WHERE rn = 1
),
enriched AS (
    SELECT l.id, l.user_id, l.merchant_id, l.region,
           COALESCE(k.status, l.status) AS status,
           l.amount, l.cnt, l.score, l.tags
    FROM latest l
    LEFT JOIN @b k ON k.id = l.id AND k.dt = '${bizdate}'
)
INSERT OVERWRITE TABLE @t PARTITION (dt = '${bizdate}')
SELECT e.id, e.user_id, e.merchant_id, e.region, e.status, e.amount, e.cnt, e.score AS score, e.tags
FROM enriched e
WHERE NOT EXISTS (SELECT 1 FROM @c z WHERE z.id = e.id AND z.dt = '${bizdate}' AND z.status = 'deleted');
";

const SUMMARY: &str = "INSERT OVERWRITE TABLE @t PARTITION (dt = '${bizdate}')
SELECT MAX(o.id) AS id,
       o.user_id,
       MAX(o.merchant_id) AS merchant_id,
       MAX(o.region) AS region,
       CASE WHEN SUM(o.amount) > @k2 THEN 'active' ELSE 'dormant' END AS status,
       CAST(SUM(CASE WHEN o.status = 'paid' THEN o.amount ELSE 0 END) AS DECIMAL(20,2)) AS amount,
       COUNT(1) AS cnt,
       STDDEV(o.score) AS score,
       CONCAT_WS(',', COLLECT_SET(p.region)) AS tags
FROM @a o
JOIN @b p ON p.user_id = o.user_id AND p.dt = '${bizdate}'
WHERE o.dt = '${bizdate}'
  AND o.merchant_id IN (SELECT c.merchant_id FROM @c c WHERE c.dt = '${bizdate}' AND c.region = '${region}')
GROUP BY o.user_id
HAVING COUNT(1) >= @k1;
";
