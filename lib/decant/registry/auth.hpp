#pragma once

// Registry credentials and the two challenge schemes of the distribution spec: Basic, and Bearer
// tokens from the token endpoint named in the WWW-Authenticate challenge (docker's token
// authentication, distribution docs/spec/auth/token.md). Passwords never enter an error message.

#include <decant/error.hpp>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace decant {

struct Credentials {
  std::string username;
  std::string password;
  std::string source; // where they came from: "--username", "/root/.docker/config.json"

  // "user \"alice\" (from /root/.docker/config.json)": what error messages say.
  std::string describe() const;
};

// One challenge of a WWW-Authenticate header: `Bearer realm="...",service="...",scope="..."`.
struct AuthChallenge {
  std::string scheme;                        // lower-case: "basic", "bearer"
  std::map<std::string, std::string> params; // lower-case keys
};

// Parses a WWW-Authenticate value (RFC 7235: several challenges, quoted strings with escapes).
std::vector<AuthChallenge> parse_www_authenticate(const std::string& header);

// The credentials for `registry` (host[:port]) from docker's config.json `auths` (DOCKER_CONFIG
// or ~/.docker/config.json) or the containers auth file (REGISTRY_AUTH_FILE, or
// $XDG_RUNTIME_DIR/containers/auth.json) as written by `docker login` / `podman login`. Looked up
// under the registry name with or without https://, and Docker Hub's historical aliases.
// nullopt when none is configured; an error for a config that is there but unreadable.
Result<std::optional<Credentials>> find_config_credentials(const std::string& registry);

// Same, from one explicit config file (tests, and the lookup above).
Result<std::optional<Credentials>> credentials_from_config(const std::string& path,
                                                           const std::string& registry);

std::string base64_encode(const std::string& data);
std::optional<std::string> base64_decode(const std::string& text);

} // namespace decant
