#include "io/pickle_reader.h"

#include <cstdio>
#include <cstring>

#include "error.h"

namespace albert {

namespace {

// Bounds that no real state dict comes near (it needs about 20 values per tensor), so a hostile pickle
// cannot exhaust memory through them: at most about 200 MB of values, 8 MB of memo.
constexpr size_t kMaxStack = size_t(1) << 20;
constexpr size_t kMaxMarks = 1024;
constexpr size_t kMaxMemo = size_t(1) << 20;
constexpr size_t kMaxValues = size_t(1) << 21;
constexpr size_t kMaxGlobalName = 1024;
constexpr int kMaxProtocol = 5;

struct OpcodeName {
  uint8_t op;
  const char* name;
};

// Opcodes of the pickle format that a state dict does not need: refused by name (several of them call or
// construct objects: INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT*).
constexpr OpcodeName kRefused[] = {
    {'I', "INT"},         {'L', "LONG"},        {'S', "STRING"},      {'V', "UNICODE"},       {'F', "FLOAT"},
    {'p', "PUT"},         {'g', "GET"},         {'P', "PERSID"},      {'i', "INST"},          {'o', "OBJ"},
    {'0', "POP"},         {'1', "POP_MARK"},    {'2', "DUP"},         {0x81, "NEWOBJ"},       {0x92, "NEWOBJ_EX"},
    {0x82, "EXT1"},       {0x83, "EXT2"},       {0x84, "EXT4"},       {0x8f, "EMPTY_SET"},    {0x90, "ADDITEMS"},
    {0x91, "FROZENSET"},  {0x96, "BYTEARRAY8"}, {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"},
};

bool valid_utf8(const uint8_t* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    const uint8_t c = s[i];
    size_t extra;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1, cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2, cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3, cp = c & 0x07;
    } else {
      return false;
    }
    if (extra > n - i - 1) return false;
    for (size_t k = 1; k <= extra; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3f);
    }
    // Overlong forms and values past U+10FFFF (surrogates pass, as Python's "surrogatepass" lets them).
    static const uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[extra] || cp > 0x10ffff) return false;
    i += extra + 1;
  }
  return true;
}

std::string hex_byte(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "0x%02x", b);
  return buf;
}

class Machine {
 public:
  Machine(const uint8_t* data, size_t size, size_t offset, PickleArena& arena, PickleHooks& hooks, const std::string& source)
      : data_(data), size_(size), pos_(offset), arena_(arena), hooks_(hooks), source_(source) {}

  size_t run(size_t* end);

 private:
  std::string where() const { return source_ + ": pickle byte " + std::to_string(op_at_); }
  [[noreturn]] void invalid(const std::string& what) const { fail(code::kInvalidCheckpoint, where() + ": " + what); }

  const uint8_t* take(uint64_t n) {
    if (n > size_ - pos_) {
      invalid("truncated: the opcode needs " + std::to_string(n) + " more bytes, " + std::to_string(size_ - pos_) + " are left");
    }
    const uint8_t* p = data_ + pos_;
    pos_ += size_t(n);
    return p;
  }
  uint64_t take_le(int bytes) {
    const uint8_t* p = take(size_t(bytes));
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
    return v;
  }

  size_t floor() const { return marks_.empty() ? 0 : marks_.back(); }
  void push(size_t id) {
    if (stack_.size() >= kMaxStack) invalid("the stack exceeds " + std::to_string(kMaxStack) + " values");
    stack_.push_back(id);
  }
  void push_new(PickleValue value) {
    if (arena_.size() >= kMaxValues) invalid("more than " + std::to_string(kMaxValues) + " values");
    push(arena_.add(std::move(value)));
  }
  size_t pop() {
    if (stack_.size() <= floor()) invalid("stack underflow");
    const size_t id = stack_.back();
    stack_.pop_back();
    return id;
  }
  size_t top() const {
    if (stack_.size() <= floor()) invalid("stack underflow");
    return stack_.back();
  }
  std::vector<size_t> pop_mark() {
    if (marks_.empty()) invalid("no MARK to collect items from");
    std::vector<size_t> items(stack_.begin() + std::ptrdiff_t(marks_.back()), stack_.end());
    stack_.resize(marks_.back());
    marks_.pop_back();
    return items;
  }
  PickleValue& expect(size_t id, PickleValue::Kind kind, const char* opcode) {
    PickleValue& v = arena_.at(id);
    if (v.kind != kind) {
      invalid(std::string(opcode) + " needs a " + pickle_kind_name(kind) + ", found a " + pickle_kind_name(v.kind));
    }
    return v;
  }

