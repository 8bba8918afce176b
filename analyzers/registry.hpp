#pragma once

// decant's analyzers, in the order they are tried. The library (lib/decant) takes an analyzer
// list as an argument and knows none of them; the CLI and agent programs pass this one.

#include <decant/analyzer/analyzer.hpp>

#include <string>

namespace decant {

// The ordered list: the first analyzer that matches wins.
const AnalyzerList& analyzers();

// find_analyzer() and supported_application_types() over analyzers().
const Analyzer* find_analyzer(const ProcessInfo& process, const HostRoot& root);
std::string supported_application_types();

} // namespace decant
