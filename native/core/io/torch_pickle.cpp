#include "io/torch_pickle.h"

#include <map>
#include <set>

#include "error.h"

namespace albert {

namespace {

using Kind = PickleValue::Kind;

constexpr int kStorageTag = 1;
constexpr int kTensorTag = 2;
constexpr size_t kMaxRank = 16;
constexpr size_t kMaxKeyLength = 4096;

struct StorageType {
  const char* name;
  DType dtype;
};

// torch's legacy typed storage classes, which torch.save still writes into persistent ids.
constexpr StorageType kStorageTypes[] = {
    {"torch.FloatStorage", DType::F32}, {"torch.HalfStorage", DType::F16},  {"torch.BFloat16Storage", DType::BF16},
    {"torch.DoubleStorage", DType::F64}, {"torch.LongStorage", DType::I64}, {"torch.IntStorage", DType::I32},
    {"torch.ShortStorage", DType::I16}, {"torch.CharStorage", DType::I8},   {"torch.ByteStorage", DType::U8},
    {"torch.BoolStorage", DType::Bool},
};

// Callables whose REDUCE this reader understands (as records, never calls).
constexpr const char* kRebuildTensorV2 = "torch._utils._rebuild_tensor_v2";
constexpr const char* kRebuildTensor = "torch._utils._rebuild_tensor";
constexpr const char* kRebuildParameter = "torch._utils._rebuild_parameter";
constexpr const char* kRebuildParameterWithState = "torch._utils._rebuild_parameter_with_state";
constexpr const char* kRebuildFromType = "torch._tensor._rebuild_from_type_v2";
constexpr const char* kOrderedDict = "collections.OrderedDict";
// Tensor classes _rebuild_from_type_v2 may name (a tensor with Python attributes, a Parameter).
constexpr const char* kTensorTypes[] = {"torch.Tensor", "torch.nn.parameter.Parameter"};

// Inert names that may appear as values (dtypes), besides the callables and storage types above.
constexpr const char* kDtypeNames[] = {
    "torch.float32", "torch.float", "torch.float16", "torch.half", "torch.bfloat16", "torch.float64", "torch.double",
    "torch.int64",   "torch.long",  "torch.int32",   "torch.int",  "torch.int16",    "torch.short",   "torch.int8",
    "torch.uint8",   "torch.bool",
};

const StorageType* find_storage_type(const std::string& name) {
  for (const StorageType& t : kStorageTypes) {
    if (name == t.name) return &t;
  }
  return nullptr;
}

bool is_allowed(const std::string& name) {
  if (name == kOrderedDict || name == kRebuildTensorV2 || name == kRebuildTensor || name == kRebuildParameter ||
      name == kRebuildParameterWithState || name == kRebuildFromType || find_storage_type(name)) {
    return true;
  }
  for (const char* dtype : kDtypeNames) {
    if (name == dtype) return true;
  }
  for (const char* type : kTensorTypes) {
    if (name == type) return true;
  }
  return false;
}

}  // namespace

class TorchPickle::Hooks : public PickleHooks {
 public:
  void check_global(const std::string& name, const std::string& where) const override {
    if (is_allowed(name)) return;
    fail(code::kUnsupported, where + ": pickle global '" + name +
                                 "' is not allowed (a state dict needs only collections.OrderedDict, torch._utils._rebuild_tensor_v2, "
                                 "torch._utils._rebuild_parameter, torch._tensor._rebuild_from_type_v2, torch's storage types and "
                                 "dtypes); refused, nothing was executed");
  }

  PickleValue persistent_load(const PickleArena& arena, size_t pid, const std::string& where) override;
  PickleValue reduce(const PickleArena& arena, const std::string& callable, size_t args, const std::string& where) override;

  void build(PickleArena& arena, size_t target, size_t, const std::string& where) override {
    // OrderedDict's instance attributes (a state dict's _metadata: module versions) do not matter here.
    if (!arena[target].is(Kind::Dict)) {
      fail(code::kUnsupported, where + ": BUILD on a " + std::string(pickle_kind_name(arena[target].kind)) + " is not supported");
    }
  }

  struct View {
    size_t storage;
    uint64_t offset;  // elements into the storage
    uint64_t numel;
  };

  std::vector<TorchStorage> storages;
  std::vector<View> views;
  std::vector<TorchTensorRecord> tensors;  // unnamed until the state dict names them

 private:
  PickleValue object(int tag, size_t index) {
    PickleValue v;
    v.kind = Kind::Object;
    v.tag = tag;
    v.integer = int64_t(index);
    return v;
  }
  TorchTensorRecord tensor_from(const PickleArena& arena, const std::vector<size_t>& args, const std::string& where) const;

