//! The SQL analysis cache (`<repo>/.flowc/cache/sql-analysis`, or `$FLOWC_CACHE_DIR`):
//! a compile that loads every analysis from it writes byte for byte what a cold one
//! writes; an edited file is analysed again; a damaged or foreign cache is ignored and
//! rebuilt; `plan` shares it between both revisions; git never sees it; and a cache
//! that cannot be saved costs nothing but time. Hits and misses show in `--timings`.

use std::fs;
use std::path::Path;
use std::process::Output;

use crate::support::{example_copy, example_repository, flowc_command, output_tree, text};

/// Runs flowc in `repo` with `args` and `--timings`, the cache in `cache` (the
/// repository's own when `None`).
fn run(repo: &Path, cache: Option<&Path>, args: &[&str]) -> Output {
    let mut command = flowc_command(repo);
    command.args(args).arg("--timings").env_remove("FLOWC_CACHE_DIR");
    if let Some(cache) = cache {
        command.env("FLOWC_CACHE_DIR", cache);
    }
    command.output().expect("flowc runs")
}

/// How many SQL files a successful run loaded from the cache and analysed.
fn counts(output: &Output) -> (usize, usize) {
    let stderr = text(&output.stderr);
    assert!(output.status.success(), "{}{stderr}", text(&output.stdout));
    let line = stderr
        .lines()
        .find_map(|line| line.strip_prefix("sql cache: "))
        .unwrap_or_else(|| panic!("no cache line in {stderr}"));
    let number = |word: &str| -> usize {
        let words: Vec<&str> = line.split([' ', ',']).filter(|w| !w.is_empty()).collect();
        let at = words
            .iter()
            .position(|w| *w == word)
            .unwrap_or_else(|| panic!("{word} in {line}"));
        words[..at]
            .iter()
            .rev()
            .find_map(|w| w.parse().ok())
            .unwrap_or_else(|| panic!("{word} in {line}"))
    };
    (number("loaded"), number("analysed"))
}

/// Compiles `repo` for prod into a new folder; its output files and the counts.
fn compile(repo: &Path, cache: Option<&Path>) -> (std::collections::BTreeMap<String, Vec<u8>>, (usize, usize)) {
    let out = tempfile::tempdir().expect("temp dir");
    let output = run(
        repo,
        cache,
        &[
            "compile",
            ".",
            "--env",
            "prod",
            "--out",
            &out.path().display().to_string(),
        ],
    );
    let counts = counts(&output);
    (output_tree(out.path()), counts)
}

/// The number of SQL files the example's tasks run.
fn sql_files(repo: &Path) -> usize {
    let mut count = 0;
    for flow in fs::read_dir(repo.join("flows")).expect("flows").flatten() {
        count += fs::read_dir(flow.path())
            .expect("flow")
            .flatten()
            .filter(|f| f.path().extension().is_some_and(|e| e == "sql"))
            .count();
    }
    count
}

#[test]
fn a_compile_from_the_cache_is_byte_for_byte_a_cold_one() {
    let repo = example_copy();
    let (cold, (loaded, analysed)) = compile(repo.path(), None);
    assert_eq!(loaded, 0);
    let files = analysed;
    assert!(files >= 20 && files <= sql_files(repo.path()), "{files} files analysed");
    assert!(repo.path().join(".flowc/cache/sql-analysis").is_file());

    let (cached, counts) = compile(repo.path(), None);
    assert_eq!(counts, (files, 0), "every analysis loaded");
    assert!(cached == cold, "the same output from the cache");

    // One edited file is analysed again; the rest still come from the cache.
    let sql = repo.path().join("flows/users/dim_user.sql");
    let mut edited = fs::read_to_string(&sql).expect("read");
    edited = edited.replacen("SELECT", "SELECT\n  -- edited\n ", 1);
    fs::write(&sql, edited).expect("edit");
    let (after_edit, counts) = compile(repo.path(), None);
    assert_eq!(counts, (files - 1, 1));
    let fresh = tempfile::tempdir().expect("temp dir");
    let (cold_after_edit, counts) = compile(repo.path(), Some(fresh.path()));
    assert_eq!(counts, (0, files));
    assert!(
        after_edit == cold_after_edit,
        "the same output as a cold compile of the edit"
    );
    assert!(after_edit != cold, "the edit shows");
}

