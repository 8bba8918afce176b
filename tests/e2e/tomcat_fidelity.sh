#!/usr/bin/env bash
# Setups operators run, live, on a tomcat10-instance-create instance started through `env` with
# an interactive shell's variables:
#  - a packed WAR (Host unpackWARs="false") whose META-INF/context.xml holds a DataSource with a
#    password and a PostgreSQL URL and an <Environment>: the analysis has the database
#    dependency, the password only in secrets.json, the WAR marked secret and named in a
#    warning; `pack --externalize-secrets` gives an image whose WAR holds no password, and the
#    image started with the Secret's values (scripts/run-rootfs --secrets) serves a JSP that
#    finds the DataSource with the right password, as the source does;
#  - the HTTP port as ${HTTP_PORT} through EnvironmentPropertySource (set in catalina.properties):
#    an http port, exposed, source = the Connector's line, valueSource = the variable; the
#    image listens on it and `generate` writes a Service and probes for it;
#  - the shell's `_`, PWD, OLDPWD, SHLVL, TERM, SSH_TTY ... are in envDropped with reasons, not
#    in env, the image's Env or the ConfigMap.
# Only the processes this script starts are stopped, by PID.
# ctest: RESOURCE_LOCK=tomcat10 TIMEOUT=900 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
SRC="${DECANT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (starting tomcat as user tomcat, namespaces)"; exit 77; }
for tool in jq curl setpriv python3 tomcat10-instance-create umoci unzip nsenter unshare; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs it)"; exit 77; }
done
[ -f /usr/share/tomcat10/lib/tomcat-dbcp.jar ] || { echo "SKIP: tomcat10's lib/tomcat-dbcp.jar is missing"; exit 77; }
unshare --net --pid --mount --uts --fork true 2>/dev/null || { echo "SKIP: cannot create namespaces here (unshare failed)"; exit 77; }

# Not under /tmp: a container runtime mounts its own /tmp over the image's.
W="$(mktemp -d /var/tmp/decant-e2e-fidelity.XXXXXX)"
chmod 755 "$W"
. "$SRC/tests/e2e/lib/tomcat_instances.sh"
RUN_PID=""
cleanup() {
  set +e
  [ -n "$RUN_PID" ] && kill "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null
  stop_instances
  if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi
}
trap cleanup EXIT
. "$SRC/tests/e2e/lib/checks.sh"
CHECK_SHOW='{ports, env, envDropped, warnings, dependencies}'

p=$(free_port); s=$(free_port)
tomcat10-instance-create -p "$p" -c "$s" "$W/shop" > /dev/null
I="$W/shop"
sed -i "s/port=\"$p\"/port=\"\${HTTP_PORT}\"/" "$I/conf/server.xml"
sed -i 's/unpackWARs="true"/unpackWARs="false"/' "$I/conf/server.xml"
grep -q 'port="${HTTP_PORT}"' "$I/conf/server.xml" || fail "could not put \${HTTP_PORT} into server.xml"
echo "org.apache.tomcat.util.digester.PROPERTY_SOURCE=org.apache.tomcat.util.digester.EnvironmentPropertySource" >> "$I/conf/catalina.properties"
http_line=$(grep -n 'port="${HTTP_PORT}"' "$I/conf/server.xml" | cut -d: -f1)
python3 - "$I/webapps/shop.war" <<'PY'
import sys, zipfile
context = """<?xml version="1.0" encoding="UTF-8"?>
<Context>
  <Resource name="jdbc/shop" auth="Container" type="javax.sql.DataSource"
            username="shop" password="s3cret-war" driverClassName="org.postgresql.Driver"
            url="jdbc:postgresql://db.shop.example:5432/shop"/>
  <Environment name="greeting" value="hello from the WAR" type="java.lang.String"/>
</Context>
"""
jsp = """<%@ page import="javax.naming.*" %><%
  Context env = (Context) new InitialContext().lookup("java:comp/env");
  Object ds = env.lookup("jdbc/shop");
  String url = (String) ds.getClass().getMethod("getUrl").invoke(ds);
  String pw = (String) ds.getClass().getMethod("getPassword").invoke(ds);
%>greeting=<%= env.lookup("greeting") %>
url=<%= url %>
password=<%= "s3cret-war".equals(pw) ? "right" : "wrong" %>
"""
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
    z.writestr("META-INF/context.xml", context)
    z.writestr("WEB-INF/web.xml", '<web-app xmlns="https://jakarta.ee/xml/ns/jakartaee" version="6.0"/>\n')
    z.writestr("index.jsp", jsp)
