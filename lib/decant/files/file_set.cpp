#include <decant/files/file_set.hpp>

namespace decant {

void
set_times(PackEntry& entry, const struct stat& st)
{
  entry.mtime = st.st_mtim.tv_sec;
  entry.mtime_nsec = st.st_mtim.tv_nsec;
  entry.ctime_ns = static_cast<int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
}

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
