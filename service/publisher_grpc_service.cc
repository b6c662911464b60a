#include "service/publisher_grpc_service.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "sdk/control_bus.h"
#include "sdk/protocol.h"
#include "sdk/pubsub.h"
#include "service/grpc_status.h"

namespace cable::service {
namespace {

absl::Status Validate(const cable::v1::BroadcastRequest& broadcast) {
  if (broadcast.stream().empty()) {
    return absl::InvalidArgumentError("stream must not be empty");
  }
  return absl::OkStatus();
}

}  // namespace

grpc::ServerUnaryReactor* PublisherGrpcService::Broadcast(
    grpc::CallbackServerContext* context,
    const cable::v1::BroadcastRequest* request,
    cable::v1::BroadcastResponse* response) {
  absl::Status status = Validate(*request);
  if (status.ok())
    status = pubsub_.broadcast(request->stream(), request->data());
  // Answer only once the backend has it: a broadcast sent next through
  // another replica then cannot overtake this one.
  if (status.ok()) status = pubsub_.flush();
  if (status.ok()) response->set_accepted(1);
  return FinishUnary(context, status);
}

grpc::ServerUnaryReactor* PublisherGrpcService::BroadcastBatch(
    grpc::CallbackServerContext* context,
    const cable::v1::BroadcastBatchRequest* request,
    cable::v1::BroadcastResponse* response) {
  absl::Status status;
  for (int i = 0; i < request->broadcasts_size() && status.ok(); ++i) {
    absl::Status invalid = Validate(request->broadcasts(i));
    if (!invalid.ok()) {
      status = absl::InvalidArgumentError(
          absl::StrCat("broadcasts[", i, "]: ", invalid.message()));
    }
  }
  std::uint32_t accepted = 0;
  for (int i = 0; i < request->broadcasts_size() && status.ok(); ++i) {
    const cable::v1::BroadcastRequest& broadcast = request->broadcasts(i);
    absl::Status published =
        pubsub_.broadcast(broadcast.stream(), broadcast.data());
    if (published.ok()) {
      ++accepted;
    } else {
      status = absl::Status(
          published.code(),
          absl::StrCat("broadcasts[", i, "]: ", published.message(), " (",
                       accepted, " published before it)"));
    }
  }
  if (status.ok() && accepted > 0) status = pubsub_.flush();
  response->set_accepted(accepted);
  return FinishUnary(context, status);
}

grpc::ServerUnaryReactor* PublisherGrpcService::Disconnect(
    grpc::CallbackServerContext* context,
    const cable::v1::DisconnectClientsRequest* request,
    cable::v1::DisconnectClientsResponse* /*response*/) {
  absl::Status status;
  if (request->identifiers().empty()) {
    status = absl::InvalidArgumentError(
        "identifiers must not be empty (that would disconnect everyone)");
  } else {
    cable::v1::ControlMessage message;
    *message.mutable_disconnect() = *request;
    status =
        control_.broadcast(control::kAllGateways, message.SerializeAsString());
    if (status.ok()) status = control_.flush();
  }
  return FinishUnary(context, status);
}

grpc::ServerUnaryReactor* PublisherGrpcService::Transmit(
    grpc::CallbackServerContext* context,
    const cable::v1::TransmitRequest* request,
    cable::v1::TransmitResponse* /*response*/) {
  absl::Status status;
  const absl::string_view gateway = control::GatewayOfSession(request->sid());
  if (gateway.empty()) {
    status = absl::InvalidArgumentError(
        "sid must be a session id from welcome (\"<gateway>.<random>\")");
  } else if (request->identifier().empty()) {
    status = absl::InvalidArgumentError("identifier must not be empty");
  } else {
    cable::v1::ControlMessage message;
    auto* transmission = message.mutable_transmit();
    transmission->set_sid(request->sid());
    transmission->add_frames(protocol::DataFrame(
        request->identifier(), protocol::MessageJson(request->data())));
    status = control_.broadcast(control::GatewayStream(gateway),
                                message.SerializeAsString());
    if (status.ok()) status = control_.flush();
  }
  return FinishUnary(context, status);
}

}  // namespace cable::service
