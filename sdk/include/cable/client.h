#pragma once
// cable::Client: the WebSocket client apps embed to talk to a Cable gateway
// (docs/protocol.md): Action Cable subscriptions and Cable's stateful
// channels over one connection, with reconnects. The C++ twin of
// sdk/js/cable-state.js (the BoardStreams seed's client).
//
//   auto client = cable::Client::create({.url = "ws://127.0.0.1:8080/cable"});
//   cable::Channel board = *(*client)->join("board:demo", {
//       .on_state = [](const nlohmann::json& s) { Render(s); }});
//   board.do_action("set", {{"cell", 3}, {"value", "X"}});
//   absl::StatusOr<nlohmann::json> count =
//       board.do_request("increment", {{"by", 1}}).get();
//
// Threading: the client runs one I/O thread of its own. Every callback
// (connection status, subscription and channel callbacks) runs on it, one at
// a time, in the order the frames arrived; a callback that blocks stalls the
// connection. Callbacks may call any method of the client and its handles,
// except waiting on a do_request future (its reply is read by that thread)
// and destroying the Client. Callbacks must not throw: an exception leaving
// one terminates the program. Every public method is thread-safe.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "cable/client_channel.h"
#include "cable/client_subscription.h"

namespace cable {

// Where the connection stands, as on_connection_status reports it.
enum class ConnectionStatus {
  // A connection attempt is under way (TCP, WebSocket handshake, welcome).
  kConnecting,
  // The server welcomed the connection: channels are (re)joined.
  kConnected,
  // No connection: lost, failed, refused or closed. Unless the client was
  // closed or the server said not to, another attempt follows (backoff).
  kDisconnected,
};

// The server's `disconnect` message, sent just before it closes.
struct DisconnectInfo {
  // "unauthorized", "server_restart", "remote", "too_slow", ...
  std::string reason{};
  // False: the server asks not to come back; the client stops for good.
  bool reconnect = true;
};

struct ClientOptions {
  // ws://host[:port]/path[?query], e.g. ws://127.0.0.1:8080/cable?user=ann.
  // wss:// is not supported yet (put the TLS proxy's plain port here).
  std::string url{};
  // Extra handshake headers, e.g. {"Authorization", "Bearer <jwt>"} or
  // {"Cookie", "..."}.
  std::vector<std::pair<std::string, std::string>> headers{};
  // Delay before each connection attempt, counted from the last welcomed
  // connection; the last one repeats (the seed's 0, 1, 3, 5, 5, ... s).
  std::vector<std::chrono::milliseconds> reconnect_backoff = {
      std::chrono::seconds(0), std::chrono::seconds(1), std::chrono::seconds(3),
      std::chrono::seconds(5)};
  // Bound on one attempt: resolve, TCP connect and WebSocket handshake.
  std::chrono::milliseconds connect_timeout = std::chrono::seconds(10);
  // A connection that receives nothing for this long is dead (the server
  // pings every 3 s) and is replaced.
  std::chrono::milliseconds stale_timeout = std::chrono::seconds(10);
  // Bound on the closing handshake in close().
  std::chrono::milliseconds close_timeout = std::chrono::seconds(2);
  // Largest message accepted from the server (states can be large).
  std::size_t max_message_bytes = 128 * 1024 * 1024;
  // Commands a subscription or channel keeps while it waits for the
  // connection.
  std::size_t max_queued_commands = 1000;
  // Every change of ConnectionStatus.
  std::function<void(ConnectionStatus)> on_connection_status{};
  // The server's `disconnect` message, before the connection drops.
  std::function<void(const DisconnectInfo&)> on_disconnect{};
};

// One connection to a Cable gateway, reconnecting until close().
class Client final {
 public:
  // Validates the options and starts connecting on the client's thread.
  // Errors: InvalidArgument (bad URL, empty backoff), Unimplemented (wss).
  static absl::StatusOr<std::unique_ptr<Client>> create(ClientOptions options);

  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;
  // close(), then waits for the I/O thread (at most about close_timeout).
  ~Client();

  // Subscribes to an Action Cable channel; `identifier` is the JSON object
  // string, e.g. {"channel":"ChatChannel","room":"lobby"}, kept byte for
  // byte. Resubscribes after every reconnect. Errors: InvalidArgument (not
  // a JSON object with a string "channel"), AlreadyExists (identifier in
  // use on this client), FailedPrecondition (closed).
  absl::StatusOr<Subscription> subscribe(std::string identifier,
                                         SubscriptionCallbacks callbacks);

  // Joins a stateful channel (e.g. "board:demo"); joining a name again makes
  // a second, independent join. Rejoins after every reconnect with the id of
  // the last event seen, so the backlog holds exactly the missed events.
  // Errors: InvalidArgument (empty name), FailedPrecondition (closed).
  absl::StatusOr<Channel> join(const std::string& channel_name,
                               JoinOptions options = {});

  // Closes the connection for good: requests in flight fail (Aborted),
  // waiting ones are cancelled, no reconnect. Idempotent; does not wait.
  void close();

  ConnectionStatus status() const;

 private:
  struct Core;
  explicit Client(std::shared_ptr<Core> core);
  std::shared_ptr<Core> core_;
};

}  // namespace cable
