#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "cable/gateway/frame_sink.h"
#include "cable/gateway/stream_sequencer.h"
#include "cable/history.h"
#include "cable/pubsub.h"

namespace cable::gateway {

// Hub: stream -> local subscribers (sink, identifier). Holds one PubSub
// subscription per stream while the stream has local subscribers, so the
// backend sees one subscriber per gateway, never one per client. A message
// is turned into one frame per distinct identifier, shared by every sink
// subscribed with that identifier.
//
// A stream is pending from its first local subscriber until the backend
// reports it live (or failed); subscribers arriving meanwhile wait with the
// first. No lock is held across a PubSub call, so an event loop that
// subscribes never waits on the network: it hears back through `on_live`.
class Hub final {
 public:
  // Runs once, on any thread (inline, a backend's, or the unsubscriber's):
  // OK once the stream is live, else why it is not. Must only post.
  using OnLive = absl::AnyInvocable<void(absl::Status) &&>;

  // `history` (may be null) fills holes in positioned streams (see
  // StreamSequencer); it must outlive the Hub.
  explicit Hub(PubSub& pubsub, History* history = nullptr);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // Adds `sink` as a subscriber of `stream` under `identifier` and returns
  // at once. `on_live` gets OK when the stream is live (every broadcast
  // published afterwards is delivered), the backend's error when it could
  // not start (the stream is then dropped with all its subscribers, and a
  // later subscribe tries again), or CANCELLED when the stream lost its
  // last subscriber before going live. Adding the same (stream, sink,
  // identifier) twice adds it once; both `on_live`s run.
  void Subscribe(absl::string_view stream, absl::string_view identifier,
                 const std::shared_ptr<FrameSink>& sink, OnLive on_live);

  // Removes one subscription, pending or live; the last one of a stream
  // drops its PubSub subscription.
  void Unsubscribe(absl::string_view stream, absl::string_view identifier,
                   const FrameSink* sink);

  // Number of streams with local subscribers (pending ones included).
  std::size_t stream_count() const;
  // Number of local subscriptions to `stream`.
  std::size_t subscriber_count(absl::string_view stream) const;
  // A stream with local subscribers and their number (the server API).
  struct StreamCount {
    std::string stream;
    std::size_t subscribers = 0;
  };
  // The streams `match` accepts (pending ones included), sorted by name:
  // the first `limit`; `*truncated` tells whether more matched. Any
  // thread: reads each stream's count under its lock, and `match` runs
  // outside every lock.
  std::vector<StreamCount> Counts(
      const std::function<bool(absl::string_view)>& match, std::size_t limit,
      bool* truncated) const;
  // Streams with local subscribers, and subscriptions over all of them.
  struct Totals {
    std::size_t streams = 0;
    std::size_t subscriptions = 0;
  };
  Totals totals() const;
  // Messages received from the PubSub backend, all streams together.
  std::uint64_t messages_received() const {
    return messages_received_->load(std::memory_order_relaxed);
  }

 private:
  struct Stream;
  // The stream map, shared with the backend's completions so that a late
  // one finds it gone rather than dangling.
  struct Table {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, std::shared_ptr<Stream>> streams
        ABSL_GUARDED_BY(mu);
  };
  // The streams in the table now (under its lock only for the copy).
  std::vector<std::shared_ptr<Stream>> streams() const;
  static void OnStarted(const std::weak_ptr<Table>& table,
                        const std::shared_ptr<Stream>& stream, History* history,
                        absl::Status status);
  // A stream just live: reads where its history stands, so that its
  // sequencer starts there (StreamSequencer::Anchored).
  static void Anchor(const std::shared_ptr<Stream>& stream, History* history);
  // Runs one step of the stream's sequencer under its lock, delivers what
  // it lets go, then reads the hole it found (if any) from the history.
  static void Advance(
      const std::shared_ptr<Stream>& stream, History* history,
      absl::FunctionRef<StreamSequencer::Step(StreamSequencer&)> advance);
  static void OnMessage(const std::shared_ptr<Stream>& stream, History* history,
                        std::atomic<std::uint64_t>& received,
                        absl::string_view message);
  // Reads the hole after `after` from the history for the stream's
  // sequencer, and delivers what it lets out.
  static void FillHole(const std::shared_ptr<Stream>& stream, History* history,
                       std::optional<StreamPosition> after);

  PubSub& pubsub_;
  History* const history_;
  const std::shared_ptr<std::atomic<std::uint64_t>> messages_received_ =
      std::make_shared<std::atomic<std::uint64_t>>(0);
  const std::shared_ptr<Table> table_ = std::make_shared<Table>();
};

}  // namespace cable::gateway
