#include "service/cable_grpc_service.h"

#include "service/command_handler.h"
#include "service/grpc_status.h"

namespace cable::service {

// The handler is quick (in-memory work plus synchronous publishes), so it
// runs inline on the callback thread and each call finishes at once.

grpc::ServerUnaryReactor* CableGrpcService::Connect(
    grpc::CallbackServerContext* context,
    const cable::v1::ConnectRequest* request,
    cable::v1::ConnectResponse* response) {
  *response = handler_.Connect(*request);
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* CableGrpcService::Command(
    grpc::CallbackServerContext* context,
    const cable::v1::CommandRequest* request,
    cable::v1::CommandResponse* response) {
  *response = handler_.Command(*request);
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* CableGrpcService::Disconnect(
    grpc::CallbackServerContext* context,
    const cable::v1::DisconnectRequest* request,
    cable::v1::DisconnectResponse* response) {
  *response = handler_.Disconnect(*request);
  return FinishUnary(context, absl::OkStatus());
}

}  // namespace cable::service
