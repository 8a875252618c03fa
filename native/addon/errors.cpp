#include "errors.h"

namespace albert_addon {

Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message, bool type_error) {
  Napi::Error error = type_error ? Napi::TypeError::New(env, message) : Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

Napi::Error make_error(Napi::Env env, const CapturedError& error) {
  return make_error(env, error.code, error.message, error.type_error);
}

}  // namespace albert_addon
