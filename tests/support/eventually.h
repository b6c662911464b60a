#pragma once
// Waiting on a condition that other processes make true (counts a server
// reports, a gateway found dead): asks again until it holds or the bound
// passes. The pause only paces the asking; the bound is a failure bound.

#include <chrono>
#include <thread>

namespace cable::testing {

// Whether `condition()` held before `bound` passed.
template <class Condition>
bool Eventually(Condition condition,
                std::chrono::milliseconds bound = std::chrono::seconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

}  // namespace cable::testing
