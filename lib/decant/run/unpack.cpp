#include <decant/oci/blob.hpp>
#include <decant/run/unpack.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <archive.h>
#include <zstd.h>

#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>

namespace decant {

namespace {

constexpr size_t k_chunk = 1 << 20;

enum class Compression { none, gzip, zstd };

Result<Compression>
compression_of(const Descriptor& layer, const unsigned char* head, size_t size)
{
  const std::string& type = layer.media_type;
  if (ends_with(type, "+gzip") || ends_with(type, ".gzip")) {
    return Compression::gzip;
  }
  if (ends_with(type, "+zstd") || ends_with(type, ".zstd")) {
    return Compression::zstd;
  }
  if (ends_with(type, ".tar") || ends_with(type, "tar.v1") || type.empty()) {
    // An uncompressed type; sniff anyway, some writers label compressed layers so.
    if (size >= 2 && head[0] == 0x1f && head[1] == 0x8b) {
      return Compression::gzip;
    }
    if (size >= 4 && head[0] == 0x28 && head[1] == 0xb5 && head[2] == 0x2f && head[3] == 0xfd) {
      return Compression::zstd;
    }
    return Compression::none;
  }
  return fail(Error(
      ErrorCode::unsupported,
      fmt::format("layer {} has media type {}, which decant cannot unpack", layer.digest, type),
      "layers must be tar, tar+gzip or tar+zstd (image-spec layer.md)"));
}

// One layer blob as a stream of tar bytes: read, hashed (blob digest), decompressed, hashed
// again (diffID). libarchive pulls from it through read().
class LayerStream
{
public:
  LayerStream(int fd, const std::atomic<bool>* cancel)
      : m_fd(fd),
        m_cancel(cancel),
        m_in(k_chunk),
        m_out(k_chunk)
  {
  }
  ~LayerStream()
  {
    if (m_inflate_ready) {
      inflateEnd(&m_z);
    }
    if (m_zstd) {
      ZSTD_freeDStream(m_zstd);
    }
    ::close(m_fd);
  }

  Status
  start(const Descriptor& layer)
  {
    if (auto read = fill_input(); !read) {
      return read;
    }
    auto kind = compression_of(layer, m_in.data(), m_in_size);
    if (!kind) {
      return fail(kind.error());
    }
    m_kind = *kind;
    if (m_kind == Compression::gzip) {
      std::memset(&m_z, 0, sizeof(m_z));
      if (inflateInit2(&m_z, 15 + 16) != Z_OK) {
        return fail(ErrorCode::failure, "zlib: cannot initialise");
      }
      m_inflate_ready = true;
    } else if (m_kind == Compression::zstd) {
      m_zstd = ZSTD_createDStream();
      if (!m_zstd) {
        return fail(ErrorCode::failure, "zstd: cannot initialise");
      }
    }
    return {};
  }

