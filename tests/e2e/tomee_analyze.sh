#!/usr/bin/env bash
# Live TomEE recognition on a real Tomcat JVM: Debian has no TomEE package, so the test makes a
# Debian tomcat10 instance (tomcat10-instance-create, free ports) into what decant sees of a
# TomEE Plus 9.1.3 installation: lib/tomee-catalina-9.1.3.jar and openejb-core-9.1.3.jar (real
# jars with a manifest and openejb-version.properties, no classes: Tomcat's common loader loads
# them harmlessly), activemq-broker and cxf-rt-frontend-jaxws jars, conf/tomee.xml with a
# DataSource (password, external PostgreSQL host), an ActiveMQ ServerUrl and
# <Deployments dir="apps"/>, and conf/system.properties. OpenEJB itself does not run: what is
# checked is decant's reading of a live process (cmdline, environment, maps, sockets through
# /proc) and of those files. A second instance without the markers must stay java-tomcat.
# Only the processes this script starts are stopped, by PID.
# ctest: RESOURCE_LOCK=tomcat10 TIMEOUT=900 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
SRC="${DECANT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (starting tomcat as user tomcat, reading its /proc)"; exit 77; }
for tool in jq curl setpriv python3 tomcat10-instance-create; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs tomcat10, tomcat10-user, jq)"; exit 77; }
done
id tomcat >/dev/null 2>&1 || { echo "SKIP: no user tomcat (the tomcat10 package creates it)"; exit 77; }

