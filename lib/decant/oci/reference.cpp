#include <decant/oci/reference.hpp>
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

} // namespace

bool
is_valid_name_component(std::string_view part)
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
    if (!is_valid_name_component(part)) {
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

bool
is_registry_host(std::string_view first)
{
  return first.find_first_of(".:[") != std::string_view::npos || first == "localhost"
         || std::any_of(first.begin(), first.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

namespace {

// The grammar as the spec writes it, for messages.
const char* const k_component = "[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*";
const char* const k_tag = "[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}";

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
    if (!is_valid_tag(ref.tag)) {
      return fail(reference_error(
          text,
          fmt::format("tag \"{}\" must match {} (distribution-spec <reference>)", ref.tag, k_tag)));
    }
  } else {
    ref.tag = "latest";
  }
  auto parts = split(name, '/');
  if (parts.size() > 1 && is_registry_host(parts[0])) {
    if (!is_valid_domain(parts[0])) {
      return fail(reference_error(
          text,
          fmt::format("registry host \"{}\" must be a host name with an optional :port",
                      parts[0])));
    }
    ref.domain = parts[0];
    parts.erase(parts.begin());
  }
  for (const auto& part : parts) {
    if (!is_valid_name_component(part)) {
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
