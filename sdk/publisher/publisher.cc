#include "cable/publisher.h"

#include <utility>

#include "caller.h"
#include "grpc_channel.h"

namespace cable {

using publisher_internal::Caller;

struct Publisher::Impl {
  Impl(std::shared_ptr<grpc::Channel> channel, PublisherOptions options)
      : caller(std::move(channel), std::move(options)) {}
  Caller caller;
};

absl::StatusOr<Publisher> Publisher::Create(PublisherOptions options) {
  if (options.target.empty()) {
    return absl::InvalidArgumentError("Publisher needs a target (host:port)");
  }
  if (options.default_deadline.count() <= 0) {
    return absl::InvalidArgumentError("default_deadline must be positive");
  }
  if (options.retry.max_attempts < 1 || options.retry.multiplier < 1.0 ||
      options.retry.initial_backoff.count() < 0 ||
      options.retry.max_backoff < options.retry.initial_backoff) {
    return absl::InvalidArgumentError(
        "retry: max_attempts >= 1, multiplier >= 1, "
        "0 <= initial_backoff <= max_backoff");
  }
  auto channel = publisher_internal::MakeChannel(options);
  if (!channel.ok()) return channel.status();
  return Publisher(
      std::make_unique<Impl>(*std::move(channel), std::move(options)));
}

Publisher::Publisher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Publisher::Publisher(Publisher&&) noexcept = default;
Publisher& Publisher::operator=(Publisher&&) noexcept = default;
Publisher::~Publisher() = default;

absl::Status Publisher::Broadcast(std::string_view stream,
                                  std::string_view data,
                                  const CallOptions& call) const {
  v1::BroadcastRequest request;
  request.set_stream(std::string(stream));
  request.set_data(std::string(data));
  v1::BroadcastResponse response;
  return impl_->caller.Call(
      Caller::Kind::kWrite, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().Broadcast(&context, request, &response);
      });
}

absl::StatusOr<std::uint32_t> Publisher::BroadcastBatch(
    absl::Span<const BroadcastMessage> broadcasts,
    const CallOptions& call) const {
  v1::BroadcastBatchRequest request;
  request.mutable_broadcasts()->Reserve(static_cast<int>(broadcasts.size()));
  for (const BroadcastMessage& b : broadcasts) {
    v1::BroadcastRequest* one = request.add_broadcasts();
    one->set_stream(b.stream);
    one->set_data(b.data);
  }
  v1::BroadcastResponse response;
  absl::Status status = impl_->caller.Call(
      Caller::Kind::kWrite, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().BroadcastBatch(&context, request,
                                                   &response);
      });
  if (!status.ok()) return status;
  return response.accepted();
}

absl::Status Publisher::Disconnect(
    const std::map<std::string, std::string>& identifiers, bool reconnect,
    const CallOptions& call) const {
  v1::DisconnectClientsRequest request;
  request.mutable_identifiers()->insert(identifiers.begin(), identifiers.end());
  request.set_reconnect(reconnect);
  v1::DisconnectClientsResponse response;
  return impl_->caller.Call(
      Caller::Kind::kWrite, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().Disconnect(&context, request, &response);
      });
}

absl::Status Publisher::Transmit(std::string_view sid,
                                 std::string_view identifier,
                                 std::string_view data,
                                 const CallOptions& call) const {
  v1::TransmitRequest request;
  request.set_sid(std::string(sid));
  request.set_identifier(std::string(identifier));
  request.set_data(std::string(data));
  v1::TransmitResponse response;
  return impl_->caller.Call(
      Caller::Kind::kWrite, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().Transmit(&context, request, &response);
      });
}

absl::StatusOr<bool> Publisher::CreateChannel(std::string_view name,
                                              std::string_view state_json,
                                              const ChannelOptions& channel,
                                              const CallOptions& call) const {
  v1::CreateChannelRequest request;
  request.set_name(std::string(name));
  request.set_state(std::string(state_json));
  request.set_type(channel.type);
  request.set_no_events(!channel.keep_events);
  v1::CreateChannelResponse response;
  absl::Status status = impl_->caller.Call(
      Caller::Kind::kWrite, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().CreateChannel(&context, request, &response);
      });
  if (!status.ok()) return status;
  return response.created();
}

absl::StatusOr<ChannelState> Publisher::GetState(
    std::string_view name, const CallOptions& call) const {
  v1::GetStateRequest request;
  request.set_name(std::string(name));
  v1::GetStateResponse response;
  absl::Status status = impl_->caller.Call(
      Caller::Kind::kReadOnly, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().GetState(&context, request, &response);
      });
  if (!status.ok()) return status;
  ChannelState state;
  state.state = std::move(*response.mutable_state());
  state.revision = response.revision();
  state.last_event_id = response.last_event_id();
  state.type = std::move(*response.mutable_type());
  state.keep_events = response.keep_events();
  return state;
}

absl::StatusOr<StateUpdated> Publisher::UpdateState(
    std::string_view name, const StateUpdate& update,
    const CallOptions& call) const {
  v1::UpdateStateRequest request;
  request.set_name(std::string(name));
  request.set_expected_revision(update.expected_revision);
  if (update.state) request.set_state(*update.state);
  for (const std::string& event : update.events) request.add_events(event);
  v1::UpdateStateResponse response;
  absl::Status status = impl_->caller.Call(
      Caller::Kind::kWrite, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().UpdateState(&context, request, &response);
      });
  if (!status.ok()) return status;
  return StateUpdated{response.revision(), response.first_event_id()};
}

