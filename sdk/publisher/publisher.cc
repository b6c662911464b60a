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

}  // namespace cable
