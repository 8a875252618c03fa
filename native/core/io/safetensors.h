// Reader for the safetensors format (single files and sharded checkpoints with an index.json).
// Every header field is validated against the file before any tensor byte is touched.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "dtype.h"
#include "io/mapped_file.h"

namespace albert {

struct TensorRef {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // inside a mapped file owned by the SafetensorsFile
  size_t nbytes = 0;
  const std::string* file = nullptr;

  int64_t element_count() const;
  std::string shape_string() const;
};

class SafetensorsFile {
 public:
  // Maps and validates `path`. Errors: file errors, ERR_ALBERT_INVALID_SAFETENSORS (naming the file and entry).
  explicit SafetensorsFile(const std::string& path);

  const std::map<std::string, TensorRef>& tensors() const { return tensors_; }
  const TensorRef* find(const std::string& name) const;
  const std::string& path() const { return file_->path(); }

 private:
  std::unique_ptr<MappedFile> file_;
  std::map<std::string, TensorRef> tensors_;
};

// Parses a safetensors header from memory (used by the file reader and by the fuzz tests' native hook).
// `data_size` is the number of bytes after the header; offsets are checked against it.
std::map<std::string, TensorRef> parse_safetensors(const uint8_t* bytes, size_t size, const std::string& source);

// All tensors of a checkpoint: model.safetensors, or the shards listed by model.safetensors.index.json.
class TensorStore {
 public:
  static std::unique_ptr<TensorStore> open_folder(const std::string& folder);
  static std::unique_ptr<TensorStore> open_file(const std::string& path);

  const TensorRef* find(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::string& description() const { return description_; }

 private:
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, const TensorRef*> index_;
  std::string description_;
};

}  // namespace albert
