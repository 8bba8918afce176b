#!/usr/bin/env bash
# Benchmark of `decant verify` on the Tomcat demo image (not a timed test):
#   unpack: decant's unpack phase (read the layout, hash every blob and diffID, extract with
#           libarchive; timed inside the same decant process, reported in --json) against
#           `umoci unpack` of the same layout (whole process), alternately, same file system;
#           target: ratio <= 1.0.
#   verify: `decant verify` of the image against the live tomcat10 (started if needed) with the
#           demo's probes, whole process from command start to verdict, split into unpack,
#           start-up (until every port listens) and probes.
# Median of N runs (default 3), page cache warm.
#   bench/verify/run.sh [--runs N] [--write]   (--write replaces the results in docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
bench_options 3 "$@"
[ "$(id -u)" = 0 ] || { echo "needs root (decant verify, reading the tomcat process)" >&2; exit 1; }
for tool in jq umoci bc; do command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }; done

work="$(mktemp -d /var/tmp/decant-bench-verify.XXXXXX)"
. tests/e2e/lib/tomcat_source.sh
trap 'stop_tomcat_source; rm -rf "$work"' EXIT
start_tomcat_source "$work/source.log" > "$work/source.out" || { cat "$work/source.out"; exit 1; }
"$DECANT" analyze "$SOURCE_PID" -o "$work/analysis.json" 2> "$work/analyze.err"
"$DECANT" pack "$work/analysis.json" -o "$work/image" --tag demo/tomcat:1.0 --json > "$work/pack.json" 2> "$work/pack.err"
export TMPDIR="$work/tmp"
mkdir "$TMPDIR"
probes=(--probe /examples/jsp/jsp2/el/basic-arithmetic.jsp --probe /examples/servlets/servlet/HelloWorldExample
        --probe /examples/servlets/servlet/SessionExample)

# Warm the page cache.
cat "$work"/image/blobs/sha256/* > /dev/null

declare -a t_umoci t_unpack t_total t_start t_probe t_wall rss
for i in $(seq "$runs"); do
  s=$(now); umoci unpack --image "$work/image:demo/tomcat:1.0" "$work/bundle" > /dev/null; e=$(now)
  t_umoci+=("$(elapsed "$s" "$e")")
  rm -rf "$work/bundle"
  s=$(now); "$DECANT" verify "$work/image" "${probes[@]}" --json > "$work/verify.json" 2> "$work/verify.err" \
    || { cat "$work/verify.err"; echo "decant verify failed" >&2; exit 1; }; e=$(now)
  t_wall+=("$(elapsed "$s" "$e")")
  t_unpack+=("$(jq -r .timings.unpackSeconds "$work/verify.json")")
  t_start+=("$(jq -r .timings.startupSeconds "$work/verify.json")")
  t_probe+=("$(jq -r .timings.probeSeconds "$work/verify.json")")
  t_total+=("$(jq -r .timings.totalSeconds "$work/verify.json")")
  rss+=("$(jq -r .peakRssBytes "$work/verify.json")")
done
m_umoci=$(m "${t_umoci[@]}"); m_unpack=$(m "${t_unpack[@]}"); m_wall=$(m "${t_wall[@]}")
m_start=$(m "${t_start[@]}"); m_probe=$(m "${t_probe[@]}"); m_rss=$(m "${rss[@]}")
ratio=$(printf '%.2f' "$(echo "$m_unpack / $m_umoci" | bc -l)")
verdict=$(if [ "$(echo "$ratio <= 1.0" | bc -l)" = 1 ]; then echo met; else echo "**missed**"; fi)
tar_mib=$(jq -r '.unpacked.tarBytes / 1048576 * 10 | round / 10' "$work/verify.json")
paths=$(jq -r '.probes | length' "$work/verify.json")
shape=$(jq -r '[.probes[] | select(.verdict == "same shape")] | length' "$work/verify.json")
report="$(cat <<MD
<!-- bench/verify:begin -->
Run: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), median of $runs, page cache warm, load $(cut -d' ' -f1 /proc/loadavg).
Image: \`decant analyze\` of the live tomcat10, \`decant pack\` at the default level: $(jq -r '.size / 1048576 * 10 | round / 10' "$work/pack.json") MiB in $(jq -r '.layers | length' "$work/pack.json") layers, $tar_mib MiB unpacked, $(jq -r .unpacked.entries "$work/verify.json") entries.

| contender | time (s) | ratio | target | |
|---|---|---|---|---|
| \`umoci unpack\` (whole process) | $(f "$m_umoci") | baseline | | |
| decant verify's unpack (every blob and diffID hashed, extracted) | $(f "$m_unpack") | $ratio | <= 1.0 | $verdict |
| \`decant verify\`, command start to verdict (whole process) | $(f "$m_wall") | | | |
| of which unpack | $(f "$m_unpack") | | | |
| of which start-up (until port 8080 listens) | $(f "$m_start") | | | |
| of which probes ($paths paths on source and image, $shape same shape) | $(f "$m_probe") | | | |

Peak memory of the image: $(printf '%.0f' "$(echo "$m_rss / 1048576" | bc -l)") MiB.
Runs (s): umoci ${t_umoci[*]}; decant unpack ${t_unpack[*]}; verify ${t_wall[*]}; start-up ${t_start[*]}; probes ${t_probe[*]}.
<!-- bench/verify:end -->
MD
)"
echo "$report"
if [ "$write" = 1 ]; then
  write_report verify "decant verify (bench/verify/run.sh)" "$report"
fi
