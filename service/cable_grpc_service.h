#pragma once
// cable.v1.Cable over gRPC: a thin adapter from the generated callback
// service to CommandHandler.

#include "cable/v1/cable.grpc.pb.h"

namespace cable::service {

class CommandHandler;

class CableGrpcService final : public cable::v1::Cable::CallbackService {
 public:
  // `handler` must outlive the service.
  explicit CableGrpcService(const CommandHandler& handler)
      : handler_(handler) {}

  grpc::ServerUnaryReactor* Connect(
      grpc::CallbackServerContext* context,
      const cable::v1::ConnectRequest* request,
      cable::v1::ConnectResponse* response) override;
  grpc::ServerUnaryReactor* Command(
      grpc::CallbackServerContext* context,
      const cable::v1::CommandRequest* request,
      cable::v1::CommandResponse* response) override;
  grpc::ServerUnaryReactor* Disconnect(
      grpc::CallbackServerContext* context,
      const cable::v1::DisconnectRequest* request,
      cable::v1::DisconnectResponse* response) override;

 private:
  const CommandHandler& handler_;
};

}  // namespace cable::service
