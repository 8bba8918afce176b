#include <decant/oci/pipeline.hpp>

namespace decant {

StageThread::StageThread(Consume consume, size_t capacity)
    : m_consume(std::move(consume)),
      m_capacity(capacity == 0 ? 1 : capacity)
{
  m_thread = std::thread([this] { run(); });
}

StageThread::~StageThread()
{
  (void)finish();
}

Status
StageThread::push(Chunk chunk)
{
  std::unique_lock<std::mutex> lock(m_mutex);
  m_changed.wait(lock, [this] { return m_failed || m_queue.size() < m_capacity; });
  if (m_failed) {
    return m_status;
  }
  m_queue.push_back(std::move(chunk));
  m_changed.notify_all();
  return {};
}

Status
StageThread::finish()
{
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_closed = true;
  }
  m_changed.notify_all();
  if (m_thread.joinable()) {
    m_thread.join();
  }
  return m_status;
}

void
StageThread::run()
{
  for (;;) {
    Chunk chunk;
    {
      std::unique_lock<std::mutex> lock(m_mutex);
      m_changed.wait(lock, [this] { return m_closed || !m_queue.empty(); });
      if (m_queue.empty()) {
        return;
      }
      chunk = std::move(m_queue.front());
      m_queue.pop_front();
      m_changed.notify_all();
      if (m_failed) {
        continue; // drain what was queued before the failure was seen
      }
    }
    Status status = m_consume(*chunk);
    if (!status) {
      std::lock_guard<std::mutex> lock(m_mutex);
      m_failed = true;
      m_status = status;
      m_changed.notify_all();
    }
  }
}

std::shared_ptr<ChunkPool>
ChunkPool::create(size_t capacity, size_t keep)
{
  return std::shared_ptr<ChunkPool>(new ChunkPool(capacity, keep));
}

ChunkPool::ChunkPool(size_t capacity, size_t keep)
    : m_capacity(capacity),
      m_keep(keep)
{
}

std::string
ChunkPool::take()
{
  {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_free.empty()) {
      std::string buffer = std::move(m_free.back());
      m_free.pop_back();
      buffer.clear(); // keeps the capacity
      return buffer;
    }
  }
  std::string buffer;
  buffer.reserve(m_capacity);
  return buffer;
}

Chunk
ChunkPool::share(std::string&& data)
{
  auto self = shared_from_this();
  return Chunk(new std::string(std::move(data)), [self](const std::string* chunk) {
    // The pool owns the heap string again: moving its buffer out is fine.
    std::unique_ptr<std::string> owned(const_cast<std::string*>(chunk));
    self->give_back(std::move(*owned));
  });
}

void
ChunkPool::give_back(std::string&& buffer)
{
  if (buffer.capacity() < m_capacity) {
    return;
  }
  std::lock_guard<std::mutex> lock(m_mutex);
  if (m_free.size() < m_keep) {
    m_free.push_back(std::move(buffer));
  }
}

} // namespace decant
