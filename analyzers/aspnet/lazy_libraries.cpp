#include "lazy_libraries.hpp"

#include <decant/util/strings.hpp>

#include <algorithm>
#include <cctype>

namespace decant::aspnet {

namespace {

struct Rule {
  const char* prefix; // "libssl.so." : matches libssl.so.3, libssl.so.1.1 (not libssl.so)
  const char* reason;
};

// "3", "1.1", "72": the version part of a soname, not a full file version of a dev symlink.
bool
soname_suffix(std::string_view rest)
{
  if (rest.empty() || !std::isdigit(static_cast<unsigned char>(rest[0]))) {
    return false;
  }
  return std::all_of(rest.begin(), rest.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c)) || c == '.';
  });
}

} // namespace

std::vector<LazyLibrary>
lazy_libraries(const HostRoot& root, int framework_major, bool invariant_globalization)
{
  std::vector<Rule> rules = {
      {"libssl.so.",
       "OpenSSL: System.Security.Cryptography.Native.OpenSsl dlopen()s it on first TLS or crypto "
       "use (HTTPS endpoints, HttpClient to https://, data protection)"},
      {"libcrypto.so.", "OpenSSL libcrypto, loaded with libssl (see libssl)"},
      {"libgssapi_krb5.so.",
       "GSSAPI: System.Net.Security.Native dlopen()s it for Negotiate/Kerberos authentication"},
  };
  if (!invariant_globalization) {
    for (const char* lib : {"libicuuc.so.", "libicui18n.so.", "libicudata.so."}) {
      rules.push_back({lib,
                       "ICU: System.Globalization.Native dlopen()s the highest libicuuc.so.<N> it "
                       "finds at start-up (DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 removes the "
                       "need)"});
    }
  }
  if (framework_major > 0 && framework_major < 9) {
    rules.push_back({"libz.so.",
                     "zlib: System.IO.Compression.Native uses the system zlib before .NET 9 "
                     "(GZip/Deflate streams, response compression)"});
  }
  std::string arch = root.architecture();
  std::string triplet = arch == "aarch64" ? "aarch64-linux-gnu" : arch + "-linux-gnu";
  std::vector<std::string> directories = {
      "/usr/lib/" + triplet, "/lib/" + triplet, "/usr/lib64", "/lib64", "/usr/lib", "/lib"};
  std::vector<LazyLibrary> out;
  std::vector<std::string> seen_real; // /lib -> /usr/lib merged systems list each file twice
  for (const auto& dir : directories) {
    auto names = root.list_directory(dir);
    if (!names) {
      continue;
    }
    for (const auto& name : *names) {
      for (const auto& rule : rules) {
        std::string_view prefix = rule.prefix;
        if (!starts_with(name, prefix)
            || !soname_suffix(std::string_view(name).substr(prefix.size()))) {
          continue;
        }
        // Only sonames ("libssl.so.3"), not the versioned files they point at
        // ("libicuuc.so.72.1"): the packer follows the link to the file.
        std::string_view version = std::string_view(name).substr(prefix.size());
        bool icu = starts_with(name, "libicu");
        if (icu ? version.find('.') != std::string_view::npos
                : std::count(version.begin(), version.end(), '.') > 1) {
          continue;
        }
        std::string path = dir + "/" + name;
        std::string real = root.resolve(path).value_or(path);
        if (std::find(seen_real.begin(), seen_real.end(), real) != seen_real.end()
            || !root.exists(path)) {
          continue;
        }
        seen_real.push_back(real);
        out.push_back({path, rule.reason});
      }
    }
  }
  return out;
}

} // namespace decant::aspnet
