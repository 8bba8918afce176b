// The layer writer's sparse files and kept xattrs (machine mode needs both; app packs get them
// too), read back with libarchive's reader: the holes are not stored, the sparse map and the
// real size are, and ACL/user xattrs travel as PAX records.

#include "test_support.hpp"

#include <decant/oci/layer_writer.hpp>
#include <decant/pack/file_set.hpp>
#include <decant/util/fs.hpp>

#include <archive.h>
#include <gtest/gtest.h>

#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <map>

using namespace decant;
using decant::test::TempDir;

namespace {

struct ReadBack {
  int64_t size = -1;
  std::vector<std::pair<int64_t, int64_t>> sparse;
  std::map<std::string, std::string> xattrs;
  std::string data; // the bytes the reader returns, holes as zeros
};

std::map<std::string, ReadBack>
read_layer(const std::string& path)
{
  std::map<std::string, ReadBack> out;
  struct archive* reader = archive_read_new();
  archive_read_support_format_tar(reader);
  archive_read_support_filter_all(reader);
  EXPECT_EQ(archive_read_open_filename(reader, path.c_str(), 65536), ARCHIVE_OK);
  struct archive_entry* entry = nullptr;
  while (archive_read_next_header(reader, &entry) == ARCHIVE_OK) {
    ReadBack item;
    item.size = archive_entry_size(entry);
    archive_entry_sparse_reset(entry);
    la_int64_t offset = 0;
    la_int64_t length = 0;
    while (archive_entry_sparse_next(entry, &offset, &length) == ARCHIVE_OK) {
      item.sparse.emplace_back(offset, length);
    }
    archive_entry_xattr_reset(entry);
    const char* name = nullptr;
    const void* value = nullptr;
    size_t value_size = 0;
    while (archive_entry_xattr_next(entry, &name, &value, &value_size) == ARCHIVE_OK) {
      item.xattrs[name] = std::string(static_cast<const char*>(value), value_size);
    }
    const void* block = nullptr;
    size_t block_size = 0;
    la_int64_t block_offset = 0;
    while (archive_read_data_block(reader, &block, &block_size, &block_offset) == ARCHIVE_OK) {
      if (item.data.size() < static_cast<size_t>(block_offset)) {
        item.data.resize(static_cast<size_t>(block_offset), '\0');
      }
      item.data.append(static_cast<const char*>(block), block_size);
    }
    item.data.resize(static_cast<size_t>(item.size), '\0');
    out[archive_entry_pathname(entry)] = item;
  }
  archive_read_free(reader);
  return out;
}

PackEntry
regular(const TempDir& dir, const std::string& name)
{
  struct stat st {
  };
  EXPECT_EQ(::stat((dir.path() + "/" + name).c_str(), &st), 0);
  PackEntry entry;
  entry.path = "/" + name;
  entry.type = EntryType::regular;
  entry.mode = 0644;
  entry.size = static_cast<uint64_t>(st.st_size);
  entry.device = st.st_dev;
  entry.inode = st.st_ino;
  return entry;
}

} // namespace

