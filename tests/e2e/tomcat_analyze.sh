#!/usr/bin/env bash
# Live Tomcat analysis on Debian's tomcat10:
#  (a) the packaged instance (CATALINA_HOME=/usr/share/tomcat10, CATALINA_BASE=/var/lib/tomcat10,
#      conf/logs/work symlinks to /etc, /var/log, /var/cache), started as its systemd unit would;
#  (b) two more instances made with tomcat10-instance-create on free ports, started through
#      catalina.sh run as user tomcat; one server.xml takes its HTTP port from ${decant.http.port}
#      in catalina.properties and has a loopback AJP connector, and one deploys the examples
#      webapp through a context descriptor whose docBase lies outside CATALINA_BASE.
# `decant analyze` of each is checked (layout, ports with roles/listening/exposure, files,
# volumes, versions, start command), then `decant inventory` must list the three with distinct
# ids. Only the processes this script starts are stopped, by PID.
# ctest: RESOURCE_LOCK=tomcat10 TIMEOUT=900 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
SRC="${DECANT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (starting tomcat as user tomcat, reading its /proc)"; exit 77; }
for tool in jq curl setpriv python3 tomcat10-instance-create; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs tomcat10, tomcat10-user, jq)"; exit 77; }
done
[ -d /usr/share/tomcat10-examples/examples ] || { echo "SKIP: tomcat10-examples is not installed"; exit 77; }

