#include "cable/jetstream_client.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <exception>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cable/json_fields.h"
#include "jetstream_messages.h"
#include "nlohmann/json.hpp"

namespace cable {
namespace {

using Json = nlohmann::json;
using jetstream_messages::ApiError;
using jetstream_messages::MsgData;
using jetstream_messages::NoResponders;
using jetstream_messages::ParseJson;
using jetstream_messages::ReplyStatus;

// Requests in flight per call: bounds what one call queues in nats.c and
// in the server.
constexpr std::size_t kWindow = 256;
// How long the destructor waits for nats.c to finish with the
// subscriptions and the connection.
constexpr absl::Duration kCloseWait = absl::Seconds(10);
}  // namespace

// One call: reply slots filled by the reply subscription, and for a
// listing the deliveries of its consumer.
struct JetStreamClient::Call {
  absl::Mutex mu;
  std::vector<NatsMsgPtr> replies ABSL_GUARDED_BY(mu);
  std::size_t missing ABSL_GUARDED_BY(mu) = 0;
  std::vector<NatsMsgPtr> deliveries ABSL_GUARDED_BY(mu);
  // A delivery said nothing is pending after it, or met a stop of the
  // listing's options.
  bool delivered_all ABSL_GUARDED_BY(mu) = false;
  // A listing's stops (ListOptions); set before its consumer exists.
  std::uint64_t stop_at_seq ABSL_GUARDED_BY(mu) = 0;
  std::size_t max_msgs ABSL_GUARDED_BY(mu) = 0;
};

absl::StatusOr<std::unique_ptr<JetStreamClient>> JetStreamClient::Connect(
    const Options& options) {
  std::unique_ptr<JetStreamClient> client(new JetStreamClient());
  client->name_ = options.name;
  client->request_timeout_ = options.request_timeout;
  const std::int64_t timeout_ms = std::max<std::int64_t>(
      1, absl::ToInt64Milliseconds(options.request_timeout));
  NatsConnectionOptions c;
  c.url = options.url;
  c.name = options.name;
  c.security = options.security;
  c.connect_timeout = std::chrono::milliseconds(timeout_ms);
  // A steady 250 ms between reconnect rounds, forever; no background
  // connect: the state store needs the server at start-up.
  c.reconnect_wait = std::chrono::milliseconds(250);
  c.max_reconnect_wait = c.reconnect_wait;
  c.reconnect_jitter = std::chrono::milliseconds(0);
  c.max_reconnect = -1;
  c.retry_on_failed_connect = false;
  absl::StatusOr<std::unique_ptr<NatsConnection>> connection =
      NatsConnection::Connect(c);
  if (!connection.ok()) return connection.status();
  client->connection_ = *std::move(connection);
  client->nc_ = client->connection_->Get();
  natsStatus s = NATS_OK;

  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = timeout_ms;
  s = natsConnection_JetStream(&client->js_, client->nc_, &jo);
  if (s != NATS_OK) return FromNatsStatus(s, "JetStream context");

  natsInbox* inbox = nullptr;
  if (s = natsInbox_Create(&inbox); s != NATS_OK) {
    return FromNatsStatus(s, "inbox");
  }
  client->inbox_ = inbox;
  natsInbox_Destroy(inbox);
  const std::string replies = absl::StrCat(client->inbox_, ".r.>");
  s = natsConnection_Subscribe(&client->reply_sub_, client->nc_,
                               replies.c_str(), &JetStreamClient::OnReply,
                               client.get());
  if (s == NATS_OK) {
    s = natsSubscription_SetOnCompleteCB(
        client->reply_sub_, &JetStreamClient::OnComplete, client.get());
  }
  // Push consumers deliver only to a subscription on their literal deliver
  // subject (a wildcard's interest does not count), hence a second one.
  const std::string deliveries = absl::StrCat(client->inbox_, ".d");
  if (s == NATS_OK) {
    s = natsConnection_Subscribe(&client->delivery_sub_, client->nc_,
                                 deliveries.c_str(),
                                 &JetStreamClient::OnDelivery, client.get());
  }
  if (s == NATS_OK) {
    s = natsSubscription_SetOnCompleteCB(
        client->delivery_sub_, &JetStreamClient::OnComplete, client.get());
  }
  // Room for a few windows of large chunks behind a slow callback; a drop
  // would only time a call out, but better not.
  for (natsSubscription* sub : {client->reply_sub_, client->delivery_sub_}) {
    if (s == NATS_OK && sub != nullptr) {
      s = natsSubscription_SetPendingLimits(sub, 1 << 20, INT_MAX);
    }
  }
  if (s == NATS_OK) s = natsConnection_FlushTimeout(client->nc_, timeout_ms);
  if (s != NATS_OK) return FromNatsStatus(s, "subscribe to the inbox");
  return client;
}

JetStreamClient::~JetStreamClient() {
  if (connection_ == nullptr) return;
  if (js_ != nullptr) jsCtx_Destroy(js_);
  // Closing ends the subscriptions; their completion callbacks say when
  // nats.c no longer calls into `this` (Close waits for the connection's
  // closed callback).
  connection_->Close();
  const int subs = (reply_sub_ != nullptr) + (delivery_sub_ != nullptr);
  {
    absl::MutexLock lock(&mu_);
    auto done = [this, subs]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return completed_subs_ == subs;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&done), kCloseWait)) {
      spdlog::error("nats {}: subscriptions not closed in time", name_);
    }
  }
  if (reply_sub_ != nullptr) natsSubscription_Destroy(reply_sub_);
  if (delivery_sub_ != nullptr) natsSubscription_Destroy(delivery_sub_);
  connection_.reset();
}

