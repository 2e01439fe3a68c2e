#!/usr/bin/env bash
# Runs one coverage-guided fuzz target with libFuzzer for a while, on the stable
# toolchain:
#
#   scripts/fuzz.sh TARGET SECONDS [LIBFUZZER_OPTION...]
#   scripts/fuzz.sh smoke SECONDS        # every target in turn, SECONDS each
#   scripts/fuzz.sh seed                 # rewrites fuzz/corpus/ from the example and fixtures
#
# TARGET is yaml_load, sql_analyse, literals or check_repo (fuzz/fuzz_targets/). The
# committed seeds (fuzz/corpus/TARGET/) and crash reproducers (fuzz/regressions/TARGET/)
# are read, never written: what the run finds goes to fuzz/work/TARGET/ (ignored by
# git), a crash to fuzz/artifacts/TARGET/. docs/fuzzing.md says how to turn a crash
# into a regression and how to shrink the committed corpus.
#
# Why stable works: cargo-fuzz instruments with stable `-C` flags (`-Cpasses=sancov-module`
# and `-Cllvm-args=-sanitizer-coverage-*`); only a sanitizer needs `-Zsanitizer`, a
# nightly flag. flowc forbids unsafe code, so AddressSanitizer would add little: the
# targets are built with `--sanitizer none` (about twice as fast), in release mode with
# debug assertions and overflow checks on. `RUSTC_BOOTSTRAP=1 scripts/fuzz.sh …` with
# FUZZ_SANITIZER=address builds with ASan on the same stable toolchain instead.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
TARGETS=(yaml_load sql_analyse literals check_repo)

usage() {
    echo "usage: scripts/fuzz.sh TARGET|smoke SECONDS [LIBFUZZER_OPTION...]" >&2
    echo "targets: ${TARGETS[*]}" >&2
    exit 2
}
# The seed corpora: the YAML and SQL files of examples/ and tests/fixtures/, and each
# repository in them as one check_repo archive (fuzz/src/archive.rs), named by content
# hash as libFuzzer names its inputs (so duplicates collapse), plus hand-written strings
# for the literals target (kept: fuzz/corpus/literals/ is not regenerated).
seed() {
    local dir file repo
    put() { # put TARGET < bytes
        local tmp
        tmp=$(mktemp)
        cat >"$tmp"
        chmod 644 "$tmp"
        mv "$tmp" "fuzz/corpus/$1/$(sha1sum "$tmp" | cut -c1-40)"
    }
    rm -rf fuzz/corpus/yaml_load fuzz/corpus/sql_analyse fuzz/corpus/check_repo
    mkdir -p fuzz/corpus/yaml_load fuzz/corpus/sql_analyse fuzz/corpus/check_repo
    while IFS= read -r -d '' file; do
        put yaml_load <"$file"
    done < <(find examples tests/fixtures -type f \( -name flowc.yaml -o -name flow.yaml \) -print0)
    while IFS= read -r -d '' file; do
        put sql_analyse <"$file"
    done < <(find examples tests/fixtures -type f -name '*.sql' -size -64k -print0)
    while IFS= read -r -d '' repo; do
        dir=$(dirname "$repo")
        (
            cd "$dir"
            find . -type f -size -64k ! -name '*.snap' ! -name README.md -printf '%P\n' | LC_ALL=C sort |
                while IFS= read -r file; do
                    printf '=== %s\n' "$file"
                    cat -- "$file"
                    [[ -z $(tail -c1 -- "$file") ]] || printf '\n'
                done
        ) | put check_repo
    done < <(find examples tests/fixtures -type f -name flowc.yaml -print0)
    for name in "${TARGETS[@]}"; do
        echo "fuzz/corpus/$name: $(find "fuzz/corpus/$name" -type f | wc -l) files"
    done
}
if [[ ${1:-} == seed ]]; then
    seed
    exit 0
fi

[[ $# -ge 2 ]] || usage
target=$1
seconds=$2
shift 2
[[ $seconds =~ ^[0-9]+$ ]] || usage

# cargo-fuzz itself, pinned, installed when missing or another version.
if ! cargo +stable fuzz --version 2>/dev/null | grep -qx "cargo-fuzz $CARGO_FUZZ_VERSION"; then
    echo "==> installing cargo-fuzz $CARGO_FUZZ_VERSION"
    cargo +stable install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

sanitizer=${FUZZ_SANITIZER:-none}

run_one() {
    local name=$1 seconds=$2
    shift 2
    local work=fuzz/work/$name
    local options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
    [[ -f fuzz/dict/$name.dict ]] && options+=(-dict="fuzz/dict/$name.dict")
    [[ $name == check_repo ]] && options+=(-max_len=262144)
    mkdir -p "$work" "fuzz/regressions/$name"
    echo "==> fuzzing $name for ${seconds}s"
    # One process, one job: the first corpus folder is the one libFuzzer writes to.
    # check's SQL analysis runs on rayon; one thread keeps the run single-core.
    RAYON_NUM_THREADS=1 cargo +stable fuzz run --fuzz-dir fuzz --sanitizer "$sanitizer" "$name" \
        "$work" "fuzz/corpus/$name" "fuzz/regressions/$name" -- "${options[@]}" "$@"
}

case $target in
    smoke)
        for name in "${TARGETS[@]}"; do
            run_one "$name" "$seconds" "$@"
        done
        ;;
    *)
        [[ " ${TARGETS[*]} " == *" $target "* ]] || usage
        run_one "$target" "$seconds" "$@"
        ;;
esac
