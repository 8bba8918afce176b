#!/usr/bin/env bash
# Machine mode on a real Linux root: a minimal Debian (debootstrap --variant=minbase) in a
# temporary directory, with a tmpfs mounted at its /data and files under its /mnt. The image
# holds the system but nothing from /mnt or /data; hard links (perl) and setuid bits (su)
# survive; the image's own /bin/sh runs in fresh namespaces; and a service started by the
# generated entry script under /.decant/init (PID 1) is stopped by SIGTERM through it; and
# `decant verify` runs the image's init in its sandbox and finds the recorded service's port
# listening.
# The debootstrap tree is cached as a tarball ($DECANT_TEST_CACHE, default
# /var/cache/decant-tests) and built at most once per machine (flock).
# ctest: TIMEOUT=1800 LABELS=e2e RESOURCE_LOCK=debootstrap
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
for tool in debootstrap umoci bwrap jq unshare flock; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs it)"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (debootstrap, mounts, owners)"; exit 77; }
CACHE="${DECANT_TEST_CACHE:-/var/cache/decant-tests}"
TARBALL="$CACHE/debian-bookworm-minbase.tar"
mkdir -p "$CACHE"

W="$(mktemp -d /tmp/decant-e2e-debootstrap.XXXXXX)"
cleanup() { if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

echo "== the Debian root (cached: $TARBALL)"
(
  flock 9
  if [ ! -s "$TARBALL" ]; then
    tree="$CACHE/bookworm-minbase.$$"
    rm -rf "$tree"
    debootstrap --variant=minbase bookworm "$tree" "${DECANT_DEBIAN_MIRROR:-http://deb.debian.org/debian}" > "$CACHE/debootstrap.log" 2>&1 \
      || { tail -5 "$CACHE/debootstrap.log"; rm -rf "$tree"; echo "SKIP: debootstrap failed (no mirror reachable?)"; exit 77; }
    tar --numeric-owner --xattrs -C "$tree" -cf "$TARBALL.tmp" . && mv "$TARBALL.tmp" "$TARBALL"
    rm -rf "$tree"
  fi
) 9> "$CACHE/.lock" || exit $?
R="$W/root"
mkdir "$R"
tar --numeric-owner --xattrs -xpf "$TARBALL" -C "$R"
[ -u "$R/usr/bin/su" ] || fail "the debootstrap tree has no setuid su"
mkdir -p "$R/mnt/disk" "$R/data"
echo "on a data disk" > "$R/mnt/disk/file"

echo "== decant analyze --machine (tmpfs at the root's /data, private mount namespace)"
unshare --mount bash -c '
  mount -t tmpfs -o size=8m tmpfs "$1/data" && echo "in the tmpfs" > "$1/data/file" &&
  exec "$2" --root "$1" analyze --machine -o "$3/analysis.json"' _ "$R" "$DECANT" "$W" > /dev/null 2> "$W/analyze.err" \
  || { cat "$W/analyze.err"; fail "analyze --machine"; }
A="$W/analysis.json"
jq -e '.exclude | any(.path == "/data/*")' "$A" > /dev/null || fail "/data mount not excluded"
jq -e '.extensions.machine.os.id == "debian" and .extensions.machine.os.supported' "$A" > /dev/null || fail "os-release"
# A service as analyze would record it for a unit: it traps SIGTERM and leaves a mark.
jq '.extensions.machine.services = [{"name": "marker.service", "source": "systemd", "type": "simple",
      "command": "sh -c '\''trap \"echo stopped > /srv/stopped; exit 0\" TERM; echo up > /srv/up; while :; do sleep 0.2; done'\''",
      "user": "root", "uid": 0, "gid": 0, "workingDirectory": "/srv", "ports": [], "pid": 0},
    {"name": "listener.service", "source": "systemd", "type": "simple",
      "command": "perl -MIO::Socket::INET -e '\''$SIG{TERM} = sub { exit 0 }; my $s = IO::Socket::INET->new(LocalPort => 8080, Listen => 5, ReuseAddr => 1) or die $!; open(my $m, \">\", \"/srv/listening\"); close $m; while (my $c = $s->accept) { print $c \"hello\\n\"; close $c }'\''",
      "user": "root", "uid": 0, "gid": 0, "workingDirectory": "/", "ports": [8080], "pid": 0}]' "$A" > "$W/a2.json"
