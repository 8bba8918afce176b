#include "tomee_analyzer.hpp"

#include "tomee_install.hpp"
#include "tomee_resources.hpp"

#include <registry.hpp>
#include <tomcat/tomcat.hpp>

namespace decant::tomee {

namespace {

const char* const k_type = "java-tomee";

// The Tomcat layout and the TomEE markers in it; nullopt when the process is no TomEE.
struct Found {
  tomcat::TomcatLayout layout;
  TomeeInstall install;
};

Result<std::optional<Found>>
find_tomee(const ProcessInfo& process, const HostRoot& root)
{
  if (!tomcat::is_tomcat_process(process)) {
    return std::optional<Found>();
  }
  auto layout = tomcat::find_layout(process, root);
  if (!layout) {
    return fail(layout.error());
  }
  std::vector<std::string> agents;
  for (const auto& agent : layout->jvm.agents) {
    agents.push_back(process.host_path(agent));
  }
  auto install = find_tomee_markers(root, layout->catalina_home, layout->catalina_base, agents);
  if (!install) {
    return std::optional<Found>();
  }
  return std::optional<Found>(Found{*layout, *install});
}

// find_tomee() for identify() and analyze(): a process without TomEE markers is unsupported.
Result<Found>
require_tomee(const ProcessInfo& process, const HostRoot& root)
{
  auto found = find_tomee(process, root);
  if (!found) {
    return fail(found.error());
  }
  if (!found->has_value()) {
    return fail(ErrorCode::unsupported,
                "PID {} is not a TomEE server (no TomEE marker in CATALINA_HOME or CATALINA_BASE)",
                process.pid);
  }
  return std::move(**found);
}

class TomeeAnalyzer : public Analyzer
{
public:
  const AnalyzerInfo&
  info() const override
  {
    static const AnalyzerInfo k_info{
        k_type,
        "Apache TomEE 7-10 (webprofile, microprofile, plus, plume) on its Tomcat",
        {"everything java-tomcat reads",
         "CATALINA_HOME/lib/tomee-*.jar, openejb-*.jar (version, flavor)",
         "CATALINA_BASE/conf/tomee.xml or conf/openejb.xml (-Dopenejb.configuration)",
         "CATALINA_HOME/conf/system.properties, CATALINA_BASE/conf/system.properties"}};
    return k_info;
  }

  // A Tomcat Bootstrap JVM whose installation has a TomEE marker. When the Tomcat layout cannot
  // be found, TomEE does not claim the process: the Tomcat analyzer reports why.
  bool
  matches(const ProcessInfo& process, const HostRoot& root) const override
  {
    auto found = find_tomee(process, root);
    return found && found->has_value();
  }

  Result<AppIdentity>
  identify(const ProcessInfo& process, const HostRoot& root) const override
  {
    auto found = require_tomee(process, root);
    if (!found) {
      return fail(found.error());
    }
    const auto& layout = found->layout;
    return AppIdentity{tomcat::application_id(layout, k_type), k_type, layout.catalina_base};
  }

  Result<Analysis>
  analyze(const ProcessInfo& process, const HostRoot& root) const override
  {
    auto found = require_tomee(process, root);
    if (!found) {
      return fail(found.error());
    }
    const auto& layout = found->layout;
    auto analysis = tomcat::analyze_tomcat(process, root, layout, {k_type, "Apache TomEE"});
    if (!analysis) {
      return fail(analysis.error());
    }
    TomeeContext context;
    context.catalina_home = layout.catalina_home;
    context.catalina_base = layout.catalina_base;
    context.command = layout.jvm;
    for (const auto& [name, property] : tomcat::tomcat_properties(process, root, layout)) {
      context.tomcat_properties[name] = property.value;
    }
    analysis->runtime.version = layout.tomcat_version;
    if (auto added = add_tomee(*analysis, process, root, context, found->install); !added) {
      return fail(added.error());
    }
    return analysis;
  }
};

} // namespace

std::unique_ptr<Analyzer>
make_tomee_analyzer()
{
  return std::make_unique<TomeeAnalyzer>();
}

DECANT_REGISTER_ANALYZER("java-tomee", 300, make_tomee_analyzer);

} // namespace decant::tomee
