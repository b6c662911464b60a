#include "cable/service/command_handler.h"

#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "cable/command_kind.h"
#include "cable/forwarding_pubsub.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/protocol.h"
#include "cable/pubsub.h"
#include "cable/service/channel.h"
#include "cable/service/channel_class.h"
#include "cable/service/connection.h"
#include "cable/service/identifier.h"
#include "cable/service/registry.h"
#include "cable/service/utf8.h"
#include "spdlog/spdlog.h"

namespace cable::service {
namespace {

// Application code may throw; that is its bug, but it must not take the
// server down. Runs `f` and turns an exception into an Internal status.
// Logged at warn: these are server bugs. Client mistakes (unknown actions,
// malformed identifiers) are only logged at debug.
template <typename F>
absl::Status RunAppCode(absl::string_view what, F&& f) {
  absl::Status status;
  try {
    return f();
  } catch (const std::exception& e) {
    // The message travels in a proto3 string: UTF-8 only.
    status = absl::InternalError(absl::StrCat(
        what,
        " failed: ", IsUtf8(e.what()) ? e.what() : "(message not UTF-8)"));
  } catch (...) {
    status = absl::InternalError(
        absl::StrCat(what, " failed: non-standard exception"));
  }
  spdlog::warn("{}", std::string(status.message()));
  return status;
}

StringMap ToMap(const google::protobuf::Map<std::string, std::string>& in) {
  return StringMap(in.begin(), in.end());
}

void CopyMap(const StringMap& in,
             google::protobuf::Map<std::string, std::string>* out) {
  out->clear();
  for (const auto& [key, value] : in) (*out)[key] = value;
}

ConnectionEnv ToEnv(const internal::v1::Env& env) {
  ConnectionEnv out;
  out.url = env.url();
  out.headers = ToMap(env.headers());
  out.cookies = ToMap(env.cookies());
  out.remote_addr = env.remote_addr();
  out.subprotocol = env.subprotocol();
  return out;
}

ConnectionState StateOf(
    const internal::v1::Env& env, const std::string& sid,
    const std::string& gateway_id,
    const google::protobuf::Map<std::string, std::string>& identifiers,
    const google::protobuf::Map<std::string, std::string>& cstate) {
  ConnectionState state;
  state.env = ToEnv(env);
  state.sid = sid;
  state.gateway_id = gateway_id;
  state.identifiers = ToMap(identifiers);
  state.cstate = ToMap(cstate);
  return state;
}

void Fail(internal::v1::CommandResponse& response, internal::v1::Status status,
          const std::string& message) {
  response.set_status(status);
  response.set_error_msg(message);
}

void CopyStreamEffects(const ChannelEffects& effects,
                       internal::v1::CommandResponse& response) {
  for (const auto& s : effects.started_streams) response.add_streams(s);
  for (const auto& s : effects.stopped_streams) response.add_stopped_streams(s);
  response.set_stop_all_streams(effects.stop_all_streams);
}

void CopyTransmissions(const ChannelEffects& effects,
                       internal::v1::CommandResponse& response) {
  for (const auto& frame : effects.transmissions) {
    response.add_transmissions(frame);
  }
}

// The first string of a map that is not UTF-8, as "<what> \"<key>\"" (the
// key when it is UTF-8 itself), or empty when all are.
std::string NonUtf8Entry(
    absl::string_view what,
    const google::protobuf::Map<std::string, std::string>& map) {
  for (const auto& [key, value] : map) {
    if (!IsUtf8(key)) return absl::StrCat(what, " key");
    if (!IsUtf8(value)) return absl::StrCat(what, " \"", key, "\"");
  }
  return "";
}

std::string NonUtf8Entry(
    absl::string_view what,
    const google::protobuf::RepeatedPtrField<std::string>& list) {
  for (const std::string& s : list) {
    if (!IsUtf8(s)) return std::string(what);
  }
  return "";
}

// Proto3 strings must be UTF-8: an answer carrying channel code's bytes
// that are not would be unparsable at the gateway. Names the first such
// field, or returns empty.
std::string NonUtf8Field(const internal::v1::ConnectResponse& response) {
  std::string bad = NonUtf8Entry("identifier", response.identifiers());
  if (bad.empty()) bad = NonUtf8Entry("connection state", response.cstate());
  if (bad.empty()) bad = NonUtf8Entry("transmission", response.transmissions());
  return bad;
}

std::string NonUtf8Field(const internal::v1::CommandResponse& response) {
  std::string bad = NonUtf8Entry("transmission", response.transmissions());
  if (bad.empty()) bad = NonUtf8Entry("stream", response.streams());
  if (bad.empty()) bad = NonUtf8Entry("stream", response.stopped_streams());
  if (bad.empty()) bad = NonUtf8Entry("connection state", response.cstate());
  if (bad.empty()) bad = NonUtf8Entry("channel state", response.istate());
  if (bad.empty() && !IsUtf8(response.error_msg())) bad = "error message";
  for (const internal::v1::Timer& timer : response.timers()) {
    if (bad.empty() && !IsUtf8(timer.action())) bad = "timer action";
  }
  return bad;
}

// Decodes a "message" command's data: an object whose "action" names the
// action (Action Cable: "receive" when absent).
absl::Status DecodeMessage(const ChannelClass& channel_class,
                           absl::string_view data, std::string* action,
                           nlohmann::json* decoded) {
  absl::StatusOr<nlohmann::json> parsed = channel_class.coder().decode(data);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("message data: ", parsed.status().message()));
  }
  if (!parsed->is_object()) {
    return absl::InvalidArgumentError("message data is not a JSON object");
  }
  auto it = parsed->find("action");
  if (it == parsed->end()) {
    *action = "receive";
  } else if (it->is_string()) {
    *action = it->get<std::string>();
  } else {
    return absl::InvalidArgumentError("message \"action\" is not a string");
  }
  *decoded = *std::move(parsed);
  return absl::OkStatus();
}

