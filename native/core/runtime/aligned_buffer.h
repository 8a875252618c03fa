// Heap buffers aligned for SIMD loads (64 bytes: one cache line, one AVX-512 register).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

#include "error.h"

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace albert {

namespace detail {
struct AlignedFree {
  void operator()(void* p) const noexcept {
#ifdef _WIN32
    _aligned_free(p);
#else
    std::free(p);
#endif
  }
};
}  // namespace detail

template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(size_t count) { resize(count); }

  // Discards the contents. Throws ERR_ALBERT_OUT_OF_MEMORY when the allocation fails. `huge_pages` asks for
  // 2 MiB pages where the OS offers them (Linux transparent huge pages): for large, long-lived buffers that
  // are streamed over and over, like packed weights, it saves a TLB miss every 4 KiB.
  void resize(size_t count, bool huge_pages = false) {
    if (count == count_) return;
    data_.reset();
    count_ = 0;
    if (count == 0) return;
    if (count > (SIZE_MAX - 63) / sizeof(T)) fail(code::kOutOfMemory, "allocation size overflows");
    size_t bytes = (count * sizeof(T) + 63) & ~size_t(63);
#ifdef _WIN32
    (void)huge_pages;
    void* p = _aligned_malloc(bytes, 64);
#else
    // Huge pages back only the whole 2 MiB extents of the data: the tail stays on small pages, so the
    // resident size stays that of the data. (posix_memalign: aligned_alloc wants a size that is a multiple
    // of the alignment.)
    constexpr size_t kHugePage = size_t(2) << 20;
    const bool huge = huge_pages && bytes >= 2 * kHugePage;
    void* p = nullptr;
    if (huge) {
      if (posix_memalign(&p, kHugePage, bytes) != 0) p = nullptr;
    } else {
      p = std::aligned_alloc(64, bytes);
    }
#if defined(__linux__)
    if (p && huge) madvise(p, bytes & ~(kHugePage - 1), MADV_HUGEPAGE);  // advisory: a no-op where THP is off
#endif
#endif
    if (!p) fail(code::kOutOfMemory, "cannot allocate " + std::to_string(bytes) + " bytes");
    data_.reset(static_cast<T*>(p));
    count_ = count;
  }
  // Grows (never shrinks) without keeping contents.
  void ensure(size_t count) {
    if (count > count_) resize(count);
  }

  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  size_t size() const { return count_; }
  T& operator[](size_t i) { return data_.get()[i]; }
  const T& operator[](size_t i) const { return data_.get()[i]; }

 private:
  std::unique_ptr<T, detail::AlignedFree> data_;
  size_t count_ = 0;
};

}  // namespace albert