  // The next piece of tar; size 0 at the end. Errors are kept for error().
  ssize_t
  read(const void** buffer)
  {
    if (m_failed) {
      return -1;
    }
    for (;;) {
      if (m_cancel && m_cancel->load()) {
        return failed("cancelled");
      }
      if (m_kind == Compression::none) {
        if (m_in_pos == m_in_size) {
          if (m_eof) {
            return 0;
          }
          if (!fill_input()) {
            return -1;
          }
          continue;
        }
        size_t n = m_in_size - m_in_pos;
        *buffer = m_in.data() + m_in_pos;
        m_in_pos = m_in_size;
        m_tar_hash.update(*buffer, n);
        m_tar_bytes += n;
        return static_cast<ssize_t>(n);
      }
      if (m_in_pos == m_in_size && !m_eof) {
        if (!fill_input()) {
          return -1;
        }
      }
      bool open = m_kind == Compression::gzip ? m_member_open : m_frame_open;
      if (m_in_pos == m_in_size && m_eof && !open) {
        return 0;
      }
      size_t produced = 0;
      if (m_kind == Compression::gzip) {
        m_z.next_in = m_in.data() + m_in_pos;
        m_z.avail_in = static_cast<uInt>(m_in_size - m_in_pos);
        m_z.next_out = m_out.data();
        m_z.avail_out = static_cast<uInt>(m_out.size());
        m_member_open = true;
        int rc = inflate(&m_z, Z_NO_FLUSH);
        m_in_pos = m_in_size - m_z.avail_in;
        produced = m_out.size() - m_z.avail_out;
        if (rc == Z_STREAM_END) {
          // Parallel compressors write one gzip member after the other (RFC 1952 allows it).
          m_member_open = false;
          inflateReset(&m_z);
        } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
          return failed(std::string("gzip: ") + (m_z.msg ? m_z.msg : "corrupt data"));
        }
      } else {
        ZSTD_inBuffer in{m_in.data(), m_in_size, m_in_pos};
        ZSTD_outBuffer out{m_out.data(), m_out.size(), 0};
        size_t rc = ZSTD_decompressStream(m_zstd, &out, &in);
        if (ZSTD_isError(rc)) {
          return failed(std::string("zstd: ") + ZSTD_getErrorName(rc));
        }
        m_frame_open = rc != 0;
        m_in_pos = in.pos;
        produced = out.pos;
      }
      bool still_open = m_kind == Compression::gzip ? m_member_open : m_frame_open;
      if (produced == 0 && m_in_pos == m_in_size && m_eof && still_open) {
        return failed(m_kind == Compression::gzip ? "the gzip stream ends early"
                                                  : "the zstd stream ends early");
      }
      if (produced > 0) {
        *buffer = m_out.data();
        m_tar_hash.update(m_out.data(), produced);
        m_tar_bytes += produced;
        return static_cast<ssize_t>(produced);
      }
    }
  }

  // Reads and hashes what is left of the blob, decompressing it too when `tar` (so the diffID
  // covers the whole stream, tar's end blocks and padding included).
  Status
  drain(bool tar)
  {
    if (tar) {
      const void* ignored = nullptr;
      ssize_t n = 0;
      while ((n = read(&ignored)) > 0) {
      }
      if (n < 0) {
        return fail(ErrorCode::invalid_input, "{}", m_error);
      }
      return {};
    }
    while (!m_eof) {
      m_in_pos = m_in_size;
      if (!fill_input()) {
        return fail(ErrorCode::failure, "{}", m_error);
      }
    }
    return {};
  }

  std::string
  blob_digest()
  {
    return "sha256:" + m_blob_hash.hex();
  }
  std::string
  tar_digest()
  {
    return "sha256:" + m_tar_hash.hex();
  }
  const std::string&
  error() const
  {
    return m_error;
  }
  bool
  cancelled() const
  {
    return m_cancel && m_cancel->load();
  }
  uint64_t
  bytes_read() const
  {
    return m_read;
  }
  uint64_t
  tar_bytes() const
  {
    return m_tar_bytes;
  }

private:
  ssize_t
  failed(std::string message)
  {
    m_failed = true;
    m_error = std::move(message);
    return -1;
  }

  Status
  fill_input()
  {
    m_in_pos = 0;
    m_in_size = 0;
    while (m_in_size < m_in.size()) {
      ssize_t n = ::read(m_fd, m_in.data() + m_in_size, m_in.size() - m_in_size);
      if (n < 0) {
        if (errno == EINTR) {
          continue;
        }
        m_failed = true;
        m_error = std::string("cannot read the blob: ") + std::strerror(errno);
        return fail(ErrorCode::failure, "{}", m_error);
      }
      if (n == 0) {
        m_eof = true;
        break;
      }
      m_in_size += static_cast<size_t>(n);
    }
    m_blob_hash.update(m_in.data(), m_in_size);
    m_read += m_in_size;
    return {};
  }