W="$(mktemp -d /tmp/decant-e2e-tomee.XXXXXX)"
chmod 755 "$W"
. "$SRC/tests/e2e/lib/tomcat_instances.sh"
cleanup() {
  set +e
  stop_instances
  if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
check() { # check FILE JQ-EXPRESSION DESCRIPTION
  jq -e "$2" "$1" > /dev/null || { jq '{applicationType, runtime, dependencies, warnings}' "$1" | head -80; fail "$3 ($2)"; }
  echo "  ok: $3"
}
make_jar() { # make_jar PATH VERSION [ENTRY CONTENT]
  python3 - "$@" <<'EOF'
import sys, zipfile
path, version = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("META-INF/MANIFEST.MF",
               "Manifest-Version: 1.0\r\nImplementation-Version: %s\r\n\r\n" % version)
    if len(sys.argv) > 4:
        z.writestr(sys.argv[3], sys.argv[4])
EOF
}

p1=$(free_port); s1=$(free_port); p2=$(free_port); s2=$(free_port)
tomcat10-instance-create -p "$p1" -c "$s1" "$W/tomee" > /dev/null
T="$W/tomee"
mkdir -p "$T/lib"
make_jar "$T/lib/tomee-catalina-9.1.3.jar" 9.1.3
make_jar "$T/lib/openejb-core-9.1.3.jar" 9.1.3 openejb-version.properties $'version=9.1.3\n'
make_jar "$T/lib/activemq-broker-5.18.3.jar" 5.18.3
make_jar "$T/lib/cxf-rt-frontend-jaxws-3.5.5.jar" 3.5.5
mkdir -p "$T/apps"
make_jar "$T/apps/billing.ear" 1.0
cat > "$T/conf/tomee.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<tomee>
  <Deployments dir="apps" />
  <Resource id="jdbc/shop" type="DataSource">
    JdbcDriver org.postgresql.Driver
    JdbcUrl jdbc:postgresql://${shop.db.host}:5433/shop
    UserName shop
    Password tomee-e2e-s3cret
  </Resource>
  <Resource id="MyJmsResourceAdapter" type="ActiveMQResourceAdapter">
    ServerUrl = tcp://mq.example.com:61616
  </Resource>
</tomee>
EOF
printf 'tomee.serialization.class.blacklist = *\n' > "$T/conf/system.properties"
start_instance tomee JAVA_OPTS="-Djava.awt.headless=true -Xmx256m -Dshop.db.host=pg.example.com"
pid1=${INSTANCE_PIDS[-1]}
tomcat10-instance-create -p "$p2" -c "$s2" "$W/plain" > /dev/null
start_instance plain JAVA_OPTS="-Djava.awt.headless=true -Xmx256m -Dshop.db.host=pg.example.com"
pid2=${INSTANCE_PIDS[-1]}

wait_instance tomee "$p1" "$pid1"
wait_instance plain "$p2" "$pid2"

t0=$(date +%s%N)
"$DECANT" analyze "$pid1" -o "$W/tomee-out/analysis.json" 2> "$W/tomee.err" || { cat "$W/tomee.err"; fail "decant analyze $pid1"; }
echo "analyze took $((($(date +%s%N) - t0) / 1000000)) ms"
A="$W/tomee-out/analysis.json"
check "$A" '.applicationType == "java-tomee" and (.applicationId | startswith("java-tomee-"))' "TomEE wins over Tomcat"
check "$A" '.runtime.name == "Apache TomEE" and .runtime.version == "9.1.3" and .runtime.flavor == "plus"' "TomEE 9.1.3 plus"
check "$A" '.runtime.tomcatVersion | test("^10\\.")' "the Tomcat underneath (10.x) in runtime.tomcatVersion"
check "$A" "[.ports[] | select(.port == $p1 and .role == \"http\" and .listening and .expose)] | length == 1" "HTTP port from server.xml, listening (Tomcat analyzer)"
check "$A" '[.dependencies[] | select(.host == "pg.example.com" and .port == 5433 and .kind == "database")] | length == 1' "JdbcUrl with \${shop.db.host} from -D as dependency"
check "$A" '[.dependencies[] | select(.host == "mq.example.com" and .port == 61616 and .kind == "service")] | length == 1' "ActiveMQ ServerUrl as dependency"
check "$A" "[.files[] | select(.path == \"$T/conf/tomee.xml\" and .secret)] | length == 1" "tomee.xml included, marked secret"
check "$A" "[.files[] | select(.path == \"$T/conf/system.properties\")] | length == 1" "system.properties included"
check "$A" "[.files[] | select(.path == \"$T/apps\" and (.reason | test(\"Deployments\")))] | length == 1" "apps/ Deployments included"
check "$A" '[.secrets[] | select(.name == "TOMEE_JDBC_SHOP_PASSWORD")] | length == 1' "DataSource password named in secrets"
jq -e '.. | strings | select(. == "tomee-e2e-s3cret")' "$A" > /dev/null && fail "the DataSource password is in analysis.json"
jq -e '.TOMEE_JDBC_SHOP_PASSWORD == "tomee-e2e-s3cret"' "$W/tomee-out/secrets.json" > /dev/null || fail "secrets.json lacks the DataSource password"
echo "  ok: the password only in secrets.json"

"$DECANT" analyze "$pid2" -o "$W/plain-out/analysis.json" 2> "$W/plain.err" || { cat "$W/plain.err"; fail "decant analyze $pid2"; }
check "$W/plain-out/analysis.json" '.applicationType == "java-tomcat" and .runtime.name == "Apache Tomcat"' "plain Tomcat stays java-tomcat"

echo "== malformed tomee.xml"
printf '<tomee>\n  <Resource id="x">\n</tomee>\n' > "$T/conf/tomee.xml"
set +e; "$DECANT" analyze "$pid1" -o "$W/bad/analysis.json" 2> "$W/bad.err"; rc=$?; set -e
[ $rc = 6 ] || { cat "$W/bad.err"; fail "a malformed tomee.xml exited $rc, expected 6"; }
grep -q "$T/conf/tomee.xml:3" "$W/bad.err" || { cat "$W/bad.err"; fail "the error does not name tomee.xml:3"; }
[ ! -e "$W/bad/analysis.json" ] || fail "a failed analysis left an analysis.json"
echo "  ok: exit 6 naming $T/conf/tomee.xml:3, no output"
ok=1
echo PASS
