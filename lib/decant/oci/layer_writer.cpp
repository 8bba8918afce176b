#include <decant/oci/layer_writer.hpp>
#include <decant/util/fs.hpp>
#include <decant/util/strings.hpp>

#include <archive.h>

#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <clocale>
#include <map>
#include <memory>
#include <optional>
#include <utility>

namespace decant {

namespace {

// ARCHIVE_WARN is a header written with a note (a name libarchive could not translate, written
// as raw bytes); only ARCHIVE_FAILED/FATAL lose the entry.
bool
header_ok(int status)
{
  return status == ARCHIVE_OK || status == ARCHIVE_WARN;
}

// uselocale(3) for the current scope: thread-local, so nothing else in the process changes.
class ThreadUtf8Locale
{
public:
  ThreadUtf8Locale()
      : m_locale(::newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(0)))
  {
    if (m_locale != static_cast<locale_t>(0)) {
      m_previous = ::uselocale(m_locale);
    }
  }
  ~ThreadUtf8Locale()
  {
    if (m_locale != static_cast<locale_t>(0)) {
      ::uselocale(m_previous);
      ::freelocale(m_locale);
    }
  }
  ThreadUtf8Locale(const ThreadUtf8Locale&) = delete;
  ThreadUtf8Locale& operator=(const ThreadUtf8Locale&) = delete;

private:
  locale_t m_locale;
  locale_t m_previous = LC_GLOBAL_LOCALE;
};

Error
archive_failure(struct archive* archive, const std::string& what)
{
  const char* message = archive_error_string(archive);
  return Error(ErrorCode::failure,
               fmt::format("{}: {}", what, message ? message : "libarchive error"));
}

// Tar bytes travel in 1 MiB chunks: large enough that queue hand-offs cost nothing, small
// enough that the stages start early and the queues stay at a few MiB.
constexpr size_t k_tar_chunk = 1 << 20;

// The compressor's output, copied into chunks for the blob stage (SHA-256 + write(2)).
class AsyncSink : public ByteSink
{
public:
  AsyncSink(StageThread& stage, std::shared_ptr<ChunkPool> pool)
      : m_stage(stage),
        m_pool(std::move(pool))
  {
  }
  Status
  write(const void* data, size_t size) override
  {
    std::string buffer = m_pool->take();
    buffer.assign(static_cast<const char*>(data), size);
    return m_stage.push(m_pool->share(std::move(buffer)));
  }

private:
  StageThread& m_stage;
  std::shared_ptr<ChunkPool> m_pool;
};

// The writer's sink: the tar bytes are cut into chunks, each handed to the diffID hasher and
// to the compressor, which run on their own threads.
struct TarSink {
  StageThread* hash = nullptr;
  StageThread* compress = nullptr;
  std::shared_ptr<ChunkPool> pool;
  std::string chunk;
  uint64_t size = 0;
  std::optional<Error> error;

  Status
  flush()
  {
    if (chunk.empty()) {
      return {};
    }
    auto shared = pool->share(std::move(chunk));
    chunk = pool->take();
    if (auto status = hash->push(shared); !status) {
      return status;
    }
    return compress->push(std::move(shared));
  }
};

la_ssize_t
tar_write(struct archive*, void* data, const void* buffer, size_t length)
{
  auto* sink = static_cast<TarSink*>(data);
  sink->size += length;
  sink->chunk.append(static_cast<const char*>(buffer), length);
  if (sink->chunk.size() >= k_tar_chunk) {
    if (auto status = sink->flush(); !status) {
      sink->error = status.error();
      return -1;
    }
  }
  return static_cast<la_ssize_t>(length);
}

using Regions = std::vector<std::pair<int64_t, int64_t>>; // (offset, length)

// The data regions of a file with holes (lseek SEEK_DATA/SEEK_HOLE, Linux 3.1), as (offset,
// length) pairs. Empty when the file has no holes or the file system cannot say.
Regions
data_regions(int fd, const struct stat& st)
{
  Regions regions;
  // A file using fewer blocks than its size has holes; checking first spares two lseek calls
  // per ordinary file. (A compressed or inline-data file may also qualify: its map is one
  // region, and that is not treated as sparse below.)
  if (st.st_size == 0 || static_cast<int64_t>(st.st_blocks) * 512 >= st.st_size) {
    return regions;
  }
  off_t offset = 0;
  while (offset < st.st_size) {
    off_t data = ::lseek(fd, offset, SEEK_DATA);
    if (data < 0) {
      if (errno == ENXIO) {
        break; // only a hole up to the end
      }
      return {}; // SEEK_DATA unsupported: read it whole
    }
    off_t hole = ::lseek(fd, data, SEEK_HOLE);
    if (hole < 0) {
      return {};
    }
    hole = std::min<off_t>(hole, st.st_size);
    if (hole > data) {
      regions.emplace_back(data, hole - data);
    }
    offset = hole;
  }
  ::lseek(fd, 0, SEEK_SET);
  if (regions.size() == 1 && regions[0].first == 0 && regions[0].second == st.st_size) {
    return {};
  }
  return regions;
}

// One regular file on its way into the archive: the open file, where its bytes go, and how many
// of them were copied.
struct FileCopy {
  struct archive* archive;
  int fd;
  const PackEntry& file;
  const std::function<void(uint64_t)>& progress;
  uint64_t& done;
  Sha256* hash;
  int64_t copied = 0;

