#include <decant/pack/elf.hpp>
#include <decant/util/strings.hpp>

#include <elf.h>

#include <cstring>

namespace decant {

namespace {

template<typename T>
bool
read_at(std::string_view image, uint64_t offset, T& out)
{
  if (offset > image.size() || image.size() - offset < sizeof(T)) {
    return false;
  }
  std::memcpy(&out, image.data() + offset, sizeof(T));
  return true;
}

// A string from the dynamic string table, bounded by the image.
std::optional<std::string>
string_at(std::string_view image, uint64_t offset)
{
  if (offset >= image.size()) {
    return std::nullopt;
  }
  auto end = image.find('\0', offset);
  if (end == std::string_view::npos) {
    return std::nullopt;
  }
  return std::string(image.substr(offset, end - offset));
}

std::vector<std::string>
split_paths(const std::string& value)
{
  std::vector<std::string> out;
  for (const auto& part : split(value, ':')) {
    if (!part.empty()) {
      out.push_back(part);
    }
  }
  return out;
}

template<typename Ehdr, typename Phdr, typename Dyn>
Result<ElfInfo>
parse_class(std::string_view image, bool is_64)
{
  Ehdr header;
  if (!read_at(image, 0, header)) {
    return fail(ErrorCode::invalid_input, "truncated ELF header");
  }
  ElfInfo info;
  info.is_64 = is_64;
  info.machine = header.e_machine;
  if (header.e_phentsize != sizeof(Phdr)) {
    return fail(ErrorCode::invalid_input, "unexpected program header size {}", header.e_phentsize);
  }
  std::vector<Phdr> loads;
  std::optional<Phdr> dynamic;
  for (uint64_t i = 0; i < header.e_phnum; ++i) {
    Phdr ph;
    if (!read_at(image, header.e_phoff + i * sizeof(Phdr), ph)) {
      return fail(ErrorCode::invalid_input, "truncated program header {}", i);
    }
    if (ph.p_type == PT_INTERP) {
      auto interp = string_at(image, ph.p_offset);
      if (!interp) {
        return fail(ErrorCode::invalid_input, "PT_INTERP points outside the file");
      }
      info.interpreter = *interp;
    } else if (ph.p_type == PT_LOAD) {
      loads.push_back(ph);
    } else if (ph.p_type == PT_DYNAMIC) {
      dynamic = ph;
    }
  }
  if (!dynamic) {
    return info; // statically linked
  }
  // DT_STRTAB holds a virtual address; map it to a file offset through the PT_LOAD segments.
  auto to_offset = [&](uint64_t address) -> std::optional<uint64_t> {
    for (const auto& load : loads) {
      if (address >= load.p_vaddr && address < load.p_vaddr + load.p_filesz) {
        return address - load.p_vaddr + load.p_offset;
      }
    }
    return std::nullopt;
  };
  std::vector<std::pair<int64_t, uint64_t>> entries;
  uint64_t strtab = 0;
  bool have_strtab = false;
  for (uint64_t offset = dynamic->p_offset;
       offset + sizeof(Dyn) <= dynamic->p_offset + dynamic->p_filesz;
       offset += sizeof(Dyn)) {
    Dyn dyn;
    if (!read_at(image, offset, dyn)) {
      return fail(ErrorCode::invalid_input, "truncated dynamic section");
    }
    if (dyn.d_tag == DT_NULL) {
      break;
    }
    if (dyn.d_tag == DT_STRTAB) {
      auto mapped = to_offset(dyn.d_un.d_ptr);
      if (!mapped) {
        return fail(ErrorCode::invalid_input, "DT_STRTAB is outside every PT_LOAD segment");
      }
      strtab = *mapped;
      have_strtab = true;
    } else if (dyn.d_tag == DT_NEEDED || dyn.d_tag == DT_RPATH || dyn.d_tag == DT_RUNPATH) {
      entries.emplace_back(dyn.d_tag, dyn.d_un.d_val);
    }
  }
  if (!entries.empty() && !have_strtab) {
    return fail(ErrorCode::invalid_input, "dynamic section without DT_STRTAB");
  }
  for (const auto& [tag, value] : entries) {
    auto text = string_at(image, strtab + value);
    if (!text) {
      return fail(ErrorCode::invalid_input, "dynamic string outside the file");
    }
    if (tag == DT_NEEDED) {
      info.needed.push_back(*text);
    } else if (tag == DT_RPATH) {
      info.rpath = split_paths(*text);
    } else {
      info.runpath = split_paths(*text);
    }
  }
  return info;
}

} // namespace

bool
is_elf(std::string_view head)
{
  return head.size() >= 4 && std::memcmp(head.data(), ELFMAG, SELFMAG) == 0;
}

Result<ElfInfo>
parse_elf(std::string_view image)
{
  if (image.size() < EI_NIDENT || !is_elf(image)) {
    return fail(ErrorCode::invalid_input, "not an ELF file");
  }
  if (image[EI_DATA] != ELFDATA2LSB) {
    // Every architecture decant packs for (x86-64, arm64) is little-endian.
    return fail(ErrorCode::unsupported, "big-endian ELF files are not supported");
  }
  if (image[EI_CLASS] == ELFCLASS64) {
    return parse_class<Elf64_Ehdr, Elf64_Phdr, Elf64_Dyn>(image, true);
  }
  if (image[EI_CLASS] == ELFCLASS32) {
    return parse_class<Elf32_Ehdr, Elf32_Phdr, Elf32_Dyn>(image, false);
  }
  return fail(ErrorCode::invalid_input, "unknown ELF class {}", static_cast<int>(image[EI_CLASS]));
}

std::string
expand_origin(std::string_view entry, std::string_view origin)
{
  std::string out;
  size_t i = 0;
  while (i < entry.size()) {
    if (entry.compare(i, 9, "${ORIGIN}") == 0) {
      out += origin;
      i += 9;
    } else if (entry.compare(i, 7, "$ORIGIN") == 0) {
      out += origin;
      i += 7;
    } else {
      out += entry[i++];
    }
  }
  return out;
}

} // namespace decant
