#pragma once

// What an OCI image config says about running the image (image-spec config.md): the process
// (Entrypoint + Cmd, Env, WorkingDir, User), the exposed ports, the volumes and the labels.

#include <decant/error.hpp>
#include <decant/proc/parse.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace decant {

struct ExposedPort {
  uint16_t port = 0;
  std::string protocol = "tcp"; // "tcp" or "udp"
};

struct ImageRunConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env; // "NAME=value", as in the config
  std::string working_dir;      // "" = "/"
  std::string user;             // "", "uid", "uid:gid", "name", "name:group"
  std::vector<ExposedPort> exposed_ports;
  std::vector<std::string> volumes;
  std::map<std::string, std::string> labels;
  std::vector<std::string> diff_ids; // rootfs.diff_ids, one per layer

  // Entrypoint followed by Cmd: the argv a runtime starts.
  std::vector<std::string> argv() const;
  // The value of NAME in env, or nullptr.
  const std::string* env_value(const std::string& name) const;
};

// Parses the config blob. Errors name the field ("config.ExposedPorts: \"http\" is not
// PORT/PROTOCOL").
Result<ImageRunConfig> parse_image_config(const std::string& bytes);

// The user and groups a process of the image runs as: OCI runtimes resolve `User` against the
// image's /etc/passwd and /etc/group (a name, or a number not listed there, is taken as is) and
// add every group of /etc/group that names the user as a member.
struct ResolvedUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> groups; // supplementary, without gid
  std::string name;             // from /etc/passwd, may be empty
};

Result<ResolvedUser> resolve_user(const std::string& user,
                                  const std::vector<PasswdEntry>& passwd,
                                  const std::vector<GroupEntry>& groups);

} // namespace decant
