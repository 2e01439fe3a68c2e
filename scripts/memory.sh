#!/usr/bin/env bash
# Peak memory of `flowc check` per byte of SQL (issue 14).
#
# Usage: scripts/memory.sh [FLOWC_BINARY]   (default: target/release/flowc, built if missing)
#
# In a scratch copy of examples/wingpay, replaces flows/users/dim_user.sql by a file
# of about 1 MB (the most flowc reads is 1 MiB) of each shape below, runs
# `flowc check` under /usr/bin/time and prints the peak resident memory, and the
# peak over the unchanged example divided by the bytes of SQL added:
#   many   – 1,800 statements (temporary views of a 15-line SELECT), then the task's own;
#   giant  – one INSERT … SELECT of 1,800 such SELECTs joined by UNION ALL;
#   dense  – one SELECT of 500,000 columns `a,a,a,…` (the worst case per byte:
#            sqlparser's select item alone is 776 bytes, and the
#            statement's syntax tree is held whole while it is parsed).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
flowc="${1:-$root/target/release/flowc}"
if [[ ! -x "$flowc" ]]; then
    cargo build --release --manifest-path "$root/Cargo.toml" >&2
fi
flowc="$(realpath "$flowc")"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
limit=1000000

block="SELECT
    u.user_id,
    u.mobile_hash,
    CASE
        WHEN u.kyc_level >= 3 THEN 'FULL'
        WHEN u.kyc_level = 2  THEN 'BASIC'
        ELSE 'NONE'
    END                                              AS kyc_tier,
    u.register_channel,
    u.city_code,
    TO_DATE(u.gmt_register)                          AS register_date,
    DATEDIFF('\${bizdate}', TO_DATE(u.gmt_register))  AS tenure_days
FROM ods.usr_user u
WHERE u.dt = '\${bizdate}'
  AND u.status <> 'DELETED' AND u.city_code IN ('0571', '010', '021')"

# Writes the SQL of shape $1 to $2.
generate() {
    local shape="$1" out="$2" original="$3"
    case "$shape" in
        many)
            awk -v block="$block" -v limit="$limit" -v original="$original" 'BEGIN {
                size = length(original) + 1000
                for (i = 0; size < limit; i++) {
                    text = "CREATE OR REPLACE TEMPORARY VIEW v_" i " AS\n" block ";\n\n"
                    printf "%s", text; size += length(text)
                }
                printf "%s", original
            }' >"$out"
            ;;
        giant)
            awk -v block="$block" -v limit="$limit" 'BEGIN {
                printf "INSERT OVERWRITE TABLE dim_user PARTITION (dt = '"'"'${bizdate}'"'"')\n"
                printf "SELECT user_id, mobile_hash, id_card_hash, kyc_level, kyc_tier, register_channel, city_code, user_status, register_date, tenure_days FROM (\n"
                printf "%s", block
                for (size = length(block) + 300; size < limit - 2000; size += length(block) + 11)
                    printf "\nUNION ALL\n%s", block
                printf "\n) x;\n"
            }' >"$out"
            ;;
        dense)
            awk -v limit="$limit" 'BEGIN {
                printf "INSERT OVERWRITE TABLE dim_user PARTITION (dt = '"'"'${bizdate}'"'"')\nSELECT a"
                for (size = 80; size < limit - 200; size += 2) printf ",a"
                printf " FROM ods.usr_user u WHERE u.dt = '"'"'${bizdate}'"'"';\n"
            }' >"$out"
            ;;
    esac
}

# Peak resident memory of `flowc check` in $1, in KB (check may exit 1: errors are fine).
peak_kb() {
    local kb
    kb="$(cd "$1" && { /usr/bin/time -f '%M' "$flowc" check . 2>&1 >/dev/null || true; } | tail -n 1)"
    [[ "$kb" =~ ^[0-9]+$ ]] || { echo "no peak memory for $1: $kb" >&2; exit 2; }
    echo "$kb"
}

cp -r "$root/examples/wingpay" "$scratch/base"
base_kb="$(peak_kb "$scratch/base")"
sql="flows/users/dim_user.sql"
original="$(cat "$scratch/base/$sql")"
printf '%-6s %10s %12s %14s\n' shape "SQL bytes" "peak (KB)" "bytes/SQL byte"
printf '%-6s %10s %12s %14s\n' base "$(wc -c <"$scratch/base/$sql")" "$base_kb" -
for shape in many giant dense; do
    cp -r "$root/examples/wingpay" "$scratch/$shape"
    generate "$shape" "$scratch/$shape/$sql" "$original"
    bytes="$(wc -c <"$scratch/$shape/$sql")"
    kb="$(peak_kb "$scratch/$shape")"
    printf '%-6s %10s %12s %14s\n' "$shape" "$bytes" "$kb" "$(( (kb - base_kb) * 1024 / bytes ))"
done
