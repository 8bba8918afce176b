#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
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

// Whether the normalized absolute path `path` is `dir` or lies below it ("/" holds everything;
// "/opt/app2" is not below "/opt/app").
bool path_within(std::string_view path, std::string_view dir);

// The directory and last component of a path, as POSIX dirname(3) and basename(3) have them:
// dir_name("/opt/app") = "/opt", dir_name("/x") = "/", dir_name("/") = "/", and a name without
// a slash is in the current directory: dir_name("x") = "." (dir_name("") too); trailing slashes
// are not a component: dir_name("/opt/app/") = "/opt", base_name("/opt/app/") = "app",
// base_name("/") = "/", base_name("x") = "x", base_name("") = "".
std::string dir_name(std::string_view path);
std::string base_name(std::string_view path);

// ASCII case-insensitive equality (HTTP header names, .NET framework names, "true"/"True").
bool iequals(std::string_view a, std::string_view b);

// 1-based line and column of byte `offset` (clamped to the end).
std::pair<size_t, size_t> line_column(std::string_view text, size_t offset);

// An input quoted in a message: in double quotes, control characters, quotes, backslashes and
// bytes that are not UTF-8 escaped (\n, \", \\, \xHH), and at most `max_chars` of it, the rest
// summarized as "… (N bytes)". Every message that quotes what decant read goes through here,
// so a huge or binary field cannot flood a terminal or a log.
std::string quote(std::string_view text, size_t max_chars = 120);

// The same escaping and shortening without the quotes, for text that is itself a message (a
// registry's error message, a line of a file shown as it is).
std::string shorten(std::string_view text, size_t max_chars = 120);

// Whether `text` is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool is_valid_utf8(std::string_view text);

// Length of the valid UTF-8 sequence starting at text[i], or 0 when the byte there does not
// start one.
size_t utf8_sequence_length(std::string_view text, size_t i);

// SHA-256 of `data` as 64 lowercase hex characters (OpenSSL libcrypto).
std::string sha256_hex(std::string_view data);

} // namespace decant
