// A restricted unpickler. It reads the pickle opcodes a torch state dict is written with (protocols 2 to 5)
// into inert values and never calls, imports or constructs anything: a global is only a name, and what the
// few allowed ones mean (REDUCE, BUILD, persistent ids) is decided by the caller's PickleHooks
// (io/torch_pickle.cpp). Every other opcode is refused, and stack, memo and value counts are bounded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace albert {

struct PickleValue {
  enum class Kind { None, Bool, Int, BigInt, Float, String, Bytes, Tuple, List, Dict, Global, Object };
  Kind kind = Kind::None;
  int64_t integer = 0;        // Bool, Int; Object: the hooks' handle
  double real = 0;            // Float
  std::string text;           // String (UTF-8), Bytes; BigInt: its little-endian two's complement bytes; Global: "module.name"
  std::vector<size_t> items;  // Tuple, List; Dict: key, value, key, value, ... in insertion order
  int tag = 0;                // Object: the hooks' kind of object

  bool is(Kind k) const { return kind == k; }
};

const char* pickle_kind_name(PickleValue::Kind kind);

// Values refer to each other by index into one arena, so shared and even cyclic references (which a
// hostile pickle can build through the memo) need no ownership and cannot be freed twice.
class PickleArena {
 public:
  size_t add(PickleValue value);
  const PickleValue& operator[](size_t id) const { return values_[id]; }
  PickleValue& at(size_t id) { return values_[id]; }
  size_t size() const { return values_.size(); }

 private:
  std::vector<PickleValue> values_;
};

// What the caller allows. Each method either returns or throws a coded error starting with `where`
// (the pickle's name and the opcode's byte offset).
class PickleHooks {
 public:
  virtual ~PickleHooks() = default;
  // GLOBAL / STACK_GLOBAL naming `qualified_name` ("module.name"): throw unless it is allowed.
  virtual void check_global(const std::string& qualified_name, const std::string& where) const = 0;
  // BINPERSID: the value the persistent id `pid` stands for.
  virtual PickleValue persistent_load(const PickleArena& arena, size_t pid, const std::string& where) = 0;
  // REDUCE: what calling the allowed global `callable` on the tuple `args` stands for.
  virtual PickleValue reduce(const PickleArena& arena, const std::string& callable, size_t args, const std::string& where) = 0;
  // BUILD: applies `state` to `target`.
  virtual void build(PickleArena& arena, size_t target, size_t state, const std::string& where) = 0;
};

// Reads the pickle starting at `data[offset]` up to its STOP into `arena` and returns the id of the value
// STOP returns; `*end` receives the offset just past STOP (pickles can follow each other in one file).
// `source` names the pickle in errors. Errors: ERR_ALBERT_INVALID_CHECKPOINT (truncated or malformed:
// bytes that are no opcode, stack underflow, wrong operand types, limits exceeded), ERR_ALBERT_UNSUPPORTED
// (pickle opcodes this reader does not implement, protocols above 5, and whatever the hooks refuse).
size_t read_pickle(const uint8_t* data, size_t size, size_t offset, PickleArena& arena, PickleHooks& hooks,
                   const std::string& source, size_t* end);

}  // namespace albert
