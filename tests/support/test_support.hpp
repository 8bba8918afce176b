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

// A small Debian 12 server for machine mode at dir/relative: os-release, hostname, passwd,
// /usr/bin/sh (this machine's, which gives the architecture) with /bin -> usr/bin, a web root
// /srv/www/index.html and /tmp/junk (left out by default). Returns its path.
std::string write_fake_server(const TempDir& dir, const std::string& relative);

// Runs a shell command, returns its exit status and captures stdout (and stderr if asked).
struct CommandResult {
  int status = -1;
  std::string out;
  std::string err;
};
CommandResult run_command(const std::string& command);

// tests/e2e/lib/fake_registry.py (an in-memory OCI registry) on a free 127.0.0.1 port, stopped
// by its PID when this goes out of scope. `fail_at_patch` > 0 makes that PATCH answer 503;
// `port` 0 = a free one.
class FakeRegistry
{
public:
  explicit FakeRegistry(const std::string& log, int fail_at_patch = 0, int port = 0);
  ~FakeRegistry();
  FakeRegistry(const FakeRegistry&) = delete;
  FakeRegistry& operator=(const FakeRegistry&) = delete;
  bool ready() const;
  std::string address() const; // "127.0.0.1:PORT"

private:
  int m_port;
  int m_pid = -1;
};

// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
int free_port();

// The bytes of a zip file holding `entries` (name, content), deflated as jar(1) writes them.
std::string zip_bytes(const std::vector<std::pair<std::string, std::string>>& entries);

} // namespace decant::test
