#include <decant/run/image_config.hpp>
#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace decant {

using nlohmann::json;

namespace {

Result<std::vector<std::string>>
string_list(const json& object, const char* key, const std::string& where)
{
  std::vector<std::string> out;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return out;
  }
  if (!it->is_array()) {
    return fail(ErrorCode::invalid_input, "{}.{}: expected an array of strings", where, key);
  }
  for (const auto& item : *it) {
    if (!item.is_string()) {
      return fail(ErrorCode::invalid_input, "{}.{}: expected an array of strings", where, key);
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::vector<std::string>>
object_keys(const json& object, const char* key, const std::string& where)
{
  std::vector<std::string> out;
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) {
    return out;
  }
  if (!it->is_object()) {
    return fail(ErrorCode::invalid_input, "{}.{}: expected an object", where, key);
  }
  for (const auto& item : it->items()) {
    out.push_back(item.key());
  }
  return out;
}

} // namespace

std::vector<std::string>
ImageRunConfig::argv() const
{
  std::vector<std::string> out = entrypoint;
  out.insert(out.end(), cmd.begin(), cmd.end());
  return out;
}

const std::string*
ImageRunConfig::env_value(const std::string& name) const
{
  for (const auto& entry : env) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0
        && entry[name.size()] == '=') {
      return &entry;
    }
  }
  return nullptr;
}

Result<ImageRunConfig>
parse_image_config(const std::string& bytes)
{
  // The layout's config is outside input: bounded, no repeated keys (util/json.hpp).
  json document = parse_json_document(bytes).value_or(json());
  if (!document.is_object()) {
    return fail(ErrorCode::invalid_input, "the image config is not a JSON object");
  }
  ImageRunConfig out;
  const json empty = json::object();
  const json* config = &empty;
  if (auto it = document.find("config"); it != document.end() && !it->is_null()) {
    if (!it->is_object()) {
      return fail(ErrorCode::invalid_input, "config: expected an object");
    }
    config = &*it;
  }
  auto entrypoint = string_list(*config, "Entrypoint", "config");
  auto cmd = string_list(*config, "Cmd", "config");
  auto env = string_list(*config, "Env", "config");
  auto ports = object_keys(*config, "ExposedPorts", "config");
  auto volumes = object_keys(*config, "Volumes", "config");
  for (const auto* part : {&entrypoint, &cmd, &env, &ports, &volumes}) {
    if (!*part) {
      return fail(part->error());
    }
  }
  out.entrypoint = std::move(*entrypoint);
  out.cmd = std::move(*cmd);
  out.env = std::move(*env);
  out.volumes = std::move(*volumes);
  for (const auto& entry : out.env) {
    if (entry.find('=') == std::string::npos || entry[0] == '=') {
      return fail(ErrorCode::invalid_input, "config.Env: \"{}\" is not NAME=VALUE", entry);
    }
  }
  for (const auto& key : *ports) {
    // "8080/tcp", "53/udp", or a bare "8080" (tcp).
    std::string number = key.substr(0, key.find('/'));
    std::string protocol =
        key.find('/') == std::string::npos ? "tcp" : to_lower(key.substr(key.find('/') + 1));
    auto port = parse_u64(number);
    if (!port || *port == 0 || *port > 65535
        || (protocol != "tcp" && protocol != "udp" && protocol != "sctp")) {
      return fail(ErrorCode::invalid_input,
                  "config.ExposedPorts: \"{}\" is not PORT/PROTOCOL (tcp, udp, sctp)",
                  key);
    }
    out.exposed_ports.push_back({static_cast<uint16_t>(*port), protocol});
  }
  std::sort(out.exposed_ports.begin(), out.exposed_ports.end(), [](const auto& a, const auto& b) {
    return a.port != b.port ? a.port < b.port : a.protocol < b.protocol;
  });
  for (const char* key : {"WorkingDir", "User"}) {
    auto it = config->find(key);
    if (it != config->end() && !it->is_null() && !it->is_string()) {
      return fail(ErrorCode::invalid_input, "config.{}: expected a string", key);
    }
  }
  out.working_dir = config->value("WorkingDir", "");
  if (!out.working_dir.empty() && out.working_dir[0] != '/') {
    return fail(ErrorCode::invalid_input,
                "config.WorkingDir: \"{}\" is not an absolute path",
                out.working_dir);
  }
  out.user = config->value("User", "");
  if (auto it = config->find("Labels"); it != config->end() && it->is_object()) {
    for (const auto& item : it->items()) {
      if (item.value().is_string()) {
        out.labels[item.key()] = item.value().get<std::string>();
      }
    }
  }
  auto rootfs = document.find("rootfs");
  if (rootfs == document.end() || !rootfs->is_object()) {
    return fail(ErrorCode::invalid_input, "rootfs: missing (it lists the layers' diff_ids)");
  }
  auto diff_ids = string_list(*rootfs, "diff_ids", "rootfs");
  if (!diff_ids) {
    return fail(diff_ids.error());
  }
  out.diff_ids = std::move(*diff_ids);
  return out;
}

namespace {

std::optional<uint32_t>
number(const std::string& text)
{
  auto n = parse_u64(text);
  if (!n || *n > 0xffffffffULL) {
    return std::nullopt;
  }
  return static_cast<uint32_t>(*n);
}

} // namespace

Result<ResolvedUser>
resolve_user(const std::string& user,
             const std::vector<PasswdEntry>& passwd,
             const std::vector<GroupEntry>& groups)
{
  ResolvedUser out;
  std::string user_part = user.substr(0, user.find(':'));
  std::string group_part =
      user.find(':') == std::string::npos ? "" : user.substr(user.find(':') + 1);
  if (user_part.empty() && !group_part.empty()) {
    return fail(ErrorCode::invalid_input, "config.User \"{}\": the user part is empty", user);
  }
  const PasswdEntry* entry = nullptr;
  if (user_part.empty()) {
    user_part = "0";
  }
  if (auto uid = number(user_part)) {
    out.uid = *uid;
    for (const auto& p : passwd) {
      if (p.uid == *uid) {
        entry = &p;
        break;
      }
    }
  } else {
    for (const auto& p : passwd) {
      if (p.name == user_part) {
        entry = &p;
        break;
      }
    }
    if (!entry) {
      return fail(Error(
          ErrorCode::invalid_input,
          fmt::format("config.User \"{}\": no user {} in the image's /etc/passwd", user, user_part),
          "give a numeric UID:GID, or pack the image's /etc/passwd with that user"));
    }
    out.uid = entry->uid;
  }
  if (entry) {
    out.gid = entry->gid;
    out.name = entry->name;
  }
  if (!group_part.empty()) {
    if (auto gid = number(group_part)) {
      out.gid = *gid;
    } else {
      auto it = std::find_if(
          groups.begin(), groups.end(), [&](const GroupEntry& g) { return g.name == group_part; });
      if (it == groups.end()) {
        return fail(ErrorCode::invalid_input,
                    "config.User \"{}\": no group {} in the image's /etc/group",
                    user,
                    group_part);
      }
      out.gid = it->gid;
    }
  }
  if (!out.name.empty()) {
    for (const auto& g : groups) {
      bool member = std::find(g.members.begin(), g.members.end(), out.name) != g.members.end();
      if (member && g.gid != out.gid
          && std::find(out.groups.begin(), out.groups.end(), g.gid) == out.groups.end()) {
        out.groups.push_back(g.gid);
      }
    }
  }
  return out;
}

} // namespace decant
