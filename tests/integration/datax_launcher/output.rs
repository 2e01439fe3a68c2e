//! The command's output: stdout passes through byte for byte while the command runs,
//! then the launcher prints the record count DataX read as the last line (or says it
//! has none).

use std::fs;
use std::io::Read;
use std::process::Output;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::json;

use super::{FAKE_LOG, NO_COUNT, Sandbox, TIMEOUT, code, statistics, terminate};
use crate::support::{hex, text};

/// The last line of `stdout`, without its line break.
fn last_line(stdout: &[u8]) -> String {
    let stdout = text(stdout);
    let stdout = stdout
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("stdout ends with a line break: {stdout:?}"));
    stdout.rsplit('\n').next().unwrap_or_default().to_owned()
}

/// Runs the launcher on a plain job with `env` for the fake DataX.
fn run_plain(env: &[(&str, &str)]) -> (Sandbox, Output) {
    let sandbox = Sandbox::new();
    sandbox.write_job(&json!({"job": {"content": [{"reader": {"parameter": {"password": "${env:FLOWC_T_PASS}"}}}]}}));
    let mut all = vec![("FLOWC_T_PASS", "secret")];
    all.extend_from_slice(env);
    let output = sandbox.run(&all);
    (sandbox, output)
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn the_commands_stdout_passes_through_then_the_read_count_is_the_last_line() {
    let (sandbox, output) = run_plain(&[("FAKE_DATAX_SUMMARY", "12345,2")]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert_eq!(
        stdout,
        format!(
            "{FAKE_LOG}{}flowc_datax: DataX read 12345 records, 2 failed\n12345\n",
            statistics("12345", Some("2"))
        )
    );
    // DataX's own layout: the label padded to 26 characters, `: `, the count in 19.
    for line in [
        "读出记录总数                    :               12345",
        "读写失败总数                    :                   2",
    ] {
        assert_eq!(stdout.lines().filter(|l| *l == line).count(), 1, "{line:?} in {stdout}");
    }
    assert_eq!(last_line(&output.stdout), "12345");
    assert_eq!(text(&output.stderr), "", "the launcher reports on stdout only");
    sandbox.assert_temp_is_empty();
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn without_a_summary_the_last_line_says_so() {
    // Lines that only look like the summary: a log prefix, no number, a signed or
    // decimal number, a non-ASCII digit, a failed count alone.
    let decoys = "2024-03-05 01:00:10.404 [job-0] INFO  JobContainer - 读出记录总数 : 999\n\
                  读出记录总数                    :                    \n\
                  读出记录总数                    :                  -5\n\
                  读出记录总数                    :                 7.5\n\
                  读出记录总数                    :                  ٣\n\
                  读出记录总数                    :               12 rec\n\
                  读写失败总数                    :                   4\n";
    let (_sandbox, output) = run_plain(&[("FAKE_DATAX_RAW", &hex(decoys.as_bytes()))]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    assert_eq!(text(&output.stdout), format!("{decoys}{NO_COUNT}\n"));
    assert_eq!(last_line(&output.stdout), NO_COUNT);

    let (_sandbox, output) = run_plain(&[]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!("{NO_COUNT}\n"),
        "a command that prints nothing"
    );
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn the_last_summary_wins_and_a_missing_failed_count_is_0() {
    let (_sandbox, output) = run_plain(&[("FAKE_DATAX_SUMMARY", "777,5;12345")]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!(
            "{FAKE_LOG}{}{}flowc_datax: DataX read 12345 records, 0 failed\n12345\n",
            statistics("777", Some("5")),
            statistics("12345", None)
        )
    );

    // A count of 0 is a count; the failed count of the earlier summary is not kept.
    let (_sandbox, output) = run_plain(&[("FAKE_DATAX_SUMMARY", "777,5;0")]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!(
            "{FAKE_LOG}{}{}flowc_datax: DataX read 0 records, 0 failed\n0\n",
            statistics("777", Some("5")),
            statistics("0", None)
        )
    );
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn summary_lines_split_across_reads_are_found() {
    let (_sandbox, output) = run_plain(&[("FAKE_DATAX_SUMMARY", "12000000,0"), ("FAKE_DATAX_TRICKLE", "1")]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!(
            "{FAKE_LOG}{}flowc_datax: DataX read 12000000 records, 0 failed\n12000000\n",
            statistics("12000000", Some("0"))
        )
    );
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn a_long_line_passes_through_and_the_summary_after_it_is_found() {
    let long = 1_000_000;
    let (_sandbox, output) = run_plain(&[
        ("FAKE_DATAX_LONG", &long.to_string()),
        ("FAKE_DATAX_SUMMARY", "12345,2"),
    ]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    let mut expected = vec![b'x'; long];
    expected.push(b'\n');
    expected.extend_from_slice(FAKE_LOG.as_bytes());
    expected.extend_from_slice(statistics("12345", Some("2")).as_bytes());
    expected.extend_from_slice(b"flowc_datax: DataX read 12345 records, 2 failed\n12345\n");
    assert!(
        output.stdout == expected,
        "stdout differs ({} bytes)",
        output.stdout.len()
    );
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn a_failing_command_prints_no_count() {
    let (sandbox, output) = run_plain(&[("FAKE_DATAX_SUMMARY", "12345,2"), ("FAKE_DATAX_EXIT", "3")]);
    assert_eq!(code(&output), Some(3), "stderr: {}", text(&output.stderr));
    assert_eq!(
        text(&output.stdout),
        format!("{FAKE_LOG}{}", statistics("12345", Some("2"))),
        "the command's output and nothing else"
    );
    sandbox.assert_temp_is_empty();
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn non_utf8_output_passes_through_byte_for_byte() {
    let raw: &[u8] = b"caf\xe9 \xff\xfe\x80\x00 \xe6\x95\xb0\xe6\x8d\xae \xe6\x95\r\n\x1b[31mred\x1b[0m\n\xc3\n";
    let (_sandbox, output) = run_plain(&[("FAKE_DATAX_RAW", &hex(raw)), ("FAKE_DATAX_SUMMARY", "12345,2")]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    let mut expected = raw.to_vec();
    expected.extend_from_slice(FAKE_LOG.as_bytes());
    expected.extend_from_slice(statistics("12345", Some("2")).as_bytes());
    expected.extend_from_slice(b"flowc_datax: DataX read 12345 records, 2 failed\n12345\n");
    assert_eq!(output.stdout, expected);

    // Output without a final line break gets one before the launcher's line.
    let raw: &[u8] = b"\xff\xfe no line break \xe6\x95";
    let (_sandbox, output) = run_plain(&[("FAKE_DATAX_RAW", &hex(raw))]);
    assert_eq!(code(&output), Some(0), "stderr: {}", text(&output.stderr));
    let mut expected = raw.to_vec();
    expected.push(b'\n');
    expected.extend_from_slice(NO_COUNT.as_bytes());
    expected.push(b'\n');
    assert_eq!(output.stdout, expected);
}

#[test]
#[ignore = "needs python3 3.8+ on PATH: run by scripts/test.sh"]
fn stdout_streams_while_the_command_runs_and_a_signal_prints_no_count() {
    // The command exits 0 after SIGTERM: the launcher still exits 143 and, having
    // drained what the command printed in its handler, prints no count.
    let sandbox = Sandbox::new();
    sandbox.write_job(&json!({"job": {"content": [{"reader": {"parameter": {"password": "${env:FLOWC_T_PASS}"}}}]}}));
    let mut launcher = sandbox
        .launcher_with_fake(&[
            ("FLOWC_T_PASS", "secret"),
            ("FAKE_DATAX_SLEEP", "1"),
            ("FAKE_DATAX_TERM_EXIT", "0"),
            ("FAKE_DATAX_SUMMARY", "12345,2"),
        ])
        .spawn()
        .expect("launcher starts");
    let mut stdout = launcher.stdout.take().expect("stdout is piped");
    let (sender, received) = mpsc::channel::<Vec<u8>>();
    let reader = thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        loop {
            match stdout.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if sender.send(buffer[..n].to_vec()).is_err() {
                        break;
                    }
                }
            }
        }
    });

    let sleeping = format!("{FAKE_LOG}{}fake datax: sleeping\n", statistics("12345", Some("2")));
    let mut seen = Vec::new();
    let started = Instant::now();
    while seen != sleeping.as_bytes() {
        assert!(
            sleeping.as_bytes().starts_with(&seen),
            "unexpected output: {:?}",
            text(&seen)
        );
        match received.recv_timeout(Duration::from_millis(50)) {
            Ok(chunk) => seen.extend(chunk),
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => panic!("stdout closed early: {:?}", text(&seen)),
        }
        if started.elapsed() > TIMEOUT {
            launcher.kill().expect("launcher is killed");
            panic!("the command's output did not stream: {:?}", text(&seen));
        }
    }
    assert!(
        launcher.try_wait().expect("launcher status").is_none(),
        "the output arrived while the command runs"
    );

    let status = terminate(&mut launcher);
    reader.join().expect("reader thread");
    seen.extend(received.try_iter().flatten());
    assert_eq!(status.code(), Some(143), "128 + SIGTERM although the command exited 0");
    assert_eq!(
        fs::read_to_string(sandbox.out("got-signal")).expect("the command got a signal"),
        "15"
    );
    assert_eq!(text(&seen), format!("{sleeping}fake datax: got SIGTERM\n"));
    sandbox.assert_temp_is_empty();
}
