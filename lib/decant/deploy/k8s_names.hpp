#pragma once

// Kubernetes' naming rules, and names derived from the source made to follow them. Server
// configuration names, environment variable names, --name and paths become object, port, key and
// label names; Kubernetes refuses a whole object when one of them breaks its rules
// (k8s.io/apimachinery/pkg/util/validation). Each sanitizer keeps what is allowed, replaces the
// rest, and never returns an invalid name; Renames records what changed so the manifests show the
// original next to its Kubernetes name.

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <string_view>

namespace decant::k8s {

// RFC 1123 label: [a-z0-9-], alphanumeric at both ends, at most 63 (object names of most kinds,
// volume names, namespaces).
bool is_dns1123_label(std::string_view name);
// RFC 1035 label: a DNS-1123 label that starts with a letter (Service names).
bool is_dns1035_label(std::string_view name);
// RFC 1123 subdomain: DNS-1123 labels joined by '.', at most 253 (ConfigMap, Secret, PVC names).
bool is_dns1123_subdomain(std::string_view name);
// IANA_SVC_NAME (port names): at most 15 of [a-z0-9-], a letter somewhere, no "--", alphanumeric
// at both ends.
bool is_iana_svc_name(std::string_view name);
// ConfigMap and Secret data keys: [-._a-zA-Z0-9]+, at most 253, not "." or "..".
bool is_config_key(std::string_view key);
// Environment variable names as every supported Kubernetes version accepts them:
// [-._a-zA-Z][-._a-zA-Z0-9]* (newer versions allow more, older ones refuse the Pod).
bool is_env_var_name(std::string_view name);
// Label values: at most 63 of [-_.A-Za-z0-9], alphanumeric at both ends, or empty.
bool is_label_value(std::string_view value);

// Sanitizers: lower-cased, other characters become '-', runs of '-' collapse, cut to `max`,
// trimmed to alphanumerics at both ends; `fallback` when nothing is left (and, for DNS-1035 and
// port names, a letter prefix when needed).
std::string
dns1123_label(std::string_view text, size_t max = 63, std::string_view fallback = "app");
std::string
dns1035_label(std::string_view text, size_t max = 63, std::string_view fallback = "app");
std::string dns1123_subdomain(std::string_view text, std::string_view fallback = "app");
std::string iana_svc_name(std::string_view text, std::string_view fallback = "port");
std::string config_key(std::string_view text, std::string_view fallback = "key");
std::string label_value(std::string_view text);

// Makes `name` unique within `used` ("name", "name-2", ...), keeping it within `max` and valid
// for `valid`, and adds it to `used`.
std::string
unique(std::string name, std::set<std::string>& used, size_t max, bool (*valid)(std::string_view));

// Kubernetes name -> original, per kind ("port", "configKey", "name", ...), for the annotation
// decant.io/original-names on the Deployment: a JSON object {kind: {kubernetesName: original}}.
class Renames
{
public:
  // Records the pair when they differ; returns `kubernetes_name`.
  const std::string&
  add(const std::string& kind, const std::string& kubernetes_name, const std::string& original);
  bool
  empty() const
  {
    return m_names.empty();
  }
  std::string annotation() const;
  const std::map<std::string, std::map<std::string, std::string>>&
  names() const
  {
    return m_names;
  }

private:
  std::map<std::string, std::map<std::string, std::string>> m_names;
};

} // namespace decant::k8s
