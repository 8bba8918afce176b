#pragma once

// The one XML loader for every configuration decant reads (server.xml, context.xml,
// tomcat-users.xml, tomee.xml, standalone.xml, web.config): bounded size and element nesting,
// errors with the line. pugixml neither reads DTDs nor expands entities other than the five
// predefined ones and character references, so no entity can grow a document ("billion
// laughs") or pull in another file; a DOCTYPE is skipped.

#include <decant/error.hpp>

#include <pugixml.hpp>

#include <string>
#include <string_view>

namespace decant {

// Parses `content` into `doc` (which must outlive nothing: pugixml copies the buffer). On
// failure: "<file>:<line>: malformed XML: <what>" or "... nested deeper than N levels", exit 6,
// with `hint`.
Status load_xml(pugi::xml_document& doc,
                std::string_view content,
                const std::string& file,
                const std::string& hint,
                unsigned options = pugi::parse_default);

} // namespace decant
