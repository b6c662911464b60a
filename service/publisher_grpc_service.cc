#include "service/publisher_grpc_service.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
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
  if (status.ok()) response->set_accepted(1);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
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
  response->set_accepted(accepted);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace cable::service
