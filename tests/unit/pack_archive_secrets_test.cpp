// lib/decant/pack/archive_secrets.cpp: a WAR's META-INF/context.xml packed with its passwords
// replaced by references (pack --externalize-secrets), and everything else of the archive kept.
#include "test_support.hpp"

#include <decant/pack/archive_secrets.hpp>
#include <decant/pack/file_set.hpp>

#include <archive.h>
#include <gtest/gtest.h>

#include <archive_entry.h>

#include <map>

namespace decant {
namespace {

using test::TempDir;

const char* const k_context = R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- the shop's data source -->
<Context>
  <Resource name="jdbc/shop" auth="Container" type="javax.sql.DataSource"
            username="shop" password="war-db-pass"
            url="jdbc:postgresql://db:5432/shop"/>
  <Resource name="jdbc/audit" password="audit-pass"/>
</Context>
)";

ArchiveSecret
edit(int line, const std::string& name, const std::string& element = "Resource")
{
  return {"META-INF/context.xml", line, element, "password", name, "${decant.secret." + name + "}"};
}

std::map<std::string, std::string>
unzip(const std::string& bytes)
{
  std::map<std::string, std::string> out;
  archive* reader = archive_read_new();
  archive_read_support_format_zip(reader);
  EXPECT_EQ(archive_read_open_memory(reader, bytes.data(), bytes.size()), ARCHIVE_OK);
  archive_entry* entry = nullptr;
  while (archive_read_next_header(reader, &entry) == ARCHIVE_OK) {
    std::string content;
    char buffer[4096];
    la_ssize_t n;
    while ((n = archive_read_data(reader, buffer, sizeof(buffer))) > 0) {
      content.append(buffer, static_cast<size_t>(n));
    }
    out[archive_entry_pathname(entry)] = content;
  }
  archive_read_free(reader);
  return out;
}

TEST(ArchiveSecrets, ReplacesOnlyTheNamedAttributes)
{
  auto got = replace_xml_attributes(k_context, {edit(4, "SHOP"), edit(7, "AUDIT")}, "c.xml");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ(got->find("war-db-pass"), std::string::npos);
  EXPECT_EQ(got->find("audit-pass"), std::string::npos);
  EXPECT_NE(got->find("password=\"${decant.secret.SHOP}\""), std::string::npos) << *got;
  EXPECT_NE(got->find("password=\"${decant.secret.AUDIT}\""), std::string::npos);
  // The rest as written: declaration, comment, the URL, the layout of lines.
  EXPECT_NE(got->find("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"), std::string::npos);
  EXPECT_NE(got->find("<!-- the shop's data source -->"), std::string::npos);
  EXPECT_NE(got->find("url=\"jdbc:postgresql://db:5432/shop\""), std::string::npos);
  // Only the values differ: same lines, same length apart from them.
  std::string expected = k_context;
  expected.replace(expected.find("war-db-pass"), 11, "${decant.secret.SHOP}");
  expected.replace(expected.find("audit-pass"), 10, "${decant.secret.AUDIT}");
  EXPECT_EQ(*got, expected);
}

TEST(ArchiveSecrets, AnEditThatMatchesNothingFails)
{
  for (const auto& wrong : {edit(5, "SHOP"), edit(4, "SHOP", "Environment")}) {
    auto got = replace_xml_attributes(k_context, {wrong}, "/w/shop.war!/META-INF/context.xml");
    ASSERT_FALSE(got);
    EXPECT_EQ(got.error().code, ErrorCode::invalid_input);
    EXPECT_NE(got.error().message.find("/w/shop.war!/META-INF/context.xml"), std::string::npos);
    EXPECT_NE(got.error().message.find("changed since the analysis"), std::string::npos);
  }
  auto broken = replace_xml_attributes("<Context", {edit(1, "X")}, "c.xml");
  ASSERT_FALSE(broken);
}

TEST(ArchiveSecrets, AnAttributeWrittenTwiceInOneElementIsRefused)
{
  // Found by fuzzing: two edits found the first value and left the second password in place.
  const char* twice = "<Context>\n<Resource name=\"a\" password=\"one\" password=\"two\"/>\n"
                      "</Context>\n";
  auto replaced = replace_xml_attributes(twice, {edit(2, "A1"), edit(2, "A2")}, "x.war");
  ASSERT_FALSE(replaced);
  EXPECT_NE(replaced.error().message.find("same secret attribute twice"), std::string::npos)
      << replaced.error().message;
  EXPECT_EQ(replaced.error().message.find("two"), std::string::npos);
}

TEST(ArchiveSecrets, RewritesTheArchiveEntryByEntry)
{
  TempDir dir;
  std::string war = dir.write("shop.war",
                              test::zip_bytes({{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"},
                                               {"META-INF/context.xml", k_context},
                                               {"WEB-INF/lib/a.jar", std::string(5000, 'x')},
                                               {"index.jsp", "<%= 1 %>\n"}}));
  auto bytes = externalize_archive_secrets(war, {edit(4, "SHOP"), edit(7, "AUDIT")}, war);
  ASSERT_TRUE(bytes) << bytes.error().message;
  auto entries = unzip(*bytes);
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries["index.jsp"], "<%= 1 %>\n");
  EXPECT_EQ(entries["WEB-INF/lib/a.jar"], std::string(5000, 'x'));
  EXPECT_EQ(entries["META-INF/context.xml"].find("war-db-pass"), std::string::npos);
  EXPECT_EQ(bytes->find("war-db-pass"), std::string::npos);

  ArchiveSecret missing = edit(4, "SHOP");
  missing.entry = "META-INF/other.xml";
  auto failed = externalize_archive_secrets(war, {missing}, war);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("no entry META-INF/other.xml"), std::string::npos);
  std::string not_zip = dir.write("bad.war", "not a zip");
  EXPECT_FALSE(externalize_archive_secrets(not_zip, {edit(4, "SHOP")}, not_zip));
}

