# Shared by e2e scripts that assert on decant's JSON output: sourced, not run.
#   fail MESSAGE...
#   check FILE JQ-EXPRESSION DESCRIPTION: passes when the expression is true of FILE; else shows
#     the fields CHECK_SHOW names (a jq object constructor, default the whole document) and fails.
fail() { echo "FAIL: $*"; exit 1; }
check() {
  jq -e "$2" "$1" > /dev/null || { jq "${CHECK_SHOW:-.}" "$1" | head -100; fail "$3 ($2)"; }
  echo "  ok: $3"
}

# Image runs through scripts/run-rootfs, for scripts that set SRC and W and stop RUN_PID on exit.
#   start_image BUNDLE PORT [RUN-ROOTFS OPTION]...: starts the bundle (its log in $W/image.log,
#     the app's PID in $W/app.pid, run-rootfs's in RUN_PID) and waits up to 300 s until
#     http://127.0.0.1:PORT/ answers inside its network namespace.
#   in_image COMMAND...: runs COMMAND in the image's network namespace.
in_image() { nsenter --target "$(cat "$W/app.pid")" --net -- "$@"; }
start_image() {
  local bundle=$1 port=$2
  shift 2
  "$SRC/scripts/run-rootfs" --pidfile "$W/app.pid" "$@" "$bundle" > "$W/image.log" 2>&1 &
  RUN_PID=$!
  for _ in $(seq 100); do [ -s "$W/app.pid" ] && break; sleep 0.1; done
  [ -s "$W/app.pid" ] || { cat "$W/image.log"; fail "run-rootfs did not start the image"; }
  for i in $(seq 300); do
    kill -0 "$RUN_PID" 2>/dev/null || { tail -30 "$W/image.log"; fail "the image's process exited"; }
    in_image curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/" && return 0
    [ "$i" = 300 ] && { tail -30 "$W/image.log"; fail "the image did not answer on $port within 300 s"; }
    sleep 1
  done
}
