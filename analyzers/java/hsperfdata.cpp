#include "hsperfdata.hpp"

#include <decant/util/strings.hpp>

#include <fmt/format.h>

namespace decant::java {

namespace {

class Reader
{
public:
  Reader(std::string_view bytes, bool little)
      : m_bytes(bytes),
        m_little(little)
  {
  }

  // An integer of `size` bytes at `offset`; nullopt outside the file.
  std::optional<int64_t>
  integer(size_t offset, size_t size) const
  {
    if (offset > m_bytes.size() || size > m_bytes.size() - offset) {
      return std::nullopt;
    }
    uint64_t value = 0;
    for (size_t i = 0; i < size; ++i) {
      size_t index = m_little ? offset + size - 1 - i : offset + i;
      value = value << 8 | static_cast<unsigned char>(m_bytes[index]);
    }
    if (size < 8 && (value >> (size * 8 - 1)) & 1) {
      value |= ~uint64_t{0} << (size * 8); // sign-extend
    }
    return static_cast<int64_t>(value);
  }

private:
  std::string_view m_bytes;
  bool m_little;
};

} // namespace

Result<PerfCounters>
parse_hsperfdata(std::string_view bytes)
{
  if (bytes.size() < 32 || static_cast<unsigned char>(bytes[0]) != 0xca
      || static_cast<unsigned char>(bytes[1]) != 0xfe
      || static_cast<unsigned char>(bytes[2]) != 0xc0
      || static_cast<unsigned char>(bytes[3]) != 0xc0) {
    return fail(ErrorCode::invalid_input, "not a JVM performance-data file (no 0xcafec0c0)");
  }
  if (bytes[4] != 0 && bytes[4] != 1) {
    return fail(ErrorCode::invalid_input, "byte order {} is neither 0 nor 1", int(bytes[4]));
  }
  Reader in(bytes, bytes[4] == 1);
  int64_t entry_offset = *in.integer(24, 4);
  int64_t entries = *in.integer(28, 4);
  if (entry_offset < 32 || entries < 0 || static_cast<uint64_t>(entry_offset) > bytes.size()) {
    return fail(ErrorCode::invalid_input,
                "entry offset {} or count {} outside the file",
                entry_offset,
                entries);
  }
  PerfCounters out;
  size_t offset = static_cast<size_t>(entry_offset);
  for (int64_t i = 0; i < entries; ++i) {
    auto length = in.integer(offset, 4);
    auto name_offset = in.integer(offset + 4, 4);
    auto vector_length = in.integer(offset + 8, 4);
    auto type = in.integer(offset + 12, 1);
    auto data_offset = in.integer(offset + 16, 4);
    if (!length || !name_offset || !vector_length || !type || !data_offset || *length < 20
        || *name_offset < 20 || *name_offset >= *length || *data_offset < 20
        || *data_offset >= *length || *vector_length < 0
        || static_cast<uint64_t>(*length) > bytes.size() - offset) {
      return fail(ErrorCode::invalid_input, "entry {} at offset {} is malformed", i, offset);
    }
    size_t name_begin = offset + static_cast<size_t>(*name_offset);
    size_t entry_end = offset + static_cast<size_t>(*length);
    size_t name_end = bytes.find('\0', name_begin);
    if (name_end == std::string_view::npos || name_end > entry_end) {
      return fail(ErrorCode::invalid_input, "entry {} has an unterminated name", i);
    }
    std::string name(bytes.substr(name_begin, name_end - name_begin));
    size_t data = offset + static_cast<size_t>(*data_offset);
    if (*type == 'J' && *vector_length == 0) {
      if (data + 8 > entry_end) {
        return fail(ErrorCode::invalid_input, "entry {} ({}) is cut short", i, quote(name));
      }
      out.longs[name] = *in.integer(data, 8);
    } else if (*type == 'B' && *vector_length > 0) {
      size_t size = std::min<size_t>(static_cast<size_t>(*vector_length), entry_end - data);
      std::string_view text = bytes.substr(data, size);
      out.strings[name] = std::string(text.substr(0, text.find('\0')));
    }
    offset = entry_end;
  }
  return out;
}

std::optional<PerfHeap>
perf_max_heap(const PerfCounters& counters)
{
  auto get = [&](const char* name) -> std::optional<uint64_t> {
    auto it = counters.longs.find(name);
    if (it == counters.longs.end() || it->second < 0) {
      return std::nullopt;
    }
    return static_cast<uint64_t>(it->second);
  };
  PerfHeap heap;
  if (auto it = counters.strings.find("sun.gc.policy.name"); it != counters.strings.end()) {
    heap.policy = it->second;
  }
  auto young = get("sun.gc.generation.0.maxCapacity");
  auto old = get("sun.gc.generation.1.maxCapacity");
  if (!old || *old == 0) {
    return std::nullopt;
  }
  if (heap.policy.find("GarbageFirst") != std::string::npos) {
    constexpr uint64_t k_mib = 1024 * 1024;
    heap.max_bytes = *old / k_mib * k_mib;
    heap.rule = fmt::format("G1: sun.gc.generation.1.maxCapacity {} (the whole heap, padded) "
                            "rounded down to whole MiB",
                            *old);
  } else if (young && *young > 0) {
    heap.max_bytes = *young + *old;
    heap.rule = fmt::format("sun.gc.generation.0.maxCapacity {} + sun.gc.generation.1.maxCapacity "
                            "{}",
                            *young,
                            *old);
  } else {
    heap.max_bytes = *old;
    heap.rule =
        fmt::format("sun.gc.generation.1.maxCapacity {} (one generation: the whole heap)", *old);
  }
  return heap;
}

} // namespace decant::java
