#pragma once

// Finds shared libraries the way ld.so(8) does, inside a HostRoot: DT_RPATH (only when there is
// no DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH, the directories of /etc/ld.so.conf and its
// includes (what ld.so.cache indexes), then the default directories. $ORIGIN is the directory
// of the object asking.

#include <decant/error.hpp>
#include <decant/pack/elf.hpp>
#include <decant/proc/host_root.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

namespace decant {

// Directories named by an ld.so.conf file, following "include" globs (relative to the
// including file's directory); "hwcap" lines and comments are ignored. Missing files give none.
std::vector<std::string> ld_so_conf_directories(const HostRoot& root,
                                                const std::string& conf = "/etc/ld.so.conf");

// The multiarch triplet ld.so searches for an ELF machine (x86_64-linux-gnu, aarch64-linux-gnu).
std::string multiarch_triplet(uint16_t machine, bool is_64);

struct ClosureLibrary {
  std::string path;      // host path where the loader finds it (may go through symlinks)
  std::string needed_by; // the object whose DT_NEEDED or PT_INTERP names it
};

struct ElfClosure {
  std::vector<ClosureLibrary> libraries; // in discovery order, each path once
  std::vector<std::string> missing;      // "libfoo.so.1 needed by /opt/x/bin/y"
};

class LibrarySearch
{
public:
  LibrarySearch(const HostRoot& root, std::vector<std::string> ld_library_path);

  // Where `soname` is found for an object at `object_path` with `info`; empty when nowhere.
  std::string
  find(const std::string& soname, const std::string& object_path, const ElfInfo& info) const;

  // The closure of `roots` (host paths of ELF files): interpreters and DT_NEEDED, recursively.
  // Non-ELF roots and roots that do not exist are ignored (the caller reports those).
  ElfClosure closure(const std::vector<std::string>& roots) const;

  const std::vector<std::string>&
  config_directories() const
  {
    return m_config_dirs;
  }

private:
  // Reads and parses an ELF file through the root (cached: closures share most libraries).
  const ElfInfo* info(const std::string& host_path) const;
  bool compatible(const std::string& candidate, const ElfInfo& loader) const;

  const HostRoot& m_root;
  std::vector<std::string> m_ld_library_path;
  std::vector<std::string> m_config_dirs;
  mutable std::map<std::string, std::optional<ElfInfo>> m_cache;
  mutable std::map<std::string, std::string> m_found;   // search key -> result of find()
  mutable std::map<std::string, std::string> m_origins; // object -> $ORIGIN
};

} // namespace decant
