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

} // namespace

Result<std::optional<std::string>>
read_zip_entry(const std::string& real_path, std::string_view entry, size_t max_size)
{
  std::unique_ptr<archive, ArchiveCloser> reader(archive_read_new());
  // The seekable zip reader starts from the central directory, which is authoritative: the
  // streaming one can be fooled by entries that a later one replaces.
  archive_read_support_format_zip_seekable(reader.get());
  if (archive_read_open_filename(reader.get(), real_path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    return fail(ErrorCode::invalid_input,
                "cannot read {} as a jar (zip) file: {}",
                real_path,
                archive_error_string(reader.get()) ? archive_error_string(reader.get()) : "?");
  }
  archive_entry* header = nullptr;
  for (;;) {
    int rc = archive_read_next_header(reader.get(), &header);
    if (rc == ARCHIVE_EOF) {
      return std::optional<std::string>();
    }
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      return fail(ErrorCode::invalid_input,
                  "{}: corrupt jar (zip) file: {}",
                  real_path,
                  archive_error_string(reader.get()) ? archive_error_string(reader.get()) : "?");
    }
    const char* name = archive_entry_pathname(header);
    if (!name || entry != name) {
      continue;
    }
    std::string content;
    char buffer[16 * 1024];
    for (;;) {
      la_ssize_t n = archive_read_data(reader.get(), buffer, sizeof(buffer));
      if (n < 0) {
        return fail(ErrorCode::invalid_input,
                    "{}: cannot read {}: {}",
                    real_path,
                    entry,
                    archive_error_string(reader.get()) ? archive_error_string(reader.get()) : "?");
      }
      if (n == 0) {
        break;
      }
      content.append(buffer, static_cast<size_t>(n));
      if (content.size() > max_size) {
        return fail(ErrorCode::invalid_input,
                    "{}: entry {} is larger than {} bytes",
                    real_path,
                    entry,
                    max_size);
      }
    }
    return std::optional<std::string>(std::move(content));
  }
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
