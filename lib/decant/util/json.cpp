#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>

#include <set>
#include <vector>

namespace decant {

namespace {

// Thrown from the parser callback to stop at the first limit crossed.
struct Stop {
  std::string reason;
};

// nlohmann's messages end in "; last read: '<text>'", the input around the error: a secret's
// value in secrets.json. Keep the kind of error only.
std::string
reason_of(const nlohmann::json::parse_error& error)
{
  std::string what = error.what();
  if (size_t colon = what.find(": "); colon != std::string::npos) {
    what = what.substr(colon + 2); // drop "[json.exception.parse_error.101] parse error at ..."
  }
  if (size_t at = what.find("; last read"); at != std::string::npos) {
    what = what.substr(0, at);
  }
  return what;
}

} // namespace

tl::expected<nlohmann::json, JsonSyntaxError>
parse_json_document(std::string_view text, const JsonOptions& options)
{
  if (text.size() > options.max_bytes) {
    return tl::unexpected(JsonSyntaxError{
        0, 1, 1, fmt::format("larger than {} (decant's limit)", human_bytes(options.max_bytes))});
  }
  // The callback sees every event with its depth: nesting is cut off before the parser goes
  // deeper, and each object's keys are checked for repeats as they come.
  std::vector<std::set<std::string>> keys;
  nlohmann::json::parser_callback_t callback = [&](int depth,
                                                   nlohmann::json::parse_event_t event,
                                                   nlohmann::json& parsed) {
    using event_t = nlohmann::json::parse_event_t;
    switch (event) {
    case event_t::object_start:
    case event_t::array_start:
      if (depth >= options.max_depth) {
        throw Stop{fmt::format("nested deeper than {} levels (decant's limit)", options.max_depth)};
      }
      if (event == event_t::object_start) {
        keys.emplace_back();
      }
      break;
    case event_t::object_end:
      if (!keys.empty()) {
        keys.pop_back();
      }
      break;
    case event_t::key:
      if (options.duplicate_keys_are_errors && !keys.empty()
          && !keys.back().insert(parsed.get<std::string>()).second) {
        throw Stop{fmt::format("the key {} appears twice in one object",
                               quote(parsed.get<std::string>()))};
      }
      break;
    default:
      break;
    }
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), callback, true, options.comments);
  } catch (const nlohmann::json::parse_error& error) {
    size_t offset = error.byte > 0 ? error.byte - 1 : 0;
    auto [line, column] = line_column(text, offset);
    return tl::unexpected(JsonSyntaxError{
        offset, static_cast<int>(line), static_cast<int>(column), reason_of(error)});
  } catch (const Stop& stop) {
    // The callback does not know the position; the depth or key names the problem.
    return tl::unexpected(JsonSyntaxError{0, 0, 0, stop.reason});
  } catch (const nlohmann::json::exception&) {
    return tl::unexpected(JsonSyntaxError{0, 0, 0, "not a JSON document"});
  }
}

Result<nlohmann::json>
parse_json(std::string_view text, const std::string& what, const JsonOptions& options)
{
  auto document = parse_json_document(text, options);
  if (!document) {
    const auto& e = document.error();
    std::string where = e.line > 0 ? fmt::format("{}:{}:{}", what, e.line, e.column) : what;
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}: malformed JSON: {}", where, e.reason),
                      fmt::format("fix {} (a JSON validator such as `jq . FILE` shows the same "
                                  "error)",
                                  what)));
  }
  return std::move(*document);
}

