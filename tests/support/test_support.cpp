#include "test_support.hpp"

#include <decant/util/fs.hpp>

#include <archive.h>
#include <gtest/gtest.h>

#include <archive_entry.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace decant::test {

namespace {

bool
accepts(int port)
{
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

} // namespace

int
free_port()
{
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

FakeRegistry::FakeRegistry(const std::string& log, int fail_at_patch, int port)
    : m_port(port > 0 ? port : free_port())
{
  std::string script = fixture("../tests/e2e/lib/fake_registry.py");
  std::string port_text = std::to_string(m_port);
  std::string fail_at = std::to_string(fail_at_patch);
  m_pid = ::fork();
  if (m_pid == 0) {
    ::execlp("python3",
             "python3",
             script.c_str(),
             port_text.c_str(),
             fail_at.c_str(),
             log.c_str(),
             nullptr);
    ::_exit(127);
  }
  for (int i = 0; i < 100 && !accepts(m_port); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

FakeRegistry::~FakeRegistry()
{
  if (m_pid > 0) {
    ::kill(m_pid, SIGTERM);
    ::waitpid(m_pid, nullptr, 0);
  }
}

bool
FakeRegistry::ready() const
{
  return m_pid > 0 && accepts(m_port);
}

std::string
FakeRegistry::address() const
{
  return "127.0.0.1:" + std::to_string(m_port);
}

std::string
fixture(const std::string& relative)
{
  return std::string(DECANT_FIXTURES_DIR) + "/" + relative;
}

TempDir::TempDir()
{
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base ? base : "/tmp") + "/decant-test-XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  if (made == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  m_path = made;
}

TempDir::~TempDir()
{
  auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info && info->result() && info->result()->Failed()) {
    std::fprintf(stderr, "kept temporary tree of failed test: %s\n", m_path.c_str());
    return;
  }
  std::error_code ec;
  std::filesystem::remove_all(m_path, ec);
}

std::string
TempDir::write(const std::string& relative, const std::string& content) const
{
  std::string path = m_path + "/" + relative;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << content;
  return path;
}

void
TempDir::symlink(const std::string& target, const std::string& relative) const
{
  std::string path = m_path + "/" + relative;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::filesystem::create_symlink(target, path);
}

std::string
write_fake_server(const TempDir& dir, const std::string& relative)
{
  std::string root = dir.path() + "/" + relative;
  dir.write(relative + "/etc/os-release",
            "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian 12\"\n");
  dir.write(relative + "/etc/hostname", "web01\n");
  dir.write(relative + "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  std::filesystem::create_directories(root + "/usr/bin");
  std::filesystem::copy_file("/bin/sh", root + "/usr/bin/sh");
  dir.symlink("usr/bin", relative + "/bin");
  dir.write(relative + "/srv/www/index.html", "<h1>hi</h1>");
  dir.write(relative + "/tmp/junk", "left out");
  return root;
}

CommandResult
run_command(const std::string& command)
{
  TempDir dir;
  std::string out = dir.path() + "/out";
  std::string err = dir.path() + "/err";
  int status = std::system((command + " >" + out + " 2>" + err).c_str());
  CommandResult result;
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_file(out).value_or("");
  result.err = read_file(err).value_or("");
  return result;
}

std::string
zip_bytes(const std::vector<std::pair<std::string, std::string>>& entries)
{
  std::string out;
  archive* writer = archive_write_new();
  archive_write_set_format_zip(writer);
  archive_write_set_bytes_per_block(writer, 0); // no padding after the end of the zip
  archive_write_open(
      writer,
      &out,
      nullptr,
      [](archive*, void* data, const void* buffer, size_t size) -> la_ssize_t {
        static_cast<std::string*>(data)->append(static_cast<const char*>(buffer), size);
        return static_cast<la_ssize_t>(size);
      },
      nullptr);
  for (const auto& [name, content] : entries) {
    archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_size(entry, static_cast<la_int64_t>(content.size()));
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    EXPECT_EQ(archive_write_header(writer, entry), ARCHIVE_OK);
    EXPECT_EQ(archive_write_data(writer, content.data(), content.size()),
              static_cast<la_ssize_t>(content.size()));
    archive_entry_free(entry);
  }
  archive_write_close(writer);
  archive_write_free(writer);
  return out;
}

} // namespace decant::test