internal::v1::CommandResponse RunCommand(
    const Application& app, PubSub& pubsub,
    const internal::v1::CommandRequest& request) {
  internal::v1::CommandResponse response;
  const internal::v1::CommandKind kind = request.kind();
  const bool subscribe = kind == internal::v1::COMMAND_KIND_SUBSCRIBE;
  const bool unsubscribe = kind == internal::v1::COMMAND_KIND_UNSUBSCRIBE;
  if (!subscribe && !unsubscribe &&
      kind != internal::v1::COMMAND_KIND_MESSAGE &&
      kind != internal::v1::COMMAND_KIND_PERIODIC) {
    Fail(response, internal::v1::STATUS_ERROR,
         absl::StrCat("unknown command (kind ", static_cast<int>(kind), ")"));
    return response;
  }

  // A subscribe that cannot go ahead is answered with reject_subscription;
  // an unsubscribe that cannot run still removes the subscription.
  auto refuse = [&](internal::v1::Status status, const std::string& message) {
    Fail(response, status, message);
    if (subscribe) {
      response.add_transmissions(protocol::RejectFrame(request.identifier()));
    }
    if (subscribe || unsubscribe) RemoveSubscription(response);
    return response;
  };

  absl::StatusOr<ChannelIdentifier> id =
      ParseChannelIdentifier(request.identifier());
  if (!id.ok()) {
    return refuse(internal::v1::STATUS_ERROR,
                  std::string(id.status().message()));
  }
  const ChannelClass* channel_class = app.FindChannel(id->channel);
  if (channel_class == nullptr) {
    return refuse(
        subscribe ? internal::v1::STATUS_FAILURE : internal::v1::STATUS_ERROR,
        absl::StrCat("unknown channel \"", id->channel, "\""));
  }

  std::unique_ptr<Connection> connection = app.connection_class().Create(
      StateOf(request.env(), request.sid(), request.gateway_id(),
              request.identifiers(), request.cstate()));
  ChannelBinding binding;
  binding.identifier = request.identifier();
  binding.params = std::move(id->params);
  binding.connection = connection.get();
  binding.pubsub = &pubsub;
  if (!subscribe) binding.istate = ToMap(request.istate());
  binding.streams.assign(request.streams().begin(), request.streams().end());
  const StringMap istate_before = binding.istate;
  const StringMap cstate_before = connection->cstate();

  std::unique_ptr<Channel> channel;
  absl::Status status = RunAppCode(channel_class->name(), [&] {
    channel = channel_class->Create(std::move(binding));
    return absl::OkStatus();
  });
  if (!status.ok())
    return refuse(internal::v1::STATUS_ERROR, std::string(status.message()));

  if (subscribe) {
    status = RunAppCode("subscribed", [&] {
      channel->subscribed();
      return absl::OkStatus();
    });
    if (!status.ok())
      return refuse(internal::v1::STATUS_ERROR, std::string(status.message()));
    if (channel->is_rejected()) {
      // Streams started before reject() never go live; Rails does not run
      // unsubscribed for a rejected subscription either.
      spdlog::debug("subscription rejected: {}", request.identifier());
      return refuse(internal::v1::STATUS_FAILURE, "subscription rejected");
    }
    response.set_status(internal::v1::STATUS_SUCCESS);
    response.add_transmissions(protocol::ConfirmFrame(request.identifier()));
    CopyTransmissions(channel->effects(), response);
    CopyStreamEffects(channel->effects(), response);
    if (channel_class->presence() && response.streams_size() > 0 &&
        request.env().subprotocol() == protocol::kExtendedSubprotocol) {
      // Its presence events come with the subscription.
      response.add_streams(protocol::PresenceStream(response.streams(0)));
    }
    response.set_timers_set(true);
    for (const TimerSpec& timer : channel_class->timers()) {
      internal::v1::Timer* out = response.add_timers();
      out->set_action(timer.action);
      out->set_interval_ms(static_cast<std::uint32_t>(timer.every.count()));
    }
    response.set_istate_set(true);
    CopyMap(channel->istate(), response.mutable_istate());
  } else if (unsubscribe) {
    status = RunAppCode("unsubscribed", [&] {
      channel->unsubscribed();
      return absl::OkStatus();
    });
    // Transmissions to a client that has unsubscribed are dropped.
    RemoveSubscription(response);
    if (status.ok()) {
      response.set_status(internal::v1::STATUS_SUCCESS);
    } else {
      Fail(response, internal::v1::STATUS_ERROR, std::string(status.message()));
    }
  } else {
    std::string action;
    nlohmann::json data;
    if (kind == internal::v1::COMMAND_KIND_MESSAGE) {
      status = DecodeMessage(*channel_class, request.data(), &action, &data);
      if (status.ok()) {
        status = RunAppCode(absl::StrCat("action \"", action, "\""),
                            [&] { return channel->perform(action, data); });
      }
    } else {
      action = request.data();
      const ChannelClass::Action* run =
          channel_class->FindPeriodicAction(action);
      if (run == nullptr) {
        status = absl::NotFoundError(absl::StrCat("no periodic timer \"",
                                                  action, "\" in channel \"",
                                                  channel_class->name(), "\""));
      } else {
        status = RunAppCode(absl::StrCat("timer \"", action, "\""), [&] {
          (*run)(*channel, nlohmann::json::object());
          return absl::OkStatus();
        });
      }
    }
    // What the action did before failing has happened (broadcasts are out),
    // so its effects are reported even with an error status.
    CopyTransmissions(channel->effects(), response);
    CopyStreamEffects(channel->effects(), response);
    if (channel->istate() != istate_before) {
      response.set_istate_set(true);
      CopyMap(channel->istate(), response.mutable_istate());
    }
    if (status.ok()) {
      response.set_status(internal::v1::STATUS_SUCCESS);
    } else {
      Fail(response, internal::v1::STATUS_ERROR, std::string(status.message()));
    }
  }
  if (connection->cstate() != cstate_before) {
    response.set_cstate_set(true);
    CopyMap(connection->cstate(), response.mutable_cstate());
  }
  return response;
}

}  // namespace

