// Where parallel work runs: a Team of pool threads, or the calling thread alone. Kernels and the forward
// pass take an Executor, so the same code runs one chunk across all cores or one chunk per core.
//
// Work is handed out dynamically: members claim items as they get to them, and a member that has not
// started when the others are done is skipped. A member descheduled by a busy machine then delays nothing;
// the price is that code must never rely on every member taking part.
#pragma once

#include <algorithm>
#include <cstdint>

#include "runtime/function_ref.h"

namespace albert {

class Executor {
 public:
  virtual ~Executor() = default;
  // Members that may take part (the calling thread included).
  virtual int size() const = 0;

  // Calls fn(item, thread) once for every item in [0, n), spread over the members; `thread` is the member
  // index (< size()), for per-thread scratch. Returns when all items are done; rethrows the first exception.
  virtual void for_each(int64_t n, FunctionRef<void(int64_t, int)> fn) = 0;

  // Splits [0, n) into contiguous ranges, several per member, and calls fn(begin, end, thread) on each.
  void parallel_for(int64_t n, FunctionRef<void(int64_t, int64_t, int)> fn) {
    if (n <= 0) return;
    const int64_t pieces = std::min<int64_t>(n, size() == 1 ? 1 : int64_t(size()) * 4);
    if (pieces == 1) {
      fn(0, n, 0);
      return;
    }
    for_each(pieces, [&](int64_t piece, int thread) { fn(n * piece / pieces, n * (piece + 1) / pieces, thread); });
  }
};

// The calling thread alone.
class SerialExecutor final : public Executor {
 public:
  int size() const override { return 1; }
  void for_each(int64_t n, FunctionRef<void(int64_t, int)> fn) override {
    for (int64_t i = 0; i < n; ++i) fn(i, 0);
  }
};

}  // namespace albert