  std::map<std::string, size_t> by_key_;
};

namespace {

[[noreturn]] void bad(const std::string& where, const std::string& what) { fail(code::kInvalidCheckpoint, where + ": " + what); }

int64_t as_count(const PickleArena& arena, size_t id, const std::string& where, const char* what) {
  const PickleValue& v = arena[id];
  if (!v.is(Kind::Int) || v.integer < 0) bad(where, std::string(what) + " must be a non-negative int, found a " + pickle_kind_name(v.kind));
  return v.integer;
}

const std::string& as_string(const PickleArena& arena, size_t id, const std::string& where, const char* what) {
  const PickleValue& v = arena[id];
  if (!v.is(Kind::String)) bad(where, std::string(what) + " must be a str, found a " + pickle_kind_name(v.kind));
  return v.text;
}

std::vector<int64_t> as_dims(const PickleArena& arena, size_t id, const std::string& where, const char* what) {
  const PickleValue& v = arena[id];
  if (!v.is(Kind::Tuple)) bad(where, std::string(what) + " must be a tuple, found a " + pickle_kind_name(v.kind));
  if (v.items.size() > kMaxRank) bad(where, std::string(what) + " has more than " + std::to_string(kMaxRank) + " dimensions");
  std::vector<int64_t> dims;
  for (size_t item : v.items) dims.push_back(as_count(arena, item, where, what));
  return dims;
}

}  // namespace

// ('storage', <storage type>, key, location, numel) in the zip format; the legacy format adds a view:
// None, or (view key, offset, size) into the storage (both in elements).
PickleValue TorchPickle::Hooks::persistent_load(const PickleArena& arena, size_t pid, const std::string& where) {
  const PickleValue& id = arena[pid];
  if (!id.is(Kind::Tuple) || id.items.empty()) bad(where, "persistent id is not a tuple");
  const std::string& type = as_string(arena, id.items[0], where, "persistent id type");
  if (type != "storage") {
    fail(code::kUnsupported, where + ": persistent id of type '" + type + "' is not supported (only tensor storages are)");
  }
  if (id.items.size() != 5 && id.items.size() != 6) bad(where, "storage persistent id has " + std::to_string(id.items.size()) + " items, expected 5 or 6");
  const PickleValue& type_value = arena[id.items[1]];
  const StorageType* storage_type = type_value.is(Kind::Global) ? find_storage_type(type_value.text) : nullptr;
  if (!storage_type) {
    fail(code::kUnsupported, where + ": storage type " + (type_value.is(Kind::Global) ? "'" + type_value.text + "'" : "(a " + std::string(pickle_kind_name(type_value.kind)) + ")") +
                                 " is not supported");
  }
  const std::string& key = as_string(arena, id.items[2], where, "storage key");
  if (key.empty() || key.size() > kMaxKeyLength) bad(where, "storage key is empty or too long");
  as_string(arena, id.items[3], where, "storage location");
  const uint64_t numel = uint64_t(as_count(arena, id.items[4], where, "storage size"));
  if (numel > (uint64_t(1) << 62) / dtype_size(storage_type->dtype)) bad(where, "storage '" + key + "' is too large");

  size_t index;
  auto it = by_key_.find(key);
  if (it == by_key_.end()) {
    index = storages.size();
    storages.push_back({key, storage_type->dtype, storage_type->name, numel});
    by_key_.emplace(key, index);
  } else {
    index = it->second;
    if (storages[index].dtype != storage_type->dtype || storages[index].numel != numel) {
      bad(where, "storage '" + key + "' is named again with another type or size");
    }
  }
  View view{index, 0, numel};
  if (id.items.size() == 6 && !arena[id.items[5]].is(Kind::None)) {
    const PickleValue& meta = arena[id.items[5]];
    if (!meta.is(Kind::Tuple) || meta.items.size() != 3) bad(where, "storage view of '" + key + "' is not a (key, offset, size) tuple");
    as_string(arena, meta.items[0], where, "storage view key");
    view.offset = uint64_t(as_count(arena, meta.items[1], where, "storage view offset"));
    view.numel = uint64_t(as_count(arena, meta.items[2], where, "storage view size"));
    if (view.offset > numel || view.numel > numel - view.offset) bad(where, "storage view runs past the end of storage '" + key + "'");
  }
  views.push_back(view);
  return object(kStorageTag, views.size() - 1);
}

// _rebuild_tensor(storage, storage_offset, size, stride) and _rebuild_tensor_v2(the same, requires_grad,
// backward_hooks[, metadata]): the tensor's place in its storage; gradients and hooks do not matter here.
TorchTensorRecord TorchPickle::Hooks::tensor_from(const PickleArena& arena, const std::vector<size_t>& args,
                                                 const std::string& where) const {
  const PickleValue& storage = arena[args[0]];
  if (!storage.is(Kind::Object) || storage.tag != kStorageTag) bad(where, "tensor rebuild without a storage");
  const View& view = views[size_t(storage.integer)];
  TorchTensorRecord r;
  r.storage = view.storage;
  const uint64_t offset = uint64_t(as_count(arena, args[1], where, "storage offset"));
  if (offset > view.numel) bad(where, "storage offset " + std::to_string(offset) + " is past the end of storage '" + storages[view.storage].key + "'");
  r.offset = view.offset + offset;
  r.limit = view.offset + view.numel;
  r.shape = as_dims(arena, args[2], where, "tensor size");
  r.stride = as_dims(arena, args[3], where, "tensor stride");
  if (r.shape.size() != r.stride.size()) bad(where, "tensor size and stride have different lengths");
  return r;
}

PickleValue TorchPickle::Hooks::reduce(const PickleArena& arena, const std::string& callable, size_t args_id, const std::string& where) {
  const std::vector<size_t>& args = arena[args_id].items;
  if (callable == kOrderedDict) {
    if (!args.empty()) fail(code::kUnsupported, where + ": collections.OrderedDict called with arguments");
    PickleValue dict;
    dict.kind = Kind::Dict;
    return dict;
  }
  if (callable == kRebuildTensorV2 || callable == kRebuildTensor) {
    const bool v2 = callable == kRebuildTensorV2;
    if (v2 ? (args.size() != 6 && args.size() != 7) : args.size() != 4) {
      bad(where, callable + " takes " + (v2 ? "6 or 7" : "4") + " arguments, the pickle gives " + std::to_string(args.size()));
    }
    if (v2 && !arena[args[5]].is(Kind::Dict)) bad(where, "tensor backward hooks are not a dict");
    tensors.push_back(tensor_from(arena, args, where));
    return object(kTensorTag, tensors.size() - 1);
  }
  if (callable == kRebuildParameter || callable == kRebuildParameterWithState) {
    // A Parameter is its data tensor plus requires_grad, which inference does not need.
    if (args.size() != (callable == kRebuildParameter ? 3u : 4u)) bad(where, callable + " has the wrong number of arguments");
    const PickleValue& data = arena[args[0]];
    if (!data.is(Kind::Object) || data.tag != kTensorTag) bad(where, callable + " without a tensor");
    return data;
  }
  if (callable == kRebuildFromType) {
    // (func, type, args, state): a tensor of a Tensor subclass or with Python attributes, rebuilt by func(*args);
    // the attributes in `state` do not matter here.
    if (args.size() != 4) bad(where, callable + " takes 4 arguments, the pickle gives " + std::to_string(args.size()));
    const PickleValue& func = arena[args[0]];
    const PickleValue& type = arena[args[1]];
    const bool tensor_func = func.is(Kind::Global) && (func.text == kRebuildTensorV2 || func.text == kRebuildTensor ||
                                                       func.text == kRebuildParameter || func.text == kRebuildParameterWithState);
    if (!tensor_func) fail(code::kUnsupported, where + ": " + callable + " with a function other than torch's tensor rebuilds");
    bool tensor_type = false;
    for (const char* t : kTensorTypes) tensor_type = tensor_type || (type.is(Kind::Global) && type.text == t);
    if (!tensor_type) fail(code::kUnsupported, where + ": " + callable + " of a class other than torch.Tensor or Parameter");
    if (!arena[args[2]].is(Kind::Tuple)) bad(where, callable + " without an argument tuple");
    return reduce(arena, func.text, args[2], where);  // one level: func is never _rebuild_from_type_v2 itself
  }
  fail(code::kUnsupported, where + ": calling " + callable + " (REDUCE) is not supported");
}

TorchPickle::TorchPickle(std::string source) : source_(std::move(source)), hooks_(std::make_unique<Hooks>()) {}

TorchPickle::~TorchPickle() = default;

size_t TorchPickle::read(const uint8_t* data, size_t size, size_t offset, size_t* end) {
  return read_pickle(data, size, offset, arena_, *hooks_, source_, end);
}

const std::vector<TorchStorage>& TorchPickle::storages() const { return hooks_->storages; }

std::vector<TorchTensorRecord> TorchPickle::state_dict(size_t root, size_t* skipped) const {
  const PickleValue& dict = arena_[root];
  if (!dict.is(Kind::Dict)) {
    fail(code::kInvalidCheckpoint, source_ + ": the pickle holds a " + std::string(pickle_kind_name(dict.kind)) + ", not a state dict");
  }
  std::vector<TorchTensorRecord> out;
  std::set<std::string> names;
  *skipped = 0;
  for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const PickleValue& key = arena_[dict.items[i]];
    const PickleValue& value = arena_[dict.items[i + 1]];
    if (!key.is(Kind::String)) fail(code::kInvalidCheckpoint, source_ + ": state dict key is a " + std::string(pickle_kind_name(key.kind)) + ", not a str");
    if (!names.insert(key.text).second) fail(code::kInvalidCheckpoint, source_ + ": state dict key '" + key.text + "' appears twice");
    if (!value.is(Kind::Object) || value.tag != kTensorTag) {
      ++*skipped;
      continue;
    }
    out.push_back(hooks_->tensors[size_t(value.integer)]);
    out.back().name = key.text;
  }
  return out;
}

}  // namespace albert