  int m_fd;
  const std::atomic<bool>* m_cancel;
  std::vector<unsigned char> m_in;
  std::vector<unsigned char> m_out;
  size_t m_in_pos = 0;
  size_t m_in_size = 0;
  bool m_eof = false;
  bool m_failed = false;
  std::string m_error;
  Compression m_kind = Compression::none;
  z_stream m_z{};
  bool m_inflate_ready = false;
  bool m_member_open = false;
  ZSTD_DStream* m_zstd = nullptr;
  bool m_frame_open = false;
  Sha256 m_blob_hash;
  Sha256 m_tar_hash;
  uint64_t m_read = 0;
  uint64_t m_tar_bytes = 0;
};

la_ssize_t
read_callback(struct archive*, void* data, const void** buffer)
{
  return static_cast<LayerStream*>(data)->read(buffer);
}

// Removes `path` (not following symlinks) when every directory above it inside `rootfs` is a
// real directory: a whiteout below a symlink names nothing of the layers below.
void
remove_below(const std::string& rootfs, const std::string& name)
{
  std::string path = rootfs;
  auto parts = split(name, '/');
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    path += "/" + parts[i];
    struct stat st {
    };
    if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      return;
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(rootfs + "/" + name, ignored);
}

std::string
parent_of(const std::string& name)
{
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? std::string() : name.substr(0, slash);
}

std::string
base_of(const std::string& name)
{
  size_t slash = name.rfind('/');
  return slash == std::string::npos ? name : name.substr(slash + 1);
}

constexpr const char* k_whiteout = ".wh.";
constexpr const char* k_opaque = ".wh..wh..opq";

Error
corrupt_blob(const Descriptor& layer, size_t index, size_t count, const std::string& actual)
{
  return Error(ErrorCode::verification,
               fmt::format("layer {} of {}: blob {} is corrupt: its content hashes to {}",
                           index,
                           count,
                           layer.digest,
                           actual),
               "the image layout was damaged or changed after packing; pack the image again "
               "(or copy it again from where it came)");
}

// Opens a layer blob. O_NONBLOCK + fstat: a FIFO or device in the layout is refused, never
// waited on.
Result<int>
open_blob(const std::string& path)
{
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return fail(errno_error("cannot open layer blob", path, errno));
  }
  struct stat blob_stat {
  };
  if (::fstat(fd, &blob_stat) != 0 || !S_ISREG(blob_stat.st_mode)) {
    ::close(fd);
    return fail(Error(
        ErrorCode::invalid_input,
        fmt::format("layer blob {} is {}, not a regular file", path, file_kind(blob_stat.st_mode)),
        "the OCI layout is damaged; pack the image again"));
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  return fd;
}

// Reports the blob bytes read to on_read: every 4 chunks while unpacking, the rest at the end.
struct ReadReporter {
  const LayerStream& stream;
  const std::function<void(uint64_t)>& on_read;
  uint64_t reported = 0;

  void
  step()
  {
    if (stream.bytes_read() - reported >= 4 * k_chunk) {
      on_read(stream.bytes_read() - reported);
      reported = stream.bytes_read();
    }
  }
  void
  rest()
  {
    on_read(stream.bytes_read() - reported);
  }
};

// Writes the entries of one layer's tar stream into the tree, applying its whiteouts to what
// the layers below left there.
class LayerExtractor
{
public:
  LayerExtractor(const std::string& rootfs, UnpackSummary& summary)
      : m_rootfs(rootfs),
        m_summary(summary),
        m_reader(archive_read_new()),
        m_disk(archive_write_disk_new())
  {
    archive_read_support_format_tar(m_reader);
    archive_write_disk_set_options(
        m_disk,
        ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR
            | ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_UNLINK | ARCHIVE_EXTRACT_SPARSE
            | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT);
  }
  ~LayerExtractor()
  {
    archive_read_free(m_reader);
    archive_write_free(m_disk);
  }
  LayerExtractor(const LayerExtractor&) = delete;
  LayerExtractor& operator=(const LayerExtractor&) = delete;

  // Extracts every entry of the stream. Returns the first tar or extraction problem (empty when
  // none), which the caller judges after the digests.
  std::string
  extract_all(LayerStream& stream, ReadReporter& reporter)
  {
    if (archive_read_open(m_reader, &stream, nullptr, read_callback, nullptr) != ARCHIVE_OK) {
      return reader_error("not a tar archive");
    }
    for (;;) {
      struct archive_entry* entry = nullptr;
      int rc = archive_read_next_header(m_reader, &entry);
      if (rc == ARCHIVE_EOF) {
        return {};
      }
      if (rc < ARCHIVE_WARN) {
        return reader_error("tar error");
      }
      reporter.step();
      if (std::string problem = extract(entry); !problem.empty()) {
        return problem;
      }
    }
  }

