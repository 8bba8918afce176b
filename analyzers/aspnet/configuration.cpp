#include "configuration.hpp"

#include "dotnet_json.hpp"

#include <decant/util/strings.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace decant::aspnet {

namespace {

std::string
replace_all(std::string text, std::string_view from, std::string_view to)
{
  size_t pos = 0;
  while ((pos = text.find(from, pos)) != std::string::npos) {
    text.replace(pos, from.size(), to);
    pos += to.size();
  }
  return text;
}

void
flatten(const nlohmann::json& json,
        const std::string& prefix,
        std::vector<std::pair<std::string, std::string>>& out)
{
  if (json.is_object()) {
    for (auto it = json.begin(); it != json.end(); ++it) {
      flatten(it.value(), prefix.empty() ? it.key() : prefix + ":" + it.key(), out);
    }
  } else if (json.is_array()) {
    for (size_t i = 0; i < json.size(); ++i) {
      flatten(json[i], prefix + ":" + std::to_string(i), out);
    }
  } else if (json.is_string()) {
    out.emplace_back(prefix, json.get<std::string>());
  } else if (json.is_boolean()) {
    // System.Text.Json's JsonElement.ToString() of true/false, which the JSON provider stores.
    out.emplace_back(prefix, json.get<bool>() ? "True" : "False");
  } else if (json.is_null()) {
    out.emplace_back(prefix, "");
  } else {
    out.emplace_back(prefix, json.dump());
  }
}

} // namespace

void
Configuration::set(ConfigValue value)
{
  m_values[to_lower(value.key)] = std::move(value);
}

void
Configuration::add_json(const nlohmann::json& json, const std::string& path, std::string_view text)
{
  std::vector<std::pair<std::string, std::string>> flat;
  flatten(json, "", flat);
  for (auto& [key, value] : flat) {
    size_t line = line_of_key(text, key);
    ConfigValue v;
    v.key = key;
    v.value = value;
    v.source = line ? fmt::format("{}:{}", path, line) : path;
    v.origin = ConfigValue::Origin::file;
    set(std::move(v));
  }
}

void
Configuration::add_environment(const EnvList& environ, const std::string& prefix)
{
  static const std::vector<std::pair<std::string, std::string>> k_connection_prefixes = {
      {"MYSQLCONNSTR_", "MySql.Data.MySqlClient"},
      {"SQLAZURECONNSTR_", "System.Data.SqlClient"},
      {"SQLCONNSTR_", "System.Data.SqlClient"},
      {"CUSTOMCONNSTR_", ""},
  };
  for (const auto& [name, value] : environ) {
    std::string key = name;
    if (!prefix.empty()) {
      if (to_lower(name).rfind(to_lower(prefix), 0) != 0) {
        continue;
      }
      key = name.substr(prefix.size());
    } else {
      for (const auto& [connection_prefix, provider] : k_connection_prefixes) {
        if (starts_with(name, connection_prefix)) {
          key = "ConnectionStrings:" + name.substr(connection_prefix.size());
          break;
        }
      }
    }
    if (key.empty()) {
      continue;
    }
    ConfigValue v;
    v.key = replace_all(key, "__", ":");
    v.value = value;
    v.source = "env " + name;
    v.origin = ConfigValue::Origin::environment;
    v.env_name = name;
    set(std::move(v));
  }
}

void
Configuration::add_command_line(const std::vector<std::string>& args, int first_index)
{
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    std::string_view rest = arg;
    bool prefixed = false;
    if (starts_with(rest, "--")) {
      rest.remove_prefix(2);
      prefixed = true;
    } else if (starts_with(rest, "-")) {
      continue; // a single-dash switch needs a switch mapping, which hosts do not define
    } else if (starts_with(rest, "/")) {
      rest.remove_prefix(1);
      prefixed = true;
    }
    ConfigValue v;
    v.origin = ConfigValue::Origin::command_line;
    auto eq = rest.find('=');
    if (eq != std::string_view::npos) {
      v.key = std::string(rest.substr(0, eq));
      v.value = std::string(rest.substr(eq + 1));
      v.argv_index = first_index + static_cast<int>(i);
    } else {
      if (!prefixed || i + 1 >= args.size()) {
        continue;
      }
      v.key = std::string(rest);
      v.value = args[++i];
      v.argv_index = first_index + static_cast<int>(i);
    }
    if (v.key.empty()) {
      continue;
    }
    v.source = "argv " + arg;
    set(std::move(v));
  }
}

const ConfigValue*
Configuration::get(std::string_view key) const
{
  auto it = m_values.find(to_lower(key));
  return it == m_values.end() ? nullptr : &it->second;
}

std::string
Configuration::value(std::string_view key) const
{
  const ConfigValue* v = get(key);
  return v ? v->value : std::string();
}

std::vector<std::string>
Configuration::children(std::string_view section) const
{
  std::string prefix = to_lower(section) + ":";
  std::vector<std::string> names;
  std::vector<std::string> seen;
  for (const auto& [key, value] : m_values) {
    if (key.rfind(prefix, 0) != 0) {
      continue;
    }
    std::string child = value.key.substr(prefix.size());
    child = child.substr(0, child.find(':'));
    if (std::find(seen.begin(), seen.end(), to_lower(child)) == seen.end()) {
      seen.push_back(to_lower(child));
      names.push_back(child);
    }
  }
  return names;
}

std::vector<const ConfigValue*>
Configuration::under(std::string_view section) const
{
  std::string key = to_lower(section);
  std::vector<const ConfigValue*> out;
  for (const auto& [k, value] : m_values) {
    if (k == key || k.rfind(key + ":", 0) == 0) {
      out.push_back(&value);
    }
  }
  return out;
}

std::vector<const ConfigValue*>
Configuration::all() const
{
  std::vector<const ConfigValue*> out;
  for (const auto& [key, value] : m_values) {
    out.push_back(&value);
  }
  return out;
}

} // namespace decant::aspnet
