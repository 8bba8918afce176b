#include <decant/files/file_set.hpp>
#include <decant/util/strings.hpp>

#include <sys/xattr.h>

#include <cstring>

namespace decant {

void
read_kept_xattrs(const std::string& real_path, PackEntry& entry)
{
  char names[4096];
  ssize_t length = ::llistxattr(real_path.c_str(), names, sizeof(names));
  if (length <= 0) {
    return; // none, or a file system without xattrs (ENOTSUP), or a list too long to be ours
  }
  for (const char* name = names; name < names + length; name += std::strlen(name) + 1) {
    std::string key(name);
    bool capability = key == "security.capability";
    bool keep = capability || key == "system.posix_acl_access" || key == "system.posix_acl_default"
                || starts_with(key, "user.");
    if (!keep) {
      continue;
    }
    std::string value(65536, '\0');
    ssize_t n = ::lgetxattr(real_path.c_str(), name, value.data(), value.size());
    if (n < 0) {
      continue; // removed since the listing
    }
    value.resize(static_cast<size_t>(n));
    if (capability) {
      entry.capability = std::move(value);
    } else {
      entry.xattrs.emplace_back(std::move(key), std::move(value));
    }
  }
}

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
