#include "runtime/thread_pool.h"

#include <algorithm>

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
}  // namespace

// One OS thread that runs tasks posted to its mailbox.
class Worker {
 public:
  Worker() : thread_([this] { loop(); }) {}
  ~Worker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }

  void post(const FunctionRef<void(int)>* task, int index, std::exception_ptr* error) {
    task_ = task;
    index_ = index;
    error_ = error;
    uint64_t generation = posted_.load(std::memory_order_relaxed) + 1;
    {
      // The lock orders this store against a worker that is about to sleep.
      std::lock_guard<std::mutex> lock(mutex_);
      posted_.store(generation, std::memory_order_release);
    }
    wake_.notify_one();
  }

  void wait_done() {
    uint64_t target = posted_.load(std::memory_order_relaxed);
    for (int spin = 0; done_.load(std::memory_order_acquire) != target; ++spin) {
      if (spin < kSpinRounds) {
        ALBERT_CPU_RELAX();
      } else {
        std::this_thread::yield();
      }
    }
  }

 private:
  void loop() {
    uint64_t seen = 0;
    while (true) {
      uint64_t generation = 0;
      for (int spin = 0; spin < kSpinRounds; ++spin) {
        generation = posted_.load(std::memory_order_acquire);
        if (generation != seen) break;
        ALBERT_CPU_RELAX();
      }
      if (generation == seen) {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return stopping_ || posted_.load(std::memory_order_acquire) != seen; });
        if (stopping_) return;
        generation = posted_.load(std::memory_order_acquire);
      }
      seen = generation;
      try {
        (*task_)(index_);
      } catch (...) {
        *error_ = std::current_exception();
      }
      done_.store(generation, std::memory_order_release);
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<uint64_t> posted_{0};
  std::atomic<uint64_t> done_{0};
  const FunctionRef<void(int)>* task_ = nullptr;
  int index_ = 0;
  std::exception_ptr* error_ = nullptr;
  std::thread thread_;  // last: starts after the fields above exist
};

Team::Team(ThreadPool* pool, std::vector<Worker*> workers, int cores)
    : pool_(pool), workers_(std::move(workers)), cores_(cores) {}

Team::~Team() { pool_->release(workers_, cores_); }

void Team::run(FunctionRef<void(int)> fn) {
  if (workers_.empty()) {
    fn(0);
    return;
  }
  std::vector<std::exception_ptr> errors(workers_.size() + 1);
  for (size_t i = 0; i < workers_.size(); ++i) workers_[i]->post(&fn, int(i + 1), &errors[i + 1]);
  try {
    fn(0);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (Worker* worker : workers_) worker->wait_done();
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
