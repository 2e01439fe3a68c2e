//! The syntax tree of the hostile fixture's DAG file, parsed by Python's `ast` in the
//! Airflow venv: nothing but imports, the optional helper, one `with DAG(...)` block of
//! operator calls and `>>` chains, and the hostile values only as literals.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

use super::Hostile;
use crate::airflow_harness::{AirflowVersion, venv_python};
use crate::support::text;

/// Checks the syntax tree of every DAG file and returns, per file, the literal
/// values of the `DAG(...)` keywords and of each task's operator call.
const AST_CHECK: &str = r#"
import ast, json, sys

OPERATORS = {"SparkSqlOperator", "SparkSubmitOperator", "BashOperator", "KylinCubeOperator",
             "HttpSensor", "FileSensor", "NamedHivePartitionSensor", "ExternalTaskSensor",
             "EmptyOperator"}
CALLABLE = OPERATORS | {"DAG", "Param", "datetime", "timedelta", "CronDataIntervalTimetable",
                        "Asset", "Dataset", "flowc_bizdate_run"}
NODES = (ast.Call, ast.keyword, ast.Name, ast.Load, ast.Store, ast.Constant, ast.List,
         ast.Dict, ast.Tuple, ast.Attribute, ast.UnaryOp, ast.USub)

def literal(node):
    if isinstance(node, ast.Call):
        return {"call": node.func.id, "args": [literal(a) for a in node.args],
                "kwargs": {k.arg: literal(k.value) for k in node.keywords}}
    if isinstance(node, (ast.Name, ast.Attribute)):
        return {"name": ast.unparse(node)}
    if isinstance(node, (ast.List, ast.Tuple)):
        return [literal(item) for item in node.elts]
    if isinstance(node, ast.Dict):
        return {ast.literal_eval(k): literal(v) for k, v in zip(node.keys, node.values)}
    return ast.literal_eval(node)

def check(path):
    problems = []
    source = open(path, encoding="utf-8").read()
    tree = ast.parse(source, path)
    withs = [n for n in tree.body if isinstance(n, ast.With)]
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                module = getattr(node, "module", None) or alias.name
                if not (module.split(".")[0] in ("datetime", "airflow") and alias.asname is None):
                    problems.append(f"import of {module}.{alias.name}")
        elif isinstance(node, ast.FunctionDef) and node.name == "flowc_bizdate_run":
            pass
        elif not isinstance(node, ast.With):
            problems.append(f"line {node.lineno}: module-level {type(node).__name__}")
    if len(withs) != 1:
        return {"problems": problems + [f"{len(withs)} with blocks"]}
    block = withs[0]
    item = block.items[0]
    if not (len(block.items) == 1 and isinstance(item.context_expr, ast.Call)
            and getattr(item.context_expr.func, "id", None) == "DAG"
            and isinstance(item.optional_vars, ast.Name) and item.optional_vars.id == "dag"):
        problems.append("the with block is not `with DAG(...) as dag`")
    variables = set()
    tasks = {}
    expressions = [item.context_expr]
    for stmt in block.body:
        if (isinstance(stmt, ast.Assign) and len(stmt.targets) == 1
                and isinstance(stmt.targets[0], ast.Name) and isinstance(stmt.value, ast.Call)
                and getattr(stmt.value.func, "id", None) in OPERATORS and not stmt.value.args):
            variables.add(stmt.targets[0].id)
            tasks[stmt.targets[0].id] = literal(stmt.value)
            expressions.append(stmt.value)
        elif isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.BinOp) \
                and isinstance(stmt.value.op, ast.RShift) and isinstance(stmt.value.left, ast.Name):
            right = stmt.value.right
            names = right.elts if isinstance(right, ast.List) else [right]
            for name in [stmt.value.left, *names]:
                if not (isinstance(name, ast.Name) and name.id in variables):
                    problems.append(f"line {stmt.lineno}: `>>` of something else than a task")
        else:
            problems.append(f"line {stmt.lineno}: {type(stmt).__name__} in the DAG block")
    for expression in expressions:
        for node in ast.walk(expression):
            if not isinstance(node, NODES):
                problems.append(f"line {node.lineno}: {type(node).__name__}")
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) not in CALLABLE:
                problems.append(f"line {node.lineno}: call of {ast.unparse(node.func)}")
            elif isinstance(node, ast.Name) and node.id not in CALLABLE | {"timezone", "dag"}:
                problems.append(f"line {node.lineno}: name {node.id}")
            elif isinstance(node, ast.Attribute) and ast.unparse(node) != "timezone.utc":
                problems.append(f"line {node.lineno}: attribute {ast.unparse(node)}")
            elif isinstance(node, ast.UnaryOp) and not isinstance(node.operand, ast.Constant):
                problems.append(f"line {node.lineno}: unary operator on an expression")
    return {"problems": problems, "dag": literal(item.context_expr)["kwargs"], "tasks": tasks,
            "ascii": source.isascii()}

