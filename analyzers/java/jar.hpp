#pragma once

// Reading jar files (zip archives, through libarchive): single entries such as
// org/apache/catalina/util/ServerInfo.properties, and META-INF/MANIFEST.MF with its Class-Path.

#include <decant/error.hpp>

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

// The main section of a jar manifest (JAR File Specification, "Manifest Specification"):
// "Name: value" lines, 72-byte lines continued by a line starting with one space, sections
// separated by blank lines. Keys as written ("Class-Path").
std::map<std::string, std::string> parse_manifest(std::string_view content);

// The Class-Path attribute split into its space-separated relative URLs, %20 decoded;
// absolute URLs (file:/..., http:) are returned as written.
std::vector<std::string> manifest_class_path(const std::map<std::string, std::string>& manifest);

} // namespace decant::java
