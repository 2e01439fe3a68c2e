//! The architecture rules of `src/lib.rs`, enforced on the source itself: numbered
//! stages that import only downward, no import cycle between sibling modules, pure
//! stages 3–10, sqlparser only inside `src/sql/`, no file over 600 lines.
//!
//! The rules run on a map of `src/`-relative path → text, so the tests below also
//! prove, on small made-up trees, that each rule fails when it should.

mod source;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use source::{code_only, module_of, named_paths, without_tests};

/// The longest a source file may be, unit tests included.
const MAX_LINES: usize = 600;

/// Stages whose modules are pure functions of their input.
const PURE_STAGES: std::ops::RangeInclusive<u32> = 3..=10;

/// What a pure stage must not name: files, the environment, processes, the network,
/// git, the clock, and load's file trees.
const IMPURE: &[&str] = &[
    "std::fs",
    "std::env",
    "std::process",
    "std::net",
    "git2::",
    "tokio::",
    "SystemTime",
    "Instant::now",
    "FileSource",
];

/// Everything wrong with the source tree `files` (path under `src/` → text), sorted.
fn violations(files: &BTreeMap<String, String>) -> Vec<String> {
    let mut found = Vec::new();
    let lib = files.get("lib.rs").map_or("", String::as_str);
    let stages = stage_table(lib);
    if stages.is_empty() {
        found.push("src/lib.rs has no stage table (`//! | 0 | `module` … |` rows)".to_owned());
    }
    let declared = declared_modules(lib);
    for module in declared.difference(&stages.keys().cloned().collect()) {
        found.push(format!(
            "module `{module}` is declared in src/lib.rs but has no stage in its table"
        ));
    }
    let aliases = root_aliases(lib);
    let modules: BTreeSet<Vec<String>> = files.keys().map(|path| module_of(path)).collect();
    // Sibling edges by parent module: parent → (from → to).
    let mut edges: BTreeMap<Vec<String>, BTreeSet<(String, String)>> = BTreeMap::new();
    for (path, text) in files {
        let lines = text.lines().count();
        if lines > MAX_LINES {
            found.push(format!(
                "src/{path} has {lines} lines, more than {MAX_LINES}: split it by responsibility"
            ));
        }
        let code = code_only(text);
        let module = module_of(path);
        if module.first().is_none_or(|top| top != "sql") && mentions(&code, "sqlparser::") {
            found.push(format!(
                "src/{path} uses sqlparser: SQL is parsed only in src/sql/ (its one adapter)"
            ));
        }
        let Some(top) = module.first() else {
            continue;
        };
        if path == "main.rs" || module.iter().any(|part| part == "tests") {
            continue;
        }
        let code = without_tests(&code);
        let stage = stages.get(top).copied();
        if let Some(stage) = stage.filter(|s| PURE_STAGES.contains(s)) {
            for word in IMPURE.iter().filter(|word| mentions(code, word)) {
                found.push(format!(
                    "src/{path} names `{word}`, but stage {stage} (`{top}`) is pure: read and write in load, the compiler or the CLI"
                ));
            }
        }
        for named in named_paths(code, &module) {
            let target = resolve(&named, &modules, &aliases);
            let Some(target_top) = target.first() else {
                continue;
            };
            if let (Some(from), Some(to)) = (stage, stages.get(target_top))
                && to > &from
            {
                found.push(format!(
                    "src/{path} (stage {from}, `{top}`) imports `{}` (stage {to}): a stage imports only lower stages",
                    named.join("::")
                ));
            }
            let common = module.iter().zip(&target).take_while(|(a, b)| a == b).count();
            if common < module.len() && common < target.len() {
                edges
                    .entry(module[..common].to_vec())
                    .or_default()
                    .insert((module[common].clone(), target[common].clone()));
            }
        }
    }
    for (parent, edges) in &edges {
        for cycle in cycles(edges) {
            let place = if parent.is_empty() {
                "src/".to_owned()
            } else {
                format!("src/{}/", parent.join("/"))
            };
            found.push(format!(
                "import cycle between sibling modules of {place}: {}",
                cycle.join(" → ")
            ));
        }
    }
    found.sort();
    found.dedup();
    found
}

