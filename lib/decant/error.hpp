#pragma once

#include <fmt/format.h>
#include <tl/expected.hpp>

#include <string>
#include <utility>

namespace decant {

// Exit codes of the decant command. Documented in README.md and `decant --help`; keep the three
// in step. Values are stable: scripts depend on them.
enum class ErrorCode : int {
  failure = 1,        // I/O error or anything not covered below
  usage = 2,          // bad command line
  not_found = 3,      // no such process, application id or file
  unsupported = 4,    // no analyzer recognizes the application, or an unsupported variant
  permission = 5,     // permission denied (run as root)
  invalid_input = 6,  // malformed analysis.json or configuration file
  source_changed = 7, // the source process exited or restarted while decant read it
  output_exists = 8,  // output directory exists and is not empty (use --force)
  network = 9,        // registry unreachable, rejected or unauthorized
  verification = 10,  // the packed image did not answer like the source
  aborted = 11,       // the operator declined to continue, or a limit (--max-size) was hit
};

inline int
exit_code(ErrorCode code)
{
  return static_cast<int>(code);
}

// An error with a code (the exit code) and a message that gains context on the way up:
// "tomcat: /etc/tomcat10/server.xml:12: Connector port "${http.port}" is undefined".
struct Error {
  ErrorCode code = ErrorCode::failure;
  std::string message;
  std::string hint; // what the operator can do about it; may be empty

  Error() = default;
  Error(ErrorCode c, std::string m, std::string h = {})
      : code(c),
        message(std::move(m)),
        hint(std::move(h))
  {
  }

  // Prefix the message with where it happened: err.context("tomcat").
  Error
  context(const std::string& where) const
  {
    return Error(code, where + ": " + message, hint);
  }
};

template<typename T> using Result = tl::expected<T, Error>;

using Status = tl::expected<void, Error>;

template<typename... Args>
tl::unexpected<Error>
fail(ErrorCode code, fmt::format_string<Args...> format, Args&&... args)
{
  return tl::unexpected<Error>(Error(code, fmt::format(format, std::forward<Args>(args)...)));
}

inline tl::unexpected<Error>
fail(Error error)
{
  return tl::unexpected<Error>(std::move(error));
}

// Error from errno after a failed system call on `path`.
Error errno_error(const std::string& what, const std::string& path, int err);

} // namespace decant
