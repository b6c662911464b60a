#include "cable/service/publisher_grpc_service.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "cable/control_bus.h"
#include "cable/history.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/protocol.h"
#include "cable/pubsub.h"
#include "cable/service/grpc_status.h"
#include "cable/service/presence.h"
#include "cable/service/state_channels.h"
#include "cable/service/state_command_handler.h"
#include "cable/service/survey.h"
#include "cable/service/surveyor.h"
#include "cable/stream_glob.h"
#include "cable/version.h"

namespace cable::service {
namespace {

absl::Status Validate(const cable::v1::BroadcastRequest& broadcast) {
  if (broadcast.stream().empty()) {
    return absl::InvalidArgumentError("stream must not be empty");
  }
  if (protocol::IsStateStream(broadcast.stream())) {
    return absl::InvalidArgumentError(
        absl::StrCat("streams starting with \"", protocol::kStateStreamPrefix,
                     "\" carry stateful channels' updates; change the "
                     "state with UpdateState"));
  }
  if (protocol::IsPresenceStream(broadcast.stream())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "streams starting with \"", protocol::kPresenceStreamPrefix,
        "\" carry presence events, which only the service publishes"));
  }
  return absl::OkStatus();
}

// Why a Presence or PresenceStats call cannot be answered, if it cannot.
absl::Status PresenceRefused(const Presence* presence,
                             const std::string& stream) {
  if (stream.empty()) {
    return absl::InvalidArgumentError("stream must not be empty");
  }
  if (presence == nullptr) {
    return absl::UnimplementedError("presence is off on this service");
  }
  return absl::OkStatus();
}

// Ends the call with `status` if it failed; else once `pubsub` has
// confirmed every broadcast made so far (then with the flush's status,
// after `on_flushed`), from the flush's completion: no gRPC callback
// thread waits on the network.
template <class OnFlushed>
grpc::ServerUnaryReactor* FinishAfterFlush(grpc::CallbackServerContext* context,
                                           PubSub& pubsub, absl::Status status,
                                           OnFlushed on_flushed) {
  if (!status.ok()) return FinishUnary(context, status);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pubsub.Flush([reactor, on_flushed = std::move(on_flushed)](
                   absl::Status flushed) mutable {
    if (flushed.ok()) on_flushed();
    reactor->Finish(ToGrpcStatus(flushed));
  });
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* PublisherGrpcService::Broadcast(
    grpc::CallbackServerContext* context,
    const cable::v1::BroadcastRequest* request,
    cable::v1::BroadcastResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  absl::Status status = Validate(*request);
  std::optional<StreamPosition> position;
  if (status.ok()) {
    auto published =
        pubsub_.BroadcastWithPosition(request->stream(), request->data());
    status = published.status();
    if (published.ok()) position = *std::move(published);
  }
  // Answer only once the backend has it: a broadcast sent next through
  // another replica then cannot overtake this one.
  return FinishAfterFlush(context, pubsub_, status,
                          [response, position = std::move(position)] {
                            response->set_accepted(1);
                            if (position) {
                              response->set_offset(position->offset);
                              response->set_epoch(position->epoch);
                            }
                          });
}

grpc::ServerUnaryReactor* PublisherGrpcService::BroadcastBatch(
    grpc::CallbackServerContext* context,
    const cable::v1::BroadcastBatchRequest* request,
    cable::v1::BroadcastResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
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
        pubsub_.Broadcast(broadcast.stream(), broadcast.data());
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
  if (accepted == 0) return FinishUnary(context, status);
  return FinishAfterFlush(context, pubsub_, status, [] {});
}

grpc::ServerUnaryReactor* PublisherGrpcService::Disconnect(
    grpc::CallbackServerContext* context,
    const cable::v1::DisconnectClientsRequest* request,
    cable::v1::DisconnectClientsResponse* /*response*/) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  absl::Status status;
  if (request->identifiers().empty()) {
    status = absl::InvalidArgumentError(
        "identifiers must not be empty (that would disconnect everyone)");
  } else {
    cable::internal::v1::ControlMessage message;
    *message.mutable_disconnect() = *request;
    status =
        control_.Broadcast(control::kAllGateways, message.SerializeAsString());
  }
  return FinishAfterFlush(context, control_, status, [] {});
}

