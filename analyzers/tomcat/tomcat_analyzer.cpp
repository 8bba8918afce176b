// The Tomcat analysis: a live Bootstrap JVM and its configuration become analysis.json.
// Ports come from server.xml and are checked against the sockets the process listens on; the
// file set names every directory Tomcat reads (with the reason), logs/work/temp are volumes.

#include "tomcat.hpp"

#include <decant/analyzer/common.hpp>
#include <decant/analyzer/ports.hpp>
#include <decant/util/strings.hpp>

#include <algorithm>
#include <cctype>
#include <java/jar.hpp>
#include <java/jdbc.hpp>
#include <java/jdk_trim.hpp>
#include <java/tooling_ports.hpp>
#include <registry.hpp>
#include <set>

namespace decant::tomcat {

namespace {

const char* const k_type = "java-tomcat";

// Whether a file entry already covers `path` (itself or a directory above it).
bool
covered(const Analysis& a, const std::string& path)
{
  return a.covers(path);
}

bool
in_volume(const Analysis& a, const HostRoot& root, const std::string& path)
{
  for (const auto& v : a.volumes) {
    if (path_within(path, v.path)) {
      return true;
    }
    if (auto resolved = root.resolve(v.path); resolved && path_within(path, *resolved)) {
      return true;
    }
  }
  return false;
}

// A directory entry for `path`; when it is a symlink (Debian's conf -> /etc/tomcat10), the
// link is kept by the packer and its target is named too, so the reason says why it is there.
void
add_tree(Analysis& a,
         const HostRoot& root,
         const std::string& path,
         const std::string& reason,
         FileRole role,
         bool optional = false)
{
  if (!root.exists(path)) {
    if (!optional) {
      a.warn("file-missing", fmt::format("{} ({}) does not exist", path, reason));
    }
    return;
  }
  a.add_file({path, reason, role, false, optional});
  if (auto st = root.lstat(path); st && S_ISLNK(st->st_mode)) {
    if (auto target = root.resolve(path); target && *target != path) {
      a.add_file({*target, reason + " (target of " + path + ")", role, false, optional});
    }
  }
}

std::string
secret_name(const SecretAttribute& s)
{
  std::string owner = s.owner;
  owner.erase(std::remove(owner.begin(), owner.end(), '$'), owner.end());
  return "TOMCAT_" + (owner.empty() ? s.element : owner) + "_" + s.attribute;
}

class Builder
{
public:
  Builder(const ProcessInfo& process,
          const HostRoot& root,
          const TomcatLayout& layout,
          const PropertySources& sources,
          const ServerConfig& config,
          Analysis& a)
      : m_process(process),
        m_root(root),
        m_layout(layout),
        m_sources(sources),
        m_config(config),
        m_a(a),
        m_jdk(a, root, process, layout.jvm, layout.java_home)
  {
  }

  void
  runtime()
  {
    auto& d = m_a.runtime.details;
    d["catalinaHome"] = m_layout.catalina_home;
    d["catalinaHomeSource"] = m_layout.home_source;
    d["catalinaBase"] = m_layout.catalina_base;
    d["catalinaBaseSource"] = m_layout.base_source;
    d["serverXml"] = m_layout.server_xml;
    d["javaHome"] = m_layout.java_home;
    d["javaVersion"] = m_layout.java_version;
    d["versionSource"] = m_layout.tomcat_version_source;
    d["mainClass"] =
        m_layout.jvm.main_class.empty() ? "-jar " + m_layout.jvm.jar : m_layout.jvm.main_class;
    if (m_config.shutdown_port) {
      d["shutdownPort"] = *m_config.shutdown_port;
    }
    d["portOffset"] = m_config.port_offset;
    d["services"] = nlohmann::json::array();
    for (const auto& service : m_config.services) {
      nlohmann::json s = {{"name", service.name},
                          {"engine", service.engine},
                          {"defaultHost", service.default_host},
                          {"connectors", nlohmann::json::array()},
                          {"executors", nlohmann::json::array()},
                          {"hosts", nlohmann::json::array()}};
      for (const auto& c : service.connectors) {
        nlohmann::json j = {{"port", c.port_text},
                            {"protocol", c.protocol},
                            {"line", c.line},
                            {"secure", c.secure}};
        if (!c.address.empty()) {
          j["address"] = c.address;
        }
        if (!c.executor.empty()) {
          j["executor"] = c.executor;
        }
        if (c.ssl_enabled) {
          j["sslEnabled"] = true;
        }
        if (!c.ssl_host_names.empty()) {
          j["sslHostConfigs"] = c.ssl_host_names;
        }
        s["connectors"].push_back(j);
      }
      for (const auto& e : service.executors) {
        nlohmann::json j = {{"name", e.name}, {"line", e.line}};
        if (e.max_threads) {
          j["maxThreads"] = *e.max_threads;
        }
        if (e.min_spare_threads) {
          j["minSpareThreads"] = *e.min_spare_threads;
        }
        s["executors"].push_back(j);
      }
      for (const auto& h : service.hosts) {
        s["hosts"].push_back({{"name", h.name}, {"appBase", h.app_base}});
      }
      d["services"].push_back(s);
    }
    // The JVM verifies TLS peers (outgoing https, LDAP realms, JDBC over TLS) against the CA
    // store: keep it in the image.
    d["tls"] = true;
  }

