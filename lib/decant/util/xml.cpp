#include <decant/util/limits.hpp>
#include <decant/util/strings.hpp>
#include <decant/util/xml.hpp>

namespace decant {

namespace {

// pugixml walks trees without recursion; the analyzers' own walks recurse, so the depth is
// checked once here, before any of them runs.
struct DepthCheck : pugi::xml_tree_walker {
  pugi::xml_node too_deep;

  bool
  for_each(pugi::xml_node& node) override
  {
    if (depth() >= limits::k_xml_depth) {
      too_deep = node;
      return false;
    }
    return true;
  }
};

} // namespace

Status
load_xml(pugi::xml_document& doc,
         std::string_view content,
         const std::string& file,
         const std::string& hint,
         unsigned options)
{
  if (content.size() > limits::k_text_file_bytes) {
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}: larger than {} (decant's limit for a configuration file)",
                                  file,
                                  human_bytes(limits::k_text_file_bytes)),
                      hint));
  }
  auto result = doc.load_buffer(content.data(), content.size(), options, pugi::encoding_auto);
  if (!result) {
    size_t offset = result.offset < 0 ? 0 : static_cast<size_t>(result.offset);
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}:{}: malformed XML: {}",
                                  file,
                                  line_of_offset(content, offset),
                                  result.description()),
                      hint));
  }
  DepthCheck check;
  doc.traverse(check);
  if (check.too_deep) {
    ptrdiff_t offset = check.too_deep.offset_debug();
    doc.reset();
    return fail(Error(ErrorCode::invalid_input,
                      fmt::format("{}:{}: elements nested deeper than {} levels (decant's limit)",
                                  file,
                                  line_of_offset(content, offset < 0 ? 0 : offset),
                                  limits::k_xml_depth),
                      hint));
  }
  return {};
}

} // namespace decant
