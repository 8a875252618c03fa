#include "io/mapped_file.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "error.h"

#ifdef _WIN32
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace albert {

namespace {
[[noreturn]] void fail_open(const std::string& path, int err) {
  if (err == ENOENT || err == ENOTDIR) fail(code::kFileNotFound, "file not found: " + path);
  fail(code::kFileRead, "cannot read " + path + ": " + std::strerror(err));
}
}  // namespace

#ifdef _WIN32
MappedFile::MappedFile(const std::string& path) : path_(path) {
  int wide_len = MultiByteToWideChar(CP_UTF8, 0, path.c_str(), -1, nullptr, 0);
  std::wstring wide(size_t(wide_len > 0 ? wide_len : 1), L'\0');
  MultiByteToWideChar(CP_UTF8, 0, path.c_str(), -1, wide.data(), wide_len);
  HANDLE file = CreateFileW(wide.c_str(), GENERIC_READ, FILE_SHARE_READ, nullptr, OPEN_EXISTING,
                            FILE_ATTRIBUTE_NORMAL, nullptr);
  if (file == INVALID_HANDLE_VALUE) {
    DWORD e = GetLastError();
    fail_open(path, (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND) ? ENOENT : EIO);
  }
  file_handle_ = file;
  LARGE_INTEGER size;
  if (!GetFileSizeEx(file, &size)) fail(code::kFileRead, "cannot stat " + path);
  size_ = size_t(size.QuadPart);
  if (size_ == 0) return;
  HANDLE mapping = CreateFileMappingW(file, nullptr, PAGE_READONLY, 0, 0, nullptr);
  if (!mapping) fail(code::kFileRead, "cannot map " + path);
  mapping_handle_ = mapping;
  data_ = static_cast<const uint8_t*>(MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 0));
  if (!data_) fail(code::kFileRead, "cannot map " + path);
}

MappedFile::~MappedFile() {
  if (data_) UnmapViewOfFile(data_);
  if (mapping_handle_) CloseHandle(mapping_handle_);
  if (file_handle_) CloseHandle(file_handle_);
}
#else
MappedFile::MappedFile(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_open(path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    fail_open(path, err);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(code::kFileRead, "not a regular file: " + path);
  }
  size_ = size_t(st.st_size);
  if (size_ > 0) {
    void* mapped = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapped == MAP_FAILED) {
      int err = errno;
      ::close(fd);
      fail(code::kFileRead, "cannot map " + path + ": " + std::strerror(err));
    }
    data_ = static_cast<const uint8_t*>(mapped);
  }
  ::close(fd);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}
#endif

bool file_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IFMT) == S_IFREG;
}

bool directory_exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR;
}

std::string read_text_file(const std::string& path, size_t max_bytes) {
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) fail_open(path, errno);
  std::string content;
  char buffer[65536];
  while (true) {
    size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    if (n == 0) break;
    if (content.size() + n > max_bytes) {
      fail(code::kFileRead, path + " is larger than " + std::to_string(max_bytes) + " bytes");
    }
    content.append(buffer, n);
  }
  if (std::ferror(file.get())) fail(code::kFileRead, "cannot read " + path);
  return content;
}

std::string join_path(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  char last = dir.back();
  if (last == '/' || last == '\\') return dir + name;
  return dir + "/" + name;
}

std::vector<std::string> list_directory(const std::string& folder) {
  std::vector<std::string> names;
#ifdef _WIN32
  WIN32_FIND_DATAA entry;
  HANDLE handle = FindFirstFileA(join_path(folder, "*").c_str(), &entry);
  if (handle == INVALID_HANDLE_VALUE) fail(code::kFileRead, "cannot list " + folder);
  do {
    names.push_back(entry.cFileName);
  } while (FindNextFileA(handle, &entry));
  FindClose(handle);
#else
  struct DirCloser {
    void operator()(DIR* d) const { closedir(d); }
  };
  std::unique_ptr<DIR, DirCloser> dir(opendir(folder.c_str()));
  if (!dir) fail_open(folder, errno);
  while (const dirent* entry = readdir(dir.get())) names.push_back(entry->d_name);
#endif
  names.erase(std::remove_if(names.begin(), names.end(), [](const std::string& n) { return n == "." || n == ".."; }), names.end());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace albert
