// The layer cache: a second pack of unchanged files links every layer with the same digests; one
// changed file writes only its layer again, with the digest a pack without the cache gives; the
// key follows every input of the bytes; the bound evicts least recently used layers; temporary
// files of dead processes go; checksums recorded while a layer is written match the files.

#include "test_support.hpp"

#include <decant/oci/checksums.hpp>
#include <decant/oci/layer_cache.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>
#include <decant/workflow/analyze.hpp>
#include <decant/workflow/pack.hpp>

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <registry.hpp>
#include <thread>

namespace decant {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

class LayerCacheTest : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    fs::copy(test::fixture("hosts/tomcat-debian"),
             host,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks);
    root = HostRoot::open(host).value();
    workflow::AnalyzeOptions analyze;
    analyze.target = "4242";
    analyze.output = dir.path() + "/analysis.json";
    ASSERT_TRUE(workflow::analyze(*root, analyzers(), analyze));
    options.analysis = analyze.output;
    options.force = true;
    options.reproducible = true;
    options.layer_cache = dir.path() + "/cache";
  }

  ImageSummary
  pack(const std::string& output)
  {
    options.output = dir.path() + "/" + output;
    auto packed = workflow::pack(*root, options);
    EXPECT_TRUE(packed) << packed.error().message;
    return packed ? *packed->image : ImageSummary{};
  }

  static std::vector<bool>
  cached(const ImageSummary& image)
  {
    std::vector<bool> out;
    for (const auto& layer : image.layers) {
      out.push_back(layer.cached);
    }
    return out;
  }

  TempDir dir;
  std::string host = dir.path() + "/host";
  std::optional<HostRoot> root;
  workflow::PackOptions options;
};

TEST_F(LayerCacheTest, UnchangedFilesAreLinkedOneChangedFileWritesItsLayer)
{
  auto first = pack("img1");
  ASSERT_EQ(first.layers.size(), 5u);
  EXPECT_EQ(cached(first), std::vector<bool>(5, false));
  auto second = pack("img2");
  EXPECT_EQ(cached(second), std::vector<bool>(5, true));
  EXPECT_EQ(second.manifest_digest, first.manifest_digest);
  // The blobs are whole, linked from the cache.
  for (const auto& layer : second.layers) {
    std::string blob = options.output + "/blobs/sha256/" + layer.digest.substr(7);
    EXPECT_EQ(sha256_hex(read_file(blob).value()), layer.digest.substr(7));
  }
  // One webapp file changes: only the application layer is written again.
  std::string page = host + "/var/lib/tomcat10/webapps/ROOT/index.html";
  ASSERT_TRUE(write_file_atomic(page, "<h1>version 2</h1>\n"));
  auto third = pack("img3");
  std::vector<bool> expected(5, true);
  for (size_t i = 0; i < third.layers.size(); ++i) {
    expected[i] = third.layers[i].role != FileRole::app;
  }
  EXPECT_EQ(cached(third), expected);
  EXPECT_NE(third.manifest_digest, first.manifest_digest);
  // The same digest as packing without the cache.
  auto layer_cache = options.layer_cache;
  options.layer_cache.clear();
  auto fresh = pack("img4");
  EXPECT_EQ(fresh.manifest_digest, third.manifest_digest);
  options.layer_cache = layer_cache;
}

