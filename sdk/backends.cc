#include "cable/backends.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "absl/synchronization/notification.h"
#include "cable/history_pubsub.h"
#include "cable/in_memory_history.h"
#include "cable/in_memory_pubsub.h"
#include "cable/jetstream_client.h"
#include "cable/jetstream_history.h"
#include "cable/nats_pubsub.h"

namespace cable {
namespace {

// Bounds each JetStream request of the history: an Append (two of them)
// holds up its broadcast, so a stalled NATS should fail it soon.
constexpr absl::Duration kHistoryRequestTimeout = absl::Seconds(2);

}  // namespace

// Calls InMemoryHistory::Sweep every second on a thread of its own, so that
// the history of streams nobody writes to any more is forgotten.
class HistorySweeper {
 public:
  explicit HistorySweeper(InMemoryHistory& history)
      : thread_([this, &history] {
          while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(1))) {
            history.Sweep();
          }
        }) {}
  ~HistorySweeper() {
    stop_.Notify();
    thread_.join();
  }

 private:
  absl::Notification stop_;
  std::thread thread_;
};

Backends::Backends() = default;
Backends::Backends(Backends&&) noexcept = default;
Backends& Backends::operator=(Backends&&) noexcept = default;
Backends::~Backends() {
  // The sweeper first (it reads the history), then the pub/subs before the
  // history and the backend they use.
  sweeper.reset();
  streams.reset();
}

absl::StatusOr<Backends> MakeBackends(const std::string& nats_url,
                                      const std::string& name,
                                      const NatsSecurity& security,
                                      const HistoryPolicy& history) {
  Backends backends;
  if (nats_url.empty()) {
    backends.stream_backend = std::make_unique<InMemoryPubSub>();
    backends.control = std::make_unique<InMemoryPubSub>();
    backends.ready = [] { return true; };
  } else {
    NatsPubSubOptions streams_options;
    streams_options.url = nats_url;
    streams_options.name = name + " streams";
    streams_options.subject_prefix = "cable.s";
    streams_options.security = security;
    auto streams = NatsPubSub::Connect(streams_options);
    if (!streams.ok()) return streams.status();
    NatsPubSubOptions control_options = streams_options;
    control_options.name = name + " control";
    control_options.subject_prefix = "cable.ctl";
    auto control = NatsPubSub::Connect(control_options);
    if (!control.ok()) return control.status();
    NatsPubSub* s = streams->get();
    NatsPubSub* c = control->get();
    backends.ready = [s, c] { return s->connected() && c->connected(); };
    backends.stream_backend = *std::move(streams);
    backends.control = *std::move(control);
  }
  const bool keeps_history =
      history.limit > 0 ||
      std::any_of(
          history.overrides.begin(), history.overrides.end(),
          [](const HistoryPolicy::Override& o) { return o.limits.limit > 0; });
  if (!keeps_history) {
    backends.streams = std::move(backends.stream_backend);
    return backends;
  }
  if (!nats_url.empty()) {
    // Every gateway and service replica must see the same offsets: history
    // lives in JetStream, on a connection of its own.
    JetStreamClient::Options client_options;
    client_options.url = nats_url;
    client_options.name = name + " history";
    client_options.request_timeout = kHistoryRequestTimeout;
    client_options.security = security;
    auto client = JetStreamClient::Connect(client_options);
    if (!client.ok()) return client.status();
    auto jetstream = JetStreamHistory::Create(*std::move(client), history);
    if (absl::IsFailedPrecondition(jetstream.status())) {
      // A NATS without JetStream served Cable before history existed: keep
      // serving, without history.
      spdlog::warn(
          "stream history is off: {}; extended clients get reject_history "
          "when they ask to replay a stream",
          std::string(jetstream.status().message()));
      backends.streams = std::move(backends.stream_backend);
      return backends;
    }
    if (!jetstream.ok()) return jetstream.status();
    backends.history = *std::move(jetstream);
  } else {
    auto in_memory = std::make_unique<InMemoryHistory>(history);
    backends.sweeper = std::make_unique<HistorySweeper>(*in_memory);
    backends.history = std::move(in_memory);
  }
  backends.streams = std::make_unique<HistoryPubSub>(
      *backends.stream_backend, *backends.history, history);
  return backends;
}

}  // namespace cable
