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
src="$here/mermaid-parser"
dest="$root/target/mermaid-parser"

fail() {
  echo "mermaid-parser: $*" >&2
  exit 1
}

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || fail "\`$tool\` is not installed; the Mermaid tests need Node.js 20 or later with npm"
done
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 20 ] || fail "Node.js $(node --version) is too old; the Mermaid tests need 20 or later"

stamp="$(cat "$src/package.json" "$src/package-lock.json" "$src/parse.mjs" | sha256sum | cut -c1-16)"
installed() {
  [ -f "$dest/.flowc-stamp" ] && [ "$(cat "$dest/.flowc-stamp")" = "$stamp" ] \
    && [ -f "$dest/node_modules/mermaid/package.json" ] \
    && [ -f "$dest/node_modules/jsdom/package.json" ]
}

mkdir -p "$root/target"
# Test threads and parallel runs may call this at once: one installs, the others wait.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$root/target/.mermaid-parser.lock"
  flock 9
fi

if ! installed; then
  echo "mermaid-parser: installing the pinned parser into $dest" >&2
  tmp="$(mktemp -d "$root/target/.mermaid-parser.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  cp "$src/package.json" "$src/package-lock.json" "$src/parse.mjs" "$tmp/"
  # mermaid asks for a newer Node.js in its engines field; its parser runs on 20.
  (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) \
    || fail "npm ci failed (is the npm registry reachable?)"
  chmod +x "$tmp/parse.mjs"
  # A good diagram must parse and a broken one must not, or the installation is broken.
  printf 'flowchart LR\n  n0("a") --> n1[("b")]\n' > "$tmp/good.mmd"
  printf 'flowchart LR\n  n0["a"b"]\n' > "$tmp/bad.mmd"
  "$tmp/parse.mjs" "$tmp/good.mmd" >&2 || fail "the installed parser does not run"
  if "$tmp/parse.mjs" "$tmp/bad.mmd" >&2; then
    fail "the installed parser accepts a broken diagram"
  fi
  rm "$tmp/good.mmd" "$tmp/bad.mmd"
  echo "$stamp" > "$tmp/.flowc-stamp"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
fi
echo "$dest/parse.mjs"
