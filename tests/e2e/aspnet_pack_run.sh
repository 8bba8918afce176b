#!/usr/bin/env bash
# ctest: RESOURCE_LOCK=dotnet TIMEOUT=1200 LABELS=e2e
# Live ASP.NET Core migration: the app of aspnet_analyze.sh, started (a) as `dotnet App.dll` and
# (b) through its apphost, each analyzed, packed with `decant pack`, and run from the image's
# root file system in fresh namespaces by the packer's rootfs runner; the image must answer like
# the source: the same page, the same environment variable, the same working directory and user.
#
# Skips (77) when this build's `decant --help` lists no `pack` or no rootfs runner yet (the packer is a
# separate piece of work); aspnet_analyze.sh covers the analysis on its own.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/decant-e2e-aspnet-pack-XXXXXX)
source "$here/lib/aspnet_app.bash"
RUNNER_PIDS=()
trap 'for p in "${RUNNER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; aspnet_stop_all; [ "${KEEP:-}" ] || rm -rf "$WORK"' EXIT

aspnet_require_tools
# `decant pack --help` alone is no test: without the subcommand CLI11 prints the top-level help
# and succeeds. The subcommand list must name it.
"$DECANT" --help | sed -n '/^Subcommands:/,/^$/p' | grep -qE '^ +pack ' \
  || aspnet_skip "this decant has no 'pack' subcommand (the packer is not merged into this build)"
runner="$here/lib/rootfs_runner.bash"
[ -f "$runner" ] \
  || aspnet_skip "the packer's rootfs runner ($runner) is not in this tree; it starts a packed rootfs in fresh namespaces"
source "$runner"

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

answers() {  # answers BASE_URL: what the comparison looks at
  curl -fsS --max-time 5 "$1/"
  echo
  curl -fsS --max-time 5 "$1/env/DECANT_E2E_MARKER"
  echo
  curl -fsS --max-time 5 "$1/whoami"
  echo
}

status=0
for which in a b; do
  pid_var=pid_$which
  port_var=p${which/a/1}
  [ "$which" = b ] && port_var=p2
  port=${!port_var}
  answers "http://127.0.0.1:$port" >"$WORK/$which.source.txt"
  "$DECANT" analyze "${!pid_var}" -o "$WORK/$which/analysis.json" 2>"$WORK/$which.analyze.log" \
    || { cat "$WORK/$which.analyze.log"; echo "FAIL: analyze ($which)"; exit 1; }
  t0=$(date +%s)
  "$DECANT" pack "$WORK/$which/analysis.json" -o "$WORK/$which/image" >"$WORK/$which.pack.log" 2>&1 \
    || { cat "$WORK/$which.pack.log"; echo "FAIL: pack ($which)"; exit 1; }
  echo "($which) packed in $(($(date +%s) - t0))s: $(du -sh "$WORK/$which/image" | cut -f1)"
  # The source keeps its port; the image answers on its own network namespace through the
  # runner, which prints the base URL to reach it.
  url=$(rootfs_runner_start "$WORK/$which/image" "$port" "$WORK/$which.run.log") \
    || { cat "$WORK/$which.run.log"; echo "FAIL: run ($which)"; exit 1; }
  RUNNER_PIDS+=("$ROOTFS_RUNNER_PID")
  aspnet_wait "$url/" 180 || { cat "$WORK/$which.run.log"; echo "FAIL: the image ($which) did not answer"; exit 1; }
  answers "$url" >"$WORK/$which.image.txt"
  if diff -u "$WORK/$which.source.txt" "$WORK/$which.image.txt"; then
    echo "($which) the image answers like the source"
  else
    echo "FAIL: ($which) the image answers differently"
    status=1
  fi
done
exit $status
