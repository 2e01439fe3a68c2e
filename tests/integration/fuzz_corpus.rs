//! The fuzz corpora as regression tests. Every committed seed (`fuzz/corpus/<target>/`)
//! and crash reproducer (`fuzz/regressions/<target>/`) goes through the same function
//! its fuzz target calls — `fuzz/src/lib.rs`, compiled in here — so a finding stays
//! fixed without libFuzzer, and the properties hold for every input the fuzzer kept.

use std::path::Path;

#[path = "../../fuzz/src/lib.rs"]
#[expect(
    unreachable_pub,
    reason = "the fuzz crate's public API, compiled here as a private module"
)]
mod properties;

/// Runs every file of the target's corpus and regressions through `check`; fails
/// naming each file whose property failed.
fn run_target(target: &str, check: fn(&[u8])) {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut ran = 0;
    let mut failed = Vec::new();
    for folder in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(folder).join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries
            .map(|entry| entry.expect("list a corpus folder").path())
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).expect("read a corpus file");
            if std::panic::catch_unwind(|| check(&bytes)).is_err() {
                failed.push(path.display().to_string());
            }
            ran += 1;
        }
    }
    assert!(ran > 0, "fuzz/corpus/{target}/ holds no input");
    assert!(
        failed.is_empty(),
        "{target}: the property fails on\n{}",
        failed.join("\n")
    );
}

#[test]
fn yaml_load_corpus_loads_without_a_panic() {
    run_target("yaml_load", properties::yaml_load);
}

#[test]
fn sql_analyse_corpus_analyses_without_a_panic() {
    run_target("sql_analyse", properties::sql_analyse);
}

#[test]
fn literals_corpus_reads_back_as_the_same_strings() {
    run_target("literals", properties::literals);
}

#[test]
fn check_repo_corpus_checks_and_compiles_without_a_panic() {
    run_target("check_repo", properties::check_repo);
}
