#include "test_support.hpp"

#include <decant/registry/oci_layout_reader.hpp>
#include <decant/run/unpack.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <archive.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <zstd.h>

#include <archive_entry.h>
#include <sys/stat.h>
#include <zlib.h>

#include <filesystem>

using namespace decant;
using decant::test::TempDir;
using nlohmann::json;

namespace {

struct Entry {
  std::string name;
  char type = 'f';  // f file, d directory, l symlink
  std::string data; // content, or link target
};

std::string
tar_bytes(const std::vector<Entry>& entries)
{
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_open(
      a,
      &out,
      nullptr,
      [](struct archive*, void* user, const void* data, size_t size) -> la_ssize_t {
        static_cast<std::string*>(user)->append(static_cast<const char*>(data), size);
        return static_cast<la_ssize_t>(size);
      },
      nullptr);
  for (const auto& e : entries) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.name.c_str());
    archive_entry_set_mtime(entry, 1700000000, 0);
    if (e.type == 'd') {
      archive_entry_set_filetype(entry, AE_IFDIR);
      archive_entry_set_perm(entry, 0755);
    } else if (e.type == 'l') {
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_symlink(entry, e.data.c_str());
      archive_entry_set_perm(entry, 0777);
    } else {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_perm(entry, 0644);
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.data.size()));
    }
    archive_write_header(a, entry);
    if (e.type == 'f') {
      archive_write_data(a, e.data.data(), e.data.size());
    }
    archive_entry_free(entry);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

std::string
gzip(const std::string& data)
{
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

std::string
zstd(const std::string& data)
{
  std::string out(ZSTD_compressBound(data.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3));
  return out;
}

struct Layer {
  std::string blob;
  std::string media_type;
  std::string diff_id; // sha256 of the tar
};

Layer
gzip_layer(const std::vector<Entry>& entries)
{
  std::string tar = tar_bytes(entries);
  return {gzip(tar), "application/vnd.oci.image.layer.v1.tar+gzip", "sha256:" + sha256_hex(tar)};
}

std::string
write_blob(const std::string& dir, const std::string& bytes)
{
  std::string hex = sha256_hex(bytes);
  EXPECT_TRUE(write_file_atomic(dir + "/blobs/sha256/" + hex, bytes));
  return "sha256:" + hex;
}

// An OCI layout of the layers; returns the layout directory.
std::string
make_layout(const TempDir& tmp, const std::vector<Layer>& layers)
{
  std::string dir = tmp.path() + "/layout";
  EXPECT_TRUE(make_directories(dir + "/blobs/sha256"));
  json diff_ids = json::array();
  json descriptors = json::array();
  for (const auto& layer : layers) {
    diff_ids.push_back(layer.diff_id);
    descriptors.push_back({{"mediaType", layer.media_type},
                           {"digest", write_blob(dir, layer.blob)},
                           {"size", layer.blob.size()}});
  }
  std::string config = json{{"architecture", "amd64"},
                            {"os", "linux"},
                            {"config", json::object()},
                            {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}}
                           .dump();
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"config",
                    {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                     {"digest", write_blob(dir, config)},
                     {"size", config.size()}}},
                   {"layers", descriptors}};
  std::string manifest_text = manifest.dump();
  json index = {{"schemaVersion", 2},
                {"manifests",
                 {{{"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                   {"digest", write_blob(dir, manifest_text)},
                   {"size", manifest_text.size()},
                   {"annotations", {{"org.opencontainers.image.ref.name", "test:1"}}}}}}};
  EXPECT_TRUE(write_file_atomic(dir + "/index.json", index.dump()));
  EXPECT_TRUE(write_file_atomic(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})"));
  return dir;
}

Result<UnpackSummary>
unpack(const std::string& layout, const std::string& rootfs, std::vector<std::string> diff_ids = {})
{
  auto image = read_oci_layout(layout);
  if (!image) {
    return fail(image.error());
  }
  if (diff_ids.empty()) {
    auto config = json::parse(image->config_bytes);
    diff_ids = config["rootfs"]["diff_ids"].get<std::vector<std::string>>();
  }
  EXPECT_TRUE(make_directories(rootfs));
  return unpack_layers(*image, diff_ids, rootfs);
}

bool
exists(const std::string& path)
{
  struct stat st {
  };
  return ::lstat(path.c_str(), &st) == 0;
}

} // namespace

TEST(RunUnpack, LayersInOrderWithWhiteoutsAndOpaqueDirectories)
{
  TempDir tmp;
  auto lower = gzip_layer({{"etc", 'd', ""},
                           {"etc/a", 'f', "a"},
                           {"etc/b", 'f', "b"},
                           {"opt/x/1", 'f', "1"},
                           {"opt/x/2", 'f', "2"},
                           {"keep", 'f', "kept"},
                           {"bin", 'l', "usr/bin"}});
  // The opaque marker comes after an entry of its own layer, which must stay.
  auto upper = gzip_layer({{"etc/.wh.a", 'f', ""},
                           {"opt/x/3", 'f', "3"},
                           {"opt/x/.wh..wh..opq", 'f', ""},
                           {"keep", 'f', "replaced"}});
  std::string layout = make_layout(tmp, {lower, upper});
  std::string rootfs = tmp.path() + "/rootfs";
  auto summary = unpack(layout, rootfs);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(summary->whiteouts, 2u);
  EXPECT_FALSE(exists(rootfs + "/etc/a"));
  EXPECT_TRUE(exists(rootfs + "/etc/b"));
  EXPECT_FALSE(exists(rootfs + "/opt/x/1"));
  EXPECT_FALSE(exists(rootfs + "/opt/x/2"));
  EXPECT_EQ(read_file(rootfs + "/opt/x/3").value_or(""), "3");
  EXPECT_EQ(read_file(rootfs + "/keep").value_or(""), "replaced");
  EXPECT_FALSE(exists(rootfs + "/etc/.wh.a"));
  EXPECT_EQ(std::filesystem::read_symlink(rootfs + "/bin").string(), "usr/bin");
}

