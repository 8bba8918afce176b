#pragma once

// JSON as .NET reads its own configuration files: runtimeconfig.json (the host's rapidjson with
// kParseCommentsFlag) and appsettings.json (System.Text.Json with CommentHandling.Skip and
// AllowTrailingCommas) both accept // and /* */ comments; appsettings also accepts trailing
// commas. A file the application starts with must parse here too.

#include <decant/error.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace decant::aspnet {

// Parses `text` (the content of `path`, used in messages). A syntax error fails with
// invalid_input and "<path>:<line>:<column>: <what>".
Result<nlohmann::json> parse_dotnet_json(std::string_view text, const std::string& path);

// Replaces the commas that directly precede '}' or ']' (comments and whitespace between) with
// spaces, outside strings and comments, so positions in error messages stay those of the file.
std::string blank_trailing_commas(std::string_view text);

// The line where a configuration key path ("Kestrel:Endpoints:Http:Url") is written in a JSON
// text, found by looking for each quoted segment after the previous one (case-insensitive, as
// configuration keys are); 0 when it cannot be found.
size_t line_of_key(std::string_view text, std::string_view key_path);

} // namespace decant::aspnet