json.dump({path: check(path) for path in sys.argv[1:]}, sys.stdout)
"#;

/// [`AST_CHECK`] on `files`, with the python of `version`'s venv.
fn ast_check(version: AirflowVersion, files: &[PathBuf]) -> Value {
    let output = Command::new(venv_python(version))
        .arg("-c")
        .arg(AST_CHECK)
        .args(files)
        .output()
        .expect("the venv's python runs");
    assert!(output.status.success(), "ast check failed:\n{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("the ast check prints JSON")
}

/// The syntax tree of the DAG file among `compiled` (the files under `out`, by relative
/// path), and the literals it holds.
pub(super) fn check_syntax_tree(
    hostile: &Hostile,
    version: AirflowVersion,
    out: &Path,
    compiled: &BTreeMap<String, Vec<u8>>,
) {
    let h = |prefix: &str| hostile.field(prefix);
    let files: Vec<PathBuf> = compiled
        .keys()
        .filter(|path| path.starts_with("prod/dags/") && Path::new(path).extension().is_some_and(|e| e == "py"))
        .map(|path| out.join(path))
        .collect();
    assert_eq!(files.len(), 1, "{version:?}: {files:?}");
    let checked = ast_check(version, &files);
    hostile.assert_no_sentinel(&format!("{version:?}: after parsing"));
    let file = &checked[files[0].to_str().expect("UTF-8 path")];
    assert_eq!(file["problems"], json!([]), "{version:?}");
    assert_eq!(file["ascii"], true, "{version:?}: the DAG file is not ASCII");
    let dag_call = &file["dag"];
    assert_eq!(dag_call["description"], json!(h("flow description")), "{version:?}");
    let doc_md = dag_call["doc_md"].as_str().expect("a DAG doc_md");
    assert!(
        doc_md.contains(&format!("\n\n{}\n\n", h("flow description"))),
        "{version:?}: {doc_md:?}"
    );
    assert_eq!(dag_call["tags"], json!(["a.b:c-d_e", "hostile"]), "{version:?}");
    assert_eq!(
        dag_call["params"]["p_flow"],
        json!({"call": "Param", "args": [h("flow param")], "kwargs": {"type": "string"}}),
        "{version:?}"
    );
    let calls = &file["tasks"];
    // Fields the operators do not template: Python literals of the YAML text.
    assert_eq!(
        calls["load_detail"]["kwargs"]["conf"],
        json!({"spark.flowc.default": h("default conf"), "spark.flowc.hostile": h("sparksql conf")}),
        "{version:?}"
    );
    assert_eq!(
        calls["load_detail"]["kwargs"]["params"]["p_task"]["args"],
        json!([h("task param")]),
        "{version:?}"
    );
    assert_eq!(
        calls["score"]["kwargs"]["java_class"],
        json!(h("main class")),
        "{version:?}"
    );
}
