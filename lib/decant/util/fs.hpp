#pragma once

#include <decant/error.hpp>
#include <decant/util/limits.hpp>

#include <sys/stat.h>
#include <sys/types.h>

#include <string>

namespace decant {

// Reads a whole regular file to EOF, at most `max_bytes` (more is an error, exit 6, naming the
// file and the limit). The one reader of every file decant takes in: it opens with O_NONBLOCK and
// checks fstat before reading, so a FIFO, socket or device where a file was expected is refused
// at once ("is a FIFO, not a regular file") instead of blocking forever or reading without end.
// /proc files report size 0, so st_size is never trusted.
Result<std::string> read_file(const std::string& path,
                              uint64_t max_bytes = limits::k_text_file_bytes);

// Up to `bytes` from the start of a regular file (a script's "#!" line, an ELF header), with the
// same refusal of special files.
Result<std::string> read_file_head(const std::string& path, size_t bytes);

// What a file of this mode is, for messages: "a FIFO", "a socket", "a character device", ...
std::string file_kind(mode_t mode);

// Writes `content` to `path` atomically: a temporary file in the same directory, fsync, then
// rename(2), so a reader never sees a half-written file and a failure leaves no file behind.
Status write_file_atomic(const std::string& path, const std::string& content, mode_t mode = 0644);

// mkdir -p with `mode` for the directories it creates.
Status make_directories(const std::string& path, mode_t mode = 0755);

} // namespace decant
