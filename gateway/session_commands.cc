// Session: what the client asks (commands, in order, one in flight) and
// its subscriptions (streams on the Hub, timers, the state gate).

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cable/gateway/hub.h"
#include "cable/gateway/metrics.h"
#include "cable/gateway/options.h"
#include "cable/gateway/service_client.h"
#include "cable/gateway/session.h"
#include "cable/gateway/session_context.h"
#include "cable/gateway/session_util.h"

namespace cable::gateway {

namespace beast = boost::beast;
namespace net = boost::asio;

void Session::HandleFrame(absl::string_view text) {
  auto parsed = protocol::ParseClientCommand(text);
  if (!parsed.ok()) {
    context_.metrics.bad_frames.Increment();
    spdlog::info("session {}: bad frame: {}", sid_,
                 std::string(parsed.status().message()));
    // Close reasons are limited to 123 bytes by RFC 6455.
    std::string reason(parsed.status().message().substr(0, 120));
    Close(ws::kCloseInvalidPayload, reason,
          protocol::DisconnectFrame("invalid_request", false));
    return;
  }
  // Every command counts against the rate limit, those ignored below
  // included: a flood of unknown commands is a flood too.
  switch (limiter_.Admit(context_.clock.now())) {
    case CommandRateLimiter::Verdict::kAllow:
      break;
    case CommandRateLimiter::Verdict::kRefuse:
      context_.metrics.rate_limited.Increment();
      SendReply(protocol::ErrorFrame(
          parsed->identifier,
          absl::StrCat("rate limited: at most ", context_.options.command_rate,
                       " commands a second")));
      return;
    case CommandRateLimiter::Verdict::kCut:
      context_.metrics.rate_limited.Increment();
      spdlog::info("session {}: over the command rate limit, closing", sid_);
      Close(ws::kClosePolicyViolation, "rate limit exceeded",
            protocol::DisconnectFrame("rate_limited", false));
      return;
  }
  // The extended protocol's answer to a ping: reading it was the point.
  if (extended_ && parsed->command == "pong") return;
  std::optional<internal::v1::CommandKind> kind =
      protocol::ClientCommandKind(parsed->command);
  if (kind == internal::v1::COMMAND_KIND_HISTORY &&
      (!extended_ || !parsed->history)) {
    if (extended_ && AwaitsHistory(parsed->identifier)) {
      // A restored subscription's, with nothing to replay (the client
      // knows no position): what waits for it goes now.
      parsed->history.emplace();
    } else {
      kind.reset();  // a plain client's, or nothing to replay
    }
  }
  if (kind == internal::v1::COMMAND_KIND_PRESENCE_INFO && !extended_) {
    kind.reset();  // a plain client's
  }
  if (!kind) {
    context_.metrics.unknown_commands.Increment();
    spdlog::info("session {}: unknown command \"{}\" ignored", sid_,
                 parsed->command.substr(0, 64));
    return;
  }
  if (extended_ && parsed->presence) {
    // A "join" with `presence` joins the presence set of a subscription
    // (a stateful channel's join has none); a "subscribe" with one joins
    // it once subscribed (a client coming back after a reconnect).
    if (*kind == internal::v1::COMMAND_KIND_JOIN) {
      kind = internal::v1::COMMAND_KIND_PRESENCE_JOIN;
      parsed->data = *std::move(parsed->presence);
    } else if (*kind == internal::v1::COMMAND_KIND_SUBSCRIBE) {
      parsed->data = *std::move(parsed->presence);
    }
  }
  if (parsed->identifier.empty() ||
      ((*kind == internal::v1::COMMAND_KIND_MESSAGE ||
        *kind == internal::v1::COMMAND_KIND_REQUEST) &&
       parsed->data.empty())) {
    context_.metrics.invalid_commands.Increment();
    spdlog::info("session {}: {} without {} ignored", sid_, parsed->command,
                 parsed->identifier.empty() ? "identifier" : "data");
    return;
  }
  std::shared_ptr<const protocol::HistoryRequest> history;
  if (extended_ && parsed->history) {
    history = std::make_shared<const protocol::HistoryRequest>(
        *std::move(parsed->history));
  }
  EnqueueCommand({*kind, std::move(parsed->identifier), std::move(parsed->data),
                  std::move(history)});
}

void Session::EnqueueCommand(Command command) {
  if (!commands_.Push(std::move(command))) {
    context_.metrics.bad_frames.Increment();
    Close(ws::kClosePolicyViolation, "too many pending commands",
          protocol::DisconnectFrame("invalid_request", false));
    return;
  }
  PumpCommands();
}

bool Session::Precheck(const Command& command) {
  const bool exists = subscriptions_.contains(command.identifier);
  if (Opens(command.kind)) {
    if (exists) {
      context_.metrics.duplicate_subscriptions.Increment();
      return false;
    }
    if (subscriptions_.size() >= context_.options.max_subscriptions) {
      context_.metrics.subscriptions_over_limit.Increment();
      // (A restore's: the client subscribes again itself.)
      if (!command.restore) {
        SendReply(protocol::RejectFrame(command.identifier));
      }
      return false;
    }
    return true;
  }
  if (!exists && command.kind != internal::v1::COMMAND_KIND_PERIODIC) {
    context_.metrics.unknown_identifiers.Increment();
  }
  return exists;
}

void Session::PumpCommands() {
  while (state_ == State::kOpen) {
    std::optional<Command> command = commands_.Next();
    if (!command) return;
    if (command->restore &&
        command->kind == internal::v1::COMMAND_KIND_UNSPECIFIED) {
      commands_.Done();
      FinishRestore();  // the restore's subscribes are all done
      continue;
    }
    if (!Precheck(*command)) {
      commands_.Done();
      continue;
    }
    if (command->kind == internal::v1::COMMAND_KIND_HISTORY) {
      StartHistory(*command);  // the gateway's own: no service call
      return;
    }
    if (extended_ && command->kind == internal::v1::COMMAND_KIND_LEAVE) {
      // "leave" of a subscription made by "subscribe": its presence set's.
      if (const auto* sub = subscriptions_.find(command->identifier);
          sub != nullptr && !sub->stateful) {
        command->kind = internal::v1::COMMAND_KIND_PRESENCE_LEAVE;
      }
    }
    internal::v1::CommandRequest request;
    request.set_kind(command->kind);
    request.set_identifier(command->identifier);
    // (A subscribe's data is the presence it joins once subscribed.)
    if (command->kind != internal::v1::COMMAND_KIND_SUBSCRIBE) {
      request.set_data(command->data);
    }
    request.mutable_env()->ParseFromString(env_);
    request.set_sid(sid_);
    request.set_gateway_id(context_.gateway_id);
    CopyTo(identifiers_, *request.mutable_identifiers());
    CopyTo(cstate_, *request.mutable_cstate());
    if (auto* sub = subscriptions_.find(command->identifier)) {
      CopyTo(sub->istate, *request.mutable_istate());
      request.set_stateful(sub->stateful);
      for (const auto& s : sub->streams) request.add_streams(s);
      if (Closes(command->kind)) {
        // The client has dropped the subscription: stop its streams now,
        // so that what `unsubscribed` broadcasts does not come back to it.
        LeaveStreams(command->identifier, SubscriptionSet::TakeStreams(*sub));
        StopTimers(*sub, command->identifier);
        sub->gate.clear();
        sub->history.reset();
      } else if (command->kind == internal::v1::COMMAND_KIND_SYNC) {
        // From here until the answer, updates wait: the answer's state
        // tells which of them the client still needs.
        sub->gate.Hold();
      }
    }
    context_.metrics.commands.Increment();
    context_.service.Command(
        request,
        [self = shared_from_this(), command = std::move(*command)](
            absl::StatusOr<internal::v1::CommandResponse> response) mutable {
          net::post(self->socket_.get_executor(),
                    [self, command = std::move(command),
                     response = std::move(response)]() mutable {
                      self->OnCommandDone(std::move(command),
                                          std::move(response));
                    });
        });
  }
}

void Session::OnCommandDone(
    Command command, absl::StatusOr<internal::v1::CommandResponse> response) {
  const bool ok = response.ok();
  if (!ok) {
    context_.metrics.service_errors.Increment();
    spdlog::warn("session {}: {} failed: {}", sid_,
                 protocol::CommandName(command.kind),
                 response.status().ToString());
  } else if (response->status() != internal::v1::STATUS_SUCCESS &&
             !response->error_msg().empty()) {
    spdlog::info("session {}: {} refused: {}", sid_,
                 protocol::CommandName(command.kind), response->error_msg());
  }

  if (state_ == State::kClosed) {
    // The socket is gone; keep the books straight so that Disconnect runs
    // `unsubscribed` for a subscription the service just made.
    if (ok && Opens(command.kind) &&
        response->status() == internal::v1::STATUS_SUCCESS &&
        !response->subscription_removed()) {
      auto& sub = subscriptions_.Add(command.identifier, command.kind);
      sub.stateful = response->stateful();
      CopyTo(response->istate(), sub.istate);
      sub.streams.assign(response->streams().begin(),
                         response->streams().end());
    } else if (ok && response->subscription_removed()) {
      subscriptions_.Remove(command.identifier);
    }
    commands_.Done();
    Release();
    return;
  }
  if (state_ != State::kOpen) {
    commands_.Done();
    return;
  }
  if (!ok) {
    OnCommandFailed(command, response.status());
    commands_.Done();
    PumpCommands();
    return;
  }
  Apply({std::move(command), *std::move(response)});
}

void Session::OnCommandFailed(const Command& command,
                              const absl::Status& status) {
  // Leave no client waiting for an answer that will not come.
  auto* sub = subscriptions_.find(command.identifier);
  const bool stateful = sub != nullptr && sub->stateful;
  const std::string why = absl::StrCat(
      "service call failed (", absl::StatusCodeToString(status.code()),
      "); it may or may not have taken effect");
  if (Opens(command.kind)) {
    if (!command.restore) SendReply(protocol::RejectFrame(command.identifier));
  } else if (command.kind == internal::v1::COMMAND_KIND_SYNC &&
             sub != nullptr) {
    // The client never got the state these updates apply to: leave the
    // channel (on_leave runs) and tell the client, which may join again.
    ReleaseHeld(*sub, std::nullopt);
    commands_.push_front(
        {internal::v1::COMMAND_KIND_LEAVE, command.identifier, {}});
    SendReply(protocol::RejectFrame(command.identifier));
  } else if (command.kind == internal::v1::COMMAND_KIND_REQUEST) {
    SendReply(
        protocol::RequestFailureFrame(command.identifier, command.data, why));
  } else if (stateful && command.kind == internal::v1::COMMAND_KIND_MESSAGE) {
    SendReply(protocol::ErrorFrame(command.identifier, why));
  }
}

void Session::Apply(Answer answer) {
  const Command& command = answer.command;
  const internal::v1::CommandResponse& response = answer.response;
  if (Opens(command.kind) &&
      response.status() == internal::v1::STATUS_SUCCESS &&
      !response.subscription_removed()) {
    subscriptions_.Add(command.identifier, command.kind).stateful =
        response.stateful();
  }
  std::vector<std::string> started;
  if (auto* sub = subscriptions_.find(command.identifier)) {
    if (response.istate_set()) CopyTo(response.istate(), sub->istate);
    // A join: hold the channel's updates from the moment its stream is
    // live (the sync that releases them is queued once it is).
    if (response.sync_after_streams()) sub->gate.Hold();
    // A subscribe asking for history: hold the live frames from the moment
    // the streams are live until the replay (queued once they are) ends. A
    // restore's: until the client asks for its history after the welcome.
    if ((command.history || command.restore) && Opens(command.kind)) {
      if (!sub->history) sub->history = std::make_unique<HistoryGate>();
      sub->history->Hold();
    }
    if (response.stop_all_streams()) {
      LeaveStreams(command.identifier, SubscriptionSet::TakeStreams(*sub));
    }
    for (const auto& s : response.stopped_streams()) {
      if (SubscriptionSet::RemoveStream(*sub, s)) {
        context_.hub.Unsubscribe(s, command.identifier, this);
      }
    }
    if (!response.subscription_removed()) {
      started = subscriptions_.AddStreams(
          *sub, {response.streams().begin(), response.streams().end()});
    }
    if (response.timers_set()) {
      StartTimers(command.identifier, *sub, response);
    }
  }
  if (response.cstate_set()) CopyTo(response.cstate(), cstate_);
  const std::string identifier = command.identifier;
  answer_ = std::make_unique<Answer>(std::move(answer));
  // Streams go live before any transmission, so a client that sees
  // confirm_subscription gets every later broadcast. The wait is begun
  // before the first subscribe: its completion is posted, never inline.
  const std::uint64_t generation = stream_wait_.Begin(started.size());
  if (started.empty()) {
    FinishCommand();
    return;
  }
  StartStreams(identifier, started, generation);
}

void Session::StartStreams(const std::string& identifier,
                           const std::vector<std::string>& streams,
                           std::uint64_t generation) {
  // (A weak reference: a stream that stays pending must not keep a closed
  // session alive.)
  std::weak_ptr<Session> weak = shared_from_this();
  for (const auto& s : streams) {
    context_.hub.Subscribe(
        s, identifier, shared_from_this(),
        [weak, generation, stream = s](absl::Status status) mutable {
          auto self = weak.lock();
          if (!self) return;
          net::post(self->socket_.get_executor(),
                    [self, generation, stream = std::move(stream),
                     status = std::move(status)]() mutable {
                      self->OnStreamStarted(generation, stream,
                                            std::move(status));
                    });
        });
  }
}

void Session::OnStreamStarted(std::uint64_t generation,
                              const std::string& stream, absl::Status status) {
  if (!status.ok() && status.code() != absl::StatusCode::kCancelled) {
    context_.metrics.service_errors.Increment();
    spdlog::error("session {}: stream {} not started: {}", sid_, stream,
                  status.ToString());
  }
  if (stream_wait_.Settle(generation, stream, status)) FinishCommand();
}

void Session::FinishCommand() {
  Answer answer = std::move(*answer_);
  answer_.reset();
  const Command& command = answer.command;
  const internal::v1::CommandResponse& response = answer.response;
  commands_.Done();
  // (Closed meanwhile: on_closed abandoned the wait; nothing gets here.)
  auto* sub = subscriptions_.find(command.identifier);
  if (!stream_wait_.status().ok() && sub != nullptr) {
    // A stream could not start: the client must not be confirmed (it
    // would miss that stream's broadcasts). The Hub dropped the failed
    // streams; the others go with the subscription, which the service
    // ends as if the client had unsubscribed (`unsubscribed` runs).
    for (const auto& s : stream_wait_.failed()) {
      SubscriptionSet::RemoveStream(*sub, s);
    }
    ReleaseHeld(*sub, std::nullopt);
    if (!command.restore) SendReply(protocol::RejectFrame(command.identifier));
    commands_.push_front({Undoing(sub->opened_by), command.identifier, {}});
    PumpCommands();
    return;
  }
  if (sub != nullptr && response.sync_after_streams()) {
    // Ask for the state before anything else the client sent.
    commands_.push_front(
        {internal::v1::COMMAND_KIND_SYNC, command.identifier, {}});
  }
  if (sub != nullptr && extended_ &&
      command.kind == internal::v1::COMMAND_KIND_SUBSCRIBE &&
      !command.data.empty() && !response.subscription_removed()) {
    // Join the presence set it came with, after the replay below.
    commands_.push_front({internal::v1::COMMAND_KIND_PRESENCE_JOIN,
                          command.identifier, command.data});
  }
  if (sub != nullptr && command.history && Opens(command.kind) &&
      !response.subscription_removed()) {
    // Replay after confirm_subscription, before anything else.
    commands_.push_front({internal::v1::COMMAND_KIND_HISTORY,
                          command.identifier,
                          {},
                          command.history});
  }
  if (response.subscription_removed()) {
    RemoveSubscription(command.identifier);
    sub = nullptr;
  }
  for (const auto& frame : response.transmissions()) {
    if (command.restore && RestoreAnswer(command, frame)) continue;
    SendReply(frame);
  }
  if (Opens(command.kind) || Closes(command.kind) ||
      response.subscription_removed()) {
    SaveSnapshot();
  }
  if (sub != nullptr && command.kind == internal::v1::COMMAND_KIND_SYNC) {
    ReleaseHeld(*sub, response.status() == internal::v1::STATUS_SUCCESS
                          ? std::optional(response.resume_after_revision())
                          : std::nullopt);
  }
  if (!response.disconnect().reason().empty()) {
    Close(ws::kCloseNormal, response.disconnect().reason());
    return;
  }
  PumpCommands();
}

void Session::StartTimers(const std::string& identifier,
                          SubscriptionSet::Subscription& sub,
                          const internal::v1::CommandResponse& response) {
  std::vector<TimerSpec> specs;
  for (const auto& timer : response.timers()) {
    if (timer.interval_ms() == 0 || timer.action().empty()) continue;
    specs.push_back(
        {std::chrono::milliseconds(timer.interval_ms()), timer.action()});
  }
  const std::uint64_t generation =
      subscriptions_.set_timers(sub, std::move(specs));
  auto& timers = timers_[identifier];
  timers.clear();  // destroying a timer cancels its wait
  for (std::size_t i = 0; i < sub.timers.size(); ++i) {
    timers.push_back(
        std::make_unique<net::steady_timer>(socket_.get_executor()));
    ArmTimer(identifier, generation, i);
  }
  if (timers.empty()) timers_.erase(identifier);
}

void Session::StopTimers(SubscriptionSet::Subscription& sub,
                         const std::string& identifier) {
  subscriptions_.StopTimers(sub);
  timers_.erase(identifier);
}

void Session::ArmTimer(const std::string& identifier, std::uint64_t generation,
                       std::size_t index) {
  auto* sub = subscriptions_.find(identifier);
  const auto& spec = sub->timers[index];
  auto& timer = *timers_[identifier][index];
  timer.expires_after(spec.every);
  timer.async_wait([self = shared_from_this(), identifier, generation,
                    index](beast::error_code ec) {
    // A timer of an older generation was cancelled or replaced: its
    // subscription's timers are not its own any more.
    if (ec || self->state_ != State::kOpen ||
        !self->subscriptions_.timer_current(identifier, generation)) {
      return;
    }
    // Coalesce: a tick still waiting behind a slow service is enough.
    const auto& action =
        self->subscriptions_.find(identifier)->timers[index].action;
    if (self->commands_.PushPeriodic(identifier, action)) {
      self->PumpCommands();
    }
    // (The tick may have changed the timers: re-arm only the current.)
    if (self->subscriptions_.timer_current(identifier, generation)) {
      self->ArmTimer(identifier, generation, index);
    }
  });
}

void Session::RemoveSubscription(const std::string& identifier) {
  timers_.erase(identifier);
  LeaveStreams(identifier, subscriptions_.Remove(identifier));
}

void Session::ReleaseHeld(SubscriptionSet::Subscription& sub,
                          std::optional<std::uint64_t> after_revision) {
  for (auto& frame : sub.gate.Release(after_revision)) Send(std::move(frame));
}

void Session::LeaveStreams(const std::string& identifier,
                           const std::vector<std::string>& streams) {
  for (const auto& s : streams) context_.hub.Unsubscribe(s, identifier, this);
}

void Session::DeliverPositioned(SharedFrame frame, absl::string_view identifier,
                                absl::string_view stream,
                                absl::string_view epoch, std::uint64_t offset) {
  context_.metrics.broadcasts_received.Increment();
  net::post(
      socket_.get_executor(),
      [self = shared_from_this(), frame = std::move(frame),
       identifier = std::string(identifier), stream = std::string(stream),
       epoch = std::string(epoch), offset]() mutable {
        if (self->state_ != State::kOpen) return;
        auto* sub = self->subscriptions_.find(identifier);
        if (sub == nullptr) return;  // left meanwhile
        if (!sub->history) sub->history = std::make_unique<HistoryGate>();
        switch (sub->history->Offer(stream, epoch, offset, frame,
                                    self->context_.options.max_queue_frames)) {
          case HistoryGate::Verdict::kSend:
            self->Send(std::move(frame));
            return;
          case HistoryGate::Verdict::kOverflow:
            self->DisconnectSlow();
            return;
          case HistoryGate::Verdict::kHeld:
          case HistoryGate::Verdict::kDuplicate:
            return;
        }
      });
}

void Session::DeliverState(SharedFrame frame, absl::string_view identifier,
                           std::uint64_t revision, bool ends_commit) {
  context_.metrics.broadcasts_received.Increment();
  net::post(
      socket_.get_executor(),
      [self = shared_from_this(), frame = std::move(frame),
       identifier = std::string(identifier), revision, ends_commit]() mutable {
        if (self->state_ != State::kOpen) return;
        auto* sub = self->subscriptions_.find(identifier);
        if (sub == nullptr) return;  // left meanwhile
        StateGate::Update update{frame, revision, ends_commit};
        switch (sub->gate.Offer(std::move(update),
                                self->context_.options.max_queue_frames)) {
          case StateGate::Verdict::kSend:
            self->Send(std::move(frame));
            return;
          case StateGate::Verdict::kOverflow:
            self->DisconnectSlow();
            return;
          case StateGate::Verdict::kHeld:
          case StateGate::Verdict::kCovered:
            return;
        }
      });
}

}  // namespace cable::gateway
