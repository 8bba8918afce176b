#pragma once

// Libraries (and their data files) a runtime loads lazily with dlopen(3), so they are not in
// /proc/<pid>/maps when the analyzer looks, and not in any DT_NEEDED. Analyzers state them in
// analysis.json under runtime.details.lazyLibraries, each with the reason, so the operator sees
// and can edit them:
//   "lazyLibraries": [{"path": "/usr/lib/jvm/java-17-openjdk-amd64/lib/libawt.so",
//                      "reason": "AWT core, loaded on the first image or font call"}]
// `path` is an absolute path or glob (the ELF closure of each match is added, directories are
// walked), or a bare soname ("libssl.so.3") found like ld.so finds it.

#include <decant/analysis/analysis.hpp>

#include <string>
#include <vector>

namespace decant {

struct LazyLibrary {
  std::string path;
  std::string reason;
};

// Appends to analysis.runtime.details.lazyLibraries (no duplicate paths).
void add_lazy_library(Analysis& analysis, const std::string& path, const std::string& reason);
void add_lazy_libraries(Analysis& analysis, const std::vector<LazyLibrary>& libraries);

// Reads runtime.details.lazyLibraries; the error names the entry ("runtime.lazyLibraries[2].path").
Result<std::vector<LazyLibrary>> lazy_libraries(const Analysis& analysis);

// Rule sets analyzers can state as is. The JDK's rules (headless AWT, fonts, files a server
// never reads) are the Java analyzers' own: analyzers/java/jdk.hpp.
// .NET loads OpenSSL (System.Security.Cryptography.Native) and ICU (globalization) by soname.
std::vector<LazyLibrary> dotnet_lazy_libraries();

} // namespace decant