  // The shutdown port and every Connector, through the ports policy (lib/decant/analyzer/
  // ports.hpp); the AJP and loopback warnings are Tomcat's own.
  void
  ports()
  {
    std::vector<DeclaredPort> declared;
    if (m_config.shutdown_port && *m_config.shutdown_port >= 0) {
      // -1 (Debian's default) disables the shutdown port: runtime.shutdownPort records it.
      DeclaredPort p;
      p.number = offset_port(*m_config.shutdown_port);
      p.address = m_config.shutdown_address.empty() ? "localhost" : m_config.shutdown_address;
      p.role = PortRole::shutdown;
      p.source = fmt::format("{}:{}", m_config.file, m_config.line);
      p.value_source = m_config.shutdown_port_origin;
      p.name = "Server shutdown";
      p.what = "<Server port>";
      declared.push_back(p);
    }
    for (const auto& service : m_config.services) {
      for (const auto& c : service.connectors) {
        if (!c.port) {
          continue; // parse_server_xml warned; its socket is listed as unconfigured
        }
        DeclaredPort p;
        p.number = offset_port(*c.port);
        p.address = c.address;
        p.role = c.is_ajp() ? PortRole::ajp : c.is_https() ? PortRole::https : PortRole::http;
        p.source = fmt::format("{}:{}", m_config.file, c.line);
        p.value_source = c.port_origin;
        p.name = service.name + " " + c.protocol;
        p.what = fmt::format("Connector \"{}\"", p.name);
        connector_warnings(c, p);
        declared.push_back(p);
      }
    }
    reconcile_ports(
        m_a, m_root, m_process, declared, java::tooling_ports(m_layout.jvm), m_config.file);
  }

  // Tomcat adds portOffset to ports above 0 only: 0 (any free port) and -1 (disabled) keep
  // their meaning.
  int64_t
  offset_port(int port) const
  {
    return port > 0 ? int64_t(port) + m_config.port_offset : port;
  }

  void
  connector_warnings(const Connector& c, const DeclaredPort& p)
  {
    if (p.number <= 0 || p.number > 65535) {
      return;
    }
    if (c.is_ajp()) {
      m_a.warn("ajp-connector",
               fmt::format("{}: AJP connector on port {}{}: AJP trusts its peer (a web server "
                           "in front); expose it only to that proxy",
                           p.source,
                           p.number,
                           c.secret_required && !c.has_secret
                               ? " without a secret while secretRequired is true (Tomcat "
                                 "refuses to start it)"
                               : ""));
    }
    if (c.is_loopback()) {
      m_a.warn("connector-loopback",
               fmt::format("{}: Connector port {} listens on {} only: inside a container it "
                           "is unreachable from outside; set address=\"0.0.0.0\" (or remove "
                           "the attribute) to publish it",
                           p.source,
                           p.number,
                           c.address));
    }
  }

  // How a distribution package starts this Tomcat, for the analysis' reader: the tomcat RPM
  // (Fedora, RHEL, CentOS, Rocky, Alma, Alibaba Cloud Linux) runs /usr/libexec/tomcat/server
  // from tomcat.service with the variables of /etc/tomcat/tomcat.conf and /etc/sysconfig/tomcat;
  // the image runs the JVM itself, with that environment.
  void
  packaging()
  {
    std::string launcher = "/usr/libexec/tomcat/server";
    if (!m_process.env("TOMCAT_CFG_LOADED") || !m_root.is_regular_file(launcher)) {
      return;
    }
    nlohmann::json files = nlohmann::json::array();
    for (const char* file : {"/etc/tomcat/tomcat.conf", "/etc/sysconfig/tomcat"}) {
      if (m_root.is_regular_file(file)) {
        files.push_back(file);
      }
    }
    m_a.runtime.details["packaging"] = {
        {"kind", "rpm"},
        {"launcher", launcher},
        {"environmentFiles", files},
        {"why",
         "started by the tomcat RPM's launcher (tomcat.service runs it with the variables of its "
         "environment files, which the process's environment holds); the image starts the JVM "
         "with the same command line and environment, so neither the launcher nor the unit is "
         "needed"}};
  }

  void
  volumes()
  {
    struct Dir {
      const char* name;
      VolumeRole role;
      const char* reason;
    };
    static const Dir k_dirs[] = {
        {"logs", VolumeRole::log, "Tomcat and access logs (CATALINA_BASE/logs)"},
        {"work", VolumeRole::work, "compiled JSPs and session files (CATALINA_BASE/work)"},
        {"temp", VolumeRole::temp, "temporary files (CATALINA_BASE/temp)"},
    };
    for (const auto& dir : k_dirs) {
      std::string path = m_layout.catalina_base + "/" + dir.name;
      auto st = m_root.stat(path);
      if (!st) {
        continue;
      }
      Volume v;
      v.path = path;
      v.role = dir.role;
      v.uid = st->st_uid;
      v.gid = st->st_gid;
      v.mode = st->st_mode & 07777;
      v.reason = dir.reason;
      if (auto link = m_root.lstat(path); link && S_ISLNK(link->st_mode)) {
        if (auto target = m_root.resolve(path)) {
          v.reason += ", a link to " + *target;
        }
      }
      m_a.volumes.push_back(v);
    }
    // java.io.tmpdir elsewhere than /tmp (the packer makes /tmp itself).
    if (auto it = m_layout.jvm.system_properties.find("java.io.tmpdir");
        it != m_layout.jvm.system_properties.end()) {
      std::string tmp = HostRoot::normalize(m_process.host_path(it->second));
      if (tmp != "/tmp" && !in_volume(m_a, m_root, tmp)) {
        if (auto st = m_root.stat(tmp); st && S_ISDIR(st->st_mode)) {
          m_a.volumes.push_back({tmp,
                                 VolumeRole::temp,
                                 st->st_uid,
                                 st->st_gid,
                                 static_cast<uint32_t>(st->st_mode & 07777),
                                 "-Djava.io.tmpdir"});
        }
      }
    }
  }

