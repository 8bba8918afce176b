#include "test_support.hpp"

#include <decant/util/fs.hpp>

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace decant::test {

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

} // namespace decant::test
