#pragma once
// What state_channels.cc and state_channels_txn.cc both need: JSON as it is
// stored, and the guard around application code.

#include <exception>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace cable::service::state_channels_internal {

inline std::string Dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Application code may throw; that is its bug, but it must not take the
// server down or leave a channel locked.
template <class T, class F>
absl::StatusOr<T> Guarded(absl::string_view what, F&& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat(what, " threw: ", e.what()));
  } catch (...) {
    return absl::InternalError(absl::StrCat(what, " threw"));
  }
}

}  // namespace cable::service::state_channels_internal