grpc::ServerUnaryReactor* PublisherGrpcService::Transmit(
    grpc::CallbackServerContext* context,
    const cable::v1::TransmitRequest* request,
    cable::v1::TransmitResponse* /*response*/) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  absl::Status status;
  const absl::string_view gateway = control::GatewayOfSession(request->sid());
  if (gateway.empty()) {
    status = absl::InvalidArgumentError(
        "sid must be a session id from welcome (\"<gateway>.<random>\")");
  } else if (request->identifier().empty()) {
    status = absl::InvalidArgumentError("identifier must not be empty");
  } else {
    cable::internal::v1::ControlMessage message;
    auto* transmission = message.mutable_transmit();
    transmission->set_sid(request->sid());
    transmission->add_frames(protocol::DataFrame(
        request->identifier(), protocol::MessageJson(request->data())));
    status = control_.Broadcast(control::GatewayStream(gateway),
                                message.SerializeAsString());
  }
  return FinishAfterFlush(context, control_, status, [] {});
}

template <class Work>
grpc::ServerUnaryReactor* PublisherGrpcService::Async(
    grpc::CallbackServerContext* context, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  workers_.Post([reactor, work = std::move(work)]() mutable {
    reactor->Finish(ToGrpcStatus(work()));
  });
  return reactor;
}

