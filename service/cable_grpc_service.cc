#include "cable/service/cable_grpc_service.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "cable/service/command_handler.h"
#include "cable/service/grpc_status.h"
#include "cable/service/presence_command_handler.h"
#include "cable/service/state_channels.h"
#include "cable/service/state_command_handler.h"

namespace cable::service {

// Action Cable channels are quick (in-memory work plus publishes), so they
// run inline on the callback thread; a call that published finishes from
// the pub/sub's flush completion (the answer goes out once the backend has
// the broadcasts), one that did not finishes at once. Stateful channels
// wait on the state store and may answer later: their calls finish from
// the StateCommandHandler's threads.

grpc::ServerUnaryReactor* CableGrpcService::Connect(
    grpc::CallbackServerContext* context,
    const cable::internal::v1::ConnectRequest* request,
    cable::internal::v1::ConnectResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  *response = handler_.Connect(*request);
  return FinishUnary(context, absl::OkStatus());
}

grpc::ServerUnaryReactor* CableGrpcService::Command(
    grpc::CallbackServerContext* context,
    const cable::internal::v1::CommandRequest* request,
    cable::internal::v1::CommandResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  auto finish = [reactor, response](cable::internal::v1::CommandResponse r) {
    *response = std::move(r);
    reactor->Finish(grpc::Status::OK);
  };
  if (PresenceCommandHandler::Handles(*request)) {
    presence_.Command(*request, std::move(finish));
  } else if (StateCommandHandler::Handles(*request)) {
    state_handler_.Command(*request, std::move(finish));
  } else {
    if (request->kind() == cable::internal::v1::COMMAND_KIND_UNSUBSCRIBE) {
      presence_.Unsubscribed(*request);
    }
    handler_.Command(*request, std::move(finish));
  }
  return reactor;
}

grpc::ServerUnaryReactor* CableGrpcService::Disconnect(
    grpc::CallbackServerContext* context,
    const cable::internal::v1::DisconnectRequest* request,
    cable::internal::v1::DisconnectResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  presence_.Disconnected(*request);
  bool stateful = false;
  for (const auto& sub : request->subscriptions()) {
    stateful = stateful || StateCommandHandler::IsStateful(sub);
  }
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (!stateful) {
    handler_.Disconnect(
        *request,
        [reactor, response](cable::internal::v1::DisconnectResponse r) {
          *response = std::move(r);
          reactor->Finish(grpc::Status::OK);
        });
    return reactor;
  }
  state_handler_.Post([this, reactor, request, response] {
    std::vector<std::string> errors = state_handler_.Leave(*request);
    cable::internal::v1::DisconnectRequest rest = *request;
    rest.clear_subscriptions();
    for (const auto& sub : request->subscriptions()) {
      if (!StateCommandHandler::IsStateful(sub)) {
        *rest.add_subscriptions() = sub;
      }
    }
    handler_.Disconnect(
        rest, [reactor, response, errors = std::move(errors)](
                  cable::internal::v1::DisconnectResponse r) mutable {
          *response = std::move(r);
          if (!errors.empty()) {
            if (!response->error_msg().empty()) {
              errors.push_back(response->error_msg());
            }
            response->set_status(cable::internal::v1::STATUS_ERROR);
            response->set_error_msg(absl::StrJoin(errors, "; "));
          }
          reactor->Finish(grpc::Status::OK);
        });
  });
  return reactor;
}

grpc::ServerUnaryReactor* CableGrpcService::Heartbeat(
    grpc::CallbackServerContext* context,
    const cable::internal::v1::HeartbeatRequest* request,
    cable::internal::v1::HeartbeatResponse* /*response*/) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  // Inline, not behind commands waiting for channel locks on the state
  // threads: a late heartbeat would make a live gateway look dead.
  return FinishUnary(
      context, states_.Heartbeat(request->gateway_id(),
                                 absl::Milliseconds(request->interval_ms())));
}

}  // namespace cable::service
