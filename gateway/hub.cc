#include "cable/gateway/hub.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cable/gateway/websocket.h"
#include "cable/protocol.h"

namespace cable::gateway {

struct Hub::Stream {
  explicit Stream(std::string n) : name(std::move(n)) {}
  const std::string name;
  absl::Mutex mu;
  // Set once the stream left the Hub's map; a subscriber that raced with the
  // removal retries with a fresh entry.
  bool dead ABSL_GUARDED_BY(mu) = false;
  PubSubSubscriptionId pubsub_id ABSL_GUARDED_BY(mu) = 0;
  // identifier -> sinks subscribed under it.
  absl::flat_hash_map<std::string, std::vector<std::shared_ptr<FrameSink>>>
      subscribers ABSL_GUARDED_BY(mu);
  std::size_t count ABSL_GUARDED_BY(mu) = 0;
};

Hub::Hub(PubSub& pubsub) : pubsub_(pubsub) {}

Hub::~Hub() {
  std::vector<PubSubSubscriptionId> ids;
  {
    absl::MutexLock lock(&mu_);
    for (auto& [name, stream] : streams_) {
      absl::MutexLock stream_lock(&stream->mu);
      stream->dead = true;
      if (stream->pubsub_id != 0) ids.push_back(stream->pubsub_id);
    }
    streams_.clear();
  }
  for (auto id : ids) pubsub_.unsubscribe(id);
}

absl::Status Hub::subscribe(absl::string_view stream_name,
                            absl::string_view identifier,
                            const std::shared_ptr<FrameSink>& sink) {
  for (;;) {
    std::shared_ptr<Stream> stream;
    {
      absl::MutexLock lock(&mu_);
      auto& slot = streams_[stream_name];
      if (!slot) slot = std::make_shared<Stream>(std::string(stream_name));
      stream = slot;
    }
    absl::Status failed;
    {
      absl::MutexLock stream_lock(&stream->mu);
      if (stream->dead) continue;  // removed between the two locks: retry
      if (stream->pubsub_id == 0) {
        // The first local subscriber takes the backend subscription. Holding
        // the stream's lock makes later subscribers wait until it is live.
        std::weak_ptr<Stream> weak = stream;
        auto id = SubscribeAndWait(
            pubsub_, stream_name,
            [this, weak](absl::string_view, absl::string_view msg) {
              if (auto s = weak.lock()) on_message(s, msg);
            });
        if (id.ok()) {
          stream->pubsub_id = *id;
        } else {
          failed = absl::Status(
              id.status().code(),
              absl::StrCat("subscribing to stream: ", id.status().message()));
          if (stream->count == 0) stream->dead = true;
        }
      }
      if (failed.ok()) {
        auto& sinks = stream->subscribers[identifier];
        for (const auto& s : sinks) {
          if (s == sink) return absl::OkStatus();
        }
        sinks.push_back(sink);
        ++stream->count;
        return absl::OkStatus();
      }
    }
    // Lock order is hub, then stream: drop the dead entry after releasing
    // the stream's lock.
    absl::MutexLock lock(&mu_);
    auto it = streams_.find(stream_name);
    if (it != streams_.end() && it->second == stream) {
      absl::MutexLock stream_lock(&stream->mu);
      if (stream->dead) streams_.erase(it);
    }
    return failed;
  }
}

void Hub::unsubscribe(absl::string_view stream_name,
                      absl::string_view identifier, const FrameSink* sink) {
  PubSubSubscriptionId drop = 0;
  {
    absl::MutexLock lock(&mu_);
    auto it = streams_.find(stream_name);
    if (it == streams_.end()) return;
    std::shared_ptr<Stream> stream = it->second;
    absl::MutexLock stream_lock(&stream->mu);
    auto by_id = stream->subscribers.find(identifier);
    if (by_id == stream->subscribers.end()) return;
    auto& sinks = by_id->second;
    for (auto s = sinks.begin(); s != sinks.end(); ++s) {
      if (s->get() == sink) {
        sinks.erase(s);
        --stream->count;
        break;
      }
    }
    if (sinks.empty()) stream->subscribers.erase(by_id);
    if (stream->count == 0) {
      stream->dead = true;
      drop = stream->pubsub_id;
      streams_.erase(it);
    }
  }
  // Outside the locks: a backend may wait here for a delivery in progress,
  // and that delivery takes the stream's lock.
  if (drop != 0) pubsub_.unsubscribe(drop);
}

void Hub::on_message(const std::shared_ptr<Stream>& stream,
                     absl::string_view message) {
  // Encode once per broadcast, then once per identifier, WebSocket header
  // included; every sink of an identifier shares the same bytes.
  messages_received_.fetch_add(1, std::memory_order_relaxed);
  if (protocol::IsStateStream(stream->name)) {
    const std::uint64_t revision = protocol::StateMessageRevision(message);
    const bool ends_commit = protocol::StateMessageEndsCommit(message);
    absl::MutexLock stream_lock(&stream->mu);
    for (const auto& [identifier, sinks] : stream->subscribers) {
      auto frame = std::make_shared<const std::string>(
          ws::TextFrame(protocol::StateFrame(identifier, message)));
      for (const auto& sink : sinks)
        sink->deliver_state(frame, identifier, revision, ends_commit);
    }
    return;
  }
  const std::string message_json = protocol::MessageJson(message);
  absl::MutexLock stream_lock(&stream->mu);
  for (const auto& [identifier, sinks] : stream->subscribers) {
    auto frame = std::make_shared<const std::string>(
        ws::TextFrame(protocol::DataFrame(identifier, message_json)));
    for (const auto& sink : sinks) sink->deliver(frame);
  }
}

std::size_t Hub::stream_count() const {
  absl::MutexLock lock(&mu_);
  return streams_.size();
}

std::size_t Hub::subscriber_count(absl::string_view stream_name) const {
  std::shared_ptr<Stream> stream;
  {
    absl::MutexLock lock(&mu_);
    auto it = streams_.find(stream_name);
    if (it == streams_.end()) return 0;
    stream = it->second;
  }
  absl::MutexLock stream_lock(&stream->mu);
  return stream->count;
}

}  // namespace cable::gateway
