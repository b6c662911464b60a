#include "cable/service/state_command_handler.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <exception>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cable/command_kind.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/protocol.h"
#include "cable/service/command_handler.h"
#include "cable/service/state_channels.h"

namespace cable::service {
namespace {

using nlohmann::json;

// Subscription state the gateway keeps for a stateful subscription.
constexpr char kNameKey[] = "$state";
constexpr char kLimitKey[] = "$limit";  // backlog of the next sync
constexpr char kAfterKey[] = "$after";  // the client's last event id

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ReplyFrame(absl::string_view identifier, const json& id,
                       const absl::StatusOr<json>& result) {
  if (result.ok()) {
    return absl::StrCat(R"({"identifier":)", protocol::QuoteJson(identifier),
                        R"(,"type":"reply","id":)", Dump(id),
                        R"(,"status":"success","data":)", Dump(*result), "}");
  }
  return absl::StrCat(R"({"identifier":)", protocol::QuoteJson(identifier),
                      R"(,"type":"reply","id":)", Dump(id),
                      R"(,"status":"failure","error":)",
                      protocol::QuoteJson(result.status().message()), "}");
}

// The channel name in a join's identifier: {"channel": "<name>"}.
absl::StatusOr<std::string> ChannelName(absl::string_view identifier) {
  json parsed =
      json::parse(identifier.begin(), identifier.end(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return absl::InvalidArgumentError("identifier is not a JSON object");
  }
  auto it = parsed.find("channel");
  if (it == parsed.end() || !it->is_string() ||
      it->get_ref<const std::string&>().empty()) {
    return absl::InvalidArgumentError(
        "identifier has no \"channel\" naming the stateful channel");
  }
  return it->get<std::string>();
}

// A JSON object from a command's data ("" is an empty object).
absl::StatusOr<json> DataObject(absl::string_view data) {
  if (data.empty()) return json::object();
  json parsed = json::parse(data.begin(), data.end(), nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return absl::InvalidArgumentError("data is not a JSON object");
  }
  return parsed;
}

// An event id sent as a number or a numeric string.
std::optional<std::uint64_t> EventId(const json& value) {
  std::uint64_t id = 0;
  if (value.is_number_unsigned()) return value.get<std::uint64_t>();
  if (value.is_number_integer() && value.get<std::int64_t>() >= 0) {
    return static_cast<std::uint64_t>(value.get<std::int64_t>());
  }
  if (value.is_string() && absl::SimpleAtoi(value.get<std::string>(), &id)) {
    return id;
  }
  return std::nullopt;
}

std::map<std::string, std::string> Identifiers(
    const google::protobuf::Map<std::string, std::string>& in) {
  return {in.begin(), in.end()};
}

class Run final {
 public:
  Run(StateChannels& channels, const internal::v1::CommandRequest& request,
      std::function<void(internal::v1::CommandResponse)> done)
      : channels_(channels),
        request_(request),
        done_(std::move(done)),
        client_(channels, request.sid(), request.gateway_id(),
                Identifiers(request.identifiers())) {}

  void operator()() {
    const internal::v1::CommandKind kind = request_.kind();
    if (kind == internal::v1::COMMAND_KIND_JOIN) return Join();
    auto name = request_.istate().find(kNameKey);
    if (!request_.stateful() || name == request_.istate().end()) {
      return Fail(absl::StrCat(protocol::CommandName(kind),
                               " on a subscription that is not a "
                               "stateful channel"));
    }
    name_ = name->second;
    switch (kind) {
      case internal::v1::COMMAND_KIND_SYNC:
        return Sync();
      case internal::v1::COMMAND_KIND_LEAVE:
      case internal::v1::COMMAND_KIND_UNSUBSCRIBE:
        return Leave();
      case internal::v1::COMMAND_KIND_MESSAGE:
        return Action();
      case internal::v1::COMMAND_KIND_REQUEST:
        return Request();
      default:
        Fail(absl::StrCat(protocol::CommandName(kind),
                          " is not a command for stateful channels"));
    }
  }

 private:
  void Join() {
    auto refuse = [&](internal::v1::Status status, const std::string& why) {
      response_.add_transmissions(protocol::RejectFrame(request_.identifier()));
      RemoveSubscription(response_);
      Finish(status, why);
    };
    absl::StatusOr<std::string> name = ChannelName(request_.identifier());
    if (!name.ok()) {
      return refuse(internal::v1::STATUS_ERROR,
                    std::string(name.status().message()));
    }
    name_ = *name;
    absl::StatusOr<json> data = DataObject(request_.data());
    if (!data.ok()) {
      return refuse(internal::v1::STATUS_ERROR,
                    std::string(data.status().message()));
    }
    const StateChannels::Handlers handlers = channels_.find(name_);
    if (handlers.join == nullptr) {
      return refuse(
          internal::v1::STATUS_FAILURE,
          absl::StrCat("no join handler for channel \"", name_, "\""));
    }
    absl::StatusOr<ChannelRecord> record = channels_.store().Get(name_);
    if (!record.ok()) {
      return refuse(absl::IsNotFound(record.status())
                        ? internal::v1::STATUS_FAILURE
                        : internal::v1::STATUS_ERROR,
                    std::string(record.status().message()));
    }
    std::optional<std::uint64_t> after;
    if (auto it = data->find("last_event_id");
        it != data->end() && !it->is_null()) {
      after = EventId(*it);
      if (!after) {
        return refuse(internal::v1::STATUS_ERROR,
                      "last_event_id must be a non-negative integer");
      }
    }
    JoinAttrs attrs;
    attrs.is_reconnect = after.has_value();
    if (auto it = data->find("is_reconnect");
        it != data->end() && it->is_boolean()) {
      attrs.is_reconnect = it->get<bool>();
    }
    JoinResult decision;
    try {
      decision = (*handlers.join)(name_, client_, attrs);
    } catch (const std::exception& e) {
      decision = absl::InternalError(absl::StrCat("OnJoin threw: ", e.what()));
    }
    if (!decision.ok()) {
      spdlog::warn("OnJoin of channel {}: {}", name_,
                   decision.status().ToString());
      return refuse(internal::v1::STATUS_ERROR,
                    std::string(decision.status().message()));
    }
    if (!decision->has_value()) {
      return refuse(internal::v1::STATUS_FAILURE, "join refused");
    }
    const std::optional<std::uint64_t> limit = (*decision)->limit;
    response_.add_streams(protocol::StateStream(name_));
    response_.set_sync_after_streams(true);
    response_.set_stateful(true);
    response_.set_istate_set(true);
    auto& istate = *response_.mutable_istate();
    istate[kNameKey] = name_;
    istate[kLimitKey] = limit ? absl::StrCat(*limit) : "all";
    if (after) istate[kAfterKey] = absl::StrCat(*after);
    Finish(internal::v1::STATUS_SUCCESS);
  }

  // After the join's stream is live: backlog, then the state.
  void Sync() {
    StateStore& store = channels_.store();
    const auto& istate = request_.istate();
    absl::StatusOr<ChannelRecord> record = store.Get(name_);
    if (!record.ok()) {
      if (istate.contains(kLimitKey)) {
        // The join never completed: the client gets a rejection, and the
        // subscription ends (OnLeave runs, undoing what OnJoin did).
        response_.add_transmissions(
            protocol::RejectFrame(request_.identifier()));
        return Leave();
      }
      return Fail(std::string(record.status().message()));
    }
    if (auto limit_it = istate.find(kLimitKey); limit_it != istate.end()) {
      std::uint64_t after = 0;
      if (auto it = istate.find(kAfterKey); it != istate.end()) {
        (void)absl::SimpleAtoi(it->second, &after);
      }
      std::uint64_t limit = 0;
      const bool all = limit_it->second == "all";
      if (!all) (void)absl::SimpleAtoi(limit_it->second, &limit);
      const std::uint64_t last = record->last_event_id;
      // The backlog ends at the event the state includes; later events
      // come live.
      if (!all && limit < last) after = std::max(after, last - limit);
      std::string events;
      if ((all || limit > 0) && record->keep_events && after < last) {
        absl::StatusOr<std::vector<StoredEvent>> stored =
            store.Events(name_, after, std::nullopt);
        if (!stored.ok()) return Fail(std::string(stored.status().message()));
        for (const StoredEvent& e : *stored) {
          if (e.id > last) break;
          absl::StrAppend(&events, events.empty() ? "" : ",", R"({"id":)", e.id,
                          R"(,"event":)", e.data, "}");
        }
      }
      response_.add_transmissions(absl::StrCat(
          R"({"identifier":)", protocol::QuoteJson(request_.identifier()),
          R"(,"type":"backlog","events":[)", events, "]}"));
      // Later syncs (after a gap) send the state alone.
      response_.set_istate_set(true);
      auto& out = *response_.mutable_istate();
      out = istate;
      out.erase(kLimitKey);
      out.erase(kAfterKey);
    }
    response_.add_transmissions(absl::StrCat(
        R"({"identifier":)", protocol::QuoteJson(request_.identifier()),
        R"(,"type":"state","revision":)", record->revision,
        R"(,"last_event_id":)", record->last_event_id, R"(,"state":)",
        record->state, "}"));
    response_.set_resume_after_revision(record->revision);
    Finish(internal::v1::STATUS_SUCCESS);
  }

  void Leave() {
    RemoveSubscription(response_);
    const StateChannels::Handlers handlers = channels_.find(name_);
    if (handlers.leave != nullptr) {
      try {
        (*handlers.leave)(name_, client_);
      } catch (const std::exception& e) {
        return Finish(internal::v1::STATUS_ERROR,
                      absl::StrCat("OnLeave threw: ", e.what()));
      }
    }
    Finish(internal::v1::STATUS_SUCCESS);
  }

  void Action() {
    absl::StatusOr<json> data = DataObject(request_.data());
    if (!data.ok()) return Fail(std::string(data.status().message()));
    auto action = data->find("action");
    if (action == data->end() || !action->is_string()) {
      return Fail("an action needs a string \"action\"");
    }
    const std::string& name = action->get_ref<const std::string&>();
    const ActionHandler* handler = channels_.FindAction(name_, name);
    if (handler == nullptr) {
      return Fail(absl::StrCat("unknown action \"", name, "\""));
    }
    static const json kNull;
    auto payload = data->find("payload");
    absl::Status status;
    try {
      status =
          (*handler)(name_, client_, payload == data->end() ? kNull : *payload);
    } catch (const std::exception& e) {
      status = absl::InternalError(
          absl::StrCat("action \"", name, "\" threw: ", e.what()));
    }
    if (!status.ok()) {
      return Fail(absl::StrCat("action \"", name, "\": ", status.message()));
    }
    Finish(internal::v1::STATUS_SUCCESS);
  }

  // Answered through the reply, which may come later from any thread.
  void Request() {
    absl::StatusOr<json> data = DataObject(request_.data());
    if (!data.ok()) return Fail(std::string(data.status().message()));
    auto id = data->find("id");
    if (id == data->end() || !(id->is_string() || id->is_number())) {
      return Fail("a request needs an \"id\" (a string or a number)");
    }
    auto request = data->find("request");
    if (request == data->end() || !request->is_string()) {
      return Fail("a request needs a string \"request\"");
    }
    const std::string name = request->get<std::string>();
    const RequestHandler* handler = channels_.FindRequest(name_, name);
    auto reply_with = std::make_shared<ReplyState>(
        std::move(response_), request_.identifier(), *id, std::move(done_));
    if (handler == nullptr) {
      reply_with->Complete(
          absl::NotFoundError(absl::StrCat("unknown request \"", name, "\"")));
      return;
    }
    static const json kNull;
    auto payload = data->find("payload");
    try {
      (*handler)(name_, client_, payload == data->end() ? kNull : *payload,
                 [reply_with](absl::StatusOr<json> result) {
                   reply_with->Complete(std::move(result));
                 });
    } catch (const std::exception& e) {
      reply_with->Complete(absl::InternalError(
          absl::StrCat("request \"", name, "\" threw: ", e.what())));
    }
  }

  struct ReplyState {
    ReplyState(internal::v1::CommandResponse r, std::string i, json id_,
               std::function<void(internal::v1::CommandResponse)> d)
        : response(std::move(r)),
          identifier(std::move(i)),
          id(std::move(id_)),
          done(std::move(d)) {}
    void Complete(absl::StatusOr<json> result) {
      if (replied.exchange(true)) {
        spdlog::warn("request on {} replied twice; the second is dropped",
                     identifier);
        return;
      }
      response.add_transmissions(ReplyFrame(identifier, id, result));
      response.set_status(internal::v1::STATUS_SUCCESS);
      done(std::move(response));
    }
    internal::v1::CommandResponse response;
    std::string identifier;
    json id;
    std::function<void(internal::v1::CommandResponse)> done;
    std::atomic<bool> replied{false};
  };

  // A client mistake or handler error: the client hears it, the connection
  // stays up.
  void Fail(const std::string& message) {
    response_.add_transmissions(
        protocol::ErrorFrame(request_.identifier(), message));
    Finish(internal::v1::STATUS_ERROR, message);
  }

  void Finish(internal::v1::Status status, const std::string& message = {}) {
    response_.set_status(status);
    if (!message.empty()) response_.set_error_msg(message);
    done_(std::move(response_));
  }

  StateChannels& channels_;
  const internal::v1::CommandRequest& request_;
  std::function<void(internal::v1::CommandResponse)> done_;
  StateClient client_;
  std::string name_;
  internal::v1::CommandResponse response_;
};

}  // namespace

struct StateCommandHandler::Pool {
  explicit Pool(unsigned threads) : pool(threads) {}
  boost::asio::thread_pool pool;
};

StateCommandHandler::StateCommandHandler(StateChannels& channels,
                                         unsigned threads)
    : channels_(channels),
      pool_(std::make_unique<Pool>(std::max(1u, threads))) {}

StateCommandHandler::~StateCommandHandler() { pool_->pool.join(); }

bool StateCommandHandler::Handles(const internal::v1::CommandRequest& request) {
  switch (request.kind()) {
    case internal::v1::COMMAND_KIND_JOIN:
    case internal::v1::COMMAND_KIND_LEAVE:
    case internal::v1::COMMAND_KIND_REQUEST:
    case internal::v1::COMMAND_KIND_SYNC:
      return true;
    default:
      return request.stateful();
  }
}

bool StateCommandHandler::IsStateful(
    const internal::v1::SubscriptionSnapshot& subscription) {
  return subscription.stateful();
}

void StateCommandHandler::Command(
    const internal::v1::CommandRequest& request,
    std::function<void(internal::v1::CommandResponse)> done) {
  Post([this, &request, done = std::move(done)]() mutable {
    Run run(channels_, request, std::move(done));
    run();
  });
}

std::vector<std::string> StateCommandHandler::Leave(
    const internal::v1::DisconnectRequest& request) {
  std::vector<std::string> errors;
  StateClient client(channels_, request.sid(), request.gateway_id(),
                     Identifiers(request.identifiers()));
  for (const internal::v1::SubscriptionSnapshot& sub :
       request.subscriptions()) {
    auto name = sub.istate().find(kNameKey);
    if (name == sub.istate().end()) continue;
    const StateChannels::Handlers handlers = channels_.find(name->second);
    if (handlers.leave == nullptr) continue;
    try {
      (*handlers.leave)(name->second, client);
    } catch (const std::exception& e) {
      errors.push_back(
          absl::StrCat("OnLeave of ", name->second, " threw: ", e.what()));
    }
  }
  return errors;
}

void StateCommandHandler::Post(std::function<void()> work) {
  boost::asio::post(pool_->pool, std::move(work));
}

}  // namespace cable::service
