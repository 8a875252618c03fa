// Heap buffers aligned for SIMD loads (64 bytes: one cache line, one AVX-512 register).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

#include "error.h"

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

  // Discards the contents. Throws ERR_ALBERT_OUT_OF_MEMORY when the allocation fails.
  void resize(size_t count) {
    if (count == count_) return;
    data_.reset();
    count_ = 0;
    if (count == 0) return;
    if (count > (SIZE_MAX - 63) / sizeof(T)) fail(code::kOutOfMemory, "allocation size overflows");
    size_t bytes = (count * sizeof(T) + 63) & ~size_t(63);
#ifdef _WIN32
    void* p = _aligned_malloc(bytes, 64);
#else
    void* p = std::aligned_alloc(64, bytes);
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
