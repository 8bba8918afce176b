#!/usr/bin/env bash
# `decant migrate` of the live Debian tomcat10 into a docker-registry on 127.0.0.1 (started here):
#  1. one uninterrupted --reproducible job: completed, skopeo reads the image back with the job's
#     digest, the manifests validate against the Kubernetes schemas (kubernetes-models 4.x);
#  2. the same migration in a fresh workspace, killed with kill -9 during pack, during verify and
#     during push, each time continued with `decant jobs resume`: the job shows as interrupted,
#     completes with the same image digest as run 1, and leaves no temporary file;
#  3. `decant jobs cancel` during a (rate-limited) push: no process of the job is left, the
#     state is cancelled, the image layout is gone and the analysis kept;
#  4. --create-only then `decant jobs start`; a second job for the same application while the
#     first runs is refused naming the first;
#  5. jobs rm, resume of a completed job (exit 0, nothing done), unknown id (exit 3).
# ctest: RESOURCE_LOCK=tomcat10 TIMEOUT=2400 LABELS=e2e
set -euo pipefail
LIB="$(cd "$(dirname "$0")" && pwd)/lib"
source "$LIB/registry.sh"
source "$LIB/tomcat_source.sh"
need_tools docker-registry skopeo curl python3 node npm jq
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml is not installed"; exit 77; }
DECANT=${DECANT:-build/cli/decant}
DECANT=$(cd "$(dirname "$DECANT")" && pwd)/$(basename "$DECANT")
[ -d /usr/share/tomcat10 ] && id tomcat >/dev/null 2>&1 || { echo "SKIP: tomcat10 is not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: migrating Tomcat needs root (its files, namespaces for verify)"; exit 77; }
unshare --net --pid --mount --uts --ipc --fork true 2>/dev/null || { echo "SKIP: cannot create namespaces here (unshare failed)"; exit 77; }
BUILD=$(dirname "$(dirname "$DECANT")")
NODE_DIR=$BUILD/node
if [ ! -f "$NODE_DIR/node_modules/kubernetes-models/package.json" ]; then
  npm install --silent --no-audit --no-fund --prefix "$NODE_DIR" kubernetes-models@4 >/dev/null 2>&1 \
    || { echo "SKIP: cannot install kubernetes-models@4 with npm (offline?)"; exit 77; }
fi
export NODE_PATH=$NODE_DIR/node_modules

W=$(mktemp -d /var/tmp/decant-e2e-migrate.XXXXXX)
chmod 755 "$W"
export TMPDIR=$W/tmp
mkdir "$TMPDIR"
BG_PIDS=()
cleanup() {
  set +e
  for pid in "${BG_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  stop_started
  stop_tomcat_source
  if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W"; fi
}
trap cleanup EXIT
ok=0
fail() { echo "FAIL: $*"; exit 1; }
cd "$W"
export SOURCE_DATE_EPOCH=1700000000

start_tomcat_source "$W/tomcat.log" || exit $?
PORT=$(free_port)
write_registry_config reg.yml "$W/storage" "$PORT"
start_registry reg.yml "$PORT" reg.log
REG=127.0.0.1:$PORT

job_of() { ls -d "$1"/jobs/j-* 2>/dev/null | head -1 | xargs -r basename || true; }
field() { jq -r "$2" "$1"; }
# wait_state WS JOB STATE [DONE-BYTES]: until job.json says STATE (and progress.done >= N).
wait_state() {
  local i f="$1/jobs/$2/job.json"
  for i in $(seq 1200); do
    if [ -f "$f" ] && [ "$(jq -r .state "$f" 2>/dev/null)" = "$3" ] \
      && [ "$(jq -r '.progress.done // 0' "$f" 2>/dev/null)" -ge "${4:-0}" ]; then
      return 0
    fi
    sleep 0.1
  done
  jq . "$f" || true
  fail "job $2 did not reach $3"
}
# no_temporaries WS JOB: nothing half-written in the job's directory or the layer cache.
no_temporaries() {
  local left
  left=$(find "$1" \( -name '*.tmp*' -o -name '*.decant-tmp*' -o -name '.tmp-*' -o -path "$1/jobs/$2/tmp" \) 2>/dev/null || true)
  [ -z "$left" ] || fail "temporary files left: $left"
}
# validate DIR: all Kubernetes objects in DIR/kubernetes against kubernetes-models.
validate() {
  python3 - "$1" "$W/objects.json" <<'PY'
import glob, json, sys, yaml
docs = []
for f in sorted(glob.glob(sys.argv[1] + "/kubernetes/*.yaml")):
    if not f.endswith("kustomization.yaml"):
        docs += [d for d in yaml.safe_load_all(open(f)) if d]
json.dump(docs, open(sys.argv[2], "w"))
PY
  node "$LIB/validate_k8s.js" "$W/objects.json"
}

