// What a torch.save() pickle may hold, and what it means. The allow-list: collections.OrderedDict, the
// tensor rebuild functions of torch._utils (and torch._tensor._rebuild_from_type_v2 of torch.Tensor or
// Parameter), torch's legacy storage types (torch.FloatStorage, ...) and dtypes. Persistent ids name storages ('storage', <type>, key, location, numel[, view]); REDUCE of a
// rebuild function makes a tensor record (storage, offset, size, stride); nothing is ever called.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dtype.h"
#include "io/pickle_reader.h"

namespace albert {

struct TorchStorage {
  std::string key;  // the zip format's data/<key> entry; the legacy format's position in its key list
  DType dtype = DType::F32;
  std::string type_name;  // "torch.FloatStorage", for errors
  uint64_t numel = 0;     // elements of the whole storage
};

struct TorchTensorRecord {
  std::string name;
  size_t storage = 0;           // index into TorchPickle::storages()
  uint64_t offset = 0;          // first element, counted from the start of the storage
  uint64_t limit = 0;           // elements the tensor must stay under (the storage's, or a legacy view's end)
  std::vector<int64_t> shape;
  std::vector<int64_t> stride;  // in elements
};

class TorchPickle {
 public:
  // `source` names the file (and entry) in errors.
  explicit TorchPickle(std::string source);
  ~TorchPickle();
  TorchPickle(const TorchPickle&) = delete;
  TorchPickle& operator=(const TorchPickle&) = delete;

  // Reads the pickle at `data[offset]` up to its STOP; returns its value's id; `*end`: the offset past STOP.
  // Errors: see read_pickle; refused globals name themselves.
  size_t read(const uint8_t* data, size_t size, size_t offset, size_t* end);
  const PickleArena& arena() const { return arena_; }
  // Every storage the persistent ids named, once per key, in order of first use.
  const std::vector<TorchStorage>& storages() const;
  // The tensors of the state dict `root` (a dict of names to tensors) in its order; values that are not
  // tensors are counted in `*skipped`. Errors: ERR_ALBERT_INVALID_CHECKPOINT naming the key.
  std::vector<TorchTensorRecord> state_dict(size_t root, size_t* skipped) const;
  const std::string& source() const { return source_; }

 private:
  class Hooks;
  std::string source_;
  PickleArena arena_;
  std::unique_ptr<Hooks> hooks_;
};

}  // namespace albert