/// The stage of each top-level module, from the table in `src/lib.rs`'s docs:
/// rows like ``//! | 4 | `sql` | … |``.
fn stage_table(lib: &str) -> BTreeMap<String, u32> {
    let mut stages = BTreeMap::new();
    for line in lib.lines() {
        let Some(row) = line.strip_prefix("//! |") else {
            continue;
        };
        let mut cells = row.split('|');
        let (Some(number), Some(names)) = (cells.next(), cells.next()) else {
            continue;
        };
        let Ok(number) = number.trim().parse::<u32>() else {
            continue;
        };
        for name in names.split('`').skip(1).step_by(2) {
            stages.insert(name.to_owned(), number);
        }
    }
    stages
}

/// The modules `src/lib.rs` declares.
fn declared_modules(lib: &str) -> BTreeSet<String> {
    lib.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line.strip_prefix("pub mod ").or_else(|| line.strip_prefix("mod "))?;
            Some(rest.trim_end_matches(';').to_owned())
        })
        .collect()
}

/// Items `src/lib.rs` re-exports (`pub use error::Error;`): name → module.
fn root_aliases(lib: &str) -> BTreeMap<String, String> {
    lib.lines()
        .filter_map(|line| {
            let path = line.trim().strip_prefix("pub use ")?.trim_end_matches(';');
            let (module, item) = path.split_once("::")?;
            Some((item.rsplit("::").next()?.to_owned(), module.to_owned()))
        })
        .collect()
}

/// The module a named path lands in: its longest prefix that is a module file.
fn resolve(named: &[String], modules: &BTreeSet<Vec<String>>, aliases: &BTreeMap<String, String>) -> Vec<String> {
    for len in (1..=named.len()).rev() {
        if modules.contains(&named[..len]) {
            return named[..len].to_vec();
        }
    }
    match named.first().and_then(|first| aliases.get(first)) {
        Some(module) => vec![module.clone()],
        None => Vec::new(),
    }
}

/// Whether `code` names `word` as a path (not as the tail of a longer identifier).
fn mentions(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(at, _)| {
        let before = code[..at].chars().next_back();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':')
    })
}

/// One cycle per strongly connected component of a directed graph (of more than one
/// node), as `a → b → … → a`: the shortest cycle through the component's first node.
fn cycles(edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    let nodes: BTreeSet<&String> = edges.iter().flat_map(|(a, b)| [a, b]).collect();
    // Breadth-first from `from`: each node reached, with the node it was reached from.
    let reach = |from: &String| -> BTreeMap<String, String> {
        let mut previous: BTreeMap<String, String> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([from.clone()]);
        while let Some(node) = queue.pop_front() {
            for (_, next) in edges.iter().filter(|(a, _)| *a == node) {
                if !previous.contains_key(next) {
                    previous.insert(next.clone(), node.clone());
                    queue.push_back(next.clone());
                }
            }
        }
        previous
    };
    let reached: BTreeMap<&String, BTreeMap<String, String>> = nodes.iter().map(|n| (*n, reach(n))).collect();
    let mut seen: BTreeSet<&String> = BTreeSet::new();
    let mut found = Vec::new();
    for &node in &nodes {
        if seen.contains(node) || !reached[node].contains_key(node) {
            continue;
        }
        // The component: every node this one reaches and that reaches it back.
        seen.extend(
            nodes.iter().filter(|other| {
                reached[node].contains_key(other.as_str()) && reached[*other].contains_key(node.as_str())
            }),
        );
        let previous = &reached[node];
        let mut cycle = vec![node.clone()];
        let mut at = &previous[node];
        while at != node {
            cycle.push(at.clone());
            at = &previous[at];
        }
        cycle.push(node.clone());
        cycle.reverse();
        found.push(cycle);
    }
    found
}

/// Every `.rs` file under `dir`, by path relative to it.
fn read_tree(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).expect("list src/") {
            let path = entry.expect("read src/ entry").path();
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path
                    .strip_prefix(dir)
                    .expect("under src/")
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(relative, std::fs::read_to_string(&path).expect("read source file"));
            }
        }
    }
    files
}

#[test]
fn src_follows_the_architecture_rules() {
    let files = read_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    assert!(files.len() > 50, "found only {} source files", files.len());
    let found = violations(&files);
    assert!(found.is_empty(), "architecture rules broken:\n{}", found.join("\n"));
}