  // Finishes the writes libarchive deferred (directory times and permissions).
  Status
  close(const Descriptor& layer)
  {
    if (archive_write_close(m_disk) != ARCHIVE_OK) {
      const char* message = archive_error_string(m_disk);
      return fail(ErrorCode::failure,
                  "layer {}: cannot finish writing {}: {}",
                  layer.digest,
                  m_rootfs,
                  message ? message : "libarchive error");
    }
    return {};
  }

private:
  std::string
  reader_error(const char* fallback)
  {
    return archive_error_string(m_reader) ? archive_error_string(m_reader) : fallback;
  }

  // One tar entry: a whiteout is applied, anything else is written below the root.
  std::string
  extract(struct archive_entry* entry)
  {
    const char* raw_name = archive_entry_pathname(entry);
    auto name = clean_entry_name(raw_name ? raw_name : "");
    if (!name) {
      return fmt::format("entry \"{}\" leaves the root file system", raw_name ? raw_name : "");
    }
    if (name->empty()) {
      return {}; // "./": the root itself
    }
    if (starts_with(base_of(*name), k_whiteout)) {
      ++m_summary.whiteouts;
      apply_whiteout(*name);
      return {};
    }
    m_this_layer.insert(*name);
    archive_entry_set_pathname(entry, (m_rootfs + "/" + *name).c_str());
    if (const char* link = archive_entry_hardlink(entry)) {
      auto target = clean_entry_name(link);
      if (!target || target->empty()) {
        return fmt::format("hard link \"{}\" points outside the root file system", *name);
      }
      archive_entry_set_hardlink(entry, (m_rootfs + "/" + *target).c_str());
    }
    if (archive_read_extract2(m_reader, entry, m_disk) < ARCHIVE_WARN) {
      const char* message = archive_error_string(m_disk) ? archive_error_string(m_disk)
                                                         : archive_error_string(m_reader);
      return fmt::format("{}: {}", *name, message ? message : "cannot extract");
    }
    ++m_summary.entries;
    return {};
  }

  void
  apply_whiteout(const std::string& name)
  {
    std::string base = base_of(name);
    std::string parent = parent_of(name);
    if (base == k_opaque) {
      // Opaque: what the layers below put in the directory goes; this layer's entries stay.
      std::string dir = m_rootfs + (parent.empty() ? "" : "/" + parent);
      std::error_code ec;
      for (const auto& item : std::filesystem::directory_iterator(dir, ec)) {
        std::string child = (parent.empty() ? "" : parent + "/") + item.path().filename().string();
        if (!m_this_layer.count(child)) {
          remove_below(m_rootfs, child);
        }
      }
    } else {
      std::string target = base.substr(std::strlen(k_whiteout));
      remove_below(m_rootfs, (parent.empty() ? "" : parent + "/") + target);
    }
  }