W="$(mktemp -d /tmp/decant-e2e-tomcat.XXXXXX)"
chmod 755 "$W"
. "$SRC/tests/e2e/lib/tomcat_source.sh"
. "$SRC/tests/e2e/lib/tomcat_instances.sh"
cleanup() {
  set +e
  stop_instances
  stop_tomcat_source
  if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
check() { # check FILE JQ-EXPRESSION DESCRIPTION
  jq -e "$2" "$1" > /dev/null || { jq '{ports, volumes, warnings, runtime}' "$1" | head -80; fail "$3 ($2)"; }
  echo "  ok: $3"
}

echo "== (a) Debian's packaged instance"
set +e; start_tomcat_source "$W/source.log"; rc=$?; set -e
[ $rc = 0 ] || exit $rc
t0=$(date +%s%N)
"$DECANT" analyze "$SOURCE_PID" -o "$W/debian/analysis.json" 2> "$W/debian.err" || { cat "$W/debian.err"; fail "decant analyze $SOURCE_PID"; }
echo "analyze took $((($(date +%s%N) - t0) / 1000000)) ms"
A="$W/debian/analysis.json"
check "$A" '.applicationType == "java-tomcat"' "type java-tomcat"
check "$A" '.runtime.catalinaHome == "/usr/share/tomcat10" and .runtime.catalinaBase == "/var/lib/tomcat10"' "CATALINA_HOME/BASE of the Debian layout"
check "$A" '.runtime.version | test("^10\\.")' "Tomcat version 10.x from ServerInfo.properties"
check "$A" '.runtime.javaVersion | test("^[0-9]+")' "Java version from JAVA_HOME/release"
check "$A" '[.ports[] | select(.port == 8080 and .role == "http" and .expose and .listening)] | length == 1' "8080 http, exposed, listening"
check "$A" '[.ports[] | select(.role == "shutdown")] | length == 0' "shutdown port -1 (disabled) is no port"
check "$A" '.runtime.shutdownPort == -1' "shutdown port recorded as disabled"
check "$A" '[.files[] | select(.path == "/var/lib/tomcat10/conf")] | length == 1' "conf (the link)"
check "$A" '[.files[] | select(.path == "/etc/tomcat10")] | length == 1' "conf's target /etc/tomcat10"
check "$A" '[.files[] | select(.path == "/usr/share/tomcat10-examples/examples" and (.reason | test("examples.xml")))] | length == 1' "examples docBase from its context descriptor"
check "$A" '[.files[] | select(.path == "/usr/share/tomcat10-admin/manager")] | length == 1' "manager docBase (tomcat10-admin)"
check "$A" '[.files[] | select(.path == "/usr/share/java/eclipse-jdt-core.jar" and (.reason | test("Class-Path")))] | length == 1' "JSP compiler from jasper's Class-Path"
check "$A" '[.files[] | select(.path | endswith("/libjvm.so"))] | length == 1' "libjvm.so from maps"
check "$A" '[.volumes[] | select(.path == "/var/lib/tomcat10/logs" and .role == "log")] | length == 1' "logs volume"
check "$A" '[.volumes[] | select(.path == "/var/lib/tomcat10/work" and .role == "work")] | length == 1' "work volume"
check "$A" "[.volumes[] | select(.path == \"/var/lib/tomcat10/logs\" and .mode == \"$(stat -c %04a /var/log/tomcat10)\" and .uid == $(stat -c %u /var/log/tomcat10) and .gid == $(stat -c %g /var/log/tomcat10))] | length == 1" "logs volume has the owner and mode of /var/log/tomcat10"
check "$A" '[.runtime.lazyLibraries[] | select(.path | endswith("libawt_headless.so"))] | length == 1' "headless AWT lazy libraries"
check "$A" '[.exclude[] | select(.path | endswith("libawt_xawt.so"))] | length == 1' "X11 toolkit excluded"
check "$A" '.start.command[-2:] == ["org.apache.catalina.startup.Bootstrap", "start"] and (.start.command[0] | endswith("/bin/java"))' "start command is the JVM's argv"
check "$A" '.start.user == "tomcat" and .start.workingDir == "/var/lib/tomcat10"' "user and working directory"
check "$A" '[.files[] | select(.path == "/etc/tomcat10/tomcat-users.xml")] | length <= 1' "tomcat-users.xml at most once"

echo "== (b) two instances from tomcat10-instance-create"
p1=$(free_port); s1=$(free_port); ajp1=$(free_port); p2=$(free_port); s2=$(free_port)
# one: ${decant.http.port} from catalina.properties, a loopback AJP connector, a JDBC resource
tomcat10-instance-create -p "$p1" -c "$s1" "$W/one" > /dev/null
sed -i "s/port=\"$p1\"/port=\"\${decant.http.port}\"/" "$W/one/conf/server.xml"
sed -i "s|</Service>|<Connector protocol=\"AJP/1.3\" address=\"127.0.0.1\" port=\"$ajp1\" secretRequired=\"false\"/></Service>|" "$W/one/conf/server.xml"
echo "decant.http.port=$p1" >> "$W/one/conf/catalina.properties"
cat > "$W/one/conf/context.xml" <<EOF
<Context>
  <Resource name="jdbc/shop" auth="Container" type="javax.sql.DataSource" username="shop"
            password="s3cret-db" driverClassName="org.postgresql.Driver"
            url="jdbc:postgresql://db.example.com:5433/shop"/>
</Context>
EOF
start_instance one JAVA_OPTS="-Djava.awt.headless=true -Xmx256m" DB_PASSWORD=hunter2
pid1=${INSTANCE_PIDS[-1]}
# two: the examples webapp through a context descriptor (docBase outside CATALINA_BASE)
tomcat10-instance-create -p "$p2" -c "$s2" "$W/two" > /dev/null
mkdir -p "$W/two/conf/Catalina/localhost"
cp /etc/tomcat10/Catalina/localhost/examples.xml "$W/two/conf/Catalina/localhost/"
start_instance two JAVA_OPTS="-Djava.awt.headless=true -Xmx256m" DB_PASSWORD=hunter2
pid2=${INSTANCE_PIDS[-1]}

wait_instance one "$p1" "$pid1"
wait_instance two "$p2" "$pid2"
# catalina.sh run execs the JVM: the PID is the JVM's
tr '\0' '\n' < "/proc/$pid1/cmdline" | grep -qx org.apache.catalina.startup.Bootstrap || fail "PID $pid1 is not the JVM"

"$DECANT" analyze "$pid1" -o "$W/one-out/analysis.json" 2> "$W/one.err" || { cat "$W/one.err"; fail "analyze one"; }
A="$W/one-out/analysis.json"
check "$A" ".runtime.catalinaBase == \"$W/one\" and .runtime.catalinaHome == \"/usr/share/tomcat10\"" "HOME != BASE"
check "$A" "[.ports[] | select(.port == $p1 and .role == \"http\" and .listening and .expose and (.source | endswith(\"server.xml:$(grep -n 'decant.http.port' "$W/one/conf/server.xml" | cut -d: -f1)\")))] | length == 1" "\${decant.http.port} resolved from catalina.properties, with file:line"
check "$A" "[.ports[] | select(.port == $ajp1 and .role == \"ajp\" and (.expose | not) and .address == \"127.0.0.1\")] | length == 1" "loopback AJP port, not exposed"
check "$A" '[.warnings[] | select(.code == "ajp-connector")] | length == 1' "AJP warning"
check "$A" '[.warnings[] | select(.code == "connector-loopback")] | length == 1' "loopback warning"
check "$A" "[.ports[] | select(.port == $s1 and .role == \"shutdown\" and (.expose | not))] | length == 1" "shutdown port, never exposed"
check "$A" '.resources.heapMaxBytes == 268435456' "-Xmx256m in resources"
check "$A" '[.dependencies[] | select(.host == "db.example.com" and .port == 5433 and .kind == "database")] | length == 1' "JDBC URL as dependency"
check "$A" '[.secrets[] | select(.name | test("PASSWORD"))] | length >= 2' "context.xml password and DB_PASSWORD are secrets"
check "$A" '[.env[] | select(.name == "DB_PASSWORD" and .secret)] | length == 1' "DB_PASSWORD env is a secret"
jq -e '.. | strings | select(. == "s3cret-db" or . == "hunter2")' "$A" > /dev/null && fail "a secret value is in analysis.json"
jq -e '[.[] ] | length >= 2' "$W/one-out/secrets.json" > /dev/null || fail "secrets.json lacks the secrets"
echo "  ok: secret values only in secrets.json"
check "$A" "[.files[] | select(.path == \"$W/one/conf/context.xml\" and .secret)] | length == 1" "context.xml marked secret"

"$DECANT" analyze "$pid2" -o "$W/two-out/analysis.json" 2> "$W/two.err" || { cat "$W/two.err"; fail "analyze two"; }
A="$W/two-out/analysis.json"
check "$A" '[.files[] | select(.path == "/usr/share/tomcat10-examples/examples")] | length == 1' "examples docBase outside CATALINA_BASE"
check "$A" "[.volumes[] | select(.path == \"$W/two/logs\" and .role == \"log\")] | length == 1" "instance logs volume"

echo "== inventory"
"$DECANT" inventory --json > "$W/inventory.json"
ids="$(jq -r --argjson a "$SOURCE_PID" --argjson b "$pid1" --argjson c "$pid2" '[.[] | select(.pid == $a or .pid == $b or .pid == $c)] | map(.applicationId) | unique | length' "$W/inventory.json")"
[ "$ids" = 3 ] || { cat "$W/inventory.json"; fail "inventory: expected 3 distinct ids for the three Tomcats, got $ids"; }
[ "$(jq -r --argjson b "$pid1" '.[] | select(.pid == $b) | .applicationId' "$W/inventory.json")" = "$(jq -r .applicationId "$W/one-out/analysis.json")" ] || fail "inventory id differs from analyze's"
echo "  ok: three Tomcats, three ids, the same as analyze's"

echo "== not Tomcat"
set +e; "$DECANT" analyze $$ -o "$W/shell/analysis.json" 2> "$W/shell.err"; rc=$?; set -e
[ $rc = 4 ] || { cat "$W/shell.err"; fail "analyzing a shell exited $rc, expected 4 (unsupported)"; }
[ ! -e "$W/shell/analysis.json" ] || fail "an unsupported PID left an analysis.json"
echo "  ok: a shell is unsupported (exit 4), no output"
ok=1
echo PASS
