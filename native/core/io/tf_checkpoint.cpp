#include "io/tf_checkpoint.h"

#include <cstdio>

#include "error.h"
#include "io/crc.h"
#include "io/tf_table.h"
#include "tokenizer/protobuf_reader.h"

namespace albert {

namespace {

using tok::ProtoReader;

constexpr int kMaxShards = 1 << 16;
constexpr int kMaxRank = 32;

struct DtypeInfo {
  int value;
  const char* name;
  size_t size;  // 0: variable size
};

// TensorFlow's types.proto values that can appear in a checkpoint.
constexpr DtypeInfo kDtypes[] = {
    {1, "DT_FLOAT", 4},   {2, "DT_DOUBLE", 8},     {3, "DT_INT32", 4},  {4, "DT_UINT8", 1},
    {5, "DT_INT16", 2},   {6, "DT_INT8", 1},       {7, "DT_STRING", 0}, {8, "DT_COMPLEX64", 8},
    {9, "DT_INT64", 8},   {10, "DT_BOOL", 1},      {14, "DT_BFLOAT16", 2}, {17, "DT_UINT16", 2},
    {18, "DT_COMPLEX128", 16}, {19, "DT_HALF", 2}, {22, "DT_UINT32", 4}, {23, "DT_UINT64", 8},
};

const DtypeInfo* find_dtype(int dtype) {
  for (const DtypeInfo& d : kDtypes) {
    if (d.value == dtype) return &d;
  }
  return nullptr;
}

std::string shard_file(const std::string& prefix, int shard, int shards) {
  char suffix[48];
  std::snprintf(suffix, sizeof(suffix), ".data-%05d-of-%05d", shard, shards);
  return prefix + suffix;
}

void parse_header(std::string_view bytes, const std::string& source, TfIndex& index) {
  ProtoReader r(bytes, source + ": header", code::kInvalidCheckpoint);
  ProtoReader::Field f;
  index.num_shards = 0;
  while (r.next(f)) {
    if (f.number == 1) {
      index.num_shards = r.as_int32(f, "num_shards");
    } else if (f.number == 2) {
      if (r.as_uint64(f, "endianness") != 0) r.fail("the checkpoint is big-endian, which this reader does not support");
    } else if (f.number == 3) {
      ProtoReader v(r.as_bytes(f, "version"), source + ": header.version", code::kInvalidCheckpoint);
      ProtoReader::Field vf;
      while (v.next(vf)) {
        // min_consumer: the oldest reader version that can read this file (bundle format version 1).
        if (vf.number == 2 && v.as_int32(vf, "min_consumer") > 1) {
          v.fail("needs a newer tensor bundle reader (min_consumer " + std::to_string(v.as_int32(vf, "min_consumer")) + ")");
        }
      }
    }
  }
  if (index.num_shards < 1 || index.num_shards > kMaxShards) {
    fail(code::kInvalidCheckpoint, source + ": header declares " + std::to_string(index.num_shards) + " data shards");
  }
}

std::vector<int64_t> parse_shape(std::string_view bytes, const ProtoReader& parent) {
  ProtoReader r(bytes, parent.where() + ".shape", code::kInvalidCheckpoint);
  ProtoReader::Field f;
  std::vector<int64_t> shape;
  while (r.next(f)) {
    if (f.number == 2) {
      ProtoReader d(r.as_bytes(f, "dim"), r.where() + ".dim", code::kInvalidCheckpoint);
      ProtoReader::Field df;
      int64_t size = 0;
      while (d.next(df)) {
        if (df.number == 1) size = int64_t(d.as_uint64(df, "size"));
      }
      if (size < 0) d.fail("dimension " + std::to_string(shape.size()) + " is " + std::to_string(size));
      if (shape.size() >= size_t(kMaxRank)) r.fail("more than " + std::to_string(kMaxRank) + " dimensions");
      shape.push_back(size);
    } else if (f.number == 3 && r.as_bool(f, "unknown_rank")) {
      r.fail("the shape has unknown rank");
    }
  }
  return shape;
}

TfTensorEntry parse_entry(const std::string& name, std::string_view bytes, const std::string& source) {
  TfTensorEntry e;
  e.name = name;
  ProtoReader r(bytes, source + ": entry '" + printable_key(name) + "'", code::kInvalidCheckpoint);
  ProtoReader::Field f;
  int64_t shard = 0, offset = 0, size = 0;
  while (r.next(f)) {
    switch (f.number) {
      case 1: e.dtype = r.as_int32(f, "dtype"); break;
      case 2: e.shape = parse_shape(r.as_bytes(f, "shape"), r); break;
      case 3: shard = int64_t(r.as_uint64(f, "shard_id")); break;
      case 4: offset = int64_t(r.as_uint64(f, "offset")); break;
      case 5: size = int64_t(r.as_uint64(f, "size")); break;
      case 6:
        if (f.wire_type != ProtoReader::kFixed32) r.fail("field 'crc32c' must be fixed32");
        e.masked_crc32c = uint32_t(f.varint);
        break;
      case 7: e.partitioned = true; break;
      default: break;  // unknown fields: skipped, as protobuf does
    }
  }
  if (shard < 0 || offset < 0 || size < 0) r.fail("negative shard, offset or size");
  e.shard = int(std::min<int64_t>(shard, int64_t(kMaxShards) + 1));
  e.offset = uint64_t(offset);
  e.size = uint64_t(size);
  const DtypeInfo* dtype = find_dtype(e.dtype);
  if (!dtype) r.fail("unknown dtype " + std::to_string(e.dtype));
  if (e.partitioned) return e;  // the slices' entries carry the bytes
  const int64_t count = e.element_count();
  if (count < 0) r.fail("the shape's element count overflows");
  if (dtype->size != 0 && (uint64_t(count) > UINT64_MAX / dtype->size || uint64_t(count) * dtype->size != e.size)) {
    r.fail("size " + std::to_string(e.size) + " bytes disagrees with " + std::to_string(count) + " elements of " + dtype->name);
  }
  return e;
}

}  // namespace

int64_t TfTensorEntry::element_count() const {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d != 0 && count > INT64_MAX / d) return -1;
    count *= d;
  }
  return count;
}

