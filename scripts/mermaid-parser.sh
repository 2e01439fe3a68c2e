#!/usr/bin/env bash
# Installs (once) Mermaid's own parser — the `mermaid` package GitHub draws diagrams
# with, and jsdom for the DOM its label sanitiser needs, so no browser — into
# target/mermaid-parser/, and prints the command that parses diagram files (the only
# line on stdout):
#
#     parse="$(scripts/mermaid-parser.sh)" && "$parse" diagram.mmd
#
# The tests run it on the impact diagrams of `flowc plan --format markdown` and on
# `flowc lineage --format mermaid`. Versions and integrity hashes are pinned by
# scripts/mermaid-parser/package-lock.json and installed with
# `npm ci --ignore-scripts` (no package runs code at install time). Idempotent: the
# installation is reused while its stamp matches the lock file and the driver. Needs
# Node.js 20 or later with npm, and fails loudly without them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
name=mermaid-parser
src="$here/mermaid-parser"
dest="$root/target/mermaid-parser"
# shellcheck source=scripts/lib/pinned-npm.sh
. "$here/lib/pinned-npm.sh"

# A good diagram must parse and a broken one must not, or the installation is broken.
# (mermaid asks for a newer Node.js in its engines field; its parser runs on 20.)
pinned_npm_smoke() {
  chmod +x "$1/parse.mjs"
  printf 'flowchart LR\n  n0("a") --> n1[("b")]\n' > "$1/good.mmd"
  printf 'flowchart LR\n  n0["a"b"]\n' > "$1/bad.mmd"
  "$1/parse.mjs" "$1/good.mmd" >&2 || fail "the installed parser does not run"
  if "$1/parse.mjs" "$1/bad.mmd" >&2; then
    fail "the installed parser accepts a broken diagram"
  fi
  rm "$1/good.mmd" "$1/bad.mmd"
}

pinned_npm_require_node 20 "the Mermaid tests"
files=(package.json package-lock.json parse.mjs)
stamp="$(pinned_npm_stamp "${files[@]}")"
pinned_npm_lock
if ! pinned_npm_installed "$stamp" node_modules/mermaid/package.json node_modules/jsdom/package.json; then
  pinned_npm_install "$stamp" "${files[@]}"
fi
echo "$dest/parse.mjs"