grpc::ServerUnaryReactor* PublisherGrpcService::CreateChannel(
    grpc::CallbackServerContext* context,
    const cable::v1::CreateChannelRequest* request,
    cable::v1::CreateChannelResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  return Async(context, [this, request, response]() -> absl::Status {
    const std::string& text = request->state();
    nlohmann::json state =
        nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
    if (text.empty() || state.is_discarded()) {
      return absl::InvalidArgumentError("state is not valid JSON");
    }
    absl::StatusOr<bool> created = states_.CreateChannel(
        request->name(), state,
        {.type = request->type(), .keep_events = !request->no_events()});
    if (!created.ok()) return created.status();
    response->set_created(*created);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PublisherGrpcService::GetState(
    grpc::CallbackServerContext* context,
    const cable::v1::GetStateRequest* request,
    cable::v1::GetStateResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  return Async(context, [this, request, response]() -> absl::Status {
    absl::StatusOr<ChannelRecord> record = states_.store().Get(request->name());
    if (!record.ok()) return record.status();
    response->set_state(std::move(record->state));
    response->set_revision(record->revision);
    response->set_last_event_id(record->last_event_id);
    response->set_type(record->type);
    response->set_keep_events(record->keep_events);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PublisherGrpcService::UpdateState(
    grpc::CallbackServerContext* context,
    const cable::v1::UpdateStateRequest* request,
    cable::v1::UpdateStateResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  return Async(context, [this, request, response]() -> absl::Status {
    std::optional<std::string> state;
    if (request->has_state()) state = request->state();
    absl::StatusOr<CommitResult> result = states_.UpdateState(
        request->name(), request->expected_revision(), std::move(state),
        {request->events().begin(), request->events().end()});
    if (!result.ok()) return result.status();
    response->set_revision(result->revision);
    response->set_first_event_id(result->first_event_id);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PublisherGrpcService::DeleteEvents(
    grpc::CallbackServerContext* context,
    const cable::v1::DeleteEventsRequest* request,
    cable::v1::DeleteEventsResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  return Async(context, [this, request, response]() -> absl::Status {
    std::optional<std::uint64_t> keep_num;
    std::optional<absl::Duration> keep_duration;
    if (request->has_keep_num()) keep_num = request->keep_num();
    if (request->has_keep_duration_ms()) {
      keep_duration = absl::Milliseconds(request->keep_duration_ms());
    }
    absl::StatusOr<std::uint64_t> deleted =
        states_.DeleteEvents(request->name(), keep_num, keep_duration);
    if (!deleted.ok()) return deleted.status();
    response->set_deleted(*deleted);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PublisherGrpcService::ListChannels(
    grpc::CallbackServerContext* context,
    const cable::v1::ListChannelsRequest* request,
    cable::v1::ListChannelsResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  return Async(context, [this, request, response]() -> absl::Status {
    std::optional<std::string> type;
    if (request->has_type()) type = request->type();
    absl::StatusOr<std::vector<std::string>> names =
        states_.store().ListChannels(type);
    if (!names.ok()) return names.status();
    for (auto& name : *names) response->add_names(std::move(name));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PublisherGrpcService::History(
    grpc::CallbackServerContext* context,
    const cable::v1::HistoryRequest* request,
    cable::v1::HistoryResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  if (request->stream().empty()) {
    return FinishUnary(context,
                       absl::InvalidArgumentError("stream must not be empty"));
  }
  if (history_ == nullptr) {
    return FinishUnary(context, absl::FailedPreconditionError(
                                    "history is off on this service "
                                    "(--history_limit=0, or not available)"));
  }
  HistoryQuery query;
  if (request->has_after_offset()) {
    if (request->epoch().empty()) {
      return FinishUnary(
          context, absl::InvalidArgumentError(
                       "after_offset needs the epoch it belongs to (from a "
                       "BroadcastResponse or an earlier HistoryResponse)"));
    }
    query.after = StreamPosition{request->epoch(), request->after_offset()};
  } else if (request->has_since_unix_ms()) {
    query.since = absl::FromUnixMillis(request->since_unix_ms());
  }
  constexpr std::uint32_t kDefaultLimit = 1000;
  query.limit = request->limit() == 0 ? kDefaultLimit : request->limit();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  // (The page may come inline or on the history's own thread.)
  history_->Read(
      request->stream(), std::move(query),
      [reactor, response](absl::StatusOr<HistoryPage> page) {
        if (page.ok()) {
          response->set_epoch(page->epoch);
          response->set_last_offset(page->last_offset);
          for (HistoryEntry& entry : page->entries) {
            auto* message = response->add_messages();
            message->set_offset(entry.offset);
            message->set_data(std::move(entry.data));
            message->set_time_unix_ms(absl::ToUnixMillis(entry.time));
          }
        }
        reactor->Finish(ToGrpcStatus(page.status()));
      });
  return reactor;
}

grpc::ServerUnaryReactor* PublisherGrpcService::Presence(
    grpc::CallbackServerContext* context,
    const cable::v1::PresenceRequest* request,
    cable::v1::PresenceResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  if (absl::Status refused = PresenceRefused(presence_, request->stream());
      !refused.ok()) {
    return FinishUnary(context, refused);
  }
  return Async(context, [this, request, response]() -> absl::Status {
    absl::StatusOr<std::vector<PresenceMember>> members =
        presence_->Members(request->stream());
    if (!members.ok()) return members.status();
    for (PresenceMember& m : *members) {
      auto* record = response->add_records();
      record->set_id(std::move(m.id));
      record->set_info(std::move(m.info));
    }
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PublisherGrpcService::PresenceStats(
    grpc::CallbackServerContext* context,
    const cable::v1::PresenceStatsRequest* request,
    cable::v1::PresenceStatsResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  if (absl::Status refused = PresenceRefused(presence_, request->stream());
      !refused.ok()) {
    return FinishUnary(context, refused);
  }
  return Async(context, [this, request, response]() -> absl::Status {
    absl::StatusOr<::cable::service::PresenceStats> stats =
        presence_->Stats(request->stream());
    if (!stats.ok()) return stats.status();
    response->set_num_clients(stats->num_clients);
    response->set_num_users(stats->num_users);
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* PublisherGrpcService::Channels(
    grpc::CallbackServerContext* context,
    const cable::v1::ChannelsRequest* request,
    cable::v1::ChannelsResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  if (surveyor_ == nullptr) {
    return FinishUnary(context, absl::UnimplementedError("no server API here"));
  }
  if (absl::Status bad = ValidateStreamGlob(request->pattern()); !bad.ok()) {
    return FinishUnary(context, bad);
  }
  internal::v1::Survey survey;
  survey.mutable_channels()->set_pattern(request->pattern());
  survey.mutable_channels()->set_limit(kMaxChannels);
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  surveyor_->Run(std::move(survey), /*ask_services=*/false,
                 [reactor, response](absl::StatusOr<SurveyResult> result) {
                   if (result.ok()) {
                     *response =
                         MergeChannels(*std::move(result), kMaxChannels);
                   }
                   reactor->Finish(ToGrpcStatus(result.status()));
                 });
  return reactor;
}

grpc::ServerUnaryReactor* PublisherGrpcService::Info(
    grpc::CallbackServerContext* context,
    const cable::v1::InfoRequest* /*request*/,
    cable::v1::InfoResponse* response) {
  if (absl::Status denied = CheckAccess(access_, *context); !denied.ok())
    return FinishUnary(context, denied);
  if (surveyor_ == nullptr) {
    return FinishUnary(context, absl::UnimplementedError("no server API here"));
  }
  internal::v1::Survey survey;
  survey.mutable_info();
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  surveyor_->Run(std::move(survey), /*ask_services=*/true,
                 [reactor, response](absl::StatusOr<SurveyResult> result) {
                   if (result.ok()) {
                     *response = MergeInfo(*std::move(result), Version());
                   }
                   reactor->Finish(ToGrpcStatus(result.status()));
                 });
  return reactor;
}

}  // namespace cable::service
