#include "model/model_source.h"

#include "error.h"
#include "io/mapped_file.h"
#include "io/torch_checkpoint.h"
#include "model/tf_albert.h"

namespace albert {

OpenedCheckpoint open_checkpoint(const std::string& path) {
  OpenedCheckpoint out;
  out.source.path = path;
  const std::string config_path = join_path(path, "config.json");
  if (directory_exists(path) && file_exists(config_path)) {
    out.config_json = parse_json(read_text_file(config_path, size_t(16) << 20), config_path);
    out.config_source = config_path;
    // safetensors first (no pickle at all); pytorch_model.bin, read without running it, when it is all there is.
    const bool safetensors = file_exists(join_path(path, "model.safetensors")) ||
                             file_exists(join_path(path, "model.safetensors.index.json"));
    if (!safetensors && has_torch_checkpoint(path)) {
      out.store = open_torch_folder(path);
      out.source.format = "pytorch";
    } else {
      out.store = TensorStore::open_folder(path);
      out.source.format = "safetensors";
    }
    out.source.layout = "huggingface";
    out.source.checkpoint = out.store->description();
    out.source.config = config_path;
    return out;
  }
  if (!is_tf_checkpoint(path)) {
    if (!directory_exists(path) && !file_exists(path)) fail(code::kFileNotFound, "model folder not found: " + path);
    fail(code::kFileNotFound, "no model in " + path + ": expected a Hugging Face folder (config.json + model.safetensors or pytorch_model.bin) "
                                                      "or a TensorFlow checkpoint (a `checkpoint` file or PREFIX.index)");
  }
  TfAlbertCheckpoint tf = open_tf_albert(path);
  out.config_source = tf.config_path;
  out.config_json = parse_json(tf.config_text, tf.config_path);
  out.store = std::move(tf.store);
  out.source.format = "tensorflow";
  out.source.layout = tf.layout;
  out.source.checkpoint = tf.prefix;
  out.source.config = tf.config_path;
  out.source.skipped_tensors = tf.skipped;
  return out;
}

}  // namespace albert
