//! Bounded work on any input (issue 14): a repository's template override that never
//! ends or prints without end is stopped with a diagnostic at its line (F15).

use std::fs;

use crate::support::{example_copy, flowc_in, repo_root, text};

/// The findings' loop: ten billion iterations.
const ENDLESS: &str = "{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\n";

/// The built-in template `name`, as `flowc templates --show` prints it.
fn builtin(name: &str) -> String {
    fs::read_to_string(repo_root().join("templates").join(name)).expect("built-in template")
}

#[test]
fn an_override_that_never_ends_is_stopped_at_its_line() {
    let repo = example_copy();
    let dir = repo.path().join("templates/airflow");
    fs::create_dir_all(&dir).expect("mkdir");
    let template = builtin("airflow/dag.py.jinja") + ENDLESS;
    fs::write(dir.join("dag.py.jinja"), &template).expect("write override");
    let output = flowc_in(repo.path(), &["compile", ".", "--env", "prod", "--out", "out"], b"");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(!repo.path().join("out").exists(), "nothing is written");
    // One diagnostic for the seven DAGs, at the loop's line.
    let line = template.lines().count();
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains(&format!("--> templates/airflow/dag.py.jinja:{line}:1")),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn an_override_that_prints_without_end_is_stopped() {
    let repo = example_copy();
    let dir = repo.path().join("templates/airflow");
    fs::create_dir_all(&dir).expect("mkdir");
    // Imported, so nothing it prints at the top level reaches the file: printing is
    // counted all the same.
    let operators =
        builtin("airflow/operators.jinja") + "{% for a in range(100000) %}{{ \"x\" * 1000000 }}{% endfor %}\n";
    fs::write(dir.join("operators.jinja"), &operators).expect("write override");
    let output = flowc_in(repo.path(), &["compile", ".", "--env", "prod", "--out", "out"], b"");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    insta::assert_snapshot!(text(&output.stderr));
}

#[test]
fn a_datax_override_that_never_ends_is_stopped() {
    let repo = example_copy();
    let dir = repo.path().join("templates/datax");
    fs::create_dir_all(&dir).expect("mkdir");
    fs::write(
        dir.join("job.json.jinja"),
        format!("{ENDLESS}{}", builtin("datax/job.json.jinja")),
    )
    .expect("write override");
    let output = flowc_in(repo.path(), &["compile", ".", "--env", "prod", "--out", "out"], b"");
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("error[R611]: the repository's template `datax/job.json.jinja` runs too long"),
        "{stderr}"
    );
    assert!(stderr.contains("--> templates/datax/job.json.jinja:1:1"), "{stderr}");
    assert_eq!(stderr.matches("error[").count(), 1, "{stderr}");
}
