#!/usr/bin/env bash
# decant push against a live docker-registry on 127.0.0.1: skopeo sees the same manifest digest,
# skopeo copy back gives identical blobs, a second push sends 0 blob bytes, a push to another
# repository mounts instead of sending, --limit-mbps caps the rate, an interrupted push resumes
# without re-sending finished blobs, and bad input gets clear messages.
# ctest: TIMEOUT=600
set -euo pipefail
source "$(dirname "$0")/lib/registry.sh"
need_tools docker-registry skopeo umoci curl python3
DECANT=${DECANT:-build/cli/decant}

WORK=$(mktemp -d /tmp/decant-e2e-push.XXXXXX)
trap 'stop_started; if [ "${KEEP:-0}" = 1 ] || [ "$ok" != 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi' EXIT
ok=0
export XDG_CACHE_HOME=$WORK/cache
cd "$WORK"

# Layers of 2 MB, 12 MB (chunked: above the 8 MiB default) and 5 MB, plus the config.
make_image oci app 2000000 12000000 5000000 >/dev/null
PORT=$(free_port)
write_registry_config reg.yml "$WORK/storage" "$PORT"
start_registry reg.yml "$PORT" reg.log
REG=127.0.0.1:$PORT

echo "== push, then skopeo inspect shows the same digest"
"$DECANT" push oci "$REG/shop/app:1.0" --insecure --json >push1.json 2>push1.err || { cat push1.err; fail "first push"; }
digest=$(json_field push1.json 'd["digest"]')
total=$(json_field push1.json 'd["bytesUploaded"]')
image=$(json_field push1.json 'd["imageBytes"]')
[ "$total" = "$image" ] || fail "first push sent $total bytes of $image"
skopeo_digest=$(skopeo inspect --tls-verify=false "docker://$REG/shop/app:1.0" | json_field /dev/stdin 'd["Digest"]')
[ "$digest" = "$skopeo_digest" ] || fail "digest $digest, skopeo says $skopeo_digest"
grep -q "uploaded" push1.err || fail "no per-blob lines"
echo "pushed $image bytes, digest $digest"

