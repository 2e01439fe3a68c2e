//! Output that cannot be written (reliability finding F11): on a full disk, a command
//! whose stdout fails exits 2 with a message instead of a silent success; a reader that
//! goes away (`| head`) still ends the run quietly.

use std::fs::File;
use std::process::Stdio;

use crate::support::{example, flowc_command, repo_root, text};

#[test]
fn a_full_disk_on_stdout_is_a_failure_with_a_message() {
    let example = example().display().to_string();
    for args in [
        vec!["graph", example.as_str(), "--format", "json"],
        vec!["schema", "flow"],
        vec!["access", example.as_str()],
    ] {
        let full = File::create("/dev/full").expect("open /dev/full");
        let output = flowc_command(repo_root())
            .args(&args)
            .stdout(full)
            .output()
            .expect("flowc runs");
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", text(&output.stderr));
        assert!(
            text(&output.stderr).contains("error: cannot write `standard output`: No space left on device"),
            "{args:?}: {}",
            text(&output.stderr)
        );
    }
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    let mut child = flowc_command(repo_root())
        .args(["graph", &example().display().to_string(), "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("flowc runs");
    // The reader closes its end before flowc has written anything (it is still
    // loading the repository), so every write meets a closed pipe.
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("flowc ends");
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stderr), "");
}
