#include <decant/oci/compress.hpp>

#include <zstd.h>

#include <libdeflate.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace decant {

namespace {

constexpr size_t k_gzip_chunk = 1 << 20;

unsigned
thread_count(unsigned wanted)
{
  unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  return wanted == 0 ? cores : wanted;
}

class PlainCompressor : public Compressor
{
public:
  explicit PlainCompressor(ByteSink& sink)
      : m_sink(sink)
  {
  }
  Status
  write(const char* data, size_t size) override
  {
    return m_sink.write(data, size);
  }
  Status
  finish() override
  {
    return {};
  }

private:
  ByteSink& m_sink;
};

// pigz-style parallel gzip: chunks go to a fixed pool of workers (each with its own libdeflate
// compressor, which allocates its match finder once), results are written in submission order.
class ParallelGzip : public Compressor
{
public:
  ParallelGzip(ByteSink& sink, int level, unsigned threads)
      : m_sink(sink),
        m_level(level),
        m_max_pending(2 * threads)
  {
    for (unsigned i = 0; i < threads; ++i) {
      m_workers.emplace_back([this] { work(); });
    }
  }

  ~ParallelGzip() override
  {
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_stop = true;
    }
    m_wake.notify_all();
    for (auto& worker : m_workers) {
      worker.join();
    }
  }

  Status
  write(const char* data, size_t size) override
  {
    while (size > 0) {
      size_t take = std::min(size, k_gzip_chunk - m_chunk.size());
      m_chunk.append(data, take);
      data += take;
      size -= take;
      if (m_chunk.size() == k_gzip_chunk) {
        if (auto status = submit(); !status) {
          return status;
        }
      }
    }
    return {};
  }

  Status
  finish() override
  {
    if (!m_chunk.empty() || !m_wrote_any) {
      if (auto status = submit(); !status) {
        return status;
      }
    }
    while (!m_results.empty()) {
      if (auto status = drain_one(); !status) {
        return status;
      }
    }
    return {};
  }

private:
  struct Job {
    std::string input;
    std::promise<std::string> output;
  };

  Status
  submit()
  {
    m_wrote_any = true;
    auto job = std::make_unique<Job>();
    job->input = std::move(m_chunk);
    m_chunk.clear();
    m_chunk.reserve(k_gzip_chunk);
    m_results.push_back(job->output.get_future());
    {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_jobs.push_back(std::move(job));
    }
    m_wake.notify_one();
    // Bounded: at most 2 chunks per worker in flight, so memory stays at a few MiB.
    while (m_results.size() >= m_max_pending) {
      if (auto status = drain_one(); !status) {
        return status;
      }
    }
    return {};
  }

  Status
  drain_one()
  {
    std::string out = m_results.front().get();
    m_results.pop_front();
    return m_sink.write(out.data(), out.size());
  }

  void
  work()
  {
    libdeflate_compressor* compressor = libdeflate_alloc_compressor(m_level);
    for (;;) {
      std::unique_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_wake.wait(lock, [this] { return m_stop || !m_jobs.empty(); });
        if (m_jobs.empty()) {
          break;
        }
        job = std::move(m_jobs.front());
        m_jobs.pop_front();
      }
      std::string out(libdeflate_gzip_compress_bound(compressor, job->input.size()), '\0');
      size_t n = libdeflate_gzip_compress(
          compressor, job->input.data(), job->input.size(), out.data(), out.size());
      out.resize(n);
      job->output.set_value(std::move(out));
    }
    libdeflate_free_compressor(compressor);
  }

  ByteSink& m_sink;
  int m_level;
  size_t m_max_pending;
  std::string m_chunk;
  bool m_wrote_any = false;
  std::deque<std::future<std::string>> m_results;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::deque<std::unique_ptr<Job>> m_jobs;
  bool m_stop = false;
  std::vector<std::thread> m_workers;
};

