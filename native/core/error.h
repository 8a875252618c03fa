// Errors raised by the core. Every failure carries a stable code (part of the public API, surfaced to JS
// as `error.code`) and a message that names the file, tensor, field or index at fault.
#pragma once

#include <stdexcept>
#include <string>

namespace albert {

namespace code {
inline constexpr const char* kFileNotFound = "ERR_ALBERT_FILE_NOT_FOUND";
inline constexpr const char* kFileRead = "ERR_ALBERT_FILE_READ";
inline constexpr const char* kInvalidJson = "ERR_ALBERT_INVALID_JSON";
inline constexpr const char* kInvalidConfig = "ERR_ALBERT_INVALID_CONFIG";
inline constexpr const char* kInvalidTokenizer = "ERR_ALBERT_INVALID_TOKENIZER";
inline constexpr const char* kUnsupported = "ERR_ALBERT_UNSUPPORTED";
inline constexpr const char* kInvalidSafetensors = "ERR_ALBERT_INVALID_SAFETENSORS";
inline constexpr const char* kInvalidCheckpoint = "ERR_ALBERT_INVALID_CHECKPOINT";
inline constexpr const char* kMissingTensor = "ERR_ALBERT_MISSING_TENSOR";
inline constexpr const char* kTensorShape = "ERR_ALBERT_TENSOR_SHAPE";
inline constexpr const char* kTensorDtype = "ERR_ALBERT_TENSOR_DTYPE";
inline constexpr const char* kInvalidInput = "ERR_ALBERT_INVALID_INPUT";
inline constexpr const char* kInputOutOfRange = "ERR_ALBERT_INPUT_OUT_OF_RANGE";
inline constexpr const char* kSequenceTooLong = "ERR_ALBERT_SEQUENCE_TOO_LONG";
inline constexpr const char* kDisposed = "ERR_ALBERT_DISPOSED";
inline constexpr const char* kOutOfMemory = "ERR_ALBERT_OUT_OF_MEMORY";
inline constexpr const char* kInternal = "ERR_ALBERT_INTERNAL";
}  // namespace code

class Error : public std::runtime_error {
 public:
  Error(const char* code, const std::string& message) : std::runtime_error(message), code_(code) {}
  const char* code() const noexcept { return code_; }

 private:
  const char* code_;
};

[[noreturn]] inline void fail(const char* code, const std::string& message) { throw Error(code, message); }

}  // namespace albert
