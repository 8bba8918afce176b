#!/usr/bin/env bash
# Benchmark of the JVM start-up a packed Tomcat image gets from its regenerated class-data
# sharing archive (not a timed test): whole-process wall time of
#   java -version                                       (the JVM alone)
#   java -cp catalina.jar org.apache.catalina.util.ServerInfo   (JDK classes a server loads)
# for the source JDK with its own archive (the baseline), the runtime decant trims with jlink
# and its reproducible archive (serialized dump, what every image gets), the same runtime with
# an archive dumped the plain way (`java -Xshare:dump`, what decant did before), and the same
# runtime without an archive (-Xshare:off: what an image would pay with no archive at all).
# Run alternately, median of N (default 11), page cache warm.
# Target: the reproducible archive starts within 1.05x of the source JDK's own.
#   bench/cds/run.sh [--runs N] [--write]     (--write replaces the results in docs/benchmarks.md)
set -euo pipefail
cd "$(dirname "$0")/../.."
. bench/lib.sh
bench_options 11 "$@"
[ "$(id -u)" = 0 ] || { echo "needs root (the serialized CDS dump)" >&2; exit 1; }
for tool in jq bc; do command -v "$tool" >/dev/null || { echo "needs $tool" >&2; exit 1; }; done
catalina=/usr/share/tomcat10/lib/catalina.jar
[ -f "$catalina" ] || { echo "needs tomcat10 installed" >&2; exit 1; }
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
[ -f "$java_home/jmods/java.base.jmod" ] || { echo "needs a JDK with jmods at $java_home" >&2; exit 1; }

work="$(mktemp -d /tmp/decant-bench-cds.XXXXXX)"
trap 'rm -rf "$work"' EXIT
# The trimmed runtime: what `decant pack` builds for a Tomcat analysis (its jlink plan is the one
# the Tomcat analyzer writes for this JDK), in a cache of its own.
. tests/e2e/lib/tomcat_analysis.sh
write_tomcat_analysis "$work/analysis.json" "$java_home"
modules=$(grep '^MODULES=' "$java_home/release" | sed 's/^MODULES="//; s/"$//')
jq --arg jh "$java_home" --arg modules "$modules" '.runtime.jlink = {javaHome: $jh, remove: [
    $modules | split(" ")[] | select(test("^jdk\\.(compiler|javadoc|jshell|editpad|internal\\.(ed|le|opt|vm\\.)|jdeps|jlink|jpackage|jartool|jconsole|jdi|jdwp\\.agent|jstatd|hotspot\\.agent|incubator\\.)"))
    | {module: ., reason: "bench"}]}' "$work/analysis.json" > "$work/trim.json"
DECANT_CACHE_DIR="$work/cache" "$DECANT" pack "$work/trim.json" -o "$work/img" --json 2> "$work/pack.err" > /dev/null \
  || { cat "$work/pack.err"; exit 1; }
grep -q cds-not-reproducible "$work/pack.err" && { cat "$work/pack.err"; echo "the dump did not run serialized" >&2; exit 1; }
rt=$(ls -d "$work"/cache/jlink/*/rt)
cp -a "$rt" "$work/plain"
rm -f "$work/plain/lib/server/classes.jsa"
env -i PATH=/usr/bin:/bin "$work/plain/bin/java" -Xshare:dump > /dev/null 2>&1

now() { date +%s%N; }
# time_ms JAVA [ARGS...]: one whole-process start, in ms.
time_ms() { local s e; s=$(now); env -i PATH=/usr/bin:/bin "$@" > /dev/null 2>&1; e=$(now); echo $(((e - s) / 1000000)); }

declare -A t
contenders=(source trimmed plain off)
run_java() { # run_java CONTENDER ARGS...
  local who="$1"; shift
  case "$who" in
    source) time_ms "$java_home/bin/java" -Xshare:on "$@" ;;
    trimmed) time_ms "$rt/bin/java" -Xshare:on "$@" ;;
    plain) time_ms "$work/plain/bin/java" -Xshare:on "$@" ;;
    off) time_ms "$rt/bin/java" -Xshare:off "$@" ;;
  esac
}
for program in version serverinfo; do
  for who in "${contenders[@]}"; do run_java "$who" -version > /dev/null; done # warm
  for i in $(seq "$runs"); do
    for who in "${contenders[@]}"; do
      if [ "$program" = version ]; then
        t[$program.$who]+="$(run_java "$who" -version) "
      else
        t[$program.$who]+="$(run_java "$who" -cp "$catalina" org.apache.catalina.util.ServerInfo) "
      fi
    done
  done
done
med() { echo "${t[$1]}" | tr ' ' '\n' | grep . | median; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
verdict() { if [ "$(echo "$1 <= $2" | bc -l)" = 1 ]; then echo "met"; else echo "**missed**"; fi; }
row() { # row LABEL CONTENDER
  local v s r1 r2
  v=$(med "version.$2"); s=$(med "serverinfo.$2")
  r1=$(ratio "$v" "$(med version.source)"); r2=$(ratio "$s" "$(med serverinfo.source)")
  echo "| $1 | $v | $s | $r1 / $r2 |"
}
r_trim=$(ratio "$(med serverinfo.trimmed)" "$(med serverinfo.source)")
report="$(cat <<MD
<!-- bench/cds:begin -->
Run: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg), median of $runs, alternating.
JDK: $(basename "$java_home") ($(grep '^JAVA_VERSION=' "$java_home/release" | cut -d'"' -f2)); trimmed runtime: $(echo "$modules" | wc -w) modules less $(grep -o '"module"' "$work/trim.json" | wc -l).

| runtime and archive | \`java -version\` (ms) | ServerInfo (ms) | ratio to the source JDK |
|---|---|---|---|
$(row "source JDK, its own classes.jsa (baseline)" source)
$(row "trimmed, decant's reproducible archive" trimmed)
$(row "trimmed, plain \`java -Xshare:dump\`" plain)
$(row "trimmed, no archive (\`-Xshare:off\`)" off)

Target: the reproducible archive within 1.05x of the source JDK's own (ServerInfo): $r_trim, $(verdict "$r_trim" 1.05).
<!-- bench/cds:end -->
MD
)"
echo "$report"
if [ "$write" = 1 ]; then
  write_report cds "JVM start-up with the regenerated CDS archive (bench/cds/run.sh)" "$report"
fi
