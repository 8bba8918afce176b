#!/usr/bin/env bash
# Runs one libFuzzer target of decant-fuzz for SECONDS, seeded from the fixtures its line of
# fuzz/targets.txt names. New inputs it finds are kept in BUILD/fuzz-corpus/TARGET (reused by the
# next run); a crash leaves its input in BUILD/fuzz-artifacts/ and fails with libFuzzer's report
# (turn the input into a tests/bad_input case).
#   fuzz/run_target.sh BUILD_DIR TARGET SECONDS [SEED]
# SEED fixes libFuzzer's random seed (CTest's smoke runs use 1, so CI explores the same inputs
# every time); without it each run explores differently.
set -euo pipefail
build=$1 target=$2 seconds=$3 seed=${4:-0}
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../fixtures"
binary="$build/fuzz/decant-fuzz"
[ -x "$binary" ] || { echo "run_target: $binary is not built (configure with -DDECANT_FUZZ=ON)" >&2; exit 1; }

read -ra globs <<< "$(awk -v t="$target" '$1 == t { $1 = ""; print }' "$here/targets.txt")"
[ ${#globs[@]} -gt 0 ] || { echo "run_target: no target $target in fuzz/targets.txt" >&2; exit 1; }

seeds="$build/fuzz-seeds/$target" corpus="$build/fuzz-corpus/$target"
artifacts="$build/fuzz-artifacts"
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$artifacts"
shopt -s globstar nullglob
count=0
for glob in "${globs[@]}"; do
  for file in $fixtures/$glob; do
    [ -f "$file" ] || continue
    count=$((count + 1))
    cp "$file" "$seeds/$count"
  done
done
[ "$count" -gt 0 ] || { echo "run_target: no seed matches for $target (${globs[*]})" >&2; exit 1; }

# Inputs up to 256 KiB (the limits decant enforces are larger: reaching them is the parsers' job,
# the limits themselves are tested in tests/bad_input); 2 GiB RSS at most on a shared machine.
exec "$binary" "$target" -max_total_time="$seconds" -max_len=262144 -rss_limit_mb=2048 \
  -timeout=20 -seed="$seed" -print_final_stats=1 -artifact_prefix="$artifacts/$target-" "$corpus" "$seeds"