std::int64_t JetStreamClient::FlushTimeoutMs() const {
  return std::max<std::int64_t>(1, absl::ToInt64Milliseconds(request_timeout_));
}

std::int64_t JetStreamClient::max_payload() const {
  return natsConnection_GetMaxPayload(nc_);
}

void JetStreamClient::OnComplete(void* closure) {
  auto* self = static_cast<JetStreamClient*>(closure);
  absl::MutexLock lock(&self->mu_);
  ++self->completed_subs_;
}

void JetStreamClient::OnReply(natsConnection*, natsSubscription*, natsMsg* raw,
                              void* closure) {
  NatsMsgPtr msg(raw);
  auto* self = static_cast<JetStreamClient*>(closure);
  // <inbox>.r.<call>.<slot>
  absl::string_view subject = natsMsg_GetSubject(raw);
  const std::size_t prefix = self->inbox_.size() + 3;
  if (subject.size() <= prefix) return;
  subject.remove_prefix(prefix);
  const std::size_t dot = subject.find('.');
  std::uint64_t call_id = 0;
  std::size_t slot = 0;
  if (dot == absl::string_view::npos ||
      !absl::SimpleAtoi(subject.substr(0, dot), &call_id) ||
      !absl::SimpleAtoi(subject.substr(dot + 1), &slot)) {
    return;
  }
  std::shared_ptr<Call> call;
  {
    absl::MutexLock lock(&self->mu_);
    auto it = self->calls_.find(call_id);
    if (it == self->calls_.end()) return;  // Late: the call gave up.
    call = it->second;
  }
  absl::MutexLock lock(&call->mu);
  if (slot < call->replies.size() && call->replies[slot] == nullptr) {
    call->replies[slot] = std::move(msg);
    --call->missing;
  }
}

void JetStreamClient::OnDelivery(natsConnection*, natsSubscription*,
                                 natsMsg* raw, void* closure) {
  NatsMsgPtr msg(raw);
  auto* self = static_cast<JetStreamClient*>(closure);
  // $JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>,
  // or with <domain>.<account hash> before <stream> (and a token after).
  const char* reply = natsMsg_GetReply(raw);
  if (reply == nullptr) return;
  std::vector<absl::string_view> tokens = absl::StrSplit(reply, '.');
  if (tokens.size() < 9 || tokens[0] != "$JS" || tokens[1] != "ACK") return;
  const std::size_t base = tokens.size() == 9 ? 2 : 4;
  if (base + 6 >= tokens.size()) return;
  const std::string consumer(tokens[base + 1]);
  std::uint64_t seq = 0;
  std::uint64_t pending = 0;
  if (!absl::SimpleAtoi(tokens[base + 3], &seq) ||
      !absl::SimpleAtoi(tokens[base + 6], &pending)) {
    return;
  }
  std::shared_ptr<Call> call;
  {
    absl::MutexLock lock(&self->mu_);
    auto it = self->consumers_.find(consumer);
    if (it == self->consumers_.end()) return;
    call = it->second;
  }
  absl::MutexLock lock(&call->mu);
  if (call->delivered_all) return;  // Past a stop: not wanted.
  call->deliveries.push_back(std::move(msg));
  if (pending == 0 || (call->stop_at_seq != 0 && seq >= call->stop_at_seq) ||
      (call->max_msgs != 0 && call->deliveries.size() >= call->max_msgs)) {
    call->delivered_all = true;
  }
}

