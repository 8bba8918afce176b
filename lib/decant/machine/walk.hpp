#pragma once

// The whole-system walk of machine mode: every files[] path of a machine analysis (the root's
// top-level entries) walked top-down without following links, minus the exclusions, into the
// packer's FileSet. Only metadata is held; file contents are streamed from the source into the
// layers by the layer writer, so nothing is copied to disk on the way.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>
#include <decant/files/file_set.hpp>
#include <decant/proc/host_root.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace decant {

struct SizeReport {
  uint64_t total_bytes = 0; // file contents as stored (holes of sparse files not counted)
  uint64_t tar_bytes = 0;   // estimated uncompressed layers: contents + 512-byte headers, padded
  uint64_t files = 0;       // regular files and symlinks
  uint64_t directories = 0;
  std::vector<std::pair<std::string, uint64_t>> largest_directories; // up to 3 levels deep
  std::vector<std::pair<std::string, uint64_t>> largest_files;
};

nlohmann::json to_json(const SizeReport& report);

// "10G", "500M", "1.5T", "123" (bytes) -> bytes (powers of 1024).
Result<uint64_t> parse_size(const std::string& text);

struct MachineWalk {
  FileSet set;
  SizeReport size;
  std::vector<std::string> unreadable; // "path: reason", each file or directory that failed
  std::vector<std::string> vanished;   // removed while the walk ran
  std::vector<std::string> special;    // device nodes, FIFOs, sockets left out
  std::vector<std::string> loops;      // directories reached twice (bind mounts), walked once
};

struct WalkOptions {
  size_t report_entries = 15; // largest directories/files listed
};

// Walks the analysis' files[] (each with its role) minus exclude[]. Unreadable entries and
// vanished files are recorded and left out, never fatal; the caller decides.
Result<MachineWalk>
walk_machine(const Analysis& analysis, const HostRoot& root, const WalkOptions& options = {});

} // namespace decant
