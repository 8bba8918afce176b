#pragma once

// Image references as a push destination ("registry.example.com:5000/team/app:1.0",
// "app@sha256:...") parsed by the grammar of the distribution project (reference/regexp.go), the
// one docker, skopeo and the registries themselves use, with docker's normalization (docker.io,
// library/). Named RegistryReference so it never collides with the packer's NAME:TAG
// ImageReference; both are checked by the one grammar of oci/reference.hpp (is_valid_tag, ...).

#include <decant/error.hpp>
#include <decant/oci/reference.hpp>

#include <string>
#include <string_view>

namespace decant {

struct RegistryReference {
  std::string registry;   // "registry.example.com:5000"; "docker.io" when none was given
  std::string repository; // "team/app"; "library/app" for a one-component Docker Hub name
  std::string tag;        // empty when only a digest was given
  std::string digest;     // "sha256:<64 hex>", optional

  // The host to talk to: Docker Hub's API lives on registry-1.docker.io, not docker.io.
  std::string api_host() const;
  // "registry/repository:tag[@digest]", the canonical form.
  std::string str() const;
  // What the manifest is PUT under: the tag, else the digest.
  std::string manifest_reference() const;
};

// Parses `text`. Without a tag or digest the tag is "latest". The error names the part that is
// wrong ("tag \"-x\" must start with a letter, digit or underscore").
Result<RegistryReference> parse_registry_reference(std::string_view text);

} // namespace decant
