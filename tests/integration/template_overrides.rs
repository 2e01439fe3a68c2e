//! DAG Python rendered from a repository's template override is checked before
//! anything is written (reliability finding F20): an empty override, one that renders
//! broken Python, or one that defines no DAG is R609 at the override, exit 1, and the
//! output folder is not created. The documented start, `flowc templates --show NAME >
//! templates/NAME`, gives the built-in text even though the shell empties the override
//! before flowc reads it.

use std::fs;
use std::path::Path;
use std::process::Stdio;

use crate::support::{example_copy, flowc_command, flowc_in, text};

const DAG_TEMPLATE: &str = "airflow/dag.py.jinja";

/// `flowc templates --show NAME > templates/NAME`, as a shell runs it: the override is
/// created empty before flowc starts.
fn show_into_override(repo: &Path, name: &str) -> String {
    let path = repo.join("templates").join(name);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let file = fs::File::create(&path).expect("the shell truncates the override");
    let output = flowc_command(repo)
        .args(["templates", ".", "--show", name])
        .stdout(Stdio::from(file))
        .output()
        .expect("flowc runs");
    assert!(output.status.success(), "{}", text(&output.stderr));
    text(&output.stderr)
}

/// Compiles every environment into `<repo>/out`, which must fail with R609 and leave
/// nothing behind; returns stderr.
fn compile_refuses(repo: &Path) -> String {
    let output = flowc_in(repo, &["compile", ".", "--out", "out"], b"");
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error[R609]"), "{stderr}");
    assert!(stderr.contains("--> templates/airflow/dag.py.jinja:1:1"), "{stderr}");
    assert_eq!(stderr.matches("error[R609]").count(), 1, "reported once: {stderr}");
    assert!(!repo.join("out").exists(), "a failed compile wrote its output");
    stderr
}

#[test]
fn show_redirected_into_the_override_gives_the_builtin_template() {
    let repo = example_copy();
    let builtin = flowc_in(repo.path(), &["templates", "--show", DAG_TEMPLATE], b"");
    let note = show_into_override(repo.path(), DAG_TEMPLATE);
    assert!(note.contains("is empty, so flowc's built-in"), "{note}");
    let written = fs::read(repo.path().join("templates").join(DAG_TEMPLATE)).expect("override");
    assert_eq!(written, builtin.stdout);
    assert!(!written.is_empty());
    let output = flowc_in(repo.path(), &["compile", ".", "--env", "prod", "--out", "out"], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
}

#[test]
fn an_override_that_renders_no_dag_file_is_refused_at_the_override() {
    let repo = example_copy();
    let path = repo.path().join("templates").join(DAG_TEMPLATE);
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    let builtin = text(&flowc_in(repo.path(), &["templates", "--show", DAG_TEMPLATE], b"").stdout);

    fs::write(&path, "").expect("empty override");
    let listed = text(&flowc_in(repo.path(), &["templates"], b"").stdout);
    assert!(listed.contains("(empty!)"), "{listed}");
    assert!(compile_refuses(repo.path()).contains("it is empty"));

    fs::write(&path, builtin.replacen("with DAG(", "with DAG((", 1)).expect("broken override");
    let stderr = compile_refuses(repo.path());
    assert!(stderr.contains("it is not valid Python: line"), "{stderr}");

    fs::write(&path, "# {{ dag.dag_id }}\nprint('no DAG here')\n").expect("no-DAG override");
    assert!(compile_refuses(repo.path()).contains("it defines no DAG"));
}

#[test]
fn the_template_list_is_aligned_in_two_columns() {
    let repo = example_copy();
    fs::create_dir_all(repo.path().join("templates/datax/readers")).expect("templates folder");
    fs::write(
        repo.path().join("templates/datax/readers/hbase20xsqlreader.json.jinja"),
        "{}",
    )
    .expect("override");
    let output = flowc_in(repo.path(), &["templates"], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let rows: Vec<&str> = stdout.lines().take_while(|line| !line.is_empty()).collect();
    assert!(rows.len() > 5, "{stdout}");
    let columns: Vec<usize> = rows
        .iter()
        .map(|row| {
            row.find("built-in")
                .or_else(|| row.find("overridden"))
                .expect("an origin")
        })
        .collect();
    assert!(columns.iter().all(|c| *c == columns[0]), "{stdout}");
    assert!(stdout.contains("overridden by templates/datax/readers/hbase20xsqlreader.json.jinja"));
}
