#pragma once

// A Dockerfile and build context equivalent to the packed image, for teams that build with
// docker or buildah: FROM scratch, the image's layers in order (ADD unpacks local tar archives),
// and ENV/WORKDIR/USER/EXPOSE/ENTRYPOINT from the analysis.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>
#include <decant/registry/oci_layout_reader.hpp>

#include <string>
#include <vector>

namespace decant {

struct DockerContext {
  struct Layer {
    std::string source;           // blob in the OCI layout
    std::string name;             // file in the context: "layers/01-<hex12>.tar.gz"
    bool decompress_zstd = false; // ADD does not know zstd: written as plain tar
  };
  std::vector<Layer> layers;
  std::string dockerfile;
  std::vector<std::string> warnings;
};

// Plans the context (no files written).
Result<DockerContext> plan_docker_context(const LayoutImage& image, const Analysis& analysis);

// Writes Dockerfile and layers/ into `dir` (which exists and is empty).
Status write_docker_context(const DockerContext& context, const std::string& dir);

// Shell-quotes one word for /bin/sh: 'it'\''s'.
std::string shell_quote(const std::string& word);

} // namespace decant
