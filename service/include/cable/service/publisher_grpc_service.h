#pragma once
// cable.v1.Publisher over gRPC: what applications in any language call to
// publish to streams through the configured PubSub.

#include <cstddef>

#include "cable/v1/publisher.grpc.pb.h"

namespace cable {
class PubSub;
}  // namespace cable

namespace cable {
class History;
}

namespace cable::service {

class ApiAccess;
class Presence;
class StateChannels;
class StateCommandHandler;
class Surveyor;

class PublisherGrpcService final
    : public cable::v1::Publisher::CallbackService {
 public:
  // `pubsub` carries streams, `control` the gateways' control bus
  // (sdk/control_bus.h); both must outlive the service.
  // `states` and `workers` (whose threads run the state-store calls) serve
  // the stateful-channel methods.
  // Every call is checked against `access` first (UNAUTHENTICATED).
  // `history` (null: history is off) serves History, `presence` (null:
  // none) Presence and PresenceStats, `surveyor` (null: UNIMPLEMENTED)
  // Channels and Info.
  PublisherGrpcService(PubSub& pubsub, PubSub& control, StateChannels& states,
                       StateCommandHandler& workers, const ApiAccess& access,
                       ::cable::History* history = nullptr,
                       ::cable::service::Presence* presence = nullptr,
                       Surveyor* surveyor = nullptr)
      : access_(access),
        pubsub_(pubsub),
        control_(control),
        states_(states),
        workers_(workers),
        history_(history),
        presence_(presence),
        surveyor_(surveyor) {}

  // Streams in a ChannelsResponse at most.
  static constexpr std::size_t kMaxChannels = 10000;

  // INVALID_ARGUMENT for an empty stream name or a stateful channel's
  // stream ("$state:…", written only by LockState / UpdateState).
  grpc::ServerUnaryReactor* Broadcast(
      grpc::CallbackServerContext* context,
      const cable::v1::BroadcastRequest* request,
      cable::v1::BroadcastResponse* response) override;
  // Validates every broadcast first (nothing is published if one is
  // invalid), then publishes in order; stops at the first pub/sub error.
  grpc::ServerUnaryReactor* BroadcastBatch(
      grpc::CallbackServerContext* context,
      const cable::v1::BroadcastBatchRequest* request,
      cable::v1::BroadcastResponse* response) override;
  // Publishes the request on the control bus to every gateway, which
  // disconnects each matching connection with disconnect{remote}.
  // INVALID_ARGUMENT for an empty identifier set.
  grpc::ServerUnaryReactor* Disconnect(
      grpc::CallbackServerContext* context,
      const cable::v1::DisconnectClientsRequest* request,
      cable::v1::DisconnectClientsResponse* response) override;
  // Publishes one data message for (sid, identifier) on the control subject
  // of the gateway named in the sid. INVALID_ARGUMENT for a sid without a
  // gateway or an empty identifier. Nothing is sent if the connection is
  // gone (fire and forget, like a broadcast).
  grpc::ServerUnaryReactor* Transmit(
      grpc::CallbackServerContext* context,
      const cable::v1::TransmitRequest* request,
      cable::v1::TransmitResponse* response) override;

  // Stateful channels.
  grpc::ServerUnaryReactor* CreateChannel(
      grpc::CallbackServerContext* context,
      const cable::v1::CreateChannelRequest* request,
      cable::v1::CreateChannelResponse* response) override;
  grpc::ServerUnaryReactor* GetState(
      grpc::CallbackServerContext* context,
      const cable::v1::GetStateRequest* request,
      cable::v1::GetStateResponse* response) override;
  grpc::ServerUnaryReactor* UpdateState(
      grpc::CallbackServerContext* context,
      const cable::v1::UpdateStateRequest* request,
      cable::v1::UpdateStateResponse* response) override;
  grpc::ServerUnaryReactor* DeleteEvents(
      grpc::CallbackServerContext* context,
      const cable::v1::DeleteEventsRequest* request,
      cable::v1::DeleteEventsResponse* response) override;
  grpc::ServerUnaryReactor* ListChannels(
      grpc::CallbackServerContext* context,
      const cable::v1::ListChannelsRequest* request,
      cable::v1::ListChannelsResponse* response) override;
  grpc::ServerUnaryReactor* History(
      grpc::CallbackServerContext* context,
      const cable::v1::HistoryRequest* request,
      cable::v1::HistoryResponse* response) override;
  // INVALID_ARGUMENT for an empty stream name.
  grpc::ServerUnaryReactor* Presence(
      grpc::CallbackServerContext* context,
      const cable::v1::PresenceRequest* request,
      cable::v1::PresenceResponse* response) override;
  grpc::ServerUnaryReactor* PresenceStats(
      grpc::CallbackServerContext* context,
      const cable::v1::PresenceStatsRequest* request,
      cable::v1::PresenceStatsResponse* response) override;
  // The server API (survey.h): a survey of every gateway (Info: and every
  // service replica) over the control bus. INVALID_ARGUMENT for a bad
  // pattern.
  grpc::ServerUnaryReactor* Channels(
      grpc::CallbackServerContext* context,
      const cable::v1::ChannelsRequest* request,
      cable::v1::ChannelsResponse* response) override;
  grpc::ServerUnaryReactor* Info(grpc::CallbackServerContext* context,
                                 const cable::v1::InfoRequest* request,
                                 cable::v1::InfoResponse* response) override;

 private:
  const ApiAccess& access_;
  // Runs `work` on the worker threads and finishes the call with its
  // status.
  template <class Work>
  grpc::ServerUnaryReactor* Async(grpc::CallbackServerContext* context,
                                  Work work);

  PubSub& pubsub_;
  PubSub& control_;
  StateChannels& states_;
  StateCommandHandler& workers_;
  ::cable::History* const history_;
  ::cable::service::Presence* const presence_;
  Surveyor* const surveyor_;
};

}  // namespace cable::service
