# Shared by the bench/*/run.sh scripts: sourced, not run. Timing in seconds, medians, and the
# results block of docs/benchmarks.md.

# bench_options DEFAULT_RUNS ARG...: runs and write from --runs N and --write (a bad option is
# exit 2), and DECANT, build/cli/decant unless set, as an absolute path that must exist.
bench_options() {
  runs="$1" write=0
  shift
  while [ $# -gt 0 ]; do
    case "$1" in
      --runs) runs="$2"; shift 2 ;;
      --write) write=1; shift ;;
      *) echo "usage: $0 [--runs N] [--write]" >&2; exit 2 ;;
    esac
  done
  DECANT="$(readlink -m "${DECANT:-build/cli/decant}")"
  [ -x "$DECANT" ] || { echo "build decant first (scripts/setup)" >&2; exit 1; }
}

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
# m VALUE...: their median.
m() { printf '%s\n' "$@" | median; }
# f VALUE: two decimals.
f() { printf '%.2f' "$1"; }

# write_report NAME TITLE REPORT: REPORT (which starts with <!-- bench/NAME:begin --> and ends
# with <!-- bench/NAME:end -->) replaces the same block in docs/benchmarks.md, or goes at its end
# under "## TITLE" the first time.
write_report() {
  local name="$1" title="$2" report="$3" doc=docs/benchmarks.md
  [ -f "$doc" ] || printf '# Benchmarks\n\nResults of the scripts in bench/, copied here by `--write`.\n' > "$doc"
  if grep -q "bench/$name:begin" "$doc"; then
    python3 - "$doc" "$name" "$report" <<'PY'
import re, sys
path, name, report = sys.argv[1], sys.argv[2], sys.argv[3]
text = open(path).read()
block = re.compile(r'<!-- bench/%s:begin -->.*?<!-- bench/%s:end -->' % (name, name), re.S)
open(path, 'w').write(block.sub(lambda m: report, text))
PY
  else
    printf '\n## %s\n\n%s\n' "$title" "$report" >> "$doc"
  fi
  echo "written to $doc" >&2
}
