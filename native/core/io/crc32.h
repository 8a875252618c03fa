// CRC-32 (IEEE 802.3, zlib's), as zip archives checksum their entries.
#pragma once

#include <cstddef>
#include <cstdint>

namespace albert {

// CRC-32 of `size` bytes, continuing from `crc` (0 to start).
uint32_t crc32_extend(uint32_t crc, const uint8_t* data, size_t size);
inline uint32_t crc32(const uint8_t* data, size_t size) { return crc32_extend(0, data, size); }

}  // namespace albert
