#!/usr/bin/env bash
# `decant verify` on the live Debian tomcat10 with its examples: analyze, pack, then verify runs
# the image in its sandbox while the source keeps listening on the same port and compares /,
# every context, a JSP compiled at run time, a servlet, a JSP printing the date and one printing
# the session id (same shape). Then what must fail, each with exit 10 and its cause named, from
# images repacked from an edited analysis.json: the JSP compiler's jar removed (the JSP answers
# 500), a start command that exits at once (its last output lines shown), and a layer blob with
# one byte flipped (named). Bad input: not a layout, a tag not in it, a PID that is not the
# application, a secrets file the image needs but is missing, no root. Then Ctrl-C, SIGTERM and
# kill -9 of decant while the image starts. After every run nothing of the sandbox is left: no
# process, no mount, no temporary tree.
# Logs: the image's init forwards Tomcat's log files to the container's output (what kubectl
# logs shows): the kept output of the verified image holds access-log lines of its probes.
# The heap: the source runs without -Xmx; the image's JVM, started with the image's options in a
# memory cgroup limited to what `decant generate` derives (as a pod would be), must report the
# same MaxHeapSize as the source JVM (jcmd VM.flags), where without the added -Xmx it would take
# a quarter of the limit.
# ctest: RESOURCE_LOCK=tomcat10 TIMEOUT=1200 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
SRC="${DECANT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, reading the tomcat process)"; exit 77; }
for tool in jq curl setpriv; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs it)"; exit 77; }
done
[ -d /usr/share/tomcat10-examples/examples ] || { echo "SKIP: tomcat10 and tomcat10-examples are not installed"; exit 77; }
unshare --net --pid --mount --uts --ipc --fork true 2>/dev/null || { echo "SKIP: cannot create namespaces here (unshare failed)"; exit 77; }

