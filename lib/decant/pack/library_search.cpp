#include <decant/pack/library_search.hpp>
#include <decant/util/strings.hpp>

#include <elf.h>
#include <fcntl.h>
#include <glob.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <set>

namespace decant {

namespace {

void
read_conf(const HostRoot& root,
          const std::string& conf,
          std::vector<std::string>& dirs,
          std::set<std::string>& seen,
          int depth)
{
  // An include cycle (a.conf includes itself) must not recurse forever.
  if (depth > 8 || !seen.insert(conf).second) {
    return;
  }
  auto content = root.read_file(conf);
  if (!content) {
    return;
  }
  for (const auto& raw : split(*content, '\n')) {
    std::string line(trim(raw.substr(0, raw.find('#'))));
    if (line.empty() || starts_with(line, "hwcap ")) {
      continue;
    }
    if (starts_with(line, "include ") || starts_with(line, "include\t")) {
      std::string pattern(trim(std::string_view(line).substr(8)));
      pattern = host_path_join(dir_name(conf), pattern);
      // The glob runs on the real tree; matches are turned back into host paths.
      std::string real_pattern = root.real(pattern);
      glob_t matches{};
      if (::glob(real_pattern.c_str(), 0, nullptr, &matches) == 0) {
        size_t prefix = root.root() == "/" ? 0 : root.root().size();
        for (size_t i = 0; i < matches.gl_pathc; ++i) {
          read_conf(root, std::string(matches.gl_pathv[i]).substr(prefix), dirs, seen, depth + 1);
        }
      }
      ::globfree(&matches);
      continue;
    }
    // Entries may be separated by ':' ',' or whitespace (ldconfig(8)).
    std::string current;
    for (char c : line + " ") {
      if (c == ':' || c == ',' || c == ' ' || c == '\t') {
        if (!current.empty() && current[0] == '/') {
          dirs.push_back(HostRoot::normalize(current));
        }
        current.clear();
      } else {
        current += c;
      }
    }
  }
}

} // namespace

std::vector<std::string>
ld_so_conf_directories(const HostRoot& root, const std::string& conf)
{
  std::vector<std::string> dirs;
  std::set<std::string> seen;
  read_conf(root, conf, dirs, seen, 0);
  return dirs;
}

std::string
multiarch_triplet(uint16_t machine, bool is_64)
{
  switch (machine) {
  case EM_X86_64:
    return "x86_64-linux-gnu";
  case EM_AARCH64:
    return "aarch64-linux-gnu";
  case EM_386:
    return "i386-linux-gnu";
  case EM_ARM:
    return "arm-linux-gnueabihf";
  case EM_RISCV:
    return is_64 ? "riscv64-linux-gnu" : "riscv32-linux-gnu";
  case EM_PPC64:
    return "powerpc64le-linux-gnu";
  case EM_S390:
    return "s390x-linux-gnu";
  default:
    return "";
  }
}

LibrarySearch::LibrarySearch(const HostRoot& root, std::vector<std::string> ld_library_path)
    : m_root(root),
      m_ld_library_path(std::move(ld_library_path)),
      m_config_dirs(ld_so_conf_directories(root))
{
}

const ElfInfo*
LibrarySearch::info(const std::string& host_path) const
{
  auto found = m_cache.find(host_path);
  if (found != m_cache.end()) {
    return found->second ? &*found->second : nullptr;
  }
  std::optional<ElfInfo> parsed;
  // On the live root the kernel follows links itself; under another root they are resolved
  // inside it first, so an absolute link target cannot leave it.
  std::string real = m_root.is_live() ? host_path : m_root.real_resolved(host_path);
  int fd =
      ::open(real.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY); // never blocks on a FIFO
  struct stat st {
  };
  // The ELF magic first: most files of a walked tree are not ELF, and an mmap + munmap per
  // file cost more than the 64-byte read.
  char head[64];
  if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 64
      && ::pread(fd, head, sizeof(head), 0) == static_cast<ssize_t>(sizeof(head))
      && is_elf(std::string_view(head, sizeof(head)))) {
    // mmap: libjvm.so is 20 MB and only its headers are read.
    void* map = ::mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      std::string_view image(static_cast<const char*>(map), static_cast<size_t>(st.st_size));
      if (is_elf(image)) {
        if (auto elf = parse_elf(image)) {
          parsed = std::move(*elf);
        }
      }
      ::munmap(map, static_cast<size_t>(st.st_size));
    }
  }
  if (fd >= 0) {
    ::close(fd);
  }
  auto& slot = m_cache[host_path];
  slot = std::move(parsed);
  return slot ? &*slot : nullptr;
}

