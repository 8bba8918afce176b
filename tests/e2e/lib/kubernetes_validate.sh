# Validating generated Kubernetes objects against the Kubernetes schemas (npm kubernetes-models
# 4.x, installed into <build>/node on first use): sourced, not run.
#   k8s_validate_setup DECANT   installs kubernetes-models next to the build of DECANT; returns 77
#                               (the test's skip code) when npm cannot install it
#   k8s_validate DIR            validates every object of DIR/kubernetes/*.yaml (not the
#                               kustomization), writing DIR.objects.json (beside it: the output
#                               directory holds only what generate wrote); fails on an invalid one
k8s_validate_setup() {
  local build node_dir
  build=$(dirname "$(dirname "$1")")
  node_dir=$build/node
  command -v node >/dev/null && command -v npm >/dev/null || { echo "SKIP: node/npm are not installed"; return 77; }
  python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml is not installed"; return 77; }
  if [ ! -f "$node_dir/node_modules/kubernetes-models/package.json" ]; then
    npm install --silent --no-audit --no-fund --prefix "$node_dir" kubernetes-models@4 >/dev/null 2>&1 \
      || { echo "SKIP: cannot install kubernetes-models@4 with npm (offline?)"; return 77; }
  fi
  export NODE_PATH=$node_dir/node_modules
}

k8s_validate() {
  python3 - "$1" <<'PY'
import glob, json, sys, yaml
docs = []
for f in sorted(glob.glob(sys.argv[1] + "/kubernetes/*.yaml")):
    if not f.endswith("kustomization.yaml"):
        docs += [d for d in yaml.safe_load_all(open(f)) if d]
json.dump(docs, open(sys.argv[1] + ".objects.json", "w"))
PY
  node "$(dirname "${BASH_SOURCE[0]}")/validate_k8s.js" "$1.objects.json"
}
