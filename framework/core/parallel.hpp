#pragma once
// The compute threads of one process (one MPI rank): `--threads N` of cdcnn
// infer, run and accuracy. Layers and decoders cut their work into tasks
// whose number and bounds depend only on the problem, never on the thread
// count, and hand them to parallel_for; each task writes its own part of
// the output. So a result is bit-for-bit the same with 1, 2 or N threads —
// only which thread runs a task changes.
//
// The pool is cdcnn's own (std::thread, one mutex and condition variable),
// not OpenMP or Eigen's parallel GEMM (EIGEN_DONT_PARALLELIZE stays on):
// Eigen's parallel GEMM picks its blocking from the thread count, so its
// sums would change with N; and an idle pool thread sleeps on the condition
// variable, where OpenMP's default wait policy spins after every parallel
// region — a worker rank waiting for its next layer must not burn a core.

#include <functional>

#include "core/tensor.hpp"

namespace cdcnn {

/// How many threads parallel_for runs tasks on (the caller included); 1
/// until set_compute_threads.
int compute_threads();

/// Sets the thread count for the whole process: n − 1 pool threads are
/// started (or stopped) now and sleep until there is work. Error unless
/// 1 ≤ n ≤ kMaxComputeThreads.
void set_compute_threads(int n);
inline constexpr int kMaxComputeThreads = 256;

/// Sets the thread count for its lifetime and puts the previous one back.
class ComputeThreads {
 public:
  explicit ComputeThreads(int n) : previous_(compute_threads()) { set_compute_threads(n); }
  ~ComputeThreads() { set_compute_threads(previous_); }
  ComputeThreads(const ComputeThreads&) = delete;
  ComputeThreads& operator=(const ComputeThreads&) = delete;

 private:
  int previous_;
};

/// Runs task(i) for every i in [0, count) on the compute threads, the
/// calling thread among them, and returns when all have finished; tasks are
/// handed out in order to whichever thread is free. If a task throws, the
/// remaining ones are skipped and the first exception is rethrown here.
/// Runs serially when there is one thread or one task, and when called from
/// inside a task or while another thread's parallel_for holds the pool.
void parallel_for(Index count, const std::function<void(Index)>& task);

/// Runs f(begin, end) over consecutive ranges that cover [0, n), on the
/// compute threads: for elementwise passes (ReLU, a residual add, the bias
/// fill), whose result does not depend on the cut. The ranges are at least
/// `min_size` elements long (one range, run here, if n is smaller) and at
/// most 8, enough for a Pi's 4 cores.
void parallel_ranges(Index n, Index min_size, const std::function<void(Index, Index)>& f);
/// A good `min_size` for parallel_ranges over floats: 64 KiB of them (a
/// wake-up of another thread costs microseconds).
inline constexpr Index kMinElementwiseRange = Index{1} << 14;

/// Splits [0, n) into at most `max_parts` contiguous parts of at least
/// `min_size` elements each (sizes differing by at most one); parts() is at
/// least 1. A function of its arguments only, so that work cut with it is
/// the same whatever the thread count.
class EvenSplit {
 public:
  EvenSplit(Index n, Index max_parts, Index min_size);
  Index parts() const { return parts_; }
  Index begin(Index part) const { return part * base_ + std::min(part, extra_); }
  Index end(Index part) const { return begin(part + 1); }

 private:
  Index parts_, base_, extra_;
};

/// The fewest items of `work_per_item` inner-loop steps × `repeats` each
/// that make a task worth handing to another thread (a wake-up costs
/// microseconds: a task should take longer): at least 1.
Index min_items_per_task(Index work_per_item, Index repeats = 1);

}  // namespace cdcnn
