#include <decant/pack/system_files.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <set>

namespace decant {

const char* const k_image_nsswitch_conf =
    R"(# Written by decant pack: only services built into glibc, so every lookup works in the image.
passwd:         files
group:          files
shadow:         files
hosts:          files dns
networks:       files
protocols:      files
services:       files
ethers:         files
rpc:            files
netgroup:       files
)";

std::string
image_passwd(const std::vector<PasswdEntry>& source,
             const std::string& user,
             uint32_t uid,
             uint32_t gid)
{
  std::string out;
  bool have_root = false;
  bool have_user = false;
  for (const auto& entry : source) {
    if (entry.uid == 0 && entry.name == "root") {
      out += entry.line + "\n";
      have_root = true;
    }
  }
  if (!have_root) {
    out += "root:x:0:0:root:/root:/bin/sh\n";
  }
  if (uid == 0) {
    return out;
  }
  for (const auto& entry : source) {
    if ((!user.empty() && entry.name == user) || (user.empty() && entry.uid == uid)) {
      out += entry.line + "\n";
      have_user = true;
      break;
    }
  }
  if (!have_user) {
    std::string name =
        user.empty() || std::isdigit(static_cast<unsigned char>(user[0])) ? "app" : user;
    out += fmt::format("{}:x:{}:{}:{}:/nonexistent:/usr/sbin/nologin\n", name, uid, gid, name);
  }
  return out;
}

std::string
image_group(const std::vector<GroupEntry>& source,
            uint32_t primary_gid,
            const std::vector<std::string>& groups,
            const std::vector<std::string>& users)
{
  std::set<std::string> names(groups.begin(), groups.end());
  std::set<std::string> user_set(users.begin(), users.end());
  std::set<uint32_t> gids{0, primary_gid};
  for (const auto& name : groups) {
    if (auto number = parse_u64(name)) {
      gids.insert(static_cast<uint32_t>(*number));
    }
  }
  std::string out;
  std::set<uint32_t> written;
  for (const auto& entry : source) {
    if (!gids.count(entry.gid) && !names.count(entry.name)) {
      continue;
    }
    if (!written.insert(entry.gid).second) {
      continue;
    }
    std::vector<std::string> members;
    for (const auto& member : entry.members) {
      if (user_set.count(member)) {
        members.push_back(member);
      }
    }
    // name:password:gid:members, the password field kept as on the source ("x").
    auto fields = split(entry.line, ':');
    std::string password = fields.size() > 1 ? fields[1] : "x";
    out += fmt::format("{}:{}:{}:{}\n", entry.name, password, entry.gid, join(members, ","));
  }
  for (uint32_t gid : gids) {
    if (!written.count(gid)) {
      out += gid == 0 ? "root:x:0:\n" : fmt::format("app{}:x:{}:\n", gid, gid);
    }
  }
  return out;
}

std::string
normalize_locale_name(const std::string& locale)
{
  auto dot = locale.find('.');
  if (dot == std::string::npos) {
    return locale;
  }
  auto at = locale.find('@', dot);
  std::string codeset =
      locale.substr(dot + 1, at == std::string::npos ? std::string::npos : at - dot - 1);
  std::string normalized;
  bool all_digits = true;
  for (char c : codeset) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      normalized += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      all_digits = all_digits && std::isdigit(static_cast<unsigned char>(c));
    }
  }
  if (all_digits) {
    normalized = "iso" + normalized; // glibc's _nl_normalize_codeset
  }
  return locale.substr(0, dot) + "." + normalized
         + (at == std::string::npos ? "" : locale.substr(at));
}

std::string
process_locale(const std::vector<std::pair<std::string, std::string>>& env)
{
  auto get = [&](const std::string& name) -> std::string {
    for (const auto& [key, value] : env) {
      if (key == name) {
        return value;
      }
    }
    return "";
  };
  if (auto all = get("LC_ALL"); !all.empty()) {
    return all;
  }
  if (auto ctype = get("LC_CTYPE"); !ctype.empty()) {
    return ctype;
  }
  for (const auto& [key, value] : env) {
    if (starts_with(key, "LC_") && !value.empty()) {
      return value;
    }
  }
  return get("LANG");
}

bool
is_host_file(const std::string& path)
{
  static const char* const k_host_trees[] = {
      "/etc/passwd",
      "/etc/group",
      "/etc/hosts",
      "/etc/timezone",
      "/etc/localtime",
      "/etc/ld.so.cache",
      "/etc/ld.so.conf",
      "/etc/ld.so.conf.d",
      "/etc/ssl/certs",
      "/etc/ca-certificates.conf",
      "/etc/pki/ca-trust/extracted",
      "/etc/pki/tls/certs",
      "/etc/pki/java",
      "/usr/lib/locale/locale-archive",
  };
  for (const char* tree : k_host_trees) {
    if (path_within(path, tree)) {
      return true;
    }
  }
  return false;
}

bool
valid_timezone_name(const std::string& zone)
{
  if (zone.empty() || zone[0] == '/' || zone.size() > 128) {
    return false;
  }
  for (const auto& part : split(zone, '/')) {
    if (part.empty() || part == "." || part == "..") {
      return false;
    }
  }
  return std::all_of(zone.begin(), zone.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '+'
           || c == '/';
  });
}

} // namespace decant