W="$(mktemp -d /var/tmp/decant-e2e-verify.XXXXXX)"
export TMPDIR="$W/tmp"
mkdir "$TMPDIR"
. "$SRC/tests/e2e/lib/tomcat_source.sh"
. "$SRC/tests/e2e/lib/verify_checks.sh"
cg=""
cleanup() {
  set +e
  [ -n "$cg" ] && [ -d "$cg" ] && rmdir "$cg"
  stop_tomcat_source
  if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
# expect CODE FILE-PREFIX ARGS...: decant exits with CODE; its output in FILE-PREFIX.out/.err.
expect() {
  local code=$1 out=$2 rc=0
  shift 2
  "$DECANT" "$@" > "$out.out" 2> "$out.err" || rc=$?
  [ "$rc" = "$code" ] || { cat "$out.out" "$out.err"; fail "decant $*: exit $rc, expected $code"; }
}
left_nothing() {
  verify_left_nothing "$TMPDIR" "$W/" || exit 1
  [ -z "$(other_netns_pids 'catalina.base=/var/lib/tomcat10')" ] || fail "an image's Tomcat still runs: $(other_netns_pids 'catalina.base=/var/lib/tomcat10')"
}

set +e; start_tomcat_source "$W/source.log"; rc=$?; set -e
[ $rc = 0 ] || exit $rc

echo "== analyze PID $SOURCE_PID and pack"
"$DECANT" analyze "$SOURCE_PID" -o "$W/analysis.json" 2> "$W/analyze.err" || { cat "$W/analyze.err"; fail "decant analyze $SOURCE_PID"; }
"$DECANT" pack "$W/analysis.json" -o "$W/img" --tag decant-test/tomcat:run > /dev/null 2> "$W/pack.err" || { cat "$W/pack.err"; fail "pack"; }

echo "== decant verify: the image answers like the source"
jsp=/examples/jsp/jsp2/el/basic-arithmetic.jsp
servlet=/examples/servlets/servlet/HelloWorldExample
date_jsp=/examples/jsp/dates/date.jsp
session=/examples/servlets/servlet/SessionExample
expect 0 "$W/verify" verify "$W/img:decant-test/tomcat:run" --probe "$jsp" --probe "$servlet" \
  --probe "$date_jsp" --probe "$session" --keep
cat "$W/verify.out"
for path in / /examples/ "$jsp" "$servlet" "$date_jsp" "$session"; do
  grep -qE "^8080 +$path +200 +200  same" "$W/verify.out" || fail "the table has no passing row for $path"
done
grep -qE "^8080 +$session +200 +200  same shape" "$W/verify.out" || fail "$session (session id, creation time) is not listed as same shape"
grep -qE "^ +id at image bytes [0-9]+-[0-9]+" "$W/verify.out" || fail "the session id's byte range is not shown"
grep -q "^start-up .*peak memory" "$W/verify.out" || fail "no start-up time and peak memory"
# The verdict is recorded for generate's probes.
jq -e --arg jsp "$jsp" '.extensions.verify.lastRun.result == "passed" and (.extensions.verify.answered | index($jsp))
    and .extensions.verify.httpPath == "/"' "$W/analysis.json" > /dev/null \
  || fail "extensions.verify not recorded: $(jq -c .extensions.verify "$W/analysis.json")"
# --keep: the unpacked image stays for inspection; the sandbox itself is gone.
kept="$(sed -n 's/^kept: \([^ ]*\) .*/\1/p' "$W/verify.out")"
[ -d "$kept/rootfs/usr/share/tomcat10" ] || fail "--keep did not keep the unpacked image ($kept)"
grep -q "Server startup in" "$kept/output.log" || fail "the image's output log was not kept"
echo "== logs in the container's output"
manifest="$W/img/blobs/sha256/$(jq -r '.manifests[0].digest' "$W/img/index.json" | cut -d: -f2)"
config="$W/img/blobs/sha256/$(jq -r '.config.digest' "$manifest" | cut -d: -f2)"
jq -e '.config.Entrypoint[0] == "/.decant/init" and (.config.Entrypoint | index("--follow")) and .config.Entrypoint[-1] == "--"' "$config" > /dev/null || fail "the image's Entrypoint is not decant-init following the logs: $(jq -c .config.Entrypoint "$config")"
# AccessLogValve buffers its lines; Tomcat writes them out when verify stops it, and the init
# forwards what the files hold before it exits.
grep -q '^\[localhost_access_log\.[0-9-]*\.txt\] .*"GET /examples/ HTTP/1.1" 200' "$kept/output.log" || { tail -20 "$kept/output.log"; fail "no access-log line of GET /examples/ in the image's output"; }
echo "  ok: $(grep -m1 '^\[localhost_access_log.*GET /examples/ ' "$kept/output.log")"
grep -q '^\[catalina\.[0-9-]*\.log\] .*Server startup in' "$kept/output.log" || fail "catalina's log is not in the image's output"
echo "  ok: $(grep -m1 '^\[catalina\..*Server startup in' "$kept/output.log")"

echo "== the heap the source had"
jh="$(jq -r '.runtime.javaHome' "$W/analysis.json")"
src_heap="$(setpriv --reuid tomcat --regid tomcat --init-groups jcmd "$SOURCE_PID" VM.flags -all 2>/dev/null | awk '$2 == "MaxHeapSize" {print $4}')"
if [ -z "$src_heap" ]; then
  # jcmd could not attach: the same JVM options on the same host give the same ergonomics.
  mapfile -t src_opts < <(tr '\0' '\n' < "/proc/$SOURCE_PID/cmdline" | sed -n '2,$p' | sed '/^org.apache.catalina.startup.Bootstrap$/,$d')
  src_heap="$("$jh/bin/java" "${src_opts[@]}" -XX:+PrintFlagsFinal -version 2>/dev/null | awk '$2 == "MaxHeapSize" {print $4}')"
fi
[ -n "$src_heap" ] || fail "cannot learn the source JVM's MaxHeapSize"
jq -e ".resources.heapMaxBytes == $src_heap" "$W/analysis.json" > /dev/null || fail "resources.heapMaxBytes $(jq .resources.heapMaxBytes "$W/analysis.json") is not the source's MaxHeapSize $src_heap ($(jq -c .runtime.heap "$W/analysis.json"))"
option="$(jq -r '.runtime.heap.imageOption // empty' "$W/analysis.json")"
limit="$(jq -r '.runtime.heap.memoryLimitBytes' "$W/analysis.json")"
echo "source MaxHeapSize $src_heap ($(jq -r .runtime.heap.source "$W/analysis.json")); image option ${option:-none}; pod memory limit $limit"
mapfile -t img_opts < <(jq -r '.start.command[1:][]' "$W/analysis.json" | sed '/^org.apache.catalina.startup.Bootstrap$/,$d' | grep -v '^-D')
# A memory cgroup limited like the pod (cgroup v1 memory controller, or v2 with memory enabled);
# where none can be made, -XX:MaxRAM tells the JVM the same limit.
own="$(awk -F: '$2 == "memory" {print $3}' /proc/self/cgroup)"
if [ -n "$own" ] && mkdir "/sys/fs/cgroup/memory$own/decant-heap-$$" 2>/dev/null; then
  cg="/sys/fs/cgroup/memory$own/decant-heap-$$"
  echo "$limit" > "$cg/memory.limit_in_bytes"
elif own="$(awk -F: '$1 == "0" {print $3}' /proc/self/cgroup)" && [ -n "$own" ] && mkdir "/sys/fs/cgroup${own%/}/decant-heap-$$" 2>/dev/null; then
  cg="/sys/fs/cgroup${own%/}/decant-heap-$$"
  echo "$limit" > "$cg/memory.max" 2>/dev/null || { rmdir "$cg"; cg=""; }
fi
# The image's own java, chrooted into its root file system with proc and the cgroup file
# systems mounted, as a container runtime does: the JVM finds its limit through them.
in_image_root() {
  unshare --mount --pid --fork -- bash -c 'set -e; R="$1"; shift
    mount --make-rprivate /
    mkdir -p "$R/proc" "$R/sys/fs/cgroup"
    mount -t proc proc "$R/proc"
    mount --rbind /sys/fs/cgroup "$R/sys/fs/cgroup"
    exec chroot "$R" "$@"' in-image "$kept/rootfs" "$@"
}
in_limit() { # runs the image's java in the memory limit
  if [ -n "$cg" ]; then
    (echo "$BASHPID" > "$cg/cgroup.procs" && in_image_root "$@")
  else
    in_image_root "$@" -XX:MaxRAM="$limit"
  fi
}
img_heap="$(in_limit "$jh/bin/java" "${img_opts[@]}" -XX:+PrintFlagsFinal -version 2>/dev/null | awk '$2 == "MaxHeapSize" {print $4}')"
bare_heap="$(in_limit "$jh/bin/java" -XX:+PrintFlagsFinal -version 2>/dev/null | awk '$2 == "MaxHeapSize" {print $4}')"
echo "in a ${limit}-byte limit ($([ -n "$cg" ] && echo "memory cgroup" || echo "-XX:MaxRAM")): the image's JVM MaxHeapSize $img_heap; without the image's options $bare_heap"
[ "$img_heap" = "$src_heap" ] || fail "the image's JVM has MaxHeapSize $img_heap, the source $src_heap"
# The limit is seen: without the image's options the JVM would take a quarter of it.
[ "$bare_heap" -lt "$src_heap" ] || fail "the image's JVM did not see the ${limit}-byte limit (MaxHeapSize $bare_heap without options)"

rm -rf "$kept"
left_nothing

if jq -e '.runtime.textDrawing.drawsText == false' "$W/analysis.json" > /dev/null; then
  # Nothing draws text (docs/tomcat.md): the font stack is not in the image, and the pages above
  # were served without it.
  echo "== no fonts in the image: $(jq -c .runtime.textDrawing "$W/analysis.json")"
  jh="$(jq -r '.runtime.javaHome' "$W/analysis.json")"
  for gone in "$jh/lib/libfontmanager.so" /usr/share/fonts /etc/fonts; do
    [ ! -e "$kept/rootfs$gone" ] || fail "$gone is in the image although nothing draws text"
  done
fi

echo "== the JSP compiler's jar left out: the run-time compiled JSP answers 500, exit 10"
jq '.files |= map(select(.path | endswith("eclipse-jdt-core.jar") | not))
    | .exclude += [{"path": "/usr/share/java/eclipse-jdt-core.jar", "reason": "test: the JSP compiler removed"}]' \
  "$W/analysis.json" > "$W/nojdt.json"
"$DECANT" pack "$W/nojdt.json" -o "$W/img-nojdt" --tag t:nojdt > /dev/null 2> "$W/pack2.err" || { cat "$W/pack2.err"; fail "pack without the jar"; }
expect 10 "$W/nojdt" verify "$W/img-nojdt" --analysis "$W/nojdt.json" --probe "$jsp" --json
jq -e --arg jsp "$jsp" '.result == "failed" and (.probes[] | select(.path == $jsp)
    | .verdict == "different" and .image.status == 500 and .source.status == 200)' "$W/nojdt.out" > /dev/null \
  || fail "the JSP without its compiler: $(jq -c --arg jsp "$jsp" '.probes[] | select(.path == $jsp)' "$W/nojdt.out")"
