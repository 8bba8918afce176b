#!/usr/bin/env bash
# The migration job's pause and its source rule, on a tomcat10-instance-create instance with two
# webapps (ROOT and extra), pushed to a docker-registry on 127.0.0.1 started here:
#  1. `migrate --confirm` exits 0 with the job awaiting confirmation; `jobs resume` refuses it;
#     the operator excludes the webapp "extra" in the job's analysis.json; `jobs confirm` goes
#     on and the pushed image has ROOT but not extra;
#  2. a second --confirm job; the instance is restarted (new PID) before confirming: `jobs
#     confirm` fails with exit 7 naming the old PID, the job is in state error, and `jobs resume`
#     refuses with exit 7 and the hint to --reanalyze;
#  3. `jobs resume --reanalyze` analyzes the new process, shows what changed (the PID), waits for
#     confirmation again, and `jobs confirm` then completes the job and pushes its image.
# ctest: RESOURCE_LOCK=tomcat10 TIMEOUT=1500 LABELS=e2e
set -euo pipefail
LIB="$(cd "$(dirname "$0")" && pwd)/lib"
source "$LIB/registry.sh"
need_tools docker-registry skopeo curl python3 jq setpriv tomcat10-instance-create
DECANT=${DECANT:-build/cli/decant}
DECANT=$(cd "$(dirname "$DECANT")" && pwd)/$(basename "$DECANT")
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (starting tomcat as user tomcat, reading its files)"; exit 77; }
command -v java >/dev/null || { echo "SKIP: no java"; exit 77; }

W=$(mktemp -d /var/tmp/decant-e2e-migrate-confirm.XXXXXX)
chmod 755 "$W"
export TMPDIR=$W/tmp
mkdir "$TMPDIR"
fail() { echo "FAIL: $*"; exit 1; }
source "$LIB/tomcat_instances.sh"
cleanup() {
  set +e
  stop_instances
  stop_started
  if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W"; fi
}
trap cleanup EXIT
ok=0
cd "$W"

PORT=$(free_port)
write_registry_config reg.yml "$W/storage" "$PORT"
start_registry reg.yml "$PORT" reg.log
REG=127.0.0.1:$PORT

http=$(free_port); shutdown=$(free_port)
tomcat10-instance-create -p "$http" -c "$shutdown" "$W/app" >/dev/null
mkdir -p "$W/app/webapps/ROOT" "$W/app/webapps/extra"
echo '<html><body>root of decant-e2e</body></html>' >"$W/app/webapps/ROOT/index.html"
echo '<html><body>extra webapp</body></html>' >"$W/app/webapps/extra/index.html"
start_instance app
pid=${INSTANCE_PIDS[-1]}
wait_instance app "$http" "$pid"

echo "== 1. --confirm, edit, confirm"
"$DECANT" --workspace "$W/ws" migrate "$pid" --image "$REG/shop/app:1" --insecure --no-verify \
  --confirm >confirm.out 2>confirm.err || { cat confirm.err; fail "migrate --confirm exited $?"; }
