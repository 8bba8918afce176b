#!/usr/bin/env bash
# Fleet scale on Debian's tomcat10:
#  (a) identical inputs, identical layers: the live tomcat10's analysis packed twice with
#      --reproducible, each time as a fresh host would (its own empty HOME, XDG_CACHE_HOME,
#      DECANT_CACHE_DIR and workspace, at paths of different lengths), so the JDK is trimmed by
#      jlink and its CDS archive dumped anew both times: every layer, the config and the manifest
#      must have the same digest, and the image's JVM must map that archive (java -Xshare:on).
#  (b) layer boundaries that dedupe: two instances from tomcat10-instance-create (same
#      CATALINA_HOME and JDK, their own CATALINA_BASE and webapp) packed and pushed to one
#      docker-registry: their system, runtime and server layers are the same blobs, the second
#      push (from another host's empty push state, with --mount-from the first repository)
#      uploads only the second server's app and config layers and its config blob, and the
#      registry's storage grows by about that much.
# Prints "fleet:" lines with the measured sizes and times (docs/fleet.md uses them).
# ctest: RESOURCE_LOCK=tomcat10 TIMEOUT=1500 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
SRC="${DECANT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (reading tomcat's files, the serialized CDS dump)"; exit 77; }
for tool in jq curl setpriv python3 tomcat10-instance-create docker-registry unshare chroot; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs tomcat10, tomcat10-user, docker-registry, jq)"; exit 77; }
done
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
[ -f "$java_home/jmods/java.base.jmod" ] || { echo "SKIP: $java_home has no jmods (openjdk-17-jdk-headless): nothing is trimmed"; exit 77; }

