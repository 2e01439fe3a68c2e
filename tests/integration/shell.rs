//! `flowc completions` and `flowc man`: generated from the command line's own
//! definitions, loaded by a real bash and rendered by a real nroff where the machine has
//! them.

use std::process::Command;

use crate::support::{flowc, text};

/// The commands `flowc --help` lists.
fn commands() -> Vec<String> {
    let help = text(&flowc(&["--help"], b"").stdout);
    help.lines()
        .skip_while(|line| !line.starts_with("Commands:"))
        .skip(1)
        .take_while(|line| line.starts_with("  "))
        // A command's own line, not the wrapped rest of a description.
        .filter(|line| !line.starts_with("   "))
        .filter_map(|line| line.split_whitespace().next().map(str::to_owned))
        .filter(|name| name != "help")
        .collect()
}

#[test]
fn each_shell_gets_a_completion_script_naming_every_command() {
    let commands = commands();
    assert!(commands.len() > 15, "{commands:?}");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let output = flowc(&["completions", shell], b"");
        assert!(output.status.success(), "{shell}: {}", text(&output.stderr));
        let script = text(&output.stdout);
        for command in &commands {
            assert!(
                script.contains(command.as_str()),
                "{shell}: no `{command}` in\n{script}"
            );
        }
    }
    let output = flowc(&["completions", "tcsh"], b"");
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("bash"), "{}", text(&output.stderr));
}

#[test]
fn bash_completes_commands_and_options_with_the_script() {
    let script = text(&flowc(&["completions", "bash"], b"").stdout);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("flowc.bash");
    std::fs::write(&file, script).expect("write");
    // What bash's programmable completion does on TAB: the words so far, the function
    // `complete -p flowc` names, and COMPREPLY read back.
    let complete = |words: &str| -> Vec<String> {
        let probe = format!(
            r#"source '{}'
words=({words})
COMP_WORDS=("${{words[@]}}"); COMP_CWORD=$(( ${{#words[@]}} - 1 ))
COMP_LINE="${{words[*]}}"; COMP_POINT=${{#COMP_LINE}}
function=$(complete -p flowc | sed -n 's/.*-F \([^ ]*\).*/\1/p')
"$function" flowc "${{words[-1]}}" "${{words[-2]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
            file.display()
        );
        let output = Command::new("bash").args(["-c", &probe]).output().expect("bash runs");
        assert!(output.status.success(), "{}", text(&output.stderr));
        text(&output.stdout).lines().map(str::to_owned).collect()
    };
    let first = complete("flowc co");
    for command in ["compile", "codeowners", "comment", "completions"] {
        assert!(first.iter().any(|c| c == command), "{first:?}");
    }
    assert!(!first.iter().any(|c| c == "check"), "{first:?}");
    let options = complete("flowc compile --airflow-v");
    assert_eq!(options, ["--airflow-version"]);
    let values = complete("flowc compile --airflow-version ''");
    assert!(
        values.iter().any(|v| v == "2.10") && values.iter().any(|v| v == "3"),
        "{values:?}"
    );
}

#[test]
fn the_man_pages_cover_flowc_and_each_command() {
    let output = flowc(&["man"], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let page = text(&output.stdout);
    assert!(page.starts_with(".ie") || page.contains(".TH flowc 1"), "{page}");
    for command in commands() {
        assert!(page.contains(&command), "no `{command}` in flowc(1)");
    }
    let output = flowc(&["man", "compile"], b"");
    assert!(output.status.success(), "{}", text(&output.stderr));
    let page = text(&output.stdout);
    assert!(page.contains("airflow\\-version"), "{page}");
    assert!(
        page.contains(".TH flowc-compile 1") && page.contains(r"\fBflowc compile\fR"),
        "{page}"
    );
    // A real formatter reads it: groff lays the page out as `man` shows it (UTF-8 in,
    // every warning on).
    // Debian and macOS ship groff with man; CI must have it, a developer's machine may not.
    let groff = Command::new("groff").arg("--version").output().is_ok();
    assert!(
        groff || std::env::var("CI").is_err(),
        "groff is missing (Debian: man-db brings it)"
    );
    if groff {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("flowc-compile.1");
        std::fs::write(&file, &page).expect("write");
        let shown = Command::new("groff")
            .args(["-Kutf8", "-man", "-Tutf8", "-ww"])
            .arg(&file)
            .output()
            .expect("nroff runs");
        assert!(shown.status.success(), "{}", text(&shown.stderr));
        assert_eq!(text(&shown.stderr), "", "nroff warned");
        let shown = text(&shown.stdout);
        assert!(
            shown.contains("flowc-compile(1)") && shown.contains("commit…"),
            "{shown}"
        );
    }
    let output = flowc(&["man", "nonsense"], b"");
    assert_eq!(output.status.code(), Some(2));
    let error = text(&output.stderr);
    assert!(
        error.contains("no command `nonsense`") && error.contains("compile"),
        "{error}"
    );
}
