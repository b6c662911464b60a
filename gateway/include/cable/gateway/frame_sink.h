#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"

namespace cable::gateway {

// A finished WebSocket text frame as it goes on the wire (header and
// payload, see gateway/websocket.h), built once and shared read-only by
// every socket it goes to.
using SharedFrame = std::shared_ptr<const std::string>;

// Where the Hub delivers broadcast frames: a client session, or a recorder
// in tests. `deliver` is called from arbitrary threads and must only queue
// (post) the frame; it must not block or call back into the Hub.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  virtual void Deliver(SharedFrame frame) = 0;
  // A stateful channel's update (a frame of a state stream) for the
  // subscription `identifier`, at state revision `revision`; `ends_commit`
  // when it is the last frame of its commit. A session holds these while
  // it syncs that subscription, and drops those its state already covers.
  virtual void DeliverState(SharedFrame frame, absl::string_view identifier,
                            std::uint64_t revision, bool ends_commit) {
    (void)identifier;
    (void)revision;
    (void)ends_commit;
    Deliver(std::move(frame));
  }
  // Whether this sink speaks the extended protocol: it then gets the
  // positioned frames of streams with history (PositionedDataFrame)
  // through DeliverPositioned, and the plain ones otherwise.
  virtual bool extended() const { return false; }
  // A broadcast at `offset` of `stream`'s `epoch` for the subscription
  // `identifier` (extended sinks only). A session drops those its client
  // already has and holds them while it replays that subscription's
  // history.
  virtual void DeliverPositioned(SharedFrame frame,
                                 absl::string_view identifier,
                                 absl::string_view stream,
                                 absl::string_view epoch,
                                 std::uint64_t offset) {
    (void)identifier;
    (void)stream;
    (void)epoch;
    (void)offset;
    Deliver(std::move(frame));
  }
};

}  // namespace cable::gateway
