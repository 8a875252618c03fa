// Runs a job on a libuv worker thread and settles a Promise on the JS thread. The job never touches
// Node-API; its result is turned into JS values by `finish`, on the JS thread.
#pragma once

#include <napi.h>

#include <functional>
#include <utility>
#include <vector>

#include "errors.h"

namespace albert_addon {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Job = std::function<void()>;
  using Finish = std::function<Napi::Value(Napi::Env)>;

  // `keep_alive` holds JS objects (input and output arrays, the model wrapper) until the job is done.
  static Napi::Promise start(Napi::Env env, const char* name, Job job, Finish finish,
                             std::vector<Napi::Value> keep_alive = {}) {
    auto* worker = new PromiseWorker(env, name, std::move(job), std::move(finish), keep_alive);
    Napi::Promise promise = worker->deferred_.Promise();
    worker->Queue();  // libuv owns the worker from here and deletes it after OnOK / OnError
    return promise;
  }

 protected:
  void Execute() override {
    if (!capture_errors(job_, error_)) failed_ = true;
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (failed_) {
      deferred_.Reject(make_error(env, error_).Value());
      return;
    }
    try {
      deferred_.Resolve(finish_ ? finish_(env) : env.Undefined());
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(make_error(env, "ERR_ALBERT_INTERNAL", e.what()).Value());
    }
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  PromiseWorker(Napi::Env env, const char* name, Job job, Finish finish, const std::vector<Napi::Value>& keep_alive)
      : Napi::AsyncWorker(env, name), deferred_(Napi::Promise::Deferred::New(env)), job_(std::move(job)),
        finish_(std::move(finish)) {
    for (const Napi::Value& value : keep_alive) {
      if (value.IsObject()) references_.push_back(Napi::Persistent(value.As<Napi::Object>()));
    }
  }

  Napi::Promise::Deferred deferred_;
  Job job_;
  Finish finish_;
  std::vector<Napi::ObjectReference> references_;
  CapturedError error_;
  bool failed_ = false;
};

}  // namespace albert_addon
