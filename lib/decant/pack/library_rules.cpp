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
jvm_headless_lazy_libraries(const std::string& java_home)
{
  const std::string lib = java_home + "/lib/";
  return {
      {lib + "libawt.so",
       "AWT core, loaded on the first image or font call (java.awt.headless=true)"},
      {lib + "libawt_headless.so", "AWT headless toolkit (java.awt.headless=true)"},
      {lib + "libfontmanager.so", "font rendering for headless AWT (images, PDF, captcha)"},
      {lib + "libjavajpeg.so", "ImageIO JPEG codec"},
      {lib + "liblcms.so", "ImageIO color management"},
      {lib + "libmlib_image.so", "AWT image operations"},
      {"libfreetype.so.6", "FreeType, loaded by libfontmanager"},
      {"libfontconfig.so.1", "fontconfig, used by the JDK to find fonts"},
      {"/etc/fonts", "fontconfig configuration"},
      {"/usr/share/fonts", "fonts for headless rendering"},
  };
}

std::vector<Exclusion>
jvm_headless_exclusions(const std::string& java_home)
{
  const std::string lib = java_home + "/lib/";
  const std::string reason = "not loadable with java.awt.headless=true";
  return {
      {lib + "libawt_xawt.so", "X11 AWT toolkit: " + reason},
      {lib + "libjawt.so", "AWT native interface for X11 windows: " + reason},
      {lib + "libsplashscreen.so", "splash screen (X11, GIF/PNG/JPEG): " + reason},
      {lib + "libjsound.so", "javax.sound (ALSA): a server has no sound device"},
      {lib + "libatk-wrapper.so", "accessibility bridge for GTK: " + reason},
  };
}

std::vector<Exclusion>
jvm_unused_file_exclusions(const std::string& java_home, bool large_heap)
{
  std::vector<Exclusion> out{
      {java_home + "/lib/src.zip", "JDK sources: never read at run time"},
      {java_home + "/jmods", "jlink input: never read at run time"},
      {java_home + "/include", "C headers for JNI builds"},
      {java_home + "/man", "manual pages"},
      {java_home + "/demo", "JDK demos"},
      {java_home + "/sample", "JDK samples"},
      {java_home + "/lib/ct.sym",
       "javac --release data: a server compiles JSPs with ECJ or without --release"},
  };
  if (!large_heap) {
    out.push_back(
        {java_home + "/lib/server/classes_nocoops.jsa",
         "class-data sharing archive for -XX:-UseCompressedOops (heaps of 32 GB and more)"});
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
