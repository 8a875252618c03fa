#include "io/crc.h"

#include <array>
#include <cstring>

namespace albert {

namespace {

// Slicing-by-8 tables of a reflected CRC polynomial (t[k][b]: the CRC of byte b followed by k zero bytes):
// eight bytes per step keep checksumming a large checkpoint well under the time it takes to read it.
template <uint32_t Polynomial>
struct CrcTables {
  std::array<std::array<uint32_t, 256>, 8> t{};
  CrcTables() {
    for (uint32_t b = 0; b < 256; ++b) {
      uint32_t crc = b;
      for (int i = 0; i < 8; ++i) crc = (crc >> 1) ^ (Polynomial & (0u - (crc & 1u)));
      t[0][b] = crc;
    }
    for (uint32_t b = 0; b < 256; ++b) {
      for (size_t k = 1; k < 8; ++k) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
    }
  }
};

template <uint32_t Polynomial>
uint32_t crc_extend(uint32_t crc, const uint8_t* data, size_t size) {
  static const CrcTables<Polynomial> tables;
  const auto& t = tables.t;
  uint32_t c = ~crc;
  while (size >= 8) {
    uint32_t lo, hi;
    std::memcpy(&lo, data, 4);
    std::memcpy(&hi, data + 4, 4);
    lo ^= c;  // little-endian byte order, as every supported target is
    c = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^
        t[3][hi & 0xff] ^ t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    data += 8;
    size -= 8;
  }
  while (size-- > 0) c = (c >> 8) ^ t[0][(c ^ *data++) & 0xff];
  return ~c;
}

}  // namespace

uint32_t crc32_extend(uint32_t crc, const uint8_t* data, size_t size) { return crc_extend<0xedb88320u>(crc, data, size); }

uint32_t crc32c_extend(uint32_t crc, const uint8_t* data, size_t size) { return crc_extend<0x82f63b78u>(crc, data, size); }

}  // namespace albert
