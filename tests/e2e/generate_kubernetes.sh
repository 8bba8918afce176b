#!/usr/bin/env bash
# decant generate: every object validates against the Kubernetes schemas (npm kubernetes-models
# 4.x, installed into build/node by this test), the YAML parsed back matches the analysis, secret
# values appear only in secret.yaml, the Dockerfile context matches an OCI layout built by umoci,
# and bad input gets clear messages.
# ctest: TIMEOUT=600
set -euo pipefail
LIB="$(cd "$(dirname "$0")" && pwd)/lib"
source "$LIB/registry.sh"
need_tools python3 node npm umoci
python3 -c 'import yaml' 2>/dev/null || { echo "SKIP: python3-yaml is not installed"; exit 77; }
DECANT=${DECANT:-build/cli/decant}
DECANT=$(cd "$(dirname "$DECANT")" && pwd)/$(basename "$DECANT")
FIXTURES=${DECANT_FIXTURES_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/fixtures}/deploy
BUILD=$(dirname "$(dirname "$DECANT")")
NODE_DIR=$BUILD/node

if [ ! -f "$NODE_DIR/node_modules/kubernetes-models/package.json" ]; then
  npm install --silent --no-audit --no-fund --prefix "$NODE_DIR" kubernetes-models@4 >/dev/null 2>&1 \
    || { echo "SKIP: cannot install kubernetes-models@4 with npm (offline?)"; exit 77; }
fi
export NODE_PATH=$NODE_DIR/node_modules

WORK=$(mktemp -d /tmp/decant-e2e-generate.XXXXXX)
trap 'if [ "$ok" != 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi' EXIT
ok=0
cd "$WORK"

# validate DIR: all YAML objects of DIR/kubernetes through kubernetes-models' validate().
validate() {
  python3 - "$1" <<'PY'
import glob, json, sys, yaml
docs = []
for f in sorted(glob.glob(sys.argv[1] + "/kubernetes/*.yaml")):
    if not f.endswith("kustomization.yaml"):
        docs += [d for d in yaml.safe_load_all(open(f)) if d]
json.dump(docs, open(sys.argv[1] + ".objects.json", "w"))
PY
  node "$LIB/validate_k8s.js" "$1.objects.json"
}

echo "== Tomcat analysis (secrets, volumes, low port, hostAliases)"
# Sizes are multiples of 512: umoci 0.4 leaves the last tar entry unpadded otherwise.
make_image oci app 409600 921600 >/dev/null
"$DECANT" generate "$FIXTURES/tomcat/analysis.json" --image 127.0.0.1:5000/shop/tomcat:1.0 \
  -o out --namespace shop --replicas 2 --oci oci:app >gen.out 2>gen.err || { cat gen.err; fail "generate"; }
cat gen.err
validate out
python3 - "$FIXTURES/tomcat" out <<'PY'
import json, os, stat, sys, yaml
fixture, out = sys.argv[1], sys.argv[2]
analysis = json.load(open(fixture + "/analysis.json"))
secrets = json.load(open(fixture + "/secrets.json"))
def load(name):
    return yaml.safe_load(open(f"{out}/kubernetes/{name}"))
dep, svc, cm, sec = load("deployment.yaml"), load("service.yaml"), load("configmap.yaml"), load("secret.yaml")
errors = []
def check(cond, what):
    if not cond:
        errors.append(what)
for obj in (dep, svc, cm, sec):
    check(obj["metadata"]["namespace"] == "shop", f"{obj['kind']} namespace")
check(dep["spec"]["replicas"] == 2, "replicas")
pod = dep["spec"]["template"]["spec"]
c = pod["containers"][0]
check(c["image"] == "127.0.0.1:5000/shop/tomcat:1.0", "image")
start = analysis["start"]["command"]
def k8s(arg):
    import re
    arg = arg.replace("$(", "$$(")
    return re.sub(r"\$\{secret:([^}]+)\}", r"$(\1)", arg)
check(c["command"] == [start[0]], "command")
check(c["args"] == [k8s(a) for a in start[1:]], f"args {c['args']}")
check(c["workingDir"] == analysis["start"]["workingDir"], "workingDir")
env = {e["name"]: e for e in c["env"]}
check(env["DB_PASSWORD"]["valueFrom"]["secretKeyRef"]["key"] == "ENV_DB_PASSWORD", "secret env")
for name in ("ARG_db.password", "ARG_api_token"):
    check(env[name]["valueFrom"]["secretKeyRef"]["name"] == sec["metadata"]["name"], f"argv secret {name}")
