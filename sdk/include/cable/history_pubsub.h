#pragma once

#include <array>
#include <cstddef>
#include <optional>

#include "absl/synchronization/mutex.h"
#include "cable/forwarding_pubsub.h"
#include "cable/history.h"
#include "cable/pubsub.h"

namespace cable {

// A PubSub that gives each broadcast to a stream with history (by the
// policy) a position: it appends the message to `history`, then publishes
// EncodeStreamMessage(position, message) on `inner`. Subscribers therefore
// receive enveloped messages on those streams (DecodeStreamMessage), plain
// ones elsewhere. Everything else is forwarded to `inner`.
//
// Offsets of a stream are handed out in the order its messages reach
// `inner` (the append and the publish happen under one lock per stream),
// so subscribers see them in offset order, without gaps while connected.
// That holds for the broadcasts of this process: two processes sharing a
// stream need a shared History that orders them (JetStreamHistory), and
// even then one's publish of offset n may overtake the other's of n - 1,
// so subscribers reorder by offset (the gateway's StreamSequencer).
class HistoryPubSub final : public ForwardingPubSub {
 public:
  // `inner` and `history` must outlive this. `policy` should be the one
  // `history` applies (InMemoryHistory::policy()): it decides which
  // broadcasts get a position.
  HistoryPubSub(PubSub& inner, History& history, HistoryPolicy policy);

  // BroadcastWithPosition's status.
  absl::Status Broadcast(absl::string_view stream,
                         absl::string_view message) override;
  // The message's position on a stream with history (nullopt elsewhere).
  // When the append fails nothing is published: a subscriber never gets an
  // unpositioned message on a stream with history, which would leave a hole
  // that no later Read could show. When the publish fails after the append,
  // the message is in history (a reader catching up gets it) and the
  // publish error is returned.
  absl::StatusOr<std::optional<StreamPosition>> BroadcastWithPosition(
      absl::string_view stream, absl::string_view message) override;

 private:
  static constexpr std::size_t kStripes = 64;

  absl::Mutex& StripeOf(absl::string_view stream);

  History& history_;
  const HistoryPolicy policy_;
  // Order the append and the publish of one stream's broadcasts (nothing
  // else to guard). Striped by stream name, so that memory stays fixed
  // however many streams there are; unrelated streams that share a stripe
  // merely take turns. Held across inner().Broadcast: a subscriber callback
  // that broadcasts inline (InMemoryPubSub) would deadlock, as it already
  // does on InMemoryPubSub's own delivery lock.
  std::array<absl::Mutex, kStripes> stripes_;
};

}  // namespace cable