#[test]
fn the_stage_table_names_every_module_in_order() {
    let files = read_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let stages = stage_table(&files["lib.rs"]);
    assert_eq!(stages.get("diagnostic"), Some(&0));
    assert_eq!(stages.get("cli"), Some(&15));
    let tops: BTreeSet<String> = files
        .keys()
        .filter_map(|path| module_of(path).first().cloned())
        .collect();
    let missing: Vec<&String> = tops.iter().filter(|top| !stages.contains_key(*top)).collect();
    assert!(missing.is_empty(), "modules without a stage: {missing:?}");
}

/// The codes `src/diagnostic/code.rs` defines: name → code (`InvalidUtf8` → `L101`).
fn defined_codes(code_rs: &str) -> BTreeMap<String, String> {
    code_rs
        .lines()
        .filter_map(|line| {
            let (name, code) = line.trim().trim_end_matches(',').split_once(" = \"")?;
            let code = code.strip_suffix('"')?;
            let well_formed = name.chars().all(char::is_alphanumeric) && code.len() == 4;
            well_formed.then(|| (name.to_owned(), code.to_owned()))
        })
        .collect()
}

/// The rows of `docs/ARCHITECTURE.md`'s code table: code → (name, modules).
fn documented_codes(doc: &str) -> BTreeMap<String, (String, Vec<String>)> {
    doc.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.strip_prefix("| `")?.split('|').map(str::trim).collect();
            let code = cells.first()?.strip_suffix('`')?;
            let (name, modules) = (cells.get(1)?, cells.get(2)?);
            let modules = modules
                .split(',')
                .map(|m| m.trim().trim_matches('`').to_owned())
                .collect();
            (code.len() == 4).then(|| (code.to_owned(), ((*name).to_owned(), modules)))
        })
        .collect()
}

#[test]
fn architecture_md_names_the_modules_that_raise_each_code() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = read_tree(&root.join("src"));
    let doc = std::fs::read_to_string(root.join("docs/ARCHITECTURE.md")).expect("read docs/ARCHITECTURE.md");
    let defined = defined_codes(&files["diagnostic/code.rs"]);
    let documented = documented_codes(&doc);
    assert!(defined.len() > 50, "found only {} codes in code.rs", defined.len());
    let mut problems = Vec::new();
    for (name, code) in &defined {
        let raised_by: BTreeSet<String> = files
            .iter()
            .filter(|(path, text)| {
                !path.starts_with("cli/")
                    && !path.starts_with("diagnostic/")
                    && mentions(without_tests(&code_only(text)), &format!("Code::{name}"))
            })
            .map(|(path, _)| format!("src/{path}"))
            .collect();
        let Some((doc_name, modules)) = documented.get(code) else {
            problems.push(format!(
                "{code} ({name}) is not in the table; it is raised by {raised_by:?}"
            ));
            continue;
        };
        if doc_name != name {
            problems.push(format!("{code} is {name} in code.rs but {doc_name} in the table"));
        }
        let listed: BTreeSet<String> = modules.iter().cloned().collect();
        if listed != raised_by {
            problems.push(format!(
                "{code} ({name}): the table says {listed:?}, the source raises it in {raised_by:?}"
            ));
        }
    }
    for code in documented.keys() {
        if !defined.values().any(|c| c == code) {
            problems.push(format!("{code} is in the table but not in src/diagnostic/code.rs"));
        }
    }
    assert!(
        problems.is_empty(),
        "docs/ARCHITECTURE.md is out of date:\n{}",
        problems.join("\n")
    );
}

/// A made-up `src/`: a lib.rs with a two-row stage table (`low` 0, `pure` 3, `high`
/// 11) and the given files.
fn tree(files: &[(&str, &str)]) -> BTreeMap<String, String> {
    let lib = "//! | stage | modules |\n//! |---|---|\n//! | 0 | `low` |\n//! | 3 | `pure` |\n//! | 11 | `high` |\npub mod low;\npub mod pure;\npub mod high;\npub use low::Error;\n";
    let mut tree: BTreeMap<String, String> = files.iter().map(|(p, t)| ((*p).to_owned(), (*t).to_owned())).collect();
    tree.insert("lib.rs".to_owned(), lib.to_owned());
    tree.entry("low.rs".to_owned()).or_default();
    tree.entry("high.rs".to_owned()).or_default();
    tree.entry("pure/mod.rs".to_owned()).or_default();
    tree
}

