// Fuzzes the cable service's command path (service/command_handler.h) as a
// gateway drives it, with the application cable-server ships
// (ChatChannel, PresenceChannel, Turbo::StreamsChannel): identifiers and
// data a client chose reach channel code through ParseChannelIdentifier,
// the params, the action dispatch and Turbo's signed stream names.
//
// Input: lines. The first is the connection's URL ("/cable?user=ann");
// each other line is a client frame, forwarded as the gateway does: only
// subscribe/unsubscribe/message, a subscribe only for an identifier not yet
// subscribed, the others only for one that is; the connection's
// identifiers, cstate and each subscription's istate and streams are kept
// from the answers and sent back. Timers a subscription sets fire once
// after each command. Disconnect ends the connection.
//
// Invariants:
// - the handler never throws and always answers with a status;
// - every frame for the client is a JSON object, and a frame about a
//   subscription names its identifier;
// - every answer survives the trip back to the gateway (proto3 strings
//   must be UTF-8): serialized and parsed again, it is the same.

#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "cable/command_kind.h"
#include "cable/in_memory_pubsub.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/protocol.h"
#include "cable/service/command_handler.h"
#include "cable/service/demo/default_application.h"
#include "cable/service/registry.h"
#include "fuzz_support.h"

namespace v1 = cable::internal::v1;
using nlohmann::json;

namespace {

constexpr const char* kSid = "fuzz-sid";

struct Service {
  static cable::service::DefaultApplicationOptions Options() {
    cable::service::DefaultApplicationOptions options;
    options.streams_secret = "turbo-fuzz-secret";
    return options;
  }
  cable::InMemoryPubSub pubsub;
  std::unique_ptr<cable::service::Application> app =
      cable::service::MakeDefaultApplication(Options());
  cable::service::CommandHandler handler{*app, pubsub};
};

Service& TheService() {
  static Service* service = new Service();
  return *service;
}

struct Subscription {
  std::map<std::string, std::string> istate;
  std::set<std::string> streams;
  std::vector<std::string> timers;
};

template <class Message>
void CheckTrip(const Message& message, const char* what) {
  std::string wire;
  FUZZ_CHECK(message.SerializeToString(&wire), what);
  Message back;
  FUZZ_CHECK(
      back.ParseFromString(wire) &&
          google::protobuf::util::MessageDifferencer::Equals(message, back),
      what);
}

void CheckFrames(const google::protobuf::RepeatedPtrField<std::string>& frames,
                 const std::string& identifier) {
  for (const std::string& frame : frames) {
    const json j = json::parse(frame, nullptr, false);
    FUZZ_CHECK(j.is_object(), "a frame for the client is not a JSON object");
    auto it = j.find("identifier");
    if (it != j.end() && !identifier.empty()) {
      FUZZ_CHECK(it->is_string() && it->get<std::string>() == identifier,
                 "a frame names another subscription");
    }
  }
}

// The gateway's part: the connection and its subscriptions.
class Connection final {
 public:
  Connection(Service& service, std::string url) : service_(service) {
    v1::ConnectRequest request;
    request.set_sid(kSid);
    request.set_gateway_id("fuzz-gateway");
    request.mutable_env()->set_url(std::move(url));
    CheckTrip(request, "a ConnectRequest does not survive the trip");
    const v1::ConnectResponse response = service_.handler.Connect(request);
    FUZZ_CHECK(response.status() != v1::STATUS_UNSPECIFIED,
               "Connect answered without a status");
    CheckTrip(response, "a ConnectResponse does not survive the trip");
    CheckFrames(response.transmissions(), "");
    connected_ = response.status() == v1::STATUS_SUCCESS;
    env_ = request.env();
    identifiers_.insert(response.identifiers().begin(),
                        response.identifiers().end());
    cstate_.insert(response.cstate().begin(), response.cstate().end());
  }

  bool connected() const { return connected_; }

  void Frame(absl::string_view text) {
    absl::StatusOr<cable::protocol::ClientCommand> parsed =
        cable::protocol::ParseClientCommand(text);
    if (!parsed.ok() || parsed->identifier.empty()) return;
    const std::string& command = parsed->command;
    const bool exists = subscriptions_.contains(parsed->identifier);
    bool forward = false;
    if (command == "subscribe") {
      forward = !exists;
    } else if (command == "unsubscribe") {
      forward = exists;
    } else if (command == "message") {
      forward = exists && !parsed->data.empty();
    }
    if (!forward) return;
    Command(command, parsed->identifier, parsed->data);
    // Timers fire once in a while: here, once after each command.
    std::vector<std::pair<std::string, std::string>> due;
    for (const auto& [identifier, sub] : subscriptions_) {
      for (const std::string& action : sub.timers) {
        due.emplace_back(identifier, action);
      }
    }
    for (const auto& [identifier, action] : due) {
      if (subscriptions_.contains(identifier)) {
        Command("periodic", identifier, action);
      }
    }
  }

