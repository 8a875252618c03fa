#include "io/torch_checkpoint.h"

#include <cstring>
#include <map>
#include <set>

#include "error.h"
#include "io/json.h"
#include "io/mapped_file.h"
#include "io/torch_pickle.h"
#include "io/zip_reader.h"

namespace albert {

namespace {

using Kind = PickleValue::Kind;

// 0x1950a86a20f9469cfc6c, the legacy format's magic number, as LONG1 writes it (little-endian).
constexpr uint8_t kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kLegacyProtocol = 1001;

[[noreturn]] void invalid(const std::string& what) { fail(code::kInvalidCheckpoint, what); }

std::string dims_string(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// The tensor `r` as a view of its storage's bytes (`storage_bytes`, numel x element size of them, already
// checked): contiguous, and inside the storage (or the legacy view it was made from).
TorchTensor bind(const TorchTensorRecord& r, const TorchStorage& s, const uint8_t* storage_bytes, const std::string& source) {
  const std::string where = source + ": tensor '" + r.name + "'";
  const uint64_t width = dtype_size(s.dtype);
  uint64_t numel = 1;
  for (int64_t d : r.shape) {
    if (d != 0 && numel > (uint64_t(1) << 62) / uint64_t(d)) invalid(where + " is too large");
    numel *= uint64_t(d);
  }
  // Row-major contiguity as torch defines it: the strides of size-1 dimensions do not matter.
  if (numel > 0) {
    uint64_t expected = 1;
    for (size_t i = r.shape.size(); i-- > 0;) {
      if (r.shape[i] != 1 && uint64_t(r.stride[i]) != expected) {
        fail(code::kUnsupported, where + " is not contiguous (size " + dims_string(r.shape) + ", stride " + dims_string(r.stride) +
                                     "): only contiguous tensors are read; save it after .contiguous()");
      }
      expected *= uint64_t(r.shape[i]);
    }
  }
  if (r.offset > r.limit || numel > r.limit - r.offset) {
    invalid(where + ": its " + std::to_string(numel) + " elements from offset " + std::to_string(r.offset) +
            " run past the end of storage '" + s.key + "' (" + std::to_string(r.limit) + " elements)");
  }
  TorchTensor t;
  t.name = r.name;
  t.dtype = s.dtype;
  t.shape = r.shape;
  t.data = storage_bytes + r.offset * width;
  t.nbytes = size_t(numel * width);
  return t;
}

std::vector<TorchTensor> bind_all(const TorchPickle& pickle, const std::vector<TorchTensorRecord>& records,
                                  const std::vector<const uint8_t*>& storage_bytes, const std::string& source) {
  std::vector<TorchTensor> out;
  out.reserve(records.size());
  for (const TorchTensorRecord& r : records) out.push_back(bind(r, pickle.storages()[r.storage], storage_bytes[r.storage], source));
  return out;
}

std::string record_text(const ZipReader& zip, const ZipEntry& entry) {
  const ByteSpan bytes = zip.read(entry);
  return std::string(reinterpret_cast<const char*>(bytes.data), bytes.size);
}

TorchCheckpoint parse_zip(const uint8_t* data, size_t size, const std::string& source) {
  ZipReader zip(data, size, source);
  // torch puts every record under one top folder, whose name varies (archive/, the file's stem, ...).
  std::string top;
  for (const ZipEntry& e : zip.entries()) {
    const size_t slash = e.name.find('/');
    if (slash == 0 || slash == std::string::npos || e.name.compare(slash, std::string::npos, "/data.pkl") != 0) continue;
    if (!top.empty()) invalid(source + ": the zip archive holds several data.pkl records (" + top + "/ and " + e.name.substr(0, slash) + "/)");
    top = e.name.substr(0, slash);
  }
  if (top.empty()) invalid(source + ": zip archive without a <folder>/data.pkl record: not a torch.save file");
  const std::string prefix = top + "/";

  const ZipEntry* version = zip.find(prefix + "version");
  if (!version) version = zip.find(prefix + ".data/version");
  if (!version) invalid(source + ": zip archive without a " + prefix + "version record: not a torch.save file");
  const std::string version_text = record_text(zip, *version);
  const size_t digits = version_text.find_first_not_of("0123456789");
  if (version_text.empty() || digits == 0 || version_text.size() > 16 || (digits != std::string::npos && version_text.substr(digits) != "\n")) {
    invalid(source + ": record '" + version->name + "' is not a version number");
  }
  if (const ZipEntry* order = zip.find(prefix + "byteorder")) {
    const std::string byteorder = record_text(zip, *order);
    if (byteorder == "big") fail(code::kUnsupported, source + ": big-endian checkpoints are not supported");
    if (byteorder != "little") invalid(source + ": record '" + order->name + "' is neither 'little' nor 'big'");
  }

  const ZipEntry* pkl = zip.find(prefix + "data.pkl");
  const ByteSpan pickle_bytes = zip.read(*pkl);
  TorchPickle pickle(source + " (" + pkl->name + ")");
  size_t end = 0;
  const size_t root = pickle.read(pickle_bytes.data, pickle_bytes.size, 0, &end);
  TorchCheckpoint out;
  out.format = "zip";
  const std::vector<TorchTensorRecord> records = pickle.state_dict(root, &out.skipped);

  // Each storage is the record <top>/data/<key>, exactly numel x element size bytes.
  std::vector<const uint8_t*> storage_bytes;
  for (const TorchStorage& s : pickle.storages()) {
    const ZipEntry* entry = zip.find(prefix + "data/" + s.key);
    if (!entry) invalid(source + ": storage '" + s.key + "' has no record " + prefix + "data/" + s.key);
    const ByteSpan bytes = zip.read(*entry);
    const uint64_t needed = s.numel * dtype_size(s.dtype);
    if (bytes.size != needed) {
      invalid(source + ": record '" + entry->name + "' holds " + std::to_string(bytes.size) + " bytes but its " + s.type_name + " of " +
              std::to_string(s.numel) + " elements needs " + std::to_string(needed));
    }
    storage_bytes.push_back(bytes.data);
  }
  out.tensors = bind_all(pickle, records, storage_bytes, source);
  return out;
}

TorchCheckpoint parse_legacy(const uint8_t* data, size_t size, const std::string& source) {
  TorchPickle pickle(source);
  const PickleArena& arena = pickle.arena();
  size_t at = 0;
  const size_t magic = pickle.read(data, size, at, &at);
  if (!arena[magic].is(Kind::BigInt) || arena[magic].text != std::string(reinterpret_cast<const char*>(kLegacyMagic), sizeof(kLegacyMagic))) {
    invalid(source + ": neither a zip archive nor torch's legacy format (no magic number): not a torch.save file");
  }
  const size_t protocol = pickle.read(data, size, at, &at);
  if (!arena[protocol].is(Kind::Int) || arena[protocol].integer != kLegacyProtocol) {
    fail(code::kUnsupported, source + ": legacy format protocol version is not " + std::to_string(kLegacyProtocol));
  }
  const size_t info = pickle.read(data, size, at, &at);
  if (!arena[info].is(Kind::Dict)) invalid(source + ": the legacy format's system info is not a dict");
  const std::vector<size_t>& info_items = arena[info].items;
  for (size_t i = 0; i + 1 < info_items.size(); i += 2) {
    const PickleValue& key = arena[info_items[i]];
    const PickleValue& value = arena[info_items[i + 1]];
    if (key.is(Kind::String) && key.text == "little_endian" && !(value.is(Kind::Bool) && value.integer)) {
      fail(code::kUnsupported, source + ": big-endian checkpoints are not supported");
    }
  }
  const size_t root = pickle.read(data, size, at, &at);
  const size_t keys = pickle.read(data, size, at, &at);
  if (!arena[keys].is(Kind::List)) invalid(source + ": the legacy format's storage key list is not a list");
  TorchCheckpoint out;
  out.format = "legacy";
  const std::vector<TorchTensorRecord> records = pickle.state_dict(root, &out.skipped);

  // The storages follow in key-list order, each an 8-byte little-endian element count and its bytes.
  std::map<std::string, size_t> by_key;
  for (size_t i = 0; i < pickle.storages().size(); ++i) by_key.emplace(pickle.storages()[i].key, i);
  std::vector<const uint8_t*> storage_bytes(pickle.storages().size(), nullptr);
  for (size_t key_id : arena[keys].items) {
    if (!arena[key_id].is(Kind::String)) invalid(source + ": the storage key list holds a " + std::string(pickle_kind_name(arena[key_id].kind)));
    const std::string& key = arena[key_id].text;
    auto it = by_key.find(key);
    if (it == by_key.end()) invalid(source + ": the storage key list names '" + key + "', which no tensor uses");
    if (storage_bytes[it->second]) invalid(source + ": the storage key list names '" + key + "' twice");
    const TorchStorage& s = pickle.storages()[it->second];
    if (size - at < 8) invalid(source + ": the file ends before storage '" + key + "' (truncated)");
    uint64_t count = 0;
    for (int i = 7; i >= 0; --i) count = (count << 8) | data[at + size_t(i)];
    if (count != s.numel) {
      invalid(source + ": storage '" + key + "' holds " + std::to_string(count) + " elements but its tensors' " + s.type_name + " has " +
              std::to_string(s.numel));
    }
    const uint64_t nbytes = s.numel * dtype_size(s.dtype);
    if (nbytes > size - at - 8) {
      invalid(source + ": storage '" + key + "' (" + std::to_string(nbytes) + " bytes at offset " + std::to_string(at + 8) +
              ") runs past the end of the file (" + std::to_string(size) + " bytes)");
    }
    storage_bytes[it->second] = data + at + 8;
    at += 8 + size_t(nbytes);
  }
  for (size_t i = 0; i < storage_bytes.size(); ++i) {
    if (!storage_bytes[i]) invalid(source + ": storage '" + pickle.storages()[i].key + "' is missing from the storage key list");
  }
  if (at != size) invalid(source + ": " + std::to_string(size - at) + " unexpected bytes after the last storage");
  out.tensors = bind_all(pickle, records, storage_bytes, source);
  return out;
}

bool is_safe_shard_name(const std::string& name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == '\\' || c == ':' || c == '\0') return false;
  }
  return true;
}

// Maps `path`, adds its tensors (only those in `wanted`, unless null) to `store`, and returns their names.
std::set<std::string> add_file(TensorStore& store, const std::string& path, const std::set<std::string>* wanted) {
  auto file = std::make_shared<MappedFile>(path);
  const TorchCheckpoint checkpoint = parse_torch_checkpoint(file->data(), file->size(), path);
  std::set<std::string> added;
  for (const TorchTensor& t : checkpoint.tensors) {
    if (wanted && !wanted->count(t.name)) continue;
    store.add_view(t.name, t.name, t.dtype, t.shape, t.data, t.nbytes, path);
    added.insert(t.name);
  }
  store.keep_alive(std::move(file));
  return added;
}

}  // namespace

