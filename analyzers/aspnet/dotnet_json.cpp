#include "dotnet_json.hpp"

#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>

#include <algorithm>
#include <cctype>

namespace decant::aspnet {

std::string
blank_trailing_commas(std::string_view text)
{
  std::string out(text);
  size_t pending_comma = std::string::npos; // a comma seen with only blanks/comments after it
  size_t i = 0;
  while (i < out.size()) {
    char c = out[i];
    if (c == '"') {
      pending_comma = std::string::npos;
      for (++i; i < out.size() && out[i] != '"'; ++i) {
        if (out[i] == '\\') {
          ++i;
        }
      }
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < out.size() && out[i + 1] == '/') {
      i = out.find('\n', i);
      i = i == std::string::npos ? out.size() : i;
      continue;
    }
    if (c == '/' && i + 1 < out.size() && out[i + 1] == '*') {
      size_t end = out.find("*/", i + 2);
      i = end == std::string::npos ? out.size() : end + 2;
      continue;
    }
    if (c == ',') {
      pending_comma = i;
    } else if (c == '}' || c == ']') {
      if (pending_comma != std::string::npos) {
        out[pending_comma] = ' ';
      }
      pending_comma = std::string::npos;
    } else if (!std::isspace(static_cast<unsigned char>(c))) {
      pending_comma = std::string::npos;
    }
    ++i;
  }
  return out;
}

Result<nlohmann::json>
parse_dotnet_json(std::string_view text, const std::string& path)
{
  // A UTF-8 byte order mark is common in files written by Visual Studio; .NET skips it.
  std::string_view body = text;
  size_t bom = 0;
  if (starts_with(body, "\xEF\xBB\xBF")) {
    body.remove_prefix(3);
    bom = 3;
  }
  std::string cleaned = blank_trailing_commas(body);
  // Comments as .NET's readers allow them; a repeated key is left to the runtime's own rules.
  JsonOptions options;
  options.comments = true;
  options.duplicate_keys_are_errors = false;
  auto document = parse_json_document(cleaned, options);
  if (document) {
    return std::move(*document);
  }
  const auto& e = document.error();
  std::string where = path;
  if (e.line > 0) {
    auto [line, column] = line_column(text, e.offset + bom);
    where = fmt::format("{}:{}:{}", path, line, column);
  }
  return fail(
      Error(ErrorCode::invalid_input,
            fmt::format("{}: malformed JSON: {}", where, e.reason),
            fmt::format("fix {} (the application itself cannot start with it either)", path)));
}

size_t
line_of_key(std::string_view text, std::string_view key_path)
{
  std::string lower = to_lower(text);
  size_t pos = 0;
  for (const auto& segment : split(key_path, ':')) {
    std::string needle = to_lower("\"" + segment + "\"");
    pos = lower.find(needle, pos);
    if (pos == std::string::npos) {
      return 0;
    }
    pos += needle.size();
  }
  return line_column(text, pos).first;
}

} // namespace decant::aspnet