  void push_int(int64_t v) {
    PickleValue value;
    value.kind = PickleValue::Kind::Int;
    value.integer = v;
    push_new(std::move(value));
  }
  void push_long(uint64_t length);
  void push_text(PickleValue::Kind kind, uint64_t length);
  void push_container(PickleValue::Kind kind, std::vector<size_t> items);
  std::string global_line();
  void push_global(const std::string& module, const std::string& name);
  void memo_put(uint64_t index);
  void memo_get(uint64_t index);

  const uint8_t* data_;
  size_t size_;
  size_t pos_;
  size_t op_at_ = 0;
  PickleArena& arena_;
  PickleHooks& hooks_;
  const std::string& source_;
  std::vector<size_t> stack_;
  std::vector<size_t> marks_;  // stack sizes at each open MARK
  std::vector<size_t> memo_;  // by index; SIZE_MAX: never stored
  size_t memo_count_ = 0;     // stored slots (MEMOIZE's next index, as Python's len(memo))
};

// LONG1 / LONG4: little-endian two's complement; values that fit in int64 become Int.
void Machine::push_long(uint64_t length) {
  const uint8_t* p = take(length);
  PickleValue value;
  if (length <= 8) {
    uint64_t v = 0;
    for (uint64_t i = length; i-- > 0;) v = (v << 8) | p[i];
    if (length > 0 && length < 8 && (p[length - 1] & 0x80)) v |= ~uint64_t(0) << (8 * length);  // sign-extend
    value.kind = PickleValue::Kind::Int;
    value.integer = int64_t(v);
  } else {
    value.kind = PickleValue::Kind::BigInt;
    value.text.assign(reinterpret_cast<const char*>(p), size_t(length));
  }
  push_new(std::move(value));
}

void Machine::push_text(PickleValue::Kind kind, uint64_t length) {
  const uint8_t* p = take(length);
  if (kind == PickleValue::Kind::String && !valid_utf8(p, size_t(length))) invalid("string is not valid UTF-8");
  PickleValue value;
  value.kind = kind;
  value.text.assign(reinterpret_cast<const char*>(p), size_t(length));
  push_new(std::move(value));
}

void Machine::push_container(PickleValue::Kind kind, std::vector<size_t> items) {
  PickleValue value;
  value.kind = kind;
  value.items = std::move(items);
  push_new(std::move(value));
}

// One newline-terminated line of GLOBAL's operand: a module or attribute name in printable ASCII.
std::string Machine::global_line() {
  std::string out;
  for (;;) {
    const char c = char(*take(1));
    if (c == '\n') break;
    if (c < 0x21 || c > 0x7e) invalid("GLOBAL names hold a byte that is not printable ASCII");
    if (out.size() >= kMaxGlobalName) invalid("GLOBAL name is longer than " + std::to_string(kMaxGlobalName) + " bytes");
    out += c;
  }
  if (out.empty()) invalid("GLOBAL has an empty module or name");
  return out;
}

void Machine::push_global(const std::string& module, const std::string& name) {
  PickleValue value;
  value.kind = PickleValue::Kind::Global;
  value.text = module + "." + name;
  hooks_.check_global(value.text, where());  // refuses (throws) anything off the caller's allow-list
  push_new(std::move(value));
}

void Machine::memo_put(uint64_t index) {
  const size_t id = top();
  if (index >= kMaxMemo) invalid("memo index " + std::to_string(index) + " exceeds " + std::to_string(kMaxMemo));
  if (index >= memo_.size()) memo_.resize(size_t(index) + 1, SIZE_MAX);
  if (memo_[size_t(index)] == SIZE_MAX) ++memo_count_;
  memo_[size_t(index)] = id;
}

void Machine::memo_get(uint64_t index) {
  if (index >= memo_.size() || memo_[size_t(index)] == SIZE_MAX) invalid("memo index " + std::to_string(index) + " was never stored");
  push(memo_[size_t(index)]);
}

