#pragma once

// The analysis' ports from Kestrel's resolved addresses: cross-checked with the process's
// listening sockets, and every binding a container cannot serve (loopback, an address of this
// host) rebound to all interfaces in the image, through whatever set it.

#include "kestrel_urls.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/proc/host_root.hpp>
#include <decant/proc/process.hpp>

namespace decant::aspnet {

// Adds the resolved addresses (`source` "file:line", "env NAME" or "argv ...") through the ports
// policy (lib/decant/analyzer/ports.hpp), which also lists the sockets no configuration names,
// and warns localhost-only or address-bound for each rebound address. Rebinding edits the start
// command or the environment already in `analysis` (base_analysis filled them).
void add_kestrel_ports(Analysis& analysis,
                       const HostRoot& root,
                       const ProcessInfo& process,
                       const UrlResolution& urls);

} // namespace decant::aspnet
