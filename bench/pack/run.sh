#!/usr/bin/env bash
# Benchmark of `decant pack` on the tomcat10 + JDK file set (a benchmark, not a timed test):
#   gzip: decant pack --compression 6   vs  tar -c --no-recursion -T <list> | gzip -6 | sha256sum
#   zstd: decant pack --zstd            vs  tar -c --no-recursion -T <list> | zstd -3 -T0 | sha256sum
# run alternately in the same run, whole-process wall time, median of N (default 3), page cache
# warmed first. Also: the Tomcat image (decant analyze of the live tomcat10, started if needed,
# then pack at the default compression) against a gzip -6 of JAVA_HOME + CATALINA_HOME +
# CATALINA_BASE taken whole (tar without following symlinks).
# Targets (2 cores): gzip <= 0.25x the tar|gzip time at <= 1.05x its size; zstd <= 1.0x tar|zstd;
# image <= 0.5x the whole-directory gzip.
#   bench/pack/run.sh [--runs N] [--write]     (--write replaces the results in docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
bench_options 3 "$@"
for tool in jq zstd gzip tar sha256sum; do command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
[ -d /usr/share/tomcat10 ] || { echo "needs tomcat10 installed" >&2; exit 1; }

work="$(mktemp -d /tmp/decant-bench-pack.XXXXXX)"
. tests/e2e/lib/tomcat_source.sh
trap 'stop_tomcat_source; rm -rf "$work"' EXIT
. tests/e2e/lib/tomcat_analysis.sh
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
write_tomcat_analysis "$work/analysis.json" "$java_home"
"$DECANT" pack "$work/analysis.json" --list 2>/dev/null > "$work/list"
files=$(wc -l < "$work/list")
bytes=$(tr '\n' '\0' < "$work/list" | du -cb --files0-from=- 2>/dev/null | tail -1 | cut -f1)

layout_size() { jq -r '.size' "$1"; }

tar_list() { tar -c --no-recursion -P -T "$work/list" 2>/dev/null; }
# Warm the page cache so every contender reads from memory.
tar_list > /dev/null

declare -a t_dg t_tg t_dz t_tz
for i in $(seq "$runs"); do
  s=$(now); "$DECANT" pack "$work/analysis.json" -o "$work/img-gzip" --force --compression 6 --json 2>/dev/null > "$work/gzip.json"; e=$(now); t_dg+=("$(elapsed "$s" "$e")")
  s=$(now); tar_list | gzip -6 | sha256sum > /dev/null; e=$(now); t_tg+=("$(elapsed "$s" "$e")")
  s=$(now); "$DECANT" pack "$work/analysis.json" -o "$work/img-zstd" --force --zstd --json 2>/dev/null > "$work/zstd.json"; e=$(now); t_dz+=("$(elapsed "$s" "$e")")
  s=$(now); tar_list | zstd -3 -T0 -q | sha256sum > /dev/null; e=$(now); t_tz+=("$(elapsed "$s" "$e")")
done
m_dg=$(printf '%s\n' "${t_dg[@]}" | median); m_tg=$(printf '%s\n' "${t_tg[@]}" | median)
m_dz=$(printf '%s\n' "${t_dz[@]}" | median); m_tz=$(printf '%s\n' "${t_tz[@]}" | median)
s_dg=$(layout_size "$work/gzip.json"); s_tg=$(tar_list | gzip -6 | wc -c)
s_dz=$(layout_size "$work/zstd.json"); s_tz=$(tar_list | zstd -3 -T0 -q | wc -c)
# The image: what decant makes of the live tomcat10 (decant analyze, then pack with the default
# level), so it counts every rule of the analyzer and packer (jlink trim included). The timed
# runs above use the hand-written analysis: both contenders read the same files.
if [ "$(id -u)" = 0 ] && { set +e; start_tomcat_source "$work/source.log" > "$work/source.out"; rc=$?; set -e; [ $rc = 0 ]; }; then
  "$DECANT" analyze "$SOURCE_PID" -o "$work/live.json" 2> "$work/analyze.err"
  image_analysis="$work/live.json"
  image_from="\`decant analyze\` of the live tomcat10 (PID $SOURCE_PID), then \`decant pack\` at the default \`--compression 7\`"
  stop_tomcat_source
else
  image_analysis="$work/analysis.json"
  image_from="the hand-written analysis (no live tomcat10 could be started: $(tail -1 "$work/source.out" 2>/dev/null)), default \`--compression 7\`"
fi
"$DECANT" pack "$image_analysis" -o "$work/img-default" --force --json 2> "$work/default.err" > "$work/default.json"
s_img=$(layout_size "$work/default.json")
layers_img=$(jq -r '[.layers[] | "\(.role) \(.size / 1048576 * 10 | round / 10) MiB"] | join(", ")' "$work/default.json")
s_whole=$(tar -c "$java_home" /usr/share/tomcat10 /var/lib/tomcat10 2>/dev/null | gzip -6 | wc -c)

ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
mib() { printf '%.1f MiB' "$(echo "$1 / 1048576" | bc -l)"; }
verdict() { if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo "met"; else echo "**missed**"; fi; }
r_time_g=$(ratio "$m_dg" "$m_tg"); r_size_g=$(ratio "$s_dg" "$s_tg")
r_time_z=$(ratio "$m_dz" "$m_tz"); r_img=$(ratio "$s_img" "$s_whole")
report="$(cat <<MD
<!-- bench/pack:begin -->
Run: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), median of $runs, page cache warm.
File set: tomcat10 + $(basename "$java_home") from \`decant pack --list\`: $files files, $(mib "$bytes").

| contender | time (s) | size | ratio to baseline | target | |
|---|---|---|---|---|---|
| \`tar -T list \| gzip -6 \| sha256sum\` | $(printf '%.2f' "$m_tg") | $(mib "$s_tg") | baseline | | |
| \`decant pack --compression 6\` | $(printf '%.2f' "$m_dg") | $(mib "$s_dg") | time $r_time_g, size $r_size_g | time <= 0.25, size <= 1.05 | time $(verdict "$r_time_g" 0.25), size $(verdict "$r_size_g" 1.05) |
| \`tar -T list \| zstd -3 -T0 \| sha256sum\` | $(printf '%.2f' "$m_tz") | $(mib "$s_tz") | baseline | | |
| \`decant pack --zstd\` | $(printf '%.2f' "$m_dz") | $(mib "$s_dz") | time $r_time_z | time <= 1.0 | $(verdict "$r_time_z" 1.0) |
| gzip -6 of JAVA_HOME + CATALINA_HOME + CATALINA_BASE whole | | $(mib "$s_whole") | baseline | | |
| Tomcat image (below) | | $(mib "$s_img") | size $r_img | <= 0.5 | $(verdict "$r_img" 0.5) |

Tomcat image: $image_from. Layers: $layers_img.

Runs (s): decant gzip ${t_dg[*]}; tar\|gzip ${t_tg[*]}; decant zstd ${t_dz[*]}; tar\|zstd ${t_tz[*]}.
<!-- bench/pack:end -->
MD
)"
echo "$report"
if [ "$write" = 1 ]; then
  write_report pack "decant pack (bench/pack/run.sh)" "$report"
fi
