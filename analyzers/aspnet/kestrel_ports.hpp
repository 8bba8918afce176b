#pragma once

// The analysis' ports from Kestrel's resolved addresses: cross-checked with the process's
// listening sockets, and every binding a container cannot serve (loopback, an address of this
// host) rebound to all interfaces in the image, through whatever set it.

#include "kestrel_urls.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/proc/process.hpp>

namespace decant::aspnet {

// Adds one port per resolved address (`source` "file:line", "env NAME" or "argv ..."), the
// listening sockets no configuration names (source "socket"), and the warnings: localhost-only,
// address-bound, dynamic-port, port-not-listening, port-unconfigured. Rebinding edits the start
// command or the environment already in `analysis` (base_analysis filled them).
void add_kestrel_ports(Analysis& analysis, const ProcessInfo& process, const UrlResolution& urls);

} // namespace decant::aspnet