  // JAVA_HOME and the JDK rules (java/jdk_trim.hpp); the fonts and the jlink plan follow once
  // the webapps and jars are known.
  void
  java_files()
  {
    m_jdk.add_runtime();
  }

  void
  tomcat_files()
  {
    const std::string& home = m_layout.catalina_home;
    const std::string& base = m_layout.catalina_base;
    add_tree(m_a,
             m_root,
             home + "/bin",
             "CATALINA_HOME/bin: bootstrap.jar, tomcat-juli.jar and the "
             "scripts",
             FileRole::server);
    add_tree(m_a,
             m_root,
             home + "/lib",
             "CATALINA_HOME/lib: Tomcat's own jars (common class loader)",
             FileRole::server);
    add_tree(m_a,
             m_root,
             m_layout.conf_dir,
             "CATALINA_BASE/conf: server.xml, context and user "
             "configuration",
             FileRole::config);
    if (dir_name(m_layout.server_xml) != m_layout.conf_dir) {
      add_tree(m_a, m_root, m_layout.server_xml, "server.xml named by -config", FileRole::config);
    }
    if (base != home) {
      add_tree(m_a,
               m_root,
               base + "/lib",
               "CATALINA_BASE/lib: the instance's shared jars",
               FileRole::app,
               true);
      add_tree(m_a,
               m_root,
               base + "/bin",
               "CATALINA_BASE/bin: setenv.sh of the instance",
               FileRole::app,
               true);
    }
    // catalina.properties may add class loader directories (common.loader, shared.loader).
    auto props = tomcat_properties(m_process, m_root, m_layout);
    for (const char* loader : {"common.loader", "server.loader", "shared.loader"}) {
      auto it = props.find(loader);
      if (it == props.end()) {
        continue;
      }
      for (auto entry : split(it->second.value, ',')) {
        std::string path(trim(entry));
        if (path.size() >= 2 && path.front() == '"' && path.back() == '"') {
          path = path.substr(1, path.size() - 2);
        }
        // "${catalina.base}/lib/*.jar" -> its directory.
        bool jar_glob = ends_with(path, "*.jar");
        if (jar_glob) {
          path = dir_name(path);
        }
        if (path.empty() || path.find("${") != std::string::npos) {
          continue;
        }
        path = HostRoot::normalize(host_path_join(base, path));
        // What the class loader reads from it, for text_drawing(): the jars of a "*.jar"
        // entry, a jar named alone, or the classes of a directory.
        if (jar_glob) {
          m_loader_jar_dirs.push_back(path);
        } else if (ends_with(path, ".jar")) {
          m_loader_jars.push_back(path);
        } else {
          m_loader_class_dirs.push_back(path);
        }
        if (!covered(m_a, path) && m_root.exists(path)) {
          add_tree(m_a,
                   m_root,
                   path,
                   fmt::format("{} in {}", loader, it->second.source),
                   FileRole::server);
        }
      }
    }
  }

  // Hosts' appBase directories, Contexts in server.xml and context descriptors in
  // conf/<Engine>/<Host>/*.xml: webapps installed by other packages live outside CATALINA_BASE.
  void
  webapps(std::vector<ContextFile>& descriptors)
  {
    const std::string& base = m_layout.catalina_base;
    for (const auto& service : m_config.services) {
      for (const auto& host : service.hosts) {
        std::string app_base = HostRoot::normalize(host_path_join(base, host.app_base));
        add_tree(m_a,
                 m_root,
                 app_base,
                 fmt::format("appBase of Host \"{}\" ({}:{})", host.name, m_config.file, host.line),
                 FileRole::app,
                 true);
        std::string xml_base = host.xml_base.empty()
                                   ? m_layout.conf_dir + "/" + service.engine + "/" + host.name
                                   : HostRoot::normalize(host_path_join(base, host.xml_base));
        // Context descriptors by base name ("manager", "a#b", "ROOT##2"): the webapp of the
        // same name in the appBase is deployed through them.
        std::map<std::string, std::string> described;
        auto descriptor_names = m_root.list_directory(xml_base);
        if (descriptor_names) {
          for (const auto& name : *descriptor_names) {
            if (ends_with(name, ".xml")) {
              described[name.substr(0, name.size() - 4)] = xml_base + "/" + name;
            }
          }
        }
        if (auto names = m_root.list_directory(app_base)) {
          for (const auto& name : *names) {
            appbase_webapp(host, app_base, name, described);
          }
        }
        for (const auto& context : host.contexts) {
          add_context(context, app_base);
        }
        if (!descriptor_names) {
          continue;
        }
        for (const auto& name : *descriptor_names) {
          if (!ends_with(name, ".xml")) {
            continue;
          }
          std::string file = xml_base + "/" + name;
          auto text = m_root.read_file(file);
          if (!text) {
            m_a.warn("config-unreadable", text.error().context(file).message);
            continue;
          }
          auto parsed = parse_context_xml(*text, file, context_path_from_name(name), lookup());
          if (!parsed) {
            // Tomcat skips a broken descriptor and deploys the rest: so does the analysis.
            m_a.warn("context-malformed", parsed.error().message);
            continue;
          }
          parsed->context.host = host.name;
          add_context(parsed->context, app_base);
          descriptors.push_back(std::move(*parsed));
        }
      }
    }
  }

