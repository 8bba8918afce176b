#!/usr/bin/env bash
# contrib/ansible/migrate.yml with Debian's ansible against this machine (-c local), as two hosts
# with their own decant workspace and registry: the live tomcat10 migrated by `decant migrate` on
# both. The second host's registry is down at first: that host fails at the push and the first
# still completes (image in its registry, manifests and analysis on the control node); with the
# registry up, a second run leaves the completed job alone and resumes the other from its push,
# without redoing the analysis or the packing.
# ctest: RESOURCE_LOCK=tomcat10 TIMEOUT=1800 LABELS=e2e
set -euo pipefail
LIB="$(cd "$(dirname "$0")" && pwd)/lib"
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
source "$LIB/registry.sh"
source "$LIB/tomcat_source.sh"
need_tools ansible-playbook docker-registry curl python3
DECANT=$(readlink -f "${DECANT:-build/cli/decant}")
INIT=$(readlink -f "${DECANT_INIT:-$(dirname "$DECANT")/../init/decant-init}")
"$DECANT" migrate --help >/dev/null 2>&1 || { echo "SKIP: this build has no \`decant migrate\`"; exit 77; }
[ -x "$INIT" ] || { echo "SKIP: no decant-init at $INIT (build the decant-init target)"; exit 77; }
[ -d /usr/share/tomcat10 ] && id tomcat >/dev/null 2>&1 || { echo "SKIP: tomcat10 is not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: migrating Tomcat needs root"; exit 77; }

WORK=$(mktemp -d /tmp/decant-e2e-ansible.XXXXXX)
ok=0
trap 'stop_started; stop_tomcat_source; if [ "$ok" != 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi' EXIT
export XDG_CACHE_HOME=$WORK/cache ANSIBLE_LOCAL_TEMP=$WORK/ansible-tmp ANSIBLE_REMOTE_TEMP=$WORK/ansible-tmp
export ANSIBLE_NOCOLOR=1 ANSIBLE_RETRY_FILES_ENABLED=0 ANSIBLE_HOST_KEY_CHECKING=0
cd "$WORK"

rc=0; start_tomcat_source "$WORK/tomcat.log" || rc=$?
[ "$rc" = 0 ] || exit "$rc"
app=$("$DECANT" inventory --json | python3 -c "import json,sys; print(next(e['applicationId'] for e in json.load(sys.stdin) if e['pid'] == $SOURCE_PID))")
echo "tomcat10 is $app"

P1=$(free_port); P2=$(free_port)
write_registry_config reg1.yml "$WORK/storage1" "$P1"
write_registry_config reg2.yml "$WORK/storage2" "$P2"
start_registry reg1.yml "$P1" reg1.log

mkdir bin && ln -s "$DECANT" bin/decant && ln -s "$INIT" bin/decant-init
cat >hosts.ini <<INI
[servers]
host1 ansible_connection=local decant_registry=127.0.0.1:$P1 decant_workspace=$WORK/host1/workspace decant_install_prefix=$WORK/host1/prefix
host2 ansible_connection=local decant_registry=127.0.0.1:$P2 decant_workspace=$WORK/host2/workspace decant_install_prefix=$WORK/host2/prefix
[servers:vars]
ansible_python_interpreter=$(command -v python3)
INI
play() {
  # One host at a time (-f 1): two JVMs verified at once would only slow each other down.
  ansible-playbook -i hosts.ini "$SRC/contrib/ansible/migrate.yml" -f 1 \
    -e decant_build_dir="$WORK/bin" -e decant_insecure=true -e decant_install_dependencies=false \
    -e "{\"decant_applications\": [\"$app\"], \"decant_migrate_options\": [\"--reproducible\"]}" \
    -e decant_collect_dir="$WORK/collected" "$@"
}
# stage_end HOST STAGE: when the collected job.json says that stage ended.
stage_end() { python3 -c "import json; print(next(s.get('endedAt', '') for s in json.load(open('$WORK/collected/$1/$app/job.json'))['stages'] if s['name'] == '$2'))"; }
results() { python3 -c "import json,sys; r = json.load(open('$WORK/collected/$1/results.json')); print(r[0]$2)"; }