std::pair<std::uint64_t, std::shared_ptr<JetStreamClient::Call>>
JetStreamClient::NewCall(std::size_t replies) {
  auto call = std::make_shared<Call>();
  {
    absl::MutexLock lock(&call->mu);
    call->replies.resize(replies);
    call->missing = replies;
  }
  absl::MutexLock lock(&mu_);
  const std::uint64_t id = next_call_++;
  calls_.emplace(id, call);
  return {id, std::move(call)};
}

void JetStreamClient::EndCall(std::uint64_t id) {
  absl::MutexLock lock(&mu_);
  calls_.erase(id);
}

absl::Status JetStreamClient::SendOne(const JsRequest& request,
                                      const std::string& reply) {
  natsMsg* raw = nullptr;
  natsStatus s = natsMsg_Create(
      &raw, request.subject.c_str(), reply.empty() ? nullptr : reply.c_str(),
      request.data.data(), static_cast<int>(request.data.size()));
  NatsMsgPtr msg(raw);
  for (const auto& [key, value] : request.headers) {
    if (s == NATS_OK) s = natsMsgHeader_Set(raw, key.c_str(), value.c_str());
  }
  if (s == NATS_OK) s = natsConnection_PublishMsg(nc_, raw);
  return FromNatsStatus(s, absl::StrCat("publish to ", request.subject));
}

absl::StatusOr<std::vector<NatsMsgPtr>> JetStreamClient::Batch(
    absl::Span<const JsRequest> requests) {
  std::vector<NatsMsgPtr> replies;
  replies.reserve(requests.size());
  for (std::size_t start = 0; start < requests.size(); start += kWindow) {
    absl::StatusOr<std::vector<NatsMsgPtr>> window =
        BatchWindow(requests.subspan(start, kWindow));
    if (!window.ok()) return window.status();
    for (NatsMsgPtr& m : *window) replies.push_back(std::move(m));
  }
  return replies;
}

absl::StatusOr<std::vector<NatsMsgPtr>> JetStreamClient::BatchWindow(
    absl::Span<const JsRequest> requests) {
  if (requests.size() == 1) {
    // nats.c's own request path hands the reply over from its read loop
    // directly, one thread hop fewer than the demultiplexer.
    const JsRequest& r = requests[0];
    natsMsg* raw = nullptr;
    natsStatus s =
        natsMsg_Create(&raw, r.subject.c_str(), nullptr, r.data.data(),
                       static_cast<int>(r.data.size()));
    NatsMsgPtr msg(raw);
    for (const auto& [key, value] : r.headers) {
      if (s == NATS_OK) s = natsMsgHeader_Set(raw, key.c_str(), value.c_str());
    }
    natsMsg* reply = nullptr;
    if (s == NATS_OK) {
      s = natsConnection_RequestMsg(&reply, nc_, raw, FlushTimeoutMs());
    }
    if (s != NATS_OK) {
      return FromNatsStatus(s, absl::StrCat("request to ", r.subject));
    }
    std::vector<NatsMsgPtr> replies;
    replies.emplace_back(reply);
    return replies;
  }
  auto [id, call] = NewCall(requests.size());
  const std::string prefix = absl::StrCat(inbox_, ".r.", id, ".");
  for (std::size_t i = 0; i < requests.size(); ++i) {
    if (absl::Status s = SendOne(requests[i], absl::StrCat(prefix, i));
        !s.ok()) {
      EndCall(id);
      return s;
    }
  }
  // Without a flush nats.c's flusher thread sends the batch up to a
  // millisecond later; the PONG comes back with the replies anyway.
  (void)natsConnection_FlushTimeout(nc_, FlushTimeoutMs());
  std::vector<NatsMsgPtr> replies;
  bool complete;
  {
    absl::MutexLock lock(&call->mu);
    auto done = [c = call.get()]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(call->mu) {
      return c->missing == 0;
    };
    complete =
        call->mu.AwaitWithTimeout(absl::Condition(&done), request_timeout_);
    replies.swap(call->replies);
  }
  EndCall(id);
  if (!complete) {
    const bool connected =
        natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
    const std::string message =
        absl::StrCat("nats ", name_, ": no reply from JetStream within ",
                     absl::FormatDuration(request_timeout_),
                     " (first request to ", requests.front().subject, ")");
    return connected ? absl::DeadlineExceededError(message)
                     : absl::UnavailableError(
                           absl::StrCat(message, "; disconnected"));
  }
  return replies;
}

