#include <decant/deploy/k8s_names.hpp>
#include <decant/util/json.hpp>

#include <fmt/format.h>

#include <cctype>

namespace decant::k8s {

namespace {

bool
lower_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

bool
alnum(char c)
{
  return lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool
letter(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Lower-cased; everything outside [a-z0-9] and `keep` becomes '-'; runs of '-' collapse.
std::string
fold(std::string_view text, std::string_view keep)
{
  std::string out;
  for (char c : text) {
    char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!lower_alnum(l) && keep.find(l) == std::string_view::npos) {
      l = '-';
    }
    if (l == '-' && !out.empty() && out.back() == '-') {
      continue;
    }
    out += l;
  }
  return out;
}

// Cut to `max`, then trimmed until both ends satisfy `end_ok`.
std::string
cut_and_trim(std::string text, size_t max, bool (*end_ok)(char))
{
  if (text.size() > max) {
    text.resize(max);
  }
  while (!text.empty() && !end_ok(text.back())) {
    text.pop_back();
  }
  size_t start = 0;
  while (start < text.size() && !end_ok(text[start])) {
    ++start;
  }
  return text.substr(start);
}

} // namespace

bool
is_dns1123_label(std::string_view name)
{
  if (name.empty() || name.size() > 63 || !lower_alnum(name.front()) || !lower_alnum(name.back())) {
    return false;
  }
  for (char c : name) {
    if (!lower_alnum(c) && c != '-') {
      return false;
    }
  }
  return true;
}

bool
is_dns1035_label(std::string_view name)
{
  return is_dns1123_label(name) && letter(name.front());
}

bool
is_dns1123_subdomain(std::string_view name)
{
  if (name.empty() || name.size() > 253) {
    return false;
  }
  size_t start = 0;
  for (;;) {
    size_t dot = name.find('.', start);
    std::string_view label = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || !lower_alnum(label.front()) || !lower_alnum(label.back())) {
      return false;
    }
    for (char c : label) {
      if (!lower_alnum(c) && c != '-') {
        return false;
      }
    }
    if (dot == std::string_view::npos) {
      return true;
    }
    start = dot + 1;
  }
}

bool
is_iana_svc_name(std::string_view name)
{
  if (name.empty() || name.size() > 15 || name.find("--") != std::string_view::npos
      || !lower_alnum(name.front()) || !lower_alnum(name.back())) {
    return false;
  }
  bool has_letter = false;
  for (char c : name) {
    if (!lower_alnum(c) && c != '-') {
      return false;
    }
    has_letter = has_letter || letter(c);
  }
  return has_letter;
}

bool
is_config_key(std::string_view key)
{
  if (key.empty() || key.size() > 253 || key == "." || key == "..") {
    return false;
  }
  for (char c : key) {
    if (!alnum(c) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

bool
is_env_var_name(std::string_view name)
{
  if (name.empty()
      || (!letter(name.front()) && name.front() != '_' && name.front() != '-'
          && name.front() != '.')) {
    return false;
  }
  for (char c : name) {
    if (!alnum(c) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

bool
is_label_value(std::string_view value)
{
  if (value.empty()) {
    return true;
  }
  if (value.size() > 63 || !alnum(value.front()) || !alnum(value.back())) {
    return false;
  }
  for (char c : value) {
    if (!alnum(c) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

std::string
dns1123_label(std::string_view text, size_t max, std::string_view fallback)
{
  std::string out = cut_and_trim(fold(text, ""), max, lower_alnum);
  return out.empty() ? std::string(fallback) : out;
}

std::string
dns1035_label(std::string_view text, size_t max, std::string_view fallback)
{
  std::string out = cut_and_trim(fold(text, ""), max, lower_alnum);
  if (out.empty()) {
    return std::string(fallback);
  }
  if (!letter(out.front())) {
    // "8080-shop" -> "x-8080-shop": a Service name must start with a letter.
    out = cut_and_trim("x-" + out, max, lower_alnum);
  }
  return out;
}

std::string
dns1123_subdomain(std::string_view text, std::string_view fallback)
{
  std::string folded = fold(text, ".");
  std::string out;
  size_t start = 0;
  while (start <= folded.size()) {
    size_t dot = folded.find('.', start);
    std::string label = cut_and_trim(
        folded.substr(start, dot == std::string::npos ? std::string::npos : dot - start),
        63,
        lower_alnum);
    if (!label.empty()) {
      out += out.empty() ? label : "." + label;
    }
    if (dot == std::string::npos) {
      break;
    }
    start = dot + 1;
  }
  out = cut_and_trim(out, 253, lower_alnum);
  return out.empty() ? std::string(fallback) : out;
}

std::string
iana_svc_name(std::string_view text, std::string_view fallback)
{
  std::string out = cut_and_trim(fold(text, ""), 15, lower_alnum);
  bool has_letter = false;
  for (char c : out) {
    has_letter = has_letter || letter(c);
  }
  if (out.empty()) {
    return std::string(fallback);
  }
  if (!has_letter) {
    out = cut_and_trim("p-" + out, 15, lower_alnum); // "8080" -> "p-8080"
  }
  return out;
}

std::string
config_key(std::string_view text, std::string_view fallback)
{
  std::string out;
  for (char c : text) {
    out += alnum(c) || c == '-' || c == '.' || c == '_' ? c : '_';
  }
  if (out.size() > 253) {
    out.resize(253);
  }
  if (out.empty() || out == "." || out == "..") {
    return std::string(fallback);
  }
  return out;
}

std::string
label_value(std::string_view text)
{
  std::string out;
  for (char c : text) {
    out += alnum(c) || c == '-' || c == '.' || c == '_' ? c : '-';
  }
  return cut_and_trim(out, 63, alnum);
}

std::string
unique(std::string name, std::set<std::string>& used, size_t max, bool (*valid)(std::string_view))
{
  std::string candidate = name;
  for (int n = 2; used.count(candidate) || !valid(candidate); ++n) {
    std::string suffix = fmt::format("-{}", n);
    std::string base = name.substr(0, max > suffix.size() ? max - suffix.size() : 0);
    while (!base.empty() && !alnum(base.back())) {
      base.pop_back();
    }
    candidate = base + suffix;
    if (n > 100000) {
      break; // unreachable in practice: a hundred thousand names of one kind
    }
  }
  used.insert(candidate);
  return candidate;
}

const std::string&
Renames::add(const std::string& kind,
             const std::string& kubernetes_name,
             const std::string& original)
{
  if (kubernetes_name != original) {
    m_names[kind][kubernetes_name] = original;
  }
  return kubernetes_name;
}

std::string
Renames::annotation() const
{
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [kind, names] : m_names) {
    for (const auto& [name, original] : names) {
      out[kind][name] = original;
    }
  }
  return dump_json(out);
}

} // namespace decant::k8s
