# Shared by the scripts that install pinned npm packages under target/ for the tests
# (workflow-linter.sh, mermaid-parser.sh, browser.sh); sourced, not run. The sourcing
# script sets `name` (its name in messages and lock files), `root` (the project), and,
# for pinned_npm_install, `src` (the folder with package.json and package-lock.json)
# and `dest` (the installation under target/).

fail() {
  echo "$name: $*" >&2
  exit 1
}

# Node.js of at least major version $1 with npm, or a loud failure naming $2 (who needs it).
pinned_npm_require_node() {
  local tool major
  for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || fail "\`$tool\` is not installed; $2 need Node.js $1 or later with npm"
  done
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge "$1" ] || fail "Node.js $(node --version) is too old; $2 need $1 or later"
}

# Test threads and parallel runs may call the script at once: one installs, the others
# wait (the lock is held until the script exits).
pinned_npm_lock() {
  mkdir -p "$root/target"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$root/target/.$name.lock"
    flock 9
  fi
}

# The stamp of an installation: a hash of the given files under $src.
pinned_npm_stamp() {
  (cd "$src" && cat "$@") | sha256sum | cut -c1-16
}

# Whether $dest holds the installation of stamp $1 with every file $2… under it.
pinned_npm_installed() {
  local stamp="$1" file
  shift
  [ -f "$dest/.flowc-stamp" ] && [ "$(cat "$dest/.flowc-stamp")" = "$stamp" ] || return 1
  for file in "$@"; do
    [ -f "$dest/$file" ] || return 1
  done
}

# Installs the files $2… of $src (package.json and package-lock.json among them) with
# `npm ci --ignore-scripts` (no package runs code at install time) in a temporary
# folder under target/, runs the sourcing script's `pinned_npm_smoke DIR` on it when it
# defines one, stamps it $1, and swaps it in for $dest: a failure leaves no half
# installation behind.
pinned_npm_install() {
  local stamp="$1" tmp
  shift
  echo "$name: installing the pinned packages into $dest" >&2
  tmp="$(mktemp -d "$root/target/.$name.XXXXXX")"
  # shellcheck disable=SC2064 # expand $tmp now: it is local
  trap "rm -rf '$tmp'" EXIT
  (cd "$src" && cp "$@" "$tmp/")
  (cd "$tmp" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2) \
    || fail "npm ci failed (is the npm registry reachable?)"
  if declare -F pinned_npm_smoke >/dev/null; then
    pinned_npm_smoke "$tmp"
  fi
  echo "$stamp" > "$tmp/.flowc-stamp"
  rm -rf "$dest"
  mv "$tmp" "$dest"
  trap - EXIT
}
