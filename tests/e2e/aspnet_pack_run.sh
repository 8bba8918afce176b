#!/usr/bin/env bash
# ctest: RESOURCE_LOCK=dotnet TIMEOUT=1200 LABELS=e2e
# Live ASP.NET Core migration checked by `decant verify`: the app of aspnet_analyze.sh, started
# (a) as `dotnet App.dll` on loopback (the image must rebind) and (b) through its apphost with a
# secret in its environment (DB_PASSWORD), each analyzed, packed and verified: the image runs in
# its sandbox on the source's port while the source runs, and answers /, /whoami and
# /env/<NAME> (the variables it echoes: a marker, ASPNETCORE_URLS, DOTNET_ROOT, and the secret,
# which only the secrets file supplies) like the source. Then a start command whose URL names
# another port: the analyzed port never opens, exit 10 naming it; and the secrets file moved
# away: exit 3 naming it. Nothing of a sandbox is left after any run.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /var/tmp/decant-e2e-aspnet-verify-XXXXXX)
source "$here/lib/aspnet_app.bash"
source "$here/lib/verify_checks.sh"
# verify's temporary trees go here (not the apps' own temporary files), to check none is left.
VT="$WORK/verify-tmp"
mkdir "$VT"
verify() { TMPDIR="$VT" "$DECANT" verify "$@"; }
cleanup() {
  aspnet_stop_all
  [ "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

aspnet_require_tools
[ "$(id -u)" = 0 ] || aspnet_skip "decant verify needs root for its namespaces and mounts"
command -v jq >/dev/null || aspnet_skip "jq is missing (scripts/packages.txt installs it)"

aspnet_build_app
p1=$(aspnet_free_port)
p2=$(aspnet_free_port)
while [ "$p2" = "$p1" ]; do p2=$(aspnet_free_port); done
cd "$WORK/pub"
DECANT_E2E_MARKER=muxer-run dotnet HelloDecant.dll --urls "http://127.0.0.1:$p1" >"$WORK/a.log" 2>&1 &
ASPNET_PIDS+=($!)
pid_a=$!
DB_PASSWORD='s3cr$t(1)' DECANT_E2E_MARKER=apphost-run ASPNETCORE_URLS="http://0.0.0.0:$p2" ./HelloDecant >"$WORK/b.log" 2>&1 &
ASPNET_PIDS+=($!)
pid_b=$!
cd /
aspnet_wait "http://127.0.0.1:$p1/" 180 || { cat "$WORK/a.log"; fail "(a) did not answer"; }
aspnet_wait "http://127.0.0.1:$p2/" 180 || { cat "$WORK/b.log"; fail "(b) did not answer"; }

probes=(--probe /whoami --probe /env/DECANT_E2E_MARKER --probe /env/ASPNETCORE_URLS --probe /env/DOTNET_ROOT --probe /env/DB_PASSWORD)
for which in a b; do
  pid_var=pid_$which
  if [ "$which" = a ]; then port=$p1; else port=$p2; fi
  "$DECANT" analyze "${!pid_var}" -o "$WORK/$which/analysis.json" 2>"$WORK/$which.analyze.log" \
    || { cat "$WORK/$which.analyze.log"; fail "analyze ($which)"; }
  "$DECANT" pack "$WORK/$which/analysis.json" -o "$WORK/$which/image" --tag "test/aspnet:$which" \
    >"$WORK/$which.pack.log" 2>&1 || { cat "$WORK/$which.pack.log"; fail "pack ($which)"; }
  rc=0
  verify "$WORK/$which/image" "${probes[@]}" --json >"$WORK/$which.verify.json" 2>"$WORK/$which.verify.err" || rc=$?
  [ "$rc" = 0 ] || { cat "$WORK/$which.verify.err"; jq . "$WORK/$which.verify.json"; fail "($which) verify: exit $rc"; }
  jq -e '.source.compared and ([.probes[] | select(.verdict == "same")] | length) == 6' "$WORK/$which.verify.json" > /dev/null \
    || { jq -c '.probes[] | {path, verdict, reason}' "$WORK/$which.verify.json"; fail "($which) not every path is the same"; }
  echo "($which) the image answers like the source on port $port: $(jq -c '[.probes[] | {path, verdict}]' "$WORK/$which.verify.json")"
  verify_left_nothing "$VT" "$WORK/" || exit 1
done
# The secret reached the image only through the secrets file, as the Deployment would give it.
jq -e '.env[] | select(.name == "DB_PASSWORD") | .secret' "$WORK/b/analysis.json" > /dev/null || fail "DB_PASSWORD is not a secret in the analysis"
! grep -rq 's3cr\$t' "$WORK/b/image" || fail "the secret's value is in the image"
! grep -q 's3cr' "$WORK/b.verify.err" "$WORK/b.verify.json" || fail "the secret's value is in verify's output"

echo "== a start command on another port: the analyzed port $p2 never opens"
p3=$(aspnet_free_port)
jq --arg url "http://0.0.0.0:$p3" '.env |= map(if .name == "ASPNETCORE_URLS" then .value = $url else . end)' \
  "$WORK/b/analysis.json" > "$WORK/b/wrong-port.json"
cp "$WORK/b/secrets.json" "$WORK/b/wrong-port.secrets.json" 2>/dev/null || true
"$DECANT" pack "$WORK/b/wrong-port.json" -o "$WORK/b/image-wrong" --tag test/aspnet:wrong >/dev/null 2>&1 || fail "pack (wrong port)"
rc=0
verify "$WORK/b/image-wrong" --analysis "$WORK/b/wrong-port.json" --timeout 30 >"$WORK/wrong.out" 2>"$WORK/wrong.err" || rc=$?
[ "$rc" = 10 ] || { cat "$WORK/wrong.out" "$WORK/wrong.err"; fail "wrong port: exit $rc, expected 10"; }
grep -q "port $p2 did not listen within 30 s" "$WORK/wrong.err" || fail "the closed port is not named: $(cat "$WORK/wrong.err")"
grep -q "Now listening on: http://0.0.0.0:$p3" "$WORK/wrong.out" || fail "the image's output is not shown: $(cat "$WORK/wrong.out")"
verify_left_nothing "$VT" "$WORK/" || exit 1

echo "== the secrets file the image needs is missing: exit 3 naming it"
mv "$WORK/b/secrets.json" "$WORK/b/secrets.json.away"
rc=0
verify "$WORK/b/image" >"$WORK/nosecrets.out" 2>"$WORK/nosecrets.err" || rc=$?
[ "$rc" = 3 ] || { cat "$WORK/nosecrets.err"; fail "missing secrets: exit $rc, expected 3"; }
grep -q "ENV_DB_PASSWORD.*$WORK/b/secrets.json" "$WORK/nosecrets.err" || fail "the secrets file is not named: $(cat "$WORK/nosecrets.err")"
! grep -q 's3cr' "$WORK/nosecrets.err" || fail "a secret value in a message"
rc=0
verify "$WORK/b/image" --secrets "$WORK/b/secrets.json.away" --against none --timeout 180 >/dev/null 2>"$WORK/override.err" || rc=$?
[ "$rc" = 0 ] || { cat "$WORK/override.err"; fail "--secrets FILE: exit $rc"; }
verify_left_nothing "$VT" "$WORK/" || exit 1
echo "PASS"
