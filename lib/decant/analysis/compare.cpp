#include <decant/analysis/compare.hpp>
#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <map>

namespace decant {

namespace {

// Adds '+'/'-'/'~' lines for two keyed collections: `describe` renders one item.
template<typename Item, typename Key, typename Describe>
void
compare_keyed(const std::vector<Item>& before,
              const std::vector<Item>& after,
              const std::string& area,
              Key key,
              Describe describe,
              std::vector<AnalysisChange>& out)
{
  std::map<std::string, std::string> old_items;
  std::map<std::string, std::string> new_items;
  for (const auto& item : before) {
    old_items[key(item)] = describe(item);
  }
  for (const auto& item : after) {
    new_items[key(item)] = describe(item);
  }
  for (const auto& [k, text] : old_items) {
    auto found = new_items.find(k);
    if (found == new_items.end()) {
      out.push_back({area, '-', text});
    } else if (found->second != text) {
      out.push_back({area, '~', fmt::format("{} -> {}", text, found->second)});
    }
  }
  for (const auto& [k, text] : new_items) {
    if (!old_items.count(k)) {
      out.push_back({area, '+', text});
    }
  }
}

std::string
port_text(const Port& port)
{
  std::string text = fmt::format("{}/{} {}", port.port, port.protocol, to_string(port.role));
  if (!port.address.empty()) {
    text += " on " + port.address;
  }
  return text + (port.expose ? ", exposed" : ", not exposed");
}

std::string
env_text(const EnvVar& var)
{
  return var.secret ? var.name + "=(secret " + var.secret_ref + ")"
                    : fmt::format("{}=\"{}\"", var.name, var.value);
}

std::string
argv_text(const std::vector<std::string>& argv)
{
  std::vector<std::string> quoted;
  for (const auto& arg : argv) {
    quoted.push_back(arg.find_first_of(" \t\"'") == std::string::npos ? arg : "\"" + arg + "\"");
  }
  return join(quoted, " ");
}

void
compare_start(const StartCommand& before,
              const StartCommand& after,
              std::vector<AnalysisChange>& out)
{
  if (before.command != after.command) {
    out.push_back({"start", '~', "command: " + argv_text(before.command)});
    out.push_back({"start", '~', "     now: " + argv_text(after.command)});
  }
  if (before.working_dir != after.working_dir) {
    out.push_back(
        {"start",
         '~',
         fmt::format("working directory {} -> {}", before.working_dir, after.working_dir)});
  }
  if (before.user != after.user) {
    out.push_back({"start", '~', fmt::format("user {} -> {}", before.user, after.user)});
  }
}

} // namespace

std::vector<AnalysisChange>
compare_analyses(const Analysis& before, const Analysis& after)
{
  std::vector<AnalysisChange> out;
  if (before.process.pid != after.process.pid
      || before.process.start_time != after.process.start_time) {
    out.push_back(
        {"process",
         '~',
         fmt::format("PID {} -> {} (started anew)", before.process.pid, after.process.pid)});
  }
  if (before.runtime.name != after.runtime.name
      || before.runtime.version != after.runtime.version) {
    out.push_back({"runtime",
                   '~',
                   fmt::format("{} {} -> {} {}",
                               before.runtime.name,
                               before.runtime.version,
                               after.runtime.name,
                               after.runtime.version)});
  }
  compare_keyed(
      before.ports,
      after.ports,
      "port",
      [](const Port& p) { return fmt::format("{}/{}", p.port, p.protocol); },
      port_text,
      out);
  compare_keyed(
      before.env, after.env, "env", [](const EnvVar& v) { return v.name; }, env_text, out);
  compare_start(before.start, after.start, out);
  compare_keyed(
      before.files,
      after.files,
      "file",
      [](const FileEntry& f) { return f.path; },
      [](const FileEntry& f) {
        return fmt::format("{} ({}{})", f.path, to_string(f.role), f.secret ? ", secret" : "");
      },
      out);
  compare_keyed(
      before.volumes,
      after.volumes,
      "volume",
      [](const Volume& v) { return v.path; },
      [](const Volume& v) { return fmt::format("{} ({})", v.path, to_string(v.role)); },
      out);
  compare_keyed(
      before.exclude,
      after.exclude,
      "exclude",
      [](const Exclusion& e) { return e.path; },
      [](const Exclusion& e) { return e.path; },
      out);
  return out;
}

std::string
to_string(const AnalysisChange& change)
{
  return fmt::format("{} {} {}", change.kind, change.area, change.text);
}

} // namespace decant
