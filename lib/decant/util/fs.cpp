#include <decant/util/fs.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace decant {

Error
errno_error(const std::string& what, const std::string& path, int err)
{
  ErrorCode code = ErrorCode::failure;
  std::string hint;
  if (err == ENOENT || err == ENOTDIR) {
    code = ErrorCode::not_found;
  } else if (err == EACCES || err == EPERM) {
    code = ErrorCode::permission;
    hint = "run decant as root, or as the user that owns the file";
  }
  return Error(code, fmt::format("{} {}: {}", what, path, std::strerror(err)), hint);
}

Result<std::string>
read_file(const std::string& path)
{
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return fail(errno_error("cannot open", path, errno));
  }
  std::string content;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      ::close(fd);
      return fail(errno_error("cannot read", path, err));
    }
    if (n == 0) {
      break;
    }
    content.append(buffer, static_cast<size_t>(n));
  }
  ::close(fd);
  return content;
}

Status
write_file_atomic(const std::string& path, const std::string& content, mode_t mode)
{
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    return fail(errno_error("cannot create", tmp, errno));
  }
  // The umask may have narrowed the mode; secrets.json relies on exactly 0600.
  ::fchmod(fd, mode);
  const char* data = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return fail(errno_error("cannot write", tmp, err));
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(errno_error("cannot write", tmp, err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return fail(errno_error("cannot rename to", path, err));
  }
  return {};
}

Status
make_directories(const std::string& path, mode_t mode)
{
  std::error_code ec;
  std::filesystem::path p(path);
  std::filesystem::path current;
  for (const auto& part : p) {
    current /= part;
    if (current.empty() || current == current.root_path()) {
      continue;
    }
    if (::mkdir(current.c_str(), mode) != 0 && errno != EEXIST) {
      return fail(errno_error("cannot create directory", current.string(), errno));
    }
  }
  struct stat st {
  };
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail(ErrorCode::failure, "cannot create directory {}: a file is in the way", path);
  }
  return {};
}

} // namespace decant
