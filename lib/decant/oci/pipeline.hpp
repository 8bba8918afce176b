#pragma once

// A stage of the layer pipeline: a thread that consumes byte chunks from a bounded queue, so
// reading files, hashing the tar (diffID), feeding the compressor and hashing + writing the
// blob run on different cores instead of one after another on the thread that reads.
// Chunks are shared (one tar chunk goes to both the diffID hasher and the compressor) and
// immutable once pushed.

#include <decant/error.hpp>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace decant {

using Chunk = std::shared_ptr<const std::string>;

class StageThread
{
public:
  using Consume = std::function<Status(const std::string&)>;

  // `capacity` chunks may wait in the queue; push() blocks beyond that, which bounds memory.
  StageThread(Consume consume, size_t capacity);
  ~StageThread(); // finish() if not done yet
  StageThread(const StageThread&) = delete;
  StageThread& operator=(const StageThread&) = delete;

  // Queues a chunk. Once the stage has failed, returns its error at once (later chunks are
  // dropped), so the producer stops instead of blocking on a stage that no longer consumes.
  Status push(Chunk chunk);
  // Waits until every queued chunk is consumed; the first error of the stage, if any.
  Status finish();

private:
  void run();

  Consume m_consume;
  size_t m_capacity;
  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::deque<Chunk> m_queue;
  bool m_closed = false;
  bool m_failed = false;
  Status m_status;
  std::thread m_thread;
};

// Recycles chunk buffers. A fresh 1 MiB std::string per chunk is a fresh mmap from malloc whose
// pages are faulted in and zeroed again, and the chunk is freed on another thread: about 2 % of
// a pack's CPU time went to that. Buffers come back when the last stage drops the chunk.
class ChunkPool : public std::enable_shared_from_this<ChunkPool>
{
public:
  // Buffers of `capacity` bytes; at most `keep` are kept for reuse.
  static std::shared_ptr<ChunkPool> create(size_t capacity, size_t keep);
  // An empty buffer with at least `capacity` bytes reserved.
  std::string take();
  // Shares `data`; its buffer returns to the pool when the last holder lets go.
  Chunk share(std::string&& data);

private:
  ChunkPool(size_t capacity, size_t keep);
  void give_back(std::string&& buffer);

  size_t m_capacity;
  size_t m_keep;
  std::mutex m_mutex;
  std::vector<std::string> m_free;
};

// A byte sink whose writes are copied into chunks and consumed by a StageThread: the
// compressor's output goes to the blob (SHA-256 + write(2)) on another core.
class ByteSink
{
public:
  virtual ~ByteSink() = default;
  virtual Status write(const void* data, size_t size) = 0;
};

} // namespace decant
