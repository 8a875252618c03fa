#pragma once

#include <new>

#include "error.h"

namespace albert_addon {

template <typename F>
bool capture_errors(F&& fn, CapturedError& error) {
  try {
    fn();
    return true;
  } catch (const albert::Error& e) {
    error = {e.code(), e.what(), false};
  } catch (const std::bad_alloc&) {
    error = {albert::code::kOutOfMemory, "out of memory", false};
  } catch (const std::exception& e) {
    error = {albert::code::kInternal, std::string("internal error: ") + e.what(), false};
  } catch (...) {
    error = {albert::code::kInternal, "internal error", false};
  }
  return false;
}

}  // namespace albert_addon
