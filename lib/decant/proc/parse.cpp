#include <decant/proc/parse.hpp>
#include <decant/util/strings.hpp>

#include <arpa/inet.h>

#include <cstring>

namespace decant {

namespace {

std::vector<std::string>
split_nul(std::string_view content)
{
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\0', start);
    if (end == std::string_view::npos) {
      end = content.size();
    }
    parts.emplace_back(content.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::vector<std::string_view>
split_fields(std::string_view line)
{
  std::vector<std::string_view> fields;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
      ++i;
    }
    size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') {
      ++i;
    }
    if (i > start) {
      fields.push_back(line.substr(start, i - start));
    }
  }
  return fields;
}

std::vector<std::string_view>
lines_of(std::string_view content)
{
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) {
      end = content.size();
    }
    lines.push_back(content.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

} // namespace

std::vector<std::string>
parse_cmdline(std::string_view content)
{
  return split_nul(content);
}

EnvList
parse_environ(std::string_view content)
{
  EnvList env;
  for (const auto& entry : split_nul(content)) {
    if (entry.empty()) {
      continue;
    }
    size_t eq = entry.find('=');
    if (eq == std::string::npos) {
      env.emplace_back(entry, "");
    } else {
      env.emplace_back(entry.substr(0, eq), entry.substr(eq + 1));
    }
  }
  return env;
}

Result<ProcStat>
parse_stat(std::string_view content)
{
  size_t open = content.find('(');
  size_t close = content.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    return fail(ErrorCode::invalid_input, "stat: no '(comm)' field");
  }
  ProcStat stat;
  auto pid = parse_i64(trim(content.substr(0, open)));
  if (!pid) {
    return fail(ErrorCode::invalid_input, "stat: pid is not a number");
  }
  stat.pid = static_cast<int>(*pid);
  stat.comm = std::string(content.substr(open + 1, close - open - 1));
  // Fields after ')' start at field 3 (state).
  auto fields = split_fields(trim(content.substr(close + 1)));
  auto field = [&](size_t number) -> std::string_view {
    size_t index = number - 3;
    return index < fields.size() ? fields[index] : std::string_view();
  };
  if (fields.size() < 22 || field(3).size() != 1) {
    return fail(
        ErrorCode::invalid_input, "stat: expected at least 24 fields, found {}", fields.size() + 2);
  }
  stat.state = field(3)[0];
  auto number = [&](size_t n) { return parse_u64(field(n)).value_or(0); };
  stat.ppid = static_cast<int>(parse_i64(field(4)).value_or(0));
  stat.utime = number(14);
  stat.stime = number(15);
  stat.num_threads = parse_i64(field(20)).value_or(0);
  auto start = parse_u64(field(22));
  if (!start) {
    return fail(ErrorCode::invalid_input, "stat: start time (field 22) is not a number");
  }
  stat.start_time = *start;
  stat.vsize = number(23);
  stat.rss_pages = parse_i64(field(24)).value_or(0);
  return stat;
}

Result<ProcStatus>
parse_status(std::string_view content)
{
  ProcStatus status;
  bool saw_name = false;
  bool saw_uid = false;
  for (auto line : lines_of(content)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    std::string_view key = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    auto fields = split_fields(value);
    auto kib = [&]() -> std::optional<uint64_t> {
      if (fields.empty()) {
        return std::nullopt;
      }
      auto n = parse_u64(fields[0]);
      if (!n) {
        return std::nullopt;
      }
      return *n * 1024;
    };
    if (key == "Name") {
      status.name = std::string(value);
      saw_name = true;
    } else if (key == "State") {
      status.state = value.empty() ? '?' : value[0];
    } else if (key == "PPid") {
      status.ppid = static_cast<int>(parse_i64(value).value_or(0));
    } else if (key == "Uid" || key == "Gid") {
      if (fields.size() != 4) {
        return fail(
            ErrorCode::invalid_input, "status: {} needs 4 ids, found {}", key, fields.size());
      }
      uint32_t* ids = key == "Uid" ? status.uid : status.gid;
      for (size_t i = 0; i < 4; ++i) {
        auto id = parse_u64(fields[i]);
        if (!id) {
          return fail(ErrorCode::invalid_input, "status: {} is not numeric: {}", key, value);
        }
        ids[i] = static_cast<uint32_t>(*id);
      }
      saw_uid = saw_uid || key == "Uid";
    } else if (key == "Groups") {
      for (auto f : fields) {
        if (auto id = parse_u64(f)) {
          status.groups.push_back(static_cast<uint32_t>(*id));
        }
      }
    } else if (key == "CapEff") {
      status.cap_eff = parse_u64(value, 16).value_or(0);
    } else if (key == "CapAmb") {
      status.cap_amb = parse_u64(value, 16).value_or(0);
    } else if (key == "CapPrm") {
      status.cap_prm = parse_u64(value, 16).value_or(0);
    } else if (key == "VmHWM") {
      status.vm_hwm_bytes = kib();
    } else if (key == "VmRSS") {
      status.vm_rss_bytes = kib();
    } else if (key == "Threads") {
      status.threads = parse_i64(value).value_or(0);
    } else if (key == "Kthread") {
      // Linux >= 6.x prints "Kthread: 1" for kernel threads.
      status.kernel_thread = value == "1";
    }
  }
  if (!saw_name || !saw_uid) {
    return fail(ErrorCode::invalid_input, "status: missing Name or Uid line");
  }
  if (!status.vm_rss_bytes && status.ppid == 2) {
    status.kernel_thread = true;
  }
  return status;
}

