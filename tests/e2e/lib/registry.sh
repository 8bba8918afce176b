# Shared by the push e2e tests: sourced, not run. Starts Debian's docker-registry on a free
# 127.0.0.1 port with a fixed http.secret (upload sessions survive a restart) or
# tests/e2e/lib/fake_registry.py, builds small OCI images with umoci, and stops exactly the
# processes it started, by PID.

need_tools() {
  for tool in "$@"; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "SKIP: $tool is not installed (scripts/setup installs it)"
      exit 77
    fi
  done
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

STARTED_PIDS=()

# Kills the PIDs this test started (registries, token servers), never anything by name.
stop_started() {
  for pid in "${STARTED_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  STARTED_PIDS=()
}

# write_registry_config FILE STORAGE_DIR PORT [EXTRA_YAML]
write_registry_config() {
  cat >"$1" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $2
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$3
  secret: decant-e2e-fixed-secret
${4:-}
YAML
}

# start_registry CONFIG PORT LOG -> sets REGISTRY_PID; waits (up to 60 s: the machine is shared)
# until /v2/ answers with any status.
start_registry() {
  docker-registry serve "$1" >>"$3" 2>&1 &
  REGISTRY_PID=$!
  STARTED_PIDS+=("$REGISTRY_PID")
  for _ in $(seq 1 600); do
    if curl -s -o /dev/null "http://127.0.0.1:$2/v2/"; then
      return 0
    fi
    if ! kill -0 "$REGISTRY_PID" 2>/dev/null; then
      echo "docker-registry exited at start:"; cat "$3"; return 1
    fi
    sleep 0.1
  done
  echo "docker-registry did not answer on port $2"; cat "$3"; return 1
}

stop_registry() {
  kill "$REGISTRY_PID" 2>/dev/null || true
  wait "$REGISTRY_PID" 2>/dev/null || true
}

# start_fake_registry FAIL_AT_PATCH LOG [DENIED_REPOSITORY] -> sets PORT: fake_registry.py (its
# usage says what the arguments do) on a free port, its output in LOG.out; waits (up to 30 s)
# until it is ready.
start_fake_registry() {
  PORT=$(free_port)
  python3 "$(dirname "${BASH_SOURCE[0]}")/fake_registry.py" "$PORT" "$@" >"$2.out" 2>&1 &
  STARTED_PIDS+=("$!")
  for _ in $(seq 1 300); do grep -q ready "$2.out" 2>/dev/null && return 0; sleep 0.1; done
  cat "$2.out"; fail "fake registry did not start"
}

# make_image LAYOUT NAME SIZE_BYTES... : one layer of random bytes per size (random data does not
# compress, so layer sizes are close to the sizes asked for).
make_image() {
  local layout=$1 name=$2
  shift 2
  umoci init --layout "$layout"
  umoci new --image "$layout:$name"
  local n=0 scratch
  scratch=$(mktemp -d)
  for size in "$@"; do
    n=$((n + 1))
    mkdir -p "$scratch/$n"
    head -c "$size" /dev/urandom >"$scratch/$n/blob-$n.bin"
    umoci insert --image "$layout:$name" "$scratch/$n" "/data/$n"
  done
  umoci config --image "$layout:$name" --config.cmd /bin/true
  rm -rf "$scratch"
}

# json_field FILE EXPRESSION: a value from a JSON document by a Python expression on `d`.
json_field() {
  python3 -c "import json,sys; d = json.load(open(sys.argv[1])); print($2)" "$1"
}

fail() {
  echo "FAIL: $*"
  exit 1
}