grep -q "$jsp: status 500 (the source answers 200)" "$W/nojdt.err" || fail "the error does not name the failing page: $(cat "$W/nojdt.err")"
jq -e '.extensions.verify.lastRun.result == "failed"' "$W/nojdt.json" > /dev/null || fail "the failed verdict was not recorded"
left_nothing

echo "== a start command that exits at once: exit 10 with its last output lines"
jq '.start.command |= map(if . == "org.apache.catalina.startup.Bootstrap" then "org.apache.catalina.startup.NoSuchMain" else . end)' \
  "$W/analysis.json" > "$W/exits.json"
"$DECANT" pack "$W/exits.json" -o "$W/img-exits" --tag t:exits > /dev/null 2> "$W/pack3.err" || { cat "$W/pack3.err"; fail "pack with the wrong main class"; }
expect 10 "$W/exits" verify "$W/img-exits" --analysis "$W/exits.json" --timeout 120
grep -q "exited with status 1" "$W/exits.err" || fail "the exit is not named: $(cat "$W/exits.err")"
grep -q "  | Error: Could not find or load main class org.apache.catalina.startup.NoSuchMain" "$W/exits.out" \
  || fail "the image's last output is not shown: $(cat "$W/exits.out")"
left_nothing

echo "== a layer blob with one byte flipped: exit 10 naming it, before anything runs"
mkdir "$W/flip"
cp -al "$W/img" "$W/flip/img"
manifest="$(jq -r '.manifests[0].digest | sub("sha256:"; "")' "$W/img/index.json")"
layer="$(jq -r '.layers[2].digest | sub("sha256:"; "")' "$W/img/blobs/sha256/$manifest")"
blob="$W/flip/img/blobs/sha256/$layer"
rm "$blob"; cp "$W/img/blobs/sha256/$layer" "$blob"
printf '\xff' | dd of="$blob" bs=1 seek=$(( $(stat -c %s "$blob") / 2 )) conv=notrunc 2> /dev/null
expect 10 "$W/flip" verify "$W/flip/img" --analysis "$W/analysis.json"
grep -q "blob sha256:$layer is corrupt" "$W/flip.err" || fail "the corrupt blob is not named: $(cat "$W/flip.err")"
grep -q "^hint: " "$W/flip.err" || fail "no hint"
! grep -q "^starting " "$W/flip.err" || fail "the image was started from a corrupt layout"
left_nothing

