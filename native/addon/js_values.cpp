#include "js_values.h"

#include <cmath>

#include "error.h"
#include "errors.h"

namespace albert_addon {

void throw_error(Napi::Env env, const char* code, const std::string& message, bool type_error) {
  throw make_error(env, code, message, type_error);
}

Napi::Value json_to_js(Napi::Env env, const albert::JsonValue& value) {
  using Type = albert::JsonValue::Type;
  switch (value.type()) {
    case Type::Null: return env.Null();
    case Type::Bool: return Napi::Boolean::New(env, value.as_bool());
    case Type::Number: return Napi::Number::New(env, value.as_double());
    case Type::String: return Napi::String::New(env, value.as_string());
    case Type::Array: {
      Napi::Array array = Napi::Array::New(env, value.items().size());
      for (size_t i = 0; i < value.items().size(); ++i) array.Set(uint32_t(i), json_to_js(env, value.items()[i]));
      return array;
    }
    case Type::Object: {
      Napi::Object object = Napi::Object::New(env);
      for (const auto& [key, member] : value.members()) object.Set(key, json_to_js(env, member));
      return object;
    }
  }
  return env.Undefined();
}

albert::IndexView read_index_array(const Napi::Object& object, const char* name, size_t count, bool required) {
  Napi::Env env = object.Env();
  Napi::Value value = object.Get(name);
  if (value.IsUndefined() || value.IsNull()) {
    if (required) throw_error(env, albert::code::kInvalidInput, std::string(name) + " is required", true);
    return {};
  }
  if (!value.IsTypedArray()) {
    throw_error(env, albert::code::kInvalidInput, std::string(name) + " must be an Int32Array or BigInt64Array", true);
  }
  Napi::TypedArray array = value.As<Napi::TypedArray>();
  albert::IndexView view;
  if (array.TypedArrayType() == napi_int32_array) {
    view.data = array.As<Napi::Int32Array>().Data();
  } else if (array.TypedArrayType() == napi_bigint64_array) {
    view.data = array.As<Napi::BigInt64Array>().Data();
    view.is_int64 = true;
  } else {
    throw_error(env, albert::code::kInvalidInput, std::string(name) + " must be an Int32Array or BigInt64Array", true);
  }
  if (array.ElementLength() != count) {
    throw_error(env, albert::code::kInvalidInput,
                std::string(name) + " has " + std::to_string(array.ElementLength()) + " elements, dims need " +
                    std::to_string(count));
  }
  // An empty typed array may have no backing store; it is still a present (empty) input.
  static const int64_t kEmpty = 0;
  if (!view.data) view.data = &kEmpty;
  return view;
}

float* float_array(Napi::Env env, Napi::Value value, const std::string& name, size_t count, bool required) {
  if (value.IsUndefined() || value.IsNull()) {
    if (required) throw_error(env, albert::code::kInvalidInput, name + " is required", true);
    return nullptr;
  }
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw_error(env, albert::code::kInvalidInput, name + " must be a Float32Array", true);
  }
  Napi::Float32Array array = value.As<Napi::Float32Array>();
  if (array.ElementLength() != count) {
    throw_error(env, albert::code::kInvalidInput,
                name + " has " + std::to_string(array.ElementLength()) + " elements, expected " +
                    std::to_string(count));
  }
  return array.Data();
}

int read_int(const Napi::Object& object, const char* name, int min_value, int max_value, int fallback) {
  Napi::Value value = object.Get(name);
  if (value.IsUndefined() || value.IsNull()) return fallback;
  double d = value.IsNumber() ? value.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= min_value && d <= max_value) || std::floor(d) != d) {
    throw_error(object.Env(), albert::code::kInvalidInput,
                std::string(name) + " must be an integer in [" + std::to_string(min_value) + ", " +
                    std::to_string(max_value) + "]",
                !value.IsNumber());
  }
  return int(d);
}

std::string read_string(const Napi::Object& object, const char* name, const std::string& fallback) {
  Napi::Value value = object.Get(name);
  if (value.IsUndefined() || value.IsNull()) return fallback;
  if (!value.IsString()) throw_error(object.Env(), albert::code::kInvalidInput, std::string(name) + " must be a string", true);
  return value.As<Napi::String>().Utf8Value();
}

Napi::Uint8Array uint8_argument(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || !info[index].IsTypedArray() ||
      info[index].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw_error(info.Env(), albert::code::kInvalidInput, "expected a Uint8Array", true);
  }
  return info[index].As<Napi::Uint8Array>();
}

Napi::Array shape_to_js(Napi::Env env, const std::vector<int64_t>& shape) {
  Napi::Array out = Napi::Array::New(env, shape.size());
  for (size_t d = 0; d < shape.size(); ++d) out.Set(uint32_t(d), Napi::Number::New(env, double(shape[d])));
  return out;
}

}  // namespace albert_addon