#[test]
fn a_damaged_or_foreign_cache_is_ignored_and_rebuilt() {
    let repo = example_copy();
    let cache = tempfile::tempdir().expect("temp dir");
    let (cold, (_, files)) = compile(repo.path(), Some(cache.path()));
    let file = cache.path().join("sql-analysis");
    let good = fs::read(&file).expect("the cache");
    let damages = [
        "cut short",
        "one bit flipped",
        "another format",
        "empty",
        "a folder",
        "a link to an endless device",
    ];
    for damage in damages {
        spoil(&file, &good, damage);
        let (output, counts) = compile(repo.path(), Some(cache.path()));
        assert_eq!(counts, (0, files), "{damage}: nothing trusted");
        assert!(output == cold, "{damage}: the output of a cold compile");
        if damage == "a folder" {
            // Not flowc's to delete: left as it is, and the cache goes without.
            assert!(file.is_dir());
            continue;
        }
        // Rebuilt: the next run loads everything again.
        assert!(file.is_file(), "{damage}: a cache again");
        assert_eq!(compile(repo.path(), Some(cache.path())).1, (files, 0), "{damage}");
    }
}

/// Puts `damage` where the cache `file` (whose good bytes are `good`) is.
fn spoil(file: &Path, good: &[u8], damage: &str) {
    let _ = fs::remove_file(file);
    match damage {
        "cut short" => fs::write(file, &good[..good.len() / 3]).expect("write"),
        "one bit flipped" => {
            let mut flipped = good.to_vec();
            let middle = flipped.len() / 2;
            flipped[middle] ^= 0x20;
            fs::write(file, flipped).expect("write");
        }
        "another format" => fs::write(file, b"{\"entries\": []}").expect("write"),
        "empty" => fs::write(file, b"").expect("write"),
        "a folder" => fs::create_dir(file).expect("folder"),
        _ => {
            let _ = fs::remove_dir(file);
            std::os::unix::fs::symlink("/dev/zero", file).expect("link");
        }
    }
}

#[test]
fn plan_shares_the_cache_between_both_revisions() {
    let (dir, _repository) = example_repository("");
    let repo = dir.path();
    let sql = repo.join("flows/users/dim_user.sql");
    let edited = fs::read_to_string(&sql)
        .expect("read")
        .replacen("SELECT", "SELECT\n  -- edited\n ", 1);
    fs::write(&sql, edited).expect("edit");
    let first = run(repo, None, &["plan", ".", "--base", "main"]);
    let (loaded, analysed) = counts(&first);
    assert_eq!(loaded, 0);
    // The base's files and the edited one: each analysed once for both revisions.
    let base_files = analysed - 1;
    let second = run(repo, None, &["plan", ".", "--base", "main"]);
    assert_eq!(counts(&second), (base_files + 1, 0));
    assert_eq!(text(&second.stdout), text(&first.stdout), "the same plan");
    // A compile of the work tree finds its files there too.
    let (_, counts) = compile(repo, None);
    assert_eq!(counts, (base_files, 0));
    // git never sees the cache, in a repository that does not ignore it itself.
    assert!(!repo.join(".gitignore").exists());
    let status = std::process::Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(repo)
        .output()
        .expect("git runs");
    assert!(status.status.success(), "{}", text(&status.stderr));
    assert_eq!(text(&status.stdout), " M flows/users/dim_user.sql\n");
}

#[test]
fn a_cache_that_cannot_be_saved_costs_only_time() {
    let repo = example_copy();
    let blocked = tempfile::tempdir().expect("temp dir");
    let file = blocked.path().join("a-file");
    fs::write(&file, "not a folder").expect("write");
    let cache = file.join("cache");
    let (first, counts_first) = compile(repo.path(), Some(&cache));
    let (second, counts_second) = compile(repo.path(), Some(&cache));
    assert_eq!(counts_first.0, 0);
    assert_eq!(counts_second, counts_first, "nothing saved, nothing loaded");
    assert!(first == second);
}
