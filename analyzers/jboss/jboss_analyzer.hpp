#pragma once

// JBoss AS 7, JBoss EAP 6-8 and WildFly in standalone mode: a JVM running jboss-modules.jar with
// the module org.jboss.as.standalone. Domain mode and JBoss AS 4-6 are recognized and refused
// (exit code 4) with the reason.

#include <decant/analyzer/analyzer.hpp>

#include <memory>

namespace decant::jboss {

std::unique_ptr<Analyzer> make_jboss_analyzer();

} // namespace decant::jboss
