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

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --all-targets --locked -- -D warnings

step "workflow linters (pinned, into target/workflow-linter/)"
# The workflow tests install them too; doing it here first fails early and loudly
# when Node.js or npm is missing.
bash scripts/workflow-linter.sh >/dev/null

step "Mermaid's parser (pinned, into target/mermaid-parser/)"
# For the test that parses every diagram flowc writes; it installs it too.
bash scripts/mermaid-parser.sh >/dev/null

step "Chromium and playwright-core for the browser tests (into target/browser/)"
# The docs page test installs them too; doing it here first fails early and loudly
# when Node.js, npm or the chromium package is missing.
bash scripts/browser.sh >/dev/null

step "cargo test"
# insta must never write or accept snapshots on its own here: a changed snapshot fails.
# The tests that need Airflow, python3 or Node.js are #[ignore]d so that a plain
# `cargo test` needs only Rust; here they all run.
INSTA_UPDATE=no CI="${CI:-true}" cargo test --all-targets --locked -- --include-ignored

step "flowc compile examples/wingpay"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
cargo run --quiet --locked -- compile examples/wingpay --out "$out"
step "done"
