#include "runtime/buffer_pool.hpp"

#include <algorithm>

namespace cdcnn::runtime {

namespace {
bool free_buffer(const BufferPool::Buffer& b) { return b.use_count() == 1; }
}  // namespace

BufferPool::Buffer BufferPool::acquire(std::size_t floats) {
  for (const auto& b : buffers_)
    if (free_buffer(b) && b->size() == floats) return b;
  return buffers_.emplace_back(std::make_shared<std::vector<float>>(floats));
}

std::size_t BufferPool::in_use() const {
  return static_cast<std::size_t>(std::count_if(buffers_.begin(), buffers_.end(), [](const Buffer& b) { return !free_buffer(b); }));
}

}  // namespace cdcnn::runtime
