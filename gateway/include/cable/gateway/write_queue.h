#pragma once

#include <cstddef>
#include <span>
#include <string>

#include "absl/strings/string_view.h"
#include "cable/gateway/frame_sink.h"
#include "cable/gateway/small_queue.h"

namespace cable::gateway {

// A connection's outbound frames, in order, with their budgets: each kind
// of frame has its own byte bound, and one frame may take it past the
// bound (a multi-megabyte state must get through an empty queue). Replies
// (what the service answered this client: a join's backlog and state,
// request replies) are bounded apart from broadcasts, so that they do not
// count as the client being slow. Pure: the session writes what gather()
// hands out and reports how much the socket took.
class WriteQueue final {
 public:
  struct Limits {
    std::size_t max_frames;
    std::size_t max_bytes;        // broadcasts
    std::size_t max_reply_bytes;  // replies
  };

  explicit WriteQueue(Limits limits) : limits_(limits) {}

  // Queues a frame; false (nothing queued) if that overflows its budget.
  bool Push(SharedFrame frame, bool reply);
  // Queues bytes that go out whatever the bounds: the handshake's answer,
  // a closing connection's last frames.
  void PushUnbounded(std::string bytes);

  // Up to out.size() pieces of what is unwritten, in order (the first may
  // be the rest of a partly written frame); returns how many.
  std::size_t Gather(std::span<absl::string_view> out) const;
  // The socket took `bytes` of what gather() handed out: returns how many
  // frames went out whole.
  std::size_t Consume(std::size_t bytes);
  // Drops queued frames except one partly written (the rest of it must
  // follow, or the stream breaks).
  void DropUnwritten();

  bool empty() const { return frames_.empty(); }
  std::size_t size() const { return frames_.size(); }
  std::size_t queued_bytes() const { return bytes_; }
  std::size_t reply_bytes() const { return reply_bytes_; }

 private:
  struct Queued {
    SharedFrame frame;  // wire bytes
    bool reply = false;
  };
  void unqueued(const Queued& queued);

  const Limits limits_;
  SmallQueue<Queued> frames_;
  // Bytes of the front frame already written.
  std::size_t offset_ = 0;
  std::size_t bytes_ = 0;
  std::size_t reply_bytes_ = 0;
};

}  // namespace cable::gateway
