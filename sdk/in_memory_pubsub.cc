#include "cable/in_memory_pubsub.h"

#include <vector>

namespace cable {

struct InMemoryPubSub::Subscriber {
  PubSubCallback callback;
};

PubSubSubscriptionId InMemoryPubSub::Subscribe(absl::string_view stream,
                                               PubSubCallback callback,
                                               PubSubDone on_live) {
  const bool valid = static_cast<bool>(callback);
  PubSubSubscriptionId id = 0;
  {
    absl::MutexLock lock(&mu_);
    id = next_id_++;
    if (valid) {
      streams_[stream][id] =
          std::make_shared<Subscriber>(Subscriber{std::move(callback)});
      stream_of_.emplace(id, std::string(stream));
    }
  }
  // Outside the lock: on_live may broadcast or subscribe again.
  std::move(on_live)(
      valid ? absl::OkStatus()
            : absl::InvalidArgumentError("subscribe: no callback"));
  return id;
}

void InMemoryPubSub::Unsubscribe(PubSubSubscriptionId id) {
  // Taking delivery_mu_ waits for a broadcast in progress, so the callback
  // is not running when we return. A callback that unsubscribes from inside
  // a delivery would deadlock; none of Cable's do (they post elsewhere).
  absl::MutexLock delivery(&delivery_mu_);
  absl::MutexLock lock(&mu_);
  auto it = stream_of_.find(id);
  if (it == stream_of_.end()) return;
  auto s = streams_.find(it->second);
  if (s != streams_.end()) {
    s->second.erase(id);
    if (s->second.empty()) streams_.erase(s);
  }
  stream_of_.erase(it);
}

absl::Status InMemoryPubSub::Broadcast(absl::string_view stream,
                                       absl::string_view message) {
  absl::MutexLock delivery(&delivery_mu_);
  std::vector<std::shared_ptr<Subscriber>> targets;
  {
    absl::MutexLock lock(&mu_);
    auto s = streams_.find(stream);
    if (s == streams_.end()) return absl::OkStatus();
    targets.reserve(s->second.size());
    for (const auto& [id, sub] : s->second) targets.push_back(sub);
  }
  for (const auto& sub : targets) sub->callback(stream, message);
  return absl::OkStatus();
}

std::size_t InMemoryPubSub::subscriber_count(absl::string_view stream) const {
  absl::MutexLock lock(&mu_);
  auto s = streams_.find(stream);
  return s == streams_.end() ? 0 : s->second.size();
}

}  // namespace cable