  const std::string& m_rootfs;
  UnpackSummary& m_summary;
  struct archive* m_reader;
  struct archive* m_disk;
  std::set<std::string> m_this_layer;
};

// Where a layer stands in the image, for its messages, and the diffID its tar must hash to.
struct LayerPlace {
  const Descriptor& layer;
  const std::string& diff_id;
  size_t index;
  size_t count;
};

// The digests of a layer read to its end, checked in the order that names the damage best.
Status
check_layer(LayerStream& stream,
            LayerExtractor& extractor,
            const LayerPlace& place,
            const std::string& problem)
{
  std::string blob = stream.blob_digest();
  if (blob != place.layer.digest) {
    return fail(corrupt_blob(place.layer, place.index, place.count, blob));
  }
  if (!problem.empty()) {
    return fail(
        Error(ErrorCode::invalid_input,
              fmt::format(
                  "layer {} of {} ({}): {}", place.index, place.count, place.layer.digest, problem),
              "the layer is not a valid tar stream; pack the image again"));
  }
  if (auto closed = extractor.close(place.layer); !closed) {
    return closed;
  }
  std::string tar = stream.tar_digest();
  if (tar != place.diff_id) {
    return fail(Error(
        ErrorCode::verification,
        fmt::format("layer {} of {}: blob {} unpacks to {}, but the image config lists diffID {}",
                    place.index,
                    place.count,
                    place.layer.digest,
                    tar,
                    place.diff_id),
        "the config and the layer do not belong together; pack the image again"));
  }
  return {};
}

Status
unpack_one(const LayoutImage& image,
           const LayerPlace& place,
           const std::string& rootfs,
           UnpackSummary& summary,
           const std::function<void(uint64_t)>& on_read,
           const std::atomic<bool>* cancel)
{
  auto fd = open_blob(image.blob_path(place.layer));
  if (!fd) {
    return fail(fd.error());
  }
  LayerStream stream(*fd, cancel);
  if (auto started = stream.start(place.layer); !started) {
    return started;
  }
  LayerExtractor extractor(rootfs, summary);
  ReadReporter reporter{stream, on_read};
  std::string problem = extractor.extract_all(stream, reporter);
  if (stream.cancelled()) {
    return fail(Error(ErrorCode::aborted, "cancelled while unpacking"));
  }
  // The whole blob is hashed even when the tar broke off: a flipped byte usually shows first as
  // a gzip or tar error, and the digest says which blob is damaged.
  bool tar_complete = problem.empty();
  if (auto drained = stream.drain(tar_complete); !drained) {
    if (problem.empty()) {
      problem = drained.error().message;
    }
    (void)stream.drain(false);
  }
  reporter.rest();
  if (auto checked = check_layer(stream, extractor, place, problem); !checked) {
    return checked;
  }
  summary.compressed_bytes += stream.bytes_read();
  summary.tar_bytes += stream.tar_bytes();
  return {};
}

} // namespace

std::optional<std::string>
clean_entry_name(const std::string& name)
{
  std::vector<std::string> parts;
  for (const auto& part : split(name, '/')) {
    if (part.empty() || part == ".") {
      continue;
    }
    if (part == "..") {
      return std::nullopt;
    }
    parts.push_back(part);
  }
  return join(parts, "/");
}

Result<UnpackSummary>
unpack_layers(const LayoutImage& image,
              const std::vector<std::string>& diff_ids,
              const std::string& rootfs_dir,
              const UnpackOptions& options)
{
  if (diff_ids.size() != image.layers.size()) {
    return fail(Error(ErrorCode::verification,
                      fmt::format("{}: the manifest lists {} layers but the config {} diffIDs",
                                  image.dir,
                                  image.layers.size(),
                                  diff_ids.size()),
                      "the config and the manifest do not belong together; pack the image again"));
  }
  // archive_write_disk refuses to write through symlinks on the whole path: the tree's own
  // path must have none.
  char* real = ::realpath(rootfs_dir.c_str(), nullptr);
  if (!real) {
    return fail(errno_error("cannot resolve", rootfs_dir, errno));
  }
  std::string rootfs = real;
  std::free(real);
  UnpackSummary summary;
  UnpackProgress progress;
  progress.layers = image.layers.size();
  for (const auto& layer : image.layers) {
    progress.total += layer.size;
  }
  for (size_t i = 0; i < image.layers.size(); ++i) {
    const Descriptor& layer = image.layers[i];
    if (layer.is_foreign()) {
      return fail(Error(ErrorCode::unsupported,
                        fmt::format("layer {} is non-distributable (fetched from {})",
                                    layer.digest,
                                    layer.urls.empty() ? "?" : layer.urls.front()),
                        "decant verify runs images whose layers are all in the layout"));
    }
    progress.layer = i + 1;
    if (options.progress) {
      options.progress(progress);
    }
    auto on_read = [&](uint64_t bytes) {
      progress.done += bytes;
      if (options.progress) {
        options.progress(progress);
      }
    };
    LayerPlace place{layer, diff_ids[i], i + 1, image.layers.size()};
    if (auto status = unpack_one(image, place, rootfs, summary, on_read, options.cancel); !status) {
      return fail(status.error());
    }
  }
  return summary;
}

} // namespace decant
