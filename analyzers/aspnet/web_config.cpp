#include "web_config.hpp"

#include <decant/util/xml.hpp>

#include <pugixml.hpp>

namespace decant::aspnet {

Result<WebConfigHints>
read_web_config(std::string_view text, const std::string& path)
{
  pugi::xml_document doc;
  if (auto loaded = load_xml(
          doc, text, path, "fix web.config (IIS and the ASP.NET Core Module refuse it as well)");
      !loaded) {
    return fail(loaded.error());
  }
  // <configuration><system.webServer> or <configuration><location><system.webServer>.
  auto node = doc.select_node("//system.webServer/aspNetCore").node();
  if (!node) {
    return fail(ErrorCode::invalid_input, "{}: no <aspNetCore> element", path);
  }
  WebConfigHints hints;
  hints.process_path = node.attribute("processPath").as_string();
  hints.arguments = node.attribute("arguments").as_string();
  hints.hosting_model = node.attribute("hostingModel").as_string();
  auto handler = doc.select_node("//system.webServer/handlers/add[@name='aspNetCore']").node();
  hints.module = handler.attribute("modules").as_string();
  return hints;
}

} // namespace decant::aspnet
