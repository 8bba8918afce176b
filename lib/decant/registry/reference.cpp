#include <decant/registry/reference.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace decant {

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
  // The first component is a registry when is_registry_host() says so (docker's rule).
  size_t first = rest.find('/');
  std::string_view repository = rest;
  if (first != std::string_view::npos) {
    std::string_view head = rest.substr(0, first);
    if (is_registry_host(head)) {
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
    if (!is_valid_name_component(part)) {
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