echo "== skopeo copy back: identical blobs"
skopeo copy --quiet --src-tls-verify=false "docker://$REG/shop/app:1.0" oci:copy:app
# The blobs the image references (umoci leaves earlier, unreferenced ones in the layout).
for d in $(json_field push1.json '" ".join(b["digest"] for b in d["blobs"]) + " " + d["digest"]'); do
  hex=${d#sha256:}
  cmp -s "oci/blobs/sha256/$hex" "copy/blobs/sha256/$hex" || fail "blob $d differs or is missing after the round trip"
done
[ "$(python3 -c 'import json; print(json.load(open("copy/index.json"))["manifests"][0]["digest"])')" = "$digest" ] || fail "the copy's manifest digest differs"

echo "== second push uploads 0 blob bytes"
"$DECANT" push oci "$REG/shop/app:1.0" --insecure --json >push2.json 2>push2.err || { cat push2.err; fail "second push"; }
[ "$(json_field push2.json 'd["bytesUploaded"]')" = 0 ] || fail "second push sent bytes"
[ "$(json_field push2.json 'sorted(set(b["status"] for b in d["blobs"]))')" = "['exists']" ] || fail "second push: not all blobs reported as existing"

echo "== push to another repository mounts the blobs"
"$DECANT" push oci "$REG/other/app:1.0" --insecure --json >push3.json 2>push3.err || { cat push3.err; fail "mount push"; }
[ "$(json_field push3.json 'd["bytesUploaded"]')" = 0 ] || fail "mount push sent bytes"
[ "$(json_field push3.json 'sorted(set(b["status"] for b in d["blobs"]))')" = "['mounted']" ] || fail "blobs were not mounted: $(cat push3.err)"

echo "== --limit-mbps caps the rate (40 Mbit/s = 5 MB/s)"
rm -rf "$XDG_CACHE_HOME"  # forget mount sources: really send
start=$(date +%s.%N)
"$DECANT" push oci "$REG/limited/app:1.0" --insecure --limit-mbps 40 --json >push4.json 2>push4.err || { cat push4.err; fail "limited push"; }
end=$(date +%s.%N)
python3 - "$start" "$end" "$(json_field push4.json 'd["bytesUploaded"]')" <<'PY' || fail "rate cap not respected"
import sys
start, end, sent = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
rate = sent / (end - start)
print(f"sent {sent} bytes in {end - start:.2f}s: {rate / 1e6:.2f} MB/s (cap 5.00 MB/s)")
sys.exit(0 if rate <= 5e6 * 1.10 else 1)
PY

echo "== registry stopped mid-push and restarted: finished blobs are not sent again"
rm -rf "$XDG_CACHE_HOME"
first_layer=$(json_field push1.json 'd["blobs"][0]["digest"]')
first_hex=${first_layer#sha256:}
# 16 Mbit/s = 2 MB/s: the 2 MB layer finishes after ~1 s, the 12 MB one takes ~6 s.
"$DECANT" push oci "$REG/resume/app:1.0" --insecure --limit-mbps 16 --retries 0 --json >push5.json 2>push5.err &
push_pid=$!
link="$WORK/storage/docker/registry/v2/repositories/resume/app/_layers/sha256/$first_hex/link"
for _ in $(seq 1 300); do
  [ -f "$link" ] && break
  sleep 0.1
done
[ -f "$link" ] || fail "the first layer never arrived"
sleep 1
stop_registry
set +e
wait "$push_pid"
rc=$?
set -e
[ "$rc" = 9 ] || { cat push5.err; fail "interrupted push exited $rc, expected 9 (network)"; }
grep -q "cannot reach http://$REG/v2/resume/app/blobs/" push5.err || { cat push5.err; fail "interrupted push: no URL in the message"; }
start_registry reg.yml "$PORT" reg.log
"$DECANT" push oci "$REG/resume/app:1.0" --insecure --json >push6.json 2>push6.err || { cat push6.err; fail "resumed push"; }
[ "$(json_field push6.json 'd["blobs"][0]["status"]')" = exists ] || fail "finished layer was not skipped"
[ "$(json_field push6.json 'd["blobs"][0]["bytesUploaded"]')" = 0 ] || fail "finished layer was sent again"
resent=$(json_field push6.json 'd["bytesUploaded"]')
[ "$resent" -lt "$image" ] || fail "resumed push sent the whole image"
resumed_digest=$(skopeo inspect --tls-verify=false "docker://$REG/resume/app:1.0" | json_field /dev/stdin 'd["Digest"]')
[ "$resumed_digest" = "$digest" ] || fail "resumed image has digest $resumed_digest"
echo "resumed push sent $resent of $image bytes"

echo "== retries: the registry restarts while the push waits"
rm -rf "$XDG_CACHE_HOME"
"$DECANT" push oci "$REG/retry/app:1.0" --insecure --limit-mbps 16 --retries 6 --json >push7.json 2>push7.err &
push_pid=$!
sleep 2
stop_registry
sleep 1
start_registry reg.yml "$PORT" reg.log
wait "$push_pid" || { cat push7.err; fail "push with retries did not survive a registry restart"; }
[ "$(json_field push7.json 'd["retries"]')" -ge 1 ] || fail "no retry was counted"
grep -q "retry 1/6" push7.err || fail "no retry message"

echo "== bad input"
set +e
"$DECANT" push oci "$REG/Shop/App:1.0" --insecure >bad.out 2>bad.err; rc=$?
[ $rc = 2 ] && grep -q 'invalid image reference' bad.err && grep -q 'Shop' bad.err || { cat bad.err; fail "bad reference: rc $rc"; }
"$DECANT" push oci "$REG/shop/app:-bad" --insecure >bad.out 2>bad.err; rc=$?
[ $rc = 2 ] && grep -q 'tag "-bad"' bad.err || { cat bad.err; fail "bad tag: rc $rc"; }
for limit in 0 -5; do
  "$DECANT" push oci "$REG/shop/app:1.0" --insecure --limit-mbps=$limit >bad.out 2>bad.err; rc=$?
  [ $rc = 2 ] && grep -q -- "--limit-mbps" bad.err || { cat bad.err; fail "--limit-mbps $limit: rc $rc"; }
done
DEAD=$(free_port)
"$DECANT" push oci "127.0.0.1:$DEAD/shop/app:1.0" --insecure --retries 0 >bad.out 2>bad.err; rc=$?
[ $rc = 9 ] && grep -q "cannot reach http://127.0.0.1:$DEAD/v2/" bad.err && grep -qi "connect" bad.err || { cat bad.err; fail "unreachable registry: rc $rc"; }
"$DECANT" push oci "$REG/shop/app:1.0" --retries 0 >bad.out 2>bad.err; rc=$?
[ $rc = 9 ] && grep -q "https://$REG/v2/" bad.err && grep -q -- "--insecure" bad.err || { cat bad.err; fail "https to a plain-http registry: rc $rc"; }
"$DECANT" push "$WORK/nowhere" "$REG/shop/app:1.0" --insecure >bad.out 2>bad.err; rc=$?
[ $rc = 3 ] && grep -q "not an OCI image layout" bad.err || { cat bad.err; fail "missing layout: rc $rc"; }
set -e

echo "== a manifest the registry rejects: its error body is shown"
cp -r oci badoci
# The index announces a Docker schema 2 manifest, the body is an OCI one: the registry parses
# it by the announced type and answers 400 MANIFEST_INVALID.
python3 - badoci <<'PY'
import json, sys
root = sys.argv[1]
index = json.load(open(f"{root}/index.json"))
index["manifests"][0]["mediaType"] = "application/vnd.docker.distribution.manifest.v2+json"
json.dump(index, open(f"{root}/index.json", "w"))
PY
set +e
"$DECANT" push badoci "$REG/shop/bad:1.0" --insecure >bad.out 2>bad.err; rc=$?
set -e
[ $rc = 9 ] && grep -q "rejected the manifest" bad.err && grep -q "MANIFEST_INVALID" bad.err || { cat bad.err; fail "manifest rejection: rc $rc"; }
grep "rejected the manifest" bad.err

ok=1
echo "PASS"
