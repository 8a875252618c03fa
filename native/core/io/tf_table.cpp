#include "io/tf_table.h"

#include <cstring>

#include "error.h"
#include "io/crc.h"

namespace albert {

namespace {

constexpr uint64_t kTableMagic = 0xdb4775248b80fb57ull;
constexpr size_t kFooterSize = 48;   // two handles padded to 40 bytes, then the magic
constexpr size_t kTrailerSize = 5;   // compression type + masked CRC32C

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// A cursor over a byte range that fails with the table's error code instead of reading past the end.
class Cursor {
 public:
  Cursor(const uint8_t* begin, const uint8_t* end, const std::string& source, std::string what)
      : pos_(begin), end_(end), source_(source), what_(std::move(what)) {}

  uint64_t varint(int max_bits) {
    uint64_t value = 0;
    for (int shift = 0; shift < max_bits; shift += 7) {
      if (pos_ >= end_) bad("truncated varint");
      const uint8_t byte = *pos_++;
      value |= uint64_t(byte & 0x7f) << shift;
      if (!(byte & 0x80)) {
        if (max_bits < 64 && (value >> max_bits) != 0) bad("varint overflows " + std::to_string(max_bits) + " bits");
        return value;
      }
    }
    bad("varint too long");
  }
  std::string_view bytes(uint64_t n) {
    if (n > uint64_t(end_ - pos_)) bad("entry declares " + std::to_string(n) + " bytes but " + std::to_string(end_ - pos_) + " remain");
    std::string_view out(reinterpret_cast<const char*>(pos_), size_t(n));
    pos_ += n;
    return out;
  }
  bool done() const { return pos_ >= end_; }
  [[noreturn]] void bad(const std::string& problem) const { fail(code::kInvalidCheckpoint, source_ + ": " + what_ + ": " + problem); }

 private:
  const uint8_t* pos_;
  const uint8_t* end_;
  const std::string& source_;
  std::string what_;
};

struct BlockHandle {
  uint64_t offset = 0;
  uint64_t size = 0;
};

BlockHandle read_handle(Cursor& c) {
  BlockHandle h;
  h.offset = c.varint(64);
  h.size = c.varint(64);
  return h;
}

// Decompresses a raw Snappy block (varint length, then literal and copy elements), bounds-checked.
std::string snappy_uncompress(std::string_view in, const std::string& source, const std::string& what) {
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  Cursor c(p, p + in.size(), source, what + " (Snappy)");
  const uint64_t length = c.varint(32);
  constexpr uint64_t kMaxBlock = uint64_t(64) << 20;  // table blocks are kilobytes; refuse absurd claims
  if (length > kMaxBlock) c.bad("declares " + std::to_string(length) + " uncompressed bytes");
  std::string out;
  out.reserve(size_t(length));
  while (!c.done()) {
    const uint8_t tag = uint8_t(c.bytes(1)[0]);
    uint64_t n = 0, offset = 0;
    auto little_endian = [&](int bytes) {
      std::string_view b = c.bytes(uint64_t(bytes));
      uint64_t v = 0;
      for (int i = 0; i < bytes; ++i) v |= uint64_t(uint8_t(b[size_t(i)])) << (8 * i);
      return v;
    };
    switch (tag & 3) {
      case 0: {  // literal
        n = tag >> 2;
        if (n >= 60) n = little_endian(int(n - 59));
        n += 1;
        if (n > length - out.size()) c.bad("a literal runs past the declared length");
        out.append(c.bytes(n));
        continue;
      }
      case 1: n = 4 + ((tag >> 2) & 7); offset = (uint64_t(tag >> 5) << 8) | little_endian(1); break;
      case 2: n = 1 + (tag >> 2); offset = little_endian(2); break;
      default: n = 1 + (tag >> 2); offset = little_endian(4); break;
    }
    if (offset == 0 || offset > out.size()) c.bad("a copy reaches before the start of the block");
    if (n > length - out.size()) c.bad("a copy runs past the declared length");
    const size_t from = out.size() - size_t(offset);
    for (uint64_t i = 0; i < n; ++i) out.push_back(out[from + size_t(i)]);  // copies may overlap their output
  }
  if (out.size() != length) c.bad("holds " + std::to_string(out.size()) + " bytes, not the declared " + std::to_string(length));
  return out;
}

// The contents of the block at `h`, after checking its trailer (and decompressing it).
std::string read_block(const uint8_t* data, size_t size, const BlockHandle& h, const std::string& source,
                       const std::string& what) {
  if (h.offset > size || h.size > size - h.offset || kTrailerSize > size - h.offset - h.size) {
    fail(code::kInvalidCheckpoint, source + ": " + what + " at offset " + std::to_string(h.offset) + " with " +
                                       std::to_string(h.size) + " bytes lies outside the " + std::to_string(size) +
                                       "-byte file");
  }
  const uint8_t* block = data + h.offset;
  const uint8_t type = block[h.size];
  const uint32_t stored = load_u32(block + h.size + 1);
  const uint32_t actual = crc32c_mask(crc32c_extend(crc32c(block, size_t(h.size)), &type, 1));
  if (stored != actual) {
    fail(code::kInvalidCheckpoint, source + ": " + what + " at offset " + std::to_string(h.offset) +
                                       " fails its CRC32C check (the file is corrupt)");
  }
  std::string_view contents(reinterpret_cast<const char*>(block), size_t(h.size));
  if (type == 0) return std::string(contents);
  if (type == 1) return snappy_uncompress(contents, source, what);
  fail(code::kInvalidCheckpoint, source + ": " + what + " has unknown compression type " + std::to_string(type));
}

// How many bytes of keys and values a table may decode to. Prefix compression lets each entry repeat the
// whole previous key for a few bytes, so keys that grow by a byte per entry would cost memory quadratic in
// the file size. Real indexes decode to a few times their size.
size_t decode_budget(size_t file_size) {
  constexpr size_t kBase = size_t(16) << 20;
  constexpr size_t kRatio = 64;
  return file_size > (SIZE_MAX - kBase) / kRatio ? SIZE_MAX : kBase + kRatio * file_size;
}

// Decodes one block's entries (prefix-compressed keys, restart array at the end). With `ordered`, every key
// must sort after the previous one in `out` (checked as entries arrive, so that a block listed twice fails at
// its first repeated key). `budget` is what may still be decoded (see decode_budget).
void read_block_entries(std::string_view block, const std::string& source, const std::string& what,
                        std::vector<TableEntry>& out, bool ordered, size_t& budget) {
  const auto* begin = reinterpret_cast<const uint8_t*>(block.data());
  if (block.size() < 4) fail(code::kInvalidCheckpoint, source + ": " + what + " is too small for a restart count");
  const uint32_t restarts = load_u32(begin + block.size() - 4);
  if (restarts == 0 || restarts > (block.size() - 4) / 4) {
    fail(code::kInvalidCheckpoint, source + ": " + what + " declares " + std::to_string(restarts) +
                                       " restart points, impossible in " + std::to_string(block.size()) + " bytes");
  }
  const size_t entries_end = block.size() - 4 - size_t(restarts) * 4;
  uint32_t previous_restart = 0;
  for (uint32_t r = 0; r < restarts; ++r) {
    const uint32_t offset = load_u32(begin + entries_end + size_t(r) * 4);
    if ((r == 0 && offset != 0) || (r > 0 && offset <= previous_restart) || (entries_end > 0 && offset >= entries_end)) {
      fail(code::kInvalidCheckpoint, source + ": " + what + " has an invalid restart offset " + std::to_string(offset));
    }
    previous_restart = offset;
  }
  Cursor c(begin, begin + entries_end, source, what);
  std::string key;
  while (!c.done()) {
    const uint64_t shared = c.varint(32);
    const uint64_t unshared = c.varint(32);
    const uint64_t value_length = c.varint(32);
    if (shared > key.size()) c.bad("an entry shares " + std::to_string(shared) + " key bytes with a " + std::to_string(key.size()) + "-byte key");
    std::string_view delta = c.bytes(unshared);
    std::string_view value = c.bytes(value_length);
    const uint64_t decoded = shared + unshared + value_length;
    if (decoded > budget) {
      c.bad("decodes to more key and value bytes than an index of this size can hold (keys that grow entry "
            "by entry)");
    }
    budget -= size_t(decoded);
    key.resize(size_t(shared));
    key.append(delta);
    if (ordered && !out.empty() && !(out.back().key < key)) {
      fail(code::kInvalidCheckpoint, source + ": keys out of order at '" + printable_key(key) + "' (entry " + std::to_string(out.size()) +
                                         ", " + what + ")");
    }
    out.push_back({key, std::string(value)});
  }
}

}  // namespace

std::string printable_key(std::string_view key) {
  constexpr size_t kMaxShown = 200;
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < key.size() && i < kMaxShown; ++i) {
    const uint8_t c = uint8_t(key[i]);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += char(c);
    }
  }
  if (key.size() > kMaxShown) out += "... (" + std::to_string(key.size()) + " bytes)";
  return out;
}

