#!/usr/bin/env bash
# decant-init for real: a static executable; exit status of the main child (code and 128+signal);
# SIGTERM forwarded to the child's process group and to daemons that detached into their own
# session (adopted: subreaper); orphans reaped (no zombie left); --exec-as drops to a numeric
# user; as PID 1 in fresh namespaces (bwrap --as-pid-1) an entry script's service is stopped by
# SIGTERM through it.
# ctest: TIMEOUT=300 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
INIT="${DECANT_INIT:-$(dirname "$DECANT")/../init/decant-init}"
[ -x "$INIT" ] || { echo "SKIP: $INIT not built"; exit 77; }
W="$(mktemp -d /tmp/decant-e2e-init.XXXXXX)"
cleanup() { if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

echo "== static"
file "$INIT" 2>/dev/null | grep -q 'statically linked' || ! ldd "$INIT" >/dev/null 2>&1 || fail "decant-init is dynamically linked"

echo "== exit status"
set +e
"$INIT" -- sh -c 'exit 3'; [ $? = 3 ] || fail "exit 3 not passed on"
"$INIT" -- sh -c 'kill -KILL $$'; [ $? = 137 ] || fail "killed by SIGKILL should give 137"
"$INIT" -- /nonexistent/program 2>/dev/null; [ $? = 127 ] || fail "missing program should give 127"
"$INIT" 2>/dev/null; [ $? = 2 ] || fail "no program: usage exit 2"
set -e

echo "== SIGTERM reaches the main child's group and a detached daemon"
"$INIT" -- sh -c '
  setsid sh -c "trap \"echo daemon > $0/daemon-got-term; exit 0\" TERM; while :; do sleep 0.1; done" &
  trap "echo main > $0/main-got-term; exit 42" TERM
  while :; do sleep 0.1; done' "$W" &
init_pid=$!
sleep 1.5
kill -TERM "$init_pid"
set +e; wait "$init_pid"; code=$?; set -e
[ "$code" = 42 ] || fail "status after SIGTERM: $code"
[ -f "$W/main-got-term" ] || fail "main child did not get SIGTERM"
for _ in $(seq 50); do [ -f "$W/daemon-got-term" ] && break; sleep 0.1; done
[ -f "$W/daemon-got-term" ] || fail "detached daemon did not get SIGTERM"

echo "== orphans are reaped"
"$INIT" -- sh -c '( sh -c "sleep 0.3" & ) ; sleep 2' &
init_pid=$!
sleep 1.2
zombies=0
for stat in /proc/[0-9]*/stat; do
  read -r _ _ state ppid _ < "$stat" 2>/dev/null || continue
  [ "$ppid" = "$init_pid" ] && [ "$state" = Z ] && zombies=$((zombies+1))
done
wait "$init_pid"
[ "$zombies" = 0 ] || fail "$zombies zombies left under decant-init"

echo "== --exec-as"
[ "$("$INIT" --exec-as 65534:65534 -- id -u)" = 65534 ] || fail "--exec-as uid"
[ "$("$INIT" --exec-as 65534:65534 -- id -G)" = 65534 ] || fail "--exec-as groups not cleared"
set +e; "$INIT" --exec-as nobody -- true 2>/dev/null; code=$?; set -e
[ "$code" = 2 ] || fail "--exec-as nobody: exit $code (numbers only)"

echo "== PID 1 in fresh namespaces: a service stopped by SIGTERM through the init"
if command -v bwrap >/dev/null && bwrap --ro-bind / / --dev /dev --proc /proc --unshare-pid --as-pid-1 true 2>/dev/null; then
  cat > "$W/entry.sh" <<'SCRIPT'
#!/bin/sh
# Like the generated entry script: the service stops on the forwarded SIGTERM, the script
# waits for it and exits with its status.
trap 'stopping=1' TERM
( trap 'echo stopped > "$OUT/service-stopped"; exit 0' TERM; echo $$ > "$OUT/pid1"; while :; do sleep 0.1; done ) &
pid=$!
while :; do wait $pid; code=$?; kill -0 $pid 2>/dev/null || break; done
exit $code
SCRIPT
  chmod +x "$W/entry.sh"
  OUT="$W" bwrap --ro-bind / / --bind "$W" "$W" --dev /dev --proc /proc --unshare-pid --as-pid-1 \
    "$INIT" -- "$W/entry.sh" &
  bw=$!
  for _ in $(seq 50); do [ -f "$W/pid1" ] && break; sleep 0.1; done
  sleep 0.5
  # bwrap stays outside as the namespace's parent; the init (PID 1 inside) is its child.
  init_host_pid="$(cat "/proc/$bw/task/$bw/children")"
  [ -n "$init_host_pid" ] || fail "no init under bwrap"
  kill -TERM $init_host_pid
  set +e; wait "$bw"; code=$?; set -e
  [ -f "$W/service-stopped" ] || fail "service under PID-1 init not stopped by SIGTERM (exit $code)"
  [ "$code" = 0 ] || fail "init as PID 1 exited $code"
else
  echo "note: bwrap cannot make a PID namespace here; the PID-1 case is not run"
fi

ok=1
echo "PASS"
