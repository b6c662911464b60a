#pragma once
// The cable service's core, independent of the transport: Connect, Command
// and Disconnect on the cable.internal.v1 messages. Every call rebuilds the
// connection (and the channel) from the request, runs the application's
// hook, and collects what happened into the response. Broadcasts go to the
// PubSub synchronously; the answer waits for the PubSub's flush.
//
// Thread-safe: the Application is read-only and nothing else is shared, so
// any number of calls may run at once. Never throws: malformed input and
// exceptions from application code become STATUS_ERROR with error_msg.

#include "absl/functional/any_invocable.h"

namespace cable {
class PubSub;
namespace internal::v1 {
class ConnectRequest;
class ConnectResponse;
class CommandRequest;
class CommandResponse;
class DisconnectRequest;
class DisconnectResponse;
}  // namespace internal::v1
}  // namespace cable

namespace cable::service {

class Application;

// A subscription that ends with this call (rejected, failed to subscribe,
// unsubscribed, left): tells the gateway to drop it and all its streams.
void RemoveSubscription(internal::v1::CommandResponse& response);

class CommandHandler final {
 public:
  // Both must outlive the handler.
  CommandHandler(const Application& app, PubSub& pubsub);

  // Runs the connection's `connect()`: `welcome`, or a rejection.
  internal::v1::ConnectResponse Connect(
      const internal::v1::ConnectRequest& request) const;
  // subscribe, unsubscribe, message or periodic (CommandKind). A command that
  // published answers only once the PubSub has its broadcasts: `done` runs
  // from the PubSub's flush completion (or inline when nothing was
  // published); the caller's thread never waits on the network.
  void Command(
      const internal::v1::CommandRequest& request,
      absl::AnyInvocable<void(internal::v1::CommandResponse) &&> done) const;
  // Runs `unsubscribed` for every subscription, then `disconnect()`;
  // answers like Command.
  void Disconnect(
      const internal::v1::DisconnectRequest& request,
      absl::AnyInvocable<void(internal::v1::DisconnectResponse) &&> done) const;
  // The same, blocking until the answer (tests and tools; never on a gRPC
  // callback thread or an event loop).
  internal::v1::CommandResponse Command(
      const internal::v1::CommandRequest& request) const;
  internal::v1::DisconnectResponse Disconnect(
      const internal::v1::DisconnectRequest& request) const;

 private:
  // Runs the command; `*published` says whether it broadcast.
  internal::v1::CommandResponse Execute(
      const internal::v1::CommandRequest& request, bool* published) const;

  const Application& app_;
  PubSub& pubsub_;
};

}  // namespace cable::service
