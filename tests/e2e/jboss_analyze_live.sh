#!/usr/bin/env bash
# ctest: RESOURCE_LOCK=jboss TIMEOUT=600 LABELS=e2e
# Live JBoss/WildFly analysis on real /proc: a WildFly-shaped installation (jboss-modules.jar,
# modules/system/layers/base, bin/product.conf + the product module's manifest, a real corpus
# standalone.xml) whose org.jboss.as.standalone module is tests/e2e/jboss/Main.java compiled
# here, run by Debian's jboss-modules (libjboss-modules-java) with the exact command line
# bin/standalone.sh builds. The stand-in opens the http, https and management sockets the
# configuration gives; `decant analyze <pid>` must find the same ports with roles, exposure and
# listening state, the version, Java, heap, the datasource password in secrets.json only and the
# database dependency. Two servers share the installation:
#   A: standalone.xml (WildFly 26, user-modified), -b 0.0.0.0, port offset as -D
#   B: its own server base, -c standalone-full.xml (EAP 7.4), the port offset from a --properties
#      file, no -b: it listens on 127.0.0.1 and the image must get -b=0.0.0.0
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fixtures=${DECANT_FIXTURES_DIR:-$here/../../fixtures}
DECANT=${DECANT:-decant}
MODULES_JAR=/usr/share/java/jboss-modules.jar

skip() { echo "SKIP: $*"; exit 77; }
command -v java >/dev/null || skip "java is not installed (Debian: default-jdk-headless)"
command -v javac >/dev/null || skip "javac is not installed (Debian: default-jdk-headless)"
[ -f "$MODULES_JAR" ] || skip "$MODULES_JAR is missing (Debian: libjboss-modules-java)"
command -v python3 >/dev/null || skip "python3 is not installed"

