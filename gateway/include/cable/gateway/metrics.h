#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace cable::gateway {

// The gateway's counters, served at /metrics in Prometheus text format.
class GatewayMetrics final {
 public:
  GatewayMetrics();
  GatewayMetrics(const GatewayMetrics&) = delete;
  GatewayMetrics& operator=(const GatewayMetrics&) = delete;

  // `stream_messages` is the Hub's count of messages from the pub/sub
  // backend, exported as cable_stream_messages_total.
  // `extra` are more collectables served alongside (the all-in-one
  // server's service counters).
  std::string Serialize(
      std::uint64_t stream_messages,
      const std::vector<std::shared_ptr<prometheus::Collectable>>& extra = {})
      const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Gauge* stream_messages_;

 public:
  prometheus::Counter& connections_opened;
  prometheus::Counter& connections_rejected;
  prometheus::Gauge& connections_active;
  prometheus::Counter& commands;
  prometheus::Counter& unknown_commands;
  prometheus::Counter& invalid_commands;
  prometheus::Counter& bad_frames;
  prometheus::Counter& duplicate_subscriptions;
  prometheus::Counter& unknown_identifiers;
  prometheus::Counter& subscriptions_over_limit;
  prometheus::Counter& slow_disconnects;
  prometheus::Counter& rate_limited;
  prometheus::Counter& connections_over_limit;
  prometheus::Counter& service_errors;
  prometheus::Counter& frames_sent;
  prometheus::Counter& broadcasts_received;
  prometheus::Counter& sessions_restored;
};

}  // namespace cable::gateway
