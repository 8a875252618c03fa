#include "runtime/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define ALBERT_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define ALBERT_CPU_RELAX() __asm__ volatile("yield")
#else
#define ALBERT_CPU_RELAX() ((void)0)
#endif

namespace albert {

namespace {
// Spin this many rounds before sleeping: parallel regions of one forward follow each other within
// microseconds, and a futex wake costs more than that.
constexpr int kSpinRounds = 20000;

// A worker's mailbox state: (generation << 2) | phase.
constexpr uint64_t kPosted = 1;   // a task waits for the worker
constexpr uint64_t kRunning = 2;  // the worker claimed it
constexpr uint64_t kDone = 3;     // finished, or withdrawn before the worker started
constexpr uint64_t phase_of(uint64_t state) { return state & 3; }
}  // namespace

// One OS thread that runs tasks posted to its mailbox.
class Worker {
 public:
  using Task = FunctionRef<void(int)>;

  Worker() : thread_([this] { loop(); }) {}
  ~Worker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void post(const Task* task, int index, std::exception_ptr* error) {
    task_ = task;
    index_ = index;
    error_ = error;
    generation_ += 1;
    {
      // The lock orders this store against a worker that is about to sleep.
      std::lock_guard<std::mutex> lock(mutex_);
      state_.store((generation_ << 2) | kPosted, std::memory_order_release);
    }
    wake_.notify_one();
  }

  // Withdraws the task if the worker has not started it; otherwise waits for the worker to finish it.
  void finish() {
    uint64_t posted = (generation_ << 2) | kPosted;
    if (state_.compare_exchange_strong(posted, (generation_ << 2) | kDone, std::memory_order_acq_rel)) return;
    for (int spin = 0; state_.load(std::memory_order_acquire) != ((generation_ << 2) | kDone); ++spin) {
      if (spin < kSpinRounds) {
        ALBERT_CPU_RELAX();
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  bool has_task(uint64_t seen) const {
    uint64_t state = state_.load(std::memory_order_acquire);
    return state != seen && phase_of(state) == kPosted;
  }

  void loop() {
    uint64_t seen = 0;
    while (true) {
      bool found = false;
      for (int spin = 0; spin < kSpinRounds && !found; ++spin) {
        found = has_task(seen);
        if (!found) ALBERT_CPU_RELAX();
      }
      if (!found) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || has_task(seen); });
        if (stopping_) return;
      }
      // Claim only a task that is still posted: the poster may have withdrawn it (finishing all the work
      // itself) since it was seen, and a withdrawn task must never run.
      uint64_t posted = state_.load(std::memory_order_acquire);
      if (phase_of(posted) != kPosted || posted == seen) continue;
      seen = posted;
      uint64_t claimed = (posted & ~uint64_t(3)) | kRunning;
      if (!state_.compare_exchange_strong(posted, claimed, std::memory_order_acq_rel)) continue;
      try {
        (*task_)(index_);
      } catch (...) {
        *error_ = std::current_exception();
      }
      state_.store((claimed & ~uint64_t(3)) | kDone, std::memory_order_release);
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<uint64_t> state_{0};
  uint64_t generation_ = 0;  // written by the posting thread only
  const Task* task_ = nullptr;
  int index_ = 0;
  std::exception_ptr* error_ = nullptr;
  std::thread thread_;  // last: starts after the fields above exist
};

Team::Team(ThreadPool* pool, std::vector<Worker*> workers, int cores)
    : pool_(pool), workers_(std::move(workers)), cores_(cores) {}

Team::~Team() { pool_->release(workers_, cores_); }

void Team::for_each(int64_t n, FunctionRef<void(int64_t, int)> fn) {
  if (n <= 0) return;
  if (workers_.empty() || n == 1) {
    for (int64_t i = 0; i < n; ++i) fn(i, 0);
    return;
  }
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  auto claim_items = [&](int thread) {
    for (int64_t i = next.fetch_add(1, std::memory_order_relaxed); i < n && !failed.load(std::memory_order_relaxed);
         i = next.fetch_add(1, std::memory_order_relaxed)) {
      try {
        fn(i, thread);
      } catch (...) {
        failed.store(true, std::memory_order_relaxed);
        throw;
      }
    }
  };
  const size_t helpers = std::min(workers_.size(), size_t(n - 1));
  std::vector<std::exception_ptr> errors(helpers + 1);
  const Worker::Task task(claim_items);
  for (size_t w = 0; w < helpers; ++w) workers_[w]->post(&task, int(w + 1), &errors[w + 1]);
  try {
    claim_items(0);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (size_t w = 0; w < helpers; ++w) workers_[w]->finish();
  for (auto& error : errors) {
    if (error) std::rethrow_exception(error);
  }
}

ThreadPool& ThreadPool::global() {
  // Never destroyed: a forward may still run on a libuv thread while the process exits, and joining
  // workers from a static destructor then would hang or crash. The OS reclaims the threads.
  static ThreadPool* const pool = std::make_unique<ThreadPool>(ThreadPool::Key{}).release();
  return *pool;
}

ThreadPool::ThreadPool(Key)
    : max_threads_(std::max(1, int(std::thread::hardware_concurrency()))), free_cores_(max_threads_) {}

ThreadPool::~ThreadPool() = default;

std::unique_ptr<Team> ThreadPool::acquire(int threads) {
  int cores = std::clamp(threads, 1, max_threads_);
  std::unique_lock<std::mutex> lock(mutex_);
  // First come, first served: a large request is not starved by a stream of small ones.
  uint64_t ticket = next_ticket_++;
  cores_freed_.wait(lock, [&] { return serving_ticket_ == ticket && free_cores_ >= cores; });
  ++serving_ticket_;
  free_cores_ -= cores;
  std::vector<Worker*> workers;
  while (int(workers.size()) < cores - 1) {
    if (idle_workers_.empty()) {
      all_workers_.push_back(std::make_unique<Worker>());
      idle_workers_.push_back(all_workers_.back().get());
    }
    workers.push_back(idle_workers_.back());
    idle_workers_.pop_back();
  }
  lock.unlock();
  cores_freed_.notify_all();
  return std::make_unique<Team>(this, std::move(workers), cores);
}

void ThreadPool::release(std::vector<Worker*>& workers, int cores) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    free_cores_ += cores;
    for (Worker* worker : workers) idle_workers_.push_back(worker);
  }
  cores_freed_.notify_all();
}

}  // namespace albert