echo "== bad input"
expect 3 "$W/notoci" verify "$W"
grep -q "is not an OCI image layout" "$W/notoci.err" || fail "not-a-layout message: $(cat "$W/notoci.err")"
expect 3 "$W/notag" verify "$W/img:no/such:tag"
grep -q 'has no image named "no/such:tag"' "$W/notag.err" || fail "missing tag message: $(cat "$W/notag.err")"
grep -q "decant-test/tomcat:run" "$W/notag.err" || fail "the names in the layout are not listed"
expect 6 "$W/notapp" verify "$W/img" --against "$$"
grep -q "is not the analyzed application" "$W/notapp.err" || fail "wrong PID message: $(cat "$W/notapp.err")"
mkdir "$W/secret"
jq '.env += [{"name": "DB_PASSWORD", "secret": true, "secretRef": "ENV_DB_PASSWORD"}]
    | .secrets += [{"name": "ENV_DB_PASSWORD", "source": "env"}]' "$W/analysis.json" > "$W/secret/analysis.json"
expect 3 "$W/nosecrets" verify "$W/img" --analysis "$W/secret/analysis.json"
grep -q "ENV_DB_PASSWORD.*$W/secret/secrets.json" "$W/nosecrets.err" || fail "the missing secrets file is not named: $(cat "$W/nosecrets.err")"
chmod o+rx "$W"
rc=0; setpriv --reuid nobody --regid nogroup --clear-groups "$DECANT" verify "$W/img" --analysis "$W/analysis.json" --against none > /dev/null 2> "$W/noroot.err" || rc=$?
[ "$rc" = 5 ] || { cat "$W/noroot.err"; fail "not root: exit $rc, expected 5"; }
grep -q "needs root" "$W/noroot.err" || fail "not-root message: $(cat "$W/noroot.err")"
left_nothing

