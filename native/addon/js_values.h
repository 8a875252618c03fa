// Small conversions between JS values and core types, with errors that name the argument.
#pragma once

#include <napi.h>

#include <string>
#include <vector>

#include "io/json.h"
#include "model/albert_model.h"

namespace albert_addon {

// JSON value -> plain JS value (objects, arrays, strings, numbers, booleans, null).
Napi::Value json_to_js(Napi::Env env, const albert::JsonValue& value);

// Reads an optional int32/BigInt64 typed array property of `object` with exactly `count` elements.
// Throws a JS TypeError/RangeError (with a code) when the property has the wrong type or length.
albert::IndexView read_index_array(const Napi::Object& object, const char* name, size_t count, bool required);

// A Float32Array with exactly `count` elements (nullptr when absent and optional); `name` is for errors.
float* float_array(Napi::Env env, Napi::Value value, const std::string& name, size_t count, bool required);

// The Uint8Array argument `index` of a call (the parser test hooks take file bytes); a TypeError otherwise.
Napi::Uint8Array uint8_argument(const Napi::CallbackInfo& info, size_t index);
// A tensor shape as a JS array of numbers.
Napi::Array shape_to_js(Napi::Env env, const std::vector<int64_t>& shape);

int read_int(const Napi::Object& object, const char* name, int min_value, int max_value, int fallback);
std::string read_string(const Napi::Object& object, const char* name, const std::string& fallback);

[[noreturn]] void throw_error(Napi::Env env, const char* code, const std::string& message, bool type_error = false);

}  // namespace albert_addon
