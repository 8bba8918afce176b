#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

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

std::string
file_kind(mode_t mode)
{
  switch (mode & S_IFMT) {
  case S_IFREG:
    return "a regular file";
  case S_IFDIR:
    return "a directory";
  case S_IFLNK:
    return "a symbolic link";
  case S_IFIFO:
    return "a FIFO";
  case S_IFSOCK:
    return "a socket";
  case S_IFCHR:
    return "a character device";
  case S_IFBLK:
    return "a block device";
  default:
    return "a special file";
  }
}

namespace {

// open(2) that never blocks on a FIFO or a device (O_NONBLOCK), then fstat: only a regular file
// is read. O_NOCTTY: a terminal opened by mistake must not become decant's controlling one.
Result<int>
open_regular(const std::string& path)
{
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENXIO) {
      // A socket (or a FIFO's peer missing on some kernels): never a file to read.
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("cannot read {}: it is a socket, not a regular file", path),
                        "point decant at the file itself, not at a socket"));
    }
    return fail(errno_error("cannot open", path, errno));
  }
  struct stat st {
  };
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return fail(errno_error("cannot stat", path, err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(Error(
        ErrorCode::invalid_input,
        fmt::format("cannot read {}: it is {}, not a regular file", path, file_kind(st.st_mode)),
        "replace it with the file it stands for, or leave it out"));
  }
  return fd;
}

} // namespace

Result<std::string>
read_file(const std::string& path, uint64_t max_bytes)
{
  auto fd = open_regular(path);
  if (!fd) {
    return fail(fd.error());
  }
  std::string content;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(*fd, buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      ::close(*fd);
      return fail(errno_error("cannot read", path, err));
    }
    if (n == 0) {
      break;
    }
    if (content.size() + static_cast<size_t>(n) > max_bytes) {
      ::close(*fd);
      return fail(Error(ErrorCode::invalid_input,
                        fmt::format("cannot read {}: it is larger than {} (decant's limit for "
                                    "this kind of file)",
                                    path,
                                    human_bytes(max_bytes)),
                        "a configuration file this large is not what decant expects here; "
                        "check that the path names the right file"));
    }
    content.append(buffer, static_cast<size_t>(n));
  }
  ::close(*fd);
  return content;
}

Result<std::string>
read_file_head(const std::string& path, size_t bytes)
{
  auto fd = open_regular(path);
  if (!fd) {
    return fail(fd.error());
  }
  std::string content(bytes, '\0');
  size_t have = 0;
  while (have < bytes) {
    ssize_t n = ::read(*fd, content.data() + have, bytes - have);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n < 0) {
      int err = errno;
      ::close(*fd);
      return fail(errno_error("cannot read", path, err));
    }
    if (n == 0) {
      break;
    }
    have += static_cast<size_t>(n);
  }
  ::close(*fd);
  content.resize(have);
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
