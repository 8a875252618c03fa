#include "io/zip_reader.h"

#include <cstdio>

#include "error.h"
#include "io/crc.h"

namespace albert {

namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndRecord = 0x06054b50;
constexpr uint32_t kZip64EndRecord = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr size_t kEndRecordSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kZip64EndRecordSize = 56;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr size_t kMaxComment = 0xffff;

uint64_t le(const uint8_t* p, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// True when [offset, offset + length) lies inside [0, limit), without overflowing.
bool fits(uint64_t offset, uint64_t length, uint64_t limit) { return offset <= limit && length <= limit - offset; }

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%08x", v);
  return buf;
}

// The 64-bit values of a central header's ZIP64 extra field (id 1), present only for the fields whose
// 32-bit slot holds 0xffffffff, in this order.
void read_zip64_extra(const uint8_t* extra, size_t length, ZipEntry& e, bool need_size, bool need_compressed,
                      bool need_offset, const std::string& where) {
  size_t at = 0;
  while (at + 4 <= length) {
    const uint64_t id = le(extra + at, 2), field_length = le(extra + at + 2, 2);
    at += 4;
    if (field_length > length - at) fail(code::kInvalidCheckpoint, where + ": an extra field runs past its header");
    if (id == 1) {
      const uint8_t* p = extra + at;
      size_t left = size_t(field_length);
      auto take = [&](uint64_t& out) {
        if (left < 8) fail(code::kInvalidCheckpoint, where + ": ZIP64 extra field is too short");
        out = le(p, 8);
        p += 8;
        left -= 8;
      };
      if (need_size) take(e.size);
      if (need_compressed) take(e.compressed_size);
      if (need_offset) take(e.local_header);
      return;
    }
    at += size_t(field_length);
  }
  if (need_size || need_compressed || need_offset) {
    fail(code::kInvalidCheckpoint, where + ": sizes or offset are 0xffffffff but there is no ZIP64 extra field");
  }
}

}  // namespace

bool looks_like_zip(const uint8_t* data, size_t size) { return size >= 4 && le(data, 4) == kLocalHeader; }

ZipReader::ZipReader(const uint8_t* data, size_t size, std::string source)
    : data_(data), size_(size), source_(std::move(source)) {
  auto invalid = [&](const std::string& what) { fail(code::kInvalidCheckpoint, source_ + ": " + what); };
  if (size_ < kEndRecordSize) invalid("too short (" + std::to_string(size_) + " bytes) for a zip archive");

  // The end record is the last 22 bytes plus a comment whose length it states; search back for it.
  size_t end_at = size_;  // not found
  const size_t lowest = size_ - kEndRecordSize > kMaxComment ? size_ - kEndRecordSize - kMaxComment : 0;
  for (size_t at = size_ - kEndRecordSize + 1; at-- > lowest;) {
    if (le(data_ + at, 4) == kEndRecord && at + kEndRecordSize + le(data_ + at + 20, 2) == size_) {
      end_at = at;
      break;
    }
  }
  if (end_at == size_) invalid("no zip end-of-central-directory record (truncated archive?)");
  const uint8_t* end = data_ + end_at;
  uint64_t disk = le(end + 4, 2), directory_disk = le(end + 6, 2);
  uint64_t disk_entries = le(end + 8, 2), total_entries = le(end + 10, 2);
  uint64_t directory_size = le(end + 12, 4);
  directory_offset_ = le(end + 16, 4);
  uint64_t directory_limit = end_at;  // the directory ends where the end records begin

  // ZIP64: a locator just before the end record points at the 64-bit end record.
  if (end_at >= kZip64LocatorSize && le(end - kZip64LocatorSize, 4) == kZip64Locator) {
    const uint8_t* locator = end - kZip64LocatorSize;
    const uint64_t record_at = le(locator + 8, 8);
    if (le(locator + 4, 4) != 0 || le(locator + 16, 4) > 1) fail(code::kUnsupported, source_ + ": multi-part zip archives are not supported");
    if (!fits(record_at, kZip64EndRecordSize, end_at - kZip64LocatorSize)) invalid("ZIP64 end record offset is outside the archive");
    const uint8_t* record = data_ + record_at;
    if (le(record, 4) != kZip64EndRecord) invalid("no ZIP64 end record where its locator points");
    // Each classic field holds its maximum (look in the ZIP64 record) or the same value: else one is corrupt.
    auto merge = [&](uint64_t& classic, uint64_t wide, uint64_t saturated, const char* what) {
      if (classic != saturated && classic != wide) invalid(std::string("the end record and the ZIP64 end record disagree on the ") + what);
      classic = wide;
    };
    merge(disk, le(record + 16, 4), 0xffff, "disk number");
    merge(directory_disk, le(record + 20, 4), 0xffff, "central directory's disk");
    merge(disk_entries, le(record + 24, 8), 0xffff, "entry count");
    merge(total_entries, le(record + 32, 8), 0xffff, "entry count");
    merge(directory_size, le(record + 40, 8), 0xffffffff, "central directory size");
    merge(directory_offset_, le(record + 48, 8), 0xffffffff, "central directory offset");
    directory_limit = record_at;
  }
  if (disk != 0 || directory_disk != 0 || disk_entries != total_entries) {
    fail(code::kUnsupported, source_ + ": multi-part zip archives are not supported");
  }
  if (!fits(directory_offset_, directory_size, directory_limit)) {
    invalid("central directory (offset " + std::to_string(directory_offset_) + ", " + std::to_string(directory_size) +
            " bytes) is outside the archive");
  }
  if (total_entries > directory_size / kCentralHeaderSize) {
    invalid("central directory claims " + std::to_string(total_entries) + " entries in " + std::to_string(directory_size) + " bytes");
  }

  entries_.reserve(size_t(total_entries));
  const uint8_t* directory = data_ + directory_offset_;
  size_t at = 0;
  for (uint64_t i = 0; i < total_entries; ++i) {
    const std::string where = source_ + ": central directory entry " + std::to_string(i);
    if (size_t(directory_size) - at < kCentralHeaderSize) fail(code::kInvalidCheckpoint, where + " runs past the directory");
    const uint8_t* h = directory + at;
    if (le(h, 4) != kCentralHeader) fail(code::kInvalidCheckpoint, where + " has a bad signature");
    const size_t name_length = size_t(le(h + 28, 2)), extra_length = size_t(le(h + 30, 2)), comment_length = size_t(le(h + 32, 2));
    const size_t record = kCentralHeaderSize + name_length + extra_length + comment_length;
    if (size_t(directory_size) - at < record) fail(code::kInvalidCheckpoint, where + " runs past the directory");
    ZipEntry e;
    e.flags = uint16_t(le(h + 8, 2));
    e.method = uint16_t(le(h + 10, 2));
    e.crc32 = uint32_t(le(h + 16, 4));
    e.compressed_size = le(h + 20, 4);
    e.size = le(h + 24, 4);
    e.local_header = le(h + 42, 4);
    e.name.assign(reinterpret_cast<const char*>(h + kCentralHeaderSize), name_length);
    read_zip64_extra(h + kCentralHeaderSize + name_length, extra_length, e, e.size == 0xffffffffu,
                     e.compressed_size == 0xffffffffu, e.local_header == 0xffffffffu, where + " ('" + e.name + "')");
    if (!by_name_.emplace(e.name, entries_.size()).second) fail(code::kInvalidCheckpoint, where + ": name '" + e.name + "' appears twice");
    entries_.push_back(std::move(e));
    at += record;
  }
}

