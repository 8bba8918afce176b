#include <decant/registry/reference.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace decant {

namespace {

bool
is_lower_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool
is_alnum(char c)
{
  return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

// One path component: [a-z0-9]+ ( (\.|_|__|-+) [a-z0-9]+ )*  (distribution reference/regexp.go)
bool
is_valid_component(std::string_view part)
{
  if (part.empty() || !is_lower_alnum(part.front()) || !is_lower_alnum(part.back())) {
    return false;
  }
  size_t i = 0;
  while (i < part.size()) {
    if (is_lower_alnum(part[i])) {
      ++i;
      continue;
    }
    // A separator run: ".", "_", "__" or any number of "-".
    size_t start = i;
    char c = part[i];
    if (c == '.') {
      ++i;
    } else if (c == '_') {
      ++i;
      if (i < part.size() && part[i] == '_') {
        ++i;
      }
    } else if (c == '-') {
      while (i < part.size() && part[i] == '-') {
        ++i;
      }
    } else {
      return false;
    }
    if (i == start || i >= part.size() || !is_lower_alnum(part[i])) {
      return false;
    }
  }
  return true;
}

// A domain: host components (letters, digits, inner '-') joined by '.', an optional ":port",
// or a bracketed IPv6 address with an optional port.
bool
is_valid_domain(std::string_view domain)
{
  std::string_view host = domain;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos || close < 3) {
      return false;
    }
    for (char c : host.substr(1, close - 1)) {
      if (!(std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.')) {
        return false;
      }
    }
    std::string_view rest = host.substr(close + 1);
    if (rest.empty()) {
      return true;
    }
    return rest.size() > 1 && rest[0] == ':' && parse_u64(rest.substr(1)).value_or(70000) <= 65535;
  }
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) {
    auto port = parse_u64(host.substr(colon + 1));
    if (!port || *port > 65535) {
      return false;
    }
    host = host.substr(0, colon);
  }
  if (host.empty()) {
    return false;
  }
  for (const auto& label : split(host, '.')) {
    if (label.empty() || !is_alnum(label.front()) || !is_alnum(label.back())) {
      return false;
    }
    for (char c : label) {
      if (!is_alnum(c) && c != '-') {
        return false;
      }
    }
  }
  return true;
}

} // namespace

bool
is_valid_tag(std::string_view tag)
{
  if (tag.empty() || tag.size() > 128) {
    return false;
  }
  auto word = [](char c) { return is_alnum(c) || c == '_'; };
  if (!word(tag.front())) {
    return false;
  }
  for (char c : tag) {
    if (!word(c) && c != '.' && c != '-') {
      return false;
    }
  }
  return true;
}

bool
is_valid_repository(std::string_view repository)
{
  if (repository.empty() || repository.size() > 255) {
    return false;
  }
  for (const auto& part : split(repository, '/')) {
    if (!is_valid_component(part)) {
      return false;
    }
  }
  return true;
}

bool
is_valid_digest(std::string_view digest)
{
  size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= digest.size()) {
    return false;
  }
  std::string_view algorithm = digest.substr(0, colon);
  std::string_view hex = digest.substr(colon + 1);
  for (char c : algorithm) {
    if (!is_lower_alnum(c) && c != '+' && c != '.' && c != '_' && c != '-') {
      return false;
    }
  }
  if (algorithm == "sha256" && hex.size() != 64) {
    return false;
  }
  if (algorithm == "sha512" && hex.size() != 128) {
    return false;
  }
  if (hex.size() < 32) {
    return false;
  }
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

Result<RegistryReference>
parse_registry_reference(std::string_view text)
{
  auto bad = [&](const std::string& why) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("invalid image reference \"{}\": {}", text, why),
                      "write it as [REGISTRY[:PORT]/]REPOSITORY[:TAG][@sha256:DIGEST], e.g. "
                      "registry.example.com:5000/team/app:1.0"));
  };
  if (text.empty()) {
    return bad("it is empty");
  }
  RegistryReference ref;
  std::string_view rest = text;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    ref.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!is_valid_digest(ref.digest)) {
      return bad(fmt::format("digest \"{}\" is not ALGORITHM:HEX (sha256 has 64 lowercase hex "
                             "digits)",
                             ref.digest));
    }
  }
  // The tag follows the last ':' after the last '/'; a ':' before that is a registry port.
  size_t slash = rest.rfind('/');
  size_t colon = rest.rfind(':');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!is_valid_tag(ref.tag)) {
      return bad(fmt::format("tag \"{}\" must be 1 to 128 letters, digits, '_', '.' or '-', "
                             "starting with a letter, digit or '_'",
                             ref.tag));
    }
  }
  if (rest.size() > 255) {
    return bad("the name is longer than 255 characters");
  }
  // docker's rule (reference/normalize.go splitDockerDomain): the first component is a registry
  // when it has a '.' or ':', is "localhost", or has upper-case letters.
  size_t first = rest.find('/');
  std::string_view repository = rest;
  if (first != std::string_view::npos) {
    std::string_view head = rest.substr(0, first);
    bool has_upper =
        std::any_of(head.begin(), head.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
    if (head.find_first_of(".:[") != std::string_view::npos || head == "localhost" || has_upper) {
      if (!is_valid_domain(head)) {
        return bad(fmt::format("registry \"{}\" is not HOST[:PORT]", head));
      }
      ref.registry = std::string(head);
      repository = rest.substr(first + 1);
    }
  }
  if (ref.registry.empty()) {
    ref.registry = "docker.io";
  }
  if (repository.empty()) {
    return bad("the repository name is missing");
  }
  for (const auto& part : split(repository, '/')) {
    if (!is_valid_component(part)) {
      return bad(fmt::format("repository component \"{}\" must be lower-case letters and digits, "
                             "separated by '.', '_', '__' or '-'",
                             part));
    }
  }
  ref.repository = std::string(repository);
  if (ref.registry == "docker.io" && ref.repository.find('/') == std::string::npos) {
    ref.repository = "library/" + ref.repository;
  }
  if (ref.tag.empty() && ref.digest.empty()) {
    ref.tag = "latest";
  }
  return ref;
}

std::string
RegistryReference::api_host() const
{
  return registry == "docker.io" ? "registry-1.docker.io" : registry;
}

std::string
RegistryReference::str() const
{
  std::string out = registry + "/" + repository;
  if (!tag.empty()) {
    out += ":" + tag;
  }
  if (!digest.empty()) {
    out += "@" + digest;
  }
  return out;
}

std::string
RegistryReference::manifest_reference() const
{
  return tag.empty() ? digest : tag;
}

} // namespace decant
