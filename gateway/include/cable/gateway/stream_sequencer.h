#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cable/history.h"

namespace cable::gateway {

// Puts one stream's positioned broadcasts back in offset order on their way
// from the pub/sub to the Hub's subscribers. Offsets are contiguous per
// stream (1, 2, 3 ...: the History gives them out), but two service
// replicas publishing to one stream can reach a gateway in either order,
// and a publisher that dies between keeping a message in the history and
// publishing it leaves a hole. A message past a hole waits; the hole is
// read from the history (the message is there before it is published) and
// the run is delivered in order. If the history cannot fill it (trimmed,
// unreachable) the hole is skipped rather than stalling the stream: what
// the gateway delivers is always in offset order, and an extended client
// that missed something recovers it with `history` on its next reconnect.
// Pure: the Hub delivers and fetches what it says, under the stream's lock.
class StreamSequencer final {
 public:
  struct Message {
    std::uint64_t offset = 0;
    std::string data;
  };
  struct Step {
    // To deliver now, in this order (all of `epoch`).
    std::vector<Message> deliver;
    std::string epoch;
    // Read the history after this position and pass the page to Fetched.
    std::optional<StreamPosition> fetch_after;
  };
  // How many messages may wait behind one hole before it is skipped.
  static constexpr std::size_t kMaxWaiting = 1024;
  // How many failed reads of one hole (the history unreachable, a read
  // timing out) before it is skipped.
  static constexpr int kFetchAttempts = 3;

  Step Offer(const StreamPosition& position, absl::string_view data);
  Step Fetched(absl::StatusOr<HistoryPage> page);

  // Anchoring: where the stream stands when it goes live on this gateway.
  // Without it the first message that arrives sets the start, and when two
  // publishers race (offset 2 through one replica arrives before offset 1
  // through another), the earlier one would be dropped as delivered. From
  // BeginAnchor until Anchored, messages wait; Anchored starts the stream
  // after the history's last offset then (a page of it, or the read's
  // error: then the first waiting message sets the start, as without).
  void BeginAnchor() { anchoring_ = true; }
  Step Anchored(absl::StatusOr<HistoryPage> page);

  // The offset the next delivered message must have (0: none seen yet).
  std::uint64_t next() const { return next_; }

 private:
  // Delivers the waiting run that starts at next_; if messages still wait
  // behind a hole, asks for a fetch (unless one is out).
  void Drain(Step& step);
  // Gives up on the hole: delivers everything waiting, in order.
  void Skip(Step& step);

  std::string epoch_;
  std::uint64_t next_ = 0;
  std::map<std::uint64_t, std::string> waiting_;
  bool fetching_ = false;
  int failed_fetches_ = 0;
  bool anchoring_ = false;
  // Whether anything was delivered since the start: until then a message
  // below next_ (kept before the anchor's read, published after the stream
  // went live) moves the start back instead of being dropped.
  bool delivered_ = false;
};

}  // namespace cable::gateway
