#!/usr/bin/env bash
# decant pack checked by independent tools: skopeo inspect and umoci unpack accept the image,
# every blob's sha256 is its name, tar -tvf shows owners and modes as on the source, the same
# input packed twice with --reproducible gives the same digests, file capabilities and setuid
# bits survive, and bad input gets the documented exit codes.
# ctest: TIMEOUT=900 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
SRC="${DECANT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
for tool in skopeo umoci jq tar gzip zstd sha256sum setcap getcap; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs it)"; exit 77; }
done
[ -d /usr/share/tomcat10 ] && id tomcat >/dev/null 2>&1 || { echo "SKIP: tomcat10 is not installed"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (owners, capabilities)"; exit 77; }

W="$(mktemp -d /tmp/decant-e2e-pack.XXXXXX)"
cleanup() { if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
. "$SRC/tests/e2e/lib/tomcat_analysis.sh"
java_home="$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"
write_tomcat_analysis "$W/analysis.json" "$java_home"
REF=decant-test/tomcat:1.0

echo "== pack the tomcat10 + JDK file set"
"$DECANT" pack "$W/analysis.json" -o "$W/img" --tag "$REF" --json > "$W/summary.json"
jq -e '.layers | length >= 4' "$W/summary.json" >/dev/null || fail "expected layers by role: $(cat "$W/summary.json")"
jq -e '[.layers[].role] == ["system","runtime","server","app","config"]' "$W/summary.json" >/dev/null || fail "layer roles $(jq -c '[.layers[].role]' "$W/summary.json")"

echo "== --list --json explains every file"
"$DECANT" pack "$W/analysis.json" --list --json 2>/dev/null > "$W/list.json"
jq -e 'length > 1000 and all(.[]; .reason != "") and any(.[]; .reason | startswith("needed by "))' "$W/list.json" >/dev/null || fail "--list --json"
[ "$(jq length "$W/list.json")" = "$("$DECANT" pack "$W/analysis.json" --list 2>/dev/null | wc -l)" ] || fail "--list and --list --json disagree"

echo "== skopeo inspect oci:DIR:$REF"
skopeo inspect "oci:$W/img:$REF" > "$W/inspect.json"
jq -e '.Labels["io.decant.application-id"] == "java-tomcat-0000beef"' "$W/inspect.json" >/dev/null || fail "labels"
jq -e '.Env | index("TZ=Etc/UTC") != null' "$W/inspect.json" >/dev/null || fail "TZ not in Env"
skopeo inspect --config "oci:$W/img:$REF" > "$W/config.json"
jq -e '.config.User == "'"$(id -u tomcat):$(id -g tomcat)"'" and .config.WorkingDir == "/var/lib/tomcat10" and (.config.ExposedPorts | has("8080/tcp"))' "$W/config.json" >/dev/null || fail "config: $(jq -c .config "$W/config.json")"

echo "== every blob's sha256 is its name"
for blob in "$W"/img/blobs/sha256/*; do
  [ "$(sha256sum "$blob" | cut -c1-64)" = "$(basename "$blob")" ] || fail "blob $blob does not match its digest"
done
ls -a "$W/img/blobs/sha256" | grep -q '^\.tmp' && fail "temporary blob left behind"

echo "== tar -tvf shows owners and modes as on the source"
config_layer="$(jq -r '.layers[] | select(.role=="config") | .digest' "$W/summary.json" | cut -c8-)"
gzip -dc "$W/img/blobs/sha256/$config_layer" | tar -tv --numeric-owner > "$W/config-layer.txt"
for path in /etc/tomcat10/server.xml /etc/tomcat10/Catalina /var/log/tomcat10; do
  expected="$(stat -c '%A %u/%g' "$path")"
  [ "$path" = /var/log/tomcat10 ] && expected="drwxr-s--- $(id -u tomcat)/4"  # the volume's own owner and mode
  grep -q "^$expected .* ${path#/}/\?\$" "$W/config-layer.txt" || fail "$path: expected '$expected' in: $(grep "${path#/}" "$W/config-layer.txt" | head -3)"
done
grep -q ' /' <(tar -tf <(gzip -dc "$W/img/blobs/sha256/$config_layer") | sed 's/^/ /' | grep ' /') && fail "absolute path in a layer"

echo "== umoci unpack accepts the image"
umoci unpack --image "$W/img:$REF" "$W/bundle" > /dev/null
[ -f "$W/bundle/rootfs/usr/share/tomcat10/bin/bootstrap.jar" ] || fail "bootstrap.jar missing after umoci unpack"
[ "$(stat -c %a "$W/bundle/rootfs/tmp")" = 1777 ] || fail "/tmp is not 1777"
[ -L "$W/bundle/rootfs/var/lib/tomcat10/conf" ] || fail "conf symlink not kept"
# decant-init (forwarding the log volume to the output) runs the JVM: Entrypoint + Cmd.
jq -e '.process.args[0] == "/.decant/init" and (.process.args | index("--") as $i | .[$i + 1] | endswith("/bin/java"))' "$W/bundle/config.json" >/dev/null || fail "bundle args: $(jq -c .process.args "$W/bundle/config.json")"
[ -x "$W/bundle/rootfs/.decant/init" ] || fail "/.decant/init is not in the image"

echo "== --rootfs: the JVM of the image starts as the tomcat user in fresh namespaces"
"$DECANT" pack "$W/analysis.json" --rootfs "$W/rootfs" 2> "$W/rootfs.err" || { cat "$W/rootfs.err"; fail "pack --rootfs"; }
mkdir -p "$W/rootfs/proc"
env -i PATH=/usr/bin:/bin unshare --pid --mount --fork --root="$W/rootfs" --mount-proc \
  --setuid "$(id -u tomcat)" --setgid "$(id -g tomcat)" --wd /var/lib/tomcat10 \
  -- "$java_home/bin/java" -version > "$W/java-version.txt" 2>&1 \
  || { cat "$W/java-version.txt"; fail "java -version in the rootfs"; }
grep -q 'OpenJDK' "$W/java-version.txt" || fail "unexpected java -version output: $(cat "$W/java-version.txt")"

echo "== --zstd"
"$DECANT" pack "$W/analysis.json" -o "$W/img-zstd" --tag "$REF" --zstd --json > "$W/zstd.json"
jq -e '[.layers[].mediaType] | all(. == "application/vnd.oci.image.layer.v1.tar+zstd")' "$W/zstd.json" >/dev/null || fail "zstd media types"
skopeo inspect "oci:$W/img-zstd:$REF" > /dev/null

echo "== --reproducible twice gives the same digests"
SOURCE_DATE_EPOCH=1700000000 "$DECANT" pack "$W/analysis.json" -o "$W/r1" --tag "$REF" --reproducible --json > "$W/r1.json"
SOURCE_DATE_EPOCH=1700000000 "$DECANT" pack "$W/analysis.json" -o "$W/r2" --tag "$REF" --reproducible --json > "$W/r2.json"
[ "$(jq -r .manifest "$W/r1.json")" = "$(jq -r .manifest "$W/r2.json")" ] || fail "manifests differ: $(jq -r .manifest "$W/r1.json") $(jq -r .manifest "$W/r2.json")"
cmp -s "$W/r1/index.json" "$W/r2/index.json" || fail "index.json differs"

echo "== capabilities, setuid and hard links on a fake host (--root)"
T="$W/host"
mkdir -p "$T/etc" "$T/opt/app/bin" "$T/lib/x86_64-linux-gnu" "$T/lib64"
printf 'root:x:0:0:root:/root:/bin/sh\nsvc:x:2001:2001::/opt/app:/bin/false\n' > "$T/etc/passwd"
printf 'root:x:0:\nsvc:x:2001:\n' > "$T/etc/group"
cp /bin/true "$T/opt/app/bin/app"
setcap cap_net_bind_service=+ep "$T/opt/app/bin/app"
cp /bin/true "$T/opt/app/bin/suid" && chmod 4755 "$T/opt/app/bin/suid"
ln "$T/opt/app/bin/suid" "$T/opt/app/bin/suid-link"
jq -n '{schemaVersion:1, applicationId:"machine-0000cafe", applicationType:"machine",
  process:{uid:2001, gid:2001, user:"svc"}, start:{command:["/opt/app/bin/app"], workingDir:"/opt/app", user:"svc"},
  files:[{path:"/opt/app", role:"app"}]}' > "$W/fake.json"
"$DECANT" --root "$T" pack "$W/fake.json" -o "$W/fake-img" --tag fake/app:1 --rootfs "$W/fake-rootfs" 2> "$W/fake.err" || { cat "$W/fake.err"; fail "pack of the fake host"; }
getcap "$W/fake-rootfs/opt/app/bin/app" | grep -q cap_net_bind_service || fail "capability lost in --rootfs"
[ "$(stat -c %a "$W/fake-rootfs/opt/app/bin/suid")" = 4755 ] || fail "setuid lost"
[ "$(stat -c %i "$W/fake-rootfs/opt/app/bin/suid")" = "$(stat -c %i "$W/fake-rootfs/opt/app/bin/suid-link")" ] || fail "hard link lost"
# The layer that holds /opt/app (the app layer; the config layer comes after it).
manifest="$(jq -r '.manifests[0].digest' "$W/fake-img/index.json" | cut -c8-)"
app_layer=""
for layer in $(jq -r '.layers[].digest' "$W/fake-img/blobs/sha256/$manifest" | cut -c8-); do
  # grep without -q reads to the end: tar is not killed by SIGPIPE under pipefail.
  if gzip -dc "$W/fake-img/blobs/sha256/$layer" | tar -t 2>/dev/null | grep -x 'opt/app/bin/app' >/dev/null; then app_layer=$layer; fi
done
[ -n "$app_layer" ] || fail "no layer holds opt/app/bin/app"
mkdir "$W/x" && gzip -dc "$W/fake-img/blobs/sha256/$app_layer" | tar -x --xattrs --xattrs-include='security.*' -C "$W/x"
getcap "$W/x/opt/app/bin/app" | grep -q cap_net_bind_service || fail "security.capability not in the layer"

echo "== bad input"
set +e
mkdir -p "$W/full" && touch "$W/full/something"
"$DECANT" pack "$W/analysis.json" -o "$W/full" 2>/dev/null; [ $? = 8 ] || fail "non-empty output dir: expected exit 8"
"$DECANT" pack "$W/analysis.json" -o "$W/full" --force 2>/dev/null; [ $? = 8 ] || fail "--force must not clear a non-layout dir"
[ -f "$W/full/something" ] || fail "--force deleted a foreign file"
"$DECANT" pack "$W/analysis.json" -o "$W/t1" --tag 'Bad/Name:1' 2>/dev/null; [ $? = 2 ] || fail "bad reference: expected exit 2"
"$DECANT" pack "$W/analysis.json" -o "$W/t2" --tag 'app:V1' --strict-tags 2>/dev/null; [ $? = 2 ] || fail "--strict-tags: expected exit 2"
"$DECANT" pack "$W/analysis.json" --list --tag 'app:V1' 2>&1 >/dev/null | grep "warning: tag" >/dev/null || fail "no warning for a non-strict tag"
jq '.files += [{path:"/nonexistent/decant"}]' "$W/analysis.json" > "$W/missing.json"
"$DECANT" pack "$W/missing.json" -o "$W/t3" 2> "$W/missing.err"; [ $? = 3 ] || fail "missing file: expected exit 3"
grep -q '/nonexistent/decant' "$W/missing.err" || fail "missing file not named"
[ -e "$W/t3/index.json" ] && fail "a failed pack left index.json"
jq '.files += [{path:"/usr/share/../../etc/shadow"}]' "$W/analysis.json" > "$W/dotdot.json"
"$DECANT" pack "$W/dotdot.json" -o "$W/t5" 2> "$W/dotdot.err"; [ $? = 6 ] || fail "a path with '..': expected exit 6"
grep -q "files\[" "$W/dotdot.err" || fail "the '..' error does not name the entry: $(cat "$W/dotdot.err")"
echo "== disk full: a 4 MiB tmpfs as -o DIR (private mount namespace)"
if unshare --mount true 2>/dev/null; then
  mkdir -p "$W/small"
  unshare --mount bash -c '
    mount -t tmpfs -o size=4m tmpfs "$1" || exit 90
    "$2" pack "$3" -o "$1/img" 2> "$4/full.err"; echo $? > "$4/full.rc"
    ls -A "$1/img" "$1/img/blobs/sha256" > "$4/full.ls" 2>&1' _ "$W/small" "$DECANT" "$W/analysis.json" "$W"
  [ "$(cat "$W/full.rc")" != 0 ] || fail "pack onto a full disk succeeded"
  grep -q 'No space left on device' "$W/full.err" || fail "disk full not reported: $(cat "$W/full.err")"
  grep -q 'index.json' "$W/full.ls" && fail "a full disk left index.json: $(cat "$W/full.ls")"
  grep -q '^\.tmp' "$W/full.ls" && fail "a full disk left a temporary blob: $(cat "$W/full.ls")"
else
  echo "(skipped the disk-full check: unshare --mount is not permitted here)"
fi
echo "== progress on a terminal only"
script -qec "\"$DECANT\" pack \"$W/analysis.json\" -o \"$W/tty\"" /dev/null > "$W/tty.out" 2>&1 || fail "pack under script(1): $(tail -3 "$W/tty.out")"
grep -qE 'packing .* / .*/s  [0-9hms]+ left' "$W/tty.out" || fail "no progress line on a terminal: $(head -c 300 "$W/tty.out")"
"$DECANT" pack "$W/analysis.json" -o "$W/notty" 2> "$W/notty.err" > /dev/null
grep -q 'ETA' "$W/notty.err" && fail "progress line written to a non-terminal"
echo '{"schemaVersion": 1, "files": 3}' > "$W/bad.json"
"$DECANT" pack "$W/bad.json" -o "$W/t4" 2>/dev/null; [ $? = 6 ] || fail "invalid analysis.json: expected exit 6"
set -e
ok=1
echo "PASS"
