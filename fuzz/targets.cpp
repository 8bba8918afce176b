// libFuzzer targets for every parser that reads input from outside decant: the host's /proc and
// /etc files, the runtimes' configuration files, analysis.json and the secrets file, image
// references and registry answers. One binary holds them all (one link instead of thirty):
//   decant-fuzz TARGET [libFuzzer options] [CORPUS_DIR...]
// fuzz/run_target.sh seeds each from fixtures/ (fuzz/targets.txt) and scripts/fuzz runs them all.
// A target aborts only on what must never happen (a crash, a sanitizer report, or a document
// decant writes that it cannot read back); every refusal of bad input is a normal return.

#include "aspnet/configuration.hpp"
#include "aspnet/connection_strings.hpp"
#include "aspnet/dotnet_json.hpp"
#include "aspnet/kestrel_urls.hpp"
#include "aspnet/runtime_config.hpp"
#include "aspnet/web_config.hpp"
#include "java/hsperfdata.hpp"
#include "java/jar.hpp"
#include "java/jdbc.hpp"
#include "java/jvm.hpp"
#include "jboss/standalone_config.hpp"
#include "tomcat/server_xml.hpp"
#include "tomee/tomee_xml.hpp"

#include <decant/analysis/analysis.hpp>
#include <decant/job/job.hpp>
#include <decant/machine/mountinfo.hpp>
#include <decant/machine/services.hpp>
#include <decant/oci/reference.hpp>
#include <decant/pack/archive_secrets.hpp>
#include <decant/proc/parse.hpp>
#include <decant/registry/auth.hpp>
#include <decant/registry/push.hpp>
#include <decant/registry/reference.hpp>
#include <decant/run/image_config.hpp>
#include <decant/util/json.hpp>
#include <decant/util/limits.hpp>
#include <decant/util/strings.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <string_view>

extern "C" int
LLVMFuzzerRunDriver(int* argc, char*** argv, int (*callback)(const uint8_t* data, size_t size));

