// Validates Kubernetes objects against the Kubernetes OpenAPI schemas with kubernetes-models 4.x.
// Usage: NODE_PATH=<dir>/node_modules node validate_k8s.js OBJECTS.json
// OBJECTS.json is a JSON array of objects (YAML documents converted by the test). Prints one line
// per object; exits 1 when one is invalid (schema or naming rules) or of a kind it does not know.
const fs = require("fs");

const kinds = {
  "apps/v1/Deployment": () => require("kubernetes-models/apps/v1/Deployment").Deployment,
  "v1/Service": () => require("kubernetes-models/v1/Service").Service,
  "v1/ConfigMap": () => require("kubernetes-models/v1/ConfigMap").ConfigMap,
  "v1/Secret": () => require("kubernetes-models/v1/Secret").Secret,
  "v1/PersistentVolumeClaim": () =>
    require("kubernetes-models/v1/PersistentVolumeClaim").PersistentVolumeClaim,
  "batch/v1/Job": () => require("kubernetes-models/batch/v1/Job").Job,
  "apps/v1/DaemonSet": () => require("kubernetes-models/apps/v1/DaemonSet").DaemonSet,
};

// Kubernetes' naming rules (k8s.io/apimachinery/pkg/util/validation), which the OpenAPI schemas
// do not carry: the API server refuses an object that breaks one of them.
const dns1123Label = (s) => typeof s === "string" && s.length <= 63 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s);
const dns1035Label = (s) => dns1123Label(s) && /^[a-z]/.test(s);
const dns1123Subdomain = (s) =>
  typeof s === "string" && s.length <= 253 && s.split(".").every((l) => l.length > 0 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(l));
const ianaSvcName = (s) =>
  typeof s === "string" && s.length <= 15 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(s) && /[a-z]/.test(s) && !s.includes("--");
const configKey = (s) => typeof s === "string" && s.length <= 253 && /^[-._a-zA-Z0-9]+$/.test(s) && s !== "." && s !== "..";
const envVarName = (s) => typeof s === "string" && /^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(s);
const labelValue = (s) => s === "" || (typeof s === "string" && s.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(s));
const qualifiedName = (s) => {
  const parts = s.split("/");
  const name = parts.pop();
  return parts.length <= 1 && (parts.length === 0 || dns1123Subdomain(parts[0])) && name.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name);
};

function nameErrors(object) {
  const errors = [];
  const need = (ok, what) => { if (!ok) errors.push(what); };
  const meta = object.metadata || {};
  const objectName = object.kind === "Service" ? dns1035Label : dns1123Subdomain;
  need(objectName(meta.name), `metadata.name ${JSON.stringify(meta.name)}`);
  if (meta.namespace !== undefined) need(dns1123Label(meta.namespace), `metadata.namespace ${meta.namespace}`);
  for (const [k, v] of Object.entries(meta.labels || {})) {
    need(qualifiedName(k), `label key ${k}`);
    need(labelValue(v), `label value ${JSON.stringify(v)}`);
  }
  for (const k of Object.keys(meta.annotations || {})) need(qualifiedName(k), `annotation key ${k}`);
  for (const k of Object.keys(object.data || {})) need(configKey(k), `data key ${JSON.stringify(k)}`);
  for (const k of Object.keys(object.stringData || {})) need(configKey(k), `stringData key ${JSON.stringify(k)}`);
  const spec = object.spec || {};
  for (const p of spec.ports || []) need(p.name === undefined || ianaSvcName(p.name), `service port name ${JSON.stringify(p.name)}`);
  const pod = (spec.template && spec.template.spec) || {};
  for (const v of pod.volumes || []) {
    need(dns1123Label(v.name), `volume name ${JSON.stringify(v.name)}`);
    if (v.persistentVolumeClaim) need(dns1123Subdomain(v.persistentVolumeClaim.claimName), `claimName ${v.persistentVolumeClaim.claimName}`);
    for (const item of (v.secret && v.secret.items) || []) need(configKey(item.key), `secret item key ${item.key}`);
  }
  for (const alias of pod.hostAliases || []) for (const h of alias.hostnames || []) need(dns1123Subdomain(h), `hostAliases hostname ${JSON.stringify(h)}`);
  for (const c of pod.containers || []) {
    need(dns1123Label(c.name), `container name ${JSON.stringify(c.name)}`);
    const portNames = new Set();
    for (const p of c.ports || []) {
      if (p.name === undefined) continue;
      need(ianaSvcName(p.name), `container port name ${JSON.stringify(p.name)}`);
      need(!portNames.has(p.name), `container port name ${p.name} twice`);
      portNames.add(p.name);
    }
    for (const e of c.env || []) {
      need(envVarName(e.name), `env name ${JSON.stringify(e.name)}`);
      const ref = e.valueFrom && (e.valueFrom.secretKeyRef || e.valueFrom.configMapKeyRef);
      if (ref) need(configKey(ref.key), `env ${e.name} key ${JSON.stringify(ref.key)}`);
    }
    for (const m of c.volumeMounts || []) need(dns1123Label(m.name), `volumeMount name ${JSON.stringify(m.name)}`);
  }
  return errors;
}

let failed = false;
for (const object of JSON.parse(fs.readFileSync(process.argv[2], "utf8"))) {
  const key = `${object.apiVersion}/${object.kind}`;
  const name = object.metadata && object.metadata.name;
  if (!kinds[key]) {
    console.log(`UNKNOWN ${key} ${name}`);
    failed = true;
    continue;
  }
  const Model = kinds[key]();
  try {
    new Model(object).validate();
    const errors = nameErrors(object);
    if (errors.length > 0) {
      throw new Error(`names Kubernetes refuses: ${errors.join("; ")}`);
    }
    console.log(`valid ${key} ${name}`);
  } catch (error) {
    console.log(`INVALID ${key} ${name}: ${error.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
