// Validates Kubernetes objects against the Kubernetes OpenAPI schemas with kubernetes-models 4.x.
// Usage: NODE_PATH=<dir>/node_modules node validate_k8s.js OBJECTS.json
// OBJECTS.json is a JSON array of objects (YAML documents converted by the test). Prints one line
// per object; exits 1 when one is invalid or of a kind it does not know.
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
    console.log(`valid ${key} ${name}`);
  } catch (error) {
    console.log(`INVALID ${key} ${name}: ${error.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