namespace {

using namespace decant;

// Placeholders resolved from the document's own properties, as the analyzers do with -D options
// and catalina.properties: values referring to values (and to themselves) are the hard case.
java::PropertyLookup
self_lookup(const std::map<std::string, java::PropertyValue>& properties)
{
  return [&properties](const std::string& name) -> std::optional<std::string> {
    auto it = properties.find(name);
    if (it == properties.end()) {
      return std::nullopt;
    }
    return it->second.value;
  };
}

const std::map<std::string, java::PropertyValue> k_properties = {
    {"port", {"8080", 1}},
    {"a", {"${b}${b}", 2}},
    {"b", {"${a}", 3}},
    {"loop", {"${loop}", 4}},
};

void
must(bool condition, const char* what)
{
  if (!condition) {
    std::fprintf(stderr, "decant-fuzz: %s\n", what);
    std::abort();
  }
}

const std::map<std::string, std::function<void(std::string_view)>> k_targets = {
    {"proc_cmdline", [](std::string_view in) { (void)java::parse_jvm_command(parse_cmdline(in)); }},
    {"proc_environ", [](std::string_view in) { (void)parse_environ(in); }},
    {"proc_stat", [](std::string_view in) { (void)parse_stat(in); }},
    {"proc_status", [](std::string_view in) { (void)parse_status(in); }},
    {"proc_limits", [](std::string_view in) { (void)parse_limits(in); }},
    {"proc_cgroup", [](std::string_view in) { (void)parse_cgroup(in); }},
    {"proc_maps", [](std::string_view in) { (void)parse_maps(in); }},
    {"proc_fdinfo", [](std::string_view in) { (void)parse_fdinfo(in); }},
    {"proc_net_tcp",
     [](std::string_view in) {
       (void)parse_net_tcp(in, false);
       (void)parse_net_tcp(in, true);
       (void)parse_socket_link(in);
     }},
    {"proc_mountinfo", [](std::string_view in) { (void)parse_mountinfo(in); }},
    {"os_release", [](std::string_view in) { (void)parse_os_release(in); }},
    {"passwd_group",
     [](std::string_view in) {
       (void)parse_passwd(in);
       (void)parse_group(in);
     }},
    {"systemd_unit", [](std::string_view in) { (void)parse_unit_file(in); }},
    {"crontab",
     [](std::string_view in) {
       (void)parse_crontab(in, "/etc/crontab", true, "root");
       (void)parse_crontab(in, "/var/spool/cron/crontabs/app", false, "app");
     }},
    {"server_xml",
     [](std::string_view in) {
       (void)tomcat::parse_server_xml(in, "server.xml", self_lookup(k_properties));
     }},
    {"context_xml",
     [](std::string_view in) {
       (void)tomcat::parse_context_xml(in, "context.xml", "/app", self_lookup(k_properties));
     }},
    {"tomcat_users",
     [](std::string_view in) { (void)tomcat::parse_tomcat_users(in, "users.xml"); }},
    {"standalone_xml",
     [](std::string_view in) { (void)jboss::parse_standalone_config(in, "standalone.xml"); }},
    {"tomee_xml",
     [](std::string_view in) {
       (void)tomee::parse_tomee_xml(in, "tomee.xml", self_lookup(k_properties));
     }},
    {"properties",
     [](std::string_view in) {
       auto properties = java::parse_properties(in);
       auto lookup = self_lookup(properties);
       for (const auto& [name, value] : properties) {
         (void)java::expand_placeholders(value.value, lookup, false);
         (void)java::expand_placeholders(value.value, lookup, true);
       }
       std::vector<tomee::ConfigWarning> warnings;
       (void)tomee::services_from_properties(properties, "system.properties", lookup, warnings);
     }},
    {"tomcat_properties",
     [](std::string_view in) {
       // Tomcat's own replacement rules (rounds, ":-" defaults) over the document's properties,
       // with each version's rule set on and off.
       auto properties = java::parse_properties(in);
       for (bool recursive : {true, false}) {
         for (bool defaults : {true, false}) {
           tomcat::PropertyResolver resolver(self_lookup(properties));
           resolver.recursive = recursive;
           resolver.default_values = defaults;
           for (const auto& [name, value] : properties) {
             auto expanded = tomcat::expand_properties(value.value, resolver);
             must(expanded.text.size() <= limits::k_expansion_bytes,
                  "a Tomcat property expands past the limit");
           }
         }
       }
     }},
    {"war_context_xml",
     [](std::string_view in) {
       // A webapp's META-INF/context.xml as the analyzer reads it, then rewritten as pack
       // --externalize-secrets does for a WAR: what it writes is XML that still parses.
       auto parsed = tomcat::parse_context_xml(in, "app.war!/META-INF/context.xml", "", {});
       if (!parsed) {
         return;
       }
       std::vector<ArchiveSecret> edits;
       for (const auto& secret : parsed->secrets) {
         edits.push_back({"META-INF/context.xml",
                          secret.line,
                          secret.element,
                          secret.attribute,
                          "s" + std::to_string(edits.size()),
                          "${decant.secret.s" + std::to_string(edits.size()) + "}"});
       }
       auto replaced = replace_xml_attributes(in, edits, "app.war!/META-INF/context.xml");
       if (replaced) {
         must(tomcat::parse_context_xml(*replaced, "rewritten", "", {}).has_value(),
              "a rewritten context.xml does not parse");
       }
     }},
    {"hsperfdata",
     [](std::string_view in) {
       if (auto counters = java::parse_hsperfdata(in)) {
         (void)java::perf_max_heap(*counters);
       }
     }},
    {"runtimeconfig_json",
     [](std::string_view in) { (void)aspnet::parse_runtime_config(in, "app.runtimeconfig.json"); }},
    {"appsettings_json",
     [](std::string_view in) {
       if (auto json = aspnet::parse_dotnet_json(in, "appsettings.json")) {
         aspnet::Configuration configuration;
         configuration.add_json(*json, "appsettings.json", in);
         for (const auto* value : configuration.all()) {
           (void)aspnet::parse_connection_string(value->value);
           (void)aspnet::parse_kestrel_url(value->value);
         }
       }
     }},
    {"web_config", [](std::string_view in) { (void)aspnet::read_web_config(in, "web.config"); }},
    {"jar_manifest", [](std::string_view in) { (void)java::parse_manifest(in); }},
    {"jdbc_url", [](std::string_view in) { (void)java::parse_jdbc_url(in); }},
    {"analysis_json",
     [](std::string_view in) {
       auto document = parse_json(in, "analysis.json");
       if (!document || !unescape_invalid_utf8(*document, "analysis.json")) {
         return;
       }
       auto analysis = analysis_from_json(*document);
       if (!analysis) {
         return;
       }
       // What decant reads it writes back, and what it writes it reads back, unchanged.
       std::string text = dump_json(to_json(*analysis), 2);
       auto again = parse_json(text, "written");
       must(again.has_value(), "a written analysis.json is not JSON");
       must(unescape_invalid_utf8(*again, "written").has_value(), "escaping does not read back");
       auto reread = analysis_from_json(*again);
       must(reread.has_value(), "a written analysis.json does not read back");
       must(dump_json(to_json(*reread), 2) == text, "an analysis changes when read back");
     }},
    {"secrets_json",
     [](std::string_view in) {
       auto document = parse_json(in, "secrets.json");
       if (!document || !unescape_invalid_utf8(*document, "secrets.json")
           || !document->is_object()) {
         return;
       }
       std::string text = dump_json(*document, 2);
       auto again = parse_json(text, "written");
       must(again && unescape_invalid_utf8(*again, "written") && *again == *document,
            "a secrets file does not read back unchanged");
     }},
    {"image_reference",
     [](std::string_view in) {
       (void)parse_reference(std::string(in));
       (void)parse_registry_reference(in);
     }},
    {"www_authenticate",
     [](std::string_view in) { (void)parse_www_authenticate(std::string(in)); }},
    {"image_config", [](std::string_view in) { (void)parse_image_config(std::string(in)); }},
    {"job_json",
     [](std::string_view in) {
       auto document = parse_json(in, "job.json");
       if (!document) {
         return;
       }
       auto job = job::job_from_json(*document);
       if (!job) {
         return;
       }
       // A job decant accepted writes back as a job.json that reads back the same.
       std::string text = job::to_json(*job).dump(2);
       auto again = parse_json(text, "written");
       must(again.has_value(), "a written job.json is not JSON");
       auto reread = job::job_from_json(*again);
       must(reread.has_value(), "a written job.json does not read back");
       must(job::to_json(*reread).dump(2) == text, "a job changes when read back");
     }},
    {"registry_answer",
     [](std::string_view in) {
       std::string body(in);
       std::string described = describe_registry_error(body);
       must(described.size() < 8192, "a registry answer is echoed unbounded");
       (void)next_offset_from_range(body);
       if (auto json = parse_json_document(in)) {
         (void)json_string(*json, "token");
         (void)json_unsigned(*json, "size");
       }
     }},
};

std::function<void(std::string_view)> g_target;

int
run_one(const uint8_t* data, size_t size)
{
  g_target(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}

} // namespace

int
main(int argc, char** argv)
{
  if (argc < 2 || k_targets.find(argv[1]) == k_targets.end()) {
    std::fprintf(stderr, "usage: decant-fuzz TARGET [libFuzzer options] [CORPUS_DIR...]\ntargets:");
    for (const auto& [name, _] : k_targets) {
      std::fprintf(stderr, " %s", name.c_str());
    }
    std::fprintf(stderr, "\n");
    return argc == 2 && std::strcmp(argv[1], "--list") == 0 ? 0 : 2;
  }
  g_target = k_targets.at(argv[1]);
  // libFuzzer sees the program name and everything after TARGET.
  argv[1] = argv[0];
  int rest = argc - 1;
  char** rest_argv = argv + 1;
  return LLVMFuzzerRunDriver(&rest, &rest_argv, run_one);
}
