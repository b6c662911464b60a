#include "cable/gateway/hub.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cable/gateway/stream_sequencer.h"
#include "cable/gateway/websocket.h"
#include "cable/history.h"
#include "cable/protocol.h"

namespace cable::gateway {

struct Hub::Stream {
  explicit Stream(std::string n) : name(std::move(n)) {}
  const std::string name;
  absl::Mutex mu;
  // Set once the backend reported the subscription live.
  bool live ABSL_GUARDED_BY(mu) = false;
  // Set once the stream left the table (no subscriber left, or it failed):
  // whoever learns the backend's id afterwards drops it.
  bool dead ABSL_GUARDED_BY(mu) = false;
  PubSubSubscriptionId pubsub_id ABSL_GUARDED_BY(mu) = 0;
  // Subscribers' completions while pending.
  std::vector<OnLive> waiters ABSL_GUARDED_BY(mu);
  // identifier -> sinks subscribed under it.
  absl::flat_hash_map<std::string, std::vector<std::shared_ptr<FrameSink>>>
      subscribers ABSL_GUARDED_BY(mu);
  std::size_t count ABSL_GUARDED_BY(mu) = 0;
  // Positioned messages back in offset order (streams with history).
  StreamSequencer sequencer ABSL_GUARDED_BY(mu);
};

namespace {

void RunAll(std::vector<Hub::OnLive>& waiters, const absl::Status& status) {
  for (auto& waiter : waiters) std::move(waiter)(status);
}

// Delivers a sequencer's run: plain sinks get the plain frame, extended
// ones the positioned frame; each is built only if someone needs it, once
// per (message, identifier).
template <class Subscribers>
void DeliverRun(const std::string& stream_name, const Subscribers& subscribers,
                const StreamSequencer::Step& step) {
  for (const StreamSequencer::Message& message : step.deliver) {
    const std::string message_json = protocol::MessageJson(message.data);
    for (const auto& [identifier, sinks] : subscribers) {
      SharedFrame plain;
      SharedFrame positioned;
      for (const auto& sink : sinks) {
        if (!sink->extended()) {
          if (!plain) {
            plain = std::make_shared<const std::string>(
                ws::TextFrame(protocol::DataFrame(identifier, message_json)));
          }
          sink->Deliver(plain);
          continue;
        }
        if (!positioned) {
          positioned = std::make_shared<const std::string>(
              ws::TextFrame(protocol::PositionedDataFrame(
                  identifier, message_json, stream_name, step.epoch,
                  message.offset)));
        }
        sink->DeliverPositioned(positioned, identifier, stream_name, step.epoch,
                                message.offset);
      }
    }
  }
}

}  // namespace

Hub::Hub(PubSub& pubsub, History* history)
    : pubsub_(pubsub), history_(history) {}

Hub::~Hub() {
  std::vector<PubSubSubscriptionId> ids;
  std::vector<OnLive> waiters;
  {
    absl::MutexLock lock(&table_->mu);
    for (auto& [name, stream] : table_->streams) {
      absl::MutexLock stream_lock(&stream->mu);
      stream->dead = true;
      if (stream->pubsub_id != 0) ids.push_back(stream->pubsub_id);
      for (auto& w : stream->waiters) waiters.push_back(std::move(w));
      stream->waiters.clear();
    }
    table_->streams.clear();
  }
  RunAll(waiters, absl::CancelledError("the hub is shutting down"));
  for (auto id : ids) pubsub_.Unsubscribe(id);
}

void Hub::Subscribe(absl::string_view stream_name, absl::string_view identifier,
                    const std::shared_ptr<FrameSink>& sink, OnLive on_live) {
  std::shared_ptr<Stream> stream;
  bool start = false;
  {
    // Lock order: table, then stream. Neither is held across a PubSub
    // call: the backend may complete inline, and the completion takes them.
    absl::MutexLock lock(&table_->mu);
    auto& slot = table_->streams[stream_name];
    if (!slot) {
      slot = std::make_shared<Stream>(std::string(stream_name));
      start = true;
    }
    stream = slot;
    absl::MutexLock stream_lock(&stream->mu);
    auto& sinks = stream->subscribers[identifier];
    bool present = false;
    for (const auto& s : sinks) present = present || s == sink;
    if (!present) {
      sinks.push_back(sink);
      ++stream->count;
    }
    if (!stream->live) {
      stream->waiters.push_back(std::move(on_live));
      on_live = nullptr;
    }
  }
  if (on_live) std::move(on_live)(absl::OkStatus());
  if (!start) return;

  // The first local subscriber takes the backend subscription.
  std::weak_ptr<Stream> weak = stream;
  std::weak_ptr<Table> table = table_;
  auto received = messages_received_;
  History* history = history_;
  const PubSubSubscriptionId id = pubsub_.Subscribe(
      stream_name,
      [weak, history, received](absl::string_view, absl::string_view message) {
        if (auto s = weak.lock()) OnMessage(s, history, *received, message);
      },
      [table, stream, history](absl::Status status) {
        OnStarted(table, stream, history, std::move(status));
      });
  bool drop = false;
  {
    absl::MutexLock stream_lock(&stream->mu);
    if (stream->dead) {
      drop = id != 0;  // every subscriber left meanwhile
    } else {
      stream->pubsub_id = id;
    }
  }
  if (drop) pubsub_.Unsubscribe(id);
}

void Hub::OnStarted(const std::weak_ptr<Table>& weak_table,
                    const std::shared_ptr<Stream>& stream, History* history,
                    absl::Status status) {
  std::vector<OnLive> waiters;
  // Internal streams ("$…") keep no history.
  const bool anchor = history != nullptr && status.ok() &&
                      !protocol::IsInternalStream(stream->name);
  if (status.ok()) {
    absl::MutexLock stream_lock(&stream->mu);
    // Dead: its waiters were cancelled when the last subscriber left.
    if (stream->dead) return;
    stream->live = true;
    if (anchor) stream->sequencer.BeginAnchor();
    waiters.swap(stream->waiters);
  } else {
    status = absl::Status(status.code(), absl::StrCat("subscribing to stream: ",
                                                      status.message()));
    auto table = weak_table.lock();
    if (!table) return;  // the Hub is gone; it ran the waiters
    // The stream leaves the table with its subscribers, so that the next
    // subscribe tries the backend again.
    absl::MutexLock lock(&table->mu);
    absl::MutexLock stream_lock(&stream->mu);
    if (stream->dead) return;
    stream->dead = true;
    waiters.swap(stream->waiters);
    auto it = table->streams.find(stream->name);
    if (it != table->streams.end() && it->second == stream) {
      table->streams.erase(it);
    }
  }
  RunAll(waiters, status);
  if (anchor) Anchor(stream, history);
}

void Hub::Anchor(const std::shared_ptr<Stream>& stream, History* history) {
  // (JetStream: one direct get.)
  HistoryQuery query;
  query.position_only = true;
  // (Not under the stream's lock: the page may come inline.)
  std::weak_ptr<Stream> weak = stream;
  history->Read(stream->name, std::move(query),
                [weak, history](absl::StatusOr<HistoryPage> page) {
                  if (auto s = weak.lock()) {
                    Advance(s, history, [&](StreamSequencer& sequencer) {
                      return sequencer.Anchored(std::move(page));
                    });
                  }
                });
}

void Hub::Unsubscribe(absl::string_view stream_name,
                      absl::string_view identifier, const FrameSink* sink) {
  PubSubSubscriptionId drop = 0;
  std::vector<OnLive> cancelled;
  {
    absl::MutexLock lock(&table_->mu);
    auto it = table_->streams.find(stream_name);
    if (it == table_->streams.end()) return;
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
      // 0 while the backend's subscribe has not returned: its caller
      // drops the id when it sees the stream dead.
      drop = stream->pubsub_id;
      cancelled.swap(stream->waiters);
      table_->streams.erase(it);
    }
  }
  RunAll(cancelled,
         absl::CancelledError("the stream lost its last subscriber"));
  // Outside the locks: a backend may wait here for a delivery in progress,
  // and that delivery takes the stream's lock.
  if (drop != 0) pubsub_.Unsubscribe(drop);
}