TorchCheckpoint parse_torch_checkpoint(const uint8_t* data, size_t size, const std::string& source) {
  if (looks_like_zip(data, size)) return parse_zip(data, size, source);
  if (size >= 262 && std::memcmp(data + 257, "ustar", 5) == 0) {
    fail(code::kUnsupported, source + ": a tar archive (the format of torch before 0.4) is not supported");
  }
  // The legacy format starts with a protocol 2 pickle (PROTO); anything else is no torch.save file.
  if (size < 2 || data[0] != 0x80) invalid(source + ": neither a zip archive nor a pickle: not a torch.save file");
  return parse_legacy(data, size, source);
}

bool has_torch_checkpoint(const std::string& folder) {
  return file_exists(join_path(folder, "pytorch_model.bin")) || file_exists(join_path(folder, "pytorch_model.bin.index.json"));
}

std::unique_ptr<TensorStore> open_torch_folder(const std::string& folder) {
  const std::string single = join_path(folder, "pytorch_model.bin");
  if (file_exists(single)) {
    auto store = std::make_unique<TensorStore>(single);
    add_file(*store, single, nullptr);
    return store;
  }
  const std::string index_path = join_path(folder, "pytorch_model.bin.index.json");
  const JsonValue index = parse_json(read_text_file(index_path, size_t(64) << 20), index_path);
  const JsonValue* weight_map = index.find("weight_map");
  if (!weight_map || !weight_map->is_object()) invalid(index_path + ": no 'weight_map' object");
  std::map<std::string, std::set<std::string>> shards;  // shard file -> the tensors the index puts in it
  for (const auto& [tensor_name, shard_value] : weight_map->members()) {
    if (!shard_value.is_string() || !is_safe_shard_name(shard_value.as_string())) {
      invalid(index_path + ": weight_map entry '" + tensor_name + "' names an invalid shard file");
    }
    shards[shard_value.as_string()].insert(tensor_name);
  }
  auto store = std::make_unique<TensorStore>(index_path);
  for (const auto& [shard, wanted] : shards) {
    const std::set<std::string> added = add_file(*store, join_path(folder, shard), &wanted);
    for (const std::string& name : wanted) {
      if (!added.count(name)) invalid(index_path + ": weight_map puts '" + name + "' in " + shard + ", which does not hold it");
    }
  }
  return store;
}

}  // namespace albert
