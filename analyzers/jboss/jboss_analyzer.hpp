#pragma once

// JBoss AS 7, JBoss EAP 6-8 and WildFly in standalone mode: a JVM running jboss-modules.jar with
// the module org.jboss.as.standalone. Domain mode and JBoss AS 4-6 are recognized and refused.

#include <decant/analyzer/analyzer.hpp>

#include <memory>

namespace decant::jboss {

class JbossAnalyzer : public Analyzer
{
public:
  const AnalyzerInfo& info() const override;
  bool matches(const ProcessInfo& process, const HostRoot& root) const override;
  Result<AppIdentity> identify(const ProcessInfo& process, const HostRoot& root) const override;
  Result<Analysis> analyze(const ProcessInfo& process, const HostRoot& root) const override;
};

std::unique_ptr<Analyzer> make_jboss_analyzer();

} // namespace decant::jboss
