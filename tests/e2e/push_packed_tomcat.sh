#!/usr/bin/env bash
# The packed Tomcat image goes to a registry: `decant pack` (tomcat10 + JDK file set, the
# packer's own e2e analysis) then `decant push` to docker-registry on 127.0.0.1; skopeo inspect
# shows the same manifest digest, skopeo copy back gives identical blobs, a second push sends
# 0 blob bytes, and `decant generate --oci` builds its Dockerfile context from the same layout.
# ctest: TIMEOUT=900
set -euo pipefail
LIB="$(cd "$(dirname "$0")" && pwd)/lib"
source "$LIB/registry.sh"
need_tools docker-registry skopeo curl python3
DECANT=${DECANT:-build/cli/decant}
if ! "$DECANT" pack --help >/dev/null 2>&1 || [ ! -f "$LIB/tomcat_analysis.sh" ]; then
  echo "SKIP: this build has no \`decant pack\` (tests/e2e/lib/tomcat_analysis.sh comes with it)"
  exit 77
fi
[ -d /usr/share/tomcat10 ] && id tomcat >/dev/null 2>&1 || { echo "SKIP: tomcat10 is not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: packing Tomcat's files needs root"; exit 77; }
command -v java >/dev/null || { echo "SKIP: no java"; exit 77; }

WORK=$(mktemp -d /tmp/decant-e2e-push-tomcat.XXXXXX)
trap 'stop_started; if [ "$ok" != 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi' EXIT
ok=0
export XDG_CACHE_HOME=$WORK/cache
cd "$WORK"

source "$LIB/tomcat_analysis.sh"
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
write_tomcat_analysis "$WORK/analysis.json" "$java_home"
"$DECANT" pack "$WORK/analysis.json" -o img --tag decant-test/tomcat:1.0 >pack.out 2>pack.err || { cat pack.err; fail "decant pack"; }

PORT=$(free_port)
write_registry_config reg.yml "$WORK/storage" "$PORT"
start_registry reg.yml "$PORT" reg.log
REG=127.0.0.1:$PORT

"$DECANT" push img:decant-test/tomcat:1.0 "$REG/shop/tomcat:1.0" --insecure --json >push1.json 2>push1.err || { cat push1.err; fail "push"; }
cat push1.err
digest=$(json_field push1.json 'd["digest"]')
skopeo_digest=$(skopeo inspect --tls-verify=false "docker://$REG/shop/tomcat:1.0" | json_field /dev/stdin 'd["Digest"]')
[ "$digest" = "$skopeo_digest" ] || fail "digest $digest, skopeo says $skopeo_digest"

skopeo copy --quiet --src-tls-verify=false "docker://$REG/shop/tomcat:1.0" oci:copy:tomcat
for d in $(json_field push1.json '" ".join(b["digest"] for b in d["blobs"]) + " " + d["digest"]'); do
  cmp -s "img/blobs/sha256/${d#sha256:}" "copy/blobs/sha256/${d#sha256:}" || fail "blob $d differs after the round trip"
done

"$DECANT" push img:decant-test/tomcat:1.0 "$REG/shop/tomcat:1.0" --insecure --json >push2.json 2>push2.err || { cat push2.err; fail "second push"; }
[ "$(json_field push2.json 'd["bytesUploaded"]')" = 0 ] || fail "second push sent bytes"

"$DECANT" generate analysis.json --image "$REG/shop/tomcat:1.0" --oci img:decant-test/tomcat:1.0 -o deploy >/dev/null 2>gen.err || { cat gen.err; fail "generate --oci"; }
layers=$(json_field push1.json 'len([b for b in d["blobs"] if "layer" in b["mediaType"]])')
[ "$(grep -c '^ADD layers/' deploy/docker/Dockerfile)" = "$layers" ] || fail "Dockerfile does not ADD the $layers layers"

echo "pushed $(json_field push1.json 'd["imageBytes"]') bytes of packed Tomcat as $digest"
ok=1
echo "PASS"