  void Disconnect() {
    v1::DisconnectRequest request;
    request.set_sid(kSid);
    *request.mutable_env() = env_;
    request.mutable_identifiers()->insert(identifiers_.begin(),
                                          identifiers_.end());
    request.mutable_cstate()->insert(cstate_.begin(), cstate_.end());
    for (const auto& [identifier, sub] : subscriptions_) {
      v1::SubscriptionSnapshot* snapshot = request.add_subscriptions();
      snapshot->set_identifier(identifier);
      snapshot->mutable_istate()->insert(sub.istate.begin(), sub.istate.end());
      for (const std::string& s : sub.streams) snapshot->add_streams(s);
    }
    const v1::DisconnectResponse response =
        service_.handler.Disconnect(request);
    FUZZ_CHECK(response.status() != v1::STATUS_UNSPECIFIED,
               "Disconnect answered without a status");
    CheckTrip(response, "a DisconnectResponse does not survive the trip");
  }

 private:
  void Command(const std::string& command, const std::string& identifier,
               const std::string& data) {
    v1::CommandRequest request;
    request.set_kind(cable::protocol::CommandKindNamed(command).value_or(
        v1::COMMAND_KIND_UNSPECIFIED));
    request.set_identifier(identifier);
    request.set_data(data);
    *request.mutable_env() = env_;
    request.set_sid(kSid);
    request.set_gateway_id("fuzz-gateway");
    request.mutable_identifiers()->insert(identifiers_.begin(),
                                          identifiers_.end());
    request.mutable_cstate()->insert(cstate_.begin(), cstate_.end());
    auto sub = subscriptions_.find(identifier);
    if (sub != subscriptions_.end()) {
      request.mutable_istate()->insert(sub->second.istate.begin(),
                                       sub->second.istate.end());
      for (const std::string& s : sub->second.streams) request.add_streams(s);
    }
    CheckTrip(request, "a CommandRequest does not survive the trip");

    const v1::CommandResponse response = service_.handler.Command(request);
    FUZZ_CHECK(response.status() != v1::STATUS_UNSPECIFIED,
               "Command answered without a status");
    CheckTrip(response, "a CommandResponse does not survive the trip");
    CheckFrames(response.transmissions(), identifier);

    // What the gateway keeps.
    if (response.cstate_set()) {
      cstate_.clear();
      cstate_.insert(response.cstate().begin(), response.cstate().end());
    }
    const bool opened =
        command == "subscribe" && response.status() == v1::STATUS_SUCCESS;
    if (response.subscription_removed() ||
        (command == "subscribe" && !opened)) {
      subscriptions_.erase(identifier);
      return;
    }
    if (opened) sub = subscriptions_.emplace(identifier, Subscription{}).first;
    if (sub == subscriptions_.end()) return;
    Subscription& s = sub->second;
    if (response.stop_all_streams()) s.streams.clear();
    for (const std::string& stopped : response.stopped_streams()) {
      s.streams.erase(stopped);
    }
    for (const std::string& stream : response.streams()) {
      FUZZ_CHECK(!stream.empty(), "a subscription streams from \"\"");
      s.streams.insert(stream);
    }
    if (response.istate_set()) {
      s.istate.clear();
      s.istate.insert(response.istate().begin(), response.istate().end());
    }
    if (response.timers_set()) {
      s.timers.clear();
      for (const v1::Timer& t : response.timers()) {
        FUZZ_CHECK(t.interval_ms() >= 1, "a timer of 0 ms");
        s.timers.push_back(t.action());
      }
    }
  }

  Service& service_;
  bool connected_ = false;
  v1::Env env_;
  std::map<std::string, std::string> identifiers_;
  std::map<std::string, std::string> cstate_;
  std::map<std::string, Subscription> subscriptions_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<absl::string_view> lines = absl::StrSplit(input, '\n');
  // The URL travels in a proto3 string: one that is not UTF-8 never
  // reaches the service.
  const std::string url(lines[0]);
  if (!cable::fuzz::IsUtf8(url)) return 0;
  Connection connection(TheService(), url);
  if (!connection.connected()) return 0;
  for (std::size_t i = 1; i < lines.size(); ++i) connection.Frame(lines[i]);
  connection.Disconnect();
  return 0;
}
