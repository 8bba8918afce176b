# Checks for the e2e tests of `decant verify` (sourced, not run).
#
# verify_left_nothing TMP MARKER: after `TMPDIR=TMP decant verify LAYOUT ...`, nothing of the
# sandbox is left: no temporary tree in TMP, no mount naming it (this mount namespace is the
# host's), and no process whose command line holds MARKER (the layout path: the sandbox's PID 1
# is a fork of decant with its command line; a PID namespace cannot outlive its PID 1, so with
# it gone every process of the image is gone too).
verify_left_nothing() {
  local tmp=$1 marker=$2 p
  if [ -n "$(ls -A "$tmp")" ]; then
    echo "FAIL: verify left $(ls -A "$tmp" | tr '\n' ' ')in $tmp"
    return 1
  fi
  if grep -qF -- "$tmp" /proc/self/mountinfo; then
    echo "FAIL: a mount of the sandbox is left: $(grep -F -- "$tmp" /proc/self/mountinfo | head -2)"
    return 1
  fi
  for p in /proc/[0-9]*; do
    [ "${p#/proc/}" = "$$" ] && continue
    if tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -qF -- "$marker"; then
      echo "FAIL: process ${p#/proc/} of the sandbox is left: $(tr '\0' ' ' < "$p/cmdline" 2>/dev/null)"
      return 1
    fi
  done
  return 0
}

# other_netns_pids PATTERN: PIDs whose command line matches PATTERN and that run in another
# network namespace than this shell (an image's processes, not the source).
other_netns_pids() {
  local pid
  for pid in $(pgrep -f -- "$1" || true); do
    [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" != "$(readlink /proc/self/ns/net)" ] && echo "$pid"
  done
  return 0
}
