#pragma once

// Image references as a push destination ("registry.example.com:5000/team/app:1.0",
// "app@sha256:...") parsed by the grammar of the distribution project (reference/regexp.go), the
// one docker, skopeo and the registries themselves use, with docker's normalization (docker.io,
// library/). Named RegistryReference so it never collides with the packer's NAME:TAG
// ImageReference (oci/reference.hpp); the validators below are plain functions anyone may use.

#include <decant/error.hpp>

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

// A tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool is_valid_tag(std::string_view tag);
// A repository path: components [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* separated by '/', at most 255
// characters in all.
bool is_valid_repository(std::string_view repository);
// A digest: algorithm ":" hex, with sha256 exactly 64 lowercase hex digits.
bool is_valid_digest(std::string_view digest);

} // namespace decant
