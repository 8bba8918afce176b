#!/usr/bin/env bash
# A Tomcat that is not on this host's file system, live: a tomcat10-instance-create instance
# started inside a container made with util-linux only (a private mount namespace whose root is a
# fresh tmpfs holding bind mounts of /usr, /etc and /var, entered with pivot_root, the old root
# detached), so /proc/<pid>/root reads "/" but is not the host's root. inventory must leave it
# out; `decant analyze <pid>` must refuse it with exit 4 and a message that says why, writing
# nothing. The same instance's files on the host are no excuse: what a process names is resolved
# in its own root. Only the processes this script starts are stopped, by PID.
# ctest: RESOURCE_LOCK=tomcat10 TIMEOUT=600 LABELS=e2e
set -euo pipefail
DECANT="${DECANT:-$(dirname "$0")/../../build/cli/decant}"
SRC="${DECANT_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mount namespaces, starting tomcat as tomcat)"; exit 77; }
for tool in jq curl setpriv unshare pivot_root ss tomcat10-instance-create; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool is not installed (scripts/setup installs it)"; exit 77; }
done
unshare --mount --fork true 2>/dev/null || { echo "SKIP: cannot create mount namespaces here"; exit 77; }

W="$(mktemp -d /var/tmp/decant-e2e-container.XXXXXX)"
chmod 755 "$W"
. "$SRC/tests/e2e/lib/tomcat_instances.sh"
HOLDER=""
jvm=""
cleanup() {
  set +e
  # The JVM (exec'd by the shell in the container) first, then unshare, which waits for it.
  local pid
  for pid in $jvm $HOLDER; do
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$pid" 2>/dev/null
  done
  if [ "${ok:-0}" = 1 ]; then rm -rf "$W"; else echo "kept $W for inspection"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

p=$(free_port); s=$(free_port)
tomcat10-instance-create -p "$p" -c "$s" "$W/boxed" > /dev/null
chown -R tomcat:tomcat "$W/boxed"
mkdir "$W/root"
# The container: everything below runs in the new mount namespace; the JVM replaces the shell
# (exec), so $HOLDER is the JVM's PID.
unshare --mount --fork -- bash -c '
  set -e
  R="$1"; B="$2"
  mount --make-rprivate /
  mount -t tmpfs -o mode=0755 container-root "$R"
  for d in usr etc var dev; do mkdir "$R/$d"; mount --rbind "/$d" "$R/$d"; done
  for l in bin lib lib64 sbin; do ln -s "usr/$l" "$R/$l"; done
  mkdir "$R/proc" "$R/tmp" "$R/old"
  mount -t proc proc "$R/proc"
  mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
  cd "$R"
  pivot_root . old
  umount -l /old
  cd "$B"
  exec setpriv --reuid tomcat --regid tomcat --init-groups env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
    JAVA_HOME="$3" CATALINA_HOME=/usr/share/tomcat10 CATALINA_BASE="$B" CATALINA_TMPDIR="$B/temp" \
    /usr/share/tomcat10/bin/catalina.sh run' container "$W/root" "$W/boxed" "$INSTANCE_JAVA_HOME" > "$W/boxed.log" 2>&1 &
HOLDER=$!
for i in $(seq 240); do
  jvm="$(pgrep -f -- "-Dcatalina.base=$W/boxed" | head -1 || true)"
  [ -n "$jvm" ] && [ "$(readlink "/proc/$jvm/exe" 2>/dev/null)" != "" ] && grep -q "Bootstrap" "/proc/$jvm/cmdline" 2>/dev/null && ss -ltnp 2>/dev/null | grep -q "pid=$jvm," && break
  kill -0 "$HOLDER" 2>/dev/null || { tail -20 "$W/boxed.log"; fail "the contained Tomcat exited"; }
  [ "$i" = 240 ] && { tail -20 "$W/boxed.log"; fail "the contained Tomcat did not listen within 240 s"; }
  sleep 1
done
echo "contained Tomcat: PID $jvm, /proc/$jvm/root -> $(readlink "/proc/$jvm/root"), root inode $(stat -L -c '%d:%i' "/proc/$jvm/root") (host: $(stat -c '%d:%i' /))"
[ "$(stat -L -c '%d:%i' "/proc/$jvm/root")" != "$(stat -c '%d:%i' /)" ] || fail "the JVM's root is the host's: no container was made"

echo "== inventory leaves it out"
"$DECANT" inventory --json > "$W/inventory.json"
jq -e --argjson j "$jvm" '[.[] | select(.pid == $j)] | length == 0' "$W/inventory.json" > /dev/null || { cat "$W/inventory.json"; fail "inventory lists the contained PID $jvm"; }
echo "  ok: PID $jvm is not listed"

echo "== analyze refuses it"
set +e; "$DECANT" analyze "$jvm" -o "$W/out/analysis.json" 2> "$W/analyze.err"; rc=$?; set -e
cat "$W/analyze.err"
[ $rc = 4 ] || fail "decant analyze $jvm exited $rc, expected 4 (unsupported)"
grep -q "not on this host's file system" "$W/analyze.err" || fail "the message does not say why"
grep -q "container" "$W/analyze.err" || fail "the message does not name containers"
[ ! -e "$W/out/analysis.json" ] || fail "a refused PID left an analysis.json"
echo "  ok: exit 4, no output"
ok=1
echo PASS
