#include <decant/verify/diff.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <unordered_map>

namespace decant {

namespace {

bool
word_byte(unsigned char c)
{
  return std::isalnum(c) != 0 || c >= 0x80;
}

struct Token {
  size_t begin = 0; // offset in the compared slice
  size_t end = 0;
};

std::vector<Token>
tokenize(std::string_view text)
{
  std::vector<Token> out;
  size_t i = 0;
  while (i < text.size()) {
    size_t start = i;
    if (word_byte(static_cast<unsigned char>(text[i]))) {
      while (i < text.size() && word_byte(static_cast<unsigned char>(text[i]))) {
        ++i;
      }
    } else {
      ++i;
    }
    out.push_back({start, i});
  }
  return out;
}

enum class Op { equal, remove, insert };

// Myers' O((N+M)D) diff on token ids; false when more than `max_edits` edits are needed.
bool
myers(const std::vector<int>& a,
      const std::vector<int>& b,
      size_t max_edits,
      std::vector<Op>& script)
{
  const int n = static_cast<int>(a.size());
  const int m = static_cast<int>(b.size());
  const int max = std::min<int>(n + m, static_cast<int>(max_edits));
  const int offset = max + 1;
  std::vector<int> v(2 * static_cast<size_t>(max) + 3, 0);
  std::vector<std::vector<int>> trace;
  int found = -1;
  for (int d = 0; d <= max; ++d) {
    trace.push_back(v);
    for (int k = -d; k <= d; k += 2) {
      int x;
      if (k == -d || (k != d && v[k - 1 + offset] < v[k + 1 + offset])) {
        x = v[k + 1 + offset];
      } else {
        x = v[k - 1 + offset] + 1;
      }
      int y = x - k;
      while (x < n && y < m && a[x] == b[y]) {
        ++x;
        ++y;
      }
      v[k + offset] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
    if (found >= 0) {
      break;
    }
  }
  if (found < 0) {
    return false;
  }
  // Walk back through the saved frontiers.
  int x = n;
  int y = m;
  std::vector<Op> reversed;
  for (int d = found; d > 0; --d) {
    const std::vector<int>& vd = trace[static_cast<size_t>(d)];
    int k = x - y;
    int prev_k = (k == -d || (k != d && vd[k - 1 + offset] < vd[k + 1 + offset])) ? k + 1 : k - 1;
    int prev_x = vd[prev_k + offset];
    int prev_y = prev_x - prev_k;
    while (x > prev_x && y > prev_y) {
      reversed.push_back(Op::equal);
      --x;
      --y;
    }
    reversed.push_back(x == prev_x ? Op::insert : Op::remove);
    x = prev_x;
    y = prev_y;
  }
  while (x > 0 && y > 0) {
    reversed.push_back(Op::equal);
    --x;
    --y;
  }
  script.assign(reversed.rbegin(), reversed.rend());
  return true;
}

bool
all_of(std::string_view s, int (*pred)(int))
{
  return !s.empty() && std::all_of(s.begin(), s.end(), [&](char c) {
    return pred(static_cast<unsigned char>(c)) != 0;
  });
}

bool
in_list(std::string_view word, const std::array<const char*, 12>& list, size_t count)
{
  if (word.size() < 3) {
    return false;
  }
  std::string lower;
  for (char c : word) {
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  // Full ("November") or abbreviated from three letters on ("Nov", "Sept", "Thurs").
  for (size_t i = 0; i < count; ++i) {
    if (std::string_view(list[i]).substr(0, lower.size()) == lower) {
      return true;
    }
  }
  return false;
}

const std::array<const char*, 12> k_months{"january",
                                           "february",
                                           "march",
                                           "april",
                                           "may",
                                           "june",
                                           "july",
                                           "august",
                                           "september",
                                           "october",
                                           "november",
                                           "december"};
const std::array<const char*, 12> k_days{"monday",
                                         "tuesday",
                                         "wednesday",
                                         "thursday",
                                         "friday",
                                         "saturday",
                                         "sunday",
                                         "",
                                         "",
                                         "",
                                         "",
                                         ""};

bool
identifier(std::string_view s)
{
  if (s.size() < 8) {
    return false;
  }
  bool digit = false;
  bool alpha = false;
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    if (!std::isalnum(u)) {
      return false;
    }
    digit |= std::isdigit(u) != 0;
    alpha |= std::isalpha(u) != 0;
  }
  return (digit && alpha) || all_of(s, isxdigit);
}

// The class two differing tokens share when they are the kind of thing that differs between
// requests, else "".
std::string
volatile_pair(std::string_view a, std::string_view b)
{
  if (a == b && !word_byte(static_cast<unsigned char>(a[0]))) {
    return "punctuation";
  }
  if (all_of(a, isdigit) && all_of(b, isdigit)) {
    return "number";
  }
  if (identifier(a) && identifier(b)) {
    return "id";
  }
  if ((in_list(a, k_months, 12) && in_list(b, k_months, 12))
      || (in_list(a, k_days, 7) && in_list(b, k_days, 7))) {
    return "date";
  }
  auto ampm = [](std::string_view s) { return s == "AM" || s == "PM" || s == "am" || s == "pm"; };
  if (ampm(a) && ampm(b)) {
    return "date";
  }
  return "";
}

bool
nonce_byte(char c)
{
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '+' || c == '/' || c == '='
         || c == '_' || c == '-';
}

bool
nonce(std::string_view s)
{
  if (s.size() < 16) {
    return false;
  }
  bool digit = false;
  bool alpha = false;
  for (char c : s) {
    if (!nonce_byte(c)) {
      return false;
    }
    digit |= std::isdigit(static_cast<unsigned char>(c)) != 0;
    alpha |= std::isalpha(static_cast<unsigned char>(c)) != 0;
  }
  return digit && alpha;
}

// The run of base64/url-safe characters around [begin, end) of `text`: a nonce that the token
// alignment may have cut into pieces at its '+', '/' or '-'.
std::string_view
nonce_span(std::string_view text, size_t begin, size_t end)
{
  while (begin > 0 && nonce_byte(text[begin - 1])) {
    --begin;
  }
  while (end < text.size() && nonce_byte(text[end])) {
    ++end;
  }
  return text.substr(begin, end - begin);
}

std::string
classify_hunk(std::string_view a_text,
              size_t ab,
              size_t ae,
              std::string_view b_text,
              size_t bb,
              size_t be,
              const std::vector<std::string_view>& a,
              const std::vector<std::string_view>& b)
{
  if (a.empty() || b.empty()) {
    return "";
  }
  if (a.size() == b.size()) {
    std::string kind;
    for (size_t i = 0; i < a.size() && (i == 0 || !kind.empty()); ++i) {
      std::string pair = volatile_pair(a[i], b[i]);
      if (pair.empty()) {
        kind.clear();
        break;
      }
      if (pair != "punctuation" && (kind.empty() || kind == "number" || kind == "punctuation")) {
        kind = pair; // the most telling class names the hunk ("date" over "number")
      } else if (kind.empty()) {
        kind = pair;
      }
    }
    if (!kind.empty() && kind != "punctuation") {
      return kind;
    }
  }
  std::string_view sa = nonce_span(a_text, ab, ae);
  std::string_view sb = nonce_span(b_text, bb, be);
  for (size_t i = ab; i < ae; ++i) {
    if (!nonce_byte(a_text[i])) {
      return "";
    }
  }
  for (size_t i = bb; i < be; ++i) {
    if (!nonce_byte(b_text[i])) {
      return "";
    }
  }
  if (nonce(sa) && nonce(sb) && sa.size() <= 2 * sb.size() && sb.size() <= 2 * sa.size()) {
    return "token";
  }
  return "";
}

} // namespace

std::string
to_string(BodyMatch match)
{
  switch (match) {
  case BodyMatch::same:
    return "same";
  case BodyMatch::same_shape:
    return "same shape";
  case BodyMatch::different:
    return "different";
  }
  return "";
}

std::string
excerpt(std::string_view text, size_t limit)
{
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

BodyComparison
compare_bodies(std::string_view source, std::string_view image)
{
  BodyComparison result;
  if (source == image) {
    return result;
  }
  size_t prefix = 0;
  size_t limit = std::min(source.size(), image.size());
  while (prefix < limit && source[prefix] == image[prefix]) {
    ++prefix;
  }
  size_t suffix = 0;
  while (suffix < limit - prefix
         && source[source.size() - 1 - suffix] == image[image.size() - 1 - suffix]) {
    ++suffix;
  }
  // Widen to whole words on both ends.
  while (prefix > 0 && word_byte(static_cast<unsigned char>(source[prefix - 1]))
         && ((prefix < source.size() && word_byte(static_cast<unsigned char>(source[prefix])))
             || (prefix < image.size() && word_byte(static_cast<unsigned char>(image[prefix]))))) {
    --prefix;
  }
  while (suffix > 0) {
    size_t s_at = source.size() - suffix; // first byte of the suffix
    size_t i_at = image.size() - suffix;
    bool inside = word_byte(static_cast<unsigned char>(source[s_at]))
                  && ((s_at > prefix && word_byte(static_cast<unsigned char>(source[s_at - 1])))
                      || (i_at > prefix && word_byte(static_cast<unsigned char>(image[i_at - 1]))));
    if (!inside) {
      break;
    }
    --suffix;
  }
  std::string_view a = source.substr(prefix, source.size() - prefix - suffix);
  std::string_view b = image.substr(prefix, image.size() - prefix - suffix);
  auto a_tokens = tokenize(a);
  auto b_tokens = tokenize(b);
  std::unordered_map<std::string_view, int> ids;
  auto id_of = [&](std::string_view text, const Token& t) {
    auto [it, inserted] =
        ids.emplace(text.substr(t.begin, t.end - t.begin), static_cast<int>(ids.size()));
    return it->second;
  };
  std::vector<int> a_ids;
  std::vector<int> b_ids;
  for (const auto& t : a_tokens) {
    a_ids.push_back(id_of(a, t));
  }
  for (const auto& t : b_tokens) {
    b_ids.push_back(id_of(b, t));
  }
  std::vector<Op> script;
  auto whole = [&](const std::string& kind) {
    DiffRange r;
    r.source_begin = prefix;
    r.source_end = prefix + a.size();
    r.image_begin = prefix;
    r.image_end = prefix + b.size();
    r.kind = kind;
    r.source_text = excerpt(a);
    r.image_text = excerpt(b);
    return r;
  };
  if (!myers(a_ids, b_ids, k_max_edits, script)) {
    result.match = BodyMatch::different;
    result.ranges.push_back(whole("content"));
    return result;
  }
  result.match = BodyMatch::same_shape;
  size_t i = 0; // token index in a
  size_t j = 0; // in b
  size_t s = 0;
  while (s < script.size()) {
    if (script[s] == Op::equal) {
      ++i;
      ++j;
      ++s;
      continue;
    }
    size_t i0 = i;
    size_t j0 = j;
    while (s < script.size() && script[s] != Op::equal) {
      (script[s] == Op::remove ? i : j)++;
      ++s;
    }
    auto byte_begin = [](const std::vector<Token>& tokens, size_t index, size_t size) {
      return index < tokens.size() ? tokens[index].begin : size;
    };
    size_t ab = byte_begin(a_tokens, i0, a.size());
    size_t ae = byte_begin(a_tokens, i, a.size());
    size_t bb = byte_begin(b_tokens, j0, b.size());
    size_t be = byte_begin(b_tokens, j, b.size());
    std::vector<std::string_view> at;
    std::vector<std::string_view> bt;
    for (size_t k = i0; k < i; ++k) {
      at.push_back(a.substr(a_tokens[k].begin, a_tokens[k].end - a_tokens[k].begin));
    }
    for (size_t k = j0; k < j; ++k) {
      bt.push_back(b.substr(b_tokens[k].begin, b_tokens[k].end - b_tokens[k].begin));
    }
    std::string kind = classify_hunk(a, ab, ae, b, bb, be, at, bt);
    DiffRange r;
    r.source_begin = prefix + ab;
    r.source_end = prefix + ae;
    r.image_begin = prefix + bb;
    r.image_end = prefix + be;
    r.kind = kind.empty() ? "content" : kind;
    r.source_text = excerpt(a.substr(ab, ae - ab));
    r.image_text = excerpt(b.substr(bb, be - bb));
    if (kind.empty()) {
      result.match = BodyMatch::different;
    }
    result.ranges.push_back(std::move(r));
  }
  return result;
}

} // namespace decant
