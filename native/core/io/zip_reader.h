// Reader of zip archives as torch.save writes them (torch >= 1.6): entries STORED (uncompressed), their
// data aligned by padding in the local headers, ZIP64 records when the archive is large. It reads bytes it
// does not own (a mapped file) and checks every offset and size against them before touching anything.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace albert {

struct ZipEntry {
  std::string name;
  uint64_t local_header = 0;  // offset of the entry's local file header
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint32_t crc32 = 0;
  uint16_t method = 0;  // 0: stored, 8: deflate, ...
  uint16_t flags = 0;   // bit 0: encrypted
};

struct ByteSpan {
  const uint8_t* data = nullptr;
  size_t size = 0;
};

// True when `data` starts like a zip archive (a local file header signature).
bool looks_like_zip(const uint8_t* data, size_t size);

class ZipReader {
 public:
  // Parses the end record and the central directory. `source` names the archive in errors.
  // Errors: ERR_ALBERT_INVALID_CHECKPOINT (truncated or inconsistent directory, duplicate names),
  // ERR_ALBERT_UNSUPPORTED (multi-part archives).
  ZipReader(const uint8_t* data, size_t size, std::string source);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;
  // The entry's bytes, after checking its local header, its range and its CRC-32. Errors:
  // ERR_ALBERT_UNSUPPORTED for compressed or encrypted entries, ERR_ALBERT_INVALID_CHECKPOINT otherwise.
  ByteSpan read(const ZipEntry& entry) const;
  const std::string& source() const { return source_; }

 private:
  const uint8_t* data_;
  size_t size_;
  std::string source_;
  uint64_t directory_offset_ = 0;  // entry data must lie before the central directory
  std::vector<ZipEntry> entries_;
  std::map<std::string, size_t> by_name_;
};

}  // namespace albert
