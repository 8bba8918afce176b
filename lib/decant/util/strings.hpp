#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant {

std::vector<std::string> split(std::string_view text, char separator);
std::string_view trim(std::string_view text);
bool starts_with(std::string_view text, std::string_view prefix);
bool ends_with(std::string_view text, std::string_view suffix);
std::string join(const std::vector<std::string>& parts, std::string_view separator);
std::optional<uint64_t> parse_u64(std::string_view text, int base = 10);
std::optional<int64_t> parse_i64(std::string_view text);
// ASCII lower case: configuration keys and attribute names compared case-insensitively.
std::string to_lower(std::string_view text);

// "512 B", "1.5 KiB", "12.3 MiB" (powers of 1024, one decimal), for sizes of files and images.
std::string human_bytes(uint64_t bytes);

// The 1-based line of byte `offset` in `content` (pugixml reports offsets, users want lines);
// an offset past the end counts as the last line.
int line_of_offset(std::string_view content, size_t offset);

// SHA-256 of `data` as 64 lowercase hex characters (OpenSSL libcrypto).
std::string sha256_hex(std::string_view data);

} // namespace decant