fn one_violation(files: &[(&str, &str)], expected: &str) {
    let found = violations(&tree(files));
    assert_eq!(
        found.len(),
        1,
        "expected one violation containing {expected:?}, got {found:#?}"
    );
    assert!(
        found[0].contains(expected),
        "{:?} does not contain {expected:?}",
        found[0]
    );
}

#[test]
fn a_clean_tree_passes() {
    let files = [
        ("high.rs", "use crate::pure::x::Thing;\nuse crate::{low, Error};\n"),
        (
            "pure/mod.rs",
            "mod x;\nmod y;\npub use x::Thing;\nuse self::y::helper;\n",
        ),
        (
            "pure/x.rs",
            "use super::y::helper;\nuse crate::low::Span;\npub struct Thing;\n",
        ),
        // A child and its parent mod.rs importing each other is not a cycle.
        ("pure/y.rs", "use super::Thing;\npub fn helper() {}\n"),
        // Paths in comments and strings are not imports.
        (
            "low.rs",
            "// crate::high::run\nconst URL: &str = \"crate::high:://x\";\n/* crate::high */\n",
        ),
    ];
    assert_eq!(violations(&tree(&files)), Vec::<String>::new());
}

#[test]
fn an_upward_import_fails() {
    one_violation(
        &[("low.rs", "use crate::high::run;\n")],
        "a stage imports only lower stages",
    );
    one_violation(&[("pure/mod.rs", "fn f() { crate::high::run(); }\n")], "(stage 11)");
}

#[test]
fn unit_tests_may_reach_any_stage() {
    let files = [(
        "low.rs",
        "fn f() {}\n\n#[cfg(test)]\nmod tests {\n    use crate::high::run;\n}\n",
    )];
    assert_eq!(violations(&tree(&files)), Vec::<String>::new());
}

#[test]
fn a_cycle_between_sibling_files_fails() {
    let files = [
        ("pure/mod.rs", "mod a;\nmod b;\n"),
        ("pure/a.rs", "use super::b::B;\npub struct A;\n"),
        ("pure/b.rs", "use crate::pure::a::{A, self};\npub struct B;\n"),
    ];
    one_violation(&files, "import cycle between sibling modules of src/pure/: a → b → a");
}

#[test]
fn a_cycle_through_nested_folders_fails() {
    let files = [
        ("pure/mod.rs", "mod reader;\nmod resolver;\n"),
        ("pure/reader/mod.rs", "mod jdbc;\n"),
        ("pure/reader/jdbc.rs", "use super::super::resolver::Resolver;\n"),
        ("pure/resolver.rs", "use super::reader::jdbc;\npub struct Resolver;\n"),
    ];
    one_violation(&files, "src/pure/: reader → resolver → reader");
}

#[test]
fn sqlparser_outside_src_sql_fails() {
    one_violation(
        &[("high.rs", "use sqlparser::parser::Parser;\n")],
        "src/high.rs uses sqlparser",
    );
    let files = [
        ("sql/mod.rs", "mod parse;\n"),
        ("sql/parse.rs", "use sqlparser::ast;\n"),
    ];
    assert_eq!(violations(&tree(&files)), Vec::<String>::new());
}

#[test]
fn a_file_over_600_lines_fails() {
    let long = "fn f() {}\n".repeat(601);
    one_violation(&[("high.rs", &long)], "src/high.rs has 601 lines, more than 600");
    let fits = "fn f() {}\n".repeat(600);
    assert_eq!(violations(&tree(&[("high.rs", &fits)])), Vec::<String>::new());
}

#[test]
fn a_pure_stage_that_reads_files_fails() {
    one_violation(
        &[("pure/mod.rs", "fn f() { let _ = std::fs::read(\"x\"); }\n")],
        "names `std::fs`, but stage 3 (`pure`) is pure",
    );
    // The compiler stage may read; a pure stage's tests may too.
    assert_eq!(
        violations(&tree(&[(
            "high.rs",
            "use crate::low::FileSource;\nfn f() { std::fs::read(\"x\"); }\n"
        )])),
        Vec::<String>::new()
    );
}

#[test]
fn a_module_missing_from_the_stage_table_fails() {
    let mut files = tree(&[]);
    let lib = files.get_mut("lib.rs").expect("lib.rs");
    lib.push_str("pub mod stray;\n");
    files.insert("stray.rs".to_owned(), String::new());
    let found = violations(&files);
    assert_eq!(
        found,
        ["module `stray` is declared in src/lib.rs but has no stage in its table"]
    );
}
