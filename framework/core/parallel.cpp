#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace cdcnn {

namespace {

// True on a pool thread, and on the caller while it runs tasks: a
// parallel_for from inside a task runs serially instead of waiting on itself.
thread_local bool inside_task = false;

class Pool {
 public:
  int threads() const { return threads_.load(std::memory_order_relaxed); }

  void resize(int n) {
    std::lock_guard submit(submit_);
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
    stop_ = false;
    // A new thread counts jobs from now, however late it first runs.
    for (int i = 1; i < n; ++i) workers_.emplace_back([this, seen = generation_] { work(seen); });
    threads_.store(n, std::memory_order_relaxed);
  }

  void run(Index count, const std::function<void(Index)>& task) {
    std::unique_lock submit(submit_, std::try_to_lock);
    if (inside_task || !submit.owns_lock() || workers_.empty() || count <= 1) {
      for (Index i = 0; i < count; ++i) task(i);
      return;
    }
    {
      std::lock_guard lock(mutex_);
      task_ = &task;
      count_ = count;
      next_.store(0);
      failed_.store(false);
      error_ = nullptr;
      busy_ = static_cast<int>(workers_.size());
      ++generation_;
    }
    wake_.notify_all();
    inside_task = true;
    drain();
    inside_task = false;
    std::unique_lock lock(mutex_);
    // Every pool thread checks in before the job's state may be reused.
    done_.wait(lock, [this] { return busy_ == 0; });
    task_ = nullptr;
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
  }

 private:
  void work(std::uint64_t seen) {
    inside_task = true;
    std::unique_lock lock(mutex_);
    for (;;) {
      // Blocks in the kernel until notified: an idle pool costs no CPU.
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      lock.unlock();
      drain();
      lock.lock();
      if (--busy_ == 0) done_.notify_one();
    }
  }

  void drain() {
    for (Index i = next_.fetch_add(1); i < count_; i = next_.fetch_add(1)) {
      if (failed_.load(std::memory_order_relaxed)) continue;
      try {
        (*task_)(i);
      } catch (...) {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = std::current_exception();
        failed_.store(true);
      }
    }
  }

  std::atomic<int> threads_{1};
  std::mutex submit_;  // one parallel_for at a time; held by resize too
  std::vector<std::thread> workers_;

  std::mutex mutex_;  // guards what follows but the atomics
  std::condition_variable wake_, done_;
  bool stop_ = false;
  std::uint64_t generation_ = 0;  // bumped once per job
  int busy_ = 0;                  // pool threads yet to finish the current job
  const std::function<void(Index)>* task_ = nullptr;
  Index count_ = 0;  // written before the job is published under mutex_
  std::atomic<Index> next_{0};
  std::atomic<bool> failed_{false};
  std::exception_ptr error_;
};

// Never destroyed: a rank may leave through std::_Exit (the watchdog) or
// MPI_Abort while a job runs, and joining then would hang the exit.
Pool& pool() {
  static Pool* const instance = new Pool;
  return *instance;
}

}  // namespace

int compute_threads() { return pool().threads(); }

void set_compute_threads(int n) {
  require(n >= 1 && n <= kMaxComputeThreads, "--threads must be in 1..", kMaxComputeThreads, ", got ", n);
  if (n != pool().threads()) pool().resize(n);
}

void parallel_for(Index count, const std::function<void(Index)>& task) { pool().run(count, task); }

void parallel_ranges(Index n, Index min_size, const std::function<void(Index, Index)>& f) {
  const EvenSplit split(n, 8, min_size);
  parallel_for(split.parts(), [&](Index part) { f(split.begin(part), split.end(part)); });
}

Index min_items_per_task(Index work_per_item, Index repeats) {
  constexpr double kMinTaskWork = 1 << 15;
  const double work = std::max(1.0, static_cast<double>(work_per_item) * static_cast<double>(repeats));
  return work >= kMinTaskWork ? 1 : static_cast<Index>(kMinTaskWork / work);
}

EvenSplit::EvenSplit(Index n, Index max_parts, Index min_size) {
  parts_ = std::clamp<Index>(n / std::max<Index>(min_size, 1), 1, std::max<Index>(max_parts, 1));
  base_ = n / parts_;
  extra_ = n % parts_;
}

}  // namespace cdcnn
