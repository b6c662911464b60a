#include "cable/service/presence_command_handler.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/protocol.h"
#include "cable/service/presence.h"

namespace cable::service {
namespace {

namespace v1 = internal::v1;

// {"type":"error","error":…}: the client's pending presence request (if
// any) fails with it.
std::string ErrorMessage(absl::string_view message) {
  return nlohmann::json({{"type", "error"}, {"error", std::string(message)}})
      .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

v1::CommandResponse Failed(const v1::CommandRequest& request, v1::Status status,
                           const std::string& message) {
  v1::CommandResponse response;
  response.set_status(status);
  response.set_error_msg(message);
  response.add_transmissions(
      protocol::PresenceFrame(request.identifier(), ErrorMessage(message)));
  return response;
}

v1::Status StatusOf(const absl::Status& s) {
  return absl::IsInvalidArgument(s) || absl::IsResourceExhausted(s)
             ? v1::STATUS_FAILURE
             : v1::STATUS_ERROR;
}

}  // namespace

bool PresenceCommandHandler::Handles(const v1::CommandRequest& request) {
  switch (request.kind()) {
    case v1::COMMAND_KIND_PRESENCE_JOIN:
    case v1::COMMAND_KIND_PRESENCE_LEAVE:
    case v1::COMMAND_KIND_PRESENCE_INFO:
      return true;
    default:
      return false;
  }
}

std::optional<std::string> PresenceCommandHandler::PresenceStreamOf(
    const google::protobuf::RepeatedPtrField<std::string>& streams) {
  for (const std::string& s : streams) {
    if (protocol::IsPresenceStream(s)) {
      return s.substr(protocol::kPresenceStreamPrefix.size());
    }
  }
  return std::nullopt;
}

void PresenceCommandHandler::Command(
    const v1::CommandRequest& request,
    std::function<void(v1::CommandResponse)> done) {
  post_([this, &request, done = std::move(done)] {
    const std::optional<std::string> stream =
        PresenceStreamOf(request.streams());
    if (!stream) {
      done(Failed(request, v1::STATUS_FAILURE,
                  "presence is not enabled for this subscription"));
      return;
    }
    absl::Status status;
    v1::CommandResponse response;
    switch (request.kind()) {
      case v1::COMMAND_KIND_PRESENCE_JOIN:
        status = presence_.Join(*stream, request.sid(), request.data());
        break;
      case v1::COMMAND_KIND_PRESENCE_LEAVE:
        status = presence_.Leave(*stream, request.sid());
        break;
      default: {
        absl::StatusOr<std::vector<PresenceMember>> members =
            presence_.Members(*stream);
        status = members.status();
        if (members.ok()) {
          response.add_transmissions(protocol::PresenceFrame(
              request.identifier(), Presence::InfoMessage(*members)));
        }
      }
    }
    if (!status.ok()) {
      done(Failed(request, StatusOf(status),
                  absl::StrCat("presence: ", status.message())));
      return;
    }
    response.set_status(v1::STATUS_SUCCESS);
    done(std::move(response));
  });
}

void PresenceCommandHandler::Unsubscribed(const v1::CommandRequest& request) {
  std::optional<std::string> stream = PresenceStreamOf(request.streams());
  if (!stream) return;
  post_([this, stream = *std::move(stream), sid = request.sid()] {
    if (absl::Status s = presence_.Leave(stream, sid); !s.ok()) {
      spdlog::warn("presence leave of {} in {}: {}", sid, stream, s.ToString());
    }
  });
}

void PresenceCommandHandler::Disconnected(
    const v1::DisconnectRequest& request) {
  std::vector<std::string> streams;
  for (const auto& sub : request.subscriptions()) {
    if (auto stream = PresenceStreamOf(sub.streams())) {
      streams.push_back(*std::move(stream));
    }
  }
  if (streams.empty()) return;
  post_([this, streams = std::move(streams), sid = request.sid()] {
    for (const std::string& stream : streams) {
      if (absl::Status s = presence_.Detach(stream, sid); !s.ok()) {
        spdlog::warn("presence of {} in {} after disconnect: {}", sid, stream,
                     s.ToString());
      }
    }
  });
}

}  // namespace cable::service
