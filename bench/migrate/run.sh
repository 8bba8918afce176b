#!/usr/bin/env bash
# Benchmark of `decant migrate` (not a timed test), on the live tomcat10 (started if needed) into
# a docker-registry on 127.0.0.1 started here:
#   job:    `decant migrate PID --image REG/...` with an empty workspace (no layer cache), whole
#           process, split by stage from its job.json, against the stage commands run by hand
#           one after the other (decant analyze, pack, verify, push, generate; the sum of their
#           whole-process times); alternately, median of N; target: ratio <= 1.0.
#   re-run: one file of a webapp changed (ROOT/index.html gets a line, then is put back as it
#           was), then a new `decant migrate` of the same application in the same workspace: its
#           pack stage against the first job's pack stage; target: ratio <= 0.10.
# Both contenders use the same trimmed JDK from the jlink cache, built once before the runs.
#   bench/migrate/run.sh [--runs N] [--write]   (--write replaces the results in docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
bench_options 3 "$@"
[ "$(id -u)" = 0 ] || { echo "needs root (reading the tomcat process, running the image)" >&2; exit 1; }
for tool in jq bc docker-registry curl python3; do command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
page=/var/lib/tomcat10/webapps/ROOT/index.html
[ -f "$page" ] || { echo "needs Debian's tomcat10 with its ROOT webapp ($page)" >&2; exit 1; }

work="$(mktemp -d /var/tmp/decant-bench-migrate.XXXXXX)"
. tests/e2e/lib/registry.sh
. tests/e2e/lib/tomcat_source.sh
cp -p "$page" "$work/index.html.orig"
restore_page() { cp -p "$work/index.html.orig" "$page"; }
trap 'restore_page; stop_started; stop_tomcat_source; rm -rf "$work"' EXIT
start_tomcat_source "$work/source.log" > "$work/source.out" || { cat "$work/source.out"; exit 1; }
port=$(free_port)
write_registry_config "$work/registry.yml" "$work/storage" "$port"
start_registry "$work/registry.yml" "$port" "$work/registry.log"
reg="127.0.0.1:$port"
export XDG_CACHE_HOME="$work/cache" TMPDIR="$work/tmp"
mkdir "$TMPDIR"

run() { "$@" > "$work/out" 2> "$work/err" || { cat "$work/err" >&2; echo "failed: $*" >&2; exit 1; }; }
stage_seconds() { jq -r --arg s "$2" '.stages[] | select(.name == $s) | .seconds // 0' "$1"; }

# The trimmed JDK (jlink and the class-data sharing dump) is built once, into the shared cache.
run "$DECANT" analyze "$SOURCE_PID" -o "$work/warm/analysis.json"
run "$DECANT" pack "$work/warm/analysis.json" -o "$work/warm/image" --tag warm/tomcat:1

declare -a t_hand t_job t_analyze t_pack t_verify t_push t_generate t_first_pack t_repack
for i in $(seq "$runs"); do
  h="$work/hand$i"
  s=$(now)
  run "$DECANT" analyze "$SOURCE_PID" -o "$h/analysis.json"
  run "$DECANT" pack "$h/analysis.json" -o "$h/image" --tag "hand/tomcat:$i"
  run "$DECANT" verify "$h/image"
  run "$DECANT" push "$h/image" "$reg/hand$i/tomcat:1" --insecure
  run "$DECANT" generate "$h/analysis.json" --image "$reg/hand$i/tomcat:1" -o "$h/deploy"
  e=$(now)
  t_hand+=("$(elapsed "$s" "$e")")

  w="$work/workspace$i"
  s=$(now)
  run "$DECANT" --workspace "$w" migrate "$SOURCE_PID" --image "$reg/job$i/tomcat:1" --insecure
  e=$(now)
  t_job+=("$(elapsed "$s" "$e")")
  job=$(ls -d "$w"/jobs/*/ | head -1)job.json
  t_analyze+=("$(stage_seconds "$job" analyze)"); t_pack+=("$(stage_seconds "$job" pack)")
  t_verify+=("$(stage_seconds "$job" verify)"); t_push+=("$(stage_seconds "$job" push)")
  t_generate+=("$(stage_seconds "$job" generate)")
  t_first_pack+=("$(stage_seconds "$job" pack)")

  # One webapp file changed: only the layer holding it is packed again.
  echo "<!-- decant bench $i -->" >> "$page"
  run "$DECANT" --workspace "$w" migrate "$SOURCE_PID" --image "$reg/job$i/tomcat:2" --insecure
  restore_page
  job2=$(ls -td "$w"/jobs/*/ | head -1)job.json
  [ "$job2" != "$job" ] || { echo "the second migrate made no new job" >&2; exit 1; }
  t_repack+=("$(stage_seconds "$job2" pack)")
  reused=$(jq -r '[.stages[] | select(.name == "pack") | .result.layers[] | select(.cached)] | length' "$job2")
  layers=$(jq -r '[.stages[] | select(.name == "pack") | .result.layers[]] | length' "$job2")
done
m_hand=$(m "${t_hand[@]}"); m_job=$(m "${t_job[@]}")
m_first=$(m "${t_first_pack[@]}"); m_repack=$(m "${t_repack[@]}")
ratio=$(printf '%.2f' "$(echo "$m_job / $m_hand" | bc -l)")
ratio2=$(printf '%.2f' "$(echo "$m_repack / $m_first" | bc -l)")
verdict() { if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo met; else echo "**missed**"; fi; }
report="$(cat <<MD
<!-- bench/migrate:begin -->
Run: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), median of $runs, load $(cut -d' ' -f1 /proc/loadavg).
Source: the live tomcat10; registry: docker-registry on 127.0.0.1; the trimmed JDK from the jlink cache for both contenders.

| contender | time (s) | ratio | target | |
|---|---|---|---|---|
| \`decant analyze\`, \`pack\`, \`verify\`, \`push\`, \`generate\` by hand (sum, whole processes) | $(f "$m_hand") | baseline | | |
| \`decant migrate\` (whole process, empty workspace) | $(f "$m_job") | $ratio | <= 1.0 | $(verdict "$ratio" 1.0) |
| of which analyze | $(f "$(m "${t_analyze[@]}")") | | | |
| of which pack | $(f "$(m "${t_pack[@]}")") | | | |
| of which verify | $(f "$(m "${t_verify[@]}")") | | | |
| of which push | $(f "$(m "${t_push[@]}")") | | | |
| of which generate | $(f "$(m "${t_generate[@]}")") | | | |
| pack stage of the first job | $(f "$m_first") | baseline | | |
| pack stage after one webapp file changed ($reused of $layers layers reused) | $(f "$m_repack") | $ratio2 | <= 0.10 | $(verdict "$ratio2" 0.10) |

Runs (s): by hand ${t_hand[*]}; migrate ${t_job[*]}; first pack ${t_first_pack[*]}; pack after the change ${t_repack[*]}.
<!-- bench/migrate:end -->
MD
)"
echo "$report"
if [ "$write" = 1 ]; then
  write_report migrate "decant migrate (bench/migrate/run.sh)" "$report"
fi
