// Turning core failures into JS errors: every rejection and throw carries `code` and a message.
#pragma once

#include <napi.h>

#include <string>

namespace albert_addon {

// A failure captured on a worker thread, rethrown on the JS thread.
struct CapturedError {
  std::string code;
  std::string message;
  bool type_error = false;
};

// Runs `fn`, converting any C++ exception into a CapturedError (returns false on failure).
template <typename F>
bool capture_errors(F&& fn, CapturedError& error);

Napi::Error make_error(Napi::Env env, const CapturedError& error);
Napi::Error make_error(Napi::Env env, const std::string& code, const std::string& message, bool type_error = false);

// Runs `fn` on the JS thread, turning core exceptions into a thrown JS error (they never cross Node-API).
template <typename F>
void run_or_throw(Napi::Env env, F&& fn) {
  CapturedError error;
  if (!capture_errors(std::forward<F>(fn), error)) throw make_error(env, error);
}

}  // namespace albert_addon

#include "errors_impl.h"
