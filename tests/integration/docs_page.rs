//! The `flowc docs` page of the bundled example in a real headless Chromium (Debian's,
//! driven by playwright-core; both installed by `scripts/browser.sh`), checked by
//! `tests/browser/docs_page.mjs` as a person would use it: offline from a `file://`
//! URL with no console errors; search finds a column; selecting a column (by URL
//! fragment and by clicking its search result) highlights exactly the path
//! `flowc lineage` computes (and, with INDIRECT edges on, `--indirect`'s); a flow filter hides other flows' results; a node expands;
//! a hostile description stays text. Screenshots go to `target/browser/`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{copy_dir_editing, example, flowc, repo_root, text};

/// A leaf report column with a four-step DIRECT path back to the source database
/// (`core_oracle.paycore.t_pay_order.amount`, through a sync task): its upstream path
/// is its whole path.
const LEAF_COLUMN: &str = "ads.ads_fin_recon_1d.matched_amount";
/// A column with a path both ways: to the source database and on to the report
/// database through a sync task.
const MIDDLE_COLUMN: &str = "ads.ads_pay_gmv_1d.gmv_cny";
/// The flow whose description the test makes hostile.
const HOSTILE_FLOW: &str = "reporting";
/// Markup, a script, the page's own markers and a comment opener, as a description.
const HOSTILE: &str = "</script><script>document.body.dataset.pwned = '1'</script>\
<img src=x onerror=\"document.body.dataset.pwned = '1'\"> {{data}} {{script}} &amp; <!-- end";

/// The node_modules folder `scripts/browser.sh` installs playwright-core into.
fn browser_modules() -> PathBuf {
    let output = Command::new("bash")
        .arg(repo_root().join("scripts/browser.sh"))
        .output()
        .expect("bash runs scripts/browser.sh");
    assert!(
        output.status.success(),
        "scripts/browser.sh failed; the browser tests need Node.js 20+ with npm and Debian's chromium:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    let stdout = text(&output.stdout);
    PathBuf::from(stdout.lines().last().expect("the script prints the node_modules path"))
}

/// The example with the reporting flow's description replaced by [`HOSTILE`].
fn hostile_example(to: &Path) {
    let flow = example().join("flows").join(HOSTILE_FLOW).join("flow.yaml");
    copy_dir_editing(&example(), to, &|path| {
        if path != flow {
            return None;
        }
        let yaml = fs::read_to_string(path).expect("read the flow");
        let quoted = HOSTILE.replace('\\', "\\\\").replace('"', "\\\"");
        let edited: Vec<String> = yaml
            .lines()
            .map(|line| {
                if line.starts_with("description:") {
                    format!("description: \"{quoted}\"")
                } else {
                    line.to_owned()
                }
            })
            .collect();
        assert_ne!(
            edited.join("\n"),
            yaml.trim_end(),
            "the flow has a description to replace"
        );
        Some(edited.join("\n") + "\n")
    });
}

/// `flowc lineage` of `column` as JSON (with `extra` arguments), written to `out`.
fn lineage(column: &str, downstream: &str, extra: &[&str], out: &Path) {
    let example = example();
    let mut args = vec![
        "lineage",
        example.to_str().expect("UTF-8 path"),
        column,
        "--upstream",
        "99",
        "--downstream",
        downstream,
        "--format",
        "json",
    ];
    args.extend_from_slice(extra);
    let output = flowc(&args, b"");
    assert!(
        output.status.success(),
        "flowc lineage {column} failed:\n{}",
        text(&output.stderr)
    );
    fs::write(out, &output.stdout).expect("write the lineage");
}

#[test]
#[ignore = "needs Node.js and Chromium (scripts/browser.sh)"]
fn docs_page_works_in_chromium() {
    let modules = browser_modules();
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = dir.path().join("wingpay");
    hostile_example(&repo);
    let page = dir.path().join("docs.html");
    let output = flowc(
        &[
            "docs",
            repo.to_str().expect("UTF-8 path"),
            "--out",
            page.to_str().expect("UTF-8 path"),
        ],
        b"",
    );
    assert!(
        output.status.success(),
        "flowc docs failed:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );

    let leaf = dir.path().join("leaf.json");
    let middle = dir.path().join("middle.json");
    // The brief's comparison: the upstream path only, of a column nothing reads.
    lineage(LEAF_COLUMN, "0", &[], &leaf);
    // Both ways, so the page's downstream path is checked too.
    lineage(MIDDLE_COLUMN, "99", &[], &middle);
    // With the INDIRECT edges (the columns that filter, join or group its rows).
    let indirect = dir.path().join("indirect.json");
    lineage(MIDDLE_COLUMN, "99", &["--indirect"], &indirect);
    let hostile = dir.path().join("hostile.txt");
    fs::write(&hostile, HOSTILE).expect("write the hostile text");

    let shots = repo_root().join("target/browser");
    let output = Command::new("node")
        .arg(repo_root().join("tests/browser/docs_page.mjs"))
        .env("FLOWC_NODE_MODULES", &modules)
        .args(["--page".as_ref(), page.as_os_str()])
        .args(["--out".as_ref(), shots.as_os_str()])
        .args(["--readme".as_ref(), shots.join("docs-page.png").as_os_str()])
        .args(["--hostile-flow", HOSTILE_FLOW])
        .args(["--hostile-text".as_ref(), hostile.as_os_str()])
        .args(["--expect".as_ref(), leaf.as_os_str()])
        .args(["--expect".as_ref(), middle.as_os_str()])
        .args(["--expect-indirect".as_ref(), indirect.as_os_str()])
        .output()
        .expect("node runs tests/browser/docs_page.mjs");
    assert!(
        output.status.success(),
        "the docs page failed in Chromium:\n{}{}",
        text(&output.stdout),
        text(&output.stderr)
    );
}
