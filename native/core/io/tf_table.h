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

// A key as error messages show it: control bytes escaped (\xNN) and long keys cut short, so that a corrupt
// index cannot put raw binary or megabytes of key into a message.
std::string printable_key(std::string_view key);

// All entries of all data blocks, in key order. Keys must be strictly increasing. Blocks may be stored raw
// or Snappy-compressed (TensorFlow's own test checkpoints use Snappy); other compression types are refused.
std::vector<TableEntry> read_table(const uint8_t* data, size_t size, const std::string& source);

}  // namespace albert