W="$(mktemp -d /tmp/decant-e2e-fleet.XXXXXX)"
chmod 755 "$W"
. "$SRC/tests/e2e/lib/tomcat_source.sh"
. "$SRC/tests/e2e/lib/tomcat_instances.sh"
. "$SRC/tests/e2e/lib/registry.sh"
cleanup() {
  set +e
  [ -n "${ROOTFS:-}" ] && mountpoint -q "$ROOTFS/proc" && umount "$ROOTFS/proc"
  stop_started
  stop_instances
  stop_tomcat_source
  if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
ms_since() { echo $((($(date +%s%N) - $1) / 1000000)); }
layers() { jq -r '.layers[] | "\(.role) \(.digest)"' "$1"; }
layer_digest() { jq -r --arg r "$2" '.layers[] | select(.role == $r) | .digest' "$1"; }
layer_size() { jq -r --arg r "$2" '.layers[] | select(.role == $r) | .size' "$1"; }
storage_bytes() { find "$1" -type f -printf '%s\n' | awk '{s += $1} END {print s + 0}'; }

# pack_as_host DIR ANALYSIS OUT.json IMAGE [pack options...]: decant pack in a host of its own:
# empty HOME, XDG_CACHE_HOME, DECANT_CACHE_DIR and working directory under DIR; the layout goes
# to DIR/work/IMAGE.
pack_as_host() {
  local dir="$1" analysis="$2" out="$3" image="$4"
  shift 4
  mkdir -p "$dir/home" "$dir/xdg" "$dir/decant-cache" "$dir/work"
  (cd "$dir/work" && HOME="$dir/home" XDG_CACHE_HOME="$dir/xdg" DECANT_CACHE_DIR="$dir/decant-cache" \
    "$DECANT" pack "$analysis" -o "$dir/work/$image" --reproducible --json "$@") > "$out" 2> "$dir/pack.err" \
    || { cat "$dir/pack.err"; fail "decant pack in $dir"; }
}

echo "== (a) the same analysis packed by two fresh hosts"
set +e; start_tomcat_source "$W/source.log"; rc=$?; set -e
[ $rc = 0 ] || exit $rc
t0=$(date +%s%N)
"$DECANT" analyze "$SOURCE_PID" -o "$W/debian/analysis.json" 2> "$W/analyze.err" || { cat "$W/analyze.err"; fail "decant analyze $SOURCE_PID"; }
echo "fleet: analyze ms $(ms_since "$t0")"
jq -e '.runtime.jlink.remove | length > 0' "$W/debian/analysis.json" > /dev/null || fail "the analysis plans no jlink trim"

t0=$(date +%s%N)
pack_as_host "$W/h1" "$W/debian/analysis.json" "$W/p1.json" image
echo "fleet: pack with a fresh jlink and CDS dump ms $(ms_since "$t0")"
t0=$(date +%s%N)
pack_as_host "$W/host-two-with-a-much-longer-path/x/y" "$W/debian/analysis.json" "$W/p2.json" image
echo "fleet: second fresh pack ms $(ms_since "$t0")"
for h in "$W/h1" "$W/host-two-with-a-much-longer-path/x/y"; do
  grep -q "trimming $java_home with jlink" "$h/pack.err" || { cat "$h/pack.err"; fail "$h: the runtime was not trimmed anew"; }
  ! grep -q "cds-not-reproducible" "$h/pack.err" || { cat "$h/pack.err"; fail "$h: the CDS dump did not run serialized"; }
done
diff <(layers "$W/p1.json") <(layers "$W/p2.json") || fail "two fresh packs of one analysis gave different layers"
[ "$(jq -r .manifest "$W/p1.json")" = "$(jq -r .manifest "$W/p2.json")" ] || fail "the manifests differ"
echo "  ok: $(jq '.layers | length' "$W/p1.json") layers, config and manifest identical: $(jq -r .manifest "$W/p1.json")"
for role in system runtime server app config; do
  echo "fleet: debian layer $role $(layer_size "$W/p1.json" "$role")"
done
jsa="$java_home/lib/server/classes.jsa"
cmp -s "$(ls -d "$W"/h1/decant-cache/jlink/*/rt)/lib/server/classes.jsa" \
  "$(ls -d "$W"/host-two-with-a-much-longer-path/x/y/decant-cache/jlink/*/rt)/lib/server/classes.jsa" \
  || fail "the two regenerated CDS archives differ"
echo "  ok: the two regenerated CDS archives are byte-identical (the source's: $(stat -c %s "$jsa") bytes)"

# The image's JVM maps the archive: -Xshare:on fails instead of running without it. $ORIGIN of the
# java launcher needs /proc.
ROOTFS="$W/rootfs"
HOME="$W/h1/home" XDG_CACHE_HOME="$W/h1/xdg" DECANT_CACHE_DIR="$W/h1/decant-cache" \
  "$DECANT" pack "$W/debian/analysis.json" --rootfs "$ROOTFS" --reproducible 2> "$W/rootfs.err" > /dev/null \
  || { cat "$W/rootfs.err"; fail "pack --rootfs"; }
mkdir -p "$ROOTFS/proc"
unshare --mount --pid --fork --mount-proc="$ROOTFS/proc" chroot "$ROOTFS" \
  "$java_home/bin/java" -Xshare:on -Xlog:cds=info -version > "$W/xshare.out" 2>&1 \
  || { tail -5 "$W/xshare.out"; fail "the image's JVM cannot map its CDS archive"; }
grep -q "sharing" "$W/xshare.out" || { tail -5 "$W/xshare.out"; fail "java -version does not say sharing"; }
echo "  ok: the image's java -Xshare:on maps the archive whatever the layer's mtimes"
stop_tomcat_source || true

echo "== (b) two instances of one host, one registry"
p1=$(free_port); s1=$(free_port); p2=$(free_port); s2=$(free_port)
for name in one two; do
  port=$([ $name = one ] && echo "$p1" || echo "$p2")
  shut=$([ $name = one ] && echo "$s1" || echo "$s2")
  tomcat10-instance-create -p "$port" -c "$shut" "$W/$name" > /dev/null
  mkdir -p "$W/$name/webapps/ROOT"
  echo "<h1>instance $name</h1>" > "$W/$name/webapps/ROOT/index.html"
  start_instance "$name" JAVA_OPTS="-Djava.awt.headless=true -Xmx256m"
done
pid1=${INSTANCE_PIDS[0]}; pid2=${INSTANCE_PIDS[1]}
wait_instance one "$p1" "$pid1"
wait_instance two "$p2" "$pid2"
for name in one two; do
  pid=$([ $name = one ] && echo "$pid1" || echo "$pid2")
  "$DECANT" analyze "$pid" -o "$W/$name-out/analysis.json" 2> "$W/$name.err" || { cat "$W/$name.err"; fail "analyze $name"; }
done
stop_instances || true # its last kill -9 finds nothing left
INSTANCE_PIDS=()
# One host: its cache is shared by both packs (the trimmed runtime is built once).
t0=$(date +%s%N)
pack_as_host "$W/h3" "$W/one-out/analysis.json" "$W/one.json" one --tag fleet/one:1
echo "fleet: pack instance one ms $(ms_since "$t0")"
t0=$(date +%s%N)
pack_as_host "$W/h3" "$W/two-out/analysis.json" "$W/two.json" two --tag fleet/two:1
echo "fleet: pack instance two (runtime from the cache) ms $(ms_since "$t0")"
for role in system runtime server; do
  [ "$(layer_digest "$W/one.json" "$role")" = "$(layer_digest "$W/two.json" "$role")" ] \
    || fail "the $role layer differs between the two instances"
done
for role in app config; do
  [ "$(layer_digest "$W/one.json" "$role")" != "$(layer_digest "$W/two.json" "$role")" ] \
    || fail "the $role layer of the two instances is the same blob (their own files are not in it?)"
done
[ "$(layer_digest "$W/one.json" runtime)" = "$(layer_digest "$W/p1.json" runtime)" ] \
  || fail "the instances' runtime layer differs from the packaged instance's (same JDK, same plan)"
echo "  ok: system, runtime and server layers shared; app and config their own"
for role in system runtime server app config; do
  echo "fleet: instance layer $role $(layer_size "$W/two.json" "$role")"
done

PORT=$(free_port)
mkdir -p "$W/storage"
write_registry_config "$W/reg.yml" "$W/storage" "$PORT"
start_registry "$W/reg.yml" "$PORT" "$W/reg.log"
REG=127.0.0.1:$PORT
before=$(storage_bytes "$W/storage")
push_as_host() { # push_as_host STATE_DIR IMAGE REPO OUT.json [options]
  local state="$1" image="$2" repo="$3" out="$4"
  shift 4
  mkdir -p "$state"
  XDG_CACHE_HOME="$state" HOME="$state" "$DECANT" push "$image" "$REG/$repo" --insecure --json "$@" > "$out" 2> "$out.err" \
    || { cat "$out.err"; fail "push $image to $repo"; }
}
t0=$(date +%s%N)
push_as_host "$W/push-a" "$W/h3/work/one:fleet/one:1" fleet/one:1 "$W/push1.json"
echo "fleet: first push ms $(ms_since "$t0") bytes $(jq .bytesUploaded "$W/push1.json")"
after1=$(storage_bytes "$W/storage")
# The host goes on between the packs: a directory's mtime changes whenever an entry in it comes
# or goes (here past the analysis' date, to which file mtimes are clamped; /tmp above the
# instance changes all the time).
touch "$W/two" "$W/two/webapps"
# The second server as another host pushes it: it knows nothing of the first push, only the
# repository to mount shared layers from.
pack_as_host "$W/h4" "$W/two-out/analysis.json" "$W/two-h4.json" two --tag fleet/two:1
diff <(layers "$W/two.json") <(layers "$W/two-h4.json") || fail "instance two packed on a fresh host differs"
t0=$(date +%s%N)
push_as_host "$W/push-b" "$W/h4/work/two:fleet/two:1" fleet/two:1 "$W/push2.json" --mount-from fleet/one
echo "fleet: second push ms $(ms_since "$t0") bytes $(jq .bytesUploaded "$W/push2.json")"
after2=$(storage_bytes "$W/storage")

own=$(( $(layer_size "$W/two.json" app) + $(layer_size "$W/two.json" config) ))
config_blob=$(jq -r '[.blobs[] | select(.mediaType | test("config")) | .size] | add' "$W/push2.json")
sent=$(jq .bytesUploaded "$W/push2.json")
for role in system runtime server; do
  d=$(layer_digest "$W/two.json" "$role")
  status=$(jq -r --arg d "$d" '.blobs[] | select(.digest == $d) | .status' "$W/push2.json")
  bytes=$(jq -r --arg d "$d" '.blobs[] | select(.digest == $d) | .bytesUploaded' "$W/push2.json")
  [ "$status" = mounted ] && [ "$bytes" = 0 ] || { cat "$W/push2.json.err"; fail "second push: the $role layer was $status with $bytes bytes, not mounted"; }
done
[ "$sent" = $((own + config_blob)) ] || { jq . "$W/push2.json"; fail "second push sent $sent bytes, the server's own blobs are $own + config $config_blob"; }
growth1=$((after1 - before)); growth2=$((after2 - after1))
# Link files (71 bytes each), the manifest and its revision links come on top of the blobs.
[ "$growth2" -ge "$sent" ] && [ "$growth2" -le $((sent + 65536)) ] \
  || fail "the registry grew by $growth2 bytes for the second server, its own blobs are $sent bytes"
echo "  ok: the second push mounted the shared layers and sent $sent bytes (app + config layers + config blob)"
echo "fleet: registry growth first $growth1 second $growth2"
echo "fleet: push1 blobs $(jq -c '[.blobs[] | {size, status}]' "$W/push1.json")"
echo "fleet: push2 blobs $(jq -c '[.blobs[] | {size, status}]' "$W/push2.json")"

# Without --mount-from, a host that knows nothing sends every blob it does not find in its own
# repository; the registry still stores each blob once.
push_as_host "$W/push-c" "$W/h4/work/two:fleet/two:1" fleet/three:1 "$W/push3.json"
after3=$(storage_bytes "$W/storage")
echo "fleet: push without mount-from bytes $(jq .bytesUploaded "$W/push3.json") registry growth $((after3 - after2))"
[ $((after3 - after2)) -le 65536 ] || fail "the registry stored the same blobs again ($((after3 - after2)) bytes)"
ok=1
echo PASS
