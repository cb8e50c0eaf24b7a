#include "runtime/buffer_pool.hpp"

#include <gtest/gtest.h>

namespace cdcnn::runtime {
namespace {

TEST(BufferPool, AFreedBufferOfTheSameSizeIsReusedWithItsContents) {
  BufferPool pool;
  const float* first = nullptr;
  {
    BufferPool::Buffer b = pool.acquire(1000);
    ASSERT_EQ(b->size(), 1000u);
    (*b)[7] = 42.0f;
    first = b->data();
    EXPECT_EQ(pool.in_use(), 1u);
  }
  EXPECT_EQ(pool.in_use(), 0u);
  BufferPool::Buffer again = pool.acquire(1000);
  EXPECT_EQ(again->data(), first);  // no new allocation
  EXPECT_EQ((*again)[7], 42.0f);    // left as it was: the caller overwrites it
  EXPECT_EQ(pool.size(), 1u);
}

TEST(BufferPool, ABufferStillHeldIsNeverLentTwice) {
  // A pending send holds its buffer: a second dispatch of the same layer
  // must get another one, or it would rewrite what MPI may still be reading.
  BufferPool pool;
  BufferPool::Buffer a = pool.acquire(64);
  BufferPool::Buffer held_by_send = a;
  a.reset();
  BufferPool::Buffer b = pool.acquire(64);
  EXPECT_NE(b->data(), held_by_send->data());
  EXPECT_EQ(pool.size(), 2u);
  EXPECT_EQ(pool.in_use(), 2u);
  held_by_send.reset();  // the send completed
  EXPECT_EQ(pool.in_use(), 1u);
  EXPECT_EQ(pool.acquire(64)->size(), 64u);
  EXPECT_EQ(pool.size(), 2u);
}

TEST(BufferPool, EachSizeGetsItsOwnBuffers) {
  BufferPool pool;
  { auto a = pool.acquire(10); }
  auto b = pool.acquire(20);
  EXPECT_EQ(b->size(), 20u);
  EXPECT_EQ(pool.size(), 2u);
  auto c = pool.acquire(10);
  EXPECT_EQ(c->size(), 10u);
  EXPECT_EQ(pool.size(), 2u);  // the free 10 came back
  EXPECT_EQ(std::vector<float>(*pool.acquire(5)), std::vector<float>(5, 0.0f));  // a new one is zero-filled
}

}  // namespace
}  // namespace cdcnn::runtime