std::string tf_dtype_name(int dtype) {
  const DtypeInfo* d = find_dtype(dtype);
  return d ? d->name : "DT_" + std::to_string(dtype);
}

size_t tf_dtype_size(int dtype) {
  const DtypeInfo* d = find_dtype(dtype);
  return d ? d->size : 0;
}

TfIndex parse_tf_index(const uint8_t* data, size_t size, const std::string& source) {
  std::vector<TableEntry> table = read_table(data, size, source);
  if (table.empty() || !table[0].key.empty()) {
    fail(code::kInvalidCheckpoint, source + ": the index has no header entry (the empty key)");
  }
  TfIndex index;
  parse_header(table[0].value, source, index);
  index.entries.reserve(table.size() - 1);
  for (size_t i = 1; i < table.size(); ++i) {
    TfTensorEntry e = parse_entry(table[i].key, table[i].value, source);
    if (e.shard >= index.num_shards) {
      fail(code::kInvalidCheckpoint, source + ": entry '" + printable_key(e.name) + "' names shard " + std::to_string(e.shard) +
                                         " of " + std::to_string(index.num_shards));
    }
    index.entries.push_back(std::move(e));
  }
  return index;
}

TfCheckpoint::TfCheckpoint(const std::string& prefix) : prefix_(prefix) {
  const std::string index_path = prefix + ".index";
  {
    MappedFile file(index_path);
    index_ = parse_tf_index(file.data(), file.size(), index_path);
  }
  for (int s = 0; s < index_.num_shards; ++s) {
    const std::string path = shard_file(prefix, s, index_.num_shards);
    if (!file_exists(path)) {
      fail(code::kFileNotFound, index_path + " names " + std::to_string(index_.num_shards) + " data shard(s), but " + path + " is missing");
    }
    shards_.push_back(std::make_unique<MappedFile>(path));
  }
  for (size_t i = 0; i < index_.entries.size(); ++i) {
    const TfTensorEntry& e = index_.entries[i];
    by_name_[e.name] = i;
    if (e.partitioned) continue;
    const size_t shard_size = shards_[size_t(e.shard)]->size();
    if (e.offset > shard_size || e.size > shard_size - e.offset) {
      fail(code::kInvalidCheckpoint, index_path + ": tensor '" + printable_key(e.name) + "' spans bytes [" + std::to_string(e.offset) +
                                         ", " + std::to_string(e.offset + e.size) + ") but " +
                                         shards_[size_t(e.shard)]->path() + " has " + std::to_string(shard_size) +
                                         " bytes (truncated?)");
    }
  }
}

TfCheckpoint::~TfCheckpoint() = default;

const TfTensorEntry* TfCheckpoint::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &index_.entries[it->second];
}

const std::string& TfCheckpoint::shard_path(const TfTensorEntry& entry) const { return shards_[size_t(entry.shard)]->path(); }

const uint8_t* TfCheckpoint::data(const TfTensorEntry& e) const {
  if (e.partitioned) {
    fail(code::kUnsupported, prefix_ + ".index: tensor '" + printable_key(e.name) + "' is a partitioned variable (saved in slices), "
                                       "which this reader does not support");
  }
  const uint8_t* bytes = shards_[size_t(e.shard)]->data() + e.offset;
  if (crc32c_mask(crc32c(bytes, size_t(e.size))) != e.masked_crc32c) {
    fail(code::kInvalidCheckpoint, shard_path(e) + ": the bytes of tensor '" + printable_key(e.name) + "' fail their CRC32C check "
                                       "(the data file is corrupt or does not belong to this index)");
  }
  return bytes;
}

}  // namespace albert
