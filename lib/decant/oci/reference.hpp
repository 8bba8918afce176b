#pragma once

// Image references (NAME:TAG) checked against the OCI distribution-spec grammar
// (spec.md "Pulling manifests": <name> and <reference>), with the registry host part of
// docker/distribution's reference grammar.

#include <decant/error.hpp>

#include <optional>
#include <string>

namespace decant {

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

// The reference system's stricter tag rule: 1-128 characters of a-z, 0-9, '.', '_', '-', not
// starting or ending with '.' or '-'. Returns what is wrong, or nullopt when the tag complies.
std::optional<std::string> strict_tag_problem(const std::string& tag);

} // namespace decant
