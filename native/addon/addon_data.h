// Per-environment state (the addon is context-aware: each worker_thread gets its own copy).
#pragma once

#include <napi.h>

namespace albert_addon {

struct AddonData {
  Napi::FunctionReference model_constructor;
};

inline AddonData& addon_data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

}  // namespace albert_addon