const ZipEntry* ZipReader::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

ByteSpan ZipReader::read(const ZipEntry& e) const {
  const std::string where = source_ + ": zip entry '" + e.name + "'";
  if (e.flags & 1) fail(code::kUnsupported, where + " is encrypted");
  if (e.method != 0) {
    fail(code::kUnsupported, where + " is compressed (method " + std::to_string(e.method) +
                                 "); torch.save stores entries uncompressed: re-save it with torch.save, or convert the model to safetensors");
  }
  if (e.compressed_size != e.size) fail(code::kInvalidCheckpoint, where + " is stored but its compressed and plain sizes differ");
  if (!fits(e.local_header, kLocalHeaderSize, directory_offset_)) fail(code::kInvalidCheckpoint, where + ": local header offset is outside the archive data");
  const uint8_t* h = data_ + e.local_header;
  if (le(h, 4) != kLocalHeader) fail(code::kInvalidCheckpoint, where + ": no local header at offset " + std::to_string(e.local_header));
  const uint64_t name_length = le(h + 26, 2), extra_length = le(h + 28, 2);
  const uint64_t start = e.local_header + kLocalHeaderSize + name_length + extra_length;
  if (!fits(e.local_header + kLocalHeaderSize, name_length, directory_offset_) ||
      std::string(reinterpret_cast<const char*>(h + kLocalHeaderSize), size_t(name_length)) != e.name) {
    fail(code::kInvalidCheckpoint, where + ": local header names another entry");
  }
  if (!fits(start, e.size, directory_offset_)) {
    fail(code::kInvalidCheckpoint, where + ": its " + std::to_string(e.size) + " bytes at offset " + std::to_string(start) +
                                       " run past the archive data (" + std::to_string(directory_offset_) + " bytes)");
  }
  ByteSpan span{data_ + start, size_t(e.size)};
  const uint32_t actual = crc32(span.data, span.size);
  if (actual != e.crc32) fail(code::kInvalidCheckpoint, where + ": CRC-32 mismatch (stored " + hex32(e.crc32) + ", computed " + hex32(actual) + ")");
  return span;
}

}  // namespace albert
