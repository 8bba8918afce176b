#pragma once

// Comparing two HTTP bodies that should be the same page: equal, "same shape" (they differ only
// where a page must differ from one request to the next: a session id, a CSRF token, a
// timestamp or counter), or different. The differing byte ranges are reported either way.
//
// The algorithm: strip the common prefix and suffix (widened to whole words, so "12:05" and
// "12:07" compare the words "05" and "07"); split the rest of both into tokens (runs of letters,
// digits and non-ASCII bytes, or one other byte); align the token sequences with Myers' diff;
// each differing hunk is volatile when both sides are present and either its tokens pair up
// one to one as numbers, hex or mixed letter-and-digit identifiers of 8+ characters, month or
// weekday names, AM/PM (equal punctuation between them allowed), or both sides lie in a run of
// base64/url-safe characters of 16+ with letters and digits (a nonce, a UUID; the alignment may
// cut it at its '+', '/', '-'), the two runs of similar length. All hunks volatile:
// same shape. Anything else, an insertion or a deletion, or more than k_max_edits token edits:
// different.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace decant {

enum class BodyMatch { same, same_shape, different };

struct DiffRange {
  uint64_t source_begin = 0; // byte offsets, end exclusive
  uint64_t source_end = 0;
  uint64_t image_begin = 0;
  uint64_t image_end = 0;
  std::string kind;        // volatile: "number", "id", "date", "token"; else "content"
  std::string source_text; // the source's bytes there, shortened and escaped for display
  std::string image_text;
};

struct BodyComparison {
  BodyMatch match = BodyMatch::same;
  std::vector<DiffRange> ranges;
};

inline constexpr size_t k_max_edits = 4000;

BodyComparison compare_bodies(std::string_view source, std::string_view image);

std::string to_string(BodyMatch match); // "same", "same shape", "different"

// At most `limit` characters of `text` for display: control bytes escaped, "..." when cut.
std::string excerpt(std::string_view text, size_t limit = 60);

} // namespace decant