size_t Machine::run(size_t* end) {
  using Kind = PickleValue::Kind;
  for (;;) {
    op_at_ = pos_;
    if (pos_ >= size_) invalid("the pickle ends before its STOP opcode");
    const uint8_t op = *take(1);
    switch (op) {
      case 0x80: {  // PROTO
        const int protocol = int(take_le(1));
        if (protocol > kMaxProtocol) fail(code::kUnsupported, where() + ": pickle protocol " + std::to_string(protocol) + " is not supported (at most 5)");
        break;
      }
      case 0x95: {  // FRAME: a length prefix for buffering; the opcodes inside are read as usual
        const uint64_t length = take_le(8);
        if (length > size_ - pos_) invalid("FRAME of " + std::to_string(length) + " bytes runs past the end");
        break;
      }
      case '.': {  // STOP
        const size_t result = pop();
        if (end) *end = pos_;
        return result;
      }
      case '(':  // MARK
        if (marks_.size() >= kMaxMarks) invalid("more than " + std::to_string(kMaxMarks) + " nested MARKs");
        marks_.push_back(stack_.size());
        break;
      case 'N': push_new(PickleValue{}); break;  // NONE
      case 0x88:  // NEWTRUE
      case 0x89: {  // NEWFALSE
        PickleValue value;
        value.kind = Kind::Bool;
        value.integer = op == 0x88;
        push_new(std::move(value));
        break;
      }
      case 'J': push_int(int64_t(int32_t(uint32_t(take_le(4))))); break;  // BININT
      case 'K': push_int(int64_t(take_le(1))); break;                      // BININT1
      case 'M': push_int(int64_t(take_le(2))); break;                      // BININT2
      case 0x8a: push_long(take_le(1)); break;                             // LONG1
      case 0x8b: {                                                         // LONG4
        const int32_t length = int32_t(uint32_t(take_le(4)));
        if (length < 0) invalid("LONG4 has a negative length");
        push_long(uint64_t(length));
        break;
      }
      case 'G': {  // BINFLOAT: big-endian IEEE double
        const uint8_t* p = take(8);
        uint64_t bits = 0;
        for (int i = 0; i < 8; ++i) bits = (bits << 8) | p[i];
        PickleValue value;
        value.kind = Kind::Float;
        std::memcpy(&value.real, &bits, 8);
        push_new(std::move(value));
        break;
      }
      case 'X': push_text(Kind::String, take_le(4)); break;     // BINUNICODE
      case 0x8c: push_text(Kind::String, take_le(1)); break;    // SHORT_BINUNICODE
      case 0x8d: push_text(Kind::String, take_le(8)); break;    // BINUNICODE8
      case 'U': push_text(Kind::String, take_le(1)); break;     // SHORT_BINSTRING (Python 2 str, read as torch does: UTF-8)
      case 'T': {                                               // BINSTRING
        const int32_t length = int32_t(uint32_t(take_le(4)));
        if (length < 0) invalid("BINSTRING has a negative length");
        push_text(Kind::String, uint64_t(length));
        break;
      }
      case 'C': push_text(Kind::Bytes, take_le(1)); break;   // SHORT_BINBYTES
      case 'B': push_text(Kind::Bytes, take_le(4)); break;   // BINBYTES
      case 0x8e: push_text(Kind::Bytes, take_le(8)); break;  // BINBYTES8
      case ')': push_container(Kind::Tuple, {}); break;      // EMPTY_TUPLE
      case 't': push_container(Kind::Tuple, pop_mark()); break;  // TUPLE
      case 0x85:  // TUPLE1
      case 0x86:  // TUPLE2
      case 0x87: {  // TUPLE3
        std::vector<size_t> items(size_t(op - 0x84));
        for (size_t i = items.size(); i-- > 0;) items[i] = pop();
        push_container(Kind::Tuple, std::move(items));
        break;
      }
      case ']': push_container(Kind::List, {}); break;       // EMPTY_LIST
      case 'l': push_container(Kind::List, pop_mark()); break;  // LIST
      case '}': push_container(Kind::Dict, {}); break;       // EMPTY_DICT
      case 'd': {                                            // DICT
        std::vector<size_t> items = pop_mark();
        if (items.size() % 2) invalid("DICT has an odd number of items");
        push_container(Kind::Dict, std::move(items));
        break;
      }
      case 'a': {  // APPEND
        const size_t item = pop();
        expect(top(), Kind::List, "APPEND").items.push_back(item);
        break;
      }
      case 'e': {  // APPENDS
        std::vector<size_t> items = pop_mark();
        PickleValue& list = expect(top(), Kind::List, "APPENDS");
        list.items.insert(list.items.end(), items.begin(), items.end());
        break;
      }
      case 's': {  // SETITEM
        const size_t value = pop();
        const size_t key = pop();
        PickleValue& dict = expect(top(), Kind::Dict, "SETITEM");
        dict.items.push_back(key);
        dict.items.push_back(value);
        break;
      }
      case 'u': {  // SETITEMS
        std::vector<size_t> items = pop_mark();
        if (items.size() % 2) invalid("SETITEMS has an odd number of items");
        PickleValue& dict = expect(top(), Kind::Dict, "SETITEMS");
        dict.items.insert(dict.items.end(), items.begin(), items.end());
        break;
      }
      case 'q': memo_put(take_le(1)); break;     // BINPUT
      case 'r': memo_put(take_le(4)); break;     // LONG_BINPUT
      case 0x94: memo_put(memo_count_); break;  // MEMOIZE
      case 'h': memo_get(take_le(1)); break;     // BINGET
      case 'j': memo_get(take_le(4)); break;     // LONG_BINGET
      case 'c': {                                // GLOBAL
        const std::string module = global_line();
        const std::string name = global_line();
        push_global(module, name);
        break;
      }
      case 0x93: {  // STACK_GLOBAL
        const size_t name = pop();
        const size_t module = pop();
        const std::string module_text = expect(module, Kind::String, "STACK_GLOBAL").text;
        const std::string name_text = expect(name, Kind::String, "STACK_GLOBAL").text;
        if (module_text.empty() || name_text.empty() || module_text.size() > kMaxGlobalName || name_text.size() > kMaxGlobalName) {
          invalid("STACK_GLOBAL has an empty or overlong name");
        }
        push_global(module_text, name_text);
        break;
      }
      case 'Q': {  // BINPERSID
        const size_t pid = pop();
        push_new(hooks_.persistent_load(arena_, pid, where()));
        break;
      }
      case 'R': {  // REDUCE
        const size_t args = pop();
        const size_t callable = pop();
        if (!arena_[callable].is(Kind::Global)) {
          fail(code::kUnsupported, where() + ": REDUCE calls a " + pickle_kind_name(arena_[callable].kind) + ", not an allowed global");
        }
        expect(args, Kind::Tuple, "REDUCE");
        const std::string name = arena_[callable].text;
        push_new(hooks_.reduce(arena_, name, args, where()));
        break;
      }
      case 'b': {  // BUILD
        const size_t state = pop();
        hooks_.build(arena_, top(), state, where());
        break;
      }
      default: {
        for (const OpcodeName& refused : kRefused) {
          if (refused.op == op) {
            fail(code::kUnsupported, where() + ": pickle opcode " + refused.name + " (" + hex_byte(op) +
                                         ") is not supported: a torch state dict does not use it; nothing was executed");
          }
        }
        invalid("byte " + hex_byte(op) + " is not a pickle opcode");
      }
    }
  }
}

}  // namespace

