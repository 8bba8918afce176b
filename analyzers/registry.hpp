#pragma once

// decant's analyzers, in the order they are tried. The library (lib/decant) takes an analyzer
// list as an argument and knows none of them; the CLI and agent programs pass this one.
//
// Each analyzer registers itself where it is defined, in its own directory, with one line:
//
//   DECANT_REGISTER_ANALYZER("java-tomcat", 400, make_tomcat_analyzer);
//
// (its applicationType, its place in the order, its factory). Nothing else lists analyzers:
// analyzers() is built from these registrations, and the application types analysis.json may
// name come from them (register_application_type). The registrations are static objects of
// libdecant_analyzers.a, so programs link it whole (CMake: decant::decant does).

#include <decant/analyzer/analyzer.hpp>

#include <memory>
#include <string>

namespace decant {

// The ordered list: the first analyzer that matches wins.
const AnalyzerList& analyzers();

// find_analyzer() and supported_application_types() over analyzers().
const Analyzer* find_analyzer(const ProcessInfo& process, const HostRoot& root);
std::string supported_application_types();

// Where an analyzer goes in analyzers(): lower first. A server built on another (TomEE on
// Tomcat) takes a lower number than the one it extends, so it is tried first. Numbers in use:
// JBoss 100, ASP.NET Core 200, TomEE 300, Tomcat 400.
class AnalyzerRegistrar
{
public:
  using Factory = std::unique_ptr<Analyzer> (*)();
  AnalyzerRegistrar(const char* application_type, int order, Factory factory);
};

} // namespace decant

#define DECANT_REGISTER_ANALYZER_NAME2(line) decant_analyzer_registrar_##line
#define DECANT_REGISTER_ANALYZER_NAME(line) DECANT_REGISTER_ANALYZER_NAME2(line)
#define DECANT_REGISTER_ANALYZER(type, order, factory)                                             \
  static const ::decant::AnalyzerRegistrar DECANT_REGISTER_ANALYZER_NAME(__LINE__)(                \
      type, order, factory)