bool
LibrarySearch::compatible(const std::string& candidate, const ElfInfo& loader) const
{
  const ElfInfo* lib = info(candidate);
  return lib != nullptr && lib->machine == loader.machine && lib->is_64 == loader.is_64;
}

std::string
LibrarySearch::find(const std::string& soname,
                    const std::string& object_path,
                    const ElfInfo& loader) const
{
  if (soname.find('/') != std::string::npos) {
    // A DT_NEEDED with a slash is a path, used as is (relative to the working directory, which
    // decant cannot know; such names are absolute in practice).
    return compatible(soname, loader) ? soname : "";
  }
  auto known_origin = m_origins.find(object_path);
  if (known_origin == m_origins.end()) {
    known_origin =
        m_origins.emplace(object_path, dir_name(m_root.resolve(object_path).value_or(object_path)))
            .first;
  }
  const std::string& origin = known_origin->second;
  std::vector<std::string> dirs;
  auto add_list = [&](const std::vector<std::string>& list) {
    for (const auto& entry : list) {
      std::string dir = expand_origin(entry, origin);
      if (dir.find('$') == std::string::npos && !dir.empty()) {
        dirs.push_back(host_path_join(origin, dir));
      }
    }
  };
  if (loader.runpath.empty()) {
    add_list(loader.rpath);
  }
  add_list(m_ld_library_path);
  add_list(loader.runpath);
  dirs.insert(dirs.end(), m_config_dirs.begin(), m_config_dirs.end());
  std::string triplet = multiarch_triplet(loader.machine, loader.is_64);
  if (!triplet.empty()) {
    dirs.push_back("/lib/" + triplet);
    dirs.push_back("/usr/lib/" + triplet);
  }
  if (loader.is_64) {
    dirs.push_back("/lib64");
    dirs.push_back("/usr/lib64");
  }
  dirs.push_back("/lib");
  dirs.push_back("/usr/lib");
  // Most objects search the same directories for the same few sonames (every JDK library
  // needs libc.so.6 and libjava.so): each search runs once.
  std::string key = soname + '\n' + std::to_string(loader.machine) + (loader.is_64 ? "/64" : "/32");
  for (const auto& dir : dirs) {
    key += '\n' + dir;
  }
  if (auto cached = m_found.find(key); cached != m_found.end()) {
    return cached->second;
  }
  std::string found;
  for (const auto& dir : dirs) {
    std::string candidate = HostRoot::normalize(dir + "/" + soname);
    if (m_root.exists(candidate) && compatible(candidate, loader)) {
      found = candidate;
      break;
    }
  }
  m_found.emplace(key, found);
  return found;
}

ElfClosure
LibrarySearch::closure(const std::vector<std::string>& roots) const
{
  ElfClosure out;
  std::set<std::string>
      done; // by resolved path: one library reached through two names is read once
  std::set<std::string> listed;
  std::deque<std::string> queue;
  for (const auto& root : roots) {
    queue.push_back(root);
  }
  while (!queue.empty()) {
    std::string object = queue.front();
    queue.pop_front();
    std::string resolved = m_root.resolve(object).value_or(object);
    if (!done.insert(resolved).second) {
      continue;
    }
    const ElfInfo* elf = info(object);
    if (elf == nullptr) {
      continue;
    }
    auto add = [&](const std::string& path) {
      if (listed.insert(path).second) {
        out.libraries.push_back({path, object});
      }
      queue.push_back(path);
    };
    if (!elf->interpreter.empty()) {
      if (m_root.exists(elf->interpreter)) {
        add(elf->interpreter);
      } else {
        out.missing.push_back(elf->interpreter + " (interpreter) needed by " + object);
      }
    }
    for (const auto& soname : elf->needed) {
      std::string path = find(soname, object, *elf);
      if (path.empty()) {
        out.missing.push_back(soname + " needed by " + object);
      } else {
        add(path);
      }
    }
  }
  return out;
}

} // namespace decant
