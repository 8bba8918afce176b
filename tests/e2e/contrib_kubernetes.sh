#!/usr/bin/env bash
# contrib/kubernetes/decant-job.yaml: every object validates against the Kubernetes schemas
# (npm kubernetes-models 4.x, installed into build/node as generate_kubernetes.sh does), the Job
# is what running decant against a node needs (privileged, hostPID, the node's / read-only at
# /host and DECANT_ROOT=/host, one named node, no restarts), and its script migrates each
# application inventory lists, going on after one fails and failing the Job then (run against a
# stand-in decant that records its calls).
# ctest: TIMEOUT=600
set -euo pipefail
LIB="$(cd "$(dirname "$0")" && pwd)/lib"
SRC="${DECANT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
source "$LIB/registry.sh"
need_tools python3 node npm jq
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml is not installed"; exit 77; }
DECANT=${DECANT:-build/cli/decant}
DECANT=$(cd "$(dirname "$DECANT")" && pwd)/$(basename "$DECANT")
BUILD=$(dirname "$(dirname "$DECANT")")
NODE_DIR=$BUILD/node
if [ ! -f "$NODE_DIR/node_modules/kubernetes-models/package.json" ]; then
  npm install --silent --no-audit --no-fund --prefix "$NODE_DIR" kubernetes-models@4 >/dev/null 2>&1 \
    || { echo "SKIP: cannot install kubernetes-models@4 with npm (offline?)"; exit 77; }
fi
export NODE_PATH=$NODE_DIR/node_modules

WORK=$(mktemp -d /tmp/decant-e2e-contrib-k8s.XXXXXX)
trap 'if [ "$ok" != 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi' EXIT
ok=0
MANIFEST="$SRC/contrib/kubernetes/decant-job.yaml"

echo "== schemas"
sed 's/NODE-NAME/worker-3/g' "$MANIFEST" > "$WORK/job.yaml"
python3 - "$WORK/job.yaml" "$WORK/objects.json" <<'PY'
import json, sys, yaml
json.dump([d for d in yaml.safe_load_all(open(sys.argv[1])) if d], open(sys.argv[2], "w"))
PY
node "$LIB/validate_k8s.js" "$WORK/objects.json"

echo "== what the Job needs to run decant against its node"
check() { jq -e "$1" "$WORK/objects.json" > /dev/null || fail "$2 ($1)"; echo "  ok: $2"; }
JOB='.[] | select(.kind == "Job") | .spec.template.spec'
check "[$JOB | select(.hostPID == true)] | length == 1" "hostPID: the node's processes"
check "[$JOB | select(.nodeName == \"worker-3\" and .restartPolicy == \"Never\")] | length == 1" "one named node, never restarted"
check "[$JOB | .containers[0].securityContext.privileged] == [true]" "privileged"
check "[$JOB | .volumes[] | select(.name == \"host\" and .hostPath.path == \"/\")] | length == 1" "the node's / as a hostPath"
check "[$JOB | .containers[0].volumeMounts[] | select(.name == \"host\" and .mountPath == \"/host\" and .readOnly == true)] | length == 1" "mounted read-only at /host"
check "[$JOB | .containers[0].env[] | select(.name == \"DECANT_ROOT\" and .value == \"/host\")] | length == 1" "decant --root /host (DECANT_ROOT)"
check "[.[] | select(.kind == \"Job\") | .spec.backoffLimit] == [0]" "a failed migration is not rerun blindly"

echo "== the Job's script against a stand-in decant"
python3 - "$WORK/objects.json" "$WORK/migrate.sh" <<'PY'
import json, sys
objects = json.load(open(sys.argv[1]))
cm = [o for o in objects if o["kind"] == "ConfigMap"][0]
open(sys.argv[2], "w").write(cm["data"]["migrate.sh"])
PY
sh -n "$WORK/migrate.sh" || fail "migrate.sh is not valid sh"
mkdir -p "$WORK/bin" "$WORK/var"
# The stand-in: inventory lists two applications, analyze of the first fails; every call is logged.
cat > "$WORK/bin/decant" <<'SH'
#!/bin/sh
echo "decant $*" >> "$CALLS"
case "$1" in
  inventory) echo '[{"applicationId":"java-tomcat-aaaa0001","pid":1},{"applicationId":"java-tomcat-bbbb0002","pid":2}]' ;;
  analyze) [ "$2" = java-tomcat-aaaa0001 ] && { echo "decant: error: no such process" >&2; exit 3; }; exit 0 ;;
  push) echo "$3@sha256:0123"; exit 0 ;;
  *) exit 0 ;;
esac
SH
chmod 755 "$WORK/bin/decant"
sed "s|/var/lib/decant|$WORK/var|g" "$WORK/migrate.sh" > "$WORK/migrate-local.sh"
set +e
CALLS="$WORK/calls" PATH="$WORK/bin:$PATH" NODE_NAME=worker-3 REGISTRY=reg.example/migrated TAG=1 \
  MOUNT_FROM=migrated/base sh "$WORK/migrate-local.sh" > "$WORK/run.out" 2>&1
rc=$?
set -e
cat "$WORK/run.out"
[ "$rc" = 1 ] || fail "the script exited $rc with one application failed, expected 1"
grep -q "java-tomcat-aaaa0001: FAILED" "$WORK/run.out" || fail "the failure is not reported"
grep -q "java-tomcat-bbbb0002: migrated to reg.example/migrated/java-tomcat-bbbb0002:1@sha256:0123" "$WORK/run.out" \
  || fail "the second application was not migrated after the first failed"
grep -qx "decant push $WORK/var/worker-3/java-tomcat-bbbb0002/image reg.example/migrated/java-tomcat-bbbb0002:1 --mount-from migrated/base" "$WORK/calls" \
  || { cat "$WORK/calls"; fail "push does not mount the shared layers from MOUNT_FROM"; }
grep -q "decant pack .* --reproducible" "$WORK/calls" || fail "pack is not --reproducible (layers would not dedupe)"
echo "  ok: one failed application, the next migrated, the Job fails"
ok=1
echo PASS