  // One entry of an appBase, as Tomcat's HostConfig deploys it: descriptors first, then WARs,
  // then directories. Which META-INF/context.xml Tomcat applies: none for a webapp a descriptor
  // deploys; for a WAR expanded next to itself (unpackWARs) the expanded copy while the
  // expansion is current (no META-INF/war-tracker, or one as old as the WAR), else the WAR's.
  void
  appbase_webapp(const HostConfig& host,
                 const std::string& app_base,
                 const std::string& name,
                 const std::map<std::string, std::string>& described)
  {
    std::string path = app_base + "/" + name;
    auto descriptor_of = [&](const std::string& base_name) -> std::string {
      auto it = described.find(base_name);
      return it == described.end() ? "" : it->second;
    };
    if (m_root.is_directory(path)) {
      m_webapp_dirs.push_back(path);
      std::string war = path + ".war";
      std::string descriptor = descriptor_of(name);
      std::string ignored;
      if (!descriptor.empty()) {
        ignored = "the webapp is deployed through the descriptor " + descriptor;
      } else if (m_root.is_regular_file(war) && !expanded_copy_applies(host, war, path)) {
        ignored = host.unpack_wars
                      ? "the expansion is older than " + war + ", whose own copy applies"
                      : "unpackWARs is false: Tomcat deploys " + war;
      }
      m_app_contexts.push_back({path, false, ignored, host.deploy_xml});
      return;
    }
    if (!ends_with(name, ".war") || !m_root.is_regular_file(path)) {
      return;
    }
    std::string dir = path.substr(0, path.size() - 4);
    bool expanded = m_root.is_directory(dir);
    if (!expanded || !host.unpack_wars) {
      m_webapp_wars.push_back(path); // deployed from the archive itself
    }
    std::string descriptor = descriptor_of(name.substr(0, name.size() - 4));
    std::string ignored;
    if (!descriptor.empty()) {
      ignored = "the WAR is deployed through the descriptor " + descriptor;
    } else if (expanded && expanded_copy_applies(host, path, dir)) {
      ignored = "Tomcat applies the expanded copy " + dir + "/META-INF/context.xml";
    }
    m_app_contexts.push_back({path, true, ignored, host.deploy_xml});
  }

  // HostConfig.deployWAR's useXml: the expanded directory's META-INF/context.xml is used when
  // unpackWARs is on and the expansion is current.
  bool
  expanded_copy_applies(const HostConfig& host, const std::string& war, const std::string& dir)
  {
    if (!host.unpack_wars || !m_root.is_regular_file(dir + "/META-INF/context.xml")) {
      return false;
    }
    auto tracker = m_root.stat(dir + "/META-INF/war-tracker");
    if (!tracker) {
      return true;
    }
    auto archive = m_root.stat(war);
    return archive && archive->st_mtim.tv_sec == tracker->st_mtim.tv_sec;
  }

  void
  add_context(const ContextConfig& context, const std::string& app_base)
  {
    if (context.doc_base.empty()) {
      return;
    }
    std::string doc_base = HostRoot::normalize(host_path_join(app_base, context.doc_base));
    if (covered(m_a, doc_base)) {
      return;
    }
    std::string reason = fmt::format("docBase of context \"{}\" ({}:{})",
                                     context.path.empty() ? "/" : context.path,
                                     context.file,
                                     context.line);
    if (!m_root.exists(doc_base)) {
      m_a.warn("docbase-missing",
               fmt::format("{}:{}: docBase {} does not exist; the context is not deployed",
                           context.file,
                           context.line,
                           doc_base));
      return;
    }
    add_tree(m_a, m_root, doc_base, reason, FileRole::app);
    if (m_root.is_directory(doc_base)) {
      m_webapp_dirs.push_back(doc_base);
    } else if (ends_with(doc_base, ".war")) {
      m_webapp_wars.push_back(doc_base);
    }
  }

  // runtime.jlink: the JDK's tool modules out of lib/modules (java/jdk.hpp). javac stays when
  // Jasper would compile JSPs with it: configured so in conf/web.xml, or no Eclipse compiler
  // (ECJ) among the server's jars. Runs after the jars are in the file set.
  void
  java_runtime_trim()
  {
    java::JlinkNeeds needs;
    auto web_xml = m_root.read_file(m_layout.conf_dir + "/web.xml");
    bool has_ecj = std::any_of(m_a.files.begin(), m_a.files.end(), [](const FileEntry& file) {
      return java::is_eclipse_compiler_jar(file.path);
    });
    if (web_xml
        && (web_xml->find("AntCompiler") != std::string::npos
            || web_xml->find("compilerClassName") != std::string::npos)) {
      needs.keep["jdk.compiler"] = m_layout.conf_dir + "/web.xml sets Jasper's compiler";
    } else if (!has_ecj) {
      needs.keep["jdk.compiler"] = "no Eclipse compiler (ECJ) among the server's jars: Jasper "
                                   "compiles JSPs with javac";
    }
    m_jdk.plan_jlink(needs);
  }

  // Jars named by the Class-Path of jar manifests of CATALINA_HOME/bin, CATALINA_HOME/lib and
  // CATALINA_BASE/lib.
  void
  manifest_class_path()
  {
    m_server_jars = m_jdk.add_class_path_jars({m_layout.catalina_home + "/bin",
                                               m_layout.catalina_home + "/lib",
                                               m_layout.catalina_base + "/lib"});
  }

  // The font stack (java/jdk_trim.hpp): scanned are the webapps (WEB-INF/classes,
  // WEB-INF/lib, wars, JSP sources), CATALINA_BASE/lib, CATALINA_HOME/lib and bin, the class
  // loader entries of catalina.properties, the Class-Path jars and the JVM's -classpath.
  void
  text_drawing()
  {
    using Kind = java::LoadedCode::Kind;
    java::LoadedCode code;
    for (const auto& dir : m_webapp_dirs) {
      code.add(Kind::webapp_directory, dir);
    }
    for (const auto& war : m_webapp_wars) {
      code.add(Kind::war, war);
    }
    for (const auto& dir : {m_layout.catalina_base + "/lib",
                            m_layout.catalina_home + "/lib",
                            m_layout.catalina_home + "/bin"}) {
      code.add(Kind::jar_directory, dir);
    }
    for (const auto& dir : m_loader_jar_dirs) {
      code.add(Kind::jar_directory, dir);
    }
    for (const auto& jar : m_loader_jars) {
      code.add(Kind::jar, jar);
    }
    for (const auto& dir : m_loader_class_dirs) {
      code.add(Kind::class_directory, dir);
    }
    for (const auto& jar : m_server_jars) {
      code.add(Kind::jar, jar);
    }
    m_jdk.decide_fonts(code);
  }

