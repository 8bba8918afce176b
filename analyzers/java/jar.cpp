#include "jar.hpp"

#include <decant/util/strings.hpp>

#include <archive.h>

#include <archive_entry.h>

#include <memory>

namespace decant::java {

namespace {

struct ArchiveCloser {
  void
  operator()(archive* a) const
  {
    archive_read_free(a);
  }
};

std::string
percent_decode(std::string_view text)
{
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      if (auto code = parse_u64(text.substr(i + 1, 2), 16)) {
        out += static_cast<char>(*code);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

const char*
archive_message(archive* reader)
{
  const char* message = archive_error_string(reader);
  return message ? message : "?";
}

using ArchivePtr = std::unique_ptr<archive, ArchiveCloser>;

ArchivePtr
new_zip_reader()
{
  ArchivePtr reader(archive_read_new());
  // The seekable zip reader starts from the central directory, which is authoritative: the
  // streaming one can be fooled by entries that a later one replaces.
  archive_read_support_format_zip_seekable(reader.get());
  return reader;
}

// Reads the data of the current entry; fails naming `name` (the zip) and the entry.
Result<std::string>
read_entry_data(archive* reader, const std::string& name, std::string_view entry, size_t max_size)
{
  std::string content;
  char buffer[16 * 1024];
  for (;;) {
    la_ssize_t n = archive_read_data(reader, buffer, sizeof(buffer));
    if (n < 0) {
      return fail(
          ErrorCode::invalid_input, "{}: cannot read {}: {}", name, entry, archive_message(reader));
    }
    if (n == 0) {
      return content;
    }
    content.append(buffer, static_cast<size_t>(n));
    if (content.size() > max_size) {
      return fail(
          ErrorCode::invalid_input, "{}: entry {} is larger than {} bytes", name, entry, max_size);
    }
  }
}

// The loop of for_each_zip_entry over an opened reader.
Result<bool>
visit_entries(archive* reader,
              const std::string& name,
              const ZipEntryFilter& wanted,
              const ZipEntryVisitor& visit,
              size_t max_size)
{
  archive_entry* header = nullptr;
  for (;;) {
    int rc = archive_read_next_header(reader, &header);
    if (rc == ARCHIVE_EOF) {
      return true;
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return fail(ErrorCode::invalid_input,
                  "{}: corrupt jar (zip) file: {}",
                  name,
                  archive_message(reader));
    }
    const char* entry = archive_entry_pathname(header);
    if (!entry || !wanted(entry)) {
      continue;
    }
    auto content = read_entry_data(reader, name, entry, max_size);
    if (!content) {
      return fail(content.error());
    }
    if (!visit(entry, *content)) {
      return false;
    }
  }
}

} // namespace

Result<std::optional<std::string>>
read_zip_entry(const std::string& real_path, std::string_view entry, size_t max_size)
{
  std::optional<std::string> found;
  auto visited = for_each_zip_entry(
      real_path,
      [&](std::string_view name) { return name == entry; },
      [&](std::string_view, const std::string& content) {
        found = content;
        return false;
      },
      max_size);
  if (!visited) {
    return fail(visited.error());
  }
  return found;
}

Result<bool>
for_each_zip_entry(const std::string& real_path,
                   const ZipEntryFilter& wanted,
                   const ZipEntryVisitor& visit,
                   size_t max_size)
{
  auto reader = new_zip_reader();
  if (archive_read_open_filename(reader.get(), real_path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return fail(ErrorCode::invalid_input,
                "cannot read {} as a jar (zip) file: {}",
                real_path,
                archive_message(reader.get()));
  }
  return visit_entries(reader.get(), real_path, wanted, visit, max_size);
}

Result<bool>
for_each_zip_entry_in_memory(std::string_view bytes,
                             const std::string& name,
                             const ZipEntryFilter& wanted,
                             const ZipEntryVisitor& visit,
                             size_t max_size)
{
  auto reader = new_zip_reader();
  if (archive_read_open_memory(reader.get(), bytes.data(), bytes.size()) != ARCHIVE_OK) {
    return fail(ErrorCode::invalid_input,
                "cannot read {} as a jar (zip) file: {}",
                name,
                archive_message(reader.get()));
  }
  return visit_entries(reader.get(), name, wanted, visit, max_size);
}

std::map<std::string, std::string>
parse_manifest(std::string_view content)
{
  std::map<std::string, std::string> main;
  std::string key;
  size_t pos = 0;
  while (pos <= content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string_view::npos) {
      end = content.size();
    }
    std::string_view line = content.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.empty()) {
      if (!main.empty() || !key.empty()) {
        break; // end of the main section
      }
      if (pos > content.size()) {
        break;
      }
      continue;
    }
    if (line[0] == ' ') {
      if (!key.empty()) {
        main[key] += std::string(line.substr(1));
      }
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      key.clear();
      continue;
    }
    key = std::string(line.substr(0, colon));
    std::string_view value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') {
      value.remove_prefix(1);
    }
    main[key] = std::string(value);
  }
  return main;
}

std::vector<std::string>
manifest_class_path(const std::map<std::string, std::string>& manifest)
{
  std::vector<std::string> out;
  auto it = manifest.find("Class-Path");
  if (it == manifest.end()) {
    return out;
  }
  for (const auto& part : split(it->second, ' ')) {
    std::string entry(trim(part));
    if (entry.empty()) {
      continue;
    }
    out.push_back(percent_decode(entry));
  }
  return out;
}

} // namespace decant::java
