#!/usr/bin/env bash
# Tomcat under Apache Commons Daemon, live: a tomcat10-instance-create instance started by
# Debian's jsvc as Tomcat's bin/daemon.sh does (root controller, child as user tomcat running the
# JVM, -pidfile, -outfile, -umask). inventory lists the child (not the controller) with its port;
# `decant analyze <controller>` analyzes the child; the start command is the JVM's own
# `java ... Bootstrap start` as user tomcat; the packed image, run in fresh namespaces, serves the
# same pages as the source. Only the processes this script starts are stopped, by PID.
# ctest: RESOURCE_LOCK=tomcat10 TIMEOUT=900 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
SRC="${DECANT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (jsvc switches to user tomcat; namespaces)"; exit 77; }
for tool in jq curl python3 tomcat10-instance-create umoci nsenter unshare; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs it)"; exit 77; }
done
[ -x /usr/bin/jsvc ] || { echo "SKIP: Debian's jsvc is not installed (scripts/setup installs it)"; exit 77; }
daemon_jar="$(ls /usr/share/java/commons-daemon.jar 2>/dev/null || true)"
[ -n "$daemon_jar" ] || { echo "SKIP: commons-daemon.jar (libcommons-daemon-java, a jsvc dependency) is missing"; exit 77; }
unshare --net --pid --mount --uts --fork true 2>/dev/null || { echo "SKIP: cannot create namespaces here (unshare failed)"; exit 77; }

# Not under /tmp: a container runtime mounts its own /tmp over the image's.
W="$(mktemp -d /var/tmp/decant-e2e-jsvc.XXXXXX)"
chmod 755 "$W"
. "$SRC/tests/e2e/lib/tomcat_instances.sh"
CONTROLLER=""
RUN_PID=""
cleanup() {
  set +e
  [ -n "$RUN_PID" ] && kill "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null
  if [ -n "$CONTROLLER" ] && kill "$CONTROLLER" 2>/dev/null; then
    for _ in $(seq 30); do kill -0 "$CONTROLLER" 2>/dev/null || break; sleep 1; done
    kill -9 "$CONTROLLER" 2>/dev/null
  fi
  if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi
}
trap cleanup EXIT
. "$SRC/tests/e2e/lib/checks.sh"
CHECK_SHOW='{start, runtime: .runtime.jsvc, envDropped, ports, warnings}'

p=$(free_port); s=$(free_port)
tomcat10-instance-create -p "$p" -c "$s" "$W/daemon" > /dev/null
I="$W/daemon"
mkdir -p "$I/webapps/ROOT"
echo '<%= "jsvc " + application.getServerInfo() %>' > "$I/webapps/ROOT/index.jsp"
chown -R tomcat:tomcat "$I"
java_home="$INSTANCE_JAVA_HOME"
# bin/daemon.sh's command line (Tomcat 10.1), with Debian's paths.
(cd / && exec env -i PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 /usr/bin/jsvc \
  -java-home "$java_home" -user tomcat -pidfile "$W/jsvc.pid" -wait 120 -umask 0027 \
  -outfile "$I/logs/catalina-daemon.out" -errfile '&1' \
  -classpath "/usr/share/tomcat10/bin/bootstrap.jar:$daemon_jar:/usr/share/tomcat10/bin/tomcat-juli.jar" \
  -Djava.util.logging.config.file="$I/conf/logging.properties" \
  -Djava.util.logging.manager=org.apache.juli.ClassLoaderLogManager -Djava.awt.headless=true \
  -Dcatalina.base="$I" -Dcatalina.home=/usr/share/tomcat10 -Djava.io.tmpdir="$I/temp" \
  org.apache.catalina.startup.Bootstrap) > "$W/jsvc.log" 2>&1 || { cat "$W/jsvc.log"; tail -20 "$I/logs/catalina-daemon.out"; fail "jsvc did not start Tomcat"; }
