#include <decant/machine/os_support.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <set>

namespace decant {

OsSupport
check_os_support(const std::map<std::string, std::string>& os_release, const std::string& arch)
{
  // os-release IDs: CentOS, Ubuntu, RHEL, Alibaba Cloud Linux ("alinux"), Debian, Rocky,
  // AlmaLinux, Amazon Linux ("amzn"), Oracle Linux ("ol"), openEuler, Anolis, Fedora, SUSE.
  static const std::set<std::string> k_known{"centos",
                                             "ubuntu",
                                             "rhel",
                                             "alinux",
                                             "debian",
                                             "rocky",
                                             "almalinux",
                                             "amzn",
                                             "ol",
                                             "openEuler",
                                             "anolis",
                                             "fedora",
                                             "sles",
                                             "opensuse-leap"};
  OsSupport out;
  auto value = [&](const char* key) {
    auto found = os_release.find(key);
    return found == os_release.end() ? std::string() : found->second;
  };
  out.name = value("PRETTY_NAME").empty() ? value("NAME") : value("PRETTY_NAME");
  std::string id = value("ID");
  if (k_known.count(id)) {
    out.id = id;
  } else {
    for (const auto& like : split(value("ID_LIKE"), ' ')) {
      if (k_known.count(like)) {
        out.id = like;
        break;
      }
    }
  }
  if (arch != "x86_64" && arch != "aarch64") {
    out.message = fmt::format("architecture {} is not supported (x86_64 and aarch64 are)",
                              arch.empty() ? "unknown" : arch);
    return out;
  }
  if (id.empty() && out.name.empty()) {
    out.message = "no /etc/os-release: the distribution is unknown";
    return out;
  }
  if (out.id.empty()) {
    out.message = fmt::format("{} (ID={}) is not a distribution decant knows", out.name, id);
    return out;
  }
  out.supported = true;
  return out;
}

} // namespace decant