  // Feeds `length` bytes of the file from `offset` (or zeros for a hole) to the archive.
  Status
  range(int64_t offset, int64_t length, bool hole)
  {
    static thread_local std::string buffer(1 << 18, '\0');
    static const std::string zeros(1 << 18, '\0');
    while (length > 0) {
      size_t want = static_cast<size_t>(std::min<int64_t>(length, buffer.size()));
      ssize_t n = 0;
      if (hole) {
        // The PAX writer drops the bytes of a hole itself (GNU sparse 1.0): they are only counted.
        n = static_cast<ssize_t>(want);
      } else {
        n = ::pread(fd, buffer.data(), want, offset);
        if (n < 0 && errno == EINTR) {
          continue;
        }
        if (n < 0) {
          return fail(errno_error("cannot read", file.path, errno));
        }
        if (n == 0) {
          return {}; // shrank: reported by the caller
        }
      }
      const char* bytes = hole ? zeros.data() : buffer.data();
      if (hash != nullptr) {
        hash->update(bytes, static_cast<size_t>(n)); // a hole reads back as zeros
      }
      if (archive_write_data(archive, bytes, static_cast<size_t>(n)) < 0) {
        return fail(archive_failure(archive, "cannot write " + file.path));
      }
      offset += n;
      length -= n;
      copied += n;
      if (!hole) {
        done += static_cast<uint64_t>(n);
        if (progress) {
          progress(done);
        }
      }
    }
    return {};
  }

  // The file of `size` bytes: whole, or its data `regions` with the holes between them.
  Status
  all(int64_t size, const Regions& regions)
  {
    if (regions.empty()) {
      return range(0, size, false);
    }
    Status status;
    int64_t position = 0;
    for (const auto& [offset, length] : regions) {
      if (status && offset > position) {
        status = range(position, offset - position, true);
      }
      if (status) {
        status = range(offset, length, false);
      }
      position = offset + length;
    }
    if (status && position < size) {
      status = range(position, size - position, true);
    }
    return status;
  }
};

// Opens a file of the set for reading and checks it is still a regular file; -1 when a live
// machine's file was removed since the walk (the image simply does not have it).
Result<int>
open_regular_file(const PackEntry& file, const HostRoot& root, struct stat& st)
{
  std::string real = file.source.empty() ? root.real(file.path) : file.source;
  // O_NONBLOCK: a file replaced by a FIFO or a device since the walk must not block the pack.
  int fd = ::open(real.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) {
    if (file.live && errno == ENOENT) {
      return -1;
    }
    return fail(errno_error("cannot open", file.path, errno));
  }
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return fail(Error(ErrorCode::source_changed,
                      fmt::format("{} was a regular file when the file set was made and is now {}",
                                  file.path,
                                  file_kind(st.st_mode)),
                      "the source changed while decant packed it; run pack again"));
  }
  return fd;
}