Result<std::map<std::string, Limit>>
parse_limits(std::string_view content)
{
  auto lines = lines_of(content);
  if (lines.empty() || !starts_with(lines[0], "Limit")) {
    return fail(ErrorCode::invalid_input, "limits: missing header line");
  }
  // Columns are fixed-width; their starts come from the header.
  size_t soft_col = lines[0].find("Soft Limit");
  size_t hard_col = lines[0].find("Hard Limit");
  size_t unit_col = lines[0].find("Units");
  // The kernel writes Limit, Soft Limit, Hard Limit, Units in that order; anything else (a
  // hand-made host tree) is refused rather than cut at columns that do not exist.
  if (soft_col == std::string_view::npos || hard_col == std::string_view::npos
      || hard_col <= soft_col || (unit_col != std::string_view::npos && unit_col <= hard_col)) {
    return fail(ErrorCode::invalid_input,
                "limits: the header lacks Soft Limit, Hard Limit and Units columns in that order");
  }
  std::map<std::string, Limit> limits;
  auto value = [](std::string_view text) -> std::optional<uint64_t> {
    if (text == "unlimited") {
      return std::nullopt;
    }
    return parse_u64(text);
  };
  for (size_t i = 1; i < lines.size(); ++i) {
    auto line = lines[i];
    if (trim(line).empty()) {
      continue;
    }
    if (line.size() <= hard_col) {
      return fail(ErrorCode::invalid_input, "limits: line {} is too short", i + 1);
    }
    std::string name(trim(line.substr(0, soft_col)));
    std::string_view soft = trim(line.substr(soft_col, hard_col - soft_col));
    std::string_view hard = trim(line.substr(
        hard_col,
        unit_col == std::string_view::npos ? std::string_view::npos : unit_col - hard_col));
    Limit limit;
    limit.soft = value(soft);
    limit.hard = value(hard);
    if ((soft != "unlimited" && !limit.soft) || (hard != "unlimited" && !limit.hard)) {
      return fail(ErrorCode::invalid_input, "limits: line {} has a non-numeric value", i + 1);
    }
    if (unit_col != std::string_view::npos && line.size() > unit_col) {
      limit.unit = std::string(trim(line.substr(unit_col)));
    }
    limits[name] = limit;
  }
  return limits;
}

Result<std::vector<CgroupEntry>>
parse_cgroup(std::string_view content)
{
  std::vector<CgroupEntry> entries;
  size_t number = 0;
  for (auto line : lines_of(content)) {
    ++number;
    if (line.empty()) {
      continue;
    }
    size_t first = line.find(':');
    size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
    if (second == std::string_view::npos) {
      return fail(ErrorCode::invalid_input, "cgroup: line {} is not id:controllers:path", number);
    }
    entries.push_back({std::string(line.substr(0, first)),
                       std::string(line.substr(first + 1, second - first - 1)),
                       std::string(line.substr(second + 1))});
  }
  return entries;
}

