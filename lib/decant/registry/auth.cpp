#include <decant/registry/auth.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>

#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <cstring>

namespace decant {

namespace {

constexpr const char* k_base64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The names a registry may be filed under in config.json: docker writes Docker Hub as
// "https://index.docker.io/v1/"; older tools wrote "https://host" or "host/v1/".
bool
config_key_matches(std::string key, const std::string& registry)
{
  for (const char* scheme : {"https://", "http://"}) {
    if (starts_with(key, scheme)) {
      key = key.substr(std::string(scheme).size());
    }
  }
  if (size_t slash = key.find('/'); slash != std::string::npos) {
    key = key.substr(0, slash);
  }
  key = to_lower(key);
  std::string wanted = to_lower(registry);
  auto hub = [](const std::string& name) {
    return name == "docker.io" || name == "index.docker.io" || name == "registry-1.docker.io";
  };
  return key == wanted || (hub(key) && hub(wanted));
}

bool
exists(const std::string& path)
{
  struct stat st {
  };
  return ::stat(path.c_str(), &st) == 0;
}

} // namespace

std::string
Credentials::describe() const
{
  return fmt::format("user \"{}\" (from {})", username, source);
}

std::vector<AuthChallenge>
parse_www_authenticate(const std::string& header)
{
  std::vector<AuthChallenge> out;
  size_t i = 0;
  const size_t n = header.size();
  auto skip_space = [&] {
    while (i < n && (header[i] == ' ' || header[i] == '\t')) {
      ++i;
    }
  };
  auto token = [&] {
    size_t start = i;
    while (i < n && header[i] != ' ' && header[i] != '\t' && header[i] != '=' && header[i] != ','
           && header[i] != '"') {
      ++i;
    }
    return header.substr(start, i - start);
  };
  while (i < n) {
    skip_space();
    while (i < n && header[i] == ',') {
      ++i;
      skip_space();
    }
    std::string word = token();
    if (word.empty()) {
      ++i;
      continue;
    }
    skip_space();
    if (i < n && header[i] == '=' && !out.empty()) {
      // A parameter of the current challenge.
      ++i;
      skip_space();
      std::string value;
      if (i < n && header[i] == '"') {
        ++i;
        while (i < n && header[i] != '"') {
          if (header[i] == '\\' && i + 1 < n) {
            ++i;
          }
          value += header[i++];
        }
        ++i; // closing quote
      } else {
        value = token();
      }
      out.back().params[to_lower(word)] = value;
    } else {
      out.push_back({to_lower(word), {}});
    }
  }
  return out;
}

std::string
base64_encode(const std::string& data)
{
  std::string out;
  size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8) | uint8_t(data[i + 2]);
    out += k_base64[(v >> 18) & 63];
    out += k_base64[(v >> 12) & 63];
    out += k_base64[(v >> 6) & 63];
    out += k_base64[v & 63];
  }
  if (i + 1 == data.size()) {
    uint32_t v = uint8_t(data[i]) << 16;
    out += k_base64[(v >> 18) & 63];
    out += k_base64[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == data.size()) {
    uint32_t v = (uint8_t(data[i]) << 16) | (uint8_t(data[i + 1]) << 8);
    out += k_base64[(v >> 18) & 63];
    out += k_base64[(v >> 12) & 63];
    out += k_base64[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

std::optional<std::string>
base64_decode(const std::string& text)
{
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=' || c == '\n' || c == '\r') {
      continue;
    }
    const char* at = std::strchr(k_base64, c);
    if (!at || c == '\0') {
      return std::nullopt;
    }
    buffer = (buffer << 6) | static_cast<uint32_t>(at - k_base64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buffer >> bits) & 0xff);
    }
  }
  return out;
}

Result<std::optional<Credentials>>
credentials_from_config(const std::string& path, const std::string& registry)
{
  auto text = read_file(path);
  if (!text) {
    return fail(text.error());
  }
  auto config = parse_json_document(*text).value_or(nlohmann::json());
  if (!config.is_object()) {
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}: not a JSON object", path),
                      "fix or remove the file, or pass --username and --password-stdin"));
  }
  const auto auths = config.value("auths", nlohmann::json::object());
  if (auths.is_object()) {
    for (const auto& [key, entry] : auths.items()) {
      if (!config_key_matches(key, registry) || !entry.is_object()) {
        continue;
      }
      Credentials creds;
      creds.source = path;
      if (entry.contains("auth") && entry["auth"].is_string()) {
        auto decoded = base64_decode(entry["auth"].get<std::string>());
        size_t colon = decoded ? decoded->find(':') : std::string::npos;
        if (!decoded || colon == std::string::npos) {
          return fail(
              Error(ErrorCode::invalid_input,
                    fmt::format("{}: auths[\"{}\"].auth is not base64 of user:password", path, key),
                    fmt::format("log in again: docker login {}", registry)));
        }
        creds.username = decoded->substr(0, colon);
        creds.password = decoded->substr(colon + 1);
      } else {
        creds.username = json_string(entry, "username");
        creds.password = json_string(entry, "password");
      }
      if (creds.username.empty()) {
        continue;
      }
      return std::optional<Credentials>(creds);
    }
  }
  // Credential helpers (credsStore/credHelpers) run external programs; decant does not.
  bool helper = config.contains("credsStore")
                || (config.contains("credHelpers") && config["credHelpers"].is_object()
                    && config["credHelpers"].contains(registry));
  if (helper) {
    return fail(Error(
        ErrorCode::unsupported,
        fmt::format("{}: the credentials for {} are kept by a credential helper", path, registry),
        "pass them with --username U --password-stdin"));
  }
  return std::optional<Credentials>();
}

Result<std::optional<Credentials>>
find_config_credentials(const std::string& registry)
{
  std::vector<std::string> candidates;
  if (const char* file = std::getenv("REGISTRY_AUTH_FILE"); file && *file) {
    candidates.emplace_back(file);
  }
  if (const char* dir = std::getenv("DOCKER_CONFIG"); dir && *dir) {
    candidates.push_back(std::string(dir) + "/config.json");
  } else if (const char* home = std::getenv("HOME"); home && *home) {
    candidates.push_back(std::string(home) + "/.docker/config.json");
  }
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime) {
    candidates.push_back(std::string(runtime) + "/containers/auth.json");
  }
  for (const auto& path : candidates) {
    if (!exists(path)) {
      continue;
    }
    auto found = credentials_from_config(path, registry);
    if (!found || *found) {
      return found;
    }
  }
  return std::optional<Credentials>();
}

} // namespace decant
