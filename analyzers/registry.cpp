#include <decant/analyzer/analyzer.hpp>

#include <aspnet/aspnet_analyzer.hpp>
#include <jboss/jboss_analyzer.hpp>
#include <tomcat/tomcat.hpp>
#include <tomee/tomee_analyzer.hpp>

namespace decant {

const std::vector<std::unique_ptr<Analyzer>>&
analyzers()
{
  static const std::vector<std::unique_ptr<Analyzer>> k_analyzers = [] {
    std::vector<std::unique_ptr<Analyzer>> list;
    // ADD NEW ANALYZERS HERE, most specific first: the first that matches wins (TomEE is a
    // Tomcat, so it must come before Tomcat).
    list.push_back(jboss::make_jboss_analyzer());
    list.push_back(aspnet::make_aspnet_analyzer());
    list.push_back(tomee::make_tomee_analyzer());
    list.push_back(tomcat::make_tomcat_analyzer());
    return list;
  }();
  return k_analyzers;
}

const Analyzer*
find_analyzer(const ProcessInfo& process, const HostRoot& root)
{
  for (const auto& analyzer : analyzers()) {
    if (analyzer->matches(process, root)) {
      return analyzer.get();
    }
  }
  return nullptr;
}

std::string
supported_application_types()
{
  std::string out;
  for (const auto& analyzer : analyzers()) {
    out += out.empty() ? "" : ", ";
    out += analyzer->info().id;
  }
  return out.empty() ? "(none)" : out;
}

} // namespace decant
