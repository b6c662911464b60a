#include "cable/service/service_flags.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "cable/service/api_access.h"
#include "cable/service/demo/default_state_channels.h"

ABSL_FLAG(int, grpc_port, 50051,
          "gRPC port of the Publisher API, for applications (0 picks a free "
          "port; the bound port is logged).");
ABSL_FLAG(std::string, internal_host, "",
          "Address the internal gRPC listener (the gateways' Cable API) "
          "binds to (default: --grpc_host).");
ABSL_FLAG(std::string, internal_port, "",
          "Port of the internal gRPC listener, for gateways only; never the "
          "Publisher's. 0 picks a free port; 'none' serves it in process "
          "only. Default: 50052 for cable-service, none for cable-server.");
ABSL_FLAG(std::string, publisher_api_keys, "",
          "Comma-separated keys Publisher callers present as gRPC metadata "
          "'authorization: Bearer <key>' (or CABLE_PUBLISHER_API_KEYS). "
          "Empty (and no --publisher_api_keys_file): the Publisher API is "
          "open to anyone who reaches its port.");
ABSL_FLAG(std::string, publisher_api_keys_file, "",
          "File with one Publisher key per line (e.g. a mounted Kubernetes "
          "Secret); adds to --publisher_api_keys.");
ABSL_FLAG(std::string, gateway_secret, "",
          "Shared secret gateways present ('authorization: Bearer <secret>') "
          "on the internal listener, which trusts its callers' identifiers. "
          "Empty: anyone who reaches the internal port is trusted.");
ABSL_FLAG(std::string, gateway_secret_file, "",
          "File holding --gateway_secret (first line).");
ABSL_FLAG(std::string, grpc_tls_cert, "",
          "PEM certificate (chain) of the Publisher listener; with "
          "--grpc_tls_key it serves TLS.");
ABSL_FLAG(std::string, grpc_tls_key, "", "PEM private key of --grpc_tls_cert.");
ABSL_FLAG(std::string, grpc_tls_client_ca, "",
          "PEM CA: Publisher callers must present a certificate it signed "
          "(mutual TLS).");
ABSL_FLAG(std::string, internal_tls_cert, "",
          "PEM certificate of the internal listener (TLS to gateways).");
ABSL_FLAG(std::string, internal_tls_key, "",
          "PEM private key of --internal_tls_cert.");
ABSL_FLAG(std::string, internal_tls_client_ca, "",
          "PEM CA: gateways must present a certificate it signed (mutual "
          "TLS).");
ABSL_FLAG(std::string, grpc_host, "",
          "Address the gRPC listener binds to (default: --host).");
ABSL_FLAG(std::string, streams_secret, "",
          "Key verifying Turbo::StreamsChannel signed stream names "
          "(turbo-rails' signed_stream_verifier_key); empty rejects every "
          "signed name.");
ABSL_FLAG(std::string, jwt_secret, "",
          "HS256 key for connection tokens (?token= or Authorization: "
          "Bearer); empty accepts every connection.");

ABSL_FLAG(absl::Duration, heartbeat_timeout, absl::Seconds(5),
          "Stateful channels: a gateway (worker) is dead once this passes "
          "after a heartbeat it missed; its guard counts are then cleaned "
          "up.");
ABSL_FLAG(absl::Duration, cleanup_interval, absl::Seconds(5),
          "Stateful channels: how often to look for dead workers' guard "
          "counts and run OnCleanup (0 disables).");
ABSL_FLAG(absl::Duration, state_lock_timeout, absl::Seconds(3),
          "Stateful channels: how long LockState waits for a channel "
          "another writer holds. Keep it under the gateway's "
          "--service_timeout, so that a busy channel answers a request with "
          "a failure rather than the gateway giving up on the call.");
ABSL_FLAG(absl::Duration, presence_ttl, absl::Seconds(15),
          "Presence: how long a connection that closed without leaving stays "
          "in the presence sets it joined (a reconnecting client does not "
          "flap out and in); 0 ends it at once.");
ABSL_FLAG(absl::Duration, presence_sweep_interval, absl::Seconds(1),
          "Presence: how often to end expired presence and that of dead "
          "gateways (those --heartbeat_timeout past a missed heartbeat).");
ABSL_FLAG(std::string, service_id, "",
          "This replica's id in the Publisher API's Info (e.g. the pod "
          "name); empty picks a random one.");
ABSL_FLAG(absl::Duration, replica_heartbeat_interval, absl::Seconds(5),
          "How often this replica records in the state store that it is "
          "alive (Info waits for every alive replica); it counts as alive "
          "for this plus --heartbeat_timeout.");
ABSL_FLAG(int, state_threads, 8,
          "Threads running stateful-channel calls and the Publisher's state "
          "methods.");