TEST_F(LayerCacheTest, KeyFollowsEveryInputOfTheBytes)
{
  PackEntry file;
  file.path = "/srv/app/a.txt";
  file.mode = 0644;
  file.size = 10;
  file.mtime = 1000;
  file.inode = 7;
  PackEntry dir_entry;
  dir_entry.path = "/srv/app";
  dir_entry.type = EntryType::directory;
  dir_entry.mode = 0755;
  dir_entry.mtime = 5000;
  LayerOptions layer;
  layer.compression = make_compression(7, false);
  std::string base = LayerCache::key({dir_entry, file}, layer);
  EXPECT_EQ(base, LayerCache::key({dir_entry, file}, layer));
  auto differs = [&](auto change) {
    PackEntry d = dir_entry;
    PackEntry f = file;
    LayerOptions o = layer;
    change(d, f, o);
    return LayerCache::key({d, f}, o) != base;
  };
  EXPECT_TRUE(differs([](PackEntry&, PackEntry& f, LayerOptions&) { f.mtime_nsec = 1; }));
  EXPECT_TRUE(differs([](PackEntry&, PackEntry& f, LayerOptions&) { f.ctime_ns = 1; }));
  EXPECT_TRUE(differs([](PackEntry&, PackEntry& f, LayerOptions&) { f.size = 11; }));
  EXPECT_TRUE(differs([](PackEntry&, PackEntry& f, LayerOptions&) { f.inode = 8; }));
  EXPECT_TRUE(differs([](PackEntry&, PackEntry& f, LayerOptions&) { f.mode = 0600; }));
  EXPECT_TRUE(differs([](PackEntry&, PackEntry& f, LayerOptions&) { f.uid = 1; }));
  EXPECT_TRUE(differs([](PackEntry&, PackEntry& f, LayerOptions&) { f.path = "/srv/app/b.txt"; }));
  EXPECT_TRUE(differs([](PackEntry&, PackEntry& f, LayerOptions&) {
    f.xattrs.push_back({"user.x", "1"});
  }));
  EXPECT_TRUE(differs(
      [](PackEntry&, PackEntry&, LayerOptions& o) { o.compression = make_compression(6, false); }));
  EXPECT_TRUE(differs(
      [](PackEntry&, PackEntry&, LayerOptions& o) { o.compression = make_compression(7, true); }));
  EXPECT_TRUE(differs([](PackEntry&, PackEntry&, LayerOptions& o) { o.clamp_mtime = 4000; }));
  // A directory is its header: its times beyond the clamp date do not reach the tar.
  layer.clamp_mtime = 4000;
  base = LayerCache::key({dir_entry, file}, layer);
  EXPECT_FALSE(differs([](PackEntry& d, PackEntry&, LayerOptions&) { d.mtime = 6000; }));
  EXPECT_FALSE(differs([](PackEntry& d, PackEntry&, LayerOptions&) { d.ctime_ns = 9; }));
  EXPECT_TRUE(differs([](PackEntry& d, PackEntry&, LayerOptions&) { d.mtime = 3000; }));
  EXPECT_TRUE(differs([](PackEntry&, PackEntry&, LayerOptions& o) { o.directory_mtime = 1; }));
  // With one mtime for every directory, none of a directory's own times matters.
  layer.directory_mtime = 1;
  base = LayerCache::key({dir_entry, file}, layer);
  EXPECT_FALSE(differs([](PackEntry& d, PackEntry&, LayerOptions&) { d.mtime = 3000; }));
  EXPECT_FALSE(differs([](PackEntry& d, PackEntry&, LayerOptions&) { d.mtime = 6000; }));
  EXPECT_TRUE(differs([](PackEntry&, PackEntry& f, LayerOptions&) { f.mtime_nsec = 1; }));
}

TEST_F(LayerCacheTest, BoundEvictsAndDeadProcessesTemporaryFilesGo)
{
  pack("img1");
  std::string entries = options.layer_cache + "/entries";
  std::string blobs = options.layer_cache + "/blobs/sha256";
  size_t before = 0;
  for ([[maybe_unused]] const auto& item : fs::directory_iterator(entries)) {
    ++before;
  }
  EXPECT_EQ(before, 5u);
  ASSERT_TRUE(write_file_atomic(entries + "/x.json.tmp.999999999", "{"));
  std::string own = entries + "/y.json.tmp." + std::to_string(::getpid());
  ASSERT_TRUE(write_file_atomic(own, "{"));
  auto cache = LayerCache::open(options.layer_cache, 2048);
  ASSERT_TRUE(cache);
  EXPECT_FALSE(fs::exists(entries + "/x.json.tmp.999999999"));
  EXPECT_TRUE(fs::exists(own));
  fs::remove(own);
  cache->trim();
  uint64_t total = 0;
  for (const auto& item : fs::directory_iterator(blobs)) {
    total += fs::file_size(item.path());
  }
  EXPECT_LE(total, 2048u);
  size_t after = 0;
  for ([[maybe_unused]] const auto& item : fs::directory_iterator(entries)) {
    ++after;
  }
  EXPECT_LT(after, before);
  // What is left still packs to the same image.
  options.layer_cache_max_bytes = 2048;
  auto again = pack("img2");
  options.layer_cache.clear();
  EXPECT_EQ(again.manifest_digest, pack("img3").manifest_digest);
}

TEST_F(LayerCacheTest, ChecksumsAreRecordedAndKeptWithTheLayer)
{
  pack("img1"); // cached without checksums
  options.checksums = true;
  auto image = pack("img2");
  std::vector<FileChecksum> all;
  for (const auto& layer : image.layers) {
    EXPECT_FALSE(layer.cached) << to_string(layer.role) << ": a layer without checksums is a miss";
    all.insert(all.end(), layer.checksums.begin(), layer.checksums.end());
  }
  ASSERT_FALSE(all.empty());
  for (const auto& file : all) {
    EXPECT_EQ(file.sha256, sha256_hex(read_file(root->real(file.path)).value())) << file.path;
  }
  EXPECT_TRUE(compare_checksums(*root, all).empty());
  auto again = pack("img3");
  size_t recorded = 0;
  for (const auto& layer : again.layers) {
    EXPECT_TRUE(layer.cached);
    recorded += layer.checksums.size();
  }
  EXPECT_EQ(recorded, all.size());
  // A file changed after packing is found, by path.
  std::string page = "/var/lib/tomcat10/webapps/ROOT/index.html";
  ASSERT_TRUE(write_file_atomic(root->real(page), "changed"));
  auto differences = compare_checksums(*root, all);
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_EQ(differences[0].path, page);
  EXPECT_NE(differences[0].now, differences[0].packed);
}

} // namespace
} // namespace decant