TEST(ArchiveSecrets, PackedRewrittenWithExternalizeSecretsElseAsIs)
{
  TempDir tree;
  tree.write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
  tree.write("opt/app/bin/run", "#!/bin/sh\n");
  std::string war =
      tree.write("opt/app/webapps/shop.war",
                 test::zip_bytes({{"META-INF/context.xml", k_context}, {"index.jsp", "x\n"}}));
  Analysis a;
  a.application_id = "java-tomcat-00000000";
  a.application_type = "java-tomcat";
  a.start.command = {"/opt/app/bin/run"};
  a.files.push_back({"/opt/app", "the app", FileRole::app, false, false});
  a.files.push_back({"/opt/app/webapps/shop.war",
                     "holds secrets",
                     FileRole::app,
                     true,
                     false,
                     {edit(4, "SHOP")}});
  auto root = HostRoot::open(tree.path()).value();
  ExpandOptions plain;
  plain.system_files = false;
  auto as_is = expand_file_set(a, root, plain);
  ASSERT_TRUE(as_is) << as_is.error().message;
  EXPECT_FALSE(as_is->entries.at("/opt/app/webapps/shop.war").generated);
  EXPECT_EQ(as_is->secret_files, std::vector<std::string>{"/opt/app/webapps/shop.war"});

  ExpandOptions externalized = plain;
  externalized.externalize_secrets = true;
  auto rewritten = expand_file_set(a, root, externalized);
  ASSERT_TRUE(rewritten) << rewritten.error().message;
  const auto& entry = rewritten->entries.at("/opt/app/webapps/shop.war");
  EXPECT_TRUE(entry.generated);
  EXPECT_EQ(entry.size, entry.content.size());
  EXPECT_EQ(entry.content.find("war-db-pass"), std::string::npos);
  EXPECT_NE(unzip(entry.content)["META-INF/context.xml"].find("${decant.secret.SHOP}"),
            std::string::npos);
  EXPECT_TRUE(rewritten->secret_files.empty());
  bool said = false;
  for (const auto& w : rewritten->warnings) {
    said = said || w.code == "secrets-replaced";
  }
  EXPECT_TRUE(said);
}

} // namespace
} // namespace decant
