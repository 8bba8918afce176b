#!/usr/bin/env bash
# "It runs": analyze the live Debian tomcat10 (with tomcat10-examples), pack it, unpack the image
# with umoci, start the image's command as the image's user, in its working directory and
# environment (secrets from secrets.json), in fresh PID/mount/UTS/network namespaces
# (scripts/run-rootfs) while the source keeps listening on the same port, and fetch the same
# URLs from both: /, a static file, a JSP page and a servlet. Same status and body, or fail.
# The heap: the source runs without -Xmx; the image's JVM, started with the image's options in a
# memory cgroup limited to what `decant generate` derives (as a pod would be), must report the
# same MaxHeapSize as the source JVM (jcmd VM.flags), where without the added -Xmx it would take
# a quarter of the limit.
# Logs: the image's init forwards Tomcat's log files to the container's output (what kubectl
# logs shows): an access-log line of a request made to the image must appear there.
# ctest: RESOURCE_LOCK=tomcat10 TIMEOUT=900 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
SRC="${DECANT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, reading the tomcat process)"; exit 77; }
for tool in umoci jq curl nsenter unshare setpriv ip; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs it)"; exit 77; }
done
[ -d /usr/share/tomcat10-examples/examples ] || { echo "SKIP: tomcat10 and tomcat10-examples are not installed"; exit 77; }
unshare --net --pid --mount --uts --fork true 2>/dev/null || { echo "SKIP: cannot create namespaces here (unshare failed)"; exit 77; }

