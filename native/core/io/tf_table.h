// Reader for the sorted string table (LevelDB's table format) that TensorFlow writes as a checkpoint's
// `.index` file: footer, block handles, prefix-compressed entries with restart points, and the 5-byte
// trailer (compression type + masked CRC32C) after every block. Every offset and length is checked
// against the file; failures throw ERR_ALBERT_INVALID_CHECKPOINT naming the file and what is wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace albert {

struct TableEntry {
  std::string key;
  std::string value;
};

// All entries of all data blocks, in key order. Keys must be strictly increasing. Blocks may be stored raw
// or Snappy-compressed (TensorFlow's own test checkpoints use Snappy); other compression types are refused.
std::vector<TableEntry> read_table(const uint8_t* data, size_t size, const std::string& source);

}  // namespace albert
