// The two CRCs the checkpoint readers verify: CRC-32 (IEEE 802.3, zlib's), as zip archives (pytorch_model.bin)
// checksum their entries, and CRC-32C (Castagnoli), as TensorFlow checksums its table blocks and tensor bytes,
// with the "masked" form TensorFlow stores (so that a CRC over data holding CRCs stays well distributed).
#pragma once

#include <cstddef>
#include <cstdint>

namespace albert {

// CRC-32 of `size` bytes, continuing from `crc` (0 to start).
uint32_t crc32_extend(uint32_t crc, const uint8_t* data, size_t size);
inline uint32_t crc32(const uint8_t* data, size_t size) { return crc32_extend(0, data, size); }

// CRC-32C of `size` bytes, continuing from `crc` (0 to start).
uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t size);
inline uint32_t crc32c(const uint8_t* data, size_t size) { return crc32c_extend(0, data, size); }

inline uint32_t crc32c_mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }

}  // namespace albert
