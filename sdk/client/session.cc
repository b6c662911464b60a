// The connection-level half of sdk/js/cable-state.js's CableState (welcome,
// disconnect, replies, dropping a socket), plus Action Cable subscriptions
// as @rails/actioncable handles them.

#include "session.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "json_fields.h"
#include "request_status.h"

namespace cable::client_internal {
namespace {

using nlohmann::json;

// Runs a user callback; an exception escaping it ends the program (the
// header says so) rather than unwinding through the I/O loop.
void RunUserCallback(const std::function<void()>& callback) noexcept {
  callback();
}

template <class T>
void Erase(std::vector<std::shared_ptr<T>>& records, const T& record) {
  records.erase(std::remove_if(records.begin(), records.end(),
                               [&](const std::shared_ptr<T>& r) {
                                 return r.get() == &record;
                               }),
                records.end());
}

json Frame(absl::string_view command, const std::string& identifier) {
  return {{"command", command}, {"identifier", identifier}};
}

}  // namespace

Session::Session(Options options) : options_(std::move(options)) {}

void Session::SetWake(std::function<void()> wake) {
  absl::MutexLock lock(&mu_);
  wake_ = std::move(wake);
}

// ---- transport side ----

void Session::OnConnecting() {
  absl::MutexLock lock(&mu_);
  if (!shut_down_) SetStatus(ConnectionStatus::kConnecting);
}

void Session::OnFrame(absl::string_view text) {
  json frame = json::parse(text.begin(), text.end(), nullptr, false);
  if (frame.is_discarded() || !frame.is_object()) return;
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  const std::string type = StringField(frame, "type");
  if (type == "welcome") {
    OnWelcome();
    return;
  }
  if (type == "ping") return;
  if (type == "disconnect") {
    // The close follows; reconnect: false means do not come back.
    auto reconnect = frame.find("reconnect");
    DisconnectInfo info{StringField(frame, "reason"),
                        !(reconnect != frame.end() && reconnect->is_boolean() &&
                          !reconnect->get<bool>())};
    if (!info.reconnect) closed_ = true;
    if (options_.on_disconnect) {
      callbacks_.push_back(
          [this, info = std::move(info)] { options_.on_disconnect(info); });
    }
    return;
  }
  if (type == "reply") {
    OnReply(frame);
    return;
  }
  const std::string identifier = StringField(frame, "identifier");
  for (const auto& channel : channels_) {
    if (channel->identifier != identifier) continue;
    Effects effects;
    if (type == "reject_subscription") {
      FailRequests(&identifier,
                   absl::FailedPreconditionError(absl::StrCat(
                       "joining \"", channel->name, "\" was refused")));
      channel->OnRejected(effects);
    } else {
      channel->OnFrame(frame, effects);
    }
    Apply(effects);
    return;
  }
  for (const auto& subscription : subscriptions_) {
    if (subscription->identifier == identifier) {
      // A copy: a rejection removes it from the list.
      OnSubscriptionFrame(std::shared_ptr(subscription), frame);
      return;
    }
  }
}

// The connection is up: subscribe and join, then send what waited. Commands
// run in order on the server, so they see the join done.
void Session::OnWelcome() {
  connected_ = true;
  SetStatus(ConnectionStatus::kConnected);
  for (const auto& subscription : subscriptions_) {
    Send(Frame("subscribe", subscription->identifier));
    subscription->subscribe_sent = true;
    for (const json& frame : subscription->queue) Send(frame);
    subscription->queue.clear();
  }
  for (const auto& channel : channels_) {
    Send(channel->Join());
    std::deque<QueuedCommand> queued = std::move(channel->queue);
    channel->queue.clear();
    for (QueuedCommand& command : queued) {
      Dispatch(std::move(command.frame), std::move(command.request));
    }
  }
}

void Session::OnReply(const json& frame) {
  const std::optional<std::uint64_t> id = U64Field(frame, "id");
  if (!id) return;
  auto it = requests_.find(*id);
  if (it == requests_.end() ||
      it->second.identifier != StringField(frame, "identifier")) {
    return;
  }
  PendingRequest request = std::move(it->second);
  requests_.erase(it);
  if (StringField(frame, "status") == "success") {
    request.promise.set_value(frame.value("data", json()));
  } else {
    request.promise.set_value(RequestFailure(frame.value("error", json())));
  }
}

void Session::OnSubscriptionFrame(std::shared_ptr<SubscriptionRecord> self,
                                  const json& frame) {
  SubscriptionRecord& subscription = *self;
  const auto callbacks = subscription.callbacks;
  // Callbacks hold the record so that its flag outlives an unsubscribe.
  auto emit = [&](std::function<void()> call) {
    callbacks_.push_back([self, call = std::move(call)] {
      if (!self->unsubscribed) call();
    });
  };
  const std::string type = StringField(frame, "type");
  if (type == "confirm_subscription") {
    subscription.confirmed = true;
    if (callbacks->connected) emit([callbacks] { callbacks->connected(); });
  } else if (type == "reject_subscription") {
    // Gone for good, as in the Rails client.
    subscription.rejected = true;
    subscription.subscribe_sent = false;
    subscription.confirmed = false;
    subscription.queue.clear();
    Erase(subscriptions_, subscription);
    if (callbacks->rejected) emit([callbacks] { callbacks->rejected(); });
  } else if (type.empty() && frame.contains("message") && callbacks->received) {
    emit([callbacks, message = frame["message"]] {
      callbacks->received(message);
    });
  }
}

void Session::OnConnectionLost() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;  // Close() already dropped everything.
  DropConnection(
      RequestOutcomeUnknown("the connection was lost before the reply"));
  if (closed_) EndRecords();
}

