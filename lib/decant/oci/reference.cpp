#include <decant/oci/reference.hpp>
#include <decant/util/strings.hpp>

#include <re2/re2.h>

namespace decant {

namespace {

// distribution-spec: <name> path components and <reference> tags.
const char* const k_component = "[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*";
const char* const k_tag = "[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}";
// docker/distribution reference/regexp.go: domain-name [":" port].
const char* const k_domain = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\\.(?:[a-zA-Z0-"
                             "9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*(?::[0-9]+)?";

Error
reference_error(const std::string& text, const std::string& what)
{
  return Error(
      ErrorCode::usage,
      fmt::format("image reference \"{}\": {}", text, what),
      "use NAME:VERSION, e.g. shop/tomcat-app:1.0 or registry.local:5000/shop/app:2024.11");
}

} // namespace

Result<ImageReference>
parse_reference(const std::string& text)
{
  if (text.empty()) {
    return fail(reference_error(text, "is empty"));
  }
  if (text.find('@') != std::string::npos) {
    return fail(
        reference_error(text, "digests (@sha256:...) cannot be given to an image being built"));
  }
  ImageReference ref;
  std::string name = text;
  auto slash = text.rfind('/');
  auto colon = text.rfind(':');
  if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
    name = text.substr(0, colon);
    ref.tag = text.substr(colon + 1);
    if (!RE2::FullMatch(ref.tag, k_tag)) {
      return fail(reference_error(
          text,
          fmt::format("tag \"{}\" must match {} (distribution-spec <reference>)", ref.tag, k_tag)));
    }
  } else {
    ref.tag = "latest";
  }
  auto parts = split(name, '/');
  // The first component is a registry host when it has a '.' or ':' or is "localhost", as
  // docker/distribution decides it.
  if (parts.size() > 1
      && (parts[0].find_first_of(".:") != std::string::npos || parts[0] == "localhost")) {
    if (!RE2::FullMatch(parts[0], k_domain)) {
      return fail(reference_error(
          text,
          fmt::format("registry host \"{}\" must be a host name with an optional :port",
                      parts[0])));
    }
    ref.domain = parts[0];
    parts.erase(parts.begin());
  }
  for (const auto& part : parts) {
    if (!RE2::FullMatch(part, k_component)) {
      return fail(
          reference_error(text,
                          fmt::format("name component \"{}\" must match {} (distribution-spec "
                                      "<name>: lowercase letters and digits, "
                                      "separated by '.', '_', '__' or '-')",
                                      part,
                                      k_component)));
    }
  }
  ref.path = join(parts, "/");
  if (ref.name().size() > 255) {
    return fail(reference_error(text, "the name is longer than 255 characters"));
  }
  return ref;
}

std::optional<std::string>
strict_tag_problem(const std::string& tag)
{
  if (tag.empty() || tag.size() > 128) {
    return "must be 1-128 characters long";
  }
  for (char c : tag) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')) {
      return fmt::format("has '{}'; only a-z, 0-9, '.', '_' and '-' are allowed", c);
    }
  }
  if (tag.front() == '.' || tag.front() == '-' || tag.back() == '.' || tag.back() == '-') {
    return "must not start or end with '.' or '-'";
  }
  return std::nullopt;
}

} // namespace decant