TEST(RunUnpack, AFlippedByteFailsWithVerificationNamingTheBlob)
{
  TempDir tmp;
  std::string big;
  for (int i = 0; i < 20000; ++i) {
    big += std::to_string(i * 7919) + "\n";
  }
  auto layer = gzip_layer({{"data/big.txt", 'f', big}});
  std::string layout = make_layout(tmp, {layer});
  std::string digest = "sha256:" + sha256_hex(layer.blob);
  std::string path = layout + "/blobs/sha256/" + digest.substr(7);
  for (size_t offset : {size_t(40), layer.blob.size() / 2, layer.blob.size() - 3}) {
    std::string flipped = layer.blob;
    flipped[offset] = static_cast<char>(flipped[offset] ^ 0x20);
    ASSERT_TRUE(write_file_atomic(path, flipped));
    std::string rootfs = tmp.path() + "/rootfs-" + std::to_string(offset);
    auto summary = unpack(layout, rootfs);
    ASSERT_FALSE(summary) << "byte " << offset;
    EXPECT_EQ(summary.error().code, ErrorCode::verification) << summary.error().message;
    EXPECT_NE(summary.error().message.find(digest), std::string::npos) << summary.error().message;
    EXPECT_FALSE(summary.error().hint.empty());
  }
}

TEST(RunUnpack, ALayerThatIsNotTheConfigsDiffIdFails)
{
  TempDir tmp;
  auto layer = gzip_layer({{"a", 'f', "a"}});
  std::string layout = make_layout(tmp, {layer});
  auto summary = unpack(layout, tmp.path() + "/rootfs", {"sha256:" + std::string(64, '0')});
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().code, ErrorCode::verification);
  EXPECT_NE(summary.error().message.find("diffID"), std::string::npos);
  // And as many diffIDs as layers.
  auto count = unpack(layout, tmp.path() + "/rootfs2", {layer.diff_id, layer.diff_id});
  ASSERT_FALSE(count);
  EXPECT_EQ(count.error().code, ErrorCode::verification);
}

TEST(RunUnpack, ZstdAndUncompressedLayers)
{
  TempDir tmp;
  std::string tar1 = tar_bytes({{"z/file", 'f', "zstd"}});
  std::string tar2 = tar_bytes({{"t/file", 'f', "tar"}});
  Layer z{zstd(tar1), "application/vnd.oci.image.layer.v1.tar+zstd", "sha256:" + sha256_hex(tar1)};
  Layer t{tar2, "application/vnd.oci.image.layer.v1.tar", "sha256:" + sha256_hex(tar2)};
  std::string layout = make_layout(tmp, {z, t});
  std::string rootfs = tmp.path() + "/rootfs";
  auto summary = unpack(layout, rootfs);
  ASSERT_TRUE(summary) << summary.error().message;
  EXPECT_EQ(read_file(rootfs + "/z/file").value_or(""), "zstd");
  EXPECT_EQ(read_file(rootfs + "/t/file").value_or(""), "tar");
}

TEST(RunUnpack, NothingIsWrittenOutsideTheTree)
{
  TempDir tmp;
  std::string outside = tmp.path() + "/outside";
  ASSERT_TRUE(make_directories(outside));
  // A symlink of one layer pointing out, then an entry through it.
  auto lower = gzip_layer({{"escape", 'l', outside}});
  auto upper = gzip_layer({{"escape/owned", 'f', "x"}});
  auto through_link = unpack(make_layout(tmp, {lower, upper}), tmp.path() + "/r1");
  EXPECT_FALSE(exists(outside + "/owned"));
  if (through_link) {
    // libarchive replaced the link by a directory of the tree.
    struct stat st {
    };
    ASSERT_EQ(::lstat((tmp.path() + "/r1/escape").c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_TRUE(exists(tmp.path() + "/r1/escape/owned"));
  }

  TempDir tmp2;
  auto dotdot = gzip_layer({{"../../dotdot", 'f', "x"}});
  auto result = unpack(make_layout(tmp2, {dotdot}), tmp2.path() + "/r2");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().code, ErrorCode::invalid_input);
  EXPECT_FALSE(exists(tmp2.path() + "/dotdot"));
}

TEST(RunUnpack, EntryNames)
{
  EXPECT_EQ(clean_entry_name("./usr//bin/./java").value_or("?"), "usr/bin/java");
  EXPECT_EQ(clean_entry_name("/etc/passwd").value_or("?"), "etc/passwd");
  EXPECT_EQ(clean_entry_name("./").value_or("?"), "");
  EXPECT_FALSE(clean_entry_name("a/../../b"));
  EXPECT_FALSE(clean_entry_name(".."));
}
