#pragma once

#include <decant/error.hpp>

#include <sys/types.h>

#include <string>

namespace decant {

// Reads a whole file to EOF. /proc files report size 0, so never trust st_size.
Result<std::string> read_file(const std::string& path);

// Writes `content` to `path` atomically: a temporary file in the same directory, fsync, then
// rename(2), so a reader never sees a half-written file and a failure leaves no file behind.
Status write_file_atomic(const std::string& path, const std::string& content, mode_t mode = 0644);

// mkdir -p with `mode` for the directories it creates.
Status make_directories(const std::string& path, mode_t mode = 0755);

} // namespace decant
