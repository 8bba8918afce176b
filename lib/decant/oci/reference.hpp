#pragma once

// Image references: the one grammar decant checks them by, for the NAME:TAG of an image being
// built (here) and for a push destination (registry/reference.hpp): the OCI distribution-spec's
// <name> components and <reference> tags (spec.md "Pulling manifests"), with the registry host,
// how it is told from a first name component, and digests from the distribution project's
// reference grammar (reference/regexp.go, normalize.go), the one docker, skopeo and registries
// use.

#include <decant/error.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace decant {

// A tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool is_valid_tag(std::string_view tag);
// One name component: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*.
bool is_valid_name_component(std::string_view part);
// A repository path: components separated by '/', at most 255 characters in all.
bool is_valid_repository(std::string_view repository);
// A registry host: host-name labels (letters, digits, inner '-') joined by '.', or a bracketed
// IPv6 address, each with an optional ":port" (0-65535).
bool is_valid_domain(std::string_view domain);
// A digest: algorithm ":" lowercase hex, sha256 exactly 64 digits, sha512 128.
bool is_valid_digest(std::string_view digest);
// Whether the first component of a multi-component name is a registry host rather than part of
// the repository: it has a '.', ':' or '[', is "localhost", or has upper-case letters.
bool is_registry_host(std::string_view first_component);

struct ImageReference {
  std::string domain; // "registry.example:5000", or empty
  std::string path;   // "team/app"
  std::string tag;    // "1.0"

  std::string
  name() const
  {
    return domain.empty() ? path : domain + "/" + path;
  }
  std::string
  full() const
  {
    return name() + ":" + tag;
  }
};

// NAME[:TAG]; a missing tag is "latest". Errors name the rule broken.
Result<ImageReference> parse_reference(const std::string& text);

// The strict tag rule, which registries with the narrowest tag grammar accept: 1-128 characters of
// a-z, 0-9, '.', '_', '-', not starting or ending with '.' or '-'. Returns what is wrong, or
// nullopt when the tag complies.
std::optional<std::string> strict_tag_problem(const std::string& tag);

} // namespace decant
