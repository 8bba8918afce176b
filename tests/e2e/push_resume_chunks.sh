#!/usr/bin/env bash
# An interrupted chunked upload continues at the registry's offset: the first push fails at the
# third PATCH (the registry answers 503 and, with --retries 0, decant gives up), the second push
# asks the registry where the session stands (GET, 204 + Range) and sends only the rest. Uses
# tests/e2e/lib/fake_registry.py, because docker-registry 2.8 drops a session cut mid-PATCH.
# ctest: TIMEOUT=300
set -euo pipefail
LIB="$(cd "$(dirname "$0")" && pwd)/lib"
source "$LIB/registry.sh"
need_tools umoci python3
DECANT=${DECANT:-build/cli/decant}

WORK=$(mktemp -d /tmp/decant-e2e-chunks.XXXXXX)
trap 'stop_started; if [ "$ok" != 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi' EXIT
ok=0
export XDG_CACHE_HOME=$WORK/cache
cd "$WORK"
make_image oci app 5242880 >/dev/null   # one 5 MiB layer: five 1 MiB chunks with --chunk-mb 1

start_fake_registry 3 first.log
set +e
"$DECANT" push oci "127.0.0.1:$PORT/r/app:1" --insecure --chunk-mb 1 --retries 0 >first.out 2>first.err; rc=$?
set -e
[ $rc = 9 ] && grep -q "answered 503: UNAVAILABLE: registry going down" first.err || { cat first.err; fail "first push: exit $rc"; }
grep -q '"offset": 2097152' cache/decant/push-state.json || { cat cache/decant/push-state.json; fail "the session offset was not remembered"; }

# Run again against the same registry, which kept the session with two chunks in it.
"$DECANT" push oci "127.0.0.1:$PORT/r/app:1" --insecure --chunk-mb 1 --json >second.json 2>second.err || { cat second.err; fail "second push"; }
layer=$(json_field second.json '[b for b in d["blobs"] if b["size"] == 5242880 or b["size"] > 5000000][0]')
[ "$(json_field second.json '[b for b in d["blobs"] if b["size"] > 5000000][0]["status"]')" = resumed ] || { cat second.err; fail "the layer was not resumed: $layer"; }
[ "$(json_field second.json '[b for b in d["blobs"] if b["size"] > 5000000][0]["resumedFrom"]')" = 2097152 ] || fail "resumed at the wrong offset: $layer"
sent=$(json_field second.json '[b for b in d["blobs"] if b["size"] > 5000000][0]["bytesUploaded"]')
size=$(json_field second.json '[b for b in d["blobs"] if b["size"] > 5000000][0]["size"]')
[ "$sent" = $((size - 2097152)) ] || fail "sent $sent bytes of the layer, expected $((size - 2097152))"
grep -q "^GET /v2/r/app/blobs/uploads/" first.log || fail "the session was not queried"
grep -q '"uploads": {}' cache/decant/push-state.json || fail "the finished session is still remembered"
echo "resumed at 2097152: sent $sent of $size bytes"

ok=1
echo "PASS"