std::vector<TableEntry> read_table(const uint8_t* data, size_t size, const std::string& source) {
  if (size < kFooterSize) {
    fail(code::kInvalidCheckpoint, source + ": " + std::to_string(size) + " bytes is too small for a checkpoint index (truncated?)");
  }
  uint64_t magic;
  std::memcpy(&magic, data + size - 8, 8);
  if (magic != kTableMagic) {
    fail(code::kInvalidCheckpoint, source + ": not a TensorFlow checkpoint index (bad table magic; truncated or another format)");
  }
  Cursor footer(data + size - kFooterSize, data + size - 8, source, "table footer");
  const BlockHandle meta_handle = read_handle(footer);
  const BlockHandle index_handle = read_handle(footer);
  read_block(data, size, meta_handle, source, "metaindex block");  // checked, contents unused (no filters needed)
  size_t budget = decode_budget(size);
  std::vector<TableEntry> index;
  read_block_entries(read_block(data, size, index_handle, source, "index block"), source, "index block", index, false, budget);

  std::vector<TableEntry> entries;
  uint64_t next_block = 0;  // data blocks are written one after another: each must start past the previous one
  for (size_t b = 0; b < index.size(); ++b) {
    Cursor c(reinterpret_cast<const uint8_t*>(index[b].value.data()),
             reinterpret_cast<const uint8_t*>(index[b].value.data()) + index[b].value.size(), source, "index entry");
    const BlockHandle handle = read_handle(c);
    const std::string what = "data block " + std::to_string(b);
    if (handle.offset < next_block) {
      fail(code::kInvalidCheckpoint, source + ": " + what + " at offset " + std::to_string(handle.offset) +
                                         " overlaps the data block before it (the index lists blocks out of order or twice)");
    }
    const size_t first = entries.size();
    read_block_entries(read_block(data, size, handle, source, what), source, what, entries, true, budget);
    next_block = handle.offset + handle.size + kTrailerSize;  // read_block checked that this lies inside the file
    // The index key separates this block from the next: no key of the block may exceed it.
    if (entries.size() > first && entries.back().key > index[b].key) {
      fail(code::kInvalidCheckpoint, source + ": " + what + " holds key '" + printable_key(entries.back().key) + "' beyond its index key");
    }
  }
  return entries;
}

}  // namespace albert
