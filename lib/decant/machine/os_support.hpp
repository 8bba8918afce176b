#pragma once

// Which source systems machine mode supports: Linux on x86_64
// (aarch64 too), with an os-release it recognises. Anything else proceeds with a warning.

#include <map>
#include <string>

namespace decant {

struct OsSupport {
  bool supported = false;
  std::string id;      // os-release ID ("ubuntu"), or the ID_LIKE entry that matched
  std::string name;    // PRETTY_NAME, else NAME
  std::string message; // why it is not supported; empty when it is
};

// `os_release`: parse_os_release() of /etc/os-release (or /usr/lib/os-release); `arch`: uname -m
// style ("x86_64", "aarch64"). A distribution is recognised by ID, or by ID_LIKE (a rebuild of
// RHEL says ID_LIKE="rhel centos fedora").
OsSupport check_os_support(const std::map<std::string, std::string>& os_release,
                           const std::string& arch);

} // namespace decant
