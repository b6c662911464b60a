#include "cable/gateway/metrics.h"

#include <prometheus/text_serializer.h>

namespace cable::gateway {
namespace {

prometheus::Counter& MakeCounter(prometheus::Registry& registry,
                                 const std::string& name,
                                 const std::string& help) {
  return prometheus::BuildCounter()
      .Name(name)
      .Help(help)
      .Register(registry)
      .Add({});
}

}  // namespace

GatewayMetrics::GatewayMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      stream_messages_(&prometheus::BuildGauge()
                            .Name("cable_stream_messages_total")
                            .Help("Messages received from the pub/sub "
                                  "backend (NATS), all streams")
                            .Register(*registry_)
                            .Add({})),
      connections_opened(MakeCounter(*registry_, "cable_connections_total",
                                     "WebSocket connections accepted")),
      connections_rejected(
          MakeCounter(*registry_, "cable_connections_rejected_total",
                      "Connections refused (origin, auth, service error)")),
      connections_active(prometheus::BuildGauge()
                             .Name("cable_connections_active")
                             .Help("Open WebSocket connections")
                             .Register(*registry_)
                             .Add({})),
      commands(MakeCounter(*registry_, "cable_commands_total",
                           "Client commands sent to the service")),
      unknown_commands(MakeCounter(*registry_, "cable_unknown_commands_total",
                                   "Frames with an unknown command")),
      invalid_commands(
          MakeCounter(*registry_, "cable_invalid_commands_total",
                      "Commands missing their identifier or data")),
      bad_frames(MakeCounter(*registry_, "cable_bad_frames_total",
                             "Frames that closed the connection")),
      duplicate_subscriptions(
          MakeCounter(*registry_, "cable_duplicate_subscriptions_total",
                      "Subscribe commands for an existing subscription")),
      unknown_identifiers(
          MakeCounter(*registry_, "cable_unknown_identifiers_total",
                      "Commands for an identifier with no subscription")),
      subscriptions_over_limit(
          MakeCounter(*registry_, "cable_subscriptions_over_limit_total",
                      "Subscriptions rejected by --max_subscriptions")),
      slow_disconnects(
          MakeCounter(*registry_, "cable_slow_disconnects_total",
                      "Clients disconnected for not reading (too_slow)")),
      rate_limited(MakeCounter(*registry_, "cable_rate_limited_commands_total",
                               "Commands refused by --command_rate")),
      connections_over_limit(
          MakeCounter(*registry_, "cable_connections_over_limit_total",
                      "Upgrades refused by --max_connections")),
      service_errors(MakeCounter(*registry_, "cable_service_errors_total",
                                 "Calls to the cable service that failed")),
      frames_sent(MakeCounter(*registry_, "cable_frames_sent_total",
                              "Frames written to sockets")),
      broadcasts_received(
          MakeCounter(*registry_, "cable_broadcasts_received_total",
                      "Broadcast frames queued for local subscribers")),
      sessions_restored(
          MakeCounter(*registry_, "cable_sessions_restored_total",
                      "Extended-protocol clients whose session was restored "
                      "(?sid= found in the session store)")) {}

std::string GatewayMetrics::Serialize(
    std::uint64_t stream_messages,
    const std::vector<std::shared_ptr<prometheus::Collectable>>& extra) const {
  // Counted by the Hub (an atomic on its hot path); copied in at scrape.
  stream_messages_->Set(static_cast<double>(stream_messages));
  std::vector<prometheus::MetricFamily> families = registry_->Collect();
  for (const auto& collectable : extra) {
    for (auto& family : collectable->Collect()) {
      families.push_back(std::move(family));
    }
  }
  return prometheus::TextSerializer().Serialize(families);
}

}  // namespace cable::gateway
