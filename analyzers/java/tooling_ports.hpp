#pragma once

// Sockets a JVM opens because of its command line, not its server's configuration: the JMX
// connector and the JDWP debugger. The ports policy lists them as operator tooling (role
// management, not exposed) instead of unknown sockets.

#include "jvm.hpp"

#include <decant/analyzer/ports.hpp>

#include <vector>

namespace decant::java {

// -Dcom.sun.management.jmxremote.port=N and .rmi.port=N (JMX), -agentlib:jdwp=...,address=[HOST:]N
// and -Xrunjdwp:... (JDWP in server mode); ports that are not a number 1-65535 are skipped.
std::vector<ToolingPort> tooling_ports(const JvmCommand& jvm);

} // namespace decant::java
