#!/usr/bin/env bash
# decant-init --follow, the log forwarding of application images: every file of the followed
# directories reaches standard output line by line as "[name] line"; files there before the
# program starts are followed from their end; a file renamed away (logrotate's create mode) is
# read to its end and its successor from the start, without forwarding the renamed file again;
# a file truncated in place (copytruncate) from its start again; a new file (Tomcat's daily
# access log) from its start; compressed files are skipped; a last line without a newline is
# forwarded when the program exits; several directories are told apart; the exit status is the
# program's.
# ctest: TIMEOUT=120 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
INIT="${DECANT_INIT:-$(dirname "$DECANT")/../init/decant-init}"
[ -x "$INIT" ] || { echo "SKIP: $INIT not built"; exit 77; }
W="$(mktemp -d /tmp/decant-e2e-follow.XXXXXX)"
cleanup() { if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; cat "$W/out" 2>/dev/null; exit 1; }

mkdir -p "$W/logs" "$W/other"
echo "written before the start" > "$W/logs/catalina.out"
set +e
# Steps 0.6 s apart: decant-init polls five times a second.
"$INIT" --follow "$W/logs" -- sh -c '
  d="$1"
  sleep 0.6; echo "line 1" >> "$d/catalina.out"; printf "line 2 in two" >> "$d/catalina.out"
  sleep 0.6; echo " writes" >> "$d/catalina.out"
  echo "GET /index.html 200" > "$d/localhost_access_log.2026-12-02.txt"
  sleep 0.6; mv "$d/catalina.out" "$d/catalina.out.1"; echo "last of the old file" >> "$d/catalina.out.1"
  echo "first of the new file" > "$d/catalina.out"
  sleep 0.6; : > "$d/localhost_access_log.2026-12-02.txt"
  sleep 0.6; echo "after truncation" >> "$d/localhost_access_log.2026-12-02.txt"
  echo "compressed" > "$d/catalina.out.2.gz"
  sleep 0.6; printf "no newline before exit" >> "$d/catalina.out"
  exit 7' follow "$W/logs" > "$W/out" 2> "$W/err"
rc=$?
set -e
[ $rc = 7 ] || fail "exit status $rc, expected the program's 7"
expected='[catalina.out] line 1
[catalina.out] line 2 in two writes
[localhost_access_log.2026-12-02.txt] GET /index.html 200
[catalina.out] last of the old file
[catalina.out] first of the new file
[localhost_access_log.2026-12-02.txt] after truncation
[catalina.out] no newline before exit'
diff <(echo "$expected") "$W/out" || fail "forwarded lines differ (expected left)"
echo "  ok: rotation, truncation, new files, partial lines, no duplicates, compressed skipped"

"$INIT" --follow "$W/logs" --follow "$W/other" -- sh -c 'sleep 0.6; echo a >> "$1/logs/x.log"; echo b >> "$1/other/x.log"; sleep 0.6' two "$W" > "$W/out2"
grep -qx '\[logs/x.log\] a' "$W/out2" && grep -qx '\[other/x.log\] b' "$W/out2" || { cat "$W/out2"; fail "two directories are not told apart"; }
echo "  ok: several directories"
ok=1
echo PASS