check(c["envFrom"][0]["configMapRef"]["name"] == cm["metadata"]["name"], "envFrom")
plain = {e["name"]: e["value"] for e in analysis["env"] if not e.get("secret")}
check(cm["data"] == plain, f"configmap {cm['data']} != {plain}")
check(sec["stringData"] == secrets, "secret values")
sc = pod["securityContext"]
check(sc["runAsUser"] == analysis["process"]["uid"] and sc["runAsGroup"] == analysis["process"]["gid"], "identity")
check(sc["supplementalGroups"] == [1001], "supplementalGroups")
check(sc["fsGroup"] == 997, "fsGroup")
check("NET_BIND_SERVICE" in c["securityContext"]["capabilities"]["add"], "NET_BIND_SERVICE for 443")
check(c["securityContext"]["capabilities"]["drop"] == ["ALL"], "drop ALL")
res = c["resources"]
check(res["requests"]["memory"] == "600Mi" and res["limits"]["memory"] == "1Gi", f"memory {res}")
check(res["requests"]["cpu"] == "1500m", "cpu")
check(c["readinessProbe"]["httpGet"]["path"] == "/" and c["startupProbe"]["httpGet"]["port"] == "http", "http probes")
check("tcpSocket" in c["livenessProbe"], "tcp liveness")
check(pod["hostAliases"] == analysis["extensions"]["hostAliases"], "hostAliases")
exposed = sorted(p["port"] for p in analysis["ports"] if p["expose"])
check(sorted(p["port"] for p in svc["spec"]["ports"]) == exposed, "service ports = exposed ports only")
vols = {v["name"]: v for v in pod["volumes"]}
mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
for v in analysis["volumes"]:
    vol = vols[mounts[v["path"]]]
    if v["role"] == "data":
        check("persistentVolumeClaim" in vol, f"PVC for {v['path']}")
        claim = vol["persistentVolumeClaim"]["claimName"]
        check(os.path.exists(f"{out}/kubernetes/pvc-{claim}.yaml"), "PVC object")
    else:
        check(vol.get("emptyDir") == {}, f"emptyDir for {v['path']}")
# Secret values only in secret.yaml, which is private.
for name in os.listdir(out + "/kubernetes"):
    text = open(f"{out}/kubernetes/{name}").read()
    for value in secrets.values():
        check(name == "secret.yaml" or value not in text, f"secret value in {name}")
check(stat.S_IMODE(os.stat(out + "/kubernetes/secret.yaml").st_mode) == 0o600, "secret.yaml mode")
for value in secrets.values():
    check(value not in open(out + "/docker/Dockerfile").read(), "secret value in Dockerfile")
if errors:
    print("MISMATCH:", *errors, sep="\n  ")
    sys.exit(1)
print("YAML matches the analysis")
PY

