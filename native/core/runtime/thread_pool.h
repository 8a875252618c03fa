// The process-wide compute pool. Every forward pass borrows a Team of cores for its duration; the pool
// never hands out more cores than the machine has, so concurrent forwards (on one model or many) queue
// for cores instead of oversubscribing them.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "runtime/executor.h"
#include "runtime/function_ref.h"

namespace albert {

class Worker;

class Team final : public Executor {
 public:
  // Teams come from ThreadPool::acquire.
  Team(class ThreadPool* pool, std::vector<Worker*> workers, int cores);
  ~Team() override;
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  int size() const override { return int(workers_.size()) + 1; }
  void for_each(int64_t n, FunctionRef<void(int64_t, int)> fn) override;

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
