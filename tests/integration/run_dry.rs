//! `flowc run --dry-run`: what a run of a task or a flow would start, for one business
//! date, printed instead of run; and the inputs `flowc run` refuses.

use std::process::Output;

use crate::support::{example, flowc_command, repo_root, text};

/// `flowc run` with `args` after the example's path, with `env` set.
fn run_example(args: &[&str], env: &[(&str, &str)]) -> Output {
    let example = example().display().to_string();
    flowc_command(repo_root())
        .arg("run")
        .arg(&example)
        .args(args)
        .envs(env.iter().copied())
        .output()
        .expect("flowc runs")
}

/// The text of the file `path` in a dry run's output (between its markers).
pub(crate) fn dry_run_file<'a>(stdout: &'a str, path: &str) -> Option<&'a str> {
    let start = stdout.find(&format!("----- {path}\n"))? + path.len() + 7;
    let end = stdout[start..].find(&format!("\n----- end of {path}\n"))?;
    Some(&stdout[start..start + end])
}

#[test]
fn a_sql_task_prints_its_spark_sql_command_and_the_sql_for_the_business_date() {
    let output = run_example(
        &[
            "payments.dwd_pay_order",
            "--env",
            "dev",
            "--date",
            "2024-03-05",
            "--dry-run",
        ],
        &[],
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    // The flow runs at 02:30 in Asia/Shanghai: the run of 5 March starts on the 4th, UTC.
    assert!(
        stdout.starts_with(
            "dry run of `payments.dwd_pay_order` in dev for business date 2024-03-05 \
             (data interval 2024-03-04T18:30:00+00:00 to 2024-03-05T18:30:00+00:00, run id flowc_run__2024-03-04T18:30:00+00:00)\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains(
        "$ spark-sql --conf spark.executor.memory=8g --conf spark.sql.adaptive.enabled=true \
         --conf spark.sql.adaptive.skewJoin.enabled=true --conf spark.sql.shuffle.partitions=800 \
         -f <run>/sql/payments/dwd_pay_order.sql --name dev__payments.dwd_pay_order --queue root.dev\n"
    ));
    let sql = dry_run_file(&stdout, "<run>/sql/payments/dwd_pay_order.sql").expect("the SQL is shown");
    // Tables mapped for dev, the business date and params filled in, nothing left
    // for a template engine.
    assert!(sql.contains("INSERT OVERWRITE TABLE dev_dwd.dwd_pay_order_di PARTITION (dt = '2024-03-05')"));
    assert!(sql.contains("FROM dev_ods.pay_order o\n    WHERE o.dt = '2024-03-05'"));
    assert!(sql.contains("ROUND(l.amount * COALESCE(fx.rate_to_cny, 1), 2)"));
    assert!(sql.contains("'CNY'"));
    assert!(!sql.contains("${") && !sql.contains("{{"), "{sql}");
    // Without --with-checks, no checks.
    assert!(!stdout.contains("__dq_"), "{stdout}");
}

#[test]
fn checks_follow_their_task_with_the_run_id_and_date_filled_in() {
    let output = run_example(
        &[
            "payments.dwd_pay_order",
            "--env",
            "dev",
            "--date",
            "2024-03-05",
            "--dry-run",
            "--with-checks",
        ],
        &[],
    );
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    let headers: Vec<&str> = stdout.lines().filter(|l| l.starts_with("# [")).collect();
    assert_eq!(headers.len(), 9, "the task and its 8 checks: {headers:#?}");
    assert_eq!(headers[0], "# [1/9] payments.dwd_pay_order (sparksql)");
    assert!(
        headers[1..]
            .iter()
            .all(|h| h.contains("dwd_pay_order__dq_") && h.ends_with("(quality)"))
    );
    let check = dry_run_file(
        &stdout,
        "<run>/sql/payments/dwd_pay_order__dq_pay_order_keys_present.sql",
    )
    .expect("the check's SQL is shown");
    assert!(check.contains("INSERT INTO TABLE dev_dq.results PARTITION (dt = '2024-03-05')"));
    assert!(check.contains("'flowc_run__2024-03-04T18:30:00+00:00' AS run_id"));
    assert!(check.contains("AND run_id = 'flowc_run__2024-03-04T18:30:00+00:00'"));
}

#[test]
fn a_flow_runs_its_tasks_in_dependency_order_and_says_what_it_skips() {
    let output = run_example(&["payments", "--env", "dev", "--date", "2024-03-05", "--dry-run"], &[]);
    let stdout = text(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", text(&output.stderr));
    assert!(stdout.contains(
        "[1/9] payments.wait_fx_rates (trigger): skipped: a sensor only waits for its input; flowc run runs now, on what is there\n"
    ));
    let position = |task: &str| {
        stdout
            .find(&format!(" payments.{task} (sparksql)\n"))
            .unwrap_or_else(|| panic!("{task} is run:\n{stdout}"))
    };
    // dwd_pay_refund reads dwd_pay_order_di; the dws summaries read the dwd facts.
    assert!(position("dwd_pay_order") < position("dwd_pay_refund"));
    assert!(position("dwd_pay_order") < position("dws_pay_merchant_1d"));
    assert!(position("dwd_acct_ledger") < position("dws_acct_balance_1d"));
    // No sensors on other flows, no quality gates.
    assert!(!stdout.contains("wait__"), "{stdout}");
}

#[test]
fn a_sync_task_shows_credentials_by_name_never_their_value() {
    let secret = "s3cret-Value-never-shown";
    let output = run_example(
        &[
            "ods_ingest.sync_payment_order",
            "--env",
            "dev",
            "--date",
            "2024-03-05",
            "--dry-run",
        ],
        &[("CORE_ORACLE_PASSWORD", secret)],
    );
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}{stderr}");
    assert!(!stdout.contains(secret) && !stderr.contains(secret));
    // The partition the sync writes is added first, as in the DAG.
    let partition = stdout
        .find("# [1/2] ods_ingest.sync_payment_order__partition (partition)")
        .expect("partition step first");
    let sync = stdout
        .find("# [2/2] ods_ingest.sync_payment_order (sync)")
        .expect("then the sync");
    assert!(partition < sync);
    assert!(stdout.contains("ALTER TABLE `dev_ods`.`pay_order` ADD IF NOT EXISTS PARTITION (`dt` = '2024-03-05')"));
    assert!(stdout.contains("# credentials from the environment variables CORE_ORACLE_PASSWORD (values not shown)\n"));
    // The launcher, the job, and the variables exactly as the DAG's BashOperator passes them.
    assert!(stdout.contains(
        "$ bash -c 'python3 \"<run>/datax/flowc_datax.py\" \"<run>/datax/ods_ingest/sync_payment_order.json\" -- \
         python ${DATAX_HOME}/bin/datax.py -p \"-Dbizdate=2024-03-05 -Dbizdate_nodash=20240305\"'\n"
    ));
    let job = dry_run_file(&stdout, "<run>/datax/ods_ingest/sync_payment_order.json").expect("the job is shown");
    assert!(job.contains("\"password\": \"${env:CORE_ORACLE_PASSWORD}\""), "{job}");
}

#[test]
fn unknown_names_get_a_did_you_mean_and_exit_2() {
    for (target, message) in [
        ("paymnts", "error: no flow `paymnts`; did you mean `payments`?\n"),
        (
            "payments.dwd_pay_ordr",
            "error: flow `payments` has no task `dwd_pay_ordr`; did you mean `dwd_pay_order`?\n",
        ),
    ] {
        let output = run_example(&[target, "--env", "dev", "--dry-run"], &[]);
        assert_eq!(output.status.code(), Some(2), "{target}");
        assert_eq!(text(&output.stderr), message);
        assert!(output.stdout.is_empty());
    }
}

#[test]
fn the_flow_can_be_given_alone_inside_the_repository() {
    let output = flowc_command(&example())
        .args(["run", "payments.dwd_pay_order", "--dry-run", "--date", "2024-03-05"])
        .output()
        .expect("flowc runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    // dev: the one environment besides prod.
    assert!(text(&output.stdout).starts_with("dry run of `payments.dwd_pay_order` in dev "));
    let output = flowc_command(&example()).args(["run"]).output().expect("flowc runs");
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        text(&output.stderr),
        "error: name the flow to run: flowc run [REPO] FLOW[.TASK]\n"
    );
}

#[test]
fn a_bad_date_is_a_usage_error() {
    let output = run_example(&["payments", "--env", "dev", "--date", "2024-02-30", "--dry-run"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr).contains("`2024-02-30` is not a date of the form YYYY-MM-DD"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn production_needs_allow_prod() {
    let output = run_example(&["payments.dwd_pay_order", "--env", "prod", "--dry-run"], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        text(&output.stderr)
            .contains("environment `prod` writes production tables: flowc run refuses it without --allow-prod")
    );
    let output = run_example(
        &[
            "payments.dwd_pay_order",
            "--env",
            "prod",
            "--dry-run",
            "--allow-prod",
            "--date",
            "2024-03-05",
        ],
        &[],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("INSERT OVERWRITE TABLE dwd.dwd_pay_order_di PARTITION (dt = '2024-03-05')"));
}

#[test]
fn a_missing_runner_says_what_to_install_or_configure() {
    let empty = tempfile::tempdir().expect("temp dir");
    let output = run_example(
        &["payments.dwd_pay_order", "--env", "dev", "--date", "2024-03-05"],
        &[("PATH", &empty.path().display().to_string())],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert_eq!(
        text(&output.stderr),
        "error: `spark-sql` not found: install Spark and put its bin/ on PATH, or set `runners.spark_sql` in \
         flowc.yaml (for all environments, or under `environments.<env>.runners`)\n"
    );
}

#[test]
fn a_repository_with_errors_shows_its_diagnostics_and_exits_1() {
    let broken = repo_root().join("tests/fixtures/invalid/unknown_team");
    let output = flowc_command(repo_root())
        .args(["run", &broken.display().to_string(), "any", "--dry-run", "--env", "dev"])
        .output()
        .expect("flowc runs");
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("S208"), "{stderr}");
    assert!(stderr.ends_with("run stopped: the repository has errors\n"), "{stderr}");
}

/// A `PATH` whose `spark-sql` does nothing: the partition step before a sync finds
/// its runner, and what the sync itself lacks is what stops the run.
fn path_with_spark_sql() -> (tempfile::TempDir, String) {
    let bin = tempfile::tempdir().expect("temp dir");
    let program = bin.path().join("spark-sql");
    std::fs::write(&program, "#!/bin/sh\ntouch \"$0.ran\"\n").expect("spark-sql");
    let executable = <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755);
    std::fs::set_permissions(&program, executable).expect("chmod");
    let path = format!("{}:{}", bin.path().display(), std::env::var("PATH").unwrap_or_default());
    (bin, path)
}

#[test]
fn a_sync_without_datax_home_says_how_to_set_it() {
    let (_bin, path) = path_with_spark_sql();
    let output = run_example(
        &["ods_ingest.sync_payment_order", "--env", "dev", "--date", "2024-03-05"],
        &[("CORE_ORACLE_PASSWORD", "x"), ("DATAX_HOME", ""), ("PATH", &path)],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(
        text(&output.stderr).contains(
            "error: `DataX` not found: its command reads DATAX_HOME, which is not set: export DATAX_HOME, or set \
             `runners.datax_home` (or `runners.datax`) in flowc.yaml\n"
        ),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn a_sync_without_its_credentials_runs_nothing() {
    let (bin, path) = path_with_spark_sql();
    let output = run_example(
        &["ods_ingest.sync_payment_order", "--env", "dev", "--date", "2024-03-05"],
        &[("CORE_ORACLE_PASSWORD", ""), ("PATH", &path)],
    );
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains(
        "error: `ods_ingest.sync_payment_order` reads its credentials from environment variables that are not set: \
         CORE_ORACLE_PASSWORD; export them first\n"
    ));
    assert!(
        !bin.path().join("spark-sql.ran").exists(),
        "the partition step did not run"
    );
}
