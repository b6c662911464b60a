#pragma once

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cable/history.h"
#include "cable/nats_security.h"
#include "cable/pubsub.h"

namespace cable {

class HistorySweeper;

// The two PubSubs a Cable process uses: streams, and the gateways' control
// bus (sdk/control_bus.h).
struct Backends {
  Backends();
  Backends(Backends&&) noexcept;
  Backends& operator=(Backends&&) noexcept;
  ~Backends();

  // (Declared first, destroyed last: `streams` may be a HistoryPubSub over
  // them.)
  std::unique_ptr<History> history;  // null: history is off
  std::unique_ptr<PubSub> stream_backend;
  std::unique_ptr<PubSub> streams;
  std::unique_ptr<PubSub> control;
  // Whether both are connected (always true in memory).
  std::function<bool()> ready;
  // Forgets expired streams' history now and then.
  std::unique_ptr<HistorySweeper> sweeper;
};

// In memory when `nats_url` is empty (one process); otherwise NATS, with
// streams under subject prefix "cable.s" and the control bus under
// "cable.ctl". `name` names the NATS connections. With a `history` policy
// that keeps anything, every broadcast of a stream it covers gets an
// offset and is kept for replays: in memory, or on NATS in JetStream
// (JetStreamHistory, on a third connection, shared by every process; off
// with a warning when the server has no JetStream).
absl::StatusOr<Backends> MakeBackends(const std::string& nats_url,
                                      const std::string& name,
                                      const NatsSecurity& security = {},
                                      const HistoryPolicy& history = {});

}  // namespace cable
