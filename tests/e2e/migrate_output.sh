#!/usr/bin/env bash
# What `decant migrate` shows while it works, on the tomcat-debian fixture host (--root) into
# tests/e2e/lib/fake_registry.py: with --json, only JSON lines on standard output (every event
# of every stage, pack and push progress that only grows to its total, then the job as the last
# line) and nothing on standard error; on a terminal (script(1) gives it one), a progress line per
# stage rewritten in place with rate and time left, the summary and the job id; in a pipe, no
# terminal control sequences at all.
# ctest: TIMEOUT=300
set -euo pipefail
LIB="$(cd "$(dirname "$0")" && pwd)/lib"
source "$LIB/registry.sh"
need_tools python3 jq script
DECANT=${DECANT:-build/cli/decant}
FIXTURES=${DECANT_FIXTURES_DIR:-$(cd "$(dirname "$0")/../../fixtures" && pwd)}

WORK=$(mktemp -d /tmp/decant-e2e-migrate-output.XXXXXX)
trap 'stop_started; if [ "$ok" != 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi' EXIT
ok=0
export XDG_CACHE_HOME=$WORK/cache
cd "$WORK"
cp -a "$FIXTURES/hosts/tomcat-debian" host

# migrate_command WORKSPACE TAG [options]: the command line, quoted for a shell (script -c).
migrate_command() {
  local ws="$1" tag="$2"
  shift 2
  printf '%q ' "$DECANT" --root "$WORK/host" --workspace "$WORK/$ws" migrate 4242 \
    --image "127.0.0.1:$PORT/shop/app:$tag" --insecure --no-verify "$@"
}
migrate() { eval "$(migrate_command "$@")"; }

echo "== --json: JSON lines, nothing else"
start_fake_registry 0 registry-json.log
migrate ws-json 1 --json >json.out 2>json.err || { cat json.err; fail "migrate --json"; }
[ ! -s json.err ] || { cat json.err; fail "--json wrote to standard error"; }
jq -e -s 'length > 0 and all(.[]; type == "object" and (.event | type == "string") and (.stage | type == "string"))' \
  json.out >/dev/null || { cat json.out; fail "a line is not an event object"; }
for stage in analyze pack push generate migrate; do
  jq -e -s --arg s "$stage" 'any(.[]; .stage == $s)' json.out >/dev/null || fail "no event of stage $stage"
done
for stage in pack push; do
  jq -e -s --arg s "$stage" '[.[] | select(.stage == $s and .event == "progress")] as $p
    | ($p | length) > 0
      and all($p[]; .done <= .total)
      and ([$p[].done] == ([$p[].done] | sort))
      and ($p[-1].done == $p[-1].total)' json.out >/dev/null \
    || { jq -c --arg s "$stage" 'select(.stage == $s and .event == "progress")' json.out; fail "$stage progress does not grow to its total"; }
done
jq -e -s '.[-1] as $last | $last.event == "result" and $last.job.state == "completed"
  and ($last.job.image | endswith("@" + $last.job.imageDigest))' json.out >/dev/null \
  || { tail -1 json.out; fail "the last line is not the completed job"; }
[ "$(jq -s '[.[] | select(.event == "result")] | length' json.out)" = 1 ] || fail "more than one result line"
echo "  ok: $(wc -l <json.out) JSON lines, $(jq -s '[.[] | select(.event == "progress")] | length' json.out) of them progress"

echo "== on a terminal: progress lines rewritten in place"
start_fake_registry 0 registry-tty.log
script -qfec "$(migrate_command ws-tty 2)" tty.out >/dev/null </dev/null || { cat tty.out; fail "migrate on a terminal"; }
grep -q $'\r\033\[Kpacking .* / .*/s .* left' tty.out || { cat -v tty.out; fail "no packing line with rate and time left"; }
grep -q $'\r\033\[Kpushing [0-9]*/[0-9]* sha256:' tty.out || { cat -v tty.out; fail "no pushing line naming its blob"; }
grep -q '^stages .*analyze .*pack .*push .*generate' tty.out || { cat -v tty.out; fail "no time per stage"; }
grep -q '^j-[0-9a-f]*'$'\r''\?$' tty.out || { cat -v tty.out; fail "the job id is not printed on its own line"; }

echo "== in a pipe: plain lines"
start_fake_registry 0 registry-pipe.log
migrate ws-pipe 3 >pipe.out 2>pipe.err || { cat pipe.err; fail "migrate in a pipe"; }
! grep -q $'\033' pipe.err pipe.out || { cat -v pipe.err; fail "terminal control sequences in a pipe"; }
grep -q '^j-[0-9a-f]*$' pipe.out && [ "$(wc -l <pipe.out)" = 1 ] || { cat pipe.out; fail "standard output is not the job id alone"; }
grep -q "completed" pipe.err || { cat pipe.err; fail "the summary does not say completed"; }

ok=1
echo "PASS"
