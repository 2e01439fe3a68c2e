//! The Python wheel (`pyproject.toml`, maturin with `bindings = "bin"`): built from a
//! clean copy of the repository's tracked files by the pinned maturin
//! (`scripts/maturin-venv.sh`), installed with pip into a fresh venv, and its `flowc`
//! checks and compiles the bundled example exactly as the binary under test does.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{example, flowc, output_tree, repo_root, text};

fn run(command: &mut Command) -> Output {
    let output = command.output().expect("the command starts");
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

/// The files git tracks, copied as they are in the work tree into `to`: what a clone
/// holds (with the uncommitted edits of a work in progress), and nothing untracked.
fn clean_copy(to: &Path) {
    let listed = run(Command::new("git")
        .args(["ls-files", "-z", "--cached"])
        .current_dir(repo_root()));
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = text(name);
        let from = repo_root().join(&name);
        // Tracked but deleted in the work tree: not part of the copy.
        if !from.is_file() {
            continue;
        }
        let target = to.join(&name);
        fs::create_dir_all(target.parent().expect("a file has a parent")).expect("mkdir");
        fs::copy(&from, &target).expect("copy a tracked file");
    }
}

/// The pinned maturin, installed once (idempotent; takes no time when up to date).
fn maturin() -> PathBuf {
    run(Command::new("bash").arg(repo_root().join("scripts/maturin-venv.sh")));
    repo_root().join(".venv/maturin/bin/maturin")
}

/// Builds the wheel of the project in `source` into `dist` with the pinned maturin and
/// returns its path.
fn build_wheel(source: &Path, dist: &Path) -> PathBuf {
    // The dev profile, as the tests build (a release build would cost minutes and test
    // nothing more about the packaging), without debug info for flowc's own crates (the
    // dependencies have none in the tests' build either). The target folder is shared
    // with the tests' build. Its dependencies were built with the features the
    // dev-dependencies (wiremock, insta) add to them; asking for the same ones here
    // lets this build reuse all but four of them (hyper's `full` cannot be asked for)
    // instead of building some thirty again. flowc uses none of these features: the
    // binary behaves the same. Only the time would tell if this list went stale.
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo_root().join("target"), PathBuf::from);
    let features = "tokio/macros,tokio/io-util,hyper-util/server,hyper-util/http2,similar/inline,globset/default";
    run(Command::new(maturin())
        .args(["build", "--profile", "dev", "--features", features, "--out"])
        .arg(dist)
        .current_dir(source)
        .env("CARGO_TARGET_DIR", &target)
        .env("CARGO_PROFILE_DEV_DEBUG", "0"));
    let wheels: Vec<PathBuf> = fs::read_dir(dist)
        .expect("dist/")
        .map(|e| e.expect("an entry").path())
        .collect();
    assert_eq!(wheels.len(), 1, "one wheel: {wheels:?}");
    wheels[0].clone()
}

/// The installed distribution's metadata, as Python reads it, has what PyPI shows.
fn assert_metadata(python: &Path, version: &str) {
    let output = run(Command::new(python).args([
        "-c",
        "import importlib.metadata as m\n\
         d = m.metadata('flowc')\n\
         for key in ('Name', 'Version', 'Summary', 'License', 'Requires-Python'):\n    print(key, '=', d[key])\n\
         for url in d.get_all('Project-URL'):\n    print('Project-URL =', url)\n\
         for classifier in d.get_all('Classifier'):\n    print('Classifier =', classifier)\n\
         print('Description-Content-Type =', d['Description-Content-Type'])",
    ]));
    let metadata = text(&output.stdout);
    for line in [
        "Name = flowc".to_owned(),
        format!("Version = {version}"),
        "Summary = A GitOps compiler for data pipelines".to_owned(),
        "License = Apache-2.0".to_owned(),
        "Requires-Python = >=3.8".to_owned(),
        "Project-URL = Source Code, https://github.com/".to_owned(),
        "Classifier = License :: OSI Approved :: Apache Software License".to_owned(),
        "Classifier = Programming Language :: Rust".to_owned(),
        "Description-Content-Type = text/markdown".to_owned(),
    ] {
        assert!(
            metadata.lines().any(|l| l.starts_with(&line)),
            "no `{line}` in the metadata:\n{metadata}"
        );
    }
}