echo "== Dockerfile context"
grep -qx "FROM scratch" out/docker/Dockerfile || fail "no FROM scratch"
grep -qx "USER 997:997" out/docker/Dockerfile || fail "USER"
grep -qx "WORKDIR /var/lib/tomcat10" out/docker/Dockerfile || fail "WORKDIR"
grep -qx "EXPOSE 8080/tcp" out/docker/Dockerfile && grep -qx "EXPOSE 443/tcp" out/docker/Dockerfile || fail "EXPOSE"
! grep -q "EXPOSE 8005" out/docker/Dockerfile || fail "unexposed port in EXPOSE"
grep -qx 'ENV TOMCAT_PORT="8080"' out/docker/Dockerfile || fail "ENV"
! grep -q "DB_PASSWORD=" out/docker/Dockerfile || fail "secret env baked into the Dockerfile"
grep -q '^ENTRYPOINT \["/bin/sh","-c","exec ' out/docker/Dockerfile || fail "ENTRYPOINT"
layers=$(python3 -c '
import json
idx = json.load(open("oci/index.json"))
m = json.load(open("oci/blobs/sha256/" + idx["manifests"][0]["digest"].split(":")[1]))
print(" ".join(l["digest"].split(":")[1] for l in m["layers"]))')
n=0
for hex in $layers; do
  n=$((n + 1))
  file=$(printf 'out/docker/layers/%02d-%s.tar.gz' "$n" "${hex:0:12}")
  cmp -s "$file" "oci/blobs/sha256/$hex" || fail "layer $n differs: $file"
  grep -qx "ADD ${file#out/docker/} /" out/docker/Dockerfile || fail "no ADD for $file"
  # umoci 0.4 ends layers without tar's two zero blocks: GNU tar complains, docker's ADD
  # (Go archive/tar) and Python's tarfile do not.
  python3 -c 'import sys, tarfile; assert tarfile.open(sys.argv[1]).getnames()' "$file" || fail "$file is not a gzip tar"
done
[ "$n" = 2 ] || fail "expected 2 layers, found $n"

echo "== --externalize-secrets: secret files mounted from a Secret read through --root"
"$DECANT" --root "$FIXTURES/tomcat-host" generate "$FIXTURES/tomcat/analysis.json" \
  --image 127.0.0.1:5000/shop/tomcat:1.0 -o ext --externalize-secrets >/dev/null 2>ext.err || { cat ext.err; fail "externalize"; }
validate ext
python3 - "$FIXTURES/tomcat-host" ext <<'PY'
import base64, os, sys, yaml
host, out = sys.argv[1], sys.argv[2]
files = yaml.safe_load(open(out + "/kubernetes/secret-files.yaml"))
content = open(host + "/etc/tomcat10/tomcat-users.xml", "rb").read()
assert base64.b64decode(files["data"]["etc-tomcat10-tomcat-users-xml"]) == content
dep = yaml.safe_load(open(out + "/kubernetes/deployment.yaml"))
pod = dep["spec"]["template"]["spec"]
mount = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "secret-files"][0]
assert mount == {"name": "secret-files", "mountPath": "/etc/tomcat10/tomcat-users.xml",
                 "subPath": "etc-tomcat10-tomcat-users-xml", "readOnly": True}, mount
assert [v for v in pod["volumes"] if v["name"] == "secret-files"][0]["secret"]["secretName"] == files["metadata"]["name"]
assert oct(os.stat(out + "/kubernetes/secret-files.yaml").st_mode & 0o777) == "0o600"
for name in os.listdir(out + "/kubernetes"):
    if name != "secret-files.yaml":
        assert b"s3cr3t-file" not in open(f"{out}/kubernetes/{name}", "rb").read(), name
print("secret files mounted from the Secret")
PY
! grep -q "supplementary groups" ext.err || fail "group names were not resolved through --root"
# hostAliases from the source's /etc/hosts alone (the analysis' extensions.hostAliases removed).
python3 -c 'import json, sys; a = json.load(open(sys.argv[1])); a["extensions"].pop("hostAliases"); json.dump(a, open("noalias.json", "w"))' "$FIXTURES/tomcat/analysis.json"
cp "$FIXTURES/tomcat/secrets.json" noalias.secrets.json  # NAME.json keeps NAME.secrets.json
"$DECANT" --root "$FIXTURES/tomcat-host" generate noalias.json --image r.io/a:1 -o hosts >/dev/null 2>&1 || fail "generate with /etc/hosts"
python3 - hosts <<'PY'
import sys, yaml
pod = yaml.safe_load(open(sys.argv[1] + "/kubernetes/deployment.yaml"))["spec"]["template"]["spec"]
assert pod["hostAliases"] == [{"ip": "10.0.0.12", "hostnames": ["db.internal", "db"]}], pod.get("hostAliases")
print("hostAliases from /etc/hosts")
PY
set +e
"$DECANT" --root "$WORK" generate "$FIXTURES/tomcat/analysis.json" --image r.io/a:1 -o ext2 --externalize-secrets >bad.out 2>bad.err; rc=$?
set -e
[ $rc = 2 ] && grep -q "source host shop-web-01" bad.err && [ ! -e ext2 ] || { cat bad.err; fail "externalize on another host: exit $rc"; }

