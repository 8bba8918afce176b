#include <decant/files/file_set.hpp>

namespace decant {

std::vector<std::string>
FileSet::listed_paths() const
{
  std::vector<std::string> out;
  for (const auto& [path, entry] : entries) {
    if (entry.type != EntryType::directory) {
      out.push_back(path);
    }
  }
  return out;
}

uint64_t
FileSet::total_bytes() const
{
  uint64_t total = 0;
  for (const auto& [path, entry] : entries) {
    total += entry.size;
  }
  return total;
}

} // namespace decant
