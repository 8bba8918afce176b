#pragma once

// web.config of an application published for IIS: the ASP.NET Core Module's <aspNetCore>
// element names how IIS would start it. decant reads it for hints only; IIS is not migrated.

#include <decant/error.hpp>

#include <string>
#include <string_view>

namespace decant::aspnet {

struct WebConfigHints {
  std::string process_path;  // "dotnet", ".\\App", "%LAUNCHER_PATH%"
  std::string arguments;     // ".\\App.dll"
  std::string hosting_model; // "inprocess", "outofprocess", "" (ANCM v1: out of process)
  std::string module;        // "AspNetCoreModuleV2", "AspNetCoreModule"
};

// Fails with invalid_input on malformed XML or without an <aspNetCore> element.
Result<WebConfigHints> read_web_config(std::string_view text, const std::string& path);

} // namespace decant::aspnet