Result<std::vector<MapsEntry>>
parse_maps(std::string_view content)
{
  std::vector<MapsEntry> entries;
  size_t number = 0;
  for (auto line : lines_of(content)) {
    ++number;
    if (line.empty()) {
      continue;
    }
    // address perms offset dev inode [path]; the path starts after the 5th field's padding.
    MapsEntry entry;
    size_t pos = 0;
    std::string_view fields[5];
    for (auto& field : fields) {
      while (pos < line.size() && line[pos] == ' ') {
        ++pos;
      }
      size_t start = pos;
      while (pos < line.size() && line[pos] != ' ') {
        ++pos;
      }
      field = line.substr(start, pos - start);
    }
    size_t dash = fields[0].find('-');
    auto start =
        dash == std::string_view::npos ? std::nullopt : parse_u64(fields[0].substr(0, dash), 16);
    auto end =
        dash == std::string_view::npos ? std::nullopt : parse_u64(fields[0].substr(dash + 1), 16);
    auto offset = parse_u64(fields[2], 16);
    auto inode = parse_u64(fields[4]);
    if (!start || !end || !offset || !inode || fields[1].size() != 4) {
      return fail(ErrorCode::invalid_input, "maps: line {} is malformed", number);
    }
    entry.start = *start;
    entry.end = *end;
    entry.perms = std::string(fields[1]);
    entry.offset = *offset;
    entry.dev = std::string(fields[3]);
    entry.inode = *inode;
    while (pos < line.size() && line[pos] == ' ') {
      ++pos;
    }
    std::string_view path = line.substr(pos);
    const std::string_view deleted = " (deleted)";
    if (ends_with(path, deleted)) {
      entry.deleted = true;
      path.remove_suffix(deleted.size());
    }
    entry.path = std::string(path);
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<std::string>
mapped_files(const std::vector<MapsEntry>& maps)
{
  std::vector<std::string> files;
  for (const auto& entry : maps) {
    if (entry.path.empty() || entry.path[0] != '/' || entry.deleted || entry.inode == 0) {
      continue;
    }
    if (std::find(files.begin(), files.end(), entry.path) == files.end()) {
      files.push_back(entry.path);
    }
  }
  return files;
}

Result<FdInfo>
parse_fdinfo(std::string_view content)
{
  FdInfo info;
  bool saw_flags = false;
  for (auto line : lines_of(content)) {
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) {
      continue;
    }
    std::string_view key = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (key == "pos") {
      info.pos = parse_u64(value).value_or(0);
    } else if (key == "flags") {
      auto flags = parse_u64(value, 8);
      if (!flags) {
        return fail(ErrorCode::invalid_input, "fdinfo: flags are not octal: {}", value);
      }
      info.flags = static_cast<int>(*flags);
      saw_flags = true;
    } else if (key == "mnt_id") {
      info.mnt_id = parse_u64(value).value_or(0);
    }
  }
  if (!saw_flags) {
    return fail(ErrorCode::invalid_input, "fdinfo: no flags line");
  }
  return info;
}

namespace {

std::optional<std::string>
decode_address(std::string_view hex, bool ipv6)
{
  // Each 32-bit word was printed with %08X from host (little-endian) order.
  size_t words = ipv6 ? 4 : 1;
  if (hex.size() != words * 8) {
    return std::nullopt;
  }
  unsigned char bytes[16];
  for (size_t w = 0; w < words; ++w) {
    auto value = parse_u64(hex.substr(w * 8, 8), 16);
    if (!value) {
      return std::nullopt;
    }
    for (size_t b = 0; b < 4; ++b) {
      bytes[w * 4 + b] = static_cast<unsigned char>((*value >> (8 * b)) & 0xff);
    }
  }
  char text[INET6_ADDRSTRLEN];
  if (!inet_ntop(ipv6 ? AF_INET6 : AF_INET, bytes, text, sizeof(text))) {
    return std::nullopt;
  }
  return std::string(text);
}

} // namespace

Result<std::vector<TcpSocket>>
parse_net_tcp(std::string_view content, bool ipv6)
{
  std::vector<TcpSocket> sockets;
  auto lines = lines_of(content);
  for (size_t i = 1; i < lines.size(); ++i) {
    auto fields = split_fields(lines[i]);
    if (fields.empty()) {
      continue;
    }
    if (fields.size() < 10) {
      return fail(ErrorCode::invalid_input, "net/tcp: line {} has {} fields", i + 1, fields.size());
    }
    auto endpoint = [&](std::string_view field, std::string& address, uint16_t& port) -> bool {
      size_t colon = field.find(':');
      if (colon == std::string_view::npos) {
        return false;
      }
      auto decoded = decode_address(field.substr(0, colon), ipv6);
      auto p = parse_u64(field.substr(colon + 1), 16);
      if (!decoded || !p || *p > 65535) {
        return false;
      }
      address = *decoded;
      port = static_cast<uint16_t>(*p);
      return true;
    };
    TcpSocket socket;
    socket.ipv6 = ipv6;
    auto state = parse_u64(fields[3], 16);
    auto uid = parse_u64(fields[7]);
    auto inode = parse_u64(fields[9]);
    if (!endpoint(fields[1], socket.local_address, socket.local_port)
        || !endpoint(fields[2], socket.remote_address, socket.remote_port) || !state || !uid
        || !inode) {
      return fail(ErrorCode::invalid_input, "net/tcp: line {} is malformed", i + 1);
    }
    // include/net/tcp_states.h: TCP_ESTABLISHED = 1, TCP_LISTEN = 10.
    socket.state = *state == 1    ? TcpState::established
                   : *state == 10 ? TcpState::listen
                                  : TcpState::other;
    socket.uid = static_cast<uint32_t>(*uid);
    socket.inode = *inode;
    sockets.push_back(std::move(socket));
  }
  return sockets;
}

std::optional<uint64_t>
parse_socket_link(std::string_view link)
{
  const std::string_view prefix = "socket:[";
  if (!starts_with(link, prefix) || !ends_with(link, "]")) {
    return std::nullopt;
  }
  return parse_u64(link.substr(prefix.size(), link.size() - prefix.size() - 1));
}

std::map<std::string, std::string>
parse_os_release(std::string_view content)
{
  std::map<std::string, std::string> values;
  for (auto line : lines_of(content)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') {
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    std::string key(trim(line.substr(0, eq)));
    std::string_view raw = trim(line.substr(eq + 1));
    std::string value;
    if (raw.size() >= 2 && (raw.front() == '"' || raw.front() == '\'')
        && raw.back() == raw.front()) {
      char quote = raw.front();
      raw = raw.substr(1, raw.size() - 2);
      for (size_t i = 0; i < raw.size(); ++i) {
        if (quote == '"' && raw[i] == '\\' && i + 1 < raw.size()) {
          ++i;
        }
        value += raw[i];
      }
    } else {
      value = std::string(raw);
    }
    values[key] = value;
  }
  return values;
}

std::vector<PasswdEntry>
parse_passwd(std::string_view content)
{
  std::vector<PasswdEntry> entries;
  for (auto line : lines_of(content)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    auto parts = split(line, ':');
    if (parts.size() < 7) {
      continue;
    }
    auto uid = parse_u64(parts[2]);
    auto gid = parse_u64(parts[3]);
    if (!uid || !gid) {
      continue;
    }
    entries.push_back({parts[0],
                       static_cast<uint32_t>(*uid),
                       static_cast<uint32_t>(*gid),
                       parts[5],
                       parts[6],
                       std::string(line)});
  }
  return entries;
}

std::vector<GroupEntry>
parse_group(std::string_view content)
{
  std::vector<GroupEntry> entries;
  for (auto line : lines_of(content)) {
    if (line.empty() || line[0] == '#') {
      continue;
    }
    auto parts = split(line, ':');
    if (parts.size() < 4) {
      continue;
    }
    auto gid = parse_u64(parts[2]);
    if (!gid) {
      continue;
    }
    GroupEntry entry{parts[0], static_cast<uint32_t>(*gid), {}, std::string(line)};
    if (!parts[3].empty()) {
      entry.members = split(parts[3], ',');
    }
    entries.push_back(std::move(entry));
  }
  return entries;
}

std::vector<std::string>
capability_names(uint64_t mask)
{
  // include/uapi/linux/capability.h, in bit order.
  static const char* names[] = {
      "cap_chown",
      "cap_dac_override",
      "cap_dac_read_search",
      "cap_fowner",
      "cap_fsetid",
      "cap_kill",
      "cap_setgid",
      "cap_setuid",
      "cap_setpcap",
      "cap_linux_immutable",
      "cap_net_bind_service",
      "cap_net_broadcast",
      "cap_net_admin",
      "cap_net_raw",
      "cap_ipc_lock",
      "cap_ipc_owner",
      "cap_sys_module",
      "cap_sys_rawio",
      "cap_sys_chroot",
      "cap_sys_ptrace",
      "cap_sys_pacct",
      "cap_sys_admin",
      "cap_sys_boot",
      "cap_sys_nice",
      "cap_sys_resource",
      "cap_sys_time",
      "cap_sys_tty_config",
      "cap_mknod",
      "cap_lease",
      "cap_audit_write",
      "cap_audit_control",
      "cap_setfcap",
      "cap_mac_override",
      "cap_mac_admin",
      "cap_syslog",
      "cap_wake_alarm",
      "cap_block_suspend",
      "cap_audit_read",
      "cap_perfmon",
      "cap_bpf",
      "cap_checkpoint_restore",
  };
  std::vector<std::string> out;
  for (size_t bit = 0; bit < 64; ++bit) {
    if (mask & (uint64_t(1) << bit)) {
      out.push_back(bit < std::size(names) ? names[bit] : "cap_" + std::to_string(bit));
    }
  }
  return out;
}

} // namespace decant
