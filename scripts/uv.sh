# Sourced by the venv scripts: sets `uv` to a uv command, installing uv into
# "$root/tools" when the Python at "$python" has none. Needs `root` and `python`.
if ! "$python" -m uv --version >/dev/null 2>&1; then
  if [ ! -x "$root/tools/bin/uv" ]; then
    "$python" -m venv "$root/tools"
    "$root/tools/bin/pip" install --quiet "uv==0.9.*"
  fi
  uv="$root/tools/bin/uv"
else
  uv="$python -m uv"
fi