class ZstdCompressor : public Compressor
{
public:
  ZstdCompressor(ByteSink& sink, int level, unsigned threads)
      : m_sink(sink),
        m_ctx(ZSTD_createCCtx()),
        m_out(ZSTD_CStreamOutSize(), '\0')
  {
    ZSTD_CCtx_setParameter(m_ctx, ZSTD_c_compressionLevel, level);
    ZSTD_CCtx_setParameter(m_ctx, ZSTD_c_checksumFlag, 1);
    // Workers >= 1 also makes the output independent of the worker count (zstd.h, nbWorkers).
    ZSTD_CCtx_setParameter(m_ctx, ZSTD_c_nbWorkers, static_cast<int>(threads));
  }
  ~ZstdCompressor() override { ZSTD_freeCCtx(m_ctx); }

  Status
  write(const char* data, size_t size) override
  {
    return run(data, size, ZSTD_e_continue);
  }
  Status
  finish() override
  {
    return run(nullptr, 0, ZSTD_e_end);
  }

private:
  Status
  run(const char* data, size_t size, ZSTD_EndDirective mode)
  {
    ZSTD_inBuffer input{data, size, 0};
    for (;;) {
      ZSTD_outBuffer output{m_out.data(), m_out.size(), 0};
      size_t left = ZSTD_compressStream2(m_ctx, &output, &input, mode);
      if (ZSTD_isError(left)) {
        return fail(ErrorCode::failure, "zstd: {}", ZSTD_getErrorName(left));
      }
      if (output.pos > 0) {
        if (auto status = m_sink.write(m_out.data(), output.pos); !status) {
          return status;
        }
      }
      bool done = mode == ZSTD_e_end ? left == 0 : input.pos == input.size;
      if (done) {
        return {};
      }
    }
  }

  ByteSink& m_sink;
  ZSTD_CCtx* m_ctx;
  std::string m_out;
};

} // namespace

Compression
make_compression(int level, bool zstd)
{
  Compression c;
  c.level = level;
  c.codec = level == 0 ? Codec::none : zstd ? Codec::zstd : Codec::gzip;
  return c;
}

Status
check_compression_level(int level)
{
  if (level < 0 || level > 10) {
    return fail(Error(ErrorCode::usage,
                      fmt::format("--compression {} is out of range", level),
                      "use 0 (none) to 10 (strongest)"));
  }
  return {};
}

int
deflate_level(int level)
{
  return level >= 10 ? 12 : std::max(1, level);
}

int
zstd_level(int level)
{
  static const int k_map[] = {0, 1, 2, 2, 3, 3, 3, 3, 6, 12, 19};
  return k_map[std::clamp(level, 1, 10)];
}

std::string
layer_media_type(const Compression& compression)
{
  switch (compression.codec) {
  case Codec::none:
    return "application/vnd.oci.image.layer.v1.tar";
  case Codec::gzip:
    return "application/vnd.oci.image.layer.v1.tar+gzip";
  case Codec::zstd:
    return "application/vnd.oci.image.layer.v1.tar+zstd";
  }
  return "";
}

std::unique_ptr<Compressor>
make_compressor(const Compression& compression, ByteSink& sink)
{
  unsigned threads = thread_count(compression.threads);
  switch (compression.codec) {
  case Codec::gzip:
    return std::make_unique<ParallelGzip>(sink, deflate_level(compression.level), threads);
  case Codec::zstd:
    return std::make_unique<ZstdCompressor>(sink, zstd_level(compression.level), threads);
  case Codec::none:
    break;
  }
  return std::make_unique<PlainCompressor>(sink);
}

std::string
gzip_member(const char* data, size_t size, int level)
{
  libdeflate_compressor* compressor = libdeflate_alloc_compressor(level);
  std::string out(libdeflate_gzip_compress_bound(compressor, size), '\0');
  out.resize(libdeflate_gzip_compress(compressor, data, size, out.data(), out.size()));
  libdeflate_free_compressor(compressor);
  return out;
}

} // namespace decant