// Records the checksum of what was read, and judges a file whose size or mtime changed while
// it was read: an error, except for a live machine's file, which is packed as read.
Status
check_file_read(const PackEntry& file,
                const struct stat& before,
                const struct stat& after,
                int64_t copied,
                std::optional<Sha256>& hash,
                const EntryWriteOptions& options)
{
  bool changed = copied != before.st_size || after.st_size != before.st_size
                 || after.st_mtim.tv_sec != before.st_mtim.tv_sec
                 || after.st_mtim.tv_nsec != before.st_mtim.tv_nsec;
  if (hash) {
    options.checksums->push_back(
        {file.path, static_cast<uint64_t>(std::max<int64_t>(copied, 0)), hash->hex()});
  }
  if (changed && options.changed_since_walk != nullptr) {
    *options.changed_since_walk = true;
  }
  if (changed && file.live) {
    // libarchive pads a short entry with zeros when the next header is written.
    return {};
  }
  if (changed) {
    return fail(Error(ErrorCode::source_changed,
                      fmt::format("{} changed while it was read ({} bytes, now {})",
                                  file.path,
                                  before.st_size,
                                  after.st_size),
                      "stop the application's writes to this file, or add it to \"exclude\" or "
                      "\"volumes\" in analysis.json"));
  }
  return {};
}

// Reads a regular file into the archive. The header carries the size fstat gives on the opened
// file; if the file then grows, shrinks or is rewritten while being read the entry would lie,
// so that is an error the caller can retry (or, for a live machine's file, packed as read).
// Holes are not inflated: the entry gets a sparse map and only the data regions are stored.
Status
write_file_data(struct archive* archive,
                struct archive_entry* entry,
                const PackEntry& file,
                const HostRoot& root,
                const EntryWriteOptions& options,
                uint64_t& done)
{
  struct stat before {
  };
  auto fd = open_regular_file(file, root, before);
  if (!fd) {
    return fail(fd.error());
  }
  if (*fd < 0) {
    return {};
  }
  if (options.changed_since_walk != nullptr && file.source.empty()
      && (static_cast<uint64_t>(before.st_size) != file.size || before.st_mtim.tv_sec != file.mtime
          || before.st_mtim.tv_nsec != file.mtime_nsec)) {
    *options.changed_since_walk = true;
  }
  std::optional<Sha256> hash;
  if (options.checksums != nullptr && file.source.empty()) {
    hash.emplace();
  }
  archive_entry_set_size(entry, before.st_size);
  Regions regions = data_regions(*fd, before);
  for (const auto& [offset, length] : regions) {
    archive_entry_sparse_add_entry(entry, offset, length);
  }
  if (!regions.empty() && regions.back().first + regions.back().second < before.st_size) {
    // A trailing hole: GNU tar's convention is a last, empty region at the end of the file.
    archive_entry_sparse_add_entry(entry, before.st_size, 0);
  }
  if (!header_ok(archive_write_header(archive, entry))) {
    ::close(*fd);
    return fail(archive_failure(archive, "cannot write the header of " + file.path));
  }
  FileCopy copy{archive, *fd, file, options.progress, done, hash ? &*hash : nullptr};
  Status status = copy.all(before.st_size, regions);
  struct stat after {
  };
  ::fstat(*fd, &after);
  ::close(*fd);
  if (!status) {
    return status;
  }
  return check_file_read(file, before, after, copy.copied, hash, options);
}

} // namespace

std::vector<PackEntry>
layer_entries(const FileSet& set, FileRole role)
{
  std::map<std::string, PackEntry> out;
  for (const auto& [path, entry] : set.entries) {
    if (entry.role != role) {
      continue;
    }
    out.emplace(path, entry);
    // Parents with the mode and owner they have on the source: a 0700 parent locks the app
    // user out exactly as it would on the source, and a 0755 one does not.
    for (std::string parent = dir_name(path); parent.size() > 1; parent = dir_name(parent)) {
      if (out.count(parent)) {
        break;
      }
      auto found = set.entries.find(parent);
      if (found != set.entries.end() && found->second.type == EntryType::directory) {
        out.emplace(parent, found->second);
      } else {
        PackEntry dir;
        dir.path = parent;
        dir.type = EntryType::directory;
        dir.mode = 0755;
        dir.role = role;
        out.emplace(parent, dir);
      }
    }
  }
  std::vector<PackEntry> entries;
  entries.reserve(out.size());
  for (auto& [path, entry] : out) {
    entries.push_back(std::move(entry));
  }
  return entries;
}

