#pragma once

// Reading jar files (zip archives, through libarchive): single entries such as
// org/apache/catalina/util/ServerInfo.properties, and META-INF/MANIFEST.MF with its Class-Path.

#include <decant/error.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant::java {

// The content of `entry` inside the zip file at `real_path` (a path on this machine, e.g.
// HostRoot::real_resolved()), nullopt when the archive has no such entry. Fails when the file
// cannot be opened or is not a zip archive. Entries larger than `max_size` fail too: a
// manifest or properties file is small, and a hostile jar must not exhaust memory.
Result<std::optional<std::string>> read_zip_entry(const std::string& real_path,
                                                  std::string_view entry,
                                                  size_t max_size = 4 * 1024 * 1024);

// Visits the entries of a zip file whose name `wanted` accepts, in central-directory order, with
// their decompressed content; only those entries are decompressed (libarchive's seekable reader
// skips the others by their compressed size). `visit` returns false to stop early. Returns
// whether every wanted entry was visited (false when `visit` stopped). Fails like
// read_zip_entry, also for a wanted entry larger than `max_size`.
using ZipEntryFilter = std::function<bool(std::string_view name)>;
using ZipEntryVisitor = std::function<bool(std::string_view name, const std::string& content)>;
Result<bool> for_each_zip_entry(const std::string& real_path,
                                const ZipEntryFilter& wanted,
                                const ZipEntryVisitor& visit,
                                size_t max_size = 64 * 1024 * 1024);
// The same for a zip held in memory (a jar in a war's WEB-INF/lib); `name` is used in errors.
Result<bool> for_each_zip_entry_in_memory(std::string_view bytes,
                                          const std::string& name,
                                          const ZipEntryFilter& wanted,
                                          const ZipEntryVisitor& visit,
                                          size_t max_size = 64 * 1024 * 1024);

// The main section of a jar manifest (JAR File Specification, "Manifest Specification"):
// "Name: value" lines, 72-byte lines continued by a line starting with one space, sections
// separated by blank lines. Keys as written ("Class-Path").
std::map<std::string, std::string> parse_manifest(std::string_view content);

// The Class-Path attribute split into its space-separated relative URLs, %20 decoded;
// absolute URLs (file:/..., http:) are returned as written.
std::vector<std::string> manifest_class_path(const std::map<std::string, std::string>& manifest);

} // namespace decant::java