PY
# Started as an operator would from an SSH login shell: the shell's variables come along.
start_instance shop JAVA_OPTS="-Djava.awt.headless=true -Xmx256m" HTTP_PORT="$p" \
  TERM=xterm-256color OLDPWD=/root SHLVL=2 SSH_TTY=/dev/pts/3 SSH_CONNECTION="192.0.2.15 52144 198.51.100.7 22" \
  LS_COLORS="di=01;34" XDG_SESSION_ID=42 _=/usr/bin/env
pid=${INSTANCE_PIDS[-1]}
wait_instance shop "$p" "$pid"
curl -s --max-time 120 "http://127.0.0.1:$p/shop/" > "$W/source.body"
grep -q '^password=right' "$W/source.body" || { cat "$W/source.body"; tail -30 "$W/shop.log"; fail "the source does not serve the WAR's DataSource"; }
echo "source serves /shop/: $(tr '\n' ' ' < "$W/source.body")"

echo "== analyze PID $pid"
"$DECANT" analyze "$pid" -o "$W/out/analysis.json" 2> "$W/analyze.err" || { cat "$W/analyze.err"; fail "decant analyze $pid"; }
A="$W/out/analysis.json"
war="$I/webapps/shop.war"
check "$A" "[.dependencies[] | select(.host == \"db.shop.example\" and .port == 5432 and .kind == \"database\" and (.source | startswith(\"$war!/META-INF/context.xml\")))] | length == 1" "the WAR's DataSource is a database dependency"
check "$A" "[.files[] | select(.path == \"$war\" and .secret and (.externalize | length) == 1 and .externalize[0].attribute == \"password\")] | length == 1" "the WAR is a secret file listing its password attribute"
check "$A" "[.warnings[] | select(.code == \"war-secret\" and (.message | contains(\"$war\")) and (.message | contains(\"TOMCAT_JDBC_SHOP_PASSWORD\")))] | length == 1" "a warning names the WAR and the secret"
check "$A" '[.start.command[] | select(. == "-Ddecant.secret.TOMCAT_JDBC_SHOP_PASSWORD=${secret:TOMCAT_JDBC_SHOP_PASSWORD}")] | length == 1' "the start command defines the reference from the Secret"
grep -q 's3cret-war' "$A" && fail "the WAR's password is in analysis.json"
jq -e '.TOMCAT_JDBC_SHOP_PASSWORD == "s3cret-war"' "$W/out/secrets.json" > /dev/null || fail "secrets.json lacks the WAR's password"
echo "  ok: the password only in secrets.json"
check "$A" "[.ports[] | select(.port == $p and .role == \"http\" and .expose and .listening and .source == \"$I/conf/server.xml:$http_line\" and (.valueSource | contains(\"environment variable HTTP_PORT\")))] | length == 1" "\${HTTP_PORT} from the environment: http, exposed, source = the Connector's line"
check "$A" '[.warnings[] | select(.code == "undefined-property" or .code == "port-unconfigured")] | length == 0' "no undefined-property or port-unconfigured warning"
check "$A" '.runtime.propertySources.order[0] == "org.apache.tomcat.util.digester.EnvironmentPropertySource"' "runtime.propertySources names EnvironmentPropertySource"
# Every shell variable the JVM really has is dropped, with a reason, and kept nowhere else.
noise=$(tr '\0' '\n' < "/proc/$pid/environ" | cut -d= -f1 | grep -xE '_|PWD|OLDPWD|SHLVL|TERM|SSH_TTY|SSH_CONNECTION|LS_COLORS|XDG_SESSION_ID' | sort -u)
[ "$(echo "$noise" | wc -w)" -ge 5 ] || fail "the JVM has only these shell variables: $noise"
for name in $noise; do
  check "$A" "([.envDropped[] | select(.name == \"$name\" and (.reason | length) > 0)] | length == 1) and ([.env[] | select(.name == \"$name\")] | length == 0)" "$name in envDropped with a reason, not in env"
