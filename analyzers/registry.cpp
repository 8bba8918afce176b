#include "registry.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace decant {

namespace {

struct Registration {
  std::string application_type;
  int order = 0;
  AnalyzerRegistrar::Factory factory = nullptr;
};

// Filled by the registrars during static initialization, before main: a function-local static,
// so it exists whatever order the translation units are initialized in.
std::vector<Registration>&
registrations()
{
  static std::vector<Registration> k_registrations;
  return k_registrations;
}

} // namespace

AnalyzerRegistrar::AnalyzerRegistrar(const char* application_type, int order, Factory factory)
{
  registrations().push_back({application_type, order, factory});
  register_application_type(application_type);
}

const AnalyzerList&
analyzers()
{
  static const AnalyzerList k_analyzers = [] {
    std::vector<Registration> sorted = registrations();
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
      return a.order != b.order ? a.order < b.order : a.application_type < b.application_type;
    });
    AnalyzerList list;
    for (const auto& registration : sorted) {
      list.push_back(registration.factory());
      // The type registered for analysis.json must be the one the analyzer writes.
      if (list.back()->info().id != registration.application_type) {
        throw std::logic_error("analyzer " + list.back()->info().id + " registered as "
                               + registration.application_type);
      }
    }
    return list;
  }();
  return k_analyzers;
}

const Analyzer*
find_analyzer(const ProcessInfo& process, const HostRoot& root)
{
  return find_analyzer(analyzers(), process, root);
}

std::string
supported_application_types()
{
  return supported_application_types(analyzers());
}

} // namespace decant
