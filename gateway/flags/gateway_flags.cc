#include "cable/gateway/gateway_flags.h"

#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

ABSL_FLAG(std::string, host, "0.0.0.0",
          "Address the HTTP/WebSocket listener binds to.");
ABSL_FLAG(int, port, 8080,
          "HTTP and WebSocket port (0 picks a free port; the bound port is "
          "logged).");
ABSL_FLAG(std::string, tls_cert, "",
          "PEM certificate chain (the server's certificate first) for TLS on "
          "--port: clients connect with wss:// (and https:// for /health, "
          "/ready, /metrics). Needs --tls_key. Both files are read again on "
          "SIGHUP. Empty: plain ws://.");
ABSL_FLAG(std::string, tls_key, "",
          "PEM private key (unencrypted) of --tls_cert.");
ABSL_FLAG(int, threads, 0, "Event-loop threads (0 = one per core).");
ABSL_FLAG(std::string, gateway_id, "",
          "This gateway's id (worker id); random when empty.");
ABSL_FLAG(std::vector<std::string>, allowed_origins, {},
          "Comma-separated Origin values allowed to open a WebSocket, e.g. "
          "https://app.example.com; empty allows any origin.");
ABSL_FLAG(int64_t, max_frame_bytes, 64 * 1024,
          "Largest inbound WebSocket message; larger ones close with 1009.");
ABSL_FLAG(int64_t, max_subscriptions, 128,
          "Subscriptions one connection may hold; more are rejected.");
ABSL_FLAG(int64_t, max_pending_commands, 256,
          "Commands a connection may have queued behind the one in flight; "
          "more close it with 1008.");
ABSL_FLAG(double, command_rate, 100,
          "Commands a second a connection may send on average (0: no "
          "limit); over it a command is refused with an error frame.");
ABSL_FLAG(double, command_burst, 200,
          "Commands a connection may send at once; this many refusals in a "
          "row close it with 1008 (reason rate_limited).");
ABSL_FLAG(int64_t, max_connections, 100000,
          "WebSocket connections one gateway holds; more upgrades get HTTP "
          "503.");
ABSL_FLAG(int64_t, max_queue_bytes, 1024 * 1024,
          "Outbound bytes queued per socket before the client is "
          "disconnected as too_slow.");
ABSL_FLAG(int64_t, max_queue_frames, 4096,
          "Outbound frames queued per socket before the client is "
          "disconnected as too_slow.");
ABSL_FLAG(int64_t, max_reply_queue_bytes, 64 * 1024 * 1024,
          "Bytes of replies to a client's own commands (a stateful join's "
          "backlog and state, request replies) queued per socket, counted "
          "apart from broadcasts.");
ABSL_FLAG(absl::Duration, write_timeout, absl::Seconds(2),
          "A write stuck longer than this disconnects the client (checked "
          "every ping interval).");
ABSL_FLAG(absl::Duration, ping_interval, absl::Seconds(3),
          "Interval of Action Cable ping messages.");
ABSL_FLAG(absl::Duration, heartbeat_interval, absl::Seconds(5),
          "How often the gateway tells the service it is alive; stateful "
          "channels clean up after a gateway that stops.");
ABSL_FLAG(absl::Duration, handshake_timeout, absl::Seconds(10),
          "Time allowed for the HTTP request and WebSocket handshake.");
ABSL_FLAG(absl::Duration, service_timeout, absl::Seconds(5),
          "Deadline of each call to the cable service.");
ABSL_FLAG(absl::Duration, shutdown_timeout, absl::Seconds(5),
          "On SIGTERM, how long to wait for clients to take their "
          "disconnect before exiting.");
ABSL_FLAG(absl::Duration, session_ttl, absl::Minutes(5),
          "Session restore (actioncable-v1-ext-json): how long a session's "
          "subscriptions are remembered after its last change, also after it "
          "closed, so that the client reconnecting with ?sid= gets them back "
          "(in memory; in JetStream with --nats_url, shared by every "
          "gateway). 0 turns restore off.");
ABSL_FLAG(absl::Duration, restore_history_wait, absl::Seconds(5),
          "Session restore: how long a restored subscription's broadcasts "
          "wait for the client's history command after the welcome before "
          "they are sent anyway.");

namespace cable::gateway {

GatewayOptions GatewayOptionsFromFlags() {
  GatewayOptions o;
  o.host = absl::GetFlag(FLAGS_host);
  o.port = static_cast<unsigned short>(absl::GetFlag(FLAGS_port));
  o.threads = static_cast<unsigned>(std::max(0, absl::GetFlag(FLAGS_threads)));
  o.gateway_id = absl::GetFlag(FLAGS_gateway_id);
  o.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  o.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  for (const auto& origin : absl::GetFlag(FLAGS_allowed_origins)) {
    if (!origin.empty()) o.allowed_origins.push_back(origin);
  }
  auto positive = [](int64_t v) {
    return static_cast<std::size_t>(std::max<int64_t>(1, v));
  };
  o.max_frame_bytes = positive(absl::GetFlag(FLAGS_max_frame_bytes));
  o.max_subscriptions = positive(absl::GetFlag(FLAGS_max_subscriptions));
  o.max_pending_commands = positive(absl::GetFlag(FLAGS_max_pending_commands));
  o.command_rate = std::max(0.0, absl::GetFlag(FLAGS_command_rate));
  o.command_burst = std::max(1.0, absl::GetFlag(FLAGS_command_burst));
  o.max_connections = positive(absl::GetFlag(FLAGS_max_connections));
  o.max_queue_bytes = positive(absl::GetFlag(FLAGS_max_queue_bytes));
  o.max_queue_frames = positive(absl::GetFlag(FLAGS_max_queue_frames));
  o.max_reply_queue_bytes =
      positive(absl::GetFlag(FLAGS_max_reply_queue_bytes));
  auto ms = [](absl::Duration d) {
    return std::chrono::milliseconds(
        std::max<int64_t>(1, absl::ToInt64Milliseconds(d)));
  };
  o.write_timeout = ms(absl::GetFlag(FLAGS_write_timeout));
  o.ping_interval = ms(absl::GetFlag(FLAGS_ping_interval));
  o.heartbeat_interval = ms(absl::GetFlag(FLAGS_heartbeat_interval));
  o.handshake_timeout = ms(absl::GetFlag(FLAGS_handshake_timeout));
  o.service_timeout = ms(absl::GetFlag(FLAGS_service_timeout));
  o.shutdown_timeout = ms(absl::GetFlag(FLAGS_shutdown_timeout));
  // (0 and below: off.)
  o.session_ttl = std::chrono::milliseconds(std::max<int64_t>(
      0, absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_session_ttl))));
  o.restore_history_wait = ms(absl::GetFlag(FLAGS_restore_history_wait));
  return o;
}

}  // namespace cable::gateway
