// pytorch_model.bin: state dicts written by torch.save(), read as weights without running their pickle.
// Both of torch's formats: the zip archive (torch >= 1.6: <top>/data.pkl, <top>/data/<key>, <top>/version)
// and the legacy stream before it (magic number, protocol version, sys info, the state dict, the storage
// keys, then each storage as an 8-byte element count and its bytes). Tensors must be little-endian and
// contiguous; every storage range is checked against the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dtype.h"
#include "io/safetensors.h"

namespace albert {

struct TorchTensor {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // inside the bytes given to parse_torch_checkpoint
  size_t nbytes = 0;
};

struct TorchCheckpoint {
  std::string format;                // "zip" or "legacy"
  std::vector<TorchTensor> tensors;  // in the state dict's order
  size_t skipped = 0;                // state dict values that are not tensors
};

// Parses a whole torch.save() file held in memory; `source` names it in errors. Errors:
// ERR_ALBERT_INVALID_CHECKPOINT (truncated or inconsistent: zip directory, pickle, storage sizes and ranges),
// ERR_ALBERT_UNSUPPORTED (globals off the allow-list, pickle opcodes a state dict does not use, compressed or
// encrypted zip entries, big-endian files, non-contiguous tensors).
TorchCheckpoint parse_torch_checkpoint(const uint8_t* data, size_t size, const std::string& source);

// True when `folder` holds pytorch_model.bin or pytorch_model.bin.index.json.
bool has_torch_checkpoint(const std::string& folder);

// The tensors of `folder`'s pytorch_model.bin, or of the shards its pytorch_model.bin.index.json lists, as
// views into the mapped files. Errors: the above, file errors, ERR_ALBERT_INVALID_CHECKPOINT for a bad index.
std::unique_ptr<TensorStore> open_torch_folder(const std::string& folder);

}  // namespace albert
