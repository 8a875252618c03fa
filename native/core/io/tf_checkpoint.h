// TensorFlow's checkpoint format (tensor bundle V2), read without TensorFlow: PREFIX.index maps each
// tensor name to a BundleEntryProto (dtype, shape, shard, offset, size, masked CRC32C of its bytes), and the
// PREFIX.data-NNNNN-of-NNNNN shards hold the raw little-endian bytes back to back, with no alignment.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/mapped_file.h"

namespace albert {

struct TfTensorEntry {
  std::string name;
  int dtype = 0;  // TensorFlow's DataType enum (DT_FLOAT = 1, DT_INT64 = 9, DT_HALF = 19, ...)
  std::vector<int64_t> shape;
  int shard = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  uint32_t masked_crc32c = 0;
  bool partitioned = false;  // a variable saved in slices (its bytes live in other entries)

  int64_t element_count() const;
};

struct TfIndex {
  int num_shards = 0;
  std::vector<TfTensorEntry> entries;  // in key order, without the header entry
};

// Name of a DataType enum value ("DT_FLOAT"), or "DT_<n>" for values this reader does not know.
std::string tf_dtype_name(int dtype);
// Bytes per element; 0 for variable-size (DT_STRING) or unknown dtypes.
size_t tf_dtype_size(int dtype);

// Parses and validates a whole .index file: the table, the header (shard count, endianness, version), and
// every entry (known dtype, non-negative dims, size = elements x dtype size, shard in range). Errors:
// ERR_ALBERT_INVALID_CHECKPOINT naming `source` and the entry.
TfIndex parse_tf_index(const uint8_t* data, size_t size, const std::string& source);

class TfCheckpoint {
 public:
  // Opens PREFIX.index and maps its data shards (each checked to exist and to hold every entry's bytes).
  explicit TfCheckpoint(const std::string& prefix);
  ~TfCheckpoint();

  const std::string& prefix() const { return prefix_; }
  const std::vector<TfTensorEntry>& entries() const { return index_.entries; }
  const TfTensorEntry* find(const std::string& name) const;
  // The tensor's bytes inside its mapped shard, after checking their CRC32C. Errors name the tensor and shard.
  const uint8_t* data(const TfTensorEntry& entry) const;
  // The shard file that holds `entry` (for error messages).
  const std::string& shard_path(const TfTensorEntry& entry) const;

 private:
  std::string prefix_;
  TfIndex index_;
  std::map<std::string, size_t> by_name_;
  std::vector<std::unique_ptr<MappedFile>> shards_;
};

}  // namespace albert
