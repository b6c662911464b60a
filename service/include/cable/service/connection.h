#pragma once
// The server side of one client connection (seed: Connection). Apps subclass
// Connection, authenticate in `connect()` and record who the client is with
// `set_identifier`. The service keeps no connection between calls: every
// call rebuilds the object from what the gateway sends (identifiers, cstate,
// env), so anything worth keeping must go into identifiers or `cstate()`.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable::service {

using StringMap = std::map<std::string, std::string>;

// The HTTP upgrade request a connection was opened with (cable.internal.v1.Env).
struct ConnectionEnv {
  // Request target as received, e.g. "/cable?token=abc".
  std::string url;
  // Header names are lower-cased.
  StringMap headers;
  StringMap cookies;
  // "ip:port".
  std::string remote_addr;
  std::string subprotocol;

  // First value of query parameter `name` in `url`, percent-decoded ('+' is
  // a space); nullopt when absent or when the decoded value is not UTF-8.
  std::optional<std::string> query_param(absl::string_view name) const;
  // Header value by name, case-insensitive; nullopt when absent.
  std::optional<std::string> header(absl::string_view name) const;
  std::optional<std::string> cookie(absl::string_view name) const;
};

// What a Connection is rebuilt from on every call.
struct ConnectionState {
  ConnectionEnv env;
  std::string sid;
  std::string gateway_id;
  StringMap identifiers;
  StringMap cstate;
};

class ConnectionClass;

// Base class of application connections. Not thread-safe: one instance
// serves one call.
class Connection {
 public:
  Connection() = default;
  virtual ~Connection() = default;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs once when the client connects. Authenticate here; call
  // `reject_unauthorized_connection()` (and return) to refuse the client.
  virtual void connect() {}
  // Runs once when the socket has closed, after every subscription's
  // `unsubscribed`.
  virtual void disconnect() {}

  // Records a verified identity. Identifiers travel with every later call.
  void set_identifier(absl::string_view name, absl::string_view value);
  // Refuses the connection: the client gets
  // `disconnect{reason:"unauthorized", reconnect:false}`. Unlike Rails this
  // does not throw; return from `connect()` after calling it.
  void reject_unauthorized_connection() { rejected_ = true; }
  // When the connection's credentials expire (a token's "exp"): the
  // gateway then disconnects it with reason "token_expired".
  void set_expires_at(std::chrono::system_clock::time_point at) {
    expires_at_ = at;
  }
  std::optional<std::chrono::system_clock::time_point> expires_at() const {
    return expires_at_;
  }
  bool is_rejected() const { return rejected_; }

  // Every identifier, declared or not.
  const StringMap& identifiers() const { return state_.identifiers; }
  // The value of an identifier declared with `identified_by` (seed: a
  // declared identifier reads back as a method). InvalidArgument when `name`
  // is not declared, NotFound when it is declared but was never set.
  absl::StatusOr<std::string> identifier(absl::string_view name) const;

  const ConnectionEnv& env() const { return state_.env; }
  // The session id the gateway assigned (sent in `welcome`).
  const std::string& sid() const { return state_.sid; }
  // The gateway instance holding the socket.
  const std::string& gateway_id() const { return state_.gateway_id; }
  // Per-connection state that round-trips through the gateway.
  StringMap& cstate() { return state_.cstate; }
  const StringMap& cstate() const { return state_.cstate; }

 private:
  friend class ConnectionClass;

  ConnectionState state_;
  // Owned by the ConnectionClass that built this connection.
  const std::vector<std::string>* declared_identifiers_ = nullptr;
  bool rejected_ = false;
  std::optional<std::chrono::system_clock::time_point> expires_at_;
};

// How to build an application's connections: a factory for the Connection
// subclass plus the identifiers it declares (seed: `identified_by`).
// Immutable once the application is serving.
class ConnectionClass final {
 public:
  using Factory = std::function<std::unique_ptr<Connection>()>;

  // Builds plain `Connection`s (accept everyone, no identifiers).
  ConnectionClass();
  explicit ConnectionClass(Factory factory);

  // Declares identifiers; they read back with `Connection::identifier`.
  ConnectionClass& identified_by(const std::vector<std::string>& names);
  const std::vector<std::string>& declared_identifiers() const {
    return declared_identifiers_;
  }

  // A fresh connection holding `state`; never null.
  std::unique_ptr<Connection> Create(ConnectionState state) const;

 private:
  Factory factory_;
  std::vector<std::string> declared_identifiers_;
};

}  // namespace cable::service