WORK=$(mktemp -d /tmp/decant-e2e-jboss-XXXXXX)
SERVER_PIDS=()
cleanup() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${SERVER_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  [ "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# Two port offsets under which http (8080), https (8443) and management (9990) are all free.
read -r offset offset_b < <(python3 - <<'PY'
import random, socket
found = []
while len(found) < 2:
    off = random.randrange(20000, 50000)
    if any(abs(off - f) < 2000 for f in found):
        continue
    ok = True
    for port in (8080 + off, 8443 + off, 9990 + off):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            ok = False
        finally:
            s.close()
    if ok:
        found.append(off)
print(*found)
PY
)
[ -n "$offset_b" ] || { echo "FAIL: no free port offsets found"; exit 1; }

# The installation, laid out as a WildFly 26 distribution.
home=$WORK/wildfly
module=$home/modules/system/layers/base/org/jboss/as/standalone/main
mkdir -p "$module" "$home/bin" "$home/standalone/configuration" "$home/standalone/deployments" \
  "$home/standalone/data" "$home/standalone/log" "$home/standalone/tmp" \
  "$home/modules/system/layers/base/org/jboss/as/product/wildfly-full/dir/META-INF"
cp "$MODULES_JAR" "$home/jboss-modules.jar"
cp "$fixtures/configs/jboss/wildfly-26.0.1-standalone-usermodified.xml" \
  "$home/standalone/configuration/standalone.xml"
cp "$fixtures/configs/jboss/wildfly-core-standalone.conf" "$home/bin/standalone.conf"
echo "slot=wildfly-full" >"$home/bin/product.conf"
printf 'Manifest-Version: 1.0\r\nJBoss-Product-Release-Name: WildFly Full\r\nJBoss-Product-Release-Version: 26.0.1.Final\r\n' \
  >"$home/modules/system/layers/base/org/jboss/as/product/wildfly-full/dir/META-INF/MANIFEST.MF"
mkdir -p "$WORK/classes"
javac -d "$WORK/classes" "$here/jboss/Main.java"
(cd "$WORK/classes" && jar cf "$module/standalone.jar" org)
cat >"$module/module.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<module xmlns="urn:jboss:module:1.9" name="org.jboss.as.standalone">
    <main-class name="org.jboss.as.standalone.Main"/>
    <resources>
        <resource-root path="standalone.jar"/>
    </resources>
</module>
XML

# Server B's base directory: its own configuration, the port offset in a properties file.
base_b=$WORK/node-b
mkdir -p "$base_b/configuration" "$base_b/deployments" "$base_b/data" "$base_b/log" "$base_b/tmp"
cp "$fixtures/configs/jboss/eap-7.4.0-standalone-full.xml" "$base_b/configuration/standalone-full.xml"
printf '# node b\njboss.socket.binding.port-offset=%s\n' "$offset_b" >"$base_b/configuration/ports.properties"

# bin/standalone.sh's command (WildFly 26): JVM options from standalone.conf, then
# -jar jboss-modules.jar -mp modules org.jboss.as.standalone and the server arguments.
java_bin=$(readlink -f "$(command -v java)")
start_server() { # LOG BASE SERVER-ARGUMENTS...
  local log=$1 base=$2
  shift 2
  cd "$home/bin"
  "$java_bin" "-D[Standalone]" -server -Xms64m -Xmx512m -XX:MetaspaceSize=96M -XX:MaxMetaspaceSize=256m \
    -Djava.net.preferIPv4Stack=true -Djboss.modules.system.pkgs=org.jboss.byteman \
    -Djava.awt.headless=true \
    "-Dorg.jboss.boot.log.file=$base/log/server.log" \
    "-Dlogging.configuration=file:$base/configuration/logging.properties" \
    -jar "$home/jboss-modules.jar" -mp "$home/modules" org.jboss.as.standalone \
    "-Djboss.home.dir=$home" "-Djboss.server.base.dir=$base" "$@" >"$log" 2>&1 &
  SERVER_PIDS+=($!)
  cd /
}
wait_ready() { # LOG PID
  for _ in $(seq 1 240); do
    grep -q '^READY' "$1" && break
    kill -0 "$2" 2>/dev/null || { cat "$1"; echo "FAIL: the server $2 exited"; exit 1; }
    sleep 0.5
  done
  grep -q '^READY 3' "$1" || { cat "$1"; echo "FAIL: the server $2 did not open its 3 sockets in 120s"; exit 1; }
  cat "$1"
}
start_server "$WORK/a.log" "$home/standalone" -b 0.0.0.0 "-Djboss.socket.binding.port-offset=$offset"
pid_a=${SERVER_PIDS[-1]}
start_server "$WORK/b.log" "$base_b" -c standalone-full.xml -bmanagement=127.0.0.1 \
  "--properties=$base_b/configuration/ports.properties"
pid_b=${SERVER_PIDS[-1]}
wait_ready "$WORK/a.log" "$pid_a"
wait_ready "$WORK/b.log" "$pid_b"

for which in a b; do
  pid_var=pid_$which
  t0=$(date +%s%N)
  "$DECANT" analyze "${!pid_var}" -o "$WORK/$which/analysis.json" 2>"$WORK/$which.err" \
    || { cat "$WORK/$which.err"; echo "FAIL: decant analyze ${!pid_var}"; exit 1; }
  echo "analyze $which (PID ${!pid_var}) took $((($(date +%s%N) - t0) / 1000000)) ms"
done

java_home=$(dirname "$(dirname "$java_bin")")
WORK="$WORK" HOME_DIR="$home" BASE_B="$base_b" OFFSET="$offset" OFFSET_B="$offset_b" \
  JAVA_HOME_DIR="$java_home" python3 - <<'PY'
import json, os, re, sys

work, home, off = os.environ["WORK"], os.environ["HOME_DIR"], int(os.environ["OFFSET"])
base_b, off_b = os.environ["BASE_B"], int(os.environ["OFFSET_B"])
a = json.load(open(f"{work}/a/analysis.json"))
secrets = json.load(open(f"{work}/a/secrets.json"))
raw = open(f"{work}/a/analysis.json").read()
failures = []

def check(cond, what):
    if not cond:
        failures.append(what)

rt = a["runtime"]
check(a["applicationType"] == "java-jboss", f"applicationType {a['applicationType']}")
check((rt["name"], rt["version"]) == ("WildFly Full", "26.0.1.Final"), f"runtime {rt['name']} {rt['version']}")
check(rt["jbossHome"] == home, f"jbossHome {rt['jbossHome']}")
check(rt["serverConfig"] == f"{home}/standalone/configuration/standalone.xml", f"serverConfig {rt['serverConfig']}")
check(rt["module"] == "org.jboss.as.standalone", f"module {rt['module']}")
check(rt["portOffset"] == off, f"portOffset {rt['portOffset']}")
release = open(os.environ["JAVA_HOME_DIR"] + "/release").read()
java_version = re.search(r'JAVA_VERSION="([^"]+)"', release).group(1)
check(rt.get("javaVersion") == java_version, f"javaVersion {rt.get('javaVersion')} != {java_version}")
check(a["resources"].get("heapMaxBytes") == 512 * 1024 * 1024, f"heapMaxBytes {a['resources'].get('heapMaxBytes')}")
ports = {p.get("name"): p for p in a["ports"]}
for name, port, role, expose, address in [("http", 8080 + off, "http", True, ""),
                                          ("https", 8443 + off, "https", True, ""),
                                          ("management-http", 9990 + off, "management", False, "127.0.0.1")]:
    p = ports.get(name)
    check(p is not None, f"no port {name}")
    if p:
        got = (p["port"], p["role"], p["expose"], p["listening"], p["address"])
        check(got == (port, role, expose, True, address), f"port {name}: {got}, expected {(port, role, expose, True, address)}")
check(not any(p["source"] == "socket" for p in a["ports"]), f"unconfigured sockets {a['ports']}")
pw = [k for k in secrets if k.startswith("DS_")]
check(pw, f"no datasource password in secrets.json: {list(secrets)}")
for k in pw:
    check(secrets[k] not in raw, f"{k} leaked into analysis.json")
check(any(d["kind"] == "database" and d["host"] == "localhost" and d["port"] == 3306 for d in a["dependencies"]),
      f"no mysql dependency: {a['dependencies']}")
check("org.jboss.as.standalone" in a["start"]["command"], "start command lost the module")
paths = [f["path"] for f in a["files"]]
check(home in paths, f"{home} not in files")
# The JDK steps Tomcat takes: the fonts decided over the deployments and the module path (the
# stand-in's classes and Debian's jboss-modules.jar draw no text), the tool modules planned out
# of lib/modules (javac stays: the installation has no Eclipse compiler module).
td = rt.get("textDrawing", {})
check(td.get("drawsText") is False and td.get("classes", 0) > 0, f"textDrawing {td}")
check(any(x["path"].endswith("/lib/libfontmanager.so") for x in a["exclude"]), "fonts not left out")
jh = os.path.realpath(os.environ["JAVA_HOME_DIR"])
if os.path.isfile(f"{jh}/jmods/java.base.jmod") and os.path.isfile(f"{jh}/bin/jlink"):
    removed = [r["module"] for r in rt.get("jlink", {}).get("remove", [])]
    check("jdk.jshell" in removed and "jdk.compiler" not in removed,
          f"jlink plan {removed} (skipped: {rt.get('jlinkSkipped')})")
else:
    check("jlinkSkipped" in rt, "a JDK without jmods got no jlinkSkipped")
print(f"A {a['applicationId']}: {rt['name']} {rt['version']} on Java {rt.get('javaVersion')}, "
      f"ports {[(p['port'], p['role'], p['expose']) for p in a['ports']]}")

# B: -c, --properties, loopback public interface rebound in the image.
b = json.load(open(f"{work}/b/analysis.json"))
rb = b["runtime"]
check(b["applicationId"] != a["applicationId"], "A and B share an application id")
check(rb["serverConfig"] == f"{base_b}/configuration/standalone-full.xml", f"B serverConfig {rb['serverConfig']}")
check(rb["serverBaseDir"] == base_b, f"B serverBaseDir {rb['serverBaseDir']}")
check(rb["portOffset"] == off_b, f"B portOffset {rb['portOffset']} != {off_b} from --properties")
check(rb["propertiesFiles"] == [f"{base_b}/configuration/ports.properties"], f"B propertiesFiles {rb['propertiesFiles']}")
ports_b = {p.get("name"): p for p in b["ports"]}
for name, port, role, expose, address in [("http", 8080 + off_b, "http", True, ""),
                                          ("https", 8443 + off_b, "https", True, ""),
                                          ("management-http", 9990 + off_b, "management", False, "127.0.0.1")]:
    p = ports_b.get(name)
    check(p is not None, f"B: no port {name}")
    if p:
        got = (p["port"], p["role"], p["expose"], p["listening"], p["address"])
        check(got == (port, role, expose, True, address), f"B port {name}: {got}, expected {(port, role, expose, True, address)}")
cmd_b = b["start"]["command"]
check("-b=0.0.0.0" in cmd_b[cmd_b.index("org.jboss.as.standalone"):],
      f"B start command does not rebind the public interface: {cmd_b[-3:]}")
check(any(w["code"] == "localhost-only" for w in b["warnings"]), "B: no localhost-only warning")
check(any(f["path"] == base_b for f in b["files"]), f"B: {base_b} not in files")
print(f"B {b['applicationId']}: {rb['serverConfig']}, offset {rb['portOffset']}, "
      f"ports {[(p['port'], p['role'], p['expose']) for p in b['ports']]}")
if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("PASS")
PY
