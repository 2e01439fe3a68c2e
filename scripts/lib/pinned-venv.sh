# shellcheck shell=bash
# Shared by the scripts that create a pinned Python venv under .venv/ for the tests
# (openlineage-venv.sh, maturin-venv.sh); sourced, not run, from the project's root.
#
# pinned_venv NAME LOCK SCRIPT creates .venv/NAME with the packages of LOCK, every file
# hash-checked, with the Python of $FLOWC_PYTHON (python3 by default). Idempotent: a
# venv whose stamp matches the contents of LOCK and SCRIPT (the calling script) is
# reused as is; the path either is given by (relative, absolute) does not matter.
pinned_venv() {
  local name="$1" lock="$2" script="$3"
  local root="$PWD/.venv" python="${FLOWC_PYTHON:-python3}" uv venv stamp
  mkdir -p "$root"
  # shellcheck source=scripts/uv.sh
  source scripts/uv.sh
  venv="$root/$name"
  stamp=$(cat "$lock" "$script" | sha256sum | cut -c1-16)
  if [ -f "$venv/.flowc-stamp" ] && [ "$(cat "$venv/.flowc-stamp")" = "$stamp" ]; then
    echo "$name venv: up to date"
    return 0
  fi
  echo "$name venv: installing from $lock"
  rm -rf "$venv"
  $uv venv --quiet --python "$python" "$venv"
  $uv pip install --quiet --python "$venv/bin/python" --require-hashes -r "$lock"
  echo "$stamp" > "$venv/.flowc-stamp"
}
