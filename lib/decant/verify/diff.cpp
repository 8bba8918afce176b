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

namespace {

// The lengths of the common prefix and suffix of two different bodies, widened to whole words
// on both ends (so "12:05" and "12:07" differ in the words "05" and "07").
struct CommonEnds {
  size_t prefix = 0;
  size_t suffix = 0;
};

CommonEnds
common_ends(std::string_view source, std::string_view image)
{
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
  return {prefix, suffix};
}

// One body's differing middle: its text, its tokens, and their ids (from one table for both
// bodies, so equal tokens have equal ids).
struct Side {
  std::string_view text;
  std::vector<Token> tokens;
  std::vector<int> ids;

  Side(std::string_view middle, std::unordered_map<std::string_view, int>& table)
      : text(middle),
        tokens(tokenize(middle))
  {
    for (const auto& t : tokens) {
      auto [it, inserted] =
          table.emplace(text.substr(t.begin, t.end - t.begin), static_cast<int>(table.size()));
      ids.push_back(it->second);
    }
  }

  // Where token `index` starts; the end of the text past the last token.
  size_t
  byte_at(size_t index) const
  {
    return index < tokens.size() ? tokens[index].begin : text.size();
  }

  std::vector<std::string_view>
  token_texts(size_t from, size_t to) const
  {
    std::vector<std::string_view> out;
    for (size_t k = from; k < to; ++k) {
      out.push_back(text.substr(tokens[k].begin, tokens[k].end - tokens[k].begin));
    }
    return out;
  }
};

// Bytes [ab, ae) of the source's middle against [bb, be) of the image's, as offsets in the
// whole bodies (the middles start at `prefix`).
DiffRange
diff_range(const Side& a,
           size_t ab,
           size_t ae,
           const Side& b,
           size_t bb,
           size_t be,
           size_t prefix,
           std::string kind)
{
  DiffRange r;
  r.source_begin = prefix + ab;
  r.source_end = prefix + ae;
  r.image_begin = prefix + bb;
  r.image_end = prefix + be;
  r.kind = std::move(kind);
  r.source_text = excerpt(a.text.substr(ab, ae - ab));
  r.image_text = excerpt(b.text.substr(bb, be - bb));
  return r;
}

// Each run of edits in the script is one hunk, volatile or "content"; one "content" hunk
// makes the bodies different.
void
add_hunks(const Side& a,
          const Side& b,
          const std::vector<Op>& script,
          size_t prefix,
          BodyComparison& result)
{
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
    size_t ab = a.byte_at(i0);
    size_t ae = a.byte_at(i);
    size_t bb = b.byte_at(j0);
    size_t be = b.byte_at(j);
    std::string kind =
        classify_hunk(a.text, ab, ae, b.text, bb, be, a.token_texts(i0, i), b.token_texts(j0, j));
    if (kind.empty()) {
      result.match = BodyMatch::different;
    }
    result.ranges.push_back(
        diff_range(a, ab, ae, b, bb, be, prefix, kind.empty() ? "content" : kind));
  }
}

} // namespace

BodyComparison
compare_bodies(std::string_view source, std::string_view image)
{
  BodyComparison result;
  if (source == image) {
    return result;
  }
  auto [prefix, suffix] = common_ends(source, image);
  std::unordered_map<std::string_view, int> ids;
  Side a(source.substr(prefix, source.size() - prefix - suffix), ids);
  Side b(image.substr(prefix, image.size() - prefix - suffix), ids);
  std::vector<Op> script;
  if (!myers(a.ids, b.ids, k_max_edits, script)) {
    result.match = BodyMatch::different;
    result.ranges.push_back(
        diff_range(a, 0, a.text.size(), b, 0, b.text.size(), prefix, "content"));
    return result;
  }
  result.match = BodyMatch::same_shape;
  add_hunks(a, b, script, prefix, result);
  return result;
}

} // namespace decant
