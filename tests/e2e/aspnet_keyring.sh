#!/usr/bin/env bash
# ctest: RESOURCE_LOCK=dotnet TIMEOUT=1200 LABELS=e2e
# An MVC app's data-protection key ring, live: `dotnet new mvc` (with one endpoint that protects
# a string, so the key ring is written as any form or cookie would) runs as www-data with its
# HOME under the test directory. The analysis marks ~/.aspnet/DataProtection-Keys secret and
# warns; `decant pack --externalize-secrets` leaves it out; `decant generate
# --externalize-secrets --replicas 2` succeeds (it used to fail on the directory) and makes the
# key ring a writable ReadWriteMany PersistentVolumeClaim with the source's key files mounted
# into it read-only from the Secret, readable by the non-root app through fsGroup; every object
# validates against the Kubernetes schemas. Only the processes this script starts are stopped.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /var/tmp/decant-e2e-keyring-XXXXXX)
chmod 755 "$WORK"
source "$here/lib/aspnet_app.bash"
source "$here/lib/kubernetes_validate.sh"
cleanup() {
  aspnet_stop_all
  if [ "${ok:-0}" = 1 ]; then rm -rf "$WORK"; else echo "kept $WORK for inspection"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

aspnet_require_tools
[ "$(id -u)" = 0 ] || aspnet_skip "needs root (runs the app as www-data, reads its /proc)"
command -v jq >/dev/null || aspnet_skip "jq is missing"
id www-data >/dev/null 2>&1 || aspnet_skip "no user www-data"
k8s_validate_setup "$DECANT" || exit $?

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DOTNET_CLI_HOME="$WORK/dotnet-home" NUGET_PACKAGES="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
mkdir -p "$DOTNET_CLI_HOME"
dotnet new mvc -n KeyRing -o "$WORK/src" --no-restore > "$WORK/build.log" 2>&1 || { cat "$WORK/build.log"; fail "dotnet new mvc"; }
# One endpoint that uses data protection, as the antiforgery token of a form or a cookie does.
sed -i -e '1i using Microsoft.AspNetCore.DataProtection;' \
  -e 's|^app.Run();|app.MapGet("/protect", (IDataProtectionProvider p) => p.CreateProtector("decant").Protect("hello"));\napp.Run();|' "$WORK/src/Program.cs"
grep -q '/protect' "$WORK/src/Program.cs" || fail "could not add the /protect endpoint"
dotnet publish "$WORK/src/KeyRing.csproj" -c Release -o "$WORK/pub" -p:NuGetAudit=false >> "$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; fail "dotnet publish"; }
mkdir -p "$WORK/home"
chown -R www-data:www-data "$WORK/pub" "$WORK/home"
port=$(aspnet_free_port)
cd "$WORK/pub"
setpriv --reuid www-data --regid www-data --init-groups env -i PATH=/usr/bin:/bin HOME="$WORK/home" \
  ASPNETCORE_URLS="http://0.0.0.0:$port" dotnet KeyRing.dll > "$WORK/app.log" 2>&1 &
ASPNET_PIDS+=($!)
pid=$!
aspnet_wait "http://127.0.0.1:$port/" 120 || { tail -20 "$WORK/app.log"; fail "the MVC app did not answer"; }
curl -fsS "http://127.0.0.1:$port/protect" > /dev/null || fail "/protect"
keys="$WORK/home/.aspnet/DataProtection-Keys"
ls "$keys"/key-*.xml > /dev/null 2>&1 || fail "the app wrote no key to $keys"
echo "the MVC app (PID $pid, www-data) keeps $(ls "$keys" | wc -l) key(s) in $keys"

"$DECANT" analyze "$pid" -o "$WORK/out/analysis.json" 2> "$WORK/analyze.err" || { cat "$WORK/analyze.err"; fail "decant analyze"; }
A="$WORK/out/analysis.json"
jq -e --arg k "$keys" '[.files[] | select(.path == $k and .secret)] | length == 1' "$A" > /dev/null || fail "the key ring is not a secret files[] entry"
jq -e '[.warnings[] | select(.code == "data-protection-keys")] | length == 1' "$A" > /dev/null || fail "no data-protection-keys warning"
echo "  ok: the key ring is marked secret, with a warning"

"$DECANT" pack "$A" --rootfs "$WORK/rootfs" --externalize-secrets > /dev/null 2> "$WORK/pack.err" || { cat "$WORK/pack.err"; fail "pack"; }
[ ! -e "$WORK/rootfs$keys" ] || [ -z "$(ls -A "$WORK/rootfs$keys")" ] || fail "the keys are in the image"
echo "  ok: the image holds no key"

"$DECANT" generate "$A" --image 127.0.0.1:5000/keyring:1 -o "$WORK/deploy" --replicas 2 --externalize-secrets > /dev/null 2> "$WORK/generate.err" || { cat "$WORK/generate.err"; fail "generate --externalize-secrets"; }
k8s_validate "$WORK/deploy" > "$WORK/validate.out" || { cat "$WORK/validate.out"; fail "an object does not validate"; }
python3 - "$WORK/deploy/kubernetes" "$keys" "$(id -g www-data)" <<'PY'
import base64, glob, os, sys, yaml
kube, keys, gid = sys.argv[1], sys.argv[2], int(sys.argv[3])
docs = {}
for f in glob.glob(kube + "/*.yaml"):
    for d in yaml.safe_load_all(open(f)):
        if d and "kind" in d:
            docs.setdefault(d["kind"], []).append(d)
pod = docs["Deployment"][0]["spec"]["template"]["spec"]
mounts = pod["containers"][0]["volumeMounts"]
volumes = {v["name"]: v for v in pod["volumes"]}
ring = [m for m in mounts if m["mountPath"] == keys]
assert len(ring) == 1 and not ring[0].get("readOnly"), ("the key ring is not a writable mount", mounts)
claim = volumes[ring[0]["name"]]["persistentVolumeClaim"]["claimName"]
pvc = [p for p in docs["PersistentVolumeClaim"] if p["metadata"]["name"] == claim]
assert pvc and pvc[0]["spec"]["accessModes"] == ["ReadWriteMany"], ("no shared claim", pvc)
files = sorted(os.listdir(keys))
seeded = sorted(m["mountPath"][len(keys) + 1:] for m in mounts if m["mountPath"].startswith(keys + "/"))
assert seeded == files, ("the source's keys are not all mounted", seeded, files)
assert all(m.get("readOnly") for m in mounts if m["mountPath"].startswith(keys + "/"))
secret = [s for s in docs["Secret"] if s["metadata"]["name"].endswith("-files")][0]
for m in mounts:
    if m["mountPath"].startswith(keys + "/"):
        assert base64.b64decode(secret["data"][m["subPath"]]) == open(m["mountPath"], "rb").read()
assert pod["securityContext"]["fsGroup"] == gid and pod["securityContext"]["runAsUser"] != 0, pod["securityContext"]
print(f"  ok: {keys} is the writable ReadWriteMany claim {claim}, seeded with {len(files)} key file(s) "
      f"from the Secret (read-only, fsGroup {gid} for the non-root app)")
PY
echo "  ok: every object validates ($(grep -c '^valid' "$WORK/validate.out") objects)"
ok=1
echo PASS
