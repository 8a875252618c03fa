#include "io/safetensors.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "error.h"
#include "io/json.h"

namespace albert {

namespace {

constexpr uint64_t kMaxHeaderBytes = uint64_t(100) << 20;

[[noreturn]] void invalid(const std::string& source, const std::string& what) {
  fail(code::kInvalidSafetensors, source + ": " + what);
}

bool parse_dtype(const std::string& s, DType& out) {
  static const std::pair<const char*, DType> kNames[] = {
      {"F64", DType::F64}, {"F32", DType::F32}, {"F16", DType::F16},   {"BF16", DType::BF16},
      {"I64", DType::I64}, {"I32", DType::I32}, {"I16", DType::I16},   {"I8", DType::I8},
      {"U64", DType::U64}, {"U32", DType::U32}, {"U16", DType::U16},   {"U8", DType::U8},
      {"BOOL", DType::Bool}, {"F8_E4M3", DType::F8E4M3}, {"F8_E5M2", DType::F8E5M2},
  };
  for (const auto& entry : kNames) {
    if (s == entry.first) {
      out = entry.second;
      return true;
    }
  }
  return false;
}

bool is_safe_shard_name(const std::string& name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  for (char c : name) {
    if (c == '/' || c == '\\' || c == ':' || c == '\0') return false;
  }
  return true;
}

}  // namespace

int64_t TensorRef::element_count() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string TensorRef::shape_string() const {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

std::map<std::string, TensorRef> parse_safetensors(const uint8_t* bytes, size_t size, const std::string& source) {
  if (size < 8) invalid(source, "file is " + std::to_string(size) + " bytes, too short for a safetensors header");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | bytes[i];
  if (header_len > size - 8) {
    invalid(source, "header length " + std::to_string(header_len) + " exceeds the file size " + std::to_string(size));
  }
  if (header_len > kMaxHeaderBytes) invalid(source, "header length " + std::to_string(header_len) + " is too large");
  if (header_len < 2) invalid(source, "header is empty");
  std::string_view header_text(reinterpret_cast<const char*>(bytes + 8), size_t(header_len));
  JsonValue header = parse_json(header_text, source + " (header)");
  if (!header.is_object()) invalid(source, "header is not a JSON object");

  const uint8_t* data = bytes + 8 + header_len;
  uint64_t data_size = size - 8 - header_len;
  std::map<std::string, TensorRef> tensors;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;

  for (const auto& [name, entry] : header.members()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) invalid(source, "__metadata__ is not an object");
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    if (!entry.is_object()) invalid(source, where + " is not an object");
    const JsonValue* dtype_value = entry.find("dtype");
    const JsonValue* shape_value = entry.find("shape");
    const JsonValue* offsets_value = entry.find("data_offsets");
    if (!dtype_value || !dtype_value->is_string()) invalid(source, where + " has no string 'dtype'");
    if (!shape_value || !shape_value->is_array()) invalid(source, where + " has no array 'shape'");
    if (!offsets_value || !offsets_value->is_array() || offsets_value->items().size() != 2) {
      invalid(source, where + " has no 'data_offsets' pair");
    }
    TensorRef ref;
    ref.name = name;
    if (!parse_dtype(dtype_value->as_string(), ref.dtype)) {
      invalid(source, where + " has unknown dtype '" + dtype_value->as_string() + "'");
    }
    if (shape_value->items().size() > 8) invalid(source, where + " has more than 8 dimensions");
    uint64_t elements = 1;
    for (const JsonValue& dim : shape_value->items()) {
      if (!dim.is_integer() || dim.as_int64() < 0) invalid(source, where + " has an invalid shape entry");
      uint64_t d = uint64_t(dim.as_int64());
      if (d != 0 && elements > (uint64_t(1) << 62) / d) invalid(source, where + " shape is too large");
      elements *= d;
      ref.shape.push_back(dim.as_int64());
    }
    const JsonValue& begin_value = offsets_value->items()[0];
    const JsonValue& end_value = offsets_value->items()[1];
    if (!begin_value.is_integer() || !end_value.is_integer() || begin_value.as_int64() < 0 ||
        end_value.as_int64() < begin_value.as_int64()) {
      invalid(source, where + " has invalid data_offsets");
    }
    uint64_t begin = uint64_t(begin_value.as_int64());
    uint64_t end = uint64_t(end_value.as_int64());
    if (end > data_size) {
      invalid(source, where + " data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
                          "] run past the end of the data (" + std::to_string(data_size) + " bytes)");
    }
    uint64_t expected = elements * dtype_size(ref.dtype);
    if (end - begin != expected) {
      invalid(source, where + " holds " + std::to_string(end - begin) + " bytes but its dtype " +
                          dtype_name(ref.dtype) + " and shape " + ref.shape_string() + " need " +
                          std::to_string(expected));
    }
    ref.data = data + begin;
    ref.nbytes = size_t(end - begin);
    if (!tensors.emplace(name, std::move(ref)).second) invalid(source, where + " appears twice");
    ranges.emplace_back(begin, end);
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i) {
    if (ranges[i].first < ranges[i - 1].second) {
      invalid(source, "tensor data ranges overlap at byte " + std::to_string(ranges[i].first));
    }
  }
  return tensors;
}

SafetensorsFile::SafetensorsFile(const std::string& path) : file_(std::make_unique<MappedFile>(path)) {
  tensors_ = parse_safetensors(file_->data(), file_->size(), path);
  for (auto& [name, ref] : tensors_) ref.file = &file_->path();
}

const TensorRef* SafetensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

std::unique_ptr<TensorStore> TensorStore::open_file(const std::string& path) {
  auto store = std::make_unique<TensorStore>();
  store->files_.push_back(std::make_unique<SafetensorsFile>(path));
  for (const auto& [name, ref] : store->files_.back()->tensors()) store->index_[name] = &ref;
  store->description_ = path;
  return store;
}

std::unique_ptr<TensorStore> TensorStore::open_folder(const std::string& folder) {
  const std::string single = join_path(folder, "model.safetensors");
  if (file_exists(single)) return open_file(single);

  const std::string index_path = join_path(folder, "model.safetensors.index.json");
  if (!file_exists(index_path)) {
    fail(code::kFileNotFound, "no weights in " + folder +
                                  ": expected model.safetensors, model.safetensors.index.json or pytorch_model.bin");
  }
  JsonValue index = parse_json(read_text_file(index_path, size_t(64) << 20), index_path);
  const JsonValue* weight_map = index.find("weight_map");
  if (!weight_map || !weight_map->is_object()) fail(code::kInvalidSafetensors, index_path + ": no 'weight_map' object");

  auto store = std::make_unique<TensorStore>();
  store->description_ = index_path;
  std::map<std::string, const SafetensorsFile*> shards;
  for (const auto& [tensor_name, shard_value] : weight_map->members()) {
    if (!shard_value.is_string() || !is_safe_shard_name(shard_value.as_string())) {
      fail(code::kInvalidSafetensors, index_path + ": weight_map entry '" + tensor_name + "' names an invalid shard file");
    }
    const std::string& shard_name = shard_value.as_string();
    auto it = shards.find(shard_name);
    if (it == shards.end()) {
      store->files_.push_back(std::make_unique<SafetensorsFile>(join_path(folder, shard_name)));
      it = shards.emplace(shard_name, store->files_.back().get()).first;
    }
    const TensorRef* ref = it->second->find(tensor_name);
    if (!ref) {
      fail(code::kInvalidSafetensors,
           index_path + ": weight_map puts '" + tensor_name + "' in " + shard_name + ", which does not hold it");
    }
    store->index_[tensor_name] = ref;
  }
  return store;
}

const TensorRef* TensorStore::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second;
}

