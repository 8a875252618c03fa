#include "model/model_cache.h"

#include <sys/stat.h>

#include <future>
#include <map>
#include <mutex>

#include "io/mapped_file.h"

namespace albert {

namespace {

struct CacheEntry {
  std::weak_ptr<const ModelData> data;
  std::shared_future<std::shared_ptr<const ModelData>> loading;  // valid while one thread loads
};

std::mutex& cache_mutex() {
  static std::mutex mutex;
  return mutex;
}

std::map<std::string, CacheEntry>& cache() {
  static std::map<std::string, CacheEntry> entries;
  return entries;
}

// Size, inode and modification time to the nanosecond where the platform has it: a file rewritten within the
// same second (or replaced by a rename) must not pass for the one already loaded.
std::string stat_string(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return path + ":missing;";
#if defined(__APPLE__)
  const long long nanoseconds = st.st_mtimespec.tv_nsec;
#elif defined(__linux__)
  const long long nanoseconds = st.st_mtim.tv_nsec;
#else
  const long long nanoseconds = 0;
#endif
  return path + ":" + std::to_string(static_cast<long long>(st.st_size)) + ":" +
         std::to_string(static_cast<long long>(st.st_ino)) + ":" + std::to_string(static_cast<long long>(st.st_mtime)) +
         "." + std::to_string(nanoseconds) + ";";
}

}  // namespace

std::string source_fingerprint(const ModelSource& source) {
  // Every file beside the checkpoint (shards included), and the config.
  std::string out = stat_string(source.config);
  const size_t slash = source.checkpoint.find_last_of("/\\");
  const std::string folder = slash == std::string::npos ? "." : source.checkpoint.substr(0, slash);
  try {
    for (const std::string& name : list_directory(folder)) out += stat_string(join_path(folder, name));
  } catch (const std::exception&) {
    out += folder + ":unreadable;";
  }
  return out;
}

std::shared_ptr<const ModelData> shared_model_data(const std::string& key,
                                                   const std::function<std::shared_ptr<const ModelData>()>& load) {
  std::promise<std::shared_ptr<const ModelData>> promise;
  std::shared_future<std::shared_ptr<const ModelData>> wait_for;
  {
    std::lock_guard<std::mutex> lock(cache_mutex());
    CacheEntry& entry = cache()[key];
    if (std::shared_ptr<const ModelData> data = entry.data.lock(); data && data->fingerprint == source_fingerprint(data->source)) {
      return data;
    }
    if (entry.loading.valid()) {
      wait_for = entry.loading;
    } else {
      entry.loading = promise.get_future().share();
    }
  }
  if (wait_for.valid()) return wait_for.get();  // rethrows the loading thread's error
  try {
    std::shared_ptr<const ModelData> data = load();
    {
      std::lock_guard<std::mutex> lock(cache_mutex());
      CacheEntry& entry = cache()[key];
      entry.data = data;
      entry.loading = {};
    }
    promise.set_value(data);
    return data;
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(cache_mutex());
      cache()[key].loading = {};
    }
    promise.set_exception(std::current_exception());
    throw;
  }
}

}  // namespace albert
