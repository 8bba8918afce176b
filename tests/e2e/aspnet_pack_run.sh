#!/usr/bin/env bash
# ctest: RESOURCE_LOCK=dotnet TIMEOUT=1200 LABELS=e2e
# Live ASP.NET Core migration: the app of aspnet_analyze.sh, started (a) as `dotnet App.dll`
# (loopback only, so the image must rebind) and (b) through its apphost, each analyzed, packed
# with `decant pack --rootfs`, and started from that root file system by the packer's
# scripts/run-rootfs in fresh PID, mount, UTS and network namespaces (a network namespace of its
# own, so it takes the same port while the source runs), as the analysis says: start command,
# working directory, user, environment and secrets. The image must answer like the source: the
# same page, the same environment variables, the same working directory and user.
#
# Skips (77) when this build's `decant --help` lists no `pack` or scripts/run-rootfs is missing
# (the packer is separate work); aspnet_analyze.sh covers the analysis on its own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source_dir=${DECANT_SOURCE_DIR:-$(cd "$here/../.." && pwd)}
runner="$source_dir/scripts/run-rootfs"
# Not below /tmp: run-rootfs mounts a fresh tmpfs on the image's /tmp, which would hide an
# application directory that lives there.
WORK=$(mktemp -d /var/tmp/decant-e2e-aspnet-pack-XXXXXX)
source "$here/lib/aspnet_app.bash"
RUN_PIDS=()
# run-rootfs execs `unshare --fork --kill-child`, which blocks SIGTERM while it waits for the
# namespace's PID 1 (util-linux 2.38): TERM first, then KILL, whose death takes the child along.
stop_runner() {
  local pid=$1 i
  kill "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 10; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local p
  for p in "${RUN_PIDS[@]}"; do stop_runner "$p"; done
  aspnet_stop_all
  [ "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

aspnet_require_tools
# `decant pack --help` alone is no test: without the subcommand CLI11 prints the top-level help
# and succeeds. The subcommand list must name it.
"$DECANT" --help | sed -n '/^Subcommands:/,/^$/p' | grep -qE '^ +pack ' \
  || aspnet_skip "this decant has no 'pack' subcommand (the packer is not merged into this build)"
[ -x "$runner" ] || aspnet_skip "$runner (the packer's namespace runner) is not in this tree"
[ "$(id -u)" = 0 ] || aspnet_skip "run-rootfs needs root for mounts and namespaces"
command -v jq >/dev/null || aspnet_skip "jq is missing (scripts/packages.txt installs it; run-rootfs needs it)"
command -v nsenter >/dev/null || aspnet_skip "nsenter is missing (util-linux)"

aspnet_build_app
p1=$(aspnet_free_port)
p2=$(aspnet_free_port)
while [ "$p2" = "$p1" ]; do p2=$(aspnet_free_port); done
cd "$WORK/pub"
DECANT_E2E_MARKER=muxer-run dotnet HelloDecant.dll --urls "http://127.0.0.1:$p1" >"$WORK/a.log" 2>&1 &
ASPNET_PIDS+=($!)
pid_a=$!
DECANT_E2E_MARKER=apphost-run ASPNETCORE_URLS="http://0.0.0.0:$p2" ./HelloDecant >"$WORK/b.log" 2>&1 &
ASPNET_PIDS+=($!)
pid_b=$!
cd /
aspnet_wait "http://127.0.0.1:$p1/" 180 || { cat "$WORK/a.log"; echo "FAIL: (a) did not answer"; exit 1; }
aspnet_wait "http://127.0.0.1:$p2/" 180 || { cat "$WORK/b.log"; echo "FAIL: (b) did not answer"; exit 1; }

answers() {  # answers [command prefix...] BASE_URL: what the comparison looks at
  local base=${*: -1} path
  local -a prefix=("${@:1:$#-1}")
  for path in / /env/DECANT_E2E_MARKER /env/ASPNETCORE_URLS /env/DOTNET_ROOT /whoami; do
    "${prefix[@]}" curl -fsS --max-time 5 "$base$path"
    echo
  done
}

# run-rootfs arguments from analysis.json: user, working directory, every non-secret variable
# (secret ones come from secrets.json), then the start command.
runner_args() {
  python3 - "$1" <<'PY'
import json, os, sys
a = json.load(open(sys.argv[1]))
out = ["--rootfs", "--user", f"{a['process']['uid']}:{a['process']['gid']}",
       "--workdir", a["start"]["workingDir"] or "/"]
secrets = os.path.join(os.path.dirname(sys.argv[1]), "secrets.json")
if os.path.exists(secrets):
    out += ["--secrets", secrets]
for var in a["env"]:
    if not var.get("secret"):
        out += ["--env", f"{var['name']}={var.get('value', '')}"]
out += ["ROOTFS", "--"] + a["start"]["command"]
sys.stdout.write("\0".join(out) + "\0")
PY
}

status=0
for which in a b; do
  pid_var=pid_$which
  if [ "$which" = a ]; then port=$p1; else port=$p2; fi
  answers "http://127.0.0.1:$port" >"$WORK/$which.source.txt"
  "$DECANT" analyze "${!pid_var}" -o "$WORK/$which/analysis.json" 2>"$WORK/$which.analyze.log" \
    || { cat "$WORK/$which.analyze.log"; echo "FAIL: analyze ($which)"; exit 1; }
  t0=$(date +%s)
  "$DECANT" pack "$WORK/$which/analysis.json" -o "$WORK/$which/image" --rootfs "$WORK/$which/rootfs" \
    >"$WORK/$which.pack.log" 2>&1 \
    || { cat "$WORK/$which.pack.log"; echo "FAIL: pack ($which)"; exit 1; }
  echo "($which) packed in $(($(date +%s) - t0))s: image $(du -sh "$WORK/$which/image" | cut -f1)," \
    "rootfs $(du -sh "$WORK/$which/rootfs" | cut -f1)"
  mapfile -d '' args < <(runner_args "$WORK/$which/analysis.json")
  for i in "${!args[@]}"; do [ "${args[i]}" = ROOTFS ] && args[i]="$WORK/$which/rootfs"; done
  "$runner" "${args[@]}" >"$WORK/$which.run.log" 2>&1 &
  run_pid=$!
  RUN_PIDS+=("$run_pid")
  in_ns=(nsenter --target "$run_pid" --net)
  # $! is the shell that execs run-rootfs and then unshare: until unshare has made the network
  # namespace, nsenter would enter the host's and reach the source instead.
  for ((i = 0; i < 100; i++)); do
    [ "$(readlink "/proc/$run_pid/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] && break
    sleep 0.1
  done
  ok=""
  for ((i = 0; i < 360; i++)); do
    if "${in_ns[@]}" curl -fsS --max-time 2 "http://127.0.0.1:$port/" >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$run_pid" 2>/dev/null || break
    sleep 0.5
  done
  [ -n "$ok" ] || { cat "$WORK/$which.run.log"; echo "FAIL: the image ($which) did not answer on port $port"; exit 1; }
  answers "${in_ns[@]}" "http://127.0.0.1:$port" >"$WORK/$which.image.txt"
  if diff -u "$WORK/$which.source.txt" "$WORK/$which.image.txt"; then
    echo "($which) the image answers like the source: $(tr '\n' '|' <"$WORK/$which.image.txt")"
  else
    echo "FAIL: ($which) the image answers differently"
    status=1
  fi
  stop_runner "$run_pid"
done
exit $status