int64_t
layer_mtime(const PackEntry& entry,
            std::optional<int64_t> clamp_mtime,
            std::optional<int64_t> directory_mtime)
{
  if (directory_mtime && entry.type == EntryType::directory) {
    return *directory_mtime;
  }
  return clamp_mtime && entry.mtime > *clamp_mtime ? *clamp_mtime : entry.mtime;
}

Status
write_entries(struct archive* archive,
              const std::vector<PackEntry>& entries,
              const HostRoot& root,
              std::optional<int64_t> clamp_mtime,
              const std::function<void(uint64_t)>& progress)
{
  EntryWriteOptions options;
  options.clamp_mtime = clamp_mtime;
  options.progress = progress;
  return write_entries(archive, entries, root, options);
}

Status
write_entries(struct archive* archive,
              const std::vector<PackEntry>& entries,
              const HostRoot& root,
              const EntryWriteOptions& options)
{
  const auto& clamp_mtime = options.clamp_mtime;
  std::map<std::pair<uint64_t, uint64_t>, std::string> first_link;
  uint64_t done = 0;
  struct archive_entry* entry = archive_entry_new();
  for (const auto& file : entries) {
    if (options.cancel != nullptr && options.cancel->load(std::memory_order_relaxed)) {
      archive_entry_free(entry);
      return fail(Error(ErrorCode::aborted, "packing stopped"));
    }
    archive_entry_clear(entry);
    // Relative names: image-spec "Filesystem Layers" forbids nothing else, and no entry can
    // contain ".." because every path was normalized from an absolute one.
    std::string name = file.path.substr(1);
    if (name.empty() || name.find("/../") != std::string::npos || name.rfind("../", 0) == 0) {
      archive_entry_free(entry);
      return fail(ErrorCode::invalid_input, "refusing to pack the path {}", file.path);
    }
    archive_entry_set_pathname(entry, name.c_str());
    archive_entry_set_uid(entry, file.uid);
    archive_entry_set_gid(entry, file.gid);
    archive_entry_set_mtime(entry, layer_mtime(file, clamp_mtime, options.directory_mtime), 0);
    if (!file.capability.empty()) {
      archive_entry_xattr_add_entry(
          entry, "security.capability", file.capability.data(), file.capability.size());
    }
    for (const auto& [xattr_name, value] : file.xattrs) {
      archive_entry_xattr_add_entry(entry, xattr_name.c_str(), value.data(), value.size());
    }
    Status status;
    switch (file.type) {
    case EntryType::directory:
      archive_entry_set_filetype(entry, AE_IFDIR);
      archive_entry_set_perm(entry, file.mode);
      if (!header_ok(archive_write_header(archive, entry))) {
        status = fail(archive_failure(archive, "cannot write " + file.path));
      }
      break;
    case EntryType::symlink:
      archive_entry_set_filetype(entry, AE_IFLNK);
      archive_entry_set_perm(entry, 0777);
      archive_entry_set_symlink(entry, file.link_target.c_str());
      if (!header_ok(archive_write_header(archive, entry))) {
        status = fail(archive_failure(archive, "cannot write " + file.path));
      }
      break;
    case EntryType::regular: {
      archive_entry_set_filetype(entry, AE_IFREG);
      archive_entry_set_perm(entry, file.mode);
      if (file.generated) {
        archive_entry_set_size(entry, static_cast<la_int64_t>(file.content.size()));
        if (!header_ok(archive_write_header(archive, entry))
            || archive_write_data(archive, file.content.data(), file.content.size()) < 0) {
          status = fail(archive_failure(archive, "cannot write " + file.path));
        }
        break;
      }
      if (file.links > 1) {
        auto key = std::make_pair(file.device, file.inode);
        auto found = first_link.find(key);
        if (found != first_link.end()) {
          archive_entry_set_hardlink(entry, found->second.c_str());
          archive_entry_set_size(entry, 0);
          if (!header_ok(archive_write_header(archive, entry))) {
            status = fail(archive_failure(archive, "cannot write " + file.path));
          }
          break;
        }
        first_link.emplace(key, name);
      }
      status = write_file_data(archive, entry, file, root, options, done);
      break;
    }
    }
    if (!status) {
      archive_entry_free(entry);
      return status;
    }
  }
  archive_entry_free(entry);
  return {};
}

