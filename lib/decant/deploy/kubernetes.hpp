#pragma once

// Kubernetes objects that deploy a packed image the way the source ran: a Deployment (start
// command, working directory, identity, ports, resources, probes), a Service for the exposed
// ports, a ConfigMap for plain settings, a Secret for secrets.json, PersistentVolumeClaims for
// data volumes. Objects are built as JSON (typed) and written as YAML.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace decant {

struct DeployOptions {
  std::string image; // the pushed reference, required
  std::string name;  // object name; default: the application id
  std::string namespace_name;
  int replicas = 1;
  std::string probe_path; // HTTP path that answers 2xx/3xx; default from analysis.extensions
  std::optional<uint64_t> memory_limit_bytes; // overrides the derived limit
  std::string storage_size = "1Gi";           // per PersistentVolumeClaim
  // More labels on every object and the pod template (migrate --label), already checked
  // against Kubernetes' label syntax; decant's own app.kubernetes.io/* labels win.
  std::map<std::string, std::string> labels;
  // Group name -> gid on the source host (its /etc/group, the one packed into the image), to
  // turn supplementary group names into supplementalGroups numbers.
  std::map<std::string, uint32_t> group_ids;
  // The image was packed with --externalize-secrets: files marked secret are mounted from a
  // Secret holding these contents (path -> bytes, read from the source host).
  bool externalize_secrets = false;
  // The source host's /etc/hosts (its text), when generate runs there: entries naming a host the
  // application depends on (analysis.dependencies) become hostAliases, since the cluster's DNS
  // will not know those names.
  std::string etc_hosts;
  std::map<std::string, std::string> secret_files;
  // Directories among the files marked secret (a data-protection key ring): with
  // externalize_secrets each becomes a writable PersistentVolumeClaim shared by the replicas,
  // seeded with the files it held (in secret_files, by path) mounted from the Secret.
  std::set<std::string> secret_directories;
};

// What --externalize-secrets mounts, read through `root` (the source host): the content of each
// file marked secret (archives packed with references excepted), and for a directory marked
// secret the regular files below it, the directory noted in secret_directories.
Status read_secret_files(const Analysis& analysis, const HostRoot& root, DeployOptions& options);

struct KubernetesObject {
  std::string file;              // "deployment.yaml"
  nlohmann::ordered_json object; // keys in the order kubectl users expect
  bool secret = false;           // written with mode 0600
};

struct KubernetesManifests {
  std::vector<KubernetesObject> objects;
  std::vector<std::string> warnings;
};

Result<KubernetesManifests> generate_kubernetes(const Analysis& analysis,
                                                const DeployOptions& options);

// YAML for one object. Strings that YAML would read as something else ("8080", "true", "")
// are quoted, so the document reads back exactly as built.
std::string to_yaml(const nlohmann::ordered_json& object);

// Kubernetes quantities: 536870912 -> "512Mi" (rounded up to whole MiB); 0.5 -> "500m", 2 -> "2".
std::string memory_quantity(uint64_t bytes);
std::string cpu_quantity(double cpus);
// Parses "512Mi", "1Gi", "1G", "300M", "1048576" into bytes.
std::optional<uint64_t> parse_memory_quantity(const std::string& text);

// One argv element for a container: `${secret:NAME}` becomes `$(NAME)` (Kubernetes expands it
// from the container's env) and a literal `$` before `(` or `$` is doubled so Kubernetes leaves
// it as written. Secret names met are appended to `secrets`.
std::string container_argument(const std::string& argument, std::vector<std::string>& secrets);

// What Kubernetes does to command and args: "$$" -> "$", "$(NAME)" -> lookup(NAME) or left as
// written when the container has no such variable.
std::string expand_kubernetes_references(
    const std::string& text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup);

// The pod's fsGroup: the group of the first volume that is not root's (or the application's
// group when it does not run as root), else the application's group when it is not root and
// files marked secret are mounted from a Secret; none otherwise.
std::optional<uint32_t> pod_fs_group(const Analysis& analysis);

struct HostAlias {
  std::string ip;
  std::vector<std::string> hostnames;
};

// /etc/hosts entries (hosts(5): IP, canonical name, aliases; '#' comments) that name one of
// `wanted`; loopback addresses are left out (inside the pod they are the pod itself).
std::vector<HostAlias> host_aliases_from_etc_hosts(const std::string& text,
                                                   const std::vector<std::string>& wanted);

// The argv the container starts with: start.command, or for a machine-level image the init and
// entry script named in extensions.machine (command, or init + entrypoint/entryScript).
Result<std::vector<std::string>> container_start_argv(const Analysis& analysis);

// Memory a JVM needs besides its heap (metaspace, code cache, thread stacks, direct buffers):
// a quarter of the heap, at least 256 MiB.
uint64_t non_heap_overhead(uint64_t heap_bytes);

// The container memory limit the analysis' figures call for when the operator gives none: the
// peak RSS plus a quarter, and at least the heap maximum plus non_heap_overhead(); nullopt
// without figures. memory_limit_reason() says which figure decided it.
std::optional<uint64_t> derived_memory_limit(const Resources& resources);
std::string memory_limit_reason(const Resources& resources);

} // namespace decant
