#include <decant/util/output_directory.hpp>

#include <filesystem>

namespace decant {

std::optional<std::string>
foreign_entry(const std::string& dir,
              const std::function<bool(const std::string&)>& ours,
              const std::string& does_not)
{
  std::error_code ec;
  std::filesystem::directory_iterator entries(dir, ec);
  if (ec) {
    return "cannot be listed: " + ec.message();
  }
  for (const auto& item : entries) {
    std::string name = item.path().filename();
    if (!ours(name)) {
      return fmt::format("holds {}, which {}", name, does_not);
    }
  }
  return std::nullopt;
}

Result<OutputState>
check_output_directory(const std::string& dir, bool force, const OutputKind& kind)
{
  namespace fs = std::filesystem;
  // "out/" names the directory itself; with the slash, a symlink would be followed.
  std::string path = dir;
  while (path.size() > 1 && path.back() == '/') {
    path.pop_back();
  }
  std::error_code ec;
  auto status = fs::symlink_status(path, ec);
  if (ec || !fs::exists(status)) {
    return OutputState::missing;
  }
  if (!fs::is_directory(status)) {
    return fail(Error(ErrorCode::output_exists,
                      fmt::format("{} exists and is not a directory", dir),
                      fmt::format("choose another {} DIR", kind.option)));
  }
  fs::directory_iterator entries(path, ec);
  if (ec) {
    return fail(errno_error("cannot read", dir, ec.value()));
  }
  if (entries == fs::directory_iterator()) {
    return OutputState::empty;
  }
  if (!force) {
    return fail(Error(ErrorCode::output_exists,
                      fmt::format("{} {} exists and is not empty", kind.noun, dir),
                      fmt::format("choose another {} DIR, or add --force to replace {} in it",
                                  kind.option,
                                  kind.contents)));
  }
  if (auto foreign = kind.foreign(path)) {
    return fail(Error(ErrorCode::output_exists,
                      fmt::format("{} is not empty and {}", dir, *foreign),
                      fmt::format("--force only replaces {}; choose another {} DIR",
                                  kind.contents,
                                  kind.option)));
  }
  return OutputState::replace;
}

} // namespace decant