/// The installed flowc checks and compiles the example, and writes what the binary
/// under test writes, byte for byte.
fn assert_compiles_the_example(installed: &Path, work: &Path) {
    let output = run(Command::new(installed).arg("check").arg(example()).env("NO_COLOR", "1"));
    let summary = text(&output.stdout);
    assert!(
        summary.contains("7 flows, 44 tasks") && summary.contains(": 0 errors"),
        "{summary}"
    );
    let from_wheel = work.join("from-wheel");
    run(Command::new(installed)
        .args(["compile", "--quiet", "--out"])
        .arg(&from_wheel)
        .arg(example()));
    let under_test = work.join("under-test");
    let output = flowc(
        &[
            "compile",
            "--quiet",
            "--out",
            under_test.to_str().expect("a UTF-8 temp path"),
            example().to_str().expect("a UTF-8 path"),
        ],
        b"",
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let written = output_tree(&from_wheel);
    assert!(
        written.keys().any(|k| k.starts_with("prod/dags/")),
        "{:?}",
        written.keys()
    );
    assert!(
        written == output_tree(&under_test),
        "the wheel's flowc writes the same files"
    );
}

/// The sdist, for platforms without a wheel (pip builds it with cargo), carries what
/// that build needs and the licence, and no tests or examples.
fn assert_sdist(source: &Path, out: &Path, version: &str) {
    run(Command::new(maturin())
        .args(["sdist", "--out"])
        .arg(out)
        .current_dir(source));
    let archive = fs::read_dir(out)
        .expect("sdist/")
        .map(|e| e.expect("an entry").path())
        .next()
        .expect("an sdist");
    let listing = run(Command::new("tar").arg("-tzf").arg(&archive));
    let listing = text(&listing.stdout);
    let root = format!("flowc-{version}/");
    for file in [
        "pyproject.toml",
        "Cargo.toml",
        "Cargo.lock",
        "LICENSE",
        "README.md",
        "src/main.rs",
        "templates/",
        "schemas/",
    ] {
        assert!(
            listing.lines().any(|l| l.starts_with(&format!("{root}{file}"))),
            "the sdist has no {file}:\n{listing}"
        );
    }
    assert!(
        !listing.lines().any(|l| ["tests/", "examples/"]
            .iter()
            .any(|d| l.starts_with(&format!("{root}{d}")))),
        "the sdist carries no tests or examples:\n{listing}"
    );
}

#[test]
#[ignore = "needs python3 with venv and the Python registry (maturin), and builds flowc once more: run by scripts/test.sh"]
fn a_wheel_built_from_a_clean_clone_installs_with_pip_and_compiles_the_example() {
    let work = tempfile::tempdir().expect("temp dir");
    let source = work.path().join("flowc");
    clean_copy(&source);
    assert!(
        source.join("pyproject.toml").is_file(),
        "pyproject.toml is not tracked: git add it"
    );
    assert!(!source.join("target").exists() && !source.join(".venv").exists());

    let wheel = build_wheel(&source, &work.path().join("dist"));
    let version = env!("CARGO_PKG_VERSION");
    let name = wheel.file_name().and_then(|n| n.to_str()).expect("a wheel name");
    // The binary needs no Python: any Python 3, no ABI.
    assert!(
        name.starts_with(&format!("flowc-{version}-py3-none-"))
            && Path::new(name).extension().is_some_and(|e| e == "whl"),
        "{name}"
    );

    // A fresh venv, nothing but pip, and no index: the wheel needs nothing else.
    let venv = work.path().join("venv");
    run(Command::new("python3").args(["-m", "venv"]).arg(&venv));
    run(Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--no-index", "--disable-pip-version-check"])
        .arg(&wheel));
    let installed = venv.join("bin/flowc");
    assert!(installed.is_file(), "pip put flowc into the venv's bin/");

    let output = run(Command::new(&installed).arg("--version"));
    assert_eq!(text(&output.stdout).trim(), format!("flowc {version}"));
    assert_eq!(
        text(&output.stdout),
        text(&flowc(&["--version"], b"").stdout),
        "the same version as the binary under test"
    );
    assert_metadata(&venv.join("bin/python"), version);
    assert_compiles_the_example(&installed, work.path());
    assert_sdist(&source, &work.path().join("sdist"), version);
}
