#pragma once
// The presence half of cable.internal.v1.Cable (docs/protocol.md,
// "Presence"): an extended-protocol client's presence join, leave and info
// on a subscription whose streams include its presence stream, and the
// leave or detach when that subscription or its connection ends. The work
// touches the PresenceStore (round trips with NATS), so it runs on the
// threads `post` hands it to, never on gRPC's.

#include <functional>
#include <optional>
#include <string>

#include "google/protobuf/repeated_ptr_field.h"

namespace cable::internal::v1 {
class CommandRequest;
class CommandResponse;
class DisconnectRequest;
}  // namespace cable::internal::v1

namespace cable::service {

class Presence;

class PresenceCommandHandler final {
 public:
  using Post = std::function<void(std::function<void()>)>;

  // `presence` must outlive the handler.
  PresenceCommandHandler(Presence& presence, Post post)
      : presence_(presence), post_(std::move(post)) {}

  // Whether `request` is a presence join, leave or info.
  static bool Handles(const internal::v1::CommandRequest& request);
  // The stream whose presence set a subscription with `streams` belongs
  // to: S of the "$presence:S" among them, if any.
  static std::optional<std::string> PresenceStreamOf(
      const google::protobuf::RepeatedPtrField<std::string>& streams);

  // `done` runs exactly once, on a posted thread; `request` must stay
  // alive until then.
  void Command(const internal::v1::CommandRequest& request,
               std::function<void(internal::v1::CommandResponse)> done);
  // The subscription of `request` (an unsubscribe) is gone: its
  // connection leaves the presence set at once. Runs in the background.
  void Unsubscribed(const internal::v1::CommandRequest& request);
  // The connection closed: it leaves the presence sets of its
  // subscriptions after the presence ttl. Runs in the background.
  void Disconnected(const internal::v1::DisconnectRequest& request);

 private:
  Presence& presence_;
  Post post_;
};

}  // namespace cable::service
