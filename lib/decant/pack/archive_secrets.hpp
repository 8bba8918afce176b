#pragma once

// `pack --externalize-secrets` for archives that cannot be left out of an image (a WAR whose
// META-INF/context.xml holds a DataSource password): the archive is packed with the secret
// attribute values replaced by the references analysis.json names (files[].externalize), so the
// image holds no secret and the start command supplies it from the Secret.

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace decant {

// `xml` with each edit's attribute (on the element `edit.element` whose start tag begins on
// line `edit.line`) set to its replacement; the rest of the document is kept as written
// (comments, declaration, white space). Fails naming `name` when an edit matches no attribute:
// the file changed since the analysis, and an image with the secret left in is not acceptable.
Result<std::string> replace_xml_attributes(std::string_view xml,
                                           const std::vector<ArchiveSecret>& edits,
                                           const std::string& name);

// The zip archive at `real_path` (a path on this machine) rewritten entry by entry, in order,
// with replace_xml_attributes() applied to the entries the edits name. Names, times and modes of
// the entries are kept; content is deflated. `name` (the host path) is used in errors.
Result<std::string> externalize_archive_secrets(const std::string& real_path,
                                                const std::vector<ArchiveSecret>& edits,
                                                const std::string& name);

} // namespace decant
