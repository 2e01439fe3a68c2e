#!/usr/bin/env bash
# The whole test suite, from a fresh clone: formatting, lints, unit, integration and
# snapshot tests (the #[ignore]d ones too: real Airflow, python3, Node.js, Chromium), and the
# bundled example. Installs what the tests need by itself.
# Usage: scripts/test.sh            (the README's test command; CI runs it too)
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step says when it starts, in seconds since this script did: where the time goes.
started=$SECONDS
step() { echo "==> $1 (at $((SECONDS - started)) s)"; }
# A CI run builds from nothing once: incremental compilation's bookkeeping only slows it.
if [ "${CI:-}" = true ]; then
  export CARGO_INCREMENTAL=0
fi

# What the tests install (npm packages, Chromium, the Airflow, Spark, OpenLineage and
# maturin venvs) is mostly download and unpacking: it runs in the background while cargo builds,
# one script after another, and the tests start once it is all there. Each script is
# idempotent, and the tests call them too.
setup_log="$(mktemp)"
(
  set -e
  started_setup=$SECONDS
  done_in() { echo "    $1 ready (after $((SECONDS - started_setup)) s)"; }
  # Workflow linters, Mermaid's parser, playwright-core (into target/…): these fail
  # early and loudly when Node.js, npm or the chromium package is missing.
  bash scripts/workflow-linter.sh >/dev/null
  done_in "workflow linters"
  bash scripts/mermaid-parser.sh >/dev/null
  done_in "Mermaid's parser"
  bash scripts/browser.sh >/dev/null
  done_in "Chromium and playwright-core"
  bash scripts/airflow-venvs.sh
  done_in "Airflow venvs"
  bash scripts/spark-venv.sh
  done_in "Spark venv"
  bash scripts/openlineage-venv.sh
  done_in "OpenLineage venv"
  bash scripts/maturin-venv.sh
  done_in "maturin venv"
) >"$setup_log" 2>&1 &
setup=$!
trap 'kill "$setup" 2>/dev/null || true; rm -f "$setup_log"' EXIT

step "cargo fmt --check"
cargo fmt --all -- --check

# Clippy lints flowc's own code as it is built for the tests: what `cargo clippy
# --all-targets -- -D warnings` checks, in the one build the tests need anyway, instead
# of a whole `cargo check` of every crate before it (about two minutes on 2 cores). These
# are the variables `cargo clippy` sets; every cargo command below shares them, so none
# rebuilds.
sysroot="$(rustc --print sysroot)"
export RUSTC_WORKSPACE_WRAPPER="$sysroot/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
# CLIPPY_ARGS is cargo-clippy's own way of passing `-D warnings`: make sure this
# clippy-driver still reads it, or the lints would only warn.
probe="$(mktemp -d)"
printf 'fn main() { let x: u32 = 1; let _ = x.clone(); }\n' >"$probe/probe.rs"
if "$RUSTC_WORKSPACE_WRAPPER" rustc --edition 2021 --crate-type bin --emit=metadata \
  -o "$probe/probe" "$probe/probe.rs" >/dev/null 2>&1; then
  echo "clippy-driver let a lint through with CLIPPY_ARGS=$CLIPPY_ARGS: run cargo clippy --all-targets -- -D warnings instead" >&2
  exit 1
fi
rm -rf "$probe"
step "cargo build of the tests, linted by clippy (warnings are errors)"
cargo test --all-targets --locked --no-run
# The integration tests' binary, run directly below (in two processes).
integration="$(cargo test --test integration --locked --no-run --message-format=json |
  python3 -c 'import json, sys
for line in sys.stdin:
    message = json.loads(line)
    if message.get("target", {}).get("name") == "integration" and message.get("executable"):
        print(message["executable"])')"

step "what the tests need (installed in the background since the start)"
if ! wait "$setup"; then
  cat "$setup_log" >&2
  echo "installing what the tests need failed (above)" >&2
  exit 1
fi
cat "$setup_log"

# insta must never write or accept snapshots on its own here: a changed snapshot fails.
# The tests that need Airflow, python3 or Node.js are #[ignore]d so that a plain
# `cargo test` needs only Rust; here they all run.
export INSTA_UPDATE=no CI="${CI:-true}"

# The integration tests that use the run's one Spark (each test of these modules holds
# it in turn) are most of the run's length: they run from the start in a process of
# their own, one at a time, beside a process that runs all the others. A test outside
# these modules that asks for Spark fails and says to add its module here.
SPARK_MODULES=(ddl:: example_on_spark:: quality:: run_spark:: spark_client:: spark_harness:: unit_tests::)
step "cargo test: the Spark integration tests start (their log is shown at their end)"
spark_log="$(mktemp)"
"$integration" --include-ignored --test-threads=1 "${SPARK_MODULES[@]}" >"$spark_log" 2>&1 &
spark_tests=$!
trap 'kill "$spark_tests" 2>/dev/null || true; rm -f "$setup_log" "$spark_log"' EXIT
# The Spark chain is the run's critical path: everything else yields the cores to it
# (nice) and takes what it leaves.
step "cargo test: unit tests, the bench's smoke runs"
nice -n 10 cargo test --lib --bins --benches --locked -- --include-ignored
# The wheel test builds flowc once more (with maturin, from a clean copy): one long
# serial chain of compiles. Sorted by name it would start last and end alone; it starts
# now, in a process of its own (after the cargo command above: they share the target
# folder's lock).
step "cargo test: the wheel test starts (its log is shown at its end)"
wheel_log="$(mktemp)"
"$integration" --include-ignored wheel:: >"$wheel_log" 2>&1 &
wheel_test=$!
trap 'kill "$spark_tests" "$wheel_test" 2>/dev/null || true; rm -f "$setup_log" "$spark_log" "$wheel_log"' EXIT
step "cargo test: the other integration tests"
skips=()
for module in "${SPARK_MODULES[@]}" wheel::; do skips+=(--skip "$module"); done
others=0
FLOWC_TEST_NO_SPARK=1 nice -n 10 "$integration" --include-ignored "${skips[@]}" || others=$?
wheel=0
wait "$wheel_test" || wheel=$?
step "the wheel test's log"
cat "$wheel_log"
spark=0
wait "$spark_tests" || spark=$?
step "the Spark tests' log"
cat "$spark_log"
if [ "$others" -ne 0 ] || [ "$spark" -ne 0 ] || [ "$wheel" -ne 0 ]; then
  echo "integration tests failed: the others exited $others, the Spark ones $spark, the wheel's $wheel" >&2
  exit 1
fi

step "flowc compile examples/wingpay"
out="$(mktemp -d)"
trap 'rm -rf "$out" "$setup_log" "$spark_log" "$wheel_log"' EXIT
# The binary the tests ran: `cargo run` would build flowc once more, without the test
# build's dev-dependency features (about 90 s on a 2-core machine).
"${CARGO_TARGET_DIR:-target}/debug/flowc" compile examples/wingpay --out "$out"
step "done"