void JetStreamClient::Send(absl::Span<const JsRequest> requests) {
  for (const JsRequest& r : requests) {
    if (absl::Status s = SendOne(r, ""); !s.ok()) {
      spdlog::warn("nats {}: {}", name_, std::string(s.message()));
    }
  }
}

absl::StatusOr<std::vector<StoredMsg>> JetStreamClient::LastPerSubject(
    const std::string& stream, const std::string& filter, bool headers_only) {
  ListOptions options;
  options.filter = filter;
  options.start = ListOptions::Start::kLastPerSubject;
  options.headers_only = headers_only;
  return List(stream, options);
}

absl::StatusOr<std::vector<StoredMsg>> JetStreamClient::List(
    const std::string& stream, const ListOptions& options) {
  auto [id, call] = NewCall(1);
  {
    absl::MutexLock lock(&call->mu);
    call->stop_at_seq = options.stop_at_seq;
    call->max_msgs = options.max_msgs;
  }
  const std::string consumer =
      absl::StrCat(inbox_.substr(inbox_.rfind('.') + 1), "_", id);
  {
    absl::MutexLock lock(&mu_);
    consumers_.emplace(consumer, call);
  }
  auto end = [&, id = id] {
    {
      absl::MutexLock lock(&mu_);
      consumers_.erase(consumer);
    }
    EndCall(id);
  };
  Json config = {
      {"name", consumer},
      {"deliver_subject", absl::StrCat(inbox_, ".d")},
      {"ack_policy", "none"},
      {"filter_subject", options.filter},
      {"headers_only", options.headers_only},
      {"mem_storage", true},
      {"num_replicas", 1},
      // Cleans up after a crash between create and delete.
      {"inactive_threshold", absl::ToInt64Nanoseconds(absl::Minutes(1))}};
  switch (options.start) {
    case ListOptions::Start::kAll:
      config["deliver_policy"] = "all";
      break;
    case ListOptions::Start::kLastPerSubject:
      config["deliver_policy"] = "last_per_subject";
      break;
    case ListOptions::Start::kSequence:
      config["deliver_policy"] = "by_start_sequence";
      config["opt_start_seq"] = std::max<std::uint64_t>(1, options.start_seq);
      break;
    case ListOptions::Start::kTime:
      config["deliver_policy"] = "by_start_time";
      config["opt_start_time"] = absl::FormatTime(
          absl::RFC3339_full, options.start_time, absl::UTCTimeZone());
      break;
  }
  JsRequest create{
      absl::StrCat("$JS.API.CONSUMER.CREATE.", stream, ".", consumer),
      Json{{"stream_name", stream}, {"config", config}}.dump(),
      {}};
  if (absl::Status s = SendOne(create, absl::StrCat(inbox_, ".r.", id, ".0"));
      !s.ok()) {
    end();
    return s;
  }
  (void)natsConnection_FlushTimeout(nc_, FlushTimeoutMs());
  const absl::Time deadline = absl::Now() + request_timeout_;
  NatsMsgPtr reply;
  {
    absl::MutexLock lock(&call->mu);
    auto replied = [c = call.get()]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(call->mu) {
      return c->missing == 0;
    };
    call->mu.AwaitWithDeadline(absl::Condition(&replied), deadline);
    reply = std::move(call->replies[0]);
  }
  if (reply == nullptr) {
    end();
    return absl::DeadlineExceededError(absl::StrCat(
        "nats ", name_, ": no reply creating a consumer on ", stream));
  }
  if (ReplyStatus(reply.get()) == "503") {
    end();
    return NoResponders(absl::StrCat("consumer on ", stream));
  }
  const Json info = ParseJson(MsgData(reply.get()));
  if (absl::Status s = ApiError(info, absl::StrCat("consumer on ", stream));
      !s.ok()) {
    end();
    return s;
  }
  std::uint64_t pending = 0;
  std::uint64_t delivered = 0;
  // A reply without the fields: treated as an empty stream.
  pending = json_fields::Unsigned(info, "num_pending").value_or(0);
  if (const Json* d = json_fields::Field(info, "delivered")) {
    delivered = json_fields::Unsigned(*d, "consumer_seq").value_or(0);
  }
  std::vector<NatsMsgPtr> raw;
  bool complete = true;
  if (pending > 0 || delivered > 0) {
    absl::MutexLock lock(&call->mu);
    auto done = [c = call.get()]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(call->mu) {
      return c->delivered_all;
    };
    complete = call->mu.AwaitWithDeadline(absl::Condition(&done), deadline);
    raw.swap(call->deliveries);
  }
  Send({JsRequest{
      absl::StrCat("$JS.API.CONSUMER.DELETE.", stream, ".", consumer),
      "",
      {}}});
  end();
  if (!complete) {
    return absl::DeadlineExceededError(
        absl::StrCat("nats ", name_, ": listing ", options.filter, " in ",
                     stream, " did not finish in time"));
  }
  std::vector<StoredMsg> out;
  out.reserve(raw.size());
  for (NatsMsgPtr& m : raw) {
    StoredMsg stored;
    stored.subject = natsMsg_GetSubject(m.get());
    std::vector<absl::string_view> tokens =
        absl::StrSplit(natsMsg_GetReply(m.get()), '.');
    const std::size_t base = tokens.size() == 9 ? 2 : 4;
    std::int64_t ns = 0;
    (void)absl::SimpleAtoi(tokens[base + 3], &stored.seq);
    (void)absl::SimpleAtoi(tokens[base + 5], &ns);
    stored.time = absl::FromUnixNanos(ns);
    stored.msg = std::move(m);
    out.push_back(std::move(stored));
  }
  return out;
}

