#pragma once

// The dynamic-linking facts of an ELF file the packer needs to find every shared library a
// program loads: its interpreter (PT_INTERP), DT_NEEDED names and search paths (DT_RPATH,
// DT_RUNPATH). Read from the file alone; nothing is loaded or executed.

#include <decant/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant {

struct ElfInfo {
  bool is_64 = false;
  uint16_t machine = 0;    // e_machine: libraries of another machine or class are never candidates
  std::string interpreter; // PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2; empty for libraries
  std::vector<std::string> needed;
  std::vector<std::string> rpath;   // DT_RPATH, split at ':'
  std::vector<std::string> runpath; // DT_RUNPATH, split at ':'
};

// True when `head` (the first bytes of a file) starts with the ELF magic.
bool is_elf(std::string_view head);

// Parses an ELF image held in memory. Statically linked files give an ElfInfo with no needed
// entries. Fails on a truncated or inconsistent file, naming what is wrong.
Result<ElfInfo> parse_elf(std::string_view image);

// Replaces $ORIGIN / ${ORIGIN} in a DT_RPATH/DT_RUNPATH entry by `origin` (the directory of the
// object, ld.so(8) "Dynamic string tokens"). $LIB and $PLATFORM are left as written: the
// caller skips entries that still hold a '$'.
std::string expand_origin(std::string_view entry, std::string_view origin);

} // namespace decant