void Session::DropConnection(absl::Status in_flight_error) {
  connected_ = false;
  outbox_.clear();
  for (const auto& channel : channels_) channel->OnDisconnected();
  for (const auto& subscription : subscriptions_) {
    subscription->subscribe_sent = false;
    if (!subscription->confirmed) continue;
    subscription->confirmed = false;
    if (const auto callbacks = subscription->callbacks;
        callbacks && callbacks->disconnected) {
      callbacks_.push_back([self = subscription, callbacks] {
        if (!self->unsubscribed) callbacks->disconnected();
      });
    }
  }
  // Replies to requests sent on this socket will never come.
  FailRequests(nullptr, in_flight_error);
  SetStatus(ConnectionStatus::kDisconnected);
}

std::vector<std::string> Session::TakeOutgoing() {
  absl::MutexLock lock(&mu_);
  return std::exchange(outbox_, {});
}

void Session::RunCallbacks() {
  for (;;) {
    std::function<void()> callback;
    {
      absl::MutexLock lock(&mu_);
      if (callbacks_.empty()) return;
      callback = std::move(callbacks_.front());
      callbacks_.pop_front();
    }
    RunUserCallback(callback);
  }
}

bool Session::connected() const {
  absl::MutexLock lock(&mu_);
  return connected_;
}

bool Session::closed() const {
  absl::MutexLock lock(&mu_);
  return closed_;
}

ConnectionStatus Session::status() const {
  absl::MutexLock lock(&mu_);
  return status_;
}

// ---- Action Cable subscriptions ----

absl::StatusOr<std::shared_ptr<SubscriptionRecord>> Session::Subscribe(
    std::string identifier, SubscriptionCallbacks callbacks) {
  const json parsed = json::parse(identifier, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("channel") ||
      !parsed["channel"].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "identifier must be a JSON object with a string \"channel\": ",
        identifier));
  }
  absl::MutexLock lock(&mu_);
  if (absl::Status allowed = CommandsAllowed(); !allowed.ok()) return allowed;
  if (IdentifierInUse(identifier)) {
    return absl::AlreadyExistsError(
        absl::StrCat("already subscribed or joined: ", identifier));
  }
  auto record = std::make_shared<SubscriptionRecord>(std::move(identifier),
                                                     std::move(callbacks));
  subscriptions_.push_back(record);
  if (connected_) {
    Send(Frame("subscribe", record->identifier));
    record->subscribe_sent = true;
    Wake();
  }
  return record;
}

