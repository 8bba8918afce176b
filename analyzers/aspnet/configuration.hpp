#pragma once

// The application's configuration as Microsoft.Extensions.Configuration builds it: flat keys
// ("Kestrel:Endpoints:Http:Url"), compared case-insensitively, from sources layered in order,
// the last source that sets a key winning. Only what decant needs is modelled: JSON files,
// environment variables (with and without a prefix) and the command line.

#include <decant/proc/parse.hpp>

#include <nlohmann/json.hpp>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace decant::aspnet {

struct ConfigValue {
  std::string key; // as written by the winning source
  std::string value;
  std::string source; // "/srv/app/appsettings.json:12", "env ASPNETCORE_URLS", "argv --urls"
  enum class Origin { file, environment, command_line, default_value } origin = Origin::file;
  std::string env_name; // the variable, for origin environment
  int argv_index = -1;  // the argv element holding the value, for origin command_line
};

class Configuration
{
public:
  // A JSON file: objects become "a:b", arrays "a:0"; null and empty values are "".
  // `text` is the file's content, used to name the line of each key in `source`.
  void add_json(const nlohmann::json& json, const std::string& path, std::string_view text);
  // Environment variables; with a prefix only those starting with it, prefix removed. "__"
  // separates sections (ConnectionStrings__Db -> ConnectionStrings:Db). Without a prefix the
  // Azure-style connection string variables (SQLCONNSTR_x, MYSQLCONNSTR_x, ...) also give
  // ConnectionStrings:x.
  void add_environment(const EnvList& environ, const std::string& prefix);
  // Arguments as CommandLineConfigurationProvider reads them: --key=value, --key value,
  // /key=value, /key value, key=value. `first_index` is the argv index of args[0].
  void add_command_line(const std::vector<std::string>& args, int first_index);
  void set(ConfigValue value);

  const ConfigValue* get(std::string_view key) const;
  std::string value(std::string_view key) const; // "" when unset
  // Immediate child names of a section, in first-seen spelling, sorted case-insensitively.
  std::vector<std::string> children(std::string_view section) const;
  // Every key under a section (the section's own value included), winning values only.
  std::vector<const ConfigValue*> under(std::string_view section) const;
  // Every winning value, sorted by key.
  std::vector<const ConfigValue*> all() const;

private:
  std::map<std::string, ConfigValue> m_values; // key: lower-cased
};

} // namespace decant::aspnet
