#pragma once

// The one JSON reader for everything decant takes in (analysis.json, secrets.json, the OCI
// layout's index and manifests, registry answers, docker's config.json, .NET's runtimeconfig and
// appsettings): bounded size and nesting, duplicate keys refused (a document that says two
// things must not silently mean the last one), and errors that give a position and the kind of
// mistake but never quote the text around it (it may be a secret).

#include <decant/error.hpp>
#include <decant/util/limits.hpp>

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace decant {

struct JsonOptions {
  int max_depth = limits::k_json_depth;
  size_t max_bytes = limits::k_text_file_bytes;
  bool comments = false; // /* */ and // comments (.NET's configuration files)
  bool duplicate_keys_are_errors = true;
};

// A syntax or limit error: where (byte offset, 1-based line and column) and what, without text.
struct JsonSyntaxError {
  size_t offset = 0;
  int line = 1;
  int column = 1;
  std::string reason; // "syntax error while parsing object key", "nested deeper than 64 levels"
};

tl::expected<nlohmann::json, JsonSyntaxError> parse_json_document(std::string_view text,
                                                                  const JsonOptions& options = {});

// "<what>:<line>:<column>: malformed JSON: <reason>" (exit 6) on failure.
Result<nlohmann::json>
parse_json(std::string_view text, const std::string& what, const JsonOptions& options = {});

// Bytes that are not UTF-8 in JSON that decant writes. Linux command lines, environments and
// file names are bytes (Latin-1 servers are common); JSON strings are Unicode. A string (value
// or key) that is not valid UTF-8 is written as U+0000 followed by the bytes with every "\"
// doubled and every byte that is not part of valid UTF-8 as "\xHH":
//   "caf\xE9" (Latin-1)  ->  "\u0000caf\\xe9"
// U+0000 cannot occur in any argument, variable or path, so the marker is unambiguous; every
// other string is written unchanged. docs/analysis-json.md documents it for operators.
std::string escape_bytes(std::string_view bytes);
std::optional<std::string> unescape_bytes(std::string_view escaped); // nullopt when malformed

// escape_bytes on every string and key of `document` that is not valid UTF-8.
void escape_invalid_utf8(nlohmann::json& document);

// The reverse, on a parsed document: marked strings and keys become their bytes again. Fails
// (exit 6, naming the JSON path) on a malformed escape and on U+0000 anywhere else, which no
// path, argument or name can hold (it would be cut silently at the first C call).
Status unescape_invalid_utf8(nlohmann::json& document, const std::string& what);

// `document` as text, with escape_invalid_utf8 applied (never throws on bytes).
std::string dump_json(const nlohmann::json& document, int indent = -1);

// Fields of untrusted documents (registry answers, OCI layouts, docker's config.json): the
// value when `object` is an object holding `key` with the expected type, else `fallback`.
// nlohmann's value() throws when the type differs; these never do.
std::string
json_string(const nlohmann::json& object, const std::string& key, const std::string& fallback = {});
std::optional<uint64_t> json_unsigned(const nlohmann::json& object, const std::string& key);

// The object at `key` of `object`, made an object (and `object` too) when it is anything else:
// for caches that are rewritten, where a damaged part is simply started over.
nlohmann::json& json_object_at(nlohmann::json& object, const std::string& key);

} // namespace decant