void Hub::OnMessage(const std::shared_ptr<Stream>& stream, History* history,
                    std::atomic<std::uint64_t>& received,
                    absl::string_view message) {
  // Encode once per broadcast, then once per identifier, WebSocket header
  // included; every sink of an identifier shares the same bytes.
  received.fetch_add(1, std::memory_order_relaxed);
  if (protocol::IsPresenceStream(stream->name)) {
    // Presence events: only extended-protocol subscriptions stream these.
    absl::MutexLock stream_lock(&stream->mu);
    for (const auto& [identifier, sinks] : stream->subscribers) {
      auto frame = std::make_shared<const std::string>(
          ws::TextFrame(protocol::PresenceFrame(identifier, message)));
      for (const auto& sink : sinks) sink->Deliver(frame);
    }
    return;
  }
  if (protocol::IsStateStream(stream->name)) {
    const std::uint64_t revision = protocol::StateMessageRevision(message);
    const bool ends_commit = protocol::StateMessageEndsCommit(message);
    absl::MutexLock stream_lock(&stream->mu);
    for (const auto& [identifier, sinks] : stream->subscribers) {
      auto frame = std::make_shared<const std::string>(
          ws::TextFrame(protocol::StateFrame(identifier, message)));
      for (const auto& sink : sinks)
        sink->DeliverState(frame, identifier, revision, ends_commit);
    }
    return;
  }
  StreamPosition position;
  absl::string_view data;
  if (!DecodeStreamMessage(message, &position, &data)) {
    const std::string message_json = protocol::MessageJson(message);
    absl::MutexLock stream_lock(&stream->mu);
    for (const auto& [identifier, sinks] : stream->subscribers) {
      auto frame = std::make_shared<const std::string>(
          ws::TextFrame(protocol::DataFrame(identifier, message_json)));
      for (const auto& sink : sinks) sink->Deliver(frame);
    }
    return;
  }
  Advance(stream, history, [&](StreamSequencer& sequencer) {
    return sequencer.Offer(position, data);
  });
}

