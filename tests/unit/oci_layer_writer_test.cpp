#include "test_support.hpp"

#include <decant/oci/compress.hpp>
#include <decant/oci/image_layout.hpp>
#include <decant/oci/layer_writer.hpp>
#include <decant/oci/pipeline.hpp>
#include <decant/pack/file_set.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>

namespace decant {
namespace {

namespace fs = std::filesystem;
using test::run_command;
using test::TempDir;

class LayerTest : public ::testing::Test
{
protected:
  void
  SetUp() override
  {
    tree.write("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    tree.write("etc/group", "root:x:0:\n");
    tree.write("opt/app/bin/run", "not an ELF file, not a script\n");
    ::chmod((tree.path() + "/opt/app/bin/run").c_str(), 04755);
    tree.write("opt/app/a-very-long-directory-name-to-force-pax-headers/" + std::string(120, 'n')
                   + ".txt",
               "long\n");
    tree.write("opt/app/data/one", std::string(3 << 20, 'x')); // several gzip chunks
    ::link((tree.path() + "/opt/app/data/one").c_str(),
           (tree.path() + "/opt/app/data/two").c_str());
    tree.symlink("data/one", "opt/app/link");
    ::chown((tree.path() + "/opt/app/data").c_str(), 4321, 4322);
    ::chmod((tree.path() + "/opt/app/data").c_str(), 0750);
    analysis.application_id = "test-1";
    analysis.application_type = "machine";
    analysis.created_at = "2026-01-01T00:00:00Z";
    analysis.start.command = {"/opt/app/bin/run", "--port", "8080"};
    analysis.start.working_dir = "/opt/app";
    analysis.env.push_back({"MODE", "prod", false, ""});
    analysis.add_env("DB_PASSWORD", "hunter2", true);
    analysis.ports.push_back({8080, "tcp", "", PortRole::http, true, true, "socket", ""});
    analysis.files.push_back({"/opt/app", "app", FileRole::app, false, false});
    auto expanded = expand();
    ASSERT_TRUE(expanded) << expanded.error().message;
    set = *expanded;
    blobs = out.path() + "/blobs";
    fs::create_directories(blobs);
  }

  // The analysis' file set as the tree has it now (system files left out).
  Result<FileSet>
  expand()
  {
    ExpandOptions options;
    options.system_files = false;
    return expand_file_set(analysis, HostRoot::open(tree.path()).value(), options);
  }

  // The analysis expanded anew and written as a --reproducible layout (SOURCE_DATE_EPOCH
  // 1700000000, deflate level 1) to out/NAME.
  Result<ImageSummary>
  reproducible_layout(const std::string& name)
  {
    auto expanded = expand();
    if (!expanded) {
      return fail(expanded.error());
    }
    ImageOptions options;
    options.output = out.path() + "/" + name;
    options.reference = *parse_reference("test:1");
    options.compression = make_compression(1, false);
    options.source_date_epoch = 1700000000;
    return write_image_layout(analysis, *expanded, HostRoot::open(tree.path()).value(), options);
  }

  LayerResult
  write(Compression compression, std::optional<int64_t> clamp = std::nullopt)
  {
    auto root = HostRoot::open(tree.path()).value();
    LayerOptions options;
    options.compression = compression;
    options.clamp_mtime = clamp;
    auto layer = write_layer(layer_entries(set, FileRole::app), root, blobs, options);
    EXPECT_TRUE(layer) << layer.error().message;
    return *layer;
  }

  std::string
  blob_path(const std::string& digest)
  {
    return blobs + "/" + digest.substr(7);
  }

  TempDir tree;
  TempDir out;
  Analysis analysis;
  FileSet set;
  std::string blobs;
};

TEST_F(LayerTest, GzipLayerHashesMatchIndependentTools)
{
  auto layer = write(make_compression(6, false));
  EXPECT_EQ(layer.media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  std::string path = blob_path(layer.blob.digest);
  auto blob_sum = run_command("sha256sum " + path);
  EXPECT_EQ(blob_sum.out.substr(0, 64), layer.blob.digest.substr(7));
  // Several gzip members read as one stream by gzip(1).
  auto tar_sum = run_command("gzip -dc " + path + " | sha256sum");
  EXPECT_EQ(tar_sum.out.substr(0, 64), layer.diff_id.substr(7));
  auto listing = run_command("gzip -dc " + path + " | tar -tv --numeric-owner");
  ASSERT_EQ(listing.status, 0) << listing.err;
  EXPECT_NE(listing.out.find("-rwsr-xr-x 0/0"), std::string::npos) << listing.out;
  EXPECT_NE(listing.out.find("drwxr-x--- 4321/4322"), std::string::npos) << listing.out;
  EXPECT_NE(listing.out.find("opt/app/data/two link to opt/app/data/one"), std::string::npos)
      << listing.out;
  EXPECT_NE(listing.out.find("opt/app/link -> data/one"), std::string::npos) << listing.out;
  EXPECT_NE(listing.out.find(std::string(120, 'n') + ".txt"), std::string::npos);
  // Sorted, relative names, parents before children.
  auto names = run_command("gzip -dc " + path + " | tar -t");
  auto lines = split(trim(names.out), '\n');
  EXPECT_EQ(lines.front(), "opt/");
  EXPECT_TRUE(std::is_sorted(lines.begin(), lines.end()));
  for (const auto& line : lines) {
    EXPECT_NE(line[0], '/');
  }
}

TEST_F(LayerTest, ReproducibleLayersAreByteIdentical)
{
  auto first = write(make_compression(7, false), 1700000000);
  ::utimensat(
      AT_FDCWD, (tree.path() + "/opt/app/bin/run").c_str(), nullptr, 0); // touch: clamped anyway
  auto second = write(make_compression(7, false), 1700000000);
  EXPECT_EQ(first.blob.digest, second.blob.digest);
  EXPECT_EQ(first.diff_id, second.diff_id);
  auto listing = run_command("gzip -dc " + blob_path(first.blob.digest) + " | tar -tv --full-time");
  EXPECT_EQ(listing.out.find("2026-"), std::string::npos)
      << "an mtime above SOURCE_DATE_EPOCH survived";
}

// Shared layers depend on contents, modes and owners only: a directory's mtime is when the
// host installed a package, which differs from host to host. The server's own layers keep their
// files' mtimes up to SOURCE_DATE_EPOCH; their directories get the fixed one.
TEST_F(LayerTest, ReproducibleSharedLayersHaveOneFixedMtime)
{
  tree.write("usr/lib/libshared.so.1", "a library of a package\n");
  struct timespec old_times[2] = {{1600000000, 0}, {1600000000, 0}};
  ::utimensat(AT_FDCWD, (tree.path() + "/usr/lib/libshared.so.1").c_str(), old_times, 0);
  analysis.files.push_back({"/usr/lib/libshared.so.1", "library", FileRole::system, false, false});
  auto layout = reproducible_layout("layout");
  ASSERT_TRUE(layout) << layout.error().message;
  ASSERT_EQ(layout->layers.size(), 2u);
  for (const auto& layer : layout->layers) {
    auto listing = run_command("gzip -dc " + out.path() + "/layout/blobs/sha256/"
                               + layer.digest.substr(7) + " | TZ=UTC tar -tv --full-time");
    ASSERT_EQ(listing.status, 0) << listing.err;
    for (const auto& line : split(trim(listing.out), '\n')) {
      if (layer.role == FileRole::system || line.rfind('d', 0) == 0) {
        EXPECT_NE(line.find("1970-01-01 00:00:01"), std::string::npos) << line;
      } else {
        EXPECT_EQ(line.find("1970-01-01"), std::string::npos) << line;
        EXPECT_EQ(line.find("2026-"), std::string::npos) << line; // clamped to 2023-11-14
      }
    }
  }
}

// A live host changes a directory's mtime whenever an entry in it comes or goes (/tmp above an
// instance, /etc, the app's logs/), also before the analysis' date: the same files packed again
// a moment later give the same layers.
TEST_F(LayerTest, ReproducibleLayersDoNotDependOnDirectoryMtimes)
{
  auto pack = [&](const std::string& name) {
    auto layout = reproducible_layout(name);
    EXPECT_TRUE(layout) << layout.error().message;
    return layout ? layout->manifest_digest : std::string();
  };
  std::string first = pack("one");
  for (const char* dir : {"", "/opt", "/opt/app", "/opt/app/data"}) {
    struct timespec older[2] = {{1600000000, 0}, {1600000000, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, (tree.path() + dir).c_str(), older, 0), 0) << dir;
  }
  EXPECT_EQ(first, pack("two"));
  tree.write("opt/app/data/new", "an entry that came\n");
  ::unlink((tree.path() + "/opt/app/data/new").c_str()); // ...and went: a newer mtime
  EXPECT_EQ(first, pack("three"));
}

TEST_F(LayerTest, ZstdAndUncompressedLayers)
{
  auto zstd = write(make_compression(7, true));
  EXPECT_EQ(zstd.media_type, "application/vnd.oci.image.layer.v1.tar+zstd");
  auto sum = run_command("zstd -dc " + blob_path(zstd.blob.digest) + " | sha256sum");
  EXPECT_EQ(sum.out.substr(0, 64), zstd.diff_id.substr(7));
  auto plain = write(make_compression(0, false));
  EXPECT_EQ(plain.media_type, "application/vnd.oci.image.layer.v1.tar");
  EXPECT_EQ(plain.blob.digest, plain.diff_id);
  EXPECT_EQ(plain.diff_id, zstd.diff_id); // the same tar whatever the compression
}

TEST_F(LayerTest, LevelMappings)
{
  EXPECT_EQ(deflate_level(1), 1);
  EXPECT_EQ(deflate_level(9), 9);
  EXPECT_EQ(deflate_level(10), 12);
  EXPECT_EQ(zstd_level(7), 3);
  EXPECT_EQ(zstd_level(10), 19);
  EXPECT_EQ(make_compression(0, true).codec, Codec::none);
  auto member = gzip_member("abc", 3, 6);
  EXPECT_EQ(static_cast<unsigned char>(member[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(member[1]), 0x8b);
}

TEST_F(LayerTest, ConfigCarriesNoSecretValue)
{
  auto config = image_config(analysis, set, {}, "2026-01-01T00:00:00Z");
  std::string text = config.dump();
  EXPECT_EQ(text.find("hunter2"), std::string::npos);
  EXPECT_EQ(config["config"]["Labels"]["io.decant.secret-env"], "DB_PASSWORD");
  EXPECT_EQ(config["config"]["Cmd"][0], "/opt/app/bin/run");
  EXPECT_FALSE(config["config"].contains("Entrypoint")); // no log volume, no init
  EXPECT_EQ(config["config"]["WorkingDir"], "/opt/app");
  EXPECT_TRUE(config["config"]["ExposedPorts"].contains("8080/tcp"));
  EXPECT_EQ(config["config"]["Labels"]["io.decant.application-id"], "test-1");
}

TEST_F(LayerTest, LayoutIsRefusedInANonEmptyDirectoryAndReplacedWithForce)
{
  std::string layout = out.path() + "/layout";
  auto root = HostRoot::open(tree.path()).value();
  ImageOptions options;
  options.output = layout;
  options.reference = parse_reference("test/app:1.0").value();
  options.compression = make_compression(7, false);
  options.source_date_epoch = 0;
  auto first = write_image_layout(analysis, set, root, options);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(fs::exists(layout + "/index.json"));
  auto again = write_image_layout(analysis, set, root, options);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::output_exists);
  options.force = true;
  // Old blobs moved aside by a pack that was interrupted: removed by the next --force.
  fs::create_directories(layout + "/.decant-old-blobs.1/sha256");
  auto forced = write_image_layout(analysis, set, root, options);
  ASSERT_TRUE(forced) << forced.error().message;
  EXPECT_EQ(forced->manifest_digest, first->manifest_digest);
  std::vector<std::string> names;
  for (const auto& item : fs::directory_iterator(layout)) {
    names.push_back(item.path().filename());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"blobs", "index.json", "oci-layout"}));
  // --force never deletes a directory that is not an image layout.
  TempDir other;
  other.write("important.txt", "keep me");
  auto refused = prepare_output_directory(other.path(), true);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(fs::exists(other.path() + "/important.txt"));
}

ImageOptions
layout_options(const std::string& output, int level)
{
  ImageOptions options;
  options.output = output;
  options.reference = parse_reference("test/app:1.0").value();
  options.compression = make_compression(level, false);
  options.source_date_epoch = 0;
  return options;
}

// Appends to /opt/app/data/one while it is being read (past its first MiB), in at most
// `attempts` write attempts of the layer.
PackProgress
grow_while_read(const std::string& tree, int attempts, int& changed)
{
  auto last = std::make_shared<uint64_t>(0);
  auto changed_this_attempt = std::make_shared<bool>(false);
  return [tree, attempts, &changed, last, changed_this_attempt](uint64_t done, uint64_t) {
    if (done < *last) {
      *changed_this_attempt = false; // the layer is being written again
    }
    *last = done;
    if (done >= (1u << 20) && !*changed_this_attempt && changed < attempts) {
      std::ofstream(tree + "/opt/app/data/one", std::ios::app) << 'y';
      *changed_this_attempt = true;
      ++changed;
    }
  };
}

TEST_F(LayerTest, AFileChangedWhileReadIsReadAgainOnce)
{
  auto root = HostRoot::open(tree.path()).value();
  auto options = layout_options(out.path() + "/once", 1);
  int changed = 0;
  options.progress = grow_while_read(tree.path(), 1, changed);
  auto layout = write_image_layout(analysis, set, root, options);
  ASSERT_TRUE(layout) << layout.error().message;
  EXPECT_EQ(changed, 1);
  EXPECT_TRUE(fs::exists(out.path() + "/once/index.json"));
}

TEST_F(LayerTest, AFileChangedOnBothReadsIsAnErrorNamingIt)
{
  auto root = HostRoot::open(tree.path()).value();
  std::string output = out.path() + "/twice";
  auto options = layout_options(output, 1);
  int changed = 0;
  options.progress = grow_while_read(tree.path(), 2, changed);
  auto layout = write_image_layout(analysis, set, root, options);
  ASSERT_FALSE(layout);
  EXPECT_EQ(changed, 2);
  EXPECT_EQ(layout.error().code, ErrorCode::source_changed);
  EXPECT_NE(layout.error().message.find("/opt/app/data/one changed while it was read"),
            std::string::npos)
      << layout.error().message;
  EXPECT_FALSE(fs::exists(output + "/index.json"));
  EXPECT_TRUE(fs::is_empty(output + "/blobs/sha256")) << "a temporary blob was left behind";
}

// A full disk, simulated with RLIMIT_FSIZE (writes past it fail with EFBIG once SIGXFSZ is
// ignored): the error names the blob, and nothing that looks like a layout is left.
TEST_F(LayerTest, AFailedWriteLeavesNoLayoutThatLooksValid)
{
  auto root = HostRoot::open(tree.path()).value();
  std::string output = out.path() + "/full";
  auto options = layout_options(output, 0); // uncompressed: 3 MiB of tar
  struct rlimit saved {
  };
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto previous = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 256 << 10;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  auto layout = write_image_layout(analysis, set, root, options);
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous);
  ASSERT_FALSE(layout);
  EXPECT_NE(layout.error().message.find("cannot write"), std::string::npos)
      << layout.error().message;
  EXPECT_FALSE(fs::exists(output + "/index.json"));
  EXPECT_TRUE(fs::is_empty(output + "/blobs/sha256")) << "a temporary blob was left behind";
}

TEST(StageThread, ConsumesInOrderAndStopsAtTheFirstError)
{
  std::string seen;
  StageThread stage(
      [&seen](const std::string& chunk) -> Status {
        if (chunk == "bad") {
          return fail(ErrorCode::failure, "disk full");
        }
        seen += chunk;
        return {};
      },
      2);
  for (const char* chunk : {"a", "b", "c"}) {
    ASSERT_TRUE(stage.push(std::make_shared<const std::string>(chunk)));
  }
  ASSERT_TRUE(stage.push(std::make_shared<const std::string>("bad")));
  // Once the failure is seen, push returns it instead of queueing more.
  Status later;
  for (int i = 0; i < 100 && later; ++i) {
    later = stage.push(std::make_shared<const std::string>("z"));
  }
  EXPECT_FALSE(later);
  auto finished = stage.finish();
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().message, "disk full");
  EXPECT_EQ(seen.substr(0, 3), "abc");
  EXPECT_EQ(seen.find('z'), std::string::npos);
}

} // namespace
} // namespace decant
