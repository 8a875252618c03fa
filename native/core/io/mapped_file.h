// Read-only files: memory-mapped for weights (the OS pages them in lazily and shares them between
// models and processes), or read whole for small text files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace albert {

class MappedFile {
 public:
  // Maps `path` read-only. Errors: ERR_ALBERT_FILE_NOT_FOUND, ERR_ALBERT_FILE_READ.
  explicit MappedFile(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
#ifdef _WIN32
  void* file_handle_ = nullptr;
  void* mapping_handle_ = nullptr;
#endif
};

bool file_exists(const std::string& path);
bool directory_exists(const std::string& path);
// Whole file as bytes, refusing files over `max_bytes` (a config file of gigabytes is not a config file).
std::string read_text_file(const std::string& path, size_t max_bytes = size_t(256) << 20);
std::string join_path(const std::string& dir, const std::string& name);
// The entries of `folder` (files and folders, without "." and ".."), sorted by name.
std::vector<std::string> list_directory(const std::string& folder);

}  // namespace albert
