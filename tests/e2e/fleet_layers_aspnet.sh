#!/usr/bin/env bash
# ctest: RESOURCE_LOCK=dotnet TIMEOUT=1200 LABELS=e2e
# Fleet scale on ASP.NET Core: a `dotnet new web` app published once and deployed twice (two
# directories, each with its own appsettings.json, started through the apphost on their own
# ports), as two servers of one .NET runtime would be:
#  (a) the first one's analysis packed twice with --reproducible, each time as a fresh host
#      would (its own empty HOME, XDG_CACHE_HOME, DECANT_CACHE_DIR and workspace): every layer,
#      the config and the manifest have the same digest;
#  (b) the second one packed too: its system and runtime (the .NET shared framework) layers are
#      the first one's blobs, its app and config layers its own.
# Prints "fleet:" lines with the layer sizes (docs/fleet.md uses them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /var/tmp/decant-e2e-fleet-aspnet-XXXXXX)
source "$here/lib/aspnet_app.bash"
cleanup() {
  aspnet_stop_all
  if [ "${ok:-0}" = 1 ] && [ -z "${KEEP:-}" ]; then rm -rf "$WORK"; else echo "kept $WORK"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
layers() { jq -r '.layers[] | "\(.role) \(.digest)"' "$1"; }
layer_digest() { jq -r --arg r "$2" '.layers[] | select(.role == $r) | .digest' "$1"; }

aspnet_require_tools
[ "$(id -u)" = 0 ] || aspnet_skip "packing another user's files and the host's system files needs root"
command -v jq >/dev/null || aspnet_skip "jq is missing (scripts/packages.txt installs it)"

aspnet_build_app
pids=()
for name in one two; do
  cp -a "$WORK/pub" "$WORK/$name"
  jq --arg n "$name" '. + {Shop: {Instance: $n}}' "$WORK/pub/appsettings.json" > "$WORK/$name/appsettings.json"
done
p1=$(aspnet_free_port)
p2=$(aspnet_free_port)
while [ "$p2" = "$p1" ]; do p2=$(aspnet_free_port); done
for name in one two; do
  port=$([ $name = one ] && echo "$p1" || echo "$p2")
  (cd "$WORK/$name" && exec env ASPNETCORE_URLS="http://127.0.0.1:$port" ./HelloDecant) > "$WORK/$name.log" 2>&1 &
  ASPNET_PIDS+=($!)
  pids+=($!)
done
aspnet_wait "http://127.0.0.1:$p1/" 180 || { cat "$WORK/one.log"; fail "one did not answer"; }
aspnet_wait "http://127.0.0.1:$p2/" 180 || { cat "$WORK/two.log"; fail "two did not answer"; }
for i in 0 1; do
  name=$([ $i = 0 ] && echo one || echo two)
  "$DECANT" analyze "${pids[$i]}" -o "$WORK/$name-out/analysis.json" 2> "$WORK/$name.analyze.log" \
    || { cat "$WORK/$name.analyze.log"; fail "analyze $name"; }
done
jq -e '[.files[] | select(.role == "runtime" and (.path | test("shared/Microsoft.AspNetCore.App/")))] | length == 1' \
  "$WORK/one-out/analysis.json" > /dev/null || fail "the analysis names no ASP.NET shared framework"

# pack_as_host DIR ANALYSIS OUT.json: decant pack in a host of its own.
pack_as_host() {
  local dir="$1" analysis="$2" out="$3"
  mkdir -p "$dir/home" "$dir/xdg" "$dir/decant-cache" "$dir/work"
  (cd "$dir/work" && HOME="$dir/home" XDG_CACHE_HOME="$dir/xdg" DECANT_CACHE_DIR="$dir/decant-cache" \
    "$DECANT" pack "$analysis" -o "$dir/work/image" --reproducible --json) > "$out" 2> "$dir/pack.err" \
    || { cat "$dir/pack.err"; fail "decant pack in $dir"; }
}

echo "== (a) the same analysis packed by two fresh hosts"
pack_as_host "$WORK/h1" "$WORK/one-out/analysis.json" "$WORK/p1.json"
# The host goes on between the packs: a directory's mtime changes whenever an entry in it comes
# or goes (here past the analysis' date, to which file mtimes are clamped).
touch "$WORK/one"
pack_as_host "$WORK/host-two/with/a/longer/path" "$WORK/one-out/analysis.json" "$WORK/p2.json"
diff <(layers "$WORK/p1.json") <(layers "$WORK/p2.json") || fail "two fresh packs of one analysis gave different layers"
[ "$(jq -r .manifest "$WORK/p1.json")" = "$(jq -r .manifest "$WORK/p2.json")" ] || fail "the manifests differ"
echo "  ok: $(jq '.layers | length' "$WORK/p1.json") layers, config and manifest identical"

echo "== (b) the second server of the same runtime"
pack_as_host "$WORK/h3" "$WORK/two-out/analysis.json" "$WORK/p3.json"
for role in system runtime; do
  [ "$(layer_digest "$WORK/p1.json" "$role")" = "$(layer_digest "$WORK/p3.json" "$role")" ] \
    || fail "the $role layer differs between the two servers"
done
for role in app config; do
  d1=$(layer_digest "$WORK/p1.json" "$role"); d3=$(layer_digest "$WORK/p3.json" "$role")
  [ -z "$d1" ] || [ "$d1" != "$d3" ] || fail "the $role layer of the two servers is the same blob"
done
[ "$(layer_digest "$WORK/p1.json" config)" != "$(layer_digest "$WORK/p3.json" config)" ] \
  || fail "the servers' own appsettings.json are not in their config layers"
echo "  ok: system and runtime layers shared, app and config their own"
for role in system runtime app config; do
  echo "fleet: aspnet layer $role $(jq -r --arg r "$role" '.layers[] | select(.role == $r) | .size' "$WORK/p3.json")"
done
ok=1
echo PASS
