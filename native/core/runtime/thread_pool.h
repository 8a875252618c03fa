// The process-wide compute pool. Every forward pass borrows a Team of cores for its duration; the pool
// never hands out more cores than the machine has, so concurrent forwards (on one model or many) queue
// for cores instead of oversubscribing them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/function_ref.h"

namespace albert {

class Worker;

class Team {
 public:
  // Teams come from ThreadPool::acquire.
  Team(class ThreadPool* pool, std::vector<Worker*> workers, int cores);
  ~Team();
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  int size() const { return int(workers_.size()) + 1; }

  // Runs fn(thread_index) on every member, index 0 on the calling thread; returns when all are done.
  // An exception thrown by any member is rethrown here after the others finish.
  void run(FunctionRef<void(int)> fn);

  // Splits [0, n) into one contiguous range per member: fn(begin, end, thread_index).
  void parallel_for(int64_t n, FunctionRef<void(int64_t, int64_t, int)> fn);

 private:
  class ThreadPool* pool_;
  std::vector<Worker*> workers_;
  int cores_;
};

class ThreadPool {
 public:
  struct Key {};  // only global() constructs the pool
  explicit ThreadPool(Key);
  static ThreadPool& global();
  ~ThreadPool();

  int max_threads() const { return max_threads_; }
  // Blocks until `threads` cores (clamped to [1, max_threads]) are free; they return when the Team dies.
  std::unique_ptr<Team> acquire(int threads);

 private:
  friend class Team;
  void release(std::vector<Worker*>& workers, int cores);

  const int max_threads_;
  std::mutex mutex_;
  std::condition_variable cores_freed_;
  int free_cores_;
  uint64_t next_ticket_ = 0;
  uint64_t serving_ticket_ = 0;
  std::vector<std::unique_ptr<Worker>> all_workers_;
  std::vector<Worker*> idle_workers_;
};

}  // namespace albert
