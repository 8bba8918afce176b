#pragma once

// Apache TomEE (7 to 10; webprofile, microprofile, plus, plume): a Tomcat whose CATALINA_HOME or
// CATALINA_BASE holds TomEE. The Tomcat analyzer does the Tomcat part (analyzers/tomcat/
// tomcat.hpp); this one recognizes TomEE before it and adds tomee.xml/openejb.xml Resources,
// conf/system.properties and the Deployments directories.

#include <decant/analyzer/analyzer.hpp>

#include <memory>

namespace decant::tomee {

std::unique_ptr<Analyzer> make_tomee_analyzer();

} // namespace decant::tomee