absl::Status JetStreamClient::EnsureStream(jsStreamConfig config,
                                           bool update_existing,
                                           absl::string_view what) {
  jsStreamInfo* info = nullptr;
  jsErrCode error = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&info, js_, &config, nullptr, &error);
  if (s != NATS_OK && error == kJsStreamSubjectOverlap) {
    // Processes starting at once: the server may say the subjects overlap
    // while another's create of this very stream is under way. Ours if
    // the name exists now (then as "in use"); another stream's if not.
    jsStreamInfo* existing = nullptr;
    jsErrCode info_error = static_cast<jsErrCode>(0);
    if (js_GetStreamInfo(&existing, js_, config.Name, nullptr, &info_error) ==
        NATS_OK) {
      error = static_cast<jsErrCode>(kJsStreamNameInUse);
    }
    if (existing != nullptr) jsStreamInfo_Destroy(existing);
  }
  if (s != NATS_OK && error == kJsStreamNameInUse) {
    if (update_existing) {
      error = static_cast<jsErrCode>(0);
      s = js_UpdateStream(&info, js_, &config, nullptr, &error);
    } else {
      s = NATS_OK;
    }
  }
  if (info != nullptr) jsStreamInfo_Destroy(info);
  if (s == NATS_NO_RESPONDERS || error == kJsNotEnabled ||
      error == kJsNotEnabledForAccount) {
    return absl::FailedPreconditionError(
        absl::StrCat(what,
                     ": JetStream is not enabled on the NATS server "
                     "(start it with -js)"));
  }
  return FromNatsStatus(s, what);
}

}  // namespace cable
