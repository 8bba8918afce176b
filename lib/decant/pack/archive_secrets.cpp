#include <decant/pack/archive_secrets.hpp>
#include <decant/util/limits.hpp>
#include <decant/util/strings.hpp>
#include <decant/util/xml.hpp>

#include <archive.h>
#include <pugixml.hpp>

#include <archive_entry.h>

#include <algorithm>
#include <map>
#include <memory>
#include <optional>
#include <set>

namespace decant {

namespace {

// The line of an element as the analyzers count it: that of pugixml's offset of the node.
int
line_of(std::string_view xml, const pugi::xml_node& node)
{
  ptrdiff_t offset = node.offset_debug();
  return offset < 0 ? 0 : line_of_offset(xml, static_cast<size_t>(offset));
}

void
find_elements(const pugi::xml_node& node,
              std::string_view xml,
              const ArchiveSecret& edit,
              std::vector<pugi::xml_node>& out)
{
  for (pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) {
      continue;
    }
    if (edit.element == child.name() && line_of(xml, child) == edit.line
        && child.attribute(edit.attribute.c_str())) {
      out.push_back(child);
    }
    find_elements(child, xml, edit, out);
  }
}

struct ReadCloser {
  void
  operator()(archive* a) const
  {
    archive_read_free(a);
  }
};
struct WriteCloser {
  void
  operator()(archive* a) const
  {
    archive_write_free(a);
  }
};

std::string
message(archive* a)
{
  const char* text = archive_error_string(a);
  return text ? text : "?";
}

// Where the value of `attribute` lies in the start tag that begins at `offset` (pugixml's
// offset of the element: its '<' or its name): [begin, end) between the quotes.
std::optional<std::pair<size_t, size_t>>
attribute_value_span(std::string_view xml, size_t offset, std::string_view attribute)
{
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  size_t i = offset;
  if (i < xml.size() && xml[i] == '<') {
    ++i;
  }
  while (i < xml.size() && !is_space(xml[i]) && xml[i] != '>' && xml[i] != '/') {
    ++i; // the element name
  }
  while (i < xml.size()) {
    while (i < xml.size() && is_space(xml[i])) {
      ++i;
    }
    if (i >= xml.size() || xml[i] == '>' || xml[i] == '/') {
      return std::nullopt;
    }
    size_t name_begin = i;
    while (i < xml.size() && !is_space(xml[i]) && xml[i] != '=') {
      ++i;
    }
    std::string_view name = xml.substr(name_begin, i - name_begin);
    while (i < xml.size() && is_space(xml[i])) {
      ++i;
    }
    if (i >= xml.size() || xml[i] != '=') {
      return std::nullopt;
    }
    ++i;
    while (i < xml.size() && is_space(xml[i])) {
      ++i;
    }
    if (i >= xml.size() || (xml[i] != '"' && xml[i] != '\'')) {
      return std::nullopt;
    }
    char quote = xml[i++];
    size_t value_begin = i;
    size_t value_end = xml.find(quote, i);
    if (value_end == std::string_view::npos) {
      return std::nullopt;
    }
    if (name == attribute) {
      return std::make_pair(value_begin, value_end);
    }
    i = value_end + 1;
  }
  return std::nullopt;
}

std::string
xml_escape(std::string_view text)
{
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      out += c;
    }
  }
  return out;
}

} // namespace

Result<std::string>
replace_xml_attributes(std::string_view xml,
                       const std::vector<ArchiveSecret>& edits,
                       const std::string& name)
{
  // pugixml finds the elements; the values are then replaced in the text itself, so the file
  // differs from the original in nothing else (comments, white space, quoting, line numbers).
  pugi::xml_document doc;
  if (auto loaded = load_xml(doc, xml, name, "run `decant analyze` again"); !loaded) {
    return fail(loaded.error());
  }
  std::vector<std::pair<std::pair<size_t, size_t>, std::string>> spans;
  for (const auto& edit : edits) {
    std::vector<pugi::xml_node> found;
    find_elements(doc, xml, edit, found);
    std::optional<std::pair<size_t, size_t>> span;
    if (found.size() == 1 && found.front().offset_debug() >= 0) {
      span = attribute_value_span(
          xml, static_cast<size_t>(found.front().offset_debug()), edit.attribute);
    }
    if (!span) {
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("{}: {} <{} {}> on line {} (secret {}); the file changed "
                                    "since the analysis",
                                    name,
                                    found.size() > 1 ? "more than one" : "no",
                                    edit.element,
                                    edit.attribute,
                                    edit.line,
                                    edit.secret),
                        "run `decant analyze` again, so the image holds no secret"));
    }
    spans.emplace_back(*span, xml_escape(edit.replacement));
  }
  // From the end, so earlier offsets stay valid.
  std::sort(spans.begin(), spans.end(), [](const auto& a, const auto& b) {
    return a.first.first > b.first.first;
  });
  // An attribute written twice in one element (pugixml accepts it, XML and Tomcat do not) would
  // have two edits find the same value and leave the other one in the image.
  for (size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].first.second > spans[i - 1].first.first) {
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("{}: an element holds the same secret attribute twice (not "
                                    "well-formed XML; Tomcat does not deploy it either)",
                                    name),
                        "correct the file and run `decant analyze` again"));
    }
  }
  std::string out(xml);
  for (const auto& [span, value] : spans) {
    out.replace(span.first, span.second - span.first, value);
  }
  return out;
}

