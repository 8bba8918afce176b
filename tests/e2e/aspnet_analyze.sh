#!/usr/bin/env bash
# ctest: RESOURCE_LOCK=dotnet TIMEOUT=900 LABELS=e2e
# Live ASP.NET Core analysis: builds a minimal web app with the machine's .NET SDK (offline),
# starts it (a) as `dotnet App.dll --urls http://127.0.0.1:<port>` and (b) through its apphost
# with ASPNETCORE_URLS=http://0.0.0.0:<port>, and checks what `decant analyze <pid>` finds:
# launch shape, ports cross-checked with the socket, frameworks in use (= the installed runtime
# the process maps), the file set, start command, environment, the localhost rebinding.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/decant-e2e-aspnet-XXXXXX)
source "$here/lib/aspnet_app.bash"
trap 'aspnet_stop_all; [ "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

aspnet_require_tools
start=$(date +%s)
aspnet_build_app
echo "built the app in $(($(date +%s) - start))s"

p1=$(aspnet_free_port)
p2=$(aspnet_free_port)
while [ "$p2" = "$p1" ]; do p2=$(aspnet_free_port); done

cd "$WORK/pub"
# (a) through the muxer, loopback only; (b) the apphost on all interfaces. `exec` in the
# subshell-free `&` form makes $! the application's own PID.
DECANT_E2E_MARKER=muxer-run dotnet HelloDecant.dll --urls "http://127.0.0.1:$p1" >"$WORK/a.log" 2>&1 &
ASPNET_PIDS+=($!)
pid_a=$!
DECANT_E2E_MARKER=apphost-run ASPNETCORE_URLS="http://0.0.0.0:$p2" ./HelloDecant >"$WORK/b.log" 2>&1 &
ASPNET_PIDS+=($!)
pid_b=$!
cd /

for pair in "$p1:$pid_a" "$p2:$pid_b"; do
  port=${pair%%:*}
  aspnet_wait "http://127.0.0.1:$port/" 180 \
    || { cat "$WORK"/a.log "$WORK"/b.log; echo "FAIL: the app on port $port did not answer in 180s"; exit 1; }
done
echo "both instances answer (muxer PID $pid_a port $p1, apphost PID $pid_b port $p2)"

for which in a b; do
  pid_var=pid_$which
  t0=$(date +%s%N)
  "$DECANT" analyze "${!pid_var}" -o "$WORK/$which/analysis.json" 2>"$WORK/$which.stderr" \
    || { cat "$WORK/$which.stderr"; echo "FAIL: decant analyze ${!pid_var}"; exit 1; }
  echo "analyze $which took $((($(date +%s%N) - t0) / 1000000)) ms"
  cat "$WORK/$which.stderr"
done

runtimes=$(dotnet --list-runtimes)
WORK="$WORK" P1=$p1 P2=$p2 RUNTIMES="$runtimes" python3 - <<'PY'
import json, os, sys

work, p1, p2 = os.environ["WORK"], int(os.environ["P1"]), int(os.environ["P2"])
installed = {}
for line in os.environ["RUNTIMES"].splitlines():
    name, version, path = line.split(" ", 2)
    installed.setdefault(name, []).append(version)
pub = os.path.realpath(work + "/pub")
failures = []

def check(cond, what):
    if not cond:
        failures.append(what)

def env_of(a):
    return {e["name"]: e.get("value") for e in a["env"]}

ids = []
for which, port, launch, marker in [("a", p1, "muxer", "muxer-run"), ("b", p2, "apphost", "apphost-run")]:
    a = json.load(open(f"{work}/{which}/analysis.json"))
    rt = a["runtime"]
    ids.append(a["applicationId"])
    tag = f"({which}: {launch})"
    check(a["applicationType"] == "dotnet-aspnetcore", f"{tag} applicationType {a['applicationType']}")
    check(rt["launch"] == launch, f"{tag} launch {rt['launch']}")
    check(rt["tfm"].startswith("net"), f"{tag} tfm {rt['tfm']}")
    for fx in rt["frameworks"]:
        check(fx["version"] in installed.get(fx["name"], []),
              f"{tag} framework {fx['name']} {fx['version']} not among installed {installed.get(fx['name'])}")
        check(fx["resolvedFrom"] == "maps", f"{tag} {fx['name']} not resolved from maps")
    names = [fx["name"] for fx in rt["frameworks"]]
    check(names == ["Microsoft.NETCore.App", "Microsoft.AspNetCore.App"], f"{tag} frameworks {names}")
    ports = [(p["port"], p["listening"], p["expose"]) for p in a["ports"]]
    check(ports == [(port, True, True)], f"{tag} ports {ports}, expected [({port}, True, True)]")
    paths = [f["path"] for f in a["files"]]
    check(pub in paths, f"{tag} app directory {pub} not in files")
    for fx in rt["frameworks"]:
        check(fx["path"] in paths, f"{tag} {fx['path']} not in files")
    check(any("/host/fxr/" in p for p in paths), f"{tag} no host/fxr in files")
    check(any(p.endswith("/dotnet") and f.get("role") == "runtime" for p, f in zip(paths, a["files"])),
          f"{tag} the dotnet muxer is not in files")
    check(any("libc.so" in p for p in paths), f"{tag} mapped libc not in files")
    check(any("libssl.so" in l["path"] for l in rt["lazyLibraries"]), f"{tag} libssl not among lazy libraries")
    check(os.path.realpath(a["start"]["workingDir"]) == pub, f"{tag} workingDir {a['start']['workingDir']}")
    env = env_of(a)
    check(env.get("DECANT_E2E_MARKER") == marker, f"{tag} DECANT_E2E_MARKER {env.get('DECANT_E2E_MARKER')}")
    cmd = a["start"]["command"]
    if launch == "muxer":
        check(cmd[0].endswith("/dotnet") and os.path.isabs(cmd[0]), f"{tag} argv[0] {cmd[0]}")
        check(cmd[1:] == ["HelloDecant.dll", "--urls", f"http://+:{p1}"],
              f"{tag} start command {cmd} should rebind --urls to all interfaces")
        check(any(w["code"] == "localhost-only" for w in a["warnings"]), f"{tag} no localhost-only warning")
    else:
        check(os.path.realpath(cmd[0]) == pub + "/HelloDecant", f"{tag} argv[0] {cmd[0]}")
        check(env.get("ASPNETCORE_URLS") == f"http://0.0.0.0:{p2}", f"{tag} ASPNETCORE_URLS {env.get('ASPNETCORE_URLS')}")
        check(not any(w["code"] == "localhost-only" for w in a["warnings"]), f"{tag} unexpected localhost warning")
    check(any(w["code"] == "iis-not-migrated" for w in a["warnings"]), f"{tag} web.config warning missing")
    print(f"{tag} {a['applicationId']}: ASP.NET Core {rt['version']} ({rt['tfm']}), "
          f"{len(a['files'])} files, ports {[p['port'] for p in a['ports']]}")
check(ids[0] != ids[1], f"the two instances share an id {ids[0]}")
if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print("PASS")
PY
