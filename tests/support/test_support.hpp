#pragma once

// Helpers shared by tests: per-test temporary trees (kept when a test fails) and fixture paths.

#include <string>
#include <utility>
#include <vector>

namespace decant::test {

// Absolute path of fixtures/<relative>.
std::string fixture(const std::string& relative);

// A fresh directory for one test, removed afterwards unless the test failed (then its path is
// printed so the tree can be inspected).
class TempDir
{
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string&
  path() const
  {
    return m_path;
  }
  // Writes a file (creating parent directories) and returns its path.
  std::string write(const std::string& relative, const std::string& content) const;
  // Creates a symbolic link at `relative` pointing at `target`.
  void symlink(const std::string& target, const std::string& relative) const;

private:
  std::string m_path;
};

// Runs a shell command, returns its exit status and captures stdout (and stderr if asked).
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};
CommandResult run_command(const std::string& command);

// The bytes of a zip file holding `entries` (name, content), deflated as jar(1) writes them.
std::string zip_bytes(const std::vector<std::pair<std::string, std::string>>& entries);

} // namespace decant::test
