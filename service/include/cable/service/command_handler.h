#pragma once
// The cable service's core, independent of the transport: Connect, Command
// and Disconnect on the cable.internal.v1 messages. Every call rebuilds the
// connection (and the channel) from the request, runs the application's
// hook, and collects what happened into the response. Broadcasts go to the
// PubSub synchronously, before the call returns.
//
// Thread-safe: the Application is read-only and nothing else is shared, so
// any number of calls may run at once. Never throws: malformed input and
// exceptions from application code become STATUS_ERROR with error_msg.

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
  internal::v1::ConnectResponse Connect(const internal::v1::ConnectRequest& request) const;
  // subscribe, unsubscribe, message or periodic (CommandKind).
  internal::v1::CommandResponse Command(const internal::v1::CommandRequest& request) const;
  // Runs `unsubscribed` for every subscription, then `disconnect()`.
  internal::v1::DisconnectResponse Disconnect(const internal::v1::DisconnectRequest& request) const;

 private:
  const Application& app_;
  PubSub& pubsub_;
};

}  // namespace cable::service