const char* pickle_kind_name(PickleValue::Kind kind) {
  switch (kind) {
    case PickleValue::Kind::None: return "None";
    case PickleValue::Kind::Bool: return "bool";
    case PickleValue::Kind::Int: return "int";
    case PickleValue::Kind::BigInt: return "int (over 64 bits)";
    case PickleValue::Kind::Float: return "float";
    case PickleValue::Kind::String: return "str";
    case PickleValue::Kind::Bytes: return "bytes";
    case PickleValue::Kind::Tuple: return "tuple";
    case PickleValue::Kind::List: return "list";
    case PickleValue::Kind::Dict: return "dict";
    case PickleValue::Kind::Global: return "global";
    case PickleValue::Kind::Object: return "object";
  }
  return "value";
}

size_t PickleArena::add(PickleValue value) {
  values_.push_back(std::move(value));
  return values_.size() - 1;
}

size_t read_pickle(const uint8_t* data, size_t size, size_t offset, PickleArena& arena, PickleHooks& hooks,
                   const std::string& source, size_t* end) {
  if (offset > size) fail(code::kInvalidCheckpoint, source + ": pickle offset " + std::to_string(offset) + " is past the end");
  Machine machine(data, size, offset, arena, hooks, source);
  return machine.run(end);
}

}  // namespace albert
