#pragma once

#include "cable/gateway/clock.h"

namespace cable::gateway {

// The WebSocket close handshake (RFC 6455 section 7): the socket closes
// once our close frame is written and the client's has come, whichever
// happens last; a handshake that takes longer than the write timeout is
// cut. Pure: the session reports the two events and asks.
class CloseHandshake final {
 public:
  // Our close frame is queued: the handshake has begun.
  void begin(Clock::time_point now) { since_ = now; }
  // The client's close frame came (or none can come: the stream broke).
  // True when ours is written too: close the socket now.
  bool received() {
    received_ = true;
    return sent_;
  }
  // Our close frame is written. True (once) when the client's has come
  // too: close the socket now.
  bool sent() {
    if (sent_) return false;
    sent_ = true;
    return received_;
  }
  bool was_sent() const { return sent_; }
  // Whether the handshake has taken longer than `limit`.
  bool overdue(Clock::time_point now, Clock::duration limit) const {
    return now - since_ > limit;
  }

 private:
  bool sent_ = false;
  bool received_ = false;
  Clock::time_point since_;
};

}  // namespace cable::gateway