echo "== Ctrl-C, SIGTERM and kill -9 while the image starts: nothing of the sandbox is left"
# wait_for_image_tomcat PID: until the image's Tomcat runs in the sandbox (another network
# namespace), or decant PID exits.
wait_for_image_tomcat() {
  local i
  for i in $(seq 600); do
    [ -n "$(other_netns_pids 'catalina.base=/var/lib/tomcat10')" ] && return 0
    kill -0 "$1" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}
for sig in INT TERM; do
  "$DECANT" verify "$W/img" --analysis "$W/analysis.json" > "$W/sig$sig.out" 2> "$W/sig$sig.err" &
  pid=$!
  wait_for_image_tomcat "$pid" || { cat "$W/sig$sig.err"; fail "the image never started under verify"; }
  kill -"$sig" "$pid"
  rc=0; wait "$pid" || rc=$?
  [ "$rc" = 11 ] || { cat "$W/sig$sig.err"; fail "verify after SIG$sig: exit $rc, expected 11 (aborted)"; }
  left_nothing
done
"$DECANT" verify "$W/img" --analysis "$W/analysis.json" > "$W/sigkill.out" 2> "$W/sigkill.err" &
pid=$!
wait_for_image_tomcat "$pid" || { cat "$W/sigkill.err"; fail "the image never started under verify"; }
kill -KILL "$pid"
wait "$pid" 2>/dev/null || true
# The sandbox's PID 1 dies with decant, and the kernel then ends every process of its PID
# namespace; its mounts go with its mount namespace. Only the unpacked tree can stay behind.
for _ in $(seq 100); do [ -z "$(other_netns_pids 'catalina.base=/var/lib/tomcat10')" ] && break; sleep 0.1; done
[ -z "$(other_netns_pids 'catalina.base=/var/lib/tomcat10')" ] || fail "the image's Tomcat outlived decant killed with SIGKILL"
! grep -qF -- "$TMPDIR" /proc/self/mountinfo || fail "a mount of the sandbox outlived decant killed with SIGKILL"
# The next verify removes what the killed one left.
expect 0 "$W/afterkill" verify "$W/img" --analysis "$W/analysis.json" --against none
left_nothing

ok=1
echo "PASS"