W="$(mktemp -d /tmp/decant-e2e-runs.XXXXXX)"
. "$SRC/tests/e2e/lib/tomcat_source.sh"
RUN_PID=""
cg=""
cleanup() {
  set +e
  [ -n "$RUN_PID" ] && kill "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null
  [ -n "$cg" ] && [ -d "$cg" ] && rmdir "$cg"
  stop_tomcat_source
  if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

set +e; start_tomcat_source "$W/source.log"; rc=$?; set -e
[ $rc = 0 ] || exit $rc

echo "== analyze PID $SOURCE_PID"
t0=$(date +%s%N)
"$DECANT" analyze "$SOURCE_PID" -o "$W/analysis.json" 2> "$W/analyze.err" || { cat "$W/analyze.err"; fail "decant analyze $SOURCE_PID"; }
echo "analyzed in $((($(date +%s%N) - t0) / 1000000)) ms: $(jq -c '{files: (.files | length), volumes: (.volumes | length), ports: [.ports[].port]}' "$W/analysis.json")"

echo "== pack"
"$DECANT" pack "$W/analysis.json" -o "$W/img" --tag decant-test/tomcat:run --json > "$W/summary.json" 2> "$W/pack.err" || { cat "$W/pack.err"; fail "pack"; }
jq -c '{size, files, layers: [.layers[] | {role, size, files}]}' "$W/summary.json"
umoci unpack --image "$W/img:decant-test/tomcat:run" "$W/bundle" > /dev/null

echo "== run the image in fresh namespaces"
secrets=()
[ -f "$W/secrets.json" ] && secrets=(--secrets "$W/secrets.json")
"$SRC/scripts/run-rootfs" --pidfile "$W/app.pid" "${secrets[@]}" "$W/bundle" > "$W/image.log" 2>&1 &
RUN_PID=$!
for _ in $(seq 100); do [ -s "$W/app.pid" ] && break; sleep 0.1; done
[ -s "$W/app.pid" ] || { cat "$W/image.log"; fail "run-rootfs did not start the image"; }
port="$(jq -r '[.ports[] | select(.role=="http")][0].port // 8080' "$W/analysis.json")"
in_image() { nsenter --target "$(cat "$W/app.pid")" --net -- "$@"; }
for i in $(seq 300); do
  kill -0 "$RUN_PID" 2>/dev/null || { tail -30 "$W/image.log"; fail "the image's process exited"; }
  in_image curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/" && break
  [ "$i" = 300 ] && { tail -30 "$W/image.log"; fail "the image did not answer on $port within 300 s"; }
  sleep 1
done
echo "image answers after ${i}s"

echo "== same answers from source and image"
urls=(/ /examples/index.html /examples/jsp/jsp2/el/basic-arithmetic.jsp /examples/servlets/servlet/HelloWorldExample)
for url in "${urls[@]}"; do
  src_status="$(curl -s --max-time 120 -o "$W/src.body" -w '%{http_code}' "http://127.0.0.1:$port$url")"
  img_status="$(in_image curl -s --max-time 120 -o "$W/img.body" -w '%{http_code}' "http://127.0.0.1:$port$url")"
  echo "$url: source $src_status, image $img_status"
  [ "$src_status" = "$img_status" ] || fail "$url: status $src_status on the source, $img_status in the image"
  [ "$src_status" = 200 ] || fail "$url: the source answers $src_status (expected 200)"
  cmp -s "$W/src.body" "$W/img.body" || { diff <(head -c 2000 "$W/src.body") <(head -c 2000 "$W/img.body") | head -20; fail "$url: bodies differ"; }
done
echo "== logs in the container's output"
manifest="$W/img/blobs/sha256/$(jq -r '.manifests[0].digest' "$W/img/index.json" | cut -d: -f2)"
config="$W/img/blobs/sha256/$(jq -r '.config.digest' "$manifest" | cut -d: -f2)"
jq -e '.config.Entrypoint[0] == "/.decant/init" and (.config.Entrypoint | index("--follow")) and .config.Entrypoint[-1] == "--"' "$config" > /dev/null || fail "the image's Entrypoint is not decant-init following the logs: $(jq -c .config.Entrypoint "$config")"
# AccessLogValve buffers its lines and writes them from Tomcat's background thread (10 s).
for i in $(seq 60); do
  grep -q '^\[localhost_access_log\.[0-9-]*\.txt\] .*"GET /examples/index.html HTTP/1.1" 200' "$W/image.log" && break
  [ "$i" = 60 ] && { tail -20 "$W/image.log"; fail "no access-log line of GET /examples/index.html in the image's output within 60 s"; }
  sleep 1
done
echo "  ok: $(grep -m1 '^\[localhost_access_log.*GET /examples/index.html' "$W/image.log")"
grep -q '^\[catalina\.[0-9-]*\.log\] .*Server startup in' "$W/image.log" && echo "  ok: $(grep -m1 '^\[catalina\..*Server startup in' "$W/image.log")"

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
    exec chroot "$R" "$@"' in-image "$W/bundle/rootfs" "$@"
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

if jq -e '.runtime.textDrawing.drawsText == false' "$W/analysis.json" > /dev/null; then
  # Nothing draws text (docs/tomcat.md): the font stack is not in the image, and the pages above
  # were served without it.
  echo "== no fonts: $(jq -c .runtime.textDrawing "$W/analysis.json")"
  jh="$(jq -r '.runtime.javaHome' "$W/analysis.json")"
  for gone in "$jh/lib/libfontmanager.so" /usr/share/fonts /etc/fonts; do
    [ ! -e "$W/bundle/rootfs$gone" ] || fail "$gone is in the image although nothing draws text"
  done
  ! ls "$W/bundle/rootfs"/usr/lib/*/libfreetype.so.* > /dev/null 2>&1 || fail "libfreetype is in the image although nothing draws text"
fi
if jq -e '.runtime.jlink' "$W/analysis.json" > /dev/null; then
  # runtime.jlink: lib/modules rebuilt without the tool modules, the CDS archive regenerated.
  echo "== the trimmed Java runtime"
  jh="$(jq -r '.runtime.jlink.javaHome' "$W/analysis.json")"
  rootfs="$W/bundle/rootfs"
  # With its own /proc: the launcher finds libjli.so through $ORIGIN, which ld.so reads there.
  in_rootfs() { unshare --mount --pid --fork --root="$rootfs" --mount-proc "$@"; }
  in_rootfs "$jh/bin/java" -Xshare:on -version > "$W/xshare.out" 2>&1 \
    || { cat "$W/xshare.out"; fail "the image's JVM cannot map its class-data sharing archive (-Xshare:on)"; }
  in_rootfs "$jh/bin/java" --list-modules > "$W/modules.txt"
  grep -q '^java.base@' "$W/modules.txt" || fail "java --list-modules in the image lists no java.base"
  for module in $(jq -r '.runtime.jlink.remove[].module' "$W/analysis.json"); do
    if grep -q "^$module@" "$W/modules.txt"; then fail "$module is still in the image's lib/modules"; fi
  done
  echo "lib/modules: $(stat -c %s "$jh/lib/modules") bytes on the source, $(stat -c %s "$rootfs$jh/lib/modules") in the image; $(wc -l < "$W/modules.txt") modules; -Xshare:on works"
fi
ok=1
echo "PASS"
