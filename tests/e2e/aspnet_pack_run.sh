#!/usr/bin/env bash
# ctest: RESOURCE_LOCK=dotnet TIMEOUT=1200 LABELS=e2e
# Live ASP.NET Core migration: the app of aspnet_analyze.sh, started (a) as `dotnet App.dll`
# (loopback only, so the image must rebind) and (b) through its apphost, each analyzed, packed
# with `decant pack --rootfs`, and started from that root file system in fresh namespaces (its
# own network namespace, so it takes the same port while the source runs). The image must answer
# like the source: the same page, the same environment variable, the same working directory and
# user.
#
# Skips (77) when this build's `decant --help` lists no `pack` (the packer is separate work);
# aspnet_analyze.sh covers the analysis on its own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/decant-e2e-aspnet-pack-XXXXXX)
source "$here/lib/aspnet_app.bash"
RUN_PIDS=()
cleanup() {
  local p
  for p in "${RUN_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  aspnet_stop_all
  [ "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

aspnet_require_tools
# `decant pack --help` alone is no test: without the subcommand CLI11 prints the top-level help
# and succeeds. The subcommand list must name it.
"$DECANT" --help | sed -n '/^Subcommands:/,/^$/p' | grep -qE '^ +pack ' \
  || aspnet_skip "this decant has no 'pack' subcommand (the packer is not merged into this build)"
command -v bwrap >/dev/null || aspnet_skip "bwrap is missing (scripts/packages.txt installs bubblewrap)"
command -v nsenter >/dev/null || aspnet_skip "nsenter is missing (util-linux)"
bwrap --unshare-net --ro-bind / / true 2>/dev/null \
  || aspnet_skip "bwrap cannot create namespaces here (needs root or unprivileged user namespaces)"

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

answers() {  # answers [nsenter args...] BASE_URL: what the comparison looks at
  local base=${*: -1} path
  local -a prefix=("${@:1:$#-1}")
  for path in / /env/DECANT_E2E_MARKER /env/ASPNETCORE_URLS /whoami; do
    "${prefix[@]}" curl -fsS --max-time 5 "$base$path"
    echo
  done
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
  aspnet_run_rootfs "$WORK/$which/rootfs" "$WORK/$which/analysis.json" "$WORK/$which.run.log" \
    || { cat "$WORK/$which.run.log"; echo "FAIL: run ($which)"; exit 1; }
  RUN_PIDS+=("$ASPNET_RUN_PID")
  in_ns=(nsenter "--net=$ASPNET_RUN_NETNS")
  ok=""
  for ((i = 0; i < 360; i++)); do
    if "${in_ns[@]}" curl -fsS --max-time 2 "http://127.0.0.1:$port/" >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$ASPNET_RUN_PID" 2>/dev/null || break
    sleep 0.5
  done
  [ -n "$ok" ] || { cat "$WORK/$which.run.log"; echo "FAIL: the image ($which) did not answer on port $port"; exit 1; }
  answers "${in_ns[@]}" "http://127.0.0.1:$port" >"$WORK/$which.image.txt"
  # The source of (a) bound 127.0.0.1, the image all interfaces: the one expected difference,
  # visible in ASPNETCORE_URLS only when the rebinding went through it (it goes through argv).
  if diff -u "$WORK/$which.source.txt" "$WORK/$which.image.txt"; then
    echo "($which) the image answers like the source: $(tr '\n' '|' <"$WORK/$which.image.txt")"
  else
    echo "FAIL: ($which) the image answers differently"
    status=1
  fi
done
exit $status