std::vector<std::string> TensorStore::names() const {
  std::vector<std::string> out;
  out.reserve(index_.size());
  for (const auto& entry : index_) out.push_back(entry.first);
  return out;
}

const std::string* TensorStore::intern_file(const std::string& file) {
  for (const std::string& known : file_names_) {
    if (known == file) return &known;
  }
  file_names_.push_back(file);
  return &file_names_.back();
}

void TensorStore::add_view(const std::string& name, std::string display_name, DType dtype, std::vector<int64_t> shape,
                           const uint8_t* data, size_t nbytes, const std::string& file) {
  Owned& t = owned_.emplace_back();
  t.ref.name = std::move(display_name);
  t.ref.dtype = dtype;
  t.ref.shape = std::move(shape);
  t.ref.data = data;
  t.ref.nbytes = nbytes;
  t.ref.file = intern_file(file);
  index_[name] = &t.ref;
}

void TensorStore::add_owned(const std::string& name, std::string display_name, DType dtype, std::vector<int64_t> shape,
                            std::vector<uint8_t> bytes, const std::string& file) {
  add_view(name, std::move(display_name), dtype, std::move(shape), nullptr, bytes.size(), file);
  Owned& t = owned_.back();
  t.bytes = std::move(bytes);
  t.ref.data = t.bytes.data();
}

namespace {

// Closes the FILE on every path out of write_safetensors.
struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

void write_safetensors(const TensorStore& store, const std::string& path) {
  const std::vector<std::string> names = store.names();
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  uint64_t offset = 0;
  for (const std::string& name : names) {
    const TensorRef* t = store.find(name);
    std::string shape;
    for (size_t i = 0; i < t->shape.size(); ++i) shape += (i ? "," : "") + std::to_string(t->shape[i]);
    header += "," + json_quote(name) + ":{\"dtype\":\"" + dtype_name(t->dtype) + "\",\"shape\":[" + shape +
              "],\"data_offsets\":[" + std::to_string(offset) + "," + std::to_string(offset + t->nbytes) + "]}";
    offset += t->nbytes;
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // the data section starts 8-byte aligned

  const std::string partial = path + ".partial";
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(partial.c_str(), "wb"));
  if (!file) fail(code::kFileRead, "cannot create " + partial);
  auto write = [&](const void* data, size_t n) {
    if (n > 0 && std::fwrite(data, 1, n, file.get()) != n) {
      file.reset();
      std::remove(partial.c_str());
      fail(code::kFileRead, "cannot write " + partial + " (disk full?)");
    }
  };
  uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = uint8_t(uint64_t(header.size()) >> (8 * i));
  write(length, 8);
  write(header.data(), header.size());
  for (const std::string& name : names) {
    const TensorRef* t = store.find(name);
    write(t->data, t->nbytes);
  }
  if (std::fclose(file.release()) != 0 || std::rename(partial.c_str(), path.c_str()) != 0) {
    std::remove(partial.c_str());
    fail(code::kFileRead, "cannot write " + path);
  }
}

}  // namespace albert