mv "$W/a2.json" "$A"

echo "== decant pack"
start=$(date +%s.%N)
"$DECANT" --root "$R" pack "$A" -o "$W/img" --tag debian/machine:1 --json > "$W/summary.json" 2> "$W/pack.err" || { cat "$W/pack.err"; fail "pack"; }
echo "packed $(du -sh --apparent-size "$R" | cut -f1) in $(echo "$(date +%s.%N) - $start" | bc) s: $(jq -r '.size' "$W/summary.json") bytes compressed"

echo "== umoci unpack: the system, not /mnt or /data; hard links and setuid"
umoci unpack --image "$W/img:debian/machine:1" "$W/bundle" > /dev/null
B="$W/bundle/rootfs"
[ -x "$B/usr/bin/apt-get" ] || [ -x "$B/usr/bin/dpkg" ] || fail "the system is missing"
[ -z "$(ls -A "$B/mnt")" ] || fail "/mnt not empty: $(ls -A "$B/mnt")"
[ -z "$(ls -A "$B/data")" ] || fail "/data not empty: $(ls -A "$B/data")"
[ "$(stat -c '%a %U' "$B/usr/bin/su")" = "4755 root" ] || fail "su: $(stat -c '%a %U' "$B/usr/bin/su")"
links=$(find "$R/usr" -type f -links +1 | head -1)
[ -n "$links" ] || fail "the Debian tree has no hard links to check"
src_count=$(find "$R/usr" -samefile "$links" | wc -l)
img_count=$(find "$B/usr" -samefile "$B${links#$R}" | wc -l)
[ "$src_count" = "$img_count" ] || fail "hard links of ${links#$R}: $src_count on the source, $img_count in the image"

echo "== the image's own /bin/sh runs in fresh namespaces"
out="$(bwrap --bind "$B" / --proc /proc --dev /dev --unshare-all /bin/sh -c 'echo "hello from $(cat /etc/debian_version)"')" || fail "image sh"
echo "$out" | grep -q "^hello from 12" || fail "image sh said: $out"

echo "== the entry script under /.decant/init as PID 1; SIGTERM stops the service"
bwrap --bind "$B" / --proc /proc --dev /dev --unshare-all --as-pid-1 /.decant/init /.decant/entrypoint.sh &
bw=$!
# Both services have their SIGTERM handlers once they say so: a signal before that (perl still
# starting on a loaded machine) would kill the listener instead of stopping it.
for _ in $(seq 300); do [ -f "$B/srv/up" ] && [ -f "$B/srv/listening" ] && break; sleep 0.1; done
[ -f "$B/srv/up" ] && [ -f "$B/srv/listening" ] || fail "the services did not start"
init_host_pid="$(cat "/proc/$bw/task/$bw/children")"
kill -TERM $init_host_pid
set +e; wait "$bw"; code=$?; set -e
[ -f "$B/srv/stopped" ] || fail "the service was not stopped by SIGTERM (exit $code)"
[ "$code" = 0 ] || fail "init exit status $code"

echo "== decant verify: the init starts the services in the sandbox, each recorded port listens"
mkdir "$W/vt"
rc=0
TMPDIR="$W/vt" "$DECANT" verify "$W/img" --json > "$W/verify.json" 2> "$W/verify.err" || rc=$?
[ "$rc" = 0 ] || { cat "$W/verify.err"; jq . "$W/verify.json"; fail "verify of the machine image: exit $rc"; }
jq -e '.applicationType == "machine" and (.source.compared | not)
    and (.ports | any(.port == 8080 and .listening)) and (.probes | all(.scheme == "tcp" and .passed))' \
  "$W/verify.json" > /dev/null || fail "verify report: $(jq -c '{ports, probes, notes}' "$W/verify.json")"
[ -z "$(ls -A "$W/vt")" ] || fail "verify left $(ls -A "$W/vt")"

ok=1
echo "PASS"