  void
  process_files()
  {
    for (const auto& file : m_process.mapped_files()) {
      // /tmp/hsperfdata_<user>/<pid> is the JVM's own performance-counter file, made anew
      // by every JVM.
      if (file.empty() || file[0] != '/' || starts_with(file, "/memfd:")
          || starts_with(file, "/tmp/") || !m_root.is_regular_file(file)) {
        continue;
      }
      // The layer of what covers it (a jar of CATALINA_HOME/lib is server), else where it lies.
      bool runtime = !m_layout.java_home.empty() && path_within(file, m_layout.java_home);
      m_a.add_file(
          {file,
           "mapped by the process (/proc/<pid>/maps)",
           m_a.covering_role(file).value_or(runtime ? FileRole::runtime : role_by_location(file)),
           false,
           false});
    }
    for (const auto& open : m_process.open_files) {
      if (!open.is_file() || open.deleted || !m_root.is_regular_file(open.target)) {
        continue;
      }
      const std::string& path = open.target;
      if (covered(m_a, path) || in_volume(m_a, m_root, path) || starts_with(path, "/tmp/")
          || starts_with(path, "/proc/") || starts_with(path, "/dev/")) {
        continue;
      }
      m_a.add_file(
          {path, fmt::format("open by the process (fd {})", open.fd), FileRole::app, false, false});
    }
    java::add_jvm_argument_files(m_a, m_root, m_process, m_layout.jvm);
    // JAVA_HOME of the environment as a distribution sets it, through alternatives
    // (/usr/lib/jvm/jre -> /etc/alternatives/jre -> the JDK): the links go in with it, so the
    // variable names the same runtime in the image.
    if (auto java_home = m_process.env("JAVA_HOME"); java_home && !m_layout.java_home.empty()) {
      std::string named = HostRoot::normalize(*java_home);
      auto resolved = m_root.resolve(named);
      auto runtime = m_root.resolve(m_layout.java_home);
      if (named != m_layout.java_home && resolved && runtime && *resolved == *runtime
          && !covered(m_a, named)) {
        m_a.add_file({named,
                      "JAVA_HOME of the environment: a link to the Java runtime " + *runtime,
                      FileRole::runtime,
                      false,
                      false});
      }
    }
    // Environment values that name existing files (CATALINA_PID's directory is not one of them:
    // only regular files are taken, directories are too often the system's own).
    for (const auto& var : m_a.env) {
      if (var.secret || var.value.empty() || var.value[0] != '/'
          || var.value.find(':') != std::string::npos) {
        continue;
      }
      std::string path = HostRoot::normalize(var.value);
      if (!m_root.is_regular_file(path) || covered(m_a, path) || in_volume(m_a, m_root, path)) {
        continue;
      }
      m_a.add_file(
          {path, "named by the environment variable " + var.name, FileRole::config, false, false});
    }
  }

  void
  tls_files()
  {
    auto props = tomcat_properties(m_process, m_root, m_layout);
    for (const auto& service : m_config.services) {
      for (const auto& c : service.connectors) {
        for (const auto& tls : c.tls_files) {
          std::string path = tls.path;
          bool is_default = tls.attribute.find("(default)") != std::string::npos;
          if (starts_with(path, "${user.home}")) {
            path = props["user.home"].value + path.substr(12);
          }
          path = HostRoot::normalize(host_path_join(m_layout.catalina_base, path));
          std::string reason = fmt::format("{} of the Connector on port {} ({}:{})",
                                           tls.attribute,
                                           c.port ? std::to_string(*c.port) : c.port_text,
                                           m_config.file,
                                           tls.line);
          if (!m_root.exists(path)) {
            if (!is_default) {
              m_a.warn("tls-file-missing",
                       fmt::format("{}:{}: {}=\"{}\" does not exist ({})",
                                   m_config.file,
                                   tls.line,
                                   tls.attribute,
                                   tls.path,
                                   path));
            }
            continue;
          }
          // Key material is marked secret even when its directory is in the set already: the
          // packer warns about it and --externalize-secrets leaves it out.
          m_a.add_file({path, reason, FileRole::config, tls.secret, is_default});
        }
      }
    }
  }

  // Passwords of server.xml, context files and UserDatabase files go to secrets, the files
  // holding them are marked secret, and JDBC resources become database dependencies.
  void
  secrets(const std::vector<ContextFile>& descriptors)
  {
    FoundSecrets found;
    found.secrets = m_config.secrets;
    found.resources = m_config.resources;
    descriptor_secrets(descriptors, found);
    app_context_secrets(found);
    user_database_secrets(found);
    std::set<std::string> secret_files;
    for (const auto& s : found.secrets) {
      m_a.add_secret(secret_name(s), fmt::format("{}:{}", s.file, s.line), s.value);
      secret_files.insert(s.file);
    }
    for (const auto& war : found.war_secrets) {
      war_secret_file(war.war, war.secrets, war.applied);
    }
    mark_secret_files(secret_files);
    database_dependencies(found.resources);
  }

private:
  // A WAR's META-INF/context.xml secrets, and whether Tomcat applies that file.
  struct WarSecrets {
    std::string war;
    std::vector<SecretAttribute> secrets;
    bool applied = true;
  };