absl::StatusOr<std::uint64_t> Publisher::DeleteEvents(
    std::string_view name, const EventRetention& retention,
    const CallOptions& call) const {
  v1::DeleteEventsRequest request;
  request.set_name(std::string(name));
  if (retention.keep_num) request.set_keep_num(*retention.keep_num);
  if (retention.keep_duration) {
    if (retention.keep_duration->count() < 0) {
      return absl::InvalidArgumentError("keep_duration must not be negative");
    }
    request.set_keep_duration_ms(
        static_cast<std::uint64_t>(retention.keep_duration->count()));
  }
  v1::DeleteEventsResponse response;
  absl::Status status = impl_->caller.Call(
      Caller::Kind::kWrite, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().DeleteEvents(&context, request, &response);
      });
  if (!status.ok()) return status;
  return response.deleted();
}

absl::StatusOr<std::vector<std::string>> Publisher::ListChannels(
    std::optional<std::string> type, const CallOptions& call) const {
  v1::ListChannelsRequest request;
  if (type) request.set_type(*std::move(type));
  v1::ListChannelsResponse response;
  absl::Status status = impl_->caller.Call(
      Caller::Kind::kReadOnly, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().ListChannels(&context, request, &response);
      });
  if (!status.ok()) return status;
  return std::vector<std::string>(response.names().begin(),
                                  response.names().end());
}

absl::StatusOr<StreamHistory> Publisher::History(
    std::string_view stream, const HistoryFrom& from,
    const CallOptions& call) const {
  v1::HistoryRequest request;
  request.set_stream(std::string(stream));
  if (from.after_offset) request.set_after_offset(*from.after_offset);
  request.set_epoch(from.epoch);
  if (from.since) {
    request.set_since_unix_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            from.since->time_since_epoch())
            .count());
  }
  request.set_limit(from.limit);
  v1::HistoryResponse response;
  absl::Status status = impl_->caller.Call(
      Caller::Kind::kReadOnly, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().History(&context, request, &response);
      });
  if (!status.ok()) return status;
  StreamHistory out;
  out.epoch = response.epoch();
  out.last_offset = response.last_offset();
  for (auto& m : *response.mutable_messages()) {
    out.messages.push_back({m.offset(), std::move(*m.mutable_data()),
                            std::chrono::system_clock::time_point(
                                std::chrono::milliseconds(m.time_unix_ms()))});
  }
  return out;
}

absl::StatusOr<std::vector<PresenceRecord>> Publisher::Presence(
    std::string_view stream, const CallOptions& call) const {
  v1::PresenceRequest request;
  request.set_stream(std::string(stream));
  v1::PresenceResponse response;
  absl::Status status = impl_->caller.Call(
      Caller::Kind::kReadOnly, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().Presence(&context, request, &response);
      });
  if (!status.ok()) return status;
  std::vector<PresenceRecord> out;
  for (auto& r : *response.mutable_records()) {
    out.push_back({std::move(*r.mutable_id()), std::move(*r.mutable_info())});
  }
  return out;
}

absl::StatusOr<PresenceCounts> Publisher::PresenceStats(
    std::string_view stream, const CallOptions& call) const {
  v1::PresenceStatsRequest request;
  request.set_stream(std::string(stream));
  v1::PresenceStatsResponse response;
  absl::Status status = impl_->caller.Call(
      Caller::Kind::kReadOnly, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().PresenceStats(&context, request, &response);
      });
  if (!status.ok()) return status;
  return PresenceCounts{response.num_clients(), response.num_users()};
}

absl::StatusOr<LiveStreams> Publisher::Channels(std::string_view pattern,
                                                const CallOptions& call) const {
  v1::ChannelsRequest request;
  request.set_pattern(std::string(pattern));
  v1::ChannelsResponse response;
  absl::Status status = impl_->caller.Call(
      Caller::Kind::kReadOnly, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().Channels(&context, request, &response);
      });
  if (!status.ok()) return status;
  LiveStreams out;
  for (auto& s : *response.mutable_streams()) {
    out.streams.emplace_back(std::move(*s.mutable_stream()), s.subscribers());
  }
  out.truncated = response.truncated();
  out.unanswered_gateways.assign(response.unanswered_gateways().begin(),
                                 response.unanswered_gateways().end());
  return out;
}

absl::StatusOr<ServerInfo> Publisher::Info(const CallOptions& call) const {
  v1::InfoRequest request;
  v1::InfoResponse response;
  absl::Status status = impl_->caller.Call(
      Caller::Kind::kReadOnly, call, [&](grpc::ClientContext& context) {
        return impl_->caller.stub().Info(&context, request, &response);
      });
  if (!status.ok()) return status;
  ServerInfo out;
  for (const auto& g : response.gateways()) {
    out.gateways.push_back({g.id(), g.connections(), g.subscriptions(),
                            g.streams(), g.version(), g.uptime_seconds()});
  }
  for (const auto& s : response.services()) {
    out.services.push_back({s.id(), s.version(), s.uptime_seconds()});
  }
  out.connections = response.connections();
  out.version = response.version();
  out.unanswered_gateways.assign(response.unanswered_gateways().begin(),
                                 response.unanswered_gateways().end());
  out.unanswered_services.assign(response.unanswered_services().begin(),
                                 response.unanswered_services().end());
  return out;
}

}  // namespace cable