namespace cable::service {

absl::StatusOr<ServiceServerOptions> ServiceServerOptionsFromFlags(
    const std::string& default_host, int default_internal_port) {
  ServiceServerOptions o;
  o.host = absl::GetFlag(FLAGS_grpc_host);
  if (o.host.empty()) o.host = default_host;
  o.port = absl::GetFlag(FLAGS_grpc_port);
  o.internal_host = absl::GetFlag(FLAGS_internal_host);
  if (o.internal_host.empty()) o.internal_host = o.host;
  const std::string internal_port = absl::GetFlag(FLAGS_internal_port);
  if (internal_port.empty()) {
    o.internal_port = default_internal_port;
  } else if (internal_port == "none") {
    o.internal_port = -1;
  } else if (!absl::SimpleAtoi(internal_port, &o.internal_port) ||
             o.internal_port < 0 || o.internal_port > 65535) {
    return absl::InvalidArgumentError(
        "--internal_port: a port number, 0 or 'none'");
  }
  absl::StatusOr<std::vector<std::string>> keys =
      LoadKeys(absl::GetFlag(FLAGS_publisher_api_keys),
               absl::GetFlag(FLAGS_publisher_api_keys_file));
  if (!keys.ok()) {
    return absl::Status(
        keys.status().code(),
        absl::StrCat("--publisher_api_keys_file: ", keys.status().message()));
  }
  o.publisher_api_keys = *std::move(keys);
  o.gateway_secret = absl::GetFlag(FLAGS_gateway_secret);
  if (const std::string file = absl::GetFlag(FLAGS_gateway_secret_file);
      !file.empty()) {
    absl::StatusOr<std::vector<std::string>> secret = LoadKeys("", file);
    if (!secret.ok() || secret->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("--gateway_secret_file: no secret in ", file));
    }
    o.gateway_secret = secret->front();
  }
  o.publisher_tls = {absl::GetFlag(FLAGS_grpc_tls_cert),
                     absl::GetFlag(FLAGS_grpc_tls_key),
                     absl::GetFlag(FLAGS_grpc_tls_client_ca)};
  o.internal_tls = {absl::GetFlag(FLAGS_internal_tls_cert),
                    absl::GetFlag(FLAGS_internal_tls_key),
                    absl::GetFlag(FLAGS_internal_tls_client_ca)};
  o.state.heartbeat_timeout = absl::GetFlag(FLAGS_heartbeat_timeout);
  o.state.cleanup_interval = absl::GetFlag(FLAGS_cleanup_interval);
  o.state.lock_timeout = absl::GetFlag(FLAGS_state_lock_timeout);
  o.presence.ttl = absl::GetFlag(FLAGS_presence_ttl);
  o.presence.sweep_interval = absl::GetFlag(FLAGS_presence_sweep_interval);
  // A gateway's first heartbeat may come after its clients' first joins:
  // give it a heartbeat's worth of time before judging it.
  o.presence.gateway_grace = 2 * o.state.heartbeat_timeout;
  if (o.presence.ttl < absl::ZeroDuration() ||
      o.presence.sweep_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "--presence_ttl must not be negative and --presence_sweep_interval "
        "must be positive");
  }
  o.state_threads =
      static_cast<unsigned>(std::max(1, absl::GetFlag(FLAGS_state_threads)));
  o.service_id = absl::GetFlag(FLAGS_service_id);
  o.replica_heartbeat_interval =
      absl::GetFlag(FLAGS_replica_heartbeat_interval);
  return o;
}

DefaultApplicationOptions DefaultApplicationOptionsFromFlags() {
  DefaultApplicationOptions o;
  o.streams_secret = absl::GetFlag(FLAGS_streams_secret);
  o.jwt_secret = absl::GetFlag(FLAGS_jwt_secret);
  return o;
}

ServiceApplication DemoApplicationFromFlags() {
  return ServiceApplication{
      .application =
          MakeDefaultApplication(DefaultApplicationOptionsFromFlags()),
      .register_state_channels = RegisterDefaultStateChannels};
}

void WarnWhereOpen(const ServiceServer& server) {
  if (server.publisher_open()) {
    spdlog::warn(
        "*** The Publisher API on port {} is OPEN: anyone who reaches it can "
        "broadcast to any stream and disconnect anyone. Set "
        "--publisher_api_keys (or CABLE_PUBLISHER_API_KEYS). ***",
        server.port());
  }
  if (server.internal_port() >= 0 && server.internal_open()) {
    spdlog::warn(
        "*** The internal API on port {} is OPEN: it trusts the identifiers "
        "its callers send, so anyone who reaches it can act as any user. "
        "Set --gateway_secret on services and gateways, or mutual TLS. ***",
        server.internal_port());
  }
}

}  // namespace cable::service
