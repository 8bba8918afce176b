#pragma once

// Content-addressed blobs of an OCI image layout (image-spec v1.1 "image-layout.md"): written to
// a temporary file in blobs/sha256/ while hashed, then renamed to the hex digest, so a
// blobs/sha256/<hex> file is always complete (umoci's oci/cas/dir).

#include <decant/error.hpp>
#include <decant/oci/pipeline.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace decant {

// Incremental SHA-256 (OpenSSL EVP).
class Sha256
{
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  std::string hex(); // finalizes; 64 lowercase hex digits

private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

struct BlobInfo {
  std::string digest; // "sha256:<hex>"
  uint64_t size = 0;
};

// A blob being written: bytes go to a temporary file and into the digest at once.
class BlobSink : public ByteSink
{
public:
  // `blobs_dir` is <layout>/blobs/sha256.
  static Result<std::unique_ptr<BlobSink>> create(const std::string& blobs_dir);
  ~BlobSink() override; // removes the temporary file unless committed

  Status write(const void* data, size_t size) override;
  // fsyncs, renames to blobs/sha256/<hex> and returns the digest.
  Result<BlobInfo> commit();
  uint64_t
  size() const
  {
    return m_size;
  }

private:
  BlobSink(std::string dir, std::string tmp, int fd);

  std::string m_dir;
  std::string m_tmp;
  int m_fd = -1;
  uint64_t m_size = 0;
  uint64_t m_synced = 0; // bytes handed to writeback by sync_file_range
  Sha256 m_hash;
  bool m_committed = false;
};

// Writes a small blob (config, manifest) in one call.
Result<BlobInfo> write_blob(const std::string& blobs_dir, std::string_view content);

} // namespace decant
