#pragma once

// Reads one image out of an OCI image layout (image-spec image-layout.md): index.json, the
// manifest it names, the config and layer descriptors. Used by `decant push` (the blobs to send)
// and `decant generate --oci` (the layers of the Dockerfile build context). Read-only.

#include <decant/error.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace decant {

inline constexpr const char* k_oci_manifest_type = "application/vnd.oci.image.manifest.v1+json";
inline constexpr const char* k_oci_index_type = "application/vnd.oci.image.index.v1+json";
inline constexpr const char* k_docker_manifest_type =
    "application/vnd.docker.distribution.manifest.v2+json";

struct Descriptor {
  std::string media_type;
  std::string digest; // validated "algorithm:hex", safe to use in a path
  uint64_t size = 0;
  std::vector<std::string> urls; // a non-distributable ("foreign") layer is fetched from these

  // A layer registries do not store: non-distributable media type with URLs (image-spec
  // layer.md); pushers skip it.
  bool is_foreign() const;
};

struct LayoutImage {
  std::string dir;
  std::string name; // the org.opencontainers.image.ref.name it was chosen by, may be empty
  Descriptor manifest;
  std::string manifest_bytes; // exactly as stored: its digest is the image's identity
  Descriptor config;
  std::string config_bytes;
  std::vector<Descriptor> layers;

  // <dir>/blobs/<algorithm>/<hex>
  std::string blob_path(const Descriptor& blob) const;
};

// Opens the image named `name` (org.opencontainers.image.ref.name) in the layout at `dir`, or the
// only image when `name` is empty. Checks the manifest's and config's digests and that every
// layer blob exists with its declared size.
Result<LayoutImage> read_oci_layout(const std::string& dir, const std::string& name = {});

// "DIR" or "DIR:NAME" (skopeo's oci: transport syntax; NAME may contain ':', as in
// "team/app:1.0"); split only when the whole argument is not an existing path, at the first ':'
// whose left side is an existing directory.
std::pair<std::string, std::string> split_layout_argument(const std::string& argument);

} // namespace decant
