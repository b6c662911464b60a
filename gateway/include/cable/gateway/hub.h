#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "cable/gateway/frame_sink.h"
#include "cable/pubsub.h"

namespace cable::gateway {

// Hub: stream -> local subscribers (sink, identifier). Holds one PubSub
// subscription per stream while the stream has local subscribers, so the
// backend sees one subscriber per gateway, never one per client. A message
// is turned into one frame per distinct identifier, shared by every sink
// subscribed with that identifier.
class Hub final {
 public:
  explicit Hub(PubSub& pubsub);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Adds `sink` as a subscriber of `stream` under `identifier`. When this
  // returns OK the stream is live: every broadcast published afterwards is
  // delivered. Adding the same (stream, sink, identifier) twice is a no-op.
  absl::Status subscribe(absl::string_view stream, absl::string_view identifier,
                         const std::shared_ptr<FrameSink>& sink);

  // Removes one subscription; the last one of a stream drops its PubSub
  // subscription.
  void unsubscribe(absl::string_view stream, absl::string_view identifier,
                   const FrameSink* sink);

  // Number of streams with local subscribers.
  std::size_t stream_count() const;
  // Number of local subscriptions to `stream`.
  std::size_t subscriber_count(absl::string_view stream) const;
  // Messages received from the PubSub backend, all streams together.
  std::uint64_t messages_received() const {
    return messages_received_.load(std::memory_order_relaxed);
  }

 private:
  struct Stream;
  void on_message(const std::shared_ptr<Stream>& stream,
                  absl::string_view message);

  PubSub& pubsub_;
  std::atomic<std::uint64_t> messages_received_{0};
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Stream>> streams_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace cable::gateway
