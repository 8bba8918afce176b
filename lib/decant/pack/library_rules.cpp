#include <decant/pack/library_rules.hpp>

namespace decant {

void
add_lazy_library(Analysis& analysis, const std::string& path, const std::string& reason)
{
  auto& list = analysis.runtime.details["lazyLibraries"];
  if (!list.is_array()) {
    list = nlohmann::json::array();
  }
  for (const auto& item : list) {
    if (item.is_object() && item.value("path", "") == path) {
      return;
    }
  }
  list.push_back({{"path", path}, {"reason", reason}});
}

void
add_lazy_libraries(Analysis& analysis, const std::vector<LazyLibrary>& libraries)
{
  for (const auto& library : libraries) {
    add_lazy_library(analysis, library.path, library.reason);
  }
}

Result<std::vector<LazyLibrary>>
lazy_libraries(const Analysis& analysis)
{
  std::vector<LazyLibrary> out;
  auto found = analysis.runtime.details.find("lazyLibraries");
  if (found == analysis.runtime.details.end() || found->is_null()) {
    return out;
  }
  if (!found->is_array()) {
    return fail(ErrorCode::invalid_input, "runtime.lazyLibraries: expected an array");
  }
  for (size_t i = 0; i < found->size(); ++i) {
    const auto& item = (*found)[i];
    auto where = fmt::format("runtime.lazyLibraries[{}]", i);
    if (!item.is_object() || !item.contains("path") || !item["path"].is_string()) {
      return fail(ErrorCode::invalid_input, "{}: expected an object with a string \"path\"", where);
    }
    std::string path = item["path"].get<std::string>();
    if (path.empty() || path.find("..") != std::string::npos) {
      return fail(
          ErrorCode::invalid_input, "{}.path: \"{}\" is empty or contains '..'", where, path);
    }
    std::string reason = item.contains("reason") && item["reason"].is_string()
                             ? item["reason"].get<std::string>()
                             : "loaded lazily by the runtime";
    out.push_back({path, reason});
  }
  return out;
}

std::vector<LazyLibrary>
dotnet_lazy_libraries()
{
  return {
      {"libssl.so.3", "System.Security.Cryptography.Native.OpenSsl loads OpenSSL by soname"},
      {"libcrypto.so.3", "System.Security.Cryptography.Native.OpenSsl loads OpenSSL by soname"},
      {"/usr/lib/*-linux-gnu/libicuuc.so.*", "globalization: ICU is loaded by soname at startup"},
      {"/usr/lib/*-linux-gnu/libicui18n.so.*", "globalization: ICU is loaded by soname at startup"},
      {"/usr/lib/*-linux-gnu/libicudata.so.*", "globalization: ICU data"},
      {"/usr/lib/*-linux-gnu/libgssapi_krb5.so.2",
       "System.Net.Security loads GSSAPI for Negotiate auth"},
  };
}

} // namespace decant