echo "== 1. uninterrupted migration of tomcat10 (PID $SOURCE_PID)"
start=$(date +%s.%N)
"$DECANT" --workspace "$W/ws1" migrate "$SOURCE_PID" --image "$REG/shop/tomcat:a" --insecure \
  --reproducible --name shop-web --label team=shop --label tier=web --checksum >run1.out 2>run1.err \
  || { cat run1.err; fail "migrate exited $?"; }
echo "migrate took $(python3 -c "import time; print(round(time.time() - $start, 1))") s"
tail -25 run1.err
J1=$(cat run1.out)
"$DECANT" --workspace "$W/ws1" jobs --json >jobs1.json
[ "$(field jobs1.json '.[0].state')" = completed ] || fail "job $J1 is not completed"
[ "$(field jobs1.json '.[0].name')" = shop-web ] || fail "the job's name is not shop-web"
D1=$(field jobs1.json '.[0].imageDigest')
SKOPEO=$(skopeo inspect --tls-verify=false "docker://$REG/shop/tomcat:a" | jq -r .Digest)
[ "$D1" = "$SKOPEO" ] || fail "job digest $D1, skopeo reads $SKOPEO"
skopeo inspect --tls-verify=false --config "docker://$REG/shop/tomcat:a" >/dev/null
grep -q 'team: shop' "$W/ws1/jobs/$J1/deploy/kubernetes/"*.yaml || fail "the label team=shop is not in the manifests"
validate "$W/ws1/jobs/$J1/deploy"
[ -s "$W/ws1/jobs/$J1/job.log" ] || fail "no job.log"
for s in analyze pack checksum verify push generate; do
  [ "$(jq -r ".stages[] | select(.name == \"$s\") | .state" "$W/ws1/jobs/$J1/job.json")" = done ] || fail "stage $s is not done"
done
grep -q "@$D1" run1.err || fail "the summary does not show REF@DIGEST"
no_temporaries "$W/ws1" "$J1"

echo "== 1b. resume of a completed job does nothing; an unknown job is exit 3"
"$DECANT" --workspace "$W/ws1" jobs resume "$J1" >resume-done.out 2>resume-done.err || fail "resume of a completed job exited $?"
grep -q "completed: nothing to do" resume-done.err || { cat resume-done.err; fail "resume of a completed job did not say so"; }
rc=0; "$DECANT" --workspace "$W/ws1" jobs show j-00000000 >/dev/null 2>unknown.err || rc=$?
[ "$rc" = 3 ] || fail "unknown job: exit $rc, expected 3"

echo "== 2. kill -9 during pack, verify and push; resume each time"
WS2=$W/ws2
"$DECANT" --workspace "$WS2" migrate "$SOURCE_PID" --image "$REG/resumed/tomcat:b" --insecure \
  --reproducible --name shop-web --label team=shop --label tier=web >run2.out 2>run2.err &
BG_PIDS+=($!); pid=$!
for _ in $(seq 600); do J2=$(job_of "$WS2"); [ -n "$J2" ] && break; sleep 0.1; done
[ -n "$J2" ] || fail "no job directory appeared"
wait_state "$WS2" "$J2" packing
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
[ "$("$DECANT" --workspace "$WS2" jobs --json | jq -r '.[0].state')" = interrupted ] || fail "a killed job does not show as interrupted"
echo "killed during pack; resuming"

"$DECANT" --workspace "$WS2" jobs resume "$J2" >resume1.out 2>resume1.err &
BG_PIDS+=($!); pid=$!
wait_state "$WS2" "$J2" verifying
sleep 2
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
# The sandbox of the killed verify is in its own PID namespace, whose init was decant's child:
# it dies with it. Nothing of the image may run on.
for _ in $(seq 100); do
  [ -z "$(pgrep -f "$WS2/jobs/$J2" || true)" ] && break; sleep 0.1
done
[ -z "$(pgrep -f "$WS2/jobs/$J2" || true)" ] || fail "processes of the killed verify remain: $(pgrep -af "$WS2/jobs/$J2")"
echo "killed during verify; resuming"
[ "$(jq -r '.stages[] | select(.name == "pack") | .state' "$WS2/jobs/$J2/job.json")" = done ] || fail "pack is not done after the first resume"

"$DECANT" --workspace "$WS2" jobs resume "$J2" --limit-mbps 40 >resume2.out 2>resume2.err &
BG_PIDS+=($!); pid=$!
wait_state "$WS2" "$J2" pushing 1000000
kill -9 "$pid"; wait "$pid" 2>/dev/null || true
echo "killed during push; resuming"
"$DECANT" --workspace "$WS2" jobs resume "$J2" --limit-mbps 10000 >resume3.out 2>resume3.err \
  || { cat resume3.err; fail "the last resume exited $?"; }
grep -E "^(pack|verify)" resume3.err && fail "the last resume redid pack or verify"
D2=$("$DECANT" --workspace "$WS2" jobs --json | jq -r '.[0].imageDigest')
[ "$("$DECANT" --workspace "$WS2" jobs --json | jq -r '.[0].state')" = completed ] || fail "resumed job not completed"
[ "$D2" = "$D1" ] || fail "resumed job's digest $D2 differs from the uninterrupted run's $D1"
no_temporaries "$WS2" "$J2"
echo "resumed three times: $D2"

echo "== 3. cancel during push"
"$DECANT" --workspace "$W/ws1" migrate "$SOURCE_PID" --image "$REG/cancelled/tomcat:c" --insecure \
  --reproducible --no-verify --limit-mbps 8 >run3.out 2>run3.err &
BG_PIDS+=($!); pid=$!
for _ in $(seq 600); do
  J3=$(ls -td "$W"/ws1/jobs/j-* | head -1 | xargs basename); [ "$J3" != "$J1" ] && break; sleep 0.1
done
wait_state "$W/ws1" "$J3" pushing 100000
echo "== 4a. a second job for the same application is refused while the first runs"
rc=0; "$DECANT" --workspace "$W/ws1" migrate "$SOURCE_PID" --image "$REG/shop/tomcat:d" --insecure >second.out 2>second.err || rc=$?
[ "$rc" != 0 ] || fail "a second job for the same application ran"
grep -q "$J3" second.err || { cat second.err; fail "the refusal does not name job $J3"; }
"$DECANT" --workspace "$W/ws1" jobs cancel "$J3" 2>cancel.err || { cat cancel.err; fail "cancel exited $?"; }
kill -0 "$pid" 2>/dev/null && fail "the job's process $pid still runs after cancel"
wait "$pid" 2>/dev/null || true
[ -z "$(pgrep -f "$W/ws1/jobs/$J3" || true)" ] || fail "processes of the job remain"
[ "$(jq -r .state "$W/ws1/jobs/$J3/job.json")" = cancelled ] || fail "state is not cancelled"
[ ! -e "$W/ws1/jobs/$J3/image" ] || fail "the partial image is still there"
[ -f "$W/ws1/jobs/$J3/analysis.json" ] || fail "the analysis was not kept"
rm -f second.err

echo "== 4b. --create-only, then jobs start"
"$DECANT" --workspace "$W/ws3" migrate "$SOURCE_PID" --image "$REG/shop/tomcat:e" --insecure \
  --no-verify --create-only >create.out 2>create.err || { cat create.err; fail "--create-only exited $?"; }
J4=$(cat create.out)
[ "$(jq -r .state "$W/ws3/jobs/$J4/job.json")" = created ] || fail "--create-only did not leave a created job"
"$DECANT" --workspace "$W/ws3" jobs start "$J4" >start.out 2>start.err || { cat start.err; fail "jobs start exited $?"; }
[ "$(jq -r .state "$W/ws3/jobs/$J4/job.json")" = completed ] || fail "started job is not completed"
"$DECANT" --workspace "$W/ws3" jobs rm "$J4"
[ ! -e "$W/ws3/jobs/$J4" ] || fail "jobs rm left the directory"

ok=1
echo "PASS"