  struct FoundSecrets {
    std::vector<SecretAttribute> secrets;
    std::vector<ResourceConfig> resources;
    std::vector<WarSecrets> war_secrets;
  };

  // The context descriptors already parsed, and conf/context.xml (the defaults of every webapp).
  void
  descriptor_secrets(const std::vector<ContextFile>& descriptors, FoundSecrets& found)
  {
    for (const auto& d : descriptors) {
      found.secrets.insert(found.secrets.end(), d.secrets.begin(), d.secrets.end());
      found.resources.insert(found.resources.end(), d.resources.begin(), d.resources.end());
      for (const auto& w : d.warnings) {
        m_a.warn(w.code, w.message);
      }
    }
    std::string context_xml = m_layout.conf_dir + "/context.xml";
    if (auto text = m_root.read_file(context_xml)) {
      auto parsed = parse_context_xml(*text, context_xml, "", lookup());
      if (parsed) {
        found.secrets.insert(found.secrets.end(), parsed->secrets.begin(), parsed->secrets.end());
        found.resources.insert(
            found.resources.end(), parsed->resources.begin(), parsed->resources.end());
      } else {
        m_a.warn("context-malformed", parsed.error().message);
      }
    }
  }

  // The webapps' own META-INF/context.xml, in directories and inside WARs.
  void
  app_context_secrets(FoundSecrets& found)
  {
    for (const auto& app : m_app_contexts) {
      auto parsed = app_context_file(app);
      if (!parsed) {
        continue;
      }
      if (app.ignored.empty() && !app.deploy_xml) {
        m_a.warn("webapp-blocked",
                 fmt::format("{} holds META-INF/context.xml but its Host sets deployXML=\"false\": "
                             "Tomcat refuses to deploy it (\"deployment descriptor blocked\"), and "
                             "the image behaves the same",
                             app.webapp));
      }
      if (app.ignored.empty() && app.deploy_xml) {
        found.resources.insert(
            found.resources.end(), parsed->resources.begin(), parsed->resources.end());
        for (const auto& w : parsed->warnings) {
          m_a.warn(w.code, w.message);
        }
      }
      // Passwords ship with the file whether Tomcat applies it or not.
      if (app.in_war) {
        if (!parsed->secrets.empty()) {
          found.war_secrets.push_back({app.webapp, parsed->secrets, app.ignored.empty()});
        }
      } else {
        found.secrets.insert(found.secrets.end(), parsed->secrets.begin(), parsed->secrets.end());
      }
    }
  }

  // The users files of UserDatabase resources (pathname="conf/tomcat-users.xml").
  void
  user_database_secrets(FoundSecrets& found)
  {
    for (const auto& r : found.resources) {
      if (r.pathname.empty()) {
        continue;
      }
      std::string path = HostRoot::normalize(host_path_join(m_layout.catalina_base, r.pathname));
      auto text = m_root.read_file(path);
      if (!text) {
        continue;
      }
      if (auto users = parse_tomcat_users(*text, path)) {
        found.secrets.insert(found.secrets.end(), users->begin(), users->end());
      } else {
        m_a.warn("users-malformed", users.error().message);
      }
    }
  }

  // Each file holding a password gets an entry of its own marked secret (and its symlink
  // target too).
  void
  mark_secret_files(const std::set<std::string>& secret_files)
  {
    for (const auto& file : secret_files) {
      // The same path may be in the set through its directory; a file entry of its own says
      // that this one holds secrets.
      std::string real_path = m_root.resolve(file).value_or(file);
      m_a.files.erase(std::remove_if(m_a.files.begin(),
                                     m_a.files.end(),
                                     [&](const FileEntry& f) { return f.path == file; }),
                      m_a.files.end());
      m_a.add_file({file,
                    "holds passwords (their values are also in secrets.json)",
                    FileRole::config,
                    true,
                    false});
      if (real_path != file) {
        m_a.add_file(
            {real_path, "holds passwords (target of " + file + ")", FileRole::config, true, false});
      }
    }
  }

  // The databases the JDBC URLs of resources name.
  void
  database_dependencies(const std::vector<ResourceConfig>& resources)
  {
    for (const auto& r : resources) {
      if (r.url.empty()) {
        continue;
      }
      auto endpoints = java::parse_jdbc_url(r.url);
      if (!endpoints) {
        continue;
      }
      for (const auto& e : *endpoints) {
        m_a.dependencies.push_back(
            {DependencyKind::database,
             e.host,
             e.port,
             fmt::format("{}:{} ({} {})", r.file, r.line, r.element, r.name)});
        if (e.host == "localhost" || starts_with(e.host, "127.") || e.host == "::1") {
          m_a.warn("dependency-localhost",
                   fmt::format("{}:{}: {} \"{}\" connects to {}:{}: inside a container that is "
                               "the container itself; point it at the database host",
                               r.file,
                               r.line,
                               r.element,
                               r.name,
                               e.host,
                               e.port));
        }
      }
    }
  }

  // A webapp's own context.xml and whether Tomcat applies it; `ignored` says why not.
  struct AppContext {
    std::string webapp; // the directory or the .war
    bool in_war = false;
    std::string ignored;
    bool deploy_xml = true;
  };