absl::Status Session::Perform(SubscriptionRecord& subscription,
                              absl::string_view action, json data) {
  if (!data.is_null() && !data.is_object()) {
    return absl::InvalidArgumentError("perform's data must be a JSON object");
  }
  if (data.is_null()) data = json::object();
  data["action"] = action;
  json frame = Frame("message", subscription.identifier);
  frame["data"] = data.dump();
  absl::MutexLock lock(&mu_);
  if (subscription.unsubscribed) {
    return absl::FailedPreconditionError("the subscription was unsubscribed");
  }
  if (subscription.rejected) {
    return absl::FailedPreconditionError(
        "the server rejected the subscription");
  }
  if (absl::Status allowed = CommandsAllowed(); !allowed.ok()) return allowed;
  if (subscription.subscribe_sent) {
    Send(frame);
    Wake();
    return absl::OkStatus();
  }
  if (subscription.queue.size() >= options_.max_queued_commands) {
    return absl::ResourceExhaustedError(
        absl::StrCat("more than ", options_.max_queued_commands,
                     " commands wait for the connection"));
  }
  subscription.queue.push_back(std::move(frame));
  return absl::OkStatus();
}

void Session::Unsubscribe(SubscriptionRecord& subscription) {
  absl::MutexLock lock(&mu_);
  if (subscription.unsubscribed.exchange(true)) return;
  if (subscription.subscribe_sent) {
    Send(Frame("unsubscribe", subscription.identifier));
    Wake();
  }
  subscription.subscribe_sent = false;
  subscription.confirmed = false;
  subscription.queue.clear();
  subscription.callbacks.reset();
  Erase(subscriptions_, subscription);
}

bool Session::Confirmed(const SubscriptionRecord& subscription) const {
  absl::MutexLock lock(&mu_);
  return subscription.confirmed;
}

// ---- stateful channels ----

absl::StatusOr<std::shared_ptr<ChannelRecord>> Session::Join(
    const std::string& name, JoinOptions options) {
  if (name.empty()) return absl::InvalidArgumentError("empty channel name");
  absl::MutexLock lock(&mu_);
  if (absl::Status allowed = CommandsAllowed(); !allowed.ok()) return allowed;
  // A second join of a name is a second subscription: its identifier
  // carries a "join" number.
  std::string identifier = json{{"channel", name}}.dump();
  for (int n = 2; IdentifierInUse(identifier); ++n) {
    identifier = json{{"channel", name}, {"join", n}}.dump();
  }
  auto record = std::make_shared<ChannelRecord>(name, std::move(identifier),
                                                std::move(options));
  channels_.push_back(record);
  if (connected_) {
    Send(record->Join());
    Wake();
  }
  return record;
}

absl::Status Session::DoAction(ChannelRecord& channel, absl::string_view action,
                               json payload) {
  json frame = Frame("message", channel.identifier);
  frame["data"] =
      json{{"action", action}, {"payload", std::move(payload)}}.dump();
  absl::MutexLock lock(&mu_);
  return Command(channel, std::move(frame), std::nullopt);
}

std::future<RequestResult> Session::DoRequest(ChannelRecord& channel,
                                              absl::string_view request,
                                              json payload) {
  absl::MutexLock lock(&mu_);
  const std::uint64_t id = next_request_id_++;
  json frame = Frame("request", channel.identifier);
  frame["data"] =
      json{{"id", id}, {"request", request}, {"payload", std::move(payload)}}
          .dump();
  std::optional<PendingRequest> pending(
      PendingRequest{id, channel.identifier, std::string(request), {}});
  std::future<RequestResult> result = pending->promise.get_future();
  absl::Status status = Command(channel, std::move(frame), std::move(pending));
  // On an error the request was not taken.
  if (!status.ok()) pending->promise.set_value(status);
  return result;
}

