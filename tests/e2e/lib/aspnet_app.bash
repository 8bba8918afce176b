# Helpers for the ASP.NET Core e2e tests (sourced, not run): build a minimal web app offline
# with the machine's SDK, start it on a free port, wait for it, and stop exactly what was started.
#
# Requires: WORK (a scratch directory owned by the caller).

# Every PID started here, stopped by aspnet_stop_all (the caller's EXIT trap).
ASPNET_PIDS=()

aspnet_skip() {
  echo "SKIP: $*"
  exit 77
}

aspnet_require_tools() {
  command -v dotnet >/dev/null || aspnet_skip "no dotnet SDK on this machine (needed to build the test app)"
  command -v curl >/dev/null || aspnet_skip "curl is missing (scripts/packages.txt installs it)"
  command -v python3 >/dev/null || aspnet_skip "python3 is missing (scripts/packages.txt installs it)"
  [ -x "${DECANT:-}" ] || { echo "FAIL: DECANT is not set to the built decant binary"; exit 1; }
  dotnet --list-runtimes | grep -q '^Microsoft.AspNetCore.App ' \
    || aspnet_skip "the dotnet installation has no Microsoft.AspNetCore.App runtime"
}

# Builds $WORK/pub/HelloDecant{,.dll}: `dotnet new web` plus two endpoints that let a test compare
# the source and the image: /env/<NAME> echoes an environment variable, /whoami the process's
# working directory and user.
aspnet_build_app() {
  export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
  export DOTNET_CLI_HOME="$WORK/dotnet-home" NUGET_PACKAGES="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
  mkdir -p "$DOTNET_CLI_HOME"
  dotnet new web -n HelloDecant -o "$WORK/src" --no-restore >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log"; echo "FAIL: dotnet new web"; exit 1; }
  cat >"$WORK/src/Program.cs" <<'CS'
var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.MapGet("/", () => "Hello from decant e2e");
app.MapGet("/env/{name}", (string name) => Environment.GetEnvironmentVariable(name) ?? "<unset>");
app.MapGet("/whoami", () => $"{Environment.CurrentDirectory} {Environment.UserName}");
app.Run();
CS
  # The web template references no packages: restore needs only the SDK's own packs, so it works
  # offline with the machine's package sources. NuGetAudit would query a vulnerability feed.
  dotnet publish "$WORK/src/HelloDecant.csproj" -c Release -o "$WORK/pub" -p:NuGetAudit=false \
    >>"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; echo "FAIL: dotnet publish"; exit 1; }
  [ -x "$WORK/pub/HelloDecant" ] && [ -f "$WORK/pub/HelloDecant.dll" ] \
    || { echo "FAIL: publish produced no apphost/dll"; ls -l "$WORK/pub"; exit 1; }
}

aspnet_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# aspnet_wait URL SECONDS: polls until the app answers.
aspnet_wait() {
  local url=$1 seconds=$2 i
  for ((i = 0; i < seconds * 2; i++)); do
    curl -fsS --max-time 2 "$url" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}

aspnet_stop_all() {
  local pid
  for pid in "${ASPNET_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${ASPNET_PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
}

# aspnet_run_rootfs ROOTFS ANALYSIS_JSON LOG: starts the image's start command from ROOTFS in
# fresh namespaces (mount, PID, IPC, UTS, cgroup and a network namespace of its own, so it can
# use the source's port while the source still runs), with exactly the image's environment
# (secrets resolved from secrets.json beside the analysis), working directory and user. Sets
# ASPNET_RUN_PID (bwrap) and ASPNET_RUN_NETNS (the namespace's /proc/<pid>/ns/net, for
# `nsenter --net=... curl`).
aspnet_run_rootfs() {
  local rootfs=$1 analysis=$2 log=$3 info="$WORK/bwrap-info.$RANDOM.json"
  local -a argv
  # .NET wants a writable /tmp (diagnostics IPC socket); the rootfs is a writable copy, and a
  # tmpfs on /tmp would hide an application that lives below /tmp.
  mkdir -p "$rootfs/tmp" && chmod 1777 "$rootfs/tmp"
  mapfile -d '' argv < <(ROOTFS="$rootfs" ANALYSIS="$analysis" python3 - <<'PY'
import json, os, re, sys
analysis_path = os.environ["ANALYSIS"]
a = json.load(open(analysis_path))
secrets_path = os.path.join(os.path.dirname(analysis_path), "secrets.json")
secrets = json.load(open(secrets_path)) if os.path.exists(secrets_path) else {}
def resolve(text):
    return re.sub(r"\$\{secret:([A-Za-z0-9_]+)\}", lambda m: secrets[m.group(1)], text)
out = ["bwrap", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
       "--unshare-net", "--die-with-parent", "--bind", os.environ["ROOTFS"], "/",
       "--proc", "/proc", "--dev", "/dev", "--clearenv"]
for var in a["env"]:
    value = secrets[var["secretRef"]] if var.get("secretRef") else var.get("value", "")
    out += ["--setenv", var["name"], value]
start = a["start"]
if start.get("user") not in (None, "", "root"):
    uid = str(a["process"]["uid"]); gid = str(a["process"]["gid"])
    out += ["--unshare-user", "--uid", uid, "--gid", gid]
out += ["--chdir", start["workingDir"] or "/", "--"]
out += [resolve(arg) for arg in start["command"]]
sys.stdout.write("\0".join(out) + "\0")
PY
)
  local n=${#argv[@]} k
  for ((k = 0; k < n; k++)); do [ "${argv[k]}" = "--" ] && break; done
  argv=("${argv[@]:0:k}" --info-fd 3 "${argv[@]:k}")
  "${argv[@]}" >"$log" 2>&1 3>"$info" &
  ASPNET_RUN_PID=$!
  local i child=""
  for ((i = 0; i < 100; i++)); do
    child=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["child-pid"])' "$info" 2>/dev/null) && break
    sleep 0.1
  done
  [ -n "$child" ] || { echo "bwrap did not start (see $log)"; return 1; }
  ASPNET_RUN_NETNS=/proc/$child/ns/net
}