J=$(cat confirm.out)
[ "$(jq -r .state "$W/ws/jobs/$J/job.json")" = awaiting-confirmation ] || fail "the job does not await confirmation"
rc=0; "$DECANT" --workspace "$W/ws" jobs resume "$J" >/dev/null 2>resume-waiting.err || rc=$?
[ "$rc" = 2 ] || { cat resume-waiting.err; fail "resume of a job awaiting confirmation: exit $rc, expected 2"; }
A="$W/ws/jobs/$J/analysis.json"
jq --arg p "$W/app/webapps/extra" '.exclude += [{"path": $p, "reason": "not migrated"}]' "$A" >"$A.new"
mv "$A.new" "$A"
"$DECANT" --workspace "$W/ws" jobs confirm "$J" >confirmed.out 2>confirmed.err || { cat confirmed.err; fail "jobs confirm exited $?"; }
[ "$(jq -r .state "$W/ws/jobs/$J/job.json")" = completed ] || fail "the confirmed job is not completed"
skopeo copy --quiet --src-tls-verify=false "docker://$REG/shop/app:1" oci:copy:app
listing=$(for layer in $(jq -r '.layers[].digest' "copy/blobs/sha256/$(jq -r '.manifests[0].digest' copy/index.json | cut -d: -f2)"); do
  tar -tzf "copy/blobs/sha256/${layer#sha256:}"
done)
grep -q "webapps/ROOT/index.html" <<<"$listing" || fail "the image has no ROOT webapp"
grep -q "webapps/extra" <<<"$listing" && fail "the image has the excluded webapp"
rc=0; "$DECANT" --workspace "$W/ws" jobs confirm "$J" >/dev/null 2>confirm-again.err || rc=$?
[ "$rc" = 2 ] || fail "confirm of a completed job: exit $rc, expected 2"

echo "== 2. the source restarts before the job goes on"
"$DECANT" --workspace "$W/ws" migrate "$pid" --image "$REG/shop/app:2" --insecure --no-verify \
  --confirm >restart.out 2>restart.err || { cat restart.err; fail "migrate --confirm exited $?"; }
J2=$(cat restart.out)
stop_instances || true
INSTANCE_PIDS=()
start_instance app
pid2=${INSTANCE_PIDS[-1]}
wait_instance app "$http" "$pid2"
rc=0; "$DECANT" --workspace "$W/ws" jobs confirm "$J2" >/dev/null 2>restarted.err || rc=$?
cat restarted.err
[ "$rc" = 7 ] || fail "confirm after a restart: exit $rc, expected 7"
grep -q "restarted during the migration (PID $pid " restarted.err || fail "the message does not name the old PID $pid"
[ "$(jq -r .state "$W/ws/jobs/$J2/job.json")" = error ] || fail "the job is not in state error"
[ "$(jq -r .error.code "$W/ws/jobs/$J2/job.json")" = 7 ] || fail "job.json's error code is not 7"
rc=0; "$DECANT" --workspace "$W/ws" jobs resume "$J2" >/dev/null 2>resume-restarted.err || rc=$?
[ "$rc" = 7 ] || fail "resume after a restart: exit $rc, expected 7"
grep -q -- "--reanalyze" resume-restarted.err || fail "resume's refusal does not name --reanalyze"
[ ! -e "$W/ws/jobs/$J2/image" ] || fail "a job stopped before packing has an image"

echo "== 3. resume --reanalyze: the new process, what changed, and the job goes on"
"$DECANT" --workspace "$W/ws" jobs resume "$J2" --reanalyze >reanalyzed.out 2>reanalyzed.err \
  || { cat reanalyzed.err; fail "resume --reanalyze exited $?"; }
cat reanalyzed.err
grep -q "what changed since the previous analysis" reanalyzed.err || fail "resume --reanalyze does not show what changed"
grep -q "$pid2" reanalyzed.err || fail "the change does not name the new PID $pid2"
[ "$(jq -r .state "$W/ws/jobs/$J2/job.json")" = awaiting-confirmation ] || fail "the reanalyzed --confirm job does not wait for confirmation again"
[ "$(jq -r .source.pid "$W/ws/jobs/$J2/job.json")" = "$pid2" ] || fail "the job does not watch the new PID $pid2"
"$DECANT" --workspace "$W/ws" jobs confirm "$J2" >confirmed2.out 2>confirmed2.err || { cat confirmed2.err; fail "confirm after --reanalyze exited $?"; }
[ "$(jq -r .state "$W/ws/jobs/$J2/job.json")" = completed ] || fail "the reanalyzed job is not completed"
skopeo inspect --tls-verify=false "docker://$REG/shop/app:2" >/dev/null || fail "the reanalyzed job's image is not in the registry"

ok=1
echo "PASS"
