#include <decant/oci/checksums.hpp>
#include <decant/oci/layer_cache.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/json.hpp>
#include <decant/util/strings.hpp>
#include <decant/version.hpp>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>
#include <set>
#include <string_view>
#include <type_traits>

namespace decant {

using nlohmann::json;

namespace {

namespace fs = std::filesystem;

bool
is_hex_key(const std::string& text)
{
  return text.size() == 64 && std::all_of(text.begin(), text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string
digest_hex(const std::string& digest)
{
  return digest.rfind("sha256:", 0) == 0 ? digest.substr(7) : std::string();
}

// Appends `field` and a NUL: the only byte no path, name or value can contain.
class KeyText
{
public:
  template<typename T>
  KeyText&
  operator<<(const T& field)
  {
    if constexpr (std::is_convertible_v<T, std::string_view>) {
      m_text.append(std::string_view(field));
    } else {
      m_text.append(std::to_string(field));
    }
    m_text.push_back('\0');
    return *this;
  }
  const std::string&
  str() const
  {
    return m_text;
  }

private:
  std::string m_text;
};

// One entry's part of the key. A directory or symlink is its header: what reaches the tar (the
// mtime as clamped). A regular file's content is known by its identity on the source: size,
// mtime and ctime to the nanosecond, device, inode and link count (a busy directory like /tmp
// changes its own times all the time, which must not make its layer new).
std::string
entry_key(const PackEntry& e, const LayerOptions& options)
{
  KeyText key;
  int64_t mtime = layer_mtime(e, options.clamp_mtime, options.directory_mtime);
  key << e.path << static_cast<int>(e.type) << e.mode << e.uid << e.gid << e.capability;
  if (e.type == EntryType::regular) {
    key << e.mtime << e.mtime_nsec << e.ctime_ns << e.size << e.device << e.inode << e.links
        << (e.live ? 1 : 0);
  } else {
    key << mtime << e.link_target;
  }
  if (e.generated) {
    Sha256 content;
    content.update(e.content.data(), e.content.size());
    key << "generated" << content.hex();
  }
  for (const auto& [name, value] : e.xattrs) {
    key << name << value;
  }
  if (!e.source.empty()) {
    // Read from a file decant built (a runtime rebuilt by jlink): that file's identity.
    struct stat st {
    };
    key << "source" << e.source;
    if (::stat(e.source.c_str(), &st) == 0) {
      key << st.st_size << st.st_mtim.tv_sec << st.st_mtim.tv_nsec << st.st_ino;
    }
  }
  return key.str() + "\n";
}

std::optional<LayerResult>
layer_from_json(const json& in)
{
  try {
    LayerResult layer;
    layer.blob.digest = in.at("digest").get<std::string>();
    layer.blob.size = in.at("size").get<uint64_t>();
    layer.diff_id = in.at("diffId").get<std::string>();
    layer.media_type = in.at("mediaType").get<std::string>();
    layer.tar_size = in.at("tarSize").get<uint64_t>();
    layer.files = in.at("files").get<size_t>();
    if (digest_hex(layer.blob.digest).empty()) {
      return std::nullopt;
    }
    return layer;
  } catch (const json::exception&) {
    return std::nullopt;
  }
}

bool
process_runs(int pid)
{
  return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM);
}

// Size of the file at `path`, 0 when it is not a regular file.
uint64_t
file_size(const std::string& path)
{
  struct stat st {
  };
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) ? static_cast<uint64_t>(st.st_size)
                                                               : 0;
}

} // namespace

void
remove_stale_temporary_files(const std::string& dir)
{
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(dir, ec)) {
    std::string name = item.path().filename().string();
    auto mark = name.rfind(".tmp.");
    if (mark == std::string::npos) {
      continue;
    }
    auto pid = parse_u64(name.substr(mark + 5));
    if (pid && *pid <= 0x7fffffff && !process_runs(static_cast<int>(*pid))) {
      std::error_code ignored;
      fs::remove(item.path(), ignored);
    }
  }
}

