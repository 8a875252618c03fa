// Where parallel work runs: a Team of pool threads, or the calling thread alone. Kernels and the forward
// pass take an Executor, so the same code runs one chunk across all cores or one chunk per core.
#pragma once

#include <algorithm>
#include <cstdint>

#include "runtime/function_ref.h"

namespace albert {

class Executor {
 public:
  virtual ~Executor() = default;
  virtual int size() const = 0;
  // Runs fn(thread_index) on every member, index 0 on the calling thread; returns when all are done.
  virtual void run(FunctionRef<void(int)> fn) = 0;

  // Splits [0, n) into one contiguous range per member: fn(begin, end, thread_index).
  void parallel_for(int64_t n, FunctionRef<void(int64_t, int64_t, int)> fn) {
    int members = int(std::min<int64_t>(size(), std::max<int64_t>(n, 1)));
    if (members <= 1) {
      if (n > 0) fn(0, n, 0);
      return;
    }
    run([&](int index) {
      if (index >= members) return;
      int64_t begin = n * index / members;
      int64_t end = n * (index + 1) / members;
      if (begin < end) fn(begin, end, index);
    });
  }
};

// The calling thread alone.
class SerialExecutor final : public Executor {
 public:
  int size() const override { return 1; }
  void run(FunctionRef<void(int)> fn) override { fn(0); }
};

}  // namespace albert
