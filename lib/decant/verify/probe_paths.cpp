#include <decant/util/strings.hpp>
#include <decant/verify/probe_paths.hpp>

#include <algorithm>

namespace decant {

using nlohmann::json;

std::string
tomcat_context_path(const std::string& base_name)
{
  std::string name = base_name.substr(0, base_name.find("##"));
  if (name.empty() || name == "ROOT") {
    return "/";
  }
  std::replace(name.begin(), name.end(), '#', '/');
  return "/" + name + "/";
}

namespace {

std::string
json_string(const json& object, const char* key)
{
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void
tomcat_contexts(const Analysis& analysis, const HostRoot& image, std::vector<std::string>& out)
{
  const json& details = analysis.runtime.details;
  std::string base = json_string(details, "catalinaBase");
  if (base.empty()) {
    return;
  }
  auto services = details.find("services");
  if (services == details.end() || !services->is_array()) {
    return;
  }
  for (const auto& service : *services) {
    if (!service.is_object()) {
      continue;
    }
    std::string engine = json_string(service, "engine");
    std::string default_host = json_string(service, "defaultHost");
    auto hosts = service.find("hosts");
    if (hosts == service.end() || !hosts->is_array()) {
      continue;
    }
    for (const auto& host : *hosts) {
      std::string name = host.is_object() ? json_string(host, "name") : "";
      if (name.empty() || (!default_host.empty() && name != default_host)) {
        continue; // requests to 127.0.0.1 reach the default host
      }
      std::string descriptors = base + "/conf/" + engine + "/" + name;
      for (const auto& file :
           image.list_directory(descriptors).value_or(std::vector<std::string>{})) {
        if (ends_with(file, ".xml")) {
          out.push_back(tomcat_context_path(file.substr(0, file.size() - 4)));
        }
      }
      std::string app_base = json_string(host, "appBase");
      if (app_base.empty()) {
        app_base = "webapps";
      }
      std::string dir = host_path_join(base, app_base);
      for (const auto& entry : image.list_directory(dir).value_or(std::vector<std::string>{})) {
        if (ends_with(entry, ".war")) {
          out.push_back(tomcat_context_path(entry.substr(0, entry.size() - 4)));
        } else if (image.is_directory(dir + "/" + entry) && entry != "META-INF"
                   && entry != "WEB-INF") {
          out.push_back(tomcat_context_path(entry));
        }
      }
    }
  }
}

void
jboss_contexts(const Analysis& analysis, std::vector<std::string>& out)
{
  auto deployments = analysis.runtime.details.find("deployments");
  if (deployments == analysis.runtime.details.end() || !deployments->is_array()) {
    return;
  }
  for (const auto& deployment : *deployments) {
    if (!deployment.is_object() || json_string(deployment, "state") == "disabled") {
      continue;
    }
    std::string name = json_string(deployment, "runtimeName");
    if (name.empty()) {
      name = json_string(deployment, "name");
    }
    if (ends_with(to_lower(name), ".war")) {
      out.push_back(tomcat_context_path(name.substr(0, name.size() - 4)));
    }
  }
}

} // namespace

std::vector<std::string>
default_probe_paths(const Analysis& analysis, const HostRoot& image)
{
  std::vector<std::string> candidates{"/"};
  const std::string& type = analysis.application_type;
  if (type == "java-tomcat" || type == "java-tomee") {
    tomcat_contexts(analysis, image, candidates);
  } else if (type == "java-jboss") {
    jboss_contexts(analysis, candidates);
  }
  auto verify = analysis.extensions.find("verify");
  if (verify != analysis.extensions.end() && verify->is_object()) {
    auto paths = verify->find("paths");
    if (paths != verify->end() && paths->is_array()) {
      for (const auto& path : *paths) {
        if (path.is_string()) {
          candidates.push_back(path.get<std::string>());
        }
      }
    }
  }
  std::vector<std::string> out;
  for (auto& path : candidates) {
    if (path.empty() || path[0] != '/') {
      path = "/" + path;
    }
    if (std::find(out.begin(), out.end(), path) == out.end()) {
      out.push_back(path);
    }
  }
  return out;
}

} // namespace decant