done
check "$A" '[.env[] | select(.name == "HTTP_PORT")] | length == 1' "HTTP_PORT stays in env"

echo "== pack --externalize-secrets"
"$DECANT" pack "$A" -o "$W/img" --tag decant-test/shop:fidelity --externalize-secrets > /dev/null 2> "$W/pack.err" || { cat "$W/pack.err"; fail "pack"; }
grep -q 'secrets-replaced' "$W/pack.err" || { cat "$W/pack.err"; fail "pack did not say the WAR's secrets were replaced"; }
umoci unpack --image "$W/img:decant-test/shop:fidelity" "$W/bundle" > /dev/null
R="$W/bundle/rootfs"
unzip -p "$R$war" META-INF/context.xml > "$W/image-context.xml"
grep -q 'password="${decant.secret.TOMCAT_JDBC_SHOP_PASSWORD}"' "$W/image-context.xml" || { cat "$W/image-context.xml"; fail "the image's WAR lacks the reference"; }
if grep -rqa 's3cret-war' "$R"; then fail "the password is somewhere in the image: $(grep -rla s3cret-war "$R" | head -3)"; fi
echo "  ok: the image's WAR refers to \${decant.secret.TOMCAT_JDBC_SHOP_PASSWORD}; no copy of the password in the image"
# The image config itself (umoci's runtime config adds TERM=xterm of its own).
manifest="$W/img/blobs/sha256/$(jq -r '.manifests[0].digest' "$W/img/index.json" | cut -d: -f2)"
config="$W/img/blobs/sha256/$(jq -r '.config.digest' "$manifest" | cut -d: -f2)"
jq -e '[.config.Env[] | select(test("^(TERM|OLDPWD|SHLVL|SSH_TTY|_)="))] | length == 0' "$config" > /dev/null || fail "shell variables in the image's Env"
jq -e '[.config.Env[] | select(startswith("HTTP_PORT="))] | length == 1' "$config" > /dev/null || fail "HTTP_PORT missing from the image's Env"
echo "  ok: the image's Env has HTTP_PORT and no shell variables"

echo "== run the image with the Secret's values"
start_image "$W/bundle" "$p" --secrets "$W/out/secrets.json"
in_image curl -s --max-time 120 "http://127.0.0.1:$p/shop/" > "$W/image.body"
cmp -s "$W/source.body" "$W/image.body" || { diff "$W/source.body" "$W/image.body"; fail "/shop/ differs between source and image"; }
echo "  ok: the image answers on $p and /shop/ is the same: $(tr '\n' ' ' < "$W/image.body")"

echo "== generate"
"$DECANT" generate "$A" --image 127.0.0.1:5000/shop:1 -o "$W/deploy" --externalize-secrets > /dev/null 2> "$W/generate.err" || { cat "$W/generate.err"; fail "generate"; }
K="$W/deploy/kubernetes"
[ -f "$K/service.yaml" ] && grep -q "port: $p" "$K/service.yaml" || fail "no Service for port $p"
grep -q 'readinessProbe' "$K/deployment.yaml" || fail "no probes"
[ ! -e "$K/secret-files.yaml" ] || fail "the rewritten WAR is mounted from a Secret"
grep -q 'TOMCAT_JDBC_SHOP_PASSWORD=$(TOMCAT_JDBC_SHOP_PASSWORD)' "$K/deployment.yaml" || fail "the Deployment does not pass the password reference"
if grep -qE '^  (TERM|OLDPWD|SHLVL|SSH_TTY|_):' "$K/configmap.yaml"; then fail "shell variables in the ConfigMap"; fi
grep -q '^  HTTP_PORT:' "$K/configmap.yaml" || fail "HTTP_PORT missing from the ConfigMap"
echo "  ok: Service and probes on $p, no secret-files, the ConfigMap without shell variables"
ok=1
echo PASS
