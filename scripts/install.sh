#!/usr/bin/env bash
# Installs a released flowc binary: downloads this platform's archive from a GitHub
# release, verifies its SHA-256 (against the release's SHA256SUMS, or against a
# checksum you pinned), and puts `flowc` into a folder. Nothing is installed unless
# every check passes. The root action.yml runs it; you can too:
#
#   bash scripts/install.sh --version 0.1.0 --to ~/.local/bin
#   curl -fsSL https://raw.githubusercontent.com/flowc-dev/flowc/v0.1.0/scripts/install.sh \
#     | bash -s -- --version 0.1.0
#
# Options:
#   --version V        the release to install (default: the version of the Cargo.toml
#                      beside this script, i.e. the checkout it belongs to)
#   --to DIR           where `flowc` goes (default: ~/.local/bin)
#   --sha256 HEX       the archive's expected SHA-256; when given, the release's own
#                      SHA256SUMS is not consulted (pin what you reviewed)
#   --releases-url U   where releases are downloaded from (default: the project's
#                      home, Cargo.toml's `repository`, + /releases/download); a
#                      mirror, say. https only, but for http://127.0.0.1 and localhost
#   --target T         the Rust target triple of the binary (default: this machine's)
# The binary's path is the last line printed.
set -euo pipefail
# The project's home, where releases are published: Cargo.toml's `repository`.
home="https://github.com/flowc-dev/flowc"
# The checkout this script belongs to; none when it is piped into bash.
here=""
if [ -f "$0" ]; then
  here="$(cd "$(dirname "$0")/.." && pwd)"
fi

fail() {
  echo "flowc install: $*" >&2
  exit 1
}

version=""
to="${HOME:-.}/.local/bin"
sha256=""
releases_url=""
target=""
while [ $# -gt 0 ]; do
  case "$1" in
    -h | --help)
      if [ -f "$0" ]; then
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
      else
        echo "usage: install.sh [--version V] [--to DIR] [--sha256 HEX] [--releases-url URL] [--target T]"
      fi
      exit 0
      ;;
    --version) version="${2-}" ;;
    --to) to="${2-}" ;;
    --sha256) sha256="${2-}" ;;
    --releases-url) releases_url="${2-}" ;;
    --target) target="${2-}" ;;
    *) fail "unknown option $1 (see --help)" ;;
  esac
  [ $# -ge 2 ] || fail "$1 needs a value"
  shift 2
done

# `key = "value"` of Cargo.toml's [package], beside this script.
package_field() {
  [ -n "$here" ] && [ -f "$here/Cargo.toml" ] || return 0
  sed -n "/^\[package\]/,/^\[/{s/^$1 = \"\(.*\)\"$/\1/p}" "$here/Cargo.toml" | head -n 1
}

if [ -n "$sha256" ]; then
  if [ "${#sha256}" -ne 64 ] || [ -n "$(printf '%s' "$sha256" | tr -d '0-9a-fA-F')" ]; then
    fail "--sha256 takes the 64 hex digits of a SHA-256, not \`$sha256\`"
  fi
fi
version="${version#v}"
[ -n "$version" ] || version="$(package_field version)"
[ -n "$version" ] || fail "which version? pass --version (e.g. --version 0.1.0)"
case "$version" in
  *[!0-9A-Za-z.+-]*) fail "--version $version is not a version number" ;;
esac

if [ -z "$releases_url" ]; then
  repository="$(package_field repository)"
  releases_url="${repository:-$home}"
  releases_url="${releases_url%/}/releases/download"
fi
releases_url="${releases_url%/}"
case "$releases_url" in
  https://*) ;;
  http://127.0.0.1[:/]* | http://localhost[:/]*) ;;
  *) fail "--releases-url must be an https:// address: $releases_url" ;;
esac

if [ -z "$target" ]; then
  os="$(uname -s)"
  arch="$(uname -m)"
  case "$arch" in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) fail "no released binary for the $arch processor; build from source: cargo install --locked --path ." ;;
  esac
  case "$os" in
    Linux) target="$arch-unknown-linux-musl" ;;
    Darwin) target="$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN* | Windows_NT)
      [ "$arch" = x86_64 ] || fail "no released binary for Windows on $arch; build from source"
      target="x86_64-pc-windows-msvc"
      ;;
    *) fail "no released binary for $os; build from source: cargo install --locked --path ." ;;
  esac
fi
case "$target" in
  *windows*) archive="flowc-$target.zip" exe=flowc.exe ;;
  *) archive="flowc-$target.tar.gz" exe=flowc ;;
esac

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

download() { # URL FILE
  if command -v curl >/dev/null; then
    curl --fail --silent --show-error --location --retry 3 --output "$2" "$1"
  elif command -v wget >/dev/null; then
    wget --quiet --tries=3 --output-document="$2" "$1"
  else
    fail "neither curl nor wget is installed"
  fi
}
hash_of() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

base="$releases_url/v$version"
echo "flowc install: downloading $base/$archive" >&2
download "$base/$archive" "$work/$archive" ||
  fail "could not download $base/$archive: is v$version released for $target? Or build from source: \`cargo install --locked --path .\` in a checkout, or the action's \`from-source: true\`"

if [ -n "$sha256" ]; then
  expected="$sha256"
  source_of_expected="--sha256"
else
  download "$base/SHA256SUMS" "$work/SHA256SUMS" || fail "could not download $base/SHA256SUMS"
  expected="$(awk -v name="$archive" '$2 == name || $2 == "*" name { print $1; exit }' "$work/SHA256SUMS")"
  [ -n "$expected" ] || fail "$base/SHA256SUMS lists no $archive"
  source_of_expected="SHA256SUMS"
fi
actual="$(hash_of "$work/$archive")"
expected="$(printf '%s' "$expected" | tr 'A-F' 'a-f')"
[ "$actual" = "$expected" ] ||
  fail "checksum mismatch for $archive: $source_of_expected says $expected, the download is $actual; the download is damaged or not the released file, nothing was installed"

mkdir "$work/unpacked"
case "$archive" in
  *.zip)
    if command -v unzip >/dev/null; then
      unzip -q "$work/$archive" -d "$work/unpacked"
    else
      powershell.exe -NoProfile -Command "Expand-Archive -LiteralPath '$work/$archive' -DestinationPath '$work/unpacked'"
    fi
    ;;
  *) tar -xzf "$work/$archive" -C "$work/unpacked" ;;
esac
binary="$work/unpacked/$exe"
[ -f "$binary" ] || fail "$archive holds no $exe at its top level"
chmod +x "$binary"
reported="$("$binary" --version 2>&1)" || fail "the downloaded flowc does not run here: $reported"
[ "$reported" = "flowc $version" ] || fail "the downloaded flowc says \`$reported\`, not \`flowc $version\`"

# Into place in one step: a rename within the destination folder.
mkdir -p "$to"
cp "$binary" "$to/.$exe.partial"
mv -f "$to/.$exe.partial" "$to/$exe"
echo "flowc install: flowc $version ($target) is $to/$exe" >&2
echo "$to/$exe"
