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

# What the tests install (npm packages, Chromium, the Airflow, Spark and OpenLineage
# venvs) is mostly download and unpacking: it runs in the background while cargo builds,
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
) >"$setup_log" 2>&1 &
setup=$!
trap 'kill "$setup" 2>/dev/null || true; rm -f "$setup_log"' EXIT

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --all-targets --locked -- -D warnings

step "cargo build of the tests"
cargo test --all-targets --locked --no-run

step "what the tests need (installed in the background since the start)"
if ! wait "$setup"; then
  cat "$setup_log" >&2
  echo "installing what the tests need failed (above)" >&2
  exit 1
fi
cat "$setup_log"

step "cargo test"
# insta must never write or accept snapshots on its own here: a changed snapshot fails.
# The tests that need Airflow, python3 or Node.js are #[ignore]d so that a plain
# `cargo test` needs only Rust; here they all run.
INSTA_UPDATE=no CI="${CI:-true}" cargo test --all-targets --locked -- --include-ignored

step "flowc compile examples/wingpay"
out="$(mktemp -d)"
trap 'rm -rf "$out" "$setup_log"' EXIT
# The binary the tests ran: `cargo run` would build flowc once more, without the test
# build's dev-dependency features (about 90 s on a 2-core machine).
"${CARGO_TARGET_DIR:-target}/debug/flowc" compile examples/wingpay --out "$out"
step "done"
