#!/usr/bin/env bash
# The installed library: `cmake --install` of this build into a temporary prefix puts decant,
# decant-init (beside where decant looks for it), the headers and the CMake package there;
# examples/agent is configured against that prefix alone (find_package(decant), nothing of the
# source or build tree), built, and run on a fixture host: it lists the inventory and analyzes
# the Tomcat process through the library API.
# Environment: DECANT_BUILD_DIR, DECANT_SOURCE_DIR, DECANT_FIXTURES_DIR, DECANT_CXX.
set -euo pipefail

build=${DECANT_BUILD_DIR:?}
source=${DECANT_SOURCE_DIR:?}
fixtures=${DECANT_FIXTURES_DIR:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

cmake --install "$build" --prefix "$prefix" >"$work/install.log" || {
  cat "$work/install.log" >&2
  fail "cmake --install"
}
for file in bin/decant lib/decant/decant-init include/decant/error.hpp \
  include/decant/workflow/analyze.hpp include/decant/version.hpp \
  include/decant/analyzers/registry.hpp lib/cmake/decant/decantConfig.cmake \
  lib/cmake/decant/decantConfigVersion.cmake; do
  [ -e "$prefix/$file" ] || fail "$file is not installed"
done
[ -x "$prefix/bin/decant" ] && [ -x "$prefix/lib/decant/decant-init" ] ||
  fail "decant or decant-init is not executable"
"$prefix/bin/decant" --version >/dev/null || fail "the installed decant does not run"

# The example sees only the prefix: a copy of it outside the source tree, and no path of the
# source or build tree in what its build compiles with.
cp -r "$source/examples/agent" "$work/agent"
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$work/agent" -B "$work/agent-build" "${generator[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="${DECANT_CXX:-c++}" \
  -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$work/configure.log" 2>&1 || {
  cat "$work/configure.log" >&2
  fail "configuring examples/agent against the installed prefix"
}
if grep -qF -e "$source/lib" -e "$source/analyzers" -e "$build/" "$work/agent-build/compile_commands.json"; then
  fail "examples/agent compiles with paths of the source or build tree"
fi
cmake --build "$work/agent-build" -j2 >"$work/build.log" 2>&1 || {
  cat "$work/build.log" >&2
  fail "building examples/agent against the installed prefix"
}
agent=$work/agent-build/decant-agent

host=$fixtures/hosts/tomcat-debian
"$agent" --root "$host" >"$work/inventory.out" || fail "the agent's inventory failed"
cat "$work/inventory.out"
grep -qP '^4242\tjava-tomcat-61de77ad\tjava-tomcat\t' "$work/inventory.out" ||
  fail "the inventory does not list the Tomcat process 4242"
grep -q 'java-tomee' "$work/inventory.out" || fail "the agent does not know every analyzer"

"$agent" --root "$host" 4242 -o "$work/out/analysis.json" >"$work/analyze.out" ||
  fail "the agent's analysis failed"
cat "$work/analyze.out"
grep -q 'analyzed PID 4242 with java-tomcat: java-tomcat-61de77ad' "$work/analyze.out" ||
  fail "the analysis summary is not printed"
python3 - "$work/out/analysis.json" "$host/expected/analysis.json" <<'PY' || fail "analysis.json differs"
import json, sys
got, want = (json.load(open(p)) for p in sys.argv[1:])
for key in ("applicationId", "applicationType", "ports", "start"):
    assert got[key] == want[key], (key, got[key], want[key])
PY

# Errors come back as decant::Error with the CLI's exit codes.
status=0
"$agent" --root "$host" 99999 -o "$work/none/analysis.json" 2>"$work/err" || status=$?
[ "$status" = 3 ] || fail "a missing PID exits $status, not 3 (not_found)"
grep -q 'decant-agent: error: ' "$work/err" || fail "no error message for a missing PID"
echo "PASS"
