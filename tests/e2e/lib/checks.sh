# Shared by e2e scripts that assert on decant's JSON output: sourced, not run.
#   fail MESSAGE...
#   check FILE JQ-EXPRESSION DESCRIPTION: passes when the expression is true of FILE; else shows
#     the fields CHECK_SHOW names (a jq object constructor, default the whole document) and fails.
fail() { echo "FAIL: $*"; exit 1; }
check() {
  jq -e "$2" "$1" > /dev/null || { jq "${CHECK_SHOW:-.}" "$1" | head -100; fail "$3 ($2)"; }
  echo "  ok: $3"
}