Status
link_or_copy(const std::string& from, const std::string& to)
{
  if (::access(to.c_str(), F_OK) == 0) {
    return {};
  }
  std::string tmp = to + ".tmp." + std::to_string(::getpid());
  ::unlink(tmp.c_str());
  if (::link(from.c_str(), tmp.c_str()) != 0) {
    if (errno != EXDEV && errno != EPERM && errno != EMLINK) {
      return fail(errno_error("cannot link", from, errno));
    }
    std::error_code ec;
    fs::copy_file(from, tmp, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      ::unlink(tmp.c_str());
      return fail(Error(ErrorCode::failure, fmt::format("cannot copy {}: {}", from, ec.message())));
    }
  }
  if (::rename(tmp.c_str(), to.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(errno_error("cannot rename to", to, err));
  }
  return {};
}

Result<LayerCache>
LayerCache::open(const std::string& dir, uint64_t max_bytes)
{
  for (const char* sub : {"/entries", "/blobs/sha256"}) {
    if (auto made = make_directories(dir + sub, 0700); !made) {
      return fail(made.error());
    }
    if (::access((dir + sub).c_str(), W_OK) != 0) {
      return fail(errno_error("cannot write to", dir + sub, errno));
    }
  }
  remove_stale_temporary_files(dir + "/entries");
  remove_stale_temporary_files(dir + "/blobs/sha256");
  return LayerCache(dir, max_bytes);
}

std::string
LayerCache::key(const std::vector<PackEntry>& entries, const LayerOptions& options)
{
  Sha256 hash;
  KeyText head;
  head << "decant-layer" << k_version << k_layer_format
       << static_cast<int>(options.compression.codec) << options.compression.level
       << (options.clamp_mtime ? std::to_string(*options.clamp_mtime) : "-")
       << (options.directory_mtime ? std::to_string(*options.directory_mtime) : "-");
  hash.update(head.str().data(), head.str().size());
  for (const auto& entry : entries) {
    std::string part = entry_key(entry, options);
    hash.update(part.data(), part.size());
  }
  return hash.hex();
}

std::optional<LayerResult>
LayerCache::take(const std::string& key, const std::string& blobs_dir, bool need_checksums) const
{
  if (!is_hex_key(key)) {
    return std::nullopt;
  }
  std::string entry_path = m_dir + "/entries/" + key + ".json";
  auto text = read_file(entry_path);
  if (!text) {
    return std::nullopt;
  }
  json in = parse_json(*text, entry_path).value_or(json());
  auto layer = in.is_object() ? layer_from_json(in) : std::nullopt;
  if (!layer) {
    ::unlink(entry_path.c_str()); // unreadable: written by something else, or damaged
    return std::nullopt;
  }
  if (need_checksums) {
    if (!in.contains("checksums")) {
      return std::nullopt;
    }
    auto checksums = checksums_from_json(in["checksums"]);
    if (!checksums) {
      return std::nullopt;
    }
    layer->checksums = std::move(*checksums);
  }
  std::string hex = digest_hex(layer->blob.digest);
  std::string blob = m_dir + "/blobs/sha256/" + hex;
  if (file_size(blob) != layer->blob.size) {
    // Evicted meanwhile, or not the blob it was: the layer is written again.
    ::unlink(entry_path.c_str());
    return std::nullopt;
  }
  if (!link_or_copy(blob, blobs_dir + "/" + hex)) {
    return std::nullopt;
  }
  ::utimensat(AT_FDCWD, entry_path.c_str(), nullptr, 0); // used now: evicted last
  return layer;
}

void
LayerCache::store(const std::string& key,
                  const LayerResult& layer,
                  const std::string& blobs_dir,
                  bool checksums_recorded) const
{
  std::string hex = digest_hex(layer.blob.digest);
  if (!is_hex_key(key) || hex.empty() || layer.changed_since_walk
      || layer.blob.size > m_max_bytes) {
    return;
  }
  if (!link_or_copy(blobs_dir + "/" + hex, m_dir + "/blobs/sha256/" + hex)) {
    return;
  }
  json out = {{"digest", layer.blob.digest},
              {"size", layer.blob.size},
              {"diffId", layer.diff_id},
              {"mediaType", layer.media_type},
              {"tarSize", layer.tar_size},
              {"files", layer.files}};
  if (checksums_recorded) {
    out["checksums"] = to_json(layer.checksums);
  } else if (auto previous = read_file(m_dir + "/entries/" + key + ".json")) {
    // Keep checksums an earlier pack recorded for the same layer.
    json old = parse_json(*previous, key).value_or(json());
    if (old.is_object() && old.contains("checksums")) {
      out["checksums"] = old["checksums"];
    }
  }
  (void)write_file_atomic(m_dir + "/entries/" + key + ".json", out.dump(), 0600);
  trim();
}

void
LayerCache::trim() const
{
  std::string blobs = m_dir + "/blobs/sha256";
  std::map<std::string, uint64_t> blob_sizes;
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& item : fs::directory_iterator(blobs, ec)) {
    std::string name = item.path().filename().string();
    if (is_hex_key(name)) {
      blob_sizes[name] = file_size(item.path().string());
      total += blob_sizes[name];
    }
  }
  if (total <= m_max_bytes) {
    return;
  }
  // One trimmer at a time; another one already does the work.
  int lock = ::open((m_dir + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || ::flock(lock, LOCK_EX | LOCK_NB) != 0) {
    if (lock >= 0) {
      ::close(lock);
    }
    return;
  }
  struct Entry {
    std::string path;
    std::string blob;
    int64_t used = 0;
  };
  std::vector<Entry> entries;
  for (const auto& item : fs::directory_iterator(m_dir + "/entries", ec)) {
    std::string path = item.path().string();
    if (item.path().extension() != ".json") {
      continue;
    }
    struct stat st {
    };
    auto text = read_file(path);
    json in = text ? parse_json(*text, path).value_or(json()) : json();
    auto layer = in.is_object() ? layer_from_json(in) : std::nullopt;
    if (!layer || ::stat(path.c_str(), &st) != 0) {
      fs::remove(item.path(), ec);
      continue;
    }
    entries.push_back({path, digest_hex(layer->blob.digest), st.st_mtim.tv_sec});
  }
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.used > b.used; // most recently used first
  });
  std::set<std::string> kept;
  uint64_t kept_bytes = 0;
  for (const auto& entry : entries) {
    uint64_t size = kept.count(entry.blob) ? 0 : blob_sizes[entry.blob];
    if (kept_bytes + size <= m_max_bytes) {
      kept.insert(entry.blob);
      kept_bytes += size;
    } else {
      std::error_code ignored;
      fs::remove(entry.path, ignored);
    }
  }
  for (const auto& [name, size] : blob_sizes) {
    if (!kept.count(name)) {
      std::error_code ignored;
      fs::remove(blobs + "/" + name, ignored);
    }
  }
  ::close(lock);
}

} // namespace decant
