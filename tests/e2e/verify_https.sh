#!/usr/bin/env bash
# `decant verify` on an HTTPS port: a tomcat10-instance-create instance with an HTTP connector and
# an HTTPS connector whose key is in a PKCS12 keystore (its password a secret, supplied from the
# secrets file as the Deployment would). The image must serve the same pages over both and
# present the same certificate (SHA-256 fingerprint) as the source. Then the keystore on disk is
# replaced, as when a certificate is renewed but Tomcat not yet restarted: the running source
# still serves the old certificate, a new image would serve the new one, and verify must fail
# with exit 10 naming the port and both fingerprints. Nothing of the sandbox is left.
# ctest: RESOURCE_LOCK=tomcat10 TIMEOUT=900 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
SRC="${DECANT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (namespaces, starting tomcat as user tomcat)"; exit 77; }
for tool in jq curl setpriv python3 keytool openssl tomcat10-instance-create; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs tomcat10, tomcat10-user, the JDK, jq)"; exit 77; }
done
unshare --net --pid --mount --uts --ipc --fork true 2>/dev/null || { echo "SKIP: cannot create namespaces here (unshare failed)"; exit 77; }

W="$(mktemp -d /var/tmp/decant-e2e-https.XXXXXX)"
chmod 755 "$W"
export TMPDIR="$W/tmp"
mkdir "$TMPDIR"
. "$SRC/tests/e2e/lib/tomcat_instances.sh"
. "$SRC/tests/e2e/lib/verify_checks.sh"
cleanup() {
  set +e
  stop_instances
  if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
expect() { # expect CODE FILE-PREFIX ARGS...
  local code=$1 out=$2 rc=0
  shift 2
  "$DECANT" "$@" > "$out.out" 2> "$out.err" || rc=$?
  [ "$rc" = "$code" ] || { cat "$out.out" "$out.err"; fail "decant $*: exit $rc, expected $code"; }
}
left_nothing() {
  # The source runs from $W too: the marker is the layouts' path, which only verify's sandbox has.
  verify_left_nothing "$TMPDIR" "$W/img" || exit 1
  [ -z "$(other_netns_pids "catalina.base=$W/tls")" ] || fail "an image's Tomcat still runs"
}
# new_keystore FILE: a fresh RSA key and self-signed certificate, password changeit-tls.
new_keystore() {
  rm -f "$1"
  keytool -genkeypair -storetype PKCS12 -keystore "$1" -storepass changeit-tls -alias tomcat \
    -keyalg RSA -keysize 2048 -dname "CN=localhost" -validity 3650 > /dev/null 2>&1
  chown tomcat:tomcat "$1"
}

http=$(free_port); https=$(free_port); shutdown=$(free_port)
tomcat10-instance-create -p "$http" -c "$shutdown" "$W/tls" > /dev/null
new_keystore "$W/tls/conf/keystore.p12"
sed -i "s|</Service>|<Connector port=\"$https\" protocol=\"org.apache.coyote.http11.Http11NioProtocol\" SSLEnabled=\"true\"><SSLHostConfig><Certificate certificateKeystoreFile=\"conf/keystore.p12\" certificateKeystorePassword=\"changeit-tls\" type=\"RSA\"/></SSLHostConfig></Connector></Service>|" "$W/tls/conf/server.xml"
mkdir -p "$W/tls/webapps/ROOT"
echo '<html><body>served over TLS by decant-e2e</body></html>' > "$W/tls/webapps/ROOT/index.html"
start_instance tls
pid=${INSTANCE_PIDS[-1]}
wait_instance tls "$http" "$pid"
for _ in $(seq 60); do curl -sk -o /dev/null --max-time 2 "https://127.0.0.1:$https/" && break; sleep 1; done
source_sha="$(openssl s_client -connect "127.0.0.1:$https" < /dev/null 2> /dev/null | openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr 'A-F' 'a-f')"
[ -n "$source_sha" ] || fail "the source does not answer HTTPS on $https"

echo "== analyze PID $pid and pack"
"$DECANT" analyze "$pid" -o "$W/out/analysis.json" 2> "$W/analyze.err" || { cat "$W/analyze.err"; fail "decant analyze $pid"; }
jq -e --argjson p "$https" '[.ports[] | select(.port == $p and .role == "https" and .expose)] | length == 1' "$W/out/analysis.json" > /dev/null \
  || fail "the HTTPS port is not an exposed https port: $(jq -c .ports "$W/out/analysis.json")"
grep -q changeit-tls "$W/out/secrets.json" || fail "the keystore password is not in secrets.json"
"$DECANT" pack "$W/out/analysis.json" -o "$W/img" --tag decant-test/tls:1 > /dev/null 2> "$W/pack.err" || { cat "$W/pack.err"; fail "pack"; }

echo "== verify: the same pages and the same certificate on $https"
expect 0 "$W/verify" verify "$W/img" --analysis "$W/out/analysis.json" --json
jq -e --argjson p "$https" '.result == "passed" and ([.probes[] | select(.port == $p and .path == "/")
    | .verdict | test("^same")] | length == 1)' "$W/verify.out" > /dev/null \
  || fail "no passing HTTPS probe of /: $(jq -c '.probes' "$W/verify.out")"
jq -e --argjson p "$https" --arg sha "$source_sha" '[.. | objects | select(.port? == $p and .sourceSha256? != null)
    | select((.sourceSha256 | ascii_downcase | gsub(":"; "")) == $sha and .sourceSha256 == .imageSha256)] | length >= 1' "$W/verify.out" > /dev/null \
  || fail "the certificate comparison of $https does not show the source's fingerprint $source_sha: $(jq -c . "$W/verify.out" | head -c 2000)"
! grep -q changeit-tls "$W/verify.out" "$W/verify.err" || fail "the keystore password appears in verify's output"
left_nothing

echo "== a renewed keystore on disk, not yet loaded by the source: exit 10 naming the certificate"
new_keystore "$W/tls/conf/keystore.p12"
"$DECANT" pack "$W/out/analysis.json" -o "$W/img2" --tag decant-test/tls:2 > /dev/null 2> "$W/pack2.err" || { cat "$W/pack2.err"; fail "pack with the new keystore"; }
expect 10 "$W/renewed" verify "$W/img2" --analysis "$W/out/analysis.json"
grep -q "port $https: the image's certificate" "$W/renewed.err" || fail "the certificate mismatch is not named: $(cat "$W/renewed.err")"
grep -q "^hint: " "$W/renewed.err" || fail "no hint"
left_nothing

ok=1
echo "PASS"
