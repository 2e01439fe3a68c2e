//! Whether a rendered DAG file is Python that defines a DAG.
//!
//! A repository's override of `airflow/dag.py.jinja` or `airflow/operators.jinja` can
//! render anything; Airflow would find out only when it imports the file (and an empty
//! file is no DAG at all, silently). Each DAG file rendered from an override is parsed
//! with tree-sitter's Python grammar before anything is written: it must be non-empty,
//! parse, and call `DAG(…)` (as the built-in template does, `with DAG(…) as dag:`) or
//! use the `@dag` decorator.

use tree_sitter::{Node, Parser};

/// What is wrong with `text` as a DAG file, or `None` when it is one.
pub(crate) fn problem(text: &str) -> Option<String> {
    if text.trim().is_empty() {
        return Some("it is empty".to_owned());
    }
    let mut parser = Parser::new();
    if parser.set_language(&tree_sitter_python::LANGUAGE.into()).is_err() {
        return Some("this is a bug in flowc: the Python grammar does not load".to_owned());
    }
    let Some(tree) = parser.parse(text, None) else {
        return Some("it could not be parsed as Python".to_owned());
    };
    let root = tree.root_node();
    if root.has_error() {
        return Some(syntax_error(root, text));
    }
    if !defines_dag(root, text) {
        return Some("it defines no DAG: it neither calls `DAG(…)` nor uses the `@dag` decorator".to_owned());
    }
    None
}

/// The first error or missing node, as "not valid Python: line 3, column 5: …".
fn syntax_error(root: Node<'_>, text: &str) -> String {
    let mut cursor = root.walk();
    let mut first = None;
    // Depth-first, in file order: the first error found is the earliest.
    'walk: loop {
        let node = cursor.node();
        if node.is_error() || node.is_missing() {
            first = Some(node);
            break;
        }
        if node.has_error() && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                break 'walk;
            }
        }
    }
    let Some(node) = first else {
        return "it is not valid Python".to_owned();
    };
    let at = node.start_position();
    let what = if node.is_missing() {
        format!("`{}` is missing", node.kind())
    } else {
        let found: String = text
            .get(node.byte_range())
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(40)
            .collect();
        format!("invalid syntax at `{}`", found.trim())
    };
    format!(
        "it is not valid Python: line {}, column {}: {what}",
        at.row + 1,
        at.column + 1
    )
}

/// Whether the module calls `DAG(…)` (or `airflow.DAG(…)`) or decorates with `@dag`.
fn defines_dag(root: Node<'_>, text: &str) -> bool {
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        let source = |node: Node<'_>| text.get(node.byte_range()).unwrap_or_default();
        match node.kind() {
            "call" => {
                if let Some(function) = node.child_by_field_name("function")
                    && source(function).rsplit('.').next() == Some("DAG")
                {
                    return true;
                }
            }
            "decorator" => {
                let name = source(node).trim_start_matches('@');
                let name = name.split('(').next().unwrap_or_default().trim();
                if name.rsplit('.').next() == Some("dag") {
                    return true;
                }
            }
            _ => {}
        }
        let mut cursor = node.walk();
        stack.extend(node.children(&mut cursor));
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dag_file_passes() {
        let text = "from airflow import DAG\nwith DAG(dag_id='x') as dag:\n    pass\n";
        assert_eq!(problem(text), None);
        assert_eq!(problem("import airflow\nd = airflow.DAG('x')\n"), None);
        assert_eq!(
            problem("from airflow.sdk import dag\n@dag(schedule=None)\ndef f():\n    pass\nf()\n"),
            None
        );
    }

    #[test]
    fn an_empty_file_is_refused() {
        assert_eq!(problem("").as_deref(), Some("it is empty"));
        assert_eq!(problem(" \n\n").as_deref(), Some("it is empty"));
    }

    #[test]
    fn broken_python_is_located() {
        let found = problem("from airflow import DAG\nwith DAG(dag_id='x' as dag:\n    pass\n").expect("a problem");
        assert!(found.starts_with("it is not valid Python: line 2"), "{found}");
    }

    #[test]
    fn python_without_a_dag_is_refused() {
        assert_eq!(
            problem("print('hello')\n").as_deref(),
            Some("it defines no DAG: it neither calls `DAG(…)` nor uses the `@dag` decorator")
        );
    }
}