echo "== first run: host2's registry is down"
run1=0; play >play1.out 2>&1 || run1=$?
[ "$run1" != 0 ] || { cat play1.out; fail "the first run succeeded though host2's registry is down"; }
grep -q 'host1 .*failed=0' play1.out || { cat play1.out; fail "host1 failed"; }
grep -q 'host2 .*failed=1' play1.out || { cat play1.out; fail "host2 is not reported failed"; }
[ "$(results host1 "['state']")" = completed ] || { cat play1.out; fail "host1's job did not complete"; }
digest1=$(results host1 "['imageDigest']")
remote=$(curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$P1/v2/migrated/$app/manifests/1" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:"{print $2}')
[ -n "$digest1" ] && [ "$digest1" = "$remote" ] || fail "host1's job says $digest1, its registry $remote"
[ "$(results host2 "['state']")" = error ] || fail "host2's job is $(results host2 "['state']"), not error"
[ "$(results host2 "['stage']")" = push ] || fail "host2's job stopped at $(results host2 "['stage']"), not at the push"
for h in host1 host2; do
  [ -f "collected/$h/$app/job.json" ] && [ -f "collected/$h/$app/job.log" ] && [ -f "collected/$h/$app/analysis.json" ] \
    || fail "$h: job.json, job.log or analysis.json not collected"
  [ -z "$(find "collected/$h" -path '*/image/*' -o -name '*secrets.json' | head -1)" ] \
    || fail "$h: the image layout or a secrets file was copied to the control node"
  [ -x "$h/prefix/bin/decant" ] && [ -x "$h/prefix/lib/decant/decant-init" ] || fail "$h: decant not installed"
done
ls collected/host1/$app/deploy/kubernetes/*.yaml >/dev/null 2>&1 || fail "host1's manifests were not collected"
analyzed=$(stage_end host2 analyze)
packed=$(stage_end host2 pack)
[ -n "$analyzed" ] && [ -n "$packed" ] || fail "host2's job.json has no end of its analyze and pack stages"

echo "== second run: host2's registry is up"
start_registry reg2.yml "$P2" reg2.log
play >play2.out 2>&1 || { cat play2.out; fail "the second run failed"; }
grep -q 'host1 .*failed=0' play2.out && grep -q 'host2 .*failed=0' play2.out || { cat play2.out; fail "second run"; }
[ "$(results host1 "['action']")" = "left as it was (completed)" ] || fail "host1: $(results host1 "['action']")"
[ "$(results host1 "['imageDigest']")" = "$digest1" ] || fail "host1's digest changed"
[ "$(results host2 "['action']")" = resumed ] || fail "host2: $(results host2 "['action']")"
[ "$(results host2 "['state']")" = completed ] || fail "host2's job is $(results host2 "['state']")"
[ "$(stage_end host2 analyze)" = "$analyzed" ] || fail "host2's analysis was redone ($analyzed, then $(stage_end host2 analyze))"
[ "$(stage_end host2 pack)" = "$packed" ] || fail "host2's image was packed again ($packed, then $(stage_end host2 pack))"
njobs=$("$DECANT" --workspace "$WORK/host2/workspace" jobs --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
[ "$njobs" = 1 ] || fail "host2 has $njobs jobs, not the one resumed"
digest2=$(results host2 "['imageDigest']")
remote2=$(curl -sfI -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://127.0.0.1:$P2/v2/migrated/$app/manifests/1" | tr -d '\r' | awk 'tolower($1)=="docker-content-digest:"{print $2}')
[ "$digest2" = "$remote2" ] || fail "host2's job says $digest2, its registry $remote2"
echo "host1 $digest1 in $(grep -c . play1.out) lines of play output; host2 resumed to $digest2"
ok=1
echo PASS
