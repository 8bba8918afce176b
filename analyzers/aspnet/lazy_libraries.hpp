#pragma once

// Native libraries .NET loads with dlopen() only when a feature is first used, so neither the
// process's maps (before that use) nor the ELF closure of its mapped files show them: an image
// without them fails at the first HTTPS request or culture lookup, long after it "started".

#include <decant/proc/host_root.hpp>

#include <string>
#include <vector>

namespace decant::aspnet {

struct LazyLibrary {
  std::string path;   // host path of the soname link (libssl.so.3), kept as a symlink by the packer
  std::string reason; // which .NET component loads it, and when
};

// The lazily loaded libraries present on the host, in the usual library directories for the
// host's architecture. `framework_major` selects the zlib rule (.NET 9 bundles zlib-ng);
// `invariant_globalization` drops ICU.
std::vector<LazyLibrary>
lazy_libraries(const HostRoot& root, int framework_major, bool invariant_globalization);

} // namespace decant::aspnet