  // The webapp's META-INF/context.xml parsed (from inside the WAR: "<war>!/META-INF/...");
  // nullopt when there is none or it cannot be read (a warning).
  std::optional<ContextFile>
  app_context_file(const AppContext& app)
  {
    std::string text;
    std::string file = app.webapp + (app.in_war ? "!/" : "/") + "META-INF/context.xml";
    if (app.in_war) {
      auto entry = java::read_zip_entry(m_root.real_resolved(app.webapp), "META-INF/context.xml");
      if (!entry) {
        m_a.warn("war-unreadable",
                 entry.error().context(app.webapp).message
                     + ": its META-INF/context.xml is not analyzed (no dependency or secret is "
                       "taken from it) and the WAR goes into the image as it is");
        return std::nullopt;
      }
      if (!*entry) {
        return std::nullopt;
      }
      text = std::move(**entry);
    } else {
      if (!m_root.is_regular_file(file)) {
        return std::nullopt;
      }
      auto content = m_root.read_file(file);
      if (!content) {
        m_a.warn("config-unreadable", content.error().context(file).message);
        return std::nullopt;
      }
      text = std::move(*content);
    }
    auto parsed = parse_context_xml(text, file, "", lookup());
    if (!parsed) {
      // Tomcat does not deploy the webapp either; the file still goes into the image.
      m_a.warn("context-malformed",
               parsed.error().message
                   + ": Tomcat fails to deploy this webapp; no dependency or secret is taken "
                     "from the file");
      return std::nullopt;
    }
    if (!app.ignored.empty() && !parsed->secrets.empty()) {
      m_a.warn("context-ignored",
               fmt::format("{} is not applied by Tomcat ({}); its passwords still go into the "
                           "image with the file and are handled like the others",
                           file,
                           app.ignored));
    }
    return std::move(*parsed);
  }

  // A WAR whose META-INF/context.xml holds secrets cannot be packed without them: the WAR's
  // files[] entry is marked secret and lists the attributes `pack --externalize-secrets`
  // replaces by ${decant.secret.NAME}, which the start command defines from the Secret
  // (-Ddecant.secret.NAME=${secret:NAME}: Tomcat's digester resolves ${...} in context files
  // from system properties) when Tomcat applies the file.
  void
  war_secret_file(const std::string& war, const std::vector<SecretAttribute>& secrets, bool applied)
  {
    std::vector<ArchiveSecret> edits;
    std::vector<std::string> named;
    std::vector<std::string> options;
    for (const auto& s : secrets) {
      std::string ref =
          m_a.add_secret(secret_name(s), fmt::format("{}:{}", s.file, s.line), s.value);
      std::string name = ref.substr(9, ref.size() - 10); // "${secret:NAME}"
      std::string property = "decant.secret." + name;
      edits.push_back(
          {"META-INF/context.xml", s.line, s.element, s.attribute, name, "${" + property + "}"});
      named.push_back(fmt::format(
          "{} ({} of {} \"{}\", line {})", name, s.attribute, s.element, s.owner, s.line));
      std::string option = "-D" + property + "=" + ref;
      if (applied && std::find(options.begin(), options.end(), option) == options.end()) {
        options.push_back(option);
      }
    }
    java::insert_jvm_options(m_a.start.command, options);
    std::string reason = "holds secrets in META-INF/context.xml (their values are also in "
                         "secrets.json; pack --externalize-secrets replaces them)";
    std::string real_path = m_root.resolve(war).value_or(war);
    for (const auto& path : {war, real_path}) {
      m_a.files.erase(std::remove_if(m_a.files.begin(),
                                     m_a.files.end(),
                                     [&](const FileEntry& f) { return f.path == path; }),
                      m_a.files.end());
      FileEntry entry{path,
                      path == war ? reason : reason + " (target of " + war + ")",
                      FileRole::app,
                      true,
                      false,
                      edits};
      m_a.add_file(entry);
    }
    m_a.warn("war-secret",
             fmt::format("{} carries META-INF/context.xml with {}: a WAR cannot be packed without "
                         "it, so the image holds these secrets unless `decant pack "
                         "--externalize-secrets` puts ${{decant.secret.NAME}} in their place (the "
                         "start command defines them from the Secret)",
                         war,
                         join(named, ", ")));
  }

  void
  exclude(const Exclusion& e)
  {
    for (const auto& x : m_a.exclude) {
      if (x.path == e.path) {
        return;
      }
    }
    m_a.exclude.push_back(e);
  }

  const PropertyResolver&
  lookup() const
  {
    return m_sources.resolver;
  }

  const ProcessInfo& m_process;
  const HostRoot& m_root;
  const TomcatLayout& m_layout;
  const PropertySources& m_sources;
  const ServerConfig& m_config;
  Analysis& m_a;
  std::vector<std::string> m_webapp_dirs; // exploded webapps (appBase subdirectories, docBases)
  std::vector<std::string> m_webapp_wars; // wars deployed unexploded (appBase, docBase)
  std::vector<AppContext> m_app_contexts; // appBase webapps whose context.xml may apply
  std::vector<std::string> m_server_jars; // bin/ and lib/ jars and their Class-Path jars
  // catalina.properties class loader entries: "dir/*.jar", "dir/x.jar", "dir"
  std::vector<std::string> m_loader_jar_dirs;
  std::vector<std::string> m_loader_jars;
  std::vector<std::string> m_loader_class_dirs;
  java::JdkTrim m_jdk;
};

class TomcatAnalyzer : public Analyzer
{
public:
  const AnalyzerInfo&
  info() const override
  {
    static const AnalyzerInfo k_info{
        k_type,
        "Apache Tomcat 7-11 (upstream tarball, Debian/RHEL packages, CATALINA_HOME != "
        "CATALINA_BASE instances)",
        {"CATALINA_BASE/conf/server.xml",
         "CATALINA_BASE/conf/catalina.properties",
         "CATALINA_BASE/conf/context.xml",
         "CATALINA_BASE/conf/<Engine>/<Host>/*.xml (context descriptors)",
         "conf/tomcat-users.xml (UserDatabase)",
         "lib/catalina.jar (ServerInfo.properties), jar manifests (Class-Path)",
         "JAVA_HOME/release",
         "/proc/<pid>/{cmdline,environ,maps,fd,net}"}};
    return k_info;
  }

