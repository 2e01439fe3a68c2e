//! Planted secrets (issue 14): a distinct secret in every place a data platform keeps
//! credentials — each JDBC form, `hadoop_config`, flow params in any case style, Spark
//! conf, a description, a YAML comment, SQL comments and string literals, well-known
//! tokens (two on one line), a private key block. Every one must be detected (an S213
//! at its file and line), and none may appear in any byte flowc writes: stdout and
//! stderr of `check` (human, json, github), `compile`, `plan` (text, json, markdown),
//! `comment` and `promote`, every file under the output folder, and every request body
//! the local GitHub received.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Output;

use serde_json::{Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::{commit_all, example_repository, flowc_command, text, tree};

/// One planted secret: the file it is written in, and the text that must never be
/// shown (the secret itself).
struct Planted {
    file: &'static str,
    secret: &'static str,
}

const fn planted(file: &'static str, secret: &'static str) -> Planted {
    Planted { file, secret }
}

const FLOWC: &str = "flowc.yaml";
const RISK: &str = "flows/risk/flow.yaml";
const PAYMENTS: &str = "flows/payments/flow.yaml";
const DIM_USER: &str = "flows/users/dim_user.sql";
const LOGIN: &str = "flows/users/dwd_user_login.sql";

const SECRETS: &[Planted] = &[
    planted(FLOWC, "PlantOracleSvc01"),
    planted(FLOWC, "PlantOracleSid02"),
    planted(FLOWC, "PlantMysqlQuery03"),
    planted(FLOWC, "PlantMysqlAmp04"),
    planted(FLOWC, "PlantSqlServer05"),
    planted(FLOWC, "PlantEncodedKey06"),
    planted(FLOWC, "PlantUserInfo07"),
    planted(FLOWC, "PlantS3aSecret08"),
    planted(FLOWC, "PlantSignature09"),
    planted(FLOWC, "PlantPassword10"),
    planted(FLOWC, "PlantYamlComment11"),
    planted(FLOWC, "PlantSchemaViolation12"),
    planted(RISK, "PlantCamelCase13"),
    planted(RISK, "PlantPass14"),
    planted(RISK, "PlantPrivateKey15"),
    planted(RISK, "PlantDescription16"),
    planted(PAYMENTS, "PlantSparkConf17"),
    planted(PAYMENTS, "PlantSparkAccess18"),
    planted(DIM_USER, "PlantSqlComment19"),
    planted(DIM_USER, "PlantSqlLiteral20"),
    planted(DIM_USER, "ghp_PlantGithubToken21abcdefghijklmnopqr"),
    planted(DIM_USER, "AKIAPLANTAWSKEY22XYZ"),
    planted(LOGIN, "PlantPrivateKeyBody23"),
];

fn is_sql(planted: &Planted) -> bool {
    Path::new(planted.file).extension().is_some_and(|ext| ext == "sql")
}

/// Writes every secret of [`SECRETS`] in YAML into the example at `root`.
fn plant_yaml(root: &Path) {
    edit(root, FLOWC, |text| {
        let text = text
            .replace("jdbc:oracle:thin:@//", "jdbc:oracle:thin:dw_reader/PlantOracleSvc01@//")
            .replacen(
                "    airflow_conn_id: report_mysql_rw\n",
                "    password: PlantPassword10\n",
                1,
            )
            .replacen(
                "      dfs.nameservices: wingpay-ns\n",
                "      dfs.nameservices: wingpay-ns\n      fs.s3a.secret.key: PlantS3aSecret08\n      \
                 hadoop.http.authentication.signature.secret: PlantSignature09\n",
                1,
            );
        let added = "\
  # old setup, token: PlantYamlComment11
  planted_oracle_sid:
    type: oracle
    jdbc_url: jdbc:oracle:thin:dw_reader/PlantOracleSid02@core-db:1521:CORE
    airflow_conn_id: planted_sid
  planted_mysql_query:
    type: mysql
    jdbc_url: \"jdbc:mysql://report-db:3306/report?password=PlantMysqlQuery03&user=etl\"
    airflow_conn_id: planted_query
  planted_mysql_amp:
    type: mysql
    jdbc_url: \"jdbc:mysql://report-db:3306/report?user=etl&password=PlantMysqlAmp04\"
    airflow_conn_id: planted_amp
  planted_sqlserver:
    type: mysql
    description: \"migrated from jdbc:sqlserver://mssql:1433;user=etl;password=PlantSqlServer05;db=x\"
    jdbc_url: \"jdbc:oceanbase://ob:2881/acct?user=etl&%70assword=PlantEncodedKey06\"
    airflow_conn_id: planted_encoded
  planted_userinfo:
    type: mysql
    jdbc_url: \"jdbc:mysql://etl:PlantUserInfo07@report-db:3306/report\"
    airflow_conn_id: planted_userinfo
  planted_schema_violation:
    type: mysql
    jdbc_url: \"jdbc:mysql://report-db/report?password=PlantSchemaViolation12 x\"
    airflow_conn_id: planted_violation
";
        text.replacen("\nconnections:\n", &format!("\nconnections:\n{added}"), 1)
    });
    edit(root, RISK, |text| {
        text.replacen(
            "  score_model_version: v12\n",
            "  score_model_version: v12\n  dbPassword: PlantCamelCase13\n  pass: PlantPass14\n  \
             privateKey: PlantPrivateKey15\n",
            1,
        )
        .replacen(
            "\ndescription: ",
            "\ndescription: scored with api_key=PlantDescription16 then ",
            1,
        )
    });
    edit(root, PAYMENTS, |text| {
        text.replacen(
            "    spark.sql.shuffle.partitions: 400\n",
            "    spark.sql.shuffle.partitions: 400\n    spark.ssl.keyStorePassword: PlantSparkConf17\n    \
             spark.hadoop.fs.s3a.access.key: PlantSparkAccess18\n",
            1,
        )
    });
}

/// Writes every secret of [`SECRETS`] in SQL into the example at `root`.
fn plant_sql(root: &Path) {
    edit(root, DIM_USER, |text| {
        format!(
            "-- connect: jdbc:mysql://report-mysql/report user=etl password=PlantSqlComment19\n\
             -- keys: ghp_PlantGithubToken21abcdefghijklmnopqr and AKIAPLANTAWSKEY22XYZ\n{}",
            text.replacen(
                "  AND u.status <> 'DELETED';",
                "  AND u.status <> 'DELETED'\n  AND u.city_code <> 'password=PlantSqlLiteral20';",
                1,
            )
        )
    });
    edit(root, LOGIN, |text| {
        format!(
            "-- -----BEGIN OPENSSH PRIVATE KEY-----\n-- PlantPrivateKeyBody23\n\
             -- -----END OPENSSH PRIVATE KEY-----\n{text}"
        )
    });
}

fn edit(root: &Path, file: &str, change: impl FnOnce(String) -> String) {
    let path = root.join(file);
    let text = fs::read_to_string(&path).expect("file to edit");
    let changed = change(text.clone());
    assert_ne!(changed, text, "the edit changes {file}");
    fs::write(&path, changed).expect("write");
}

/// The 1-based line `secret` is written on in `file`.
fn line_of(root: &Path, file: &str, secret: &str) -> u64 {
    let text = fs::read_to_string(root.join(file)).expect("planted file");
    let at = text
        .find(secret)
        .unwrap_or_else(|| panic!("{secret} is planted in {file}"));
    text[..at].matches('\n').count() as u64 + 1
}

/// Every byte flowc wrote, with what wrote it.
#[derive(Default)]
struct Written(Vec<(String, Vec<u8>)>);

impl Written {
    fn output(&mut self, what: &str, output: &Output) {
        self.0.push((format!("{what}: stdout"), output.stdout.clone()));
        self.0.push((format!("{what}: stderr"), output.stderr.clone()));
    }

    /// Panics naming every planted secret found in any of it.
    fn assert_no_secret(&self) {
        let mut leaks = Vec::new();
        for (what, bytes) in &self.0 {
            let written = String::from_utf8_lossy(bytes);
            for planted in SECRETS {
                if written.contains(planted.secret) {
                    leaks.push(format!("{} in {what}", planted.secret));
                }
            }
        }
        assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
    }
}

fn flowc(dir: &Path, args: &[&str], written: &mut Written) -> Output {
    let output = flowc_command(dir)
        .args(args)
        .env_remove("GITHUB_TOKEN")
        .env_remove("GITHUB_REPOSITORY")
        .env_remove("GITHUB_API_URL")
        .env("GITHUB_TOKEN", "ghp_flowcTEST0123456789abcdefghijklmnopqr")
        .output()
        .expect("flowc runs");
    written.output(&args.join(" "), &output);
    output
}

/// Every S213 of `flowc check --format json`, as (file, line).
fn detected(output: &Output) -> BTreeSet<(String, u64)> {
    let report: Value = serde_json::from_slice(&output.stdout).expect("check --format json prints JSON");
    report["diagnostics"]
        .as_array()
        .expect("a diagnostics array")
        .iter()
        .filter(|d| d["code"] == "S213")
        .filter_map(|d| Some((d["file"].as_str()?.to_owned(), d["line"].as_u64()?)))
        .collect()
}

/// A secret in a YAML file keeps the model from being built, so the SQL files are read
/// (and their secrets found) only once the YAML is clean: every secret at once shows
/// the YAML ones, the SQL ones alone show those.
#[test]
fn every_planted_secret_is_detected_and_none_leaves_flowc() {
    run_everything(
        |root| {
            plant_yaml(root);
            plant_sql(root);
        },
        |planted| !is_sql(planted),
    );
}

#[test]
fn every_secret_planted_in_sql_is_detected_and_none_leaves_flowc() {
    run_everything(plant_sql, is_sql);
}

/// Plants secrets on a `dev` branch of the example (committed, and in the work tree),
/// asserts each secret `detectable` says is found is reported by S213 at its file and
/// line, runs every command that writes, and asserts no planted secret is in anything
/// written.
fn run_everything(plant: impl FnOnce(&Path), detectable: fn(&Planted) -> bool) {
    let (dir, git) = example_repository("");
    let root = dir.path();
    let main = git.head().expect("head").peel_to_commit().expect("main");
    git.branch("dev", &main, false).expect("branch dev");
    git.set_head("refs/heads/dev").expect("checkout dev");
    plant(root);
    commit_all(&git, "dev: plant secrets");
    let mut written = Written::default();

    let json = flowc(root, &["check", ".", "--format", "json"], &mut written);
    assert_eq!(json.status.code(), Some(1), "{}", text(&json.stderr));
    let found = detected(&json);
    let missed: Vec<String> = SECRETS
        .iter()
        .filter(|p| detectable(p))
        .map(|p| (p.file.to_owned(), line_of(root, p.file, p.secret), p.secret))
        .filter(|(file, line, _)| !found.contains(&(file.clone(), *line)))
        .map(|(file, line, secret)| format!("{secret} at {file}:{line}"))
        .collect();
    assert!(
        missed.is_empty(),
        "not detected:\n{}\nfound: {found:?}",
        missed.join("\n")
    );

    for format in ["human", "github"] {
        let output = flowc(root, &["check", ".", "--format", format], &mut written);
        assert_eq!(output.status.code(), Some(1));
    }
    let out = tempfile::tempdir().expect("temp dir");
    let out_dir = out.path().join("out");
    let out_arg = out_dir.to_str().expect("UTF-8 temp path");
    let compiled = flowc(root, &["compile", ".", "--out", out_arg], &mut written);
    assert_eq!(compiled.status.code(), Some(1), "{}", text(&compiled.stderr));
    for format in ["text", "json", "markdown"] {
        let output = flowc(root, &["plan", ".", "--base", "main", "--format", format], &mut written);
        assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    }

    let (runtime, server) = local_github();
    let url = server.uri();
    let github = ["--repo", "acme/pipelines", "--api-url", url.as_str()];
    let mut comment = vec!["comment", ".", "--pr", "7", "--base", "main"];
    comment.extend(github);
    assert_eq!(flowc(root, &comment, &mut written).status.code(), Some(1));
    let mut promote = vec!["promote", ".", "--from", "dev", "--to", "main"];
    promote.extend(github);
    assert_ne!(flowc(root, &promote, &mut written).status.code(), Some(0));
    let requests = runtime
        .block_on(server.received_requests())
        .expect("requests are recorded");
    let posted: Vec<_> = requests.iter().filter(|r| r.method.as_str() == "POST").collect();
    assert_eq!(posted.len(), 1, "the plan comment, and nothing else, is posted");
    assert!(String::from_utf8_lossy(&posted[0].body).contains("S213"));
    for request in &requests {
        written
            .0
            .push((format!("{} {}", request.method, request.url), request.body.clone()));
    }
    let files = tree(out.path());
    assert!(files.is_empty(), "compile wrote {:?}", files.keys());
    written.assert_no_secret();
}

/// A local GitHub that lists no comments and accepts one.
fn local_github() -> (tokio::runtime::Runtime, MockServer) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime starts");
    let server = runtime.block_on(MockServer::start());
    let comments = "/repos/acme/pipelines/issues/7/comments";
    runtime.block_on(
        Mock::given(method("GET"))
            .and(path(comments))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .mount(&server),
    );
    runtime.block_on(
        Mock::given(method("POST"))
            .and(path(comments))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({
                "id": 1,
                "body": "posted",
                "html_url": "https://github.com/acme/pipelines/pull/7#issuecomment-1",
                "user": {"login": "github-actions[bot]"},
            })))
            .mount(&server),
    );
    runtime.block_on(
        Mock::given(any())
            .respond_with(ResponseTemplate::new(404))
            .with_priority(u8::MAX)
            .mount(&server),
    );
    (runtime, server)
}