std::string
escape_bytes(std::string_view bytes)
{
  std::string out(1, '\0');
  for (size_t i = 0; i < bytes.size();) {
    size_t length = utf8_sequence_length(bytes, i);
    if (length == 0) {
      out += fmt::format("\\x{:02x}", static_cast<unsigned char>(bytes[i]));
      i += 1;
    } else if (bytes[i] == '\\') {
      out += "\\\\";
      i += 1;
    } else {
      out.append(bytes.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::optional<std::string>
unescape_bytes(std::string_view escaped)
{
  if (escaped.empty() || escaped[0] != '\0') {
    return std::nullopt;
  }
  std::string out;
  for (size_t i = 1; i < escaped.size(); ++i) {
    char c = escaped[i];
    if (c == '\0') {
      return std::nullopt;
    }
    if (c != '\\') {
      out += c;
      continue;
    }
    if (i + 1 < escaped.size() && escaped[i + 1] == '\\') {
      out += '\\';
      i += 1;
      continue;
    }
    if (i + 3 < escaped.size() && escaped[i + 1] == 'x') {
      auto byte = parse_u64(escaped.substr(i + 2, 2), 16);
      if (!byte || *byte == 0) {
        return std::nullopt;
      }
      out += static_cast<char>(*byte);
      i += 3;
      continue;
    }
    return std::nullopt;
  }
  return out;
}

namespace {

void
escape_walk(nlohmann::json& node)
{
  if (node.is_string()) {
    const auto& text = node.get_ref<const std::string&>();
    if (!is_valid_utf8(text)) {
      node = escape_bytes(text);
    }
  } else if (node.is_array()) {
    for (auto& item : node) {
      escape_walk(item);
    }
  } else if (node.is_object()) {
    bool keys_ok = true;
    for (auto& [key, value] : node.items()) {
      keys_ok = keys_ok && is_valid_utf8(key);
      escape_walk(value);
    }
    if (!keys_ok) {
      nlohmann::json copy = nlohmann::json::object();
      for (auto& [key, value] : node.items()) {
        copy[is_valid_utf8(key) ? key : escape_bytes(key)] = std::move(value);
      }
      node = std::move(copy);
    }
  }
}

Status
unescape_walk(nlohmann::json& node, const std::string& path)
{
  auto fix = [&](const std::string& text, const std::string& at) -> Result<std::string> {
    if (text.find('\0') == std::string::npos) {
      return text;
    }
    if (auto bytes = unescape_bytes(text)) {
      return *bytes;
    }
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}: holds U+0000 outside the escaping of non-UTF-8 bytes "
                                  "(\u0000 first, then only \\\\ and \\xHH escapes)",
                                  at.empty() ? "(document)" : at),
                      "no path, argument or name can hold U+0000; remove it (docs/analysis-json.md "
                      "describes the escaping)"));
  };
  if (node.is_string()) {
    auto fixed = fix(node.get_ref<const std::string&>(), path);
    if (!fixed) {
      return fail(fixed.error());
    }
    node = std::move(*fixed);
  } else if (node.is_array()) {
    for (size_t i = 0; i < node.size(); ++i) {
      if (auto status = unescape_walk(node[i], fmt::format("{}[{}]", path, i)); !status) {
        return status;
      }
    }
  } else if (node.is_object()) {
    bool marked_keys = false;
    for (auto& [key, value] : node.items()) {
      std::string at = path.empty() ? key : path + "." + key;
      if (key.find('\0') != std::string::npos) {
        marked_keys = true;
        if (auto fixed = fix(key, at); !fixed) {
          return fail(fixed.error());
        }
      }
      if (auto status = unescape_walk(value, at); !status) {
        return status;
      }
    }
    if (marked_keys) {
      nlohmann::json copy = nlohmann::json::object();
      for (auto& [key, value] : node.items()) {
        copy[key.find('\0') == std::string::npos ? key : *unescape_bytes(key)] = std::move(value);
      }
      node = std::move(copy);
    }
  }
  return {};
}

} // namespace

void
escape_invalid_utf8(nlohmann::json& document)
{
  escape_walk(document);
}

Status
unescape_invalid_utf8(nlohmann::json& document, const std::string& what)
{
  auto status = unescape_walk(document, "");
  if (!status) {
    return fail(status.error().context(what));
  }
  return {};
}

std::string
dump_json(const nlohmann::json& document, int indent)
{
  nlohmann::json copy = document;
  escape_invalid_utf8(copy);
  return copy.dump(indent);
}

std::string
json_string(const nlohmann::json& object, const std::string& key, const std::string& fallback)
{
  if (!object.is_object()) {
    return fallback;
  }
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

std::optional<uint64_t>
json_unsigned(const nlohmann::json& object, const std::string& key)
{
  if (!object.is_object()) {
    return std::nullopt;
  }
  auto it = object.find(key);
  if (it == object.end() || !it->is_number_unsigned()) {
    return std::nullopt;
  }
  return it->get<uint64_t>();
}

nlohmann::json&
json_object_at(nlohmann::json& object, const std::string& key)
{
  if (!object.is_object()) {
    object = nlohmann::json::object();
  }
  nlohmann::json& at = object[key];
  if (!at.is_object()) {
    at = nlohmann::json::object();
  }
  return at;
}

} // namespace decant
