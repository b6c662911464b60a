#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cable/gateway/frame_sink.h"
#include "cable/gateway/history_gate.h"
#include "cable/internal/v1/cable.pb.h"

namespace cable::gateway {

// A stateful channel's gate on its live updates. Between a join (or a
// sync) and the service's answer to "sync", updates wait here with their
// revisions; afterwards an update at or below the revision the client
// already has is dropped (the answer to "sync" can overtake an update's
// trip through the pub/sub).
class StateGate final {
 public:
  struct Update {
    SharedFrame frame;
    std::uint64_t revision = 0;  // 0: no revision, passed on as it is
    bool ends_commit = false;
  };
  enum class Verdict { kSend, kHeld, kCovered, kOverflow };

  // From now until release(), updates wait.
  void Hold() { held_ = true; }
  bool held() const { return held_; }
  // What to do with a live update: send it, keep it (held), drop it (the
  // client's state covers it), or the held updates are over `max_held`.
  Verdict Offer(Update update, std::size_t max_held);
  // The answer to "sync": the client's state is at `after_revision`;
  // returns the held updates newer than it, in order. nullopt (the sync
  // failed): drops them all.
  std::vector<SharedFrame> Release(std::optional<std::uint64_t> after_revision);
  // The subscription stopped: forget what waits.
  void clear() { held_updates_.clear(); }

 private:
  // Whether `update` is newer than what the client has (and notes it).
  bool Newer(const Update& update);

  bool held_ = false;
  std::vector<Update> held_updates_;
  // The revision of the state the client was sent, then of the last whole
  // commit sent after it.
  std::uint64_t revision_ = 0;
};

// A periodic timer of a subscription (the channel's `periodically`).
struct TimerSpec {
  std::chrono::milliseconds every;
  std::string action;
};

// One connection's subscriptions, keyed by the identifier exactly as the
// client sent it: their channel state, streams, timers and state gates.
// Pure: the session starts and stops what it says on the Hub and its
// timers. Timers are known by a generation number: a timer that fires
// after its subscription changed them finds its generation stale.
class SubscriptionSet final {
 public:
  struct Subscription {
    std::map<std::string, std::string> istate;
    std::vector<std::string> streams;
    // The command that opened it (subscribe or join): its undoing is the
    // matching unsubscribe or leave.
    internal::v1::CommandKind opened_by = internal::v1::COMMAND_KIND_SUBSCRIBE;
    // A stateful channel's (the service said so when it opened).
    bool stateful = false;
    std::vector<TimerSpec> timers;
    std::uint64_t timer_generation = 0;
    StateGate gate;
    // Extended-protocol subscriptions of streams with history: what the
    // client has of each stream, and the live frames held while its
    // history is replayed. Made on first use.
    std::unique_ptr<HistoryGate> history;
  };

  bool contains(absl::string_view identifier) const {
    return subscriptions_.contains(identifier);
  }
  std::size_t size() const { return subscriptions_.size(); }
  Subscription* find(absl::string_view identifier);
  // Adds a subscription (or returns the one there).
  Subscription& Add(const std::string& identifier,
                    internal::v1::CommandKind opened_by);
  // Removes a subscription; returns its streams, for the Hub.
  std::vector<std::string> Remove(absl::string_view identifier);
  void clear() { subscriptions_.clear(); }

  // Streams: adds those of `streams` not yet listed and returns them (to
  // start); removes one (true if it was listed); takes them all.
  std::vector<std::string> AddStreams(Subscription& sub,
                                      const std::vector<std::string>& streams);
  static bool RemoveStream(Subscription& sub, absl::string_view stream);
  static std::vector<std::string> TakeStreams(Subscription& sub);

  // Replaces a subscription's timers: returns their generation.
  std::uint64_t set_timers(Subscription& sub, std::vector<TimerSpec> timers);
  // Stops a subscription's timers (all of them, on close).
  void StopTimers(Subscription& sub);
  void StopAllTimers();
  // Whether a timer of `generation` still belongs to `identifier`.
  bool timer_current(absl::string_view identifier,
                     std::uint64_t generation) const;

  auto begin() { return subscriptions_.begin(); }
  auto end() { return subscriptions_.end(); }
  auto begin() const { return subscriptions_.begin(); }
  auto end() const { return subscriptions_.end(); }

 private:
  absl::flat_hash_map<std::string, Subscription> subscriptions_;
  std::uint64_t generations_ = 0;
};

// The streams one command started, until each is live: the command's
// answer (confirm_subscription among it) waits for them. Completions carry
// the generation they were started with; a stale one (the wait was
// abandoned) is ignored.
class StreamWait final {
 public:
  // Starts a wait for `count` streams (0: nothing to wait for); returns
  // the generation their completions carry.
  std::uint64_t Begin(std::size_t count);
  // One stream's outcome; true when it settled the wait (the last one).
  bool Settle(std::uint64_t generation, absl::string_view stream,
              const absl::Status& status);
  bool waiting() const { return left_ > 0; }
  // The first failure, and every failed stream.
  const absl::Status& status() const { return status_; }
  const std::vector<std::string>& failed() const { return failed_; }
  // The command is finished without them (the socket closed).
  void Abandon();

 private:
  std::uint64_t generation_ = 0;
  std::size_t left_ = 0;
  absl::Status status_;
  std::vector<std::string> failed_;
};

}  // namespace cable::gateway
