#include "cable/history_pubsub.h"

#include <utility>

#include "absl/hash/hash.h"

namespace cable {

HistoryPubSub::HistoryPubSub(PubSub& inner, History& history,
                             HistoryPolicy policy)
    : ForwardingPubSub(inner), history_(history), policy_(std::move(policy)) {}

absl::Mutex& HistoryPubSub::StripeOf(absl::string_view stream) {
  return stripes_[absl::Hash<absl::string_view>{}(stream) % kStripes];
}

absl::Status HistoryPubSub::Broadcast(absl::string_view stream,
                                      absl::string_view message) {
  return BroadcastWithPosition(stream, message).status();
}

absl::StatusOr<std::optional<StreamPosition>>
HistoryPubSub::BroadcastWithPosition(absl::string_view stream,
                                     absl::string_view message) {
  if (policy_.For(stream).limit == 0) {
    absl::Status status = inner().Broadcast(stream, message);
    if (!status.ok()) return status;
    return std::optional<StreamPosition>();
  }
  absl::MutexLock lock(&StripeOf(stream));
  absl::StatusOr<StreamPosition> pos = history_.Append(stream, message);
  if (!pos.ok()) return pos.status();
  absl::Status status =
      inner().Broadcast(stream, EncodeStreamMessage(*pos, message));
  if (!status.ok()) return status;
  return std::optional<StreamPosition>(*std::move(pos));
}

}  // namespace cable
