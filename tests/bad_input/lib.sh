# Helpers for the setup, shell and check snippets of catalog.toml (sourced by run.py; the working
# directory is the case's sandbox; $DECANT, $FIXTURES and $CASES are set).

# host NAME: a copy of fixtures/hosts/NAME as ./host (a fake host tree for --root).
host() { cp -a "$FIXTURES/hosts/$1" host; rm -rf host/expected; }

# analysis NAME [DEST]: the fixture host's expected analysis (and secrets) as ./DEST.json
# (DEST.secrets.json beside it; analysis.json keeps secrets.json).
analysis() {
  local dest=${2:-analysis}
  cp "$FIXTURES/hosts/$1/expected/analysis.json" "$dest.json"
  local secrets=$dest.secrets.json
  [ "$dest" = analysis ] && secrets=secrets.json
  if [ -f "$FIXTURES/hosts/$1/expected/secrets.json" ]; then
    cp "$FIXTURES/hosts/$1/expected/secrets.json" "$secrets"
  fi
}

# edit FILE PYTHON: rewrites a JSON file through a Python expression on `d` (the document).
edit() {
  python3 - "$1" "$2" <<'PY'
import json, sys
path, code = sys.argv[1], sys.argv[2]
d = json.load(open(path))
exec(code)
json.dump(d, open(path, "w"), indent=2)
PY
}

# deep_xml ROOT N: <ROOT> with N nested elements inside, on one line.
deep_xml() {
  python3 -c 'import sys; r, n = sys.argv[1], int(sys.argv[2]); print(f"<{r}>" + "<a>" * n + "</a>" * n + f"</{r}>")' "$1" "$2"
}

# big FILE MIB: a file of MIB mebibytes of spaces in a JSON/XML-neutral shape.
big() { head -c "$(( $2 * 1048576 ))" /dev/zero | tr '\0' ' ' > "$1"; }

# free_port: a TCP port nothing listens on right now.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# registry MODE: starts tests/bad_input/registry.py on a free port in the background; sets
# REGISTRY (host:port) and REGISTRY_PID; stopped by stop_registry.
registry() {
  local port; port=$(free_port)
  python3 "$CASES/registry.py" "$port" "$1" registry.log &
  REGISTRY_PID=$!
  REGISTRY=127.0.0.1:$port
  for _ in $(seq 50); do
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2)' "$port" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "registry did not start" >&2; return 1
}
stop_registry() { kill "$REGISTRY_PID" 2>/dev/null || true; wait "$REGISTRY_PID" 2>/dev/null || true; }

# layout DIR: a small OCI image layout packed by decant from the tomcat-debian fixture host.
layout() {
  host tomcat-debian
  analysis tomcat-debian
  "$DECANT" --root host pack analysis.json -o "$1" --tag shop/tomcat:1 >/dev/null 2>&1
}

# json_ok FILE: FILE is a JSON document.
json_ok() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1"; }
