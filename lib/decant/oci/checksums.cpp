#include <decant/oci/checksums.hpp>
#include <decant/util/fs.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

namespace decant {

namespace {

std::string
describe(const std::string& sha256, uint64_t size)
{
  return fmt::format("sha256:{}, {} bytes", sha256, size);
}

// The file's SHA-256 and size now, or what keeps it from being read.
std::string
read_now(const HostRoot& root,
         const FileChecksum& packed,
         uint64_t& done,
         const std::function<void()>& tick)
{
  int fd = ::open(root.real(packed.path).c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return errno == ENOENT ? "gone" : std::string("unreadable: ") + std::strerror(errno);
  }
  static thread_local std::string buffer(1 << 20, '\0');
  Sha256 hash;
  uint64_t size = 0;
  for (;;) {
    ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return std::string("unreadable: ") + std::strerror(err);
    }
    if (n == 0) {
      break;
    }
    hash.update(buffer.data(), static_cast<size_t>(n));
    size += static_cast<uint64_t>(n);
    done += static_cast<uint64_t>(n);
    tick();
  }
  ::close(fd);
  return describe(hash.hex(), size);
}

} // namespace

std::vector<ChecksumDifference>
compare_checksums(const HostRoot& root,
                  const std::vector<FileChecksum>& checksums,
                  const std::function<void(uint64_t done, uint64_t total)>& progress)
{
  uint64_t total = 0;
  for (const auto& file : checksums) {
    total += file.size;
  }
  uint64_t done = 0;
  auto tick = [&] {
    if (progress) {
      progress(std::min(done, total), total);
    }
  };
  std::vector<ChecksumDifference> differences;
  for (const auto& file : checksums) {
    std::string packed = describe(file.sha256, file.size);
    std::string now = read_now(root, file, done, tick);
    if (now != packed) {
      differences.push_back({file.path, packed, now});
    }
  }
  done = total;
  tick();
  return differences;
}

nlohmann::json
to_json(const std::vector<FileChecksum>& checksums)
{
  nlohmann::json out = nlohmann::json::array();
  for (const auto& file : checksums) {
    out.push_back({{"path", file.path}, {"size", file.size}, {"sha256", file.sha256}});
  }
  return out;
}

Result<std::vector<FileChecksum>>
checksums_from_json(const nlohmann::json& json)
{
  if (!json.is_array()) {
    return fail(ErrorCode::invalid_input, "not an array of {{path, size, sha256}}");
  }
  std::vector<FileChecksum> out;
  for (size_t i = 0; i < json.size(); ++i) {
    const auto& item = json[i];
    if (!item.is_object() || !item.contains("path") || !item["path"].is_string()
        || !item.contains("size") || !item["size"].is_number_unsigned() || !item.contains("sha256")
        || !item["sha256"].is_string()) {
      return fail(ErrorCode::invalid_input, "[{}] is not {{path, size, sha256}}", i);
    }
    out.push_back({item["path"].get<std::string>(),
                   item["size"].get<uint64_t>(),
                   item["sha256"].get<std::string>()});
  }
  return out;
}

} // namespace decant
