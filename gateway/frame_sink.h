#pragma once

#include <memory>
#include <string>

namespace cable::gateway {

// A finished WebSocket text frame, built once and shared read-only by every
// socket it goes to.
using SharedFrame = std::shared_ptr<const std::string>;

// Where the Hub delivers broadcast frames: a client session, or a recorder
// in tests. `deliver` is called from arbitrary threads and must only queue
// (post) the frame; it must not block or call back into the Hub.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void deliver(SharedFrame frame) = 0;
};

}  // namespace cable::gateway