  bool
  matches(const ProcessInfo& process, const HostRoot&) const override
  {
    return is_tomcat_process(process);
  }

  Result<AppIdentity>
  identify(const ProcessInfo& process, const HostRoot& root) const override
  {
    auto layout = find_layout(process, root);
    if (!layout) {
      return fail(layout.error());
    }
    return AppIdentity{application_id(*layout, k_type), k_type, layout->catalina_base};
  }

  Result<Analysis>
  analyze(const ProcessInfo& process, const HostRoot& root) const override
  {
    auto layout = find_layout(process, root);
    if (!layout) {
      return fail(layout.error());
    }
    return analyze_tomcat(process, root, *layout);
  }
};

// Tomcat under jsvc (Apache Commons Daemon): the image runs the same JVM with `java`, as
// catalina.sh does (`java <options> Bootstrap <arguments> start`), as the user jsvc switched to
// (the analyzed child already runs as it); jsvc's own options are explained, not kept.
void
jsvc_start_command(Analysis& a, const ProcessInfo& process, const TomcatLayout& layout)
{
  auto jsvc = java::parse_jsvc_command(process.cmdline);
  if (!jsvc || layout.java_home.empty()) {
    a.warn("jsvc-command",
           fmt::format("PID {} runs Tomcat under jsvc, but {}: start.command is jsvc's argv; "
                       "replace it with a java command line",
                       process.pid,
                       jsvc ? "its JAVA_HOME is unknown" : jsvc.error().message));
    return;
  }
  java::JvmCommand jvm = layout.jvm;
  jvm.java = layout.java_home + "/bin/java";
  a.start.command = java::java_argv(jvm);
  a.start.command.push_back("start");
  nlohmann::json details = {
      {"controllerPid", process.ppid},
      {"user", jsvc->user},
      {"javaHome", layout.java_home},
      {"droppedOptions", jsvc->dropped},
      {"why",
       "Apache Commons Daemon (jsvc) loads the JVM into its own process: a root controller and "
       "this child, which switched to -user; the image starts the same JVM options and class "
       "with java and the command \"start\" (what catalina.sh runs) as that user"}};
  if (!jsvc->outfile.empty()) {
    details["outfile"] = jsvc->outfile;
    details["outfileWhy"] = "jsvc sent the JVM's output there; in the image it goes to the "
                            "container's output";
  }
  if (!jsvc->umask.empty()) {
    details["umask"] = jsvc->umask;
    a.warn("jsvc-umask",
           fmt::format("jsvc ran Tomcat with -umask {}; the image's process gets the container's "
                       "umask (usually 0022): files Tomcat creates may be readable by more users",
                       jsvc->umask));
  }
  // jsvc re-executes itself with LD_LIBRARY_PATH pointing into the JVM: java needs none.
  for (auto it = a.env.begin(); it != a.env.end(); ++it) {
    if (it->name == "LD_LIBRARY_PATH" && !it->secret
        && starts_with(it->value, layout.java_home + "/")) {
      a.env_dropped.push_back(
          {it->name, it->value, "set by jsvc to load libjvm.so; java finds its libraries itself"});
      a.env.erase(it);
      break;
    }
  }
  a.runtime.details["jsvc"] = details;
}

} // namespace

Result<Analysis>
analyze_tomcat(const ProcessInfo& process,
               const HostRoot& root,
               const TomcatLayout& layout,
               const AnalysisKind& kind)
{
  PropertySources sources = property_sources(process, root, layout);
  auto config = load_server_config(root, layout, sources.resolver);
  if (!config) {
    return fail(config.error());
  }
  Analysis a = base_analysis(process, root, kind.application_type, layout.catalina_base);
  a.runtime.name = kind.runtime_name;
  a.runtime.version = layout.tomcat_version;
  if (layout.tomcat_version.empty()) {
    a.warn("tomcat-version-unknown",
           fmt::format("no lib/catalina.jar with ServerInfo.properties and no RELEASE-NOTES under "
                       "{}: the Tomcat version is unknown",
                       layout.catalina_home));
  }
  // The image starts the JVM by the path the kernel ran: argv[0] may be a PATH name or a link
  // (/usr/bin/java -> /etc/alternatives/java) that the image does not hold.
  if (java::is_jsvc(process)) {
    jsvc_start_command(a, process, layout);
  } else if (!a.start.command.empty() && !process.exe.empty()) {
    a.start.command[0] = process.exe;
  }
  java::set_heap_resources(a, process, root, layout.jvm);
  for (const auto& warning : config->warnings) {
    a.warn(warning.code, warning.message);
  }

  for (const auto& warning : sources.warnings) {
    a.warn(warning.code, warning.message);
  }
  if (!sources.details.is_null()) {
    a.runtime.details["propertySources"] = sources.details;
  }
  Builder builder(process, root, layout, sources, *config, a);
  std::vector<ContextFile> descriptors;
  builder.runtime();
  builder.packaging();
  builder.ports();
  builder.volumes();
  builder.java_files();
  builder.tomcat_files();
  builder.webapps(descriptors);
  builder.manifest_class_path();
  builder.text_drawing();
  builder.java_runtime_trim();
  builder.process_files();
  builder.tls_files();
  builder.secrets(descriptors);
  redact_secret_arguments(a);
  return a;
}

std::unique_ptr<Analyzer>
make_tomcat_analyzer()
{
  return std::make_unique<TomcatAnalyzer>();
}

DECANT_REGISTER_ANALYZER("java-tomcat", 400, make_tomcat_analyzer);

} // namespace decant::tomcat
