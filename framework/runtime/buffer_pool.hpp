#pragma once
// Message buffers reused from one inference to the next (docs/architecture.md §3,
// "Buffers"). A layer's input message and a worker's result are tens of MB
// for VGG16; allocating them afresh for every layer of every inference maps
// new pages each time (page faults, zero-filling) and cost more than the
// copies themselves. A pool keeps them: a buffer is lent out as a shared_ptr
// and is free again once every holder has let go — the pending nonblocking
// sends of one dispatch each hold it, so a buffer is never rewritten while
// MPI may still read it (a send to a slow or dead rank keeps its buffer; the
// pool then makes another).

#include <cstddef>
#include <memory>
#include <vector>

namespace cdcnn::runtime {

class BufferPool {
 public:
  using Buffer = std::shared_ptr<std::vector<float>>;

  /// A buffer of exactly `floats` floats that nobody else holds: a free one
  /// of that size if there is one (its old contents left as they are), a new
  /// zero-filled one otherwise. The pool keeps its own reference.
  Buffer acquire(std::size_t floats);

  /// Buffers the pool has made so far (free or lent out).
  std::size_t size() const { return buffers_.size(); }
  /// Buffers lent out and not yet given back.
  std::size_t in_use() const;

 private:
  std::vector<Buffer> buffers_;
};

}  // namespace cdcnn::runtime