Result<std::string>
externalize_archive_secrets(const std::string& real_path,
                            const std::vector<ArchiveSecret>& edits,
                            const std::string& name)
{
  std::map<std::string, std::vector<ArchiveSecret>> by_entry;
  for (const auto& edit : edits) {
    by_entry[edit.entry].push_back(edit);
  }
  std::unique_ptr<archive, ReadCloser> reader(archive_read_new());
  archive_read_support_format_zip_seekable(reader.get());
  if (archive_read_open_filename(reader.get(), real_path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return fail(
        ErrorCode::invalid_input, "{}: cannot open the archive: {}", name, message(reader.get()));
  }
  std::string out;
  std::unique_ptr<archive, WriteCloser> writer(archive_write_new());
  archive_write_set_format_zip(writer.get());
  archive_write_set_bytes_per_block(writer.get(), 0);
  archive_write_open(
      writer.get(),
      &out,
      nullptr,
      [](archive*, void* data, const void* buffer, size_t size) -> la_ssize_t {
        static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), size);
        return static_cast<la_ssize_t>(size);
      },
      nullptr);
  std::set<std::string> done;
  archive_entry* entry = nullptr;
  for (;;) {
    int status = archive_read_next_header(reader.get(), &entry);
    if (status == ARCHIVE_EOF) {
      break;
    }
    if (status != ARCHIVE_OK && status != ARCHIVE_WARN) {
      return fail(ErrorCode::invalid_input, "{}: {}", name, message(reader.get()));
    }
    std::string path = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
    std::string content;
    char buffer[64 * 1024];
    for (;;) {
      la_ssize_t n = archive_read_data(reader.get(), buffer, sizeof(buffer));
      if (n < 0) {
        return fail(
            ErrorCode::invalid_input, "{}: cannot read {}: {}", name, path, message(reader.get()));
      }
      if (n == 0) {
        break;
      }
      // The archive is rewritten in memory: a zip bomb must not take the machine's memory.
      if (content.size() + out.size() + static_cast<size_t>(n) > limits::k_program_file_bytes) {
        return fail(ErrorCode::invalid_input,
                    "{}: {} decompresses past {} (decant's limit for an archive it rewrites)",
                    name,
                    quote(path),
                    human_bytes(limits::k_program_file_bytes));
      }
      content.append(buffer, static_cast<size_t>(n));
    }
    if (auto it = by_entry.find(path); it != by_entry.end() && done.insert(path).second) {
      auto replaced = replace_xml_attributes(content, it->second, name + "!/" + path);
      if (!replaced) {
        return fail(replaced.error());
      }
      content = std::move(*replaced);
    }
    archive_entry* copy = archive_entry_clone(entry);
    archive_entry_set_size(copy, static_cast<la_int64_t>(content.size()));
    if (archive_write_header(writer.get(), copy) != ARCHIVE_OK
        || (!content.empty()
            && archive_write_data(writer.get(), content.data(), content.size())
                   != static_cast<la_ssize_t>(content.size()))) {
      std::string why = message(writer.get());
      archive_entry_free(copy);
      return fail(ErrorCode::failure, "{}: cannot rewrite {}: {}", name, path, why);
    }
    archive_entry_free(copy);
  }
  for (const auto& [entry_name, list] : by_entry) {
    if (!done.count(entry_name)) {
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("{}: no entry {} any more (secret {}); the archive changed "
                                    "since the analysis",
                                    name,
                                    entry_name,
                                    list.front().secret),
                        "run `decant analyze` again, so the image holds no secret"));
    }
  }
  if (archive_write_close(writer.get()) != ARCHIVE_OK) {
    return fail(ErrorCode::failure, "{}: {}", name, message(writer.get()));
  }
  return out;
}

} // namespace decant
