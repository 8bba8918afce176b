#pragma once

// The one rule for every directory decant writes (pack -o and --rootfs, machine -o, generate
// -o): it must be missing or empty, else the command fails with output_exists (exit 8). With
// --force, a directory holding only what the same kind of output puts there (an image layout, a
// rootfs decant wrote, generated manifests) may be replaced, and nothing else: a typo like
// `-o /` or `-o ~` never deletes a tree. A path that is not a directory (a file, a symlink) is
// refused even with --force.

#include <decant/error.hpp>

#include <functional>
#include <optional>
#include <string>

namespace decant {

// What one kind of output looks like, for the rule and its messages.
struct OutputKind {
  std::string option;   // how the operator names the directory: "-o", "--rootfs"
  std::string noun;     // "output directory", "rootfs directory"
  std::string contents; // what --force replaces: "an existing image layout"
  // Why a non-empty `dir` is not this kind of output ("holds notes.txt, which is not part of an
  // OCI image layout"); nullopt when --force may replace it.
  std::function<std::optional<std::string>(const std::string& dir)> foreign;
};

// An OutputKind::foreign for outputs known by their top-level names: the first entry of `dir`
// that `ours` does not accept, as "holds NAME, which DOES_NOT" ("holds notes.txt, which is not
// part of an OCI image layout").
std::optional<std::string> foreign_entry(const std::string& dir,
                                         const std::function<bool(const std::string&)>& ours,
                                         const std::string& does_not);

enum class OutputState {
  missing, // to be created
  empty,   // an empty directory: written into
  replace, // --force on this kind's own output: the caller clears or replaces it
};

// Applies the rule to `dir` without changing anything; the caller creates, fills or replaces
// the directory according to the answer.
Result<OutputState>
check_output_directory(const std::string& dir, bool force, const OutputKind& kind);

} // namespace decant