void RemoveSubscription(internal::v1::CommandResponse& response) {
  response.clear_streams();
  response.clear_stopped_streams();
  response.set_stop_all_streams(true);
  response.set_subscription_removed(true);
}

namespace {

// Passes broadcasts through and remembers whether there were any.
class RecordingPubSub final : public ForwardingPubSub {
 public:
  using ForwardingPubSub::ForwardingPubSub;
  absl::Status Broadcast(absl::string_view stream,
                         absl::string_view message) override {
    published_ = true;
    return ForwardingPubSub::Broadcast(stream, message);
  }
  absl::StatusOr<std::optional<StreamPosition>> BroadcastWithPosition(
      absl::string_view stream, absl::string_view message) override {
    published_ = true;
    return ForwardingPubSub::BroadcastWithPosition(stream, message);
  }

  bool published() const { return published_; }

 private:
  bool published_ = false;
};

// A call that published answers, through `done`, only once the backend
// has its broadcasts: once the gateway has the answer, this process dying
// (NATS clients buffer publishes) cannot lose them. The wait is the
// pub/sub's asynchronous flush, so no thread blocks on the network;
// `done` runs inline when nothing was published. While the backend is
// unreachable the broadcasts wait in the reconnect buffer and the call
// goes on.
template <class Response>
void AnswerWhenFlushed(PubSub& pubsub, bool published, const char* what,
                       Response response,
                       absl::AnyInvocable<void(Response) &&> done) {
  if (!published || !pubsub.connected()) {
    std::move(done)(std::move(response));
    return;
  }
  pubsub.Flush([what, response = std::move(response),
                done = std::move(done)](absl::Status status) mutable {
    if (!status.ok()) {
      spdlog::warn("{}: broadcasts not confirmed: {}", what, status.ToString());
    }
    std::move(done)(std::move(response));
  });
}

// Runs an asynchronous call and waits for its answer (tests and tools).
template <class Response, class Call>
Response Wait(Call call) {
  absl::Notification ready;
  Response out;
  call([&](Response r) {
    out = std::move(r);
    ready.Notify();
  });
  ready.WaitForNotification();
  return out;
}

}  // namespace