child="$(cat "$W/jsvc.pid")"
CONTROLLER="$(awk '/^PPid:/ {print $2}' "/proc/$child/status")"
[ "$(readlink "/proc/$CONTROLLER/exe")" = /usr/bin/jsvc ] || fail "PID $CONTROLLER (parent of $child) is not jsvc"
[ "$(awk '/^Uid:/ {print $2}' "/proc/$child/status")" = "$(id -u tomcat)" ] || fail "the JVM child does not run as tomcat"
grep -q libjvm.so "/proc/$child/maps" || fail "PID $child maps no libjvm.so"
for i in $(seq 120); do curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$p/" && break; sleep 1; done
curl -s --max-time 60 "http://127.0.0.1:$p/" > "$W/source.body"
grep -q '^jsvc Apache Tomcat' "$W/source.body" || { cat "$W/source.body"; fail "the jsvc Tomcat does not serve its page"; }
echo "jsvc controller PID $CONTROLLER (root), JVM PID $child (tomcat) answers on $p"

echo "== inventory"
"$DECANT" inventory --json > "$W/inventory.json"
jq -e --argjson c "$child" --argjson p "$p" '[.[] | select(.pid == $c and .applicationType == "java-tomcat" and (.ports | index($p)))] | length == 1' "$W/inventory.json" > /dev/null || { cat "$W/inventory.json"; fail "inventory does not list the jsvc child with port $p"; }
jq -e --argjson c "$CONTROLLER" '[.[] | select(.pid == $c)] | length == 0' "$W/inventory.json" > /dev/null || fail "inventory lists the controller"
echo "  ok: inventory lists PID $child (java-tomcat, port $p), not the controller"

echo "== analyze the controller"
"$DECANT" analyze "$CONTROLLER" -o "$W/out/analysis.json" 2> "$W/analyze.err" || { cat "$W/analyze.err"; fail "decant analyze $CONTROLLER"; }
grep -q "jsvc controller" "$W/analyze.err" || { cat "$W/analyze.err"; fail "analyze did not say it analyzes the child"; }
A="$W/out/analysis.json"
check "$A" ".process.pid == $child and .start.user == \"tomcat\"" "the child is analyzed; the image runs as tomcat"
check "$A" ".start.command[0] == \"$java_home/bin/java\" and .start.command[-2:] == [\"org.apache.catalina.startup.Bootstrap\", \"start\"]" "start command: java ... Bootstrap start"
check "$A" '[.start.command[] | select(. == "-user" or . == "-pidfile" or . == "-outfile" or . == "-umask" or . == "-java-home")] | length == 0' "no jsvc option in the start command"
check "$A" ".runtime.jsvc.controllerPid == $CONTROLLER and (.runtime.jsvc.droppedOptions | length) >= 6" "runtime.jsvc explains the controller and the dropped options"
check "$A" "[.ports[] | select(.port == $p and .role == \"http\" and .expose and .listening)] | length == 1" "the HTTP port"
check "$A" '[.warnings[] | select(.code == "jsvc-umask")] | length == 1' "the umask is a warning"
check "$A" '[.envDropped[] | select(.name == "LD_LIBRARY_PATH")] | length == 1' "jsvc's LD_LIBRARY_PATH is dropped"

echo "== pack and run"
"$DECANT" pack "$A" -o "$W/img" --tag decant-test/jsvc:1 > /dev/null 2> "$W/pack.err" || { cat "$W/pack.err"; fail "pack"; }
umoci unpack --image "$W/img:decant-test/jsvc:1" "$W/bundle" > /dev/null
start_image "$W/bundle" "$p"
in_image curl -s --max-time 60 "http://127.0.0.1:$p/" > "$W/image.body"
cmp -s "$W/source.body" "$W/image.body" || { diff "$W/source.body" "$W/image.body"; fail "the image's page differs"; }
[ "$(awk '/^Uid:/ {print $2}' "/proc/$(cat "$W/app.pid")/status")" = "$(id -u tomcat)" ] || fail "the image's process is not user tomcat"
echo "  ok: the image answers on $p as user tomcat with the source's page: $(cat "$W/image.body")"
ok=1
echo PASS
