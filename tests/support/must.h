#pragma once
// The value of a StatusOr a test cannot go on without: on an error the
// status is reported and the test binary stops (a server process that did
// not start, a client that could not connect).

#include <gtest/gtest.h>

#include <cstdlib>
#include <utility>

#include "absl/status/statusor.h"

namespace cable::testing {

template <class T>
T Must(absl::StatusOr<T> value) {
  if (!value.ok()) {
    ADD_FAILURE() << value.status();
    std::abort();
  }
  return std::move(*value);
}

}  // namespace cable::testing
