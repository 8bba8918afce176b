#pragma once

// ASP.NET Core on Linux (.NET Core 3.1, .NET 5 and later): Kestrel applications started through
// the dotnet muxer, a framework-dependent apphost, or self-contained.

#include <decant/analyzer/analyzer.hpp>

#include <memory>

namespace decant::aspnet {

std::unique_ptr<Analyzer> make_aspnet_analyzer();

} // namespace decant::aspnet