echo "== machine-level analysis: the init and entry script are the command"
"$DECANT" generate "$FIXTURES/machine/analysis.json" --image reg.example.com/legacy/box:1 -o machine >/dev/null 2>machine.err || { cat machine.err; fail "machine generate"; }
validate machine
python3 - machine <<'PY'
import sys, yaml
dep = yaml.safe_load(open(sys.argv[1] + "/kubernetes/deployment.yaml"))
c = dep["spec"]["template"]["spec"]["containers"][0]
assert c["command"] == ["/sbin/decant-init"] and c["args"] == ["/decant/entrypoint.sh"], c
assert "tcpSocket" in c["readinessProbe"], "no path known: TCP readiness"
svc = yaml.safe_load(open(sys.argv[1] + "/kubernetes/service.yaml"))
assert {(p["port"], p["protocol"]) for p in svc["spec"]["ports"]} == {(80, "TCP"), (5353, "UDP")}
print("machine command ok")
PY

echo "== names Kubernetes refuses: sanitized, originals in decant.io/original-names"
"$DECANT" generate "$FIXTURES/hostile-names/analysis.json" --image reg.example.com/a:1 \
  --name 'Shop_Web.Prod!!' -o hostile >/dev/null 2>hostile.err || { cat hostile.err; fail "hostile names"; }
validate hostile
python3 - hostile <<'PY'
import json, sys, yaml
dep = yaml.safe_load(open(sys.argv[1] + "/kubernetes/deployment.yaml"))
names = json.loads(dep["metadata"]["annotations"]["decant.io/original-names"])
assert names["name"]["shop-web-prod"] == "Shop_Web.Prod!!", names
assert "HTTP/1.1 Connector (port 8080)" in names["port"].values(), names
assert names["secretKey"]["db_password__prod_"] == "db password (prod)", names
c = dep["spec"]["template"]["spec"]["containers"][0]
assert len({p["name"] for p in c["ports"]}) == len(c["ports"]), "port names are unique"
sec = yaml.safe_load(open(sys.argv[1] + "/kubernetes/secret.yaml"))
assert sec["stringData"]["db_password__prod_"] == "hostile-s3cret"
print("hostile names ok")
PY
grep -q 'environment variable "WITH SPACE" has a name Kubernetes refuses' hostile.err || { cat hostile.err; fail "no warning for a refused variable name"; }

echo "== bad input"
set +e
"$DECANT" generate "$FIXTURES/tomcat/analysis.json" -o noimage >bad.out 2>bad.err; rc=$?
[ $rc = 2 ] && grep -q -- "--image" bad.err && [ ! -e noimage ] || { cat bad.err; fail "without --image: exit $rc"; }
"$DECANT" generate "$FIXTURES/tomcat/analysis.json" --image 'Bad Ref' -o badref >bad.out 2>bad.err; rc=$?
[ $rc = 2 ] && grep -q "invalid image reference" bad.err && [ ! -e badref ] || { cat bad.err; fail "bad --image: exit $rc"; }
"$DECANT" generate "$FIXTURES/tomcat/analysis.json" --image reg.example.com/a:1 -o out >bad.out 2>bad.err; rc=$?
[ $rc = 8 ] && grep -q -- "--force" bad.err || { cat bad.err; fail "existing output: exit $rc"; }
"$DECANT" generate "$FIXTURES/tomcat/analysis.json" --image reg.example.com/a:1 -o out --force >/dev/null 2>&1 || fail "--force"
echo "kept by the operator" >out/NOTES.txt
"$DECANT" generate "$FIXTURES/tomcat/analysis.json" --image reg.example.com/a:1 -o out --force >bad.out 2>bad.err; rc=$?
[ $rc = 8 ] && grep -q "NOTES.txt" bad.err && [ -e out/NOTES.txt ] || { cat bad.err; fail "--force over a file generate did not write: exit $rc"; }
echo '{"schemaVersion": 1}' >broken.json
"$DECANT" generate broken.json --image reg.example.com/a:1 -o broken >bad.out 2>bad.err; rc=$?
[ $rc = 6 ] && grep -q "broken.json" bad.err && [ ! -e broken ] || { cat bad.err; fail "broken analysis: exit $rc"; }
"$DECANT" generate "$FIXTURES/tomcat/analysis.json" --image reg.example.com/a:1 -o badoci --oci "$WORK/none" >bad.out 2>bad.err; rc=$?
[ $rc = 3 ] && grep -q "not an OCI image layout" bad.err && [ ! -e badoci ] || { cat bad.err; fail "missing --oci layout: exit $rc"; }
set -e

ok=1
echo "PASS"
