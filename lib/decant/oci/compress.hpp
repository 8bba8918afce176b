#pragma once

// Layer compression on all cores.
//  - gzip: the tar stream is cut into 1 MiB chunks, each deflated independently by libdeflate on
//    a worker thread and written as its own gzip member, in order. RFC 1952 section 2.2 allows
//    a file of several members; gzip, Go's compress/gzip (containerd, skopeo, umoci) and zlib's
//    gunzip read them as one stream. Like pigz, the price is that a chunk cannot refer back into
//    the one before it (< 1 % in size at 1 MiB).
//  - zstd: libzstd's own worker threads (ZSTD_c_nbWorkers).
//  - none: the tar itself (application/vnd.oci.image.layer.v1.tar).
//
// decant's levels 0-10 (the scale migration tools offer operators): 0 = no compression, 1-9 =
// deflate levels 1-9, 10 = strongest (libdeflate level 12). With --zstd: see zstd_level().

#include <decant/error.hpp>
#include <decant/oci/blob.hpp>

#include <memory>
#include <string>

namespace decant {

enum class Codec { none, gzip, zstd };

struct Compression {
  Codec codec = Codec::gzip;
  int level = 7;        // 0-10
  unsigned threads = 0; // 0 = every core
};

// Level 0 means no compression whatever the codec.
Compression make_compression(int level, bool zstd);

// A level outside 0-10 is a usage error naming --compression.
Status check_compression_level(int level);

// decant level -> libdeflate level: 1-9 as is, 10 -> 12.
int deflate_level(int level);
// decant level -> zstd level: 1 -> 1, 2 -> 2, 3 -> 2, 4 -> 3, 5 -> 3, 6 -> 3, 7 -> 3 (zstd's
// default, what `zstd -3` gives), 8 -> 6, 9 -> 12, 10 -> 19.
int zstd_level(int level);

std::string layer_media_type(const Compression& compression);

// Takes the uncompressed layer and writes the compressed bytes to a sink (the blob).
class Compressor
{
public:
  virtual ~Compressor() = default;
  virtual Status write(const char* data, size_t size) = 0;
  virtual Status finish() = 0;
};

std::unique_ptr<Compressor> make_compressor(const Compression& compression, ByteSink& sink);

// One chunk as a gzip member with libdeflate (exposed for tests).
std::string gzip_member(const char* data, size_t size, int libdeflate_level);

} // namespace decant
