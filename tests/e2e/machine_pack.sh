#!/usr/bin/env bash
# decant machine on a small fake root checked by independent tools (skopeo inspect, umoci
# unpack, tar -tvf, getfattr/getfacl): default exclusions (proc-like, /tmp, /mnt, apt cache,
# a tmpfs mounted below the root) stay out with their reasons in analysis.json; hard links,
# symlinks, modes, numeric owners, setuid, sparse files (stored without their holes), user
# xattrs and POSIX ACLs come through; the init and entry script are the entrypoint; --max-size
# fails early leaving no layout; bad --root; decant generate on the machine analysis runs the
# init; a --size-report of the live root works.
# ctest: TIMEOUT=900 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
for tool in skopeo umoci jq tar gzip setfattr getfattr setfacl getfacl unshare; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs it)"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (owners, setuid, a tmpfs mount)"; exit 77; }

W="$(mktemp -d /tmp/decant-e2e-machine.XXXXXX)"
cleanup() { if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
chmod 755 "$W" # the unreadable-file check runs decant as another user
R="$W/root"

echo "== a small fake machine"
mkdir -p "$R"/{etc,usr/bin,usr/lib,opt/app,srv/data,proc/1,sys/kernel,dev,run/lock,tmp,var/tmp,mnt/disk,boot,var/cache/apt/archives,var/log,home/alice,data,lib/systemd/system}
printf 'ID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n' > "$R/etc/os-release"
printf 'root:x:0:0:root:/root:/bin/sh\nalice:x:1234:1234::/home/alice:/bin/sh\n' > "$R/etc/passwd"
printf 'root:x:0:\nalice:x:1234:\n' > "$R/etc/group"
echo web01 > "$R/etc/hostname"
printf '0 3 * * * root /usr/local/bin/backup\n' > "$R/etc/crontab"
cp /bin/sh "$R/usr/bin/sh"   # ELF: the architecture comes from the root's /bin/sh
ln -s usr/bin "$R/bin"
echo "tool" > "$R/usr/bin/tool"
ln "$R/usr/bin/tool" "$R/usr/bin/tool-hardlink"
ln -s tool "$R/usr/bin/tool-link"
echo "#!/bin/sh" > "$R/usr/bin/suid-helper"
chown 1234:1234 "$R/usr/bin/suid-helper"
chmod 4750 "$R/usr/bin/suid-helper"
chown 1234:1234 "$R/home/alice"
chmod 0700 "$R/home/alice"
echo "alice's notes" > "$R/home/alice/notes"
chown 1234:1234 "$R/home/alice/notes"
# Sparse: 64 MiB apparent, 4 KiB of data at 32 MiB.
truncate -s 64M "$R/srv/data/sparse.img"
printf 'DATA-IN-THE-MIDDLE' | dd of="$R/srv/data/sparse.img" bs=1 seek=$((32*1024*1024)) conv=notrunc status=none
echo "app" > "$R/opt/app/app.bin"
setfattr -n user.decant.test -v hello "$R/opt/app/app.bin"
setfacl -m u:1234:rw "$R/opt/app/app.bin"
setfacl -d -m u:1234:rwx "$R/srv/data"
echo "pid 1" > "$R/proc/1/status"
echo "k" > "$R/sys/kernel/x"
echo "junk" > "$R/tmp/junk"
echo "junk" > "$R/var/tmp/junk"
echo "disk" > "$R/mnt/disk/file"
echo "vmlinuz" > "$R/boot/vmlinuz"
echo "deb" > "$R/var/cache/apt/archives/curl_7.88.deb"
echo "log" > "$R/var/log/syslog"
mkfifo "$R/run/lock/fifo"
echo "under the tmpfs mount point" > "$R/data/hidden-by-mount"

echo "== decant machine (a tmpfs mounted at the root's /data, in a private mount namespace)"
unshare --mount bash -c '
  mount -t tmpfs -o size=8m tmpfs "$1/data" && echo "on the data disk" > "$1/data/file" &&
  mkdir -p "$1/opt/usr-bind" && mount --bind "$1/usr" "$1/opt/usr-bind" &&
  mkdir -p "$1/srv/loop" && mount --rbind "$1" "$1/srv/loop" &&
  exec "$2" --root "$1" --workspace "$3/ws" machine -o "$3/img" --tag web01/machine:1 --analysis "$3/analysis.json" --json' \
  _ "$R" "$DECANT" "$W" > "$W/summary.json" 2> "$W/machine.err" || { cat "$W/machine.err"; fail "decant machine"; }
cat "$W/machine.err"
A="$W/analysis.json"
jq -e '.applicationType == "machine"' "$A" >/dev/null || fail "applicationType"
jq -e '.exclude | any(.path == "/data/*" and (.reason | contains("tmpfs")))' "$A" >/dev/null || fail "tmpfs mount not excluded: $(jq -c .exclude "$A")"
jq -e '.exclude | any(.path == "/opt/usr-bind/*" and (.reason | contains("bind mount of")))' "$A" >/dev/null || fail "bind mount not excluded: $(jq -c .exclude "$A")"
jq -e '.exclude | any(.path == "/srv/loop/*")' "$A" >/dev/null || fail "recursive bind mount of the root not excluded"
jq -e '.extensions.machine.mounts | length == 3' "$A" >/dev/null || fail "mounts: $(jq -c .extensions.machine.mounts "$A")"
jq -e '.exclude | any(.path == "/proc/*") and any(.path == "/tmp/*") and any(.path == "/mnt/*") and all(.reason != "")' "$A" >/dev/null || fail "default exclusions"
jq -e '.extensions.machine.cronJobs | length == 1 and .[0].command == "/usr/local/bin/backup"' "$A" >/dev/null || fail "cron jobs"
jq -e '.warnings | any(.code == "cron-jobs")' "$A" >/dev/null || fail "cron warning"
jq -e '.extensions.machine.os.supported == true and .extensions.machine.os.id == "debian"' "$A" >/dev/null || fail "os-release"
jq -e '.extensions.machine.sizeReport.totalBytes > 0 and (.extensions.machine.sizeReport.largestFiles | length > 0)' "$A" >/dev/null || fail "size report"
jq -e '.extensions.machine.command == ["/.decant/init", "/.decant/entrypoint.sh"]' "$A" >/dev/null || fail "extensions.machine.command"

echo "== skopeo inspect: entrypoint is the init"
skopeo inspect --config "oci:$W/img:web01/machine:1" > "$W/config.json"
jq -e '.config.Entrypoint == ["/.decant/init", "/.decant/entrypoint.sh"] and .config.User == "0:0"' "$W/config.json" >/dev/null || fail "config $(jq -c .config "$W/config.json")"
jq -e '.config.Labels["io.decant.application-type"] == "machine"' "$W/config.json" >/dev/null || fail "labels"

echo "== every blob's sha256 is its name"
for blob in "$W"/img/blobs/sha256/*; do
  [ "$(sha256sum "$blob" | cut -c1-64)" = "$(basename "$blob")" ] || fail "blob $blob"
done

echo "== tar -tvf of the layers"
: > "$W/layers.txt"
for digest in $(jq -r '.layers[].digest' "$W/summary.json" | cut -c8-); do
  gzip -dc "$W/img/blobs/sha256/$digest" | tar -tv --numeric-owner --warning=no-unknown-keyword >> "$W/layers.txt"
done
grep -q " opt/usr-bind/." "$W/layers.txt" && fail "the bind mount's contents were packed"
grep -q " srv/loop/." "$W/layers.txt" && fail "the bind-mount loop was walked"
for excluded in proc/1/status sys/kernel/x tmp/junk var/tmp/junk mnt/disk/file boot/vmlinuz var/cache/apt/archives/curl_7.88.deb data/file data/hidden-by-mount run/lock/fifo; do
  grep -q " $excluded\$" "$W/layers.txt" && fail "$excluded should be excluded"
done
for kept in "drwxr-xr-x 0/0 .* proc/\$" " tmp/\$" "-rwsr-x--- 1234/1234 .* usr/bin/suid-helper\$" \
            "drwx------ 1234/1234 .* home/alice/\$" "usr/bin/tool-hardlink link to usr/bin/tool\|usr/bin/tool link to usr/bin/tool-hardlink" \
            "usr/bin/tool-link -> tool\$" "bin -> usr/bin\$" "var/log/syslog\$" ".decant/init\$" ".decant/entrypoint.sh\$"; do
  grep -q -- "$kept" "$W/layers.txt" || fail "expected '$kept' in the layers"
done

echo "== the sparse file keeps its size but not its holes"
data_layer="$(jq -r '.layers[] | select(.role=="app") | .digest' "$W/summary.json" | cut -c8-)"
gzip -dc "$W/img/blobs/sha256/$data_layer" > "$W/app-layer.tar"
# grep reads the whole listing (no -q): with pipefail, a grep that stops at the first match
# makes tar die of SIGPIPE and the pipeline fail although the line is there.
tar -tv --numeric-owner --warning=no-unknown-keyword -f "$W/app-layer.tar" | grep " 67108864 .* srv/data/sparse.img\$" >/dev/null || fail "sparse.img size: $(tar -tvf "$W/app-layer.tar" | grep sparse)"
[ "$(stat -c %s "$W/app-layer.tar")" -lt $((4*1024*1024)) ] || fail "the app layer holds the holes: $(stat -c %s "$W/app-layer.tar") bytes"
mkdir "$W/x" && tar --warning=no-unknown-keyword -xf "$W/app-layer.tar" -C "$W/x" srv/data/sparse.img
cmp "$W/x/srv/data/sparse.img" "$R/srv/data/sparse.img" || fail "sparse.img content differs after GNU tar extraction"

echo "== umoci unpack: owners, modes, links, xattrs, ACLs"
umoci unpack --image "$W/img:web01/machine:1" "$W/bundle" > /dev/null
B="$W/bundle/rootfs"
[ "$(stat -c '%a %u:%g' "$B/usr/bin/suid-helper")" = "4750 1234:1234" ] || fail "setuid: $(stat -c '%a %u:%g' "$B/usr/bin/suid-helper")"
[ "$(stat -c %i "$B/usr/bin/tool")" = "$(stat -c %i "$B/usr/bin/tool-hardlink")" ] || fail "hard link lost"
[ "$(readlink "$B/bin")" = usr/bin ] || fail "symlink /bin"
[ "$(getfattr --absolute-names --only-values -n user.decant.test "$B/opt/app/app.bin")" = hello ] || fail "user xattr"
getfacl -cp "$B/opt/app/app.bin" 2>/dev/null | grep -q '^user:1234:rw-' || fail "ACL: $(getfacl -cp "$B/opt/app/app.bin")"
getfacl -cp "$B/srv/data" 2>/dev/null | grep -q '^default:user:1234:rwx' || fail "default ACL: $(getfacl -cp "$B/srv/data")"
cmp "$B/srv/data/sparse.img" "$R/srv/data/sparse.img" || fail "sparse.img content after umoci unpack"
[ -d "$B/proc" ] && [ -z "$(ls -A "$B/proc")" ] || fail "/proc should be an empty directory"
[ -z "$(ls -A "$B/data")" ] || fail "/data (the tmpfs mount point) should be empty"
"$B/.decant/init" -- /bin/true || fail "the packed init does not run"
head -1 "$B/.decant/entrypoint.sh" | grep -q '^#!/bin/sh' || fail "entry script"

echo "== decant pack on the machine analysis gives the same file list"
"$DECANT" --root "$R" pack "$A" --list 2>/dev/null | sort > "$W/pack-list.txt"
"$DECANT" --root "$R" machine --list --no-services 2>/dev/null | sort > "$W/machine-list.txt"
# The tmpfs is not mounted outside the namespace: /data/hidden-by-mount is visible there.
grep -v '^/data/' "$W/machine-list.txt" | diff - <(grep -v '^/data/' "$W/pack-list.txt") || fail "pack and machine disagree"

echo "== decant generate runs the init (Kubernetes and Dockerfile)"
"$DECANT" generate "$A" --image registry.example/web01/machine:1 -o "$W/deploy" --oci "$W/img" > /dev/null 2> "$W/generate.err" \
  || { cat "$W/generate.err"; fail "decant generate"; }
grep -A1 '^ *command:' "$W/deploy/kubernetes/deployment.yaml" | grep -q -- '- /.decant/init$' || fail "deployment command: $(grep -A3 command: "$W/deploy/kubernetes/deployment.yaml")"
grep -A1 '^ *args:' "$W/deploy/kubernetes/deployment.yaml" | grep -q -- '- /.decant/entrypoint.sh$' || fail "deployment args"
grep -q '^ENTRYPOINT \["/.decant/init", *"/.decant/entrypoint.sh"\]' "$W/deploy/docker/Dockerfile" || fail "Dockerfile: $(grep ENTRYPOINT "$W/deploy/docker/Dockerfile")"

echo "== --max-size fails early and writes nothing"
set +e
"$DECANT" --root "$R" --workspace "$W/ws2" machine -o "$W/too-big" --max-size 1K 2> "$W/max.err"
code=$?
set -e
[ "$code" = 11 ] || fail "--max-size exit code $code: $(cat "$W/max.err")"
grep -q "more than --max-size" "$W/max.err" || fail "message: $(cat "$W/max.err")"
[ ! -e "$W/too-big/index.json" ] || fail "--max-size left an index.json"
[ ! -e "$W/ws2" ] || fail "--max-size wrote an analysis"
set +e
"$DECANT" --root "$R" machine -o "$W/x2" --max-size lots 2> "$W/max2.err"; code=$?
set -e
[ "$code" = 2 ] || fail "--max-size lots: exit $code"

echo "== bad --root, output inside the root"
set +e
"$DECANT" --root "$R/etc/passwd" machine -o "$W/y" 2> "$W/root.err"; code=$?
set -e
[ "$code" = 2 ] || [ "$code" = 3 ] || fail "--root FILE: exit $code $(cat "$W/root.err")"
[ ! -e "$W/y/index.json" ] || fail "bad root wrote a layout"
"$DECANT" --root "$R" --workspace "$W/ws3" machine -o "$R/srv/out" --no-services > /dev/null 2>&1 || fail "output inside the root"
"$DECANT" --root "$R" --workspace "$W/ws3" machine -o "$R/srv/out" --force --no-services --list 2>/dev/null | grep '^/srv/out' >/dev/null && fail "the output directory inside the root was packed"

echo "== unreadable files: reported, exit 5 unless --allow-unreadable"
chmod 000 "$R/home/alice/notes"
set +e
setpriv --reuid=1234 --regid=1234 --clear-groups "$DECANT" --root "$R" --workspace "$W/ws4" machine --list --no-services > /dev/null 2> "$W/unreadable.err"; code=$?
set -e
[ "$code" = 5 ] || fail "unreadable: exit $code $(tail -3 "$W/unreadable.err")"
grep -q "unreadable: /home/alice/notes" "$W/unreadable.err" || fail "unreadable file not named"
setpriv --reuid=1234 --regid=1234 --clear-groups "$DECANT" --root "$R" --workspace "$W/ws4" machine --list --no-services --allow-unreadable > /dev/null 2>&1 || fail "--allow-unreadable"
chmod 644 "$R/home/alice/notes"

echo "== size report of the live root (no pack)"
# /work holds the developers' build trees: left out to keep the walk short on a shared machine.
"$DECANT" machine --size-report --json --no-services --exclude /work > "$W/live-size.json" 2> "$W/live.err" || [ $? = 5 ] || fail "live size report: $(tail -3 "$W/live.err")"
jq -e '.totalBytes > 10000000 and (.largestDirectories | length > 0)' "$W/live-size.json" >/dev/null || fail "live size report $(head -c 300 "$W/live-size.json")"

ok=1
echo "PASS"
