#!/usr/bin/env bash
# Installs (once) what the browser tests and the docs-page bench need — Debian's
# Chromium at /usr/bin/chromium and playwright-core, which drives it — and prints the
# node_modules folder the scripts under tests/browser/ load playwright-core from
# (the only line on stdout):
#
#     modules="$(scripts/browser.sh)" && node tests/browser/docs_page.mjs …
#
# playwright-core's version and integrity hash are pinned by
# tests/browser/package-lock.json and installed with `npm ci --ignore-scripts` (no
# package runs code at install time, and no browser is ever downloaded: the tests
# launch /usr/bin/chromium) into target/browser/. Chromium comes from Debian's
# `chromium` package, installed with apt-get when this runs as root.
# Idempotent: the installation is reused while its stamp matches the lock file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
src="$root/tests/browser"
dest="$root/target/browser"

fail() {
  echo "browser: $*" >&2
  exit 1
}

for tool in node npm; do
  command -v "$tool" >/dev/null 2>&1 || fail "\`$tool\` is not installed; the browser tests need Node.js 20 or later with npm"
done
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 20 ] || fail "Node.js $(node --version) is too old; the browser tests need 20 or later"

mkdir -p "$root/target"
# Test threads and parallel runs may call this at once: one installs, the others wait.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$root/target/.browser.lock"
  flock 9
fi

if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "browser: installing Debian's chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || fail "apt-get update failed"
    apt-get install -y -qq --no-install-recommends chromium >&2 \
      || fail "apt-get install chromium failed"
  else
    fail "/usr/bin/chromium is missing; install Debian's package as root: apt-get install -y --no-install-recommends chromium"
  fi
fi
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium is still missing after installing the chromium package"

stamp="$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -c1-16)"
installed() {
  [ -f "$dest/.flowc-stamp" ] && [ "$(cat "$dest/.flowc-stamp")" = "$stamp" ] \
    && [ -f "$dest/node_modules/playwright-core/package.json" ]
}

if ! installed; then
  echo "browser: installing the pinned playwright-core into $dest" >&2
  tmp="$(mktemp -d "$root/target/.browser.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  cp "$src/package.json" "$src/package-lock.json" "$tmp/"
  (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) \
    || fail "npm ci failed (is the npm registry reachable?)"
  echo "$stamp" > "$tmp/.flowc-stamp"
  # Screenshots of earlier runs live beside the installation: keep them.
  mkdir -p "$dest"
  rm -rf "$dest/node_modules" "$dest/.flowc-stamp"
  mv "$tmp/node_modules" "$dest/node_modules"
  mv "$tmp/.flowc-stamp" "$dest/.flowc-stamp"
  rm -rf "$tmp"
  trap - EXIT
fi
echo "$dest/node_modules"