CommandHandler::CommandHandler(const Application& app, PubSub& pubsub)
    : app_(app), pubsub_(pubsub) {}

internal::v1::ConnectResponse CommandHandler::Connect(
    const internal::v1::ConnectRequest& request) const {
  internal::v1::ConnectResponse response;
  std::unique_ptr<Connection> connection;
  absl::Status status = RunAppCode("connect", [&] {
    ConnectionState state;
    state.env = ToEnv(request.env());
    state.sid = request.sid();
    state.gateway_id = request.gateway_id();
    connection = app_.connection_class().Create(std::move(state));
    connection->connect();
    return absl::OkStatus();
  });
  if (!status.ok()) {
    response.set_status(internal::v1::STATUS_ERROR);
    response.set_error_msg(std::string(status.message()));
    response.add_transmissions(protocol::DisconnectFrame("server_error", true));
    response.mutable_disconnect()->set_reason("server_error");
    response.mutable_disconnect()->set_reconnect(true);
    return response;
  }
  if (connection->is_rejected()) {
    spdlog::debug("connection rejected (sid {}, {})", request.sid(),
                  request.env().remote_addr());
    response.set_status(internal::v1::STATUS_FAILURE);
    response.set_error_msg("unauthorized");
    response.add_transmissions(
        protocol::DisconnectFrame("unauthorized", false));
    response.mutable_disconnect()->set_reason("unauthorized");
    response.mutable_disconnect()->set_reconnect(false);
    return response;
  }
  response.set_status(internal::v1::STATUS_SUCCESS);
  CopyMap(connection->identifiers(), response.mutable_identifiers());
  CopyMap(connection->cstate(), response.mutable_cstate());
  if (auto expires = connection->expires_at()) {
    response.set_expires_at_unix_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            expires->time_since_epoch())
            .count());
  }
  response.add_transmissions(protocol::WelcomeFrame(request.sid()));
  if (std::string bad = NonUtf8Field(response); !bad.empty()) {
    spdlog::warn("connect (sid {}): {} is not UTF-8", request.sid(), bad);
    response.Clear();
    response.set_status(internal::v1::STATUS_ERROR);
    response.set_error_msg(
        absl::StrCat("connect produced a ", bad, " that is not UTF-8"));
    response.add_transmissions(protocol::DisconnectFrame("server_error", true));
    response.mutable_disconnect()->set_reason("server_error");
    response.mutable_disconnect()->set_reconnect(true);
  }
  return response;
}

internal::v1::CommandResponse CommandHandler::Command(
    const internal::v1::CommandRequest& request) const {
  return Wait<internal::v1::CommandResponse>(
      [&](absl::AnyInvocable<void(internal::v1::CommandResponse) &&> done) {
        Command(request, std::move(done));
      });
}

void CommandHandler::Command(
    const internal::v1::CommandRequest& request,
    absl::AnyInvocable<void(internal::v1::CommandResponse) &&> done) const {
  bool published = false;
  internal::v1::CommandResponse response = Execute(request, &published);
  AnswerWhenFlushed(pubsub_, published, "command", std::move(response),
                    std::move(done));
}

