#pragma once
// cable.internal.v1.Cable over gRPC: a thin adapter from the generated callback
// service to CommandHandler (Action Cable channels, answered inline),
// StateCommandHandler (stateful channels, answered from its threads) and
// PresenceCommandHandler (presence, answered from the same threads).

#include "cable/internal/v1/cable.grpc.pb.h"

namespace cable::service {

class ApiAccess;
class CommandHandler;
class PresenceCommandHandler;
class StateChannels;
class StateCommandHandler;

class CableGrpcService final
    : public cable::internal::v1::Cable::CallbackService {
 public:
  // All must outlive the service. Every call is checked against `access`
  // (the gateways' shared secret) before it reaches channel code.
  CableGrpcService(const CommandHandler& handler,
                   StateCommandHandler& state_handler, StateChannels& states,
                   PresenceCommandHandler& presence, const ApiAccess& access)
      : handler_(handler),
        state_handler_(state_handler),
        states_(states),
        presence_(presence),
        access_(access) {}

  grpc::ServerUnaryReactor* Connect(
      grpc::CallbackServerContext* context,
      const cable::internal::v1::ConnectRequest* request,
      cable::internal::v1::ConnectResponse* response) override;
  grpc::ServerUnaryReactor* Command(
      grpc::CallbackServerContext* context,
      const cable::internal::v1::CommandRequest* request,
      cable::internal::v1::CommandResponse* response) override;
  grpc::ServerUnaryReactor* Disconnect(
      grpc::CallbackServerContext* context,
      const cable::internal::v1::DisconnectRequest* request,
      cable::internal::v1::DisconnectResponse* response) override;
  grpc::ServerUnaryReactor* Heartbeat(
      grpc::CallbackServerContext* context,
      const cable::internal::v1::HeartbeatRequest* request,
      cable::internal::v1::HeartbeatResponse* response) override;

 private:
  const CommandHandler& handler_;
  StateCommandHandler& state_handler_;
  StateChannels& states_;
  PresenceCommandHandler& presence_;
  const ApiAccess& access_;
};

}  // namespace cable::service
