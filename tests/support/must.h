#pragma once
// The value of a StatusOr a test cannot go on without (a server process
// that did not start, a client that could not connect). On an error it
// throws: googletest reports the status and ends the test, and unwinding
// stops the processes the test started (an abort would leave them running).

#include <stdexcept>
#include <utility>

#include "absl/status/statusor.h"

namespace cable::testing {

template <class T>
T Must(absl::StatusOr<T> value) {
  if (!value.ok()) throw std::runtime_error(value.status().ToString());
  return std::move(*value);
}

}  // namespace cable::testing