TEST(OciLayerSparse, HolesAreNotStoredAndReadBackAsZeros)
{
  TempDir dir;
  std::string path = dir.path() + "/disk.img";
  int fd = ::open(path.c_str(), O_CREAT | O_WRONLY | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  const int64_t mib = 1 << 20;
  ASSERT_EQ(::ftruncate(fd, 32 * mib), 0);
  ASSERT_EQ(::pwrite(fd, "head", 4, 0), 4);
  ASSERT_EQ(::pwrite(fd, "middle", 6, 16 * mib), 6);
  ::close(fd); // ends in a hole
  auto root = HostRoot::open(dir.path());
  ASSERT_TRUE(root);
  std::string blobs = dir.path() + "/blobs";
  ASSERT_TRUE(make_directories(blobs, 0755));
  LayerOptions options;
  options.compression = make_compression(0, false);
  auto layer = write_layer({regular(dir, "disk.img")}, *root, blobs, options);
  ASSERT_TRUE(layer) << layer.error().message;
  EXPECT_LT(layer->tar_size, 256u * 1024) << "the holes were stored";
  auto entries = read_layer(blobs + "/" + layer->blob.digest.substr(7));
  ASSERT_TRUE(entries.count("disk.img"));
  const auto& image = entries["disk.img"];
  EXPECT_EQ(image.size, 32 * mib);
  ASSERT_GE(image.sparse.size(), 2u);
  EXPECT_EQ(image.sparse[0].first, 0);
  std::string expected(static_cast<size_t>(32 * mib), '\0');
  expected.replace(0, 4, "head");
  expected.replace(static_cast<size_t>(16 * mib), 6, "middle");
  EXPECT_TRUE(image.data == expected) << "content differs after the round trip";
}

TEST(OciLayerSparse, OrdinaryFilesStayPlain)
{
  TempDir dir;
  dir.write("plain.txt", std::string(100000, 'x'));
  auto root = HostRoot::open(dir.path());
  ASSERT_TRUE(root);
  std::string blobs = dir.path() + "/blobs";
  ASSERT_TRUE(make_directories(blobs, 0755));
  LayerOptions options;
  options.compression = make_compression(0, false);
  auto layer = write_layer({regular(dir, "plain.txt")}, *root, blobs, options);
  ASSERT_TRUE(layer);
  auto entries = read_layer(blobs + "/" + layer->blob.digest.substr(7));
  EXPECT_TRUE(entries["plain.txt"].sparse.empty());
  EXPECT_EQ(entries["plain.txt"].data, std::string(100000, 'x'));
}

TEST(OciLayerSparse, AclAndUserXattrsAreKeptSelinuxIsNot)
{
  TempDir dir;
  std::string path = dir.write("app.bin", "app");
  if (::lsetxattr(path.c_str(), "user.decant.test", "hello", 5, 0) != 0) {
    GTEST_SKIP() << "the file system of " << dir.path() << " has no user xattrs";
  }
  // An ACL granting uid 1234 rw-, in the kernel's xattr format (posix_acl_xattr.h): version 2,
  // then (tag, perm, id) entries: USER_OBJ rw, USER 1234 rw, GROUP_OBJ r, MASK rw, OTHER r.
  const unsigned char acl[] = {2,    0, 0, 0,                          // version
                               1,    0, 6, 0, 0xff, 0xff, 0xff, 0xff,  // USER_OBJ
                               2,    0, 6, 0, 0xd2, 0x04, 0,    0,     // USER 1234
                               4,    0, 4, 0, 0xff, 0xff, 0xff, 0xff,  // GROUP_OBJ
                               0x10, 0, 6, 0, 0xff, 0xff, 0xff, 0xff,  // MASK
                               0x20, 0, 4, 0, 0xff, 0xff, 0xff, 0xff}; // OTHER
  bool have_acl = ::lsetxattr(path.c_str(), "system.posix_acl_access", acl, sizeof(acl), 0) == 0;
  PackEntry entry = regular(dir, "app.bin");
  read_kept_xattrs(path, entry);
  std::map<std::string, std::string> kept(entry.xattrs.begin(), entry.xattrs.end());
  EXPECT_EQ(kept["user.decant.test"], "hello");
  if (have_acl) {
    EXPECT_EQ(kept["system.posix_acl_access"].size(), sizeof(acl));
  }
  EXPECT_EQ(kept.count("security.selinux"), 0u);
  auto root = HostRoot::open(dir.path());
  ASSERT_TRUE(root);
  std::string blobs = dir.path() + "/blobs";
  ASSERT_TRUE(make_directories(blobs, 0755));
  LayerOptions options;
  options.compression = make_compression(0, false);
  auto layer = write_layer({entry}, *root, blobs, options);
  ASSERT_TRUE(layer);
  auto entries = read_layer(blobs + "/" + layer->blob.digest.substr(7));
  EXPECT_EQ(entries["app.bin"].xattrs["user.decant.test"], "hello");
  if (have_acl) {
    EXPECT_EQ(entries["app.bin"].xattrs.count("system.posix_acl_access"), 1u);
  }
}