absl::Status Session::Command(ChannelRecord& channel, json frame,
                              std::optional<PendingRequest>&& request) {
  if (channel.left) {
    return absl::FailedPreconditionError(
        absl::StrCat("channel \"", channel.name, "\" was left"));
  }
  if (absl::Status allowed = CommandsAllowed(); !allowed.ok()) return allowed;
  if (channel.join_sent) {
    Dispatch(std::move(frame), std::move(request));
    Wake();
    return absl::OkStatus();
  }
  if (channel.queue.size() >= options_.max_queued_commands) {
    return absl::ResourceExhaustedError(
        absl::StrCat("more than ", options_.max_queued_commands,
                     " commands wait for the connection"));
  }
  channel.queue.push_back({std::move(frame), std::move(request)});
  return absl::OkStatus();
}

void Session::Dispatch(json frame, std::optional<PendingRequest> request) {
  if (request) {
    const std::uint64_t id = request->id;
    requests_.emplace(id, std::move(*request));
  }
  Send(frame);
}

void Session::Leave(ChannelRecord& channel) {
  absl::MutexLock lock(&mu_);
  if (channel.left.exchange(true)) return;
  if (channel.join_sent) {
    Send(Frame("leave", channel.identifier));
    Wake();
  }
  channel.joined = false;
  channel.join_sent = false;
  for (QueuedCommand& command : channel.queue) {
    if (!command.request) continue;
    command.request->promise.set_value(
        RequestNotSent(absl::StrCat("left channel \"", channel.name, "\"")));
  }
  channel.queue.clear();
  channel.handlers.reset();
  Erase(channels_, channel);
}

Session::ChannelView Session::View(const ChannelRecord& channel,
                                   bool with_state) const {
  absl::MutexLock lock(&mu_);
  ChannelView view;
  if (with_state) view.state = channel.state;
  view.revision = channel.revision.value_or(0);
  view.last_event_id = channel.last_event_id;
  view.joined = channel.joined;
  return view;
}

// ---- closing ----

void Session::Close() {
  absl::MutexLock lock(&mu_);
  if (shut_down_) return;
  closed_ = true;
  shut_down_ = true;
  DropConnection(
      RequestOutcomeUnknown("the client was closed before the reply"));
  EndRecords();
  Wake();
}

void Session::EndRecords() {
  for (const auto& channel : channels_) {
    channel->left = true;
    for (QueuedCommand& command : channel->queue) {
      if (!command.request) continue;
      command.request->promise.set_value(
          RequestNotSent("the client was closed"));
    }
    channel->queue.clear();
    channel->handlers.reset();
  }
  for (const auto& subscription : subscriptions_) {
    subscription->unsubscribed = true;
    subscription->queue.clear();
    subscription->callbacks.reset();
  }
  channels_.clear();
  subscriptions_.clear();
}

// ---- helpers ----

void Session::Apply(Effects& effects) {
  for (const json& frame : effects.frames) Send(frame);
  for (auto& call : effects.calls) callbacks_.push_back(std::move(call));
}

void Session::Send(const json& frame) {
  if (connected_) outbox_.push_back(frame.dump());
}

void Session::Wake() {
  if (wake_) wake_();
}

void Session::SetStatus(ConnectionStatus status) {
  if (status_ == status) return;
  status_ = status;
  if (options_.on_connection_status) {
    callbacks_.push_back(
        [this, status] { options_.on_connection_status(status); });
  }
}

absl::Status Session::CommandsAllowed() const {
  if (closed_) return absl::FailedPreconditionError("the client is closed");
  return absl::OkStatus();
}

bool Session::IdentifierInUse(const std::string& identifier) const {
  for (const auto& channel : channels_) {
    if (channel->identifier == identifier) return true;
  }
  for (const auto& subscription : subscriptions_) {
    if (subscription->identifier == identifier) return true;
  }
  return false;
}

void Session::FailRequests(const std::string* identifier,
                           const absl::Status& error) {
  for (auto it = requests_.begin(); it != requests_.end();) {
    if (identifier != nullptr && it->second.identifier != *identifier) {
      ++it;
      continue;
    }
    it->second.promise.set_value(error);
    requests_.erase(it++);
  }
}

}  // namespace cable::client_internal
