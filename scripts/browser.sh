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
# launch /usr/bin/chromium) into target/browser/playwright/ (screenshots go beside it,
# into target/browser/). Chromium comes from Debian's
# `chromium` package, installed with apt-get when this runs as root.
# Idempotent: the installation is reused while its stamp matches the lock file.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
name=browser
src="$root/tests/browser"
dest="$root/target/browser/playwright"
# shellcheck source=scripts/lib/pinned-npm.sh
. "$here/lib/pinned-npm.sh"

pinned_npm_require_node 20 "the browser tests"
pinned_npm_lock

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

files=(package.json package-lock.json)
stamp="$(pinned_npm_stamp "${files[@]}")"
mkdir -p "$root/target/browser"
if ! pinned_npm_installed "$stamp" node_modules/playwright-core/package.json; then
  pinned_npm_install "$stamp" "${files[@]}"
fi
echo "$dest/node_modules"
