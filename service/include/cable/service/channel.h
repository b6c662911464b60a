#pragma once
// Base class of application channels (seed: Channel). A channel instance
// lives for one call: the CommandHandler builds it from the subscription's
// identifier, state and live streams, runs one hook or action, and turns what
// the channel did (ChannelEffects) into the gateway's response. Keep
// anything that must survive between calls in `istate()` (this subscription)
// or `connection().cstate()` (the connection).

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "cable/coder.h"
#include "cable/pubsub.h"
#include "cable/service/broadcasting.h"
#include "cable/service/connection.h"

namespace cable::service {

class ChannelClass;

// What a channel did during one call.
struct ChannelEffects {
  // Streams to start, in the order they were asked for.
  std::vector<std::string> started_streams;
  // Streams that were live before the call and are to stop.
  std::vector<std::string> stopped_streams;
  // Every stream live before the call stops (then `started_streams` start).
  bool stop_all_streams = false;
  // Complete frames for this client (`transmit`).
  std::vector<std::string> transmissions;
  // `reject()` was called.
  bool rejected = false;
};

// What a channel instance is bound to for one call.
struct ChannelBinding {
  const ChannelClass* channel_class = nullptr;
  // The identifier exactly as the client sent it.
  std::string identifier;
  // The identifier's JSON object without "channel".
  nlohmann::json params = nlohmann::json::object();
  Connection* connection = nullptr;
  PubSub* pubsub = nullptr;
  StringMap istate;
  // Streams live before this call.
  std::vector<std::string> streams;
};

class Channel {
 public:
  Channel() = default;
  virtual ~Channel() = default;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Runs when a client subscribes. Start streams here, or `reject()`.
  virtual void subscribed() {}
  // Runs when the client unsubscribes or disconnects. Not run for a
  // rejected subscription.
  virtual void unsubscribed() {}

  // Dispatches a client action to the channel's registered actions (the
  // allow-list; nothing else is reachable from the wire). NotFound for an
  // action that is not registered. Exceptions from the action propagate.
  absl::Status perform(absl::string_view action, const nlohmann::json& data);

  // The name the channel is registered under, e.g. "ChatChannel".
  const std::string& name() const;
  // The subscription identifier exactly as the client sent it.
  const std::string& identifier() const { return binding_.identifier; }
  // The identifier's params (JSON object without "channel").
  const nlohmann::json& params() const { return binding_.params; }
  Connection& connection() const { return *binding_.connection; }
  // Per-subscription state that round-trips through the gateway.
  StringMap& istate() { return binding_.istate; }
  const StringMap& istate() const { return binding_.istate; }
  // Streams live now: those live before the call, updated by this call.
  const std::vector<std::string>& streams() const { return live_streams_; }
  bool is_rejected() const { return effects_.rejected; }
  const ChannelEffects& effects() const { return effects_; }

 protected:
  // Starts streaming `stream` to this client. A coder given here is used by
  // this channel's own `broadcast_to(stream, ...)` during this call; what
  // other publishers send is delivered as JSON by the gateway (see
  // cable.v1.BroadcastRequest.data), so a stream's wire format is JSON.
  void stream_from(absl::string_view stream,
                   std::shared_ptr<const Coder> coder = nullptr);
  // Streams this channel's broadcasting for `model`:
  // BroadcastingFor(name(), model), e.g. "ChatChannel:Room:1".
  template <Broadcastable T>
  void stream_for(const T& model,
                  std::shared_ptr<const Coder> coder = nullptr) {
    stream_from(BroadcastingFor(name(), model), std::move(coder));
  }
  void stop_stream_from(absl::string_view stream);
  template <Broadcastable T>
  void stop_stream_for(const T& model) {
    stop_stream_from(BroadcastingFor(name(), model));
  }
  void stop_all_streams();

  // Sends `message` to this client as {"identifier":…,"message":…},
  // encoded with the channel's coder.
  void transmit(const nlohmann::json& message);
  // Publishes to every subscriber of `stream`, now (before the response).
  // A pub/sub failure is logged, not raised.
  void broadcast_to(absl::string_view stream, const nlohmann::json& message);
  // Publishes to this channel's broadcasting for `model` (what `stream_for`
  // subscribers receive).
  template <Broadcastable T>
  void broadcast_to_target(const T& model, const nlohmann::json& message) {
    broadcast_to(BroadcastingFor(name(), model), message);
  }

  // Refuses the subscription (from `subscribed`): the client gets
  // `reject_subscription` and no stream stays open.
  void reject() { effects_.rejected = true; }

  // The channel's coder (JsonCoder unless registered otherwise).
  const Coder& coder() const;

 private:
  friend class ChannelClass;

  void Bind(ChannelBinding binding);

  ChannelBinding binding_;
  std::vector<std::string> live_streams_;
  std::map<std::string, std::shared_ptr<const Coder>, std::less<>>
      stream_coders_;
  ChannelEffects effects_;
};

}  // namespace cable::service
