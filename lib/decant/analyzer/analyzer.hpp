#pragma once

#include <decant/analysis/analysis.hpp>
#include <decant/error.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>

#include <memory>
#include <string>
#include <vector>

namespace decant {

struct AnalyzerInfo {
  std::string id;                        // "java-tomcat": also the applicationType it produces
  std::string description;               // "Apache Tomcat 7-11"
  std::vector<std::string> config_files; // what it reads, for --help and docs
};

// What inventory shows for a recognized process, computed cheaply.
struct AppIdentity {
  std::string application_id;
  std::string application_type;
  std::string path; // the installation's main directory (CATALINA_BASE, app directory...)
};

// One analyzer per runtime (Bear's Tool::recognize: "not mine / mine / mine but broken").
class Analyzer
{
public:
  virtual ~Analyzer() = default;
  virtual const AnalyzerInfo& info() const = 0;
  // Cheap: argv, exe, maps, plus a few marker files through the root.
  virtual bool matches(const ProcessInfo& process, const HostRoot& root) const = 0;
  // The application id and main path, without a full analysis (inventory).
  virtual Result<AppIdentity> identify(const ProcessInfo& process, const HostRoot& root) const = 0;
  virtual Result<Analysis> analyze(const ProcessInfo& process, const HostRoot& root) const = 0;
};

// An ordered list of analyzers: the first that matches wins. The library takes it as an
// argument; decant's own list is analyzers() in analyzers/registry.hpp.
using AnalyzerList = std::vector<std::unique_ptr<Analyzer>>;

// The first analyzer of `analyzers` that matches, or nullptr.
const Analyzer*
find_analyzer(const AnalyzerList& analyzers, const ProcessInfo& process, const HostRoot& root);

// "java-tomcat, java-tomee, ..." for messages; "(none)" for an empty list.
std::string supported_application_types(const AnalyzerList& analyzers);

} // namespace decant
