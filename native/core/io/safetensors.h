// Reader for the safetensors format (single files and sharded checkpoints with an index.json).
// Every header field is validated against the file before any tensor byte is touched.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
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

// All tensors of a checkpoint by their Hugging Face names: model.safetensors, the shards listed by
// model.safetensors.index.json, or tensors another reader (TensorFlow checkpoints) adds under those names.
class TensorStore {
 public:
  static std::unique_ptr<TensorStore> open_folder(const std::string& folder);
  static std::unique_ptr<TensorStore> open_file(const std::string& path);
  explicit TensorStore(std::string description = "") : description_(std::move(description)) {}

  const TensorRef* find(const std::string& name) const;
  std::vector<std::string> names() const;
  const std::string& description() const { return description_; }

  // Adds `name` whose bytes live elsewhere (kept alive with keep_alive()); `file` names them in errors and
  // `display_name` is what errors call the tensor (its name in the original checkpoint).
  void add_view(const std::string& name, std::string display_name, DType dtype, std::vector<int64_t> shape,
                const uint8_t* data, size_t nbytes, const std::string& file);
  // Adds `name` with bytes the store owns.
  void add_owned(const std::string& name, std::string display_name, DType dtype, std::vector<int64_t> shape,
                 std::vector<uint8_t> bytes, const std::string& file);
  void keep_alive(std::shared_ptr<const void> owner) { owners_.push_back(std::move(owner)); }
  // How errors name a tensor the model needs but the store lacks (by default the name itself).
  void set_missing_name(std::function<std::string(const std::string&)> describe) { missing_name_ = std::move(describe); }
  std::string missing_name(const std::string& name) const { return missing_name_ ? missing_name_(name) : name; }

 private:
  struct Owned {
    TensorRef ref;
    std::vector<uint8_t> bytes;
  };
  const std::string* intern_file(const std::string& file);

  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::deque<Owned> owned_;         // deque: references to its elements stay valid as it grows
  std::deque<std::string> file_names_;
  std::vector<std::shared_ptr<const void>> owners_;
  std::map<std::string, const TensorRef*> index_;
  std::string description_;
  std::function<std::string(const std::string&)> missing_name_;
};

// Writes every tensor of `store` (in name order, dtypes as stored) to a new safetensors file at `path`
// (written beside it first, then renamed). Errors: ERR_ALBERT_FILE_READ naming the path.
void write_safetensors(const TensorStore& store, const std::string& path);

}  // namespace albert