Result<LayerResult>
write_layer(const std::vector<PackEntry>& entries,
            const HostRoot& root,
            const std::string& blobs_dir,
            const LayerOptions& options)
{
  auto sink = BlobSink::create(blobs_dir);
  if (!sink) {
    return fail(sink.error());
  }
  // Linux names are bytes; the PAX writer stores them as UTF-8 and converts through the
  // thread's locale, which fails for any non-ASCII name in the C locale (Debian's CA links have
  // names like "NetLock_Arany_=Class_Gold=_F\xc5\x91tan\xc3\xbas\xc3\xadtv\xc3\xa1ny.pem"). C.UTF-8
  // for this thread only makes valid UTF-8 names pass unchanged; other bytes are written raw with a
  // libarchive warning.
  ThreadUtf8Locale utf8_locale;
  // The pipeline: this thread reads files and formats the tar; the diffID hash, the compressor
  // (with its own workers) and the blob (hash + write) each run on a thread of their own, so
  // none of them waits for the others while a core is free. Declared in this order so they are
  // destroyed (joined) before what they use.
  BlobSink& blob = **sink;
  StageThread blob_stage(
      [&blob](const std::string& chunk) { return blob.write(chunk.data(), chunk.size()); }, 16);
  // Compressed pieces: a gzip member of a 1 MiB chunk, or zstd's 128 KiB output buffer.
  AsyncSink compressed(blob_stage, ChunkPool::create(k_tar_chunk, 24));
  auto compressor = make_compressor(options.compression, compressed);
  Sha256 diff_id;
  StageThread hash_stage(
      [&diff_id](const std::string& chunk) -> Status {
        diff_id.update(chunk.data(), chunk.size());
        return {};
      },
      8);
  StageThread compress_stage(
      [&compressor](const std::string& chunk) {
        return compressor->write(chunk.data(), chunk.size());
      },
      8);
  TarSink tar;
  tar.hash = &hash_stage;
  tar.compress = &compress_stage;
  // Enough buffers for both queues and the ones being consumed.
  tar.pool = ChunkPool::create(k_tar_chunk, 24);
  tar.chunk = tar.pool->take();
  struct archive* archive = archive_write_new();
  archive_write_set_format_pax_restricted(archive);
  // Unblocked: libarchive hands headers and file data straight to tar_write instead of copying
  // them into 10 KiB records first (one memcpy of the whole layer less). The stream is the
  // same tar; only the padding of the last record, which readers ignore, is not written.
  archive_write_set_bytes_per_block(archive, 0);
  if (archive_write_open(archive, &tar, nullptr, tar_write, nullptr) != ARCHIVE_OK) {
    Error error = archive_failure(archive, "cannot start a layer");
    archive_write_free(archive);
    return fail(error);
  }
  LayerResult result;
  EntryWriteOptions write_options;
  write_options.clamp_mtime = options.clamp_mtime;
  write_options.directory_mtime = options.directory_mtime;
  write_options.progress = options.progress;
  write_options.checksums = options.checksums ? &result.checksums : nullptr;
  write_options.cancel = options.cancel;
  write_options.changed_since_walk = &result.changed_since_walk;
  auto status = write_entries(archive, entries, root, write_options);
  if (status && archive_write_close(archive) != ARCHIVE_OK) {
    status = fail(tar.error ? *tar.error : archive_failure(archive, "cannot finish a layer"));
  }
  archive_write_free(archive);
  if (!status) {
    // A stage's own error (disk full) says more than libarchive's "write failed".
    return fail(tar.error && status.error().code == ErrorCode::failure ? *tar.error
                                                                       : status.error());
  }
  if (auto flushed = tar.flush(); !flushed) {
    return fail(flushed.error());
  }
  if (auto hashed = hash_stage.finish(); !hashed) {
    return fail(hashed.error());
  }
  if (auto compressed_all = compress_stage.finish(); !compressed_all) {
    return fail(compressed_all.error());
  }
  if (auto finished = compressor->finish(); !finished) {
    return fail(finished.error());
  }
  if (auto written = blob_stage.finish(); !written) {
    return fail(written.error());
  }
  auto committed = blob.commit();
  if (!committed) {
    return fail(committed.error());
  }
  result.blob = *committed;
  result.diff_id = "sha256:" + diff_id.hex();
  result.media_type = layer_media_type(options.compression);
  result.tar_size = tar.size;
  for (const auto& entry : entries) {
    result.files += entry.type == EntryType::directory ? 0 : 1;
  }
  return result;
}

} // namespace decant