internal::v1::CommandResponse CommandHandler::Execute(
    const internal::v1::CommandRequest& request, bool* published) const {
  try {
    RecordingPubSub pubsub(pubsub_);
    internal::v1::CommandResponse response = RunCommand(app_, pubsub, request);
    *published = pubsub.published();
    if (std::string bad = NonUtf8Field(response); !bad.empty()) {
      // What the command did (broadcasts) has happened; its answer cannot
      // travel, so the gateway gets an error and, for a subscribe, a
      // rejection instead.
      spdlog::warn("command {} {}: {} is not UTF-8",
                   protocol::CommandName(request.kind()), request.identifier(),
                   bad);
      const bool subscribe =
          request.kind() == internal::v1::COMMAND_KIND_SUBSCRIBE;
      response.Clear();
      Fail(response, internal::v1::STATUS_ERROR,
           absl::StrCat("the channel produced a ", bad, " that is not UTF-8"));
      if (subscribe) {
        response.add_transmissions(protocol::RejectFrame(request.identifier()));
        RemoveSubscription(response);
      }
    }
    if (response.status() == internal::v1::STATUS_ERROR) {
      spdlog::debug("command {} {}: {}", protocol::CommandName(request.kind()),
                    request.identifier(), response.error_msg());
    }
    return response;
  } catch (const std::exception& e) {
    // Only allocation failures and the like get here; app code is wrapped.
    internal::v1::CommandResponse response;
    Fail(response, internal::v1::STATUS_ERROR, e.what());
    spdlog::warn("command {} failed: {}", protocol::CommandName(request.kind()),
                 e.what());
    return response;
  }
}

internal::v1::DisconnectResponse CommandHandler::Disconnect(
    const internal::v1::DisconnectRequest& request) const {
  return Wait<internal::v1::DisconnectResponse>(
      [&](absl::AnyInvocable<void(internal::v1::DisconnectResponse) &&> done) {
        Disconnect(request, std::move(done));
      });
}

void CommandHandler::Disconnect(
    const internal::v1::DisconnectRequest& request,
    absl::AnyInvocable<void(internal::v1::DisconnectResponse) &&> done) const {
  internal::v1::DisconnectResponse response;
  std::vector<std::string> errors;
  RecordingPubSub pubsub(pubsub_);
  std::unique_ptr<Connection> connection;
  absl::Status status = RunAppCode("disconnect", [&] {
    connection = app_.connection_class().Create(
        StateOf(request.env(), request.sid(), request.gateway_id(),
                request.identifiers(), request.cstate()));
    return absl::OkStatus();
  });
  if (!status.ok()) errors.push_back(std::string(status.message()));

  // One failing subscription must not keep the others from unsubscribing.
  for (const internal::v1::SubscriptionSnapshot& sub :
       request.subscriptions()) {
    if (connection == nullptr) break;
    status = RunAppCode(absl::StrCat("unsubscribed ", sub.identifier()), [&] {
      absl::StatusOr<ChannelIdentifier> id =
          ParseChannelIdentifier(sub.identifier());
      if (!id.ok()) return id.status();
      const ChannelClass* channel_class = app_.FindChannel(id->channel);
      if (channel_class == nullptr) {
        return absl::NotFoundError(
            absl::StrCat("unknown channel \"", id->channel, "\""));
      }
      ChannelBinding binding;
      binding.identifier = sub.identifier();
      binding.params = std::move(id->params);
      binding.connection = connection.get();
      binding.pubsub = &pubsub;
      binding.istate = ToMap(sub.istate());
      binding.streams.assign(sub.streams().begin(), sub.streams().end());
      std::unique_ptr<Channel> channel =
          channel_class->Create(std::move(binding));
      channel->unsubscribed();
      return absl::OkStatus();
    });
    if (!status.ok()) errors.push_back(std::string(status.message()));
  }
  if (connection != nullptr) {
    status = RunAppCode("disconnect", [&] {
      connection->disconnect();
      return absl::OkStatus();
    });
    if (!status.ok()) errors.push_back(std::string(status.message()));
  }
  if (errors.empty()) {
    response.set_status(internal::v1::STATUS_SUCCESS);
  } else {
    response.set_status(internal::v1::STATUS_ERROR);
    response.set_error_msg(absl::StrJoin(errors, "; "));
    spdlog::debug("disconnect (sid {}): {}", request.sid(),
                  response.error_msg());
  }
  AnswerWhenFlushed(pubsub_, pubsub.published(), "disconnect",
                    std::move(response), std::move(done));
}

}  // namespace cable::service