void Hub::Advance(
    const std::shared_ptr<Stream>& stream, History* history,
    absl::FunctionRef<StreamSequencer::Step(StreamSequencer&)> advance) {
  std::optional<StreamPosition> hole;
  {
    absl::MutexLock stream_lock(&stream->mu);
    StreamSequencer::Step step = advance(stream->sequencer);
    DeliverRun(stream->name, stream->subscribers, step);
    hole = std::move(step.fetch_after);
  }
  FillHole(stream, history, std::move(hole));
}

void Hub::FillHole(const std::shared_ptr<Stream>& stream, History* history,
                   std::optional<StreamPosition> after) {
  if (!after) return;
  if (history == nullptr) {
    // Nothing to fill it from: the sequencer skips it.
    absl::MutexLock stream_lock(&stream->mu);
    StreamSequencer::Step step = stream->sequencer.Fetched(
        absl::FailedPreconditionError("no history on this gateway"));
    DeliverRun(stream->name, stream->subscribers, step);
    return;
  }
  HistoryQuery query;
  query.after = *std::move(after);
  // (Not under the stream's lock: the page may come inline.)
  std::weak_ptr<Stream> weak = stream;
  history->Read(stream->name, std::move(query),
                [weak, history](absl::StatusOr<HistoryPage> page) {
                  if (auto s = weak.lock()) {
                    Advance(s, history, [&](StreamSequencer& sequencer) {
                      return sequencer.Fetched(std::move(page));
                    });
                  }
                });
}

std::size_t Hub::stream_count() const {
  absl::MutexLock lock(&table_->mu);
  return table_->streams.size();
}

std::size_t Hub::subscriber_count(absl::string_view stream_name) const {
  std::shared_ptr<Stream> stream;
  {
    absl::MutexLock lock(&table_->mu);
    auto it = table_->streams.find(stream_name);
    if (it == table_->streams.end()) return 0;
    stream = it->second;
  }
  absl::MutexLock stream_lock(&stream->mu);
  return stream->count;
}

std::vector<std::shared_ptr<Hub::Stream>> Hub::streams() const {
  std::vector<std::shared_ptr<Stream>> out;
  absl::MutexLock lock(&table_->mu);
  out.reserve(table_->streams.size());
  for (const auto& [name, stream] : table_->streams) out.push_back(stream);
  return out;
}

std::vector<Hub::StreamCount> Hub::Counts(
    const std::function<bool(absl::string_view)>& match, std::size_t limit,
    bool* truncated) const {
  std::vector<StreamCount> out;
  for (const auto& stream : streams()) {
    if (!match(stream->name)) continue;  // the name is const: no lock
    absl::MutexLock stream_lock(&stream->mu);
    // Gone since the copy (its last subscriber left): not counted.
    if (stream->dead || stream->count == 0) continue;
    out.push_back({stream->name, stream->count});
  }
  const auto by_name = [](const StreamCount& a, const StreamCount& b) {
    return a.stream < b.stream;
  };
  *truncated = out.size() > limit;
  if (*truncated) {
    std::nth_element(out.begin(), out.begin() + limit, out.end(), by_name);
    out.resize(limit);
  }
  std::sort(out.begin(), out.end(), by_name);
  return out;
}

Hub::Totals Hub::totals() const {
  Totals totals;
  for (const auto& stream : streams()) {
    absl::MutexLock stream_lock(&stream->mu);
    if (stream->dead || stream->count == 0) continue;
    ++totals.streams;
    totals.subscriptions += stream->count;
  }
  return totals;
}

}  // namespace cable::gateway
