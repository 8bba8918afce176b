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

