#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace cable::gateway {

// Every client-controlled quantity is bounded here; `main` fills this from
// flags.
struct GatewayOptions {
  std::string host = "0.0.0.0";
  unsigned short port = 8080;
  // TLS on the listener (wss://, https://): a PEM certificate chain (the
  // server's certificate first) and its unencrypted PEM private key. Both
  // empty: plain ws://. Gateway::reload_tls reads them again.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Event-loop threads; 0 = one per core.
  unsigned threads = 0;
  // This gateway instance's id (worker id); generated when empty.
  std::string gateway_id;
  // Origins allowed to open a WebSocket (exact match of the Origin header,
  // e.g. "https://example.com"); empty allows any.
  std::vector<std::string> allowed_origins;
  // Largest inbound WebSocket message; larger ones close with 1009.
  std::size_t max_frame_bytes = 64 * 1024;
  // Largest HTTP request header block.
  std::size_t max_http_header_bytes = 16 * 1024;
  // Subscriptions one connection may hold; more are rejected.
  std::size_t max_subscriptions = 128;
  // Commands a connection may have waiting behind the one in flight; more
  // close the connection (1008).
  std::size_t max_pending_commands = 256;
  // Commands a connection may send: `command_rate` a second on average, up
  // to `command_burst` at once (0 rate: no limit). Over it a command gets an
  // error frame; `command_burst` refusals in a row close with 1008.
  double command_rate = 100;
  double command_burst = 200;
  // Connections one gateway holds; more upgrades are answered 503.
  std::size_t max_connections = 100000;
  // Outbound bound per socket: queued bytes and frames. Past either, the
  // client is disconnected with reason "too_slow". One frame may take the
  // queue past max_queue_bytes (a stateful channel's multi-megabyte
  // state); the next one then finds it full.
  std::size_t max_queue_bytes = 1024 * 1024;
  std::size_t max_queue_frames = 4096;
  // Bytes of replies (a join's backlog and state, request replies) queued
  // per socket, counted apart from broadcasts.
  std::size_t max_reply_queue_bytes = 64 * 1024 * 1024;
  // A single write taking longer than this disconnects the client.
  std::chrono::milliseconds write_timeout{2000};
  std::chrono::milliseconds ping_interval{3000};
  // How often this gateway tells the service it is alive (stateful
  // channels: the guard counts of a gateway that stops are cleaned up).
  std::chrono::milliseconds heartbeat_interval{5000};
  std::chrono::milliseconds handshake_timeout{10000};
  // Deadline of each call to the cable service.
  std::chrono::milliseconds service_timeout{5000};
  // How long shutdown waits for clients to take their disconnect.
  std::chrono::milliseconds shutdown_timeout{5000};
  // Session restore (extended protocol): how long a session's snapshot is
  // kept after its last change (or refresh), also after the connection
  // closed; a connection refreshes it every half of this. 0: no restore
  // (no snapshots, `sid` ignored). The SessionStore is built with it.
  std::chrono::milliseconds session_ttl{5 * 60 * 1000};
  // After a restore's welcome, how long a restored subscription's live
  // frames wait for the client's `history` command before they go out
  // anyway (a client that asks for none is not left waiting).
  std::chrono::milliseconds restore_history_wait{5000};
};

}  // namespace cable::gateway
