#include "registry.hpp"

#include <aspnet/aspnet_analyzer.hpp>
#include <jboss/jboss_analyzer.hpp>
#include <tomcat/tomcat.hpp>
#include <tomee/tomee_analyzer.hpp>

namespace decant {

const AnalyzerList&
analyzers()
{
  static const AnalyzerList k_analyzers = [] {
    AnalyzerList list;
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
  return find_analyzer(analyzers(), process, root);
}

std::string
supported_application_types()
{
  return supported_application_types(analyzers());
}

} // namespace decant
