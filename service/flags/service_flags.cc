#include "cable/service/service_flags.h"

#include <algorithm>
#include <string>

#include "absl/flags/flag.h"
#include "absl/time/time.h"
#include "cable/service/demo/default_state_channels.h"

ABSL_FLAG(int, grpc_port, 50051,
          "gRPC port of the Cable and Publisher APIs (0 picks a free port; "
          "the bound port is logged).");
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
          "counts and run on_cleanup (0 disables).");
ABSL_FLAG(absl::Duration, state_lock_timeout, absl::Seconds(3),
          "Stateful channels: how long lock_state waits for a channel "
          "another writer holds. Keep it under the gateway's "
          "--service_timeout, so that a busy channel answers a request with "
          "a failure rather than the gateway giving up on the call.");
ABSL_FLAG(int, state_threads, 8,
          "Threads running stateful-channel calls and the Publisher's state "
          "methods.");

namespace cable::service {

ServiceServerOptions ServiceServerOptionsFromFlags(
    const std::string& default_host) {
  ServiceServerOptions o;
  o.host = absl::GetFlag(FLAGS_grpc_host);
  if (o.host.empty()) o.host = default_host;
  o.port = absl::GetFlag(FLAGS_grpc_port);
  o.state.heartbeat_timeout = absl::GetFlag(FLAGS_heartbeat_timeout);
  o.state.cleanup_interval = absl::GetFlag(FLAGS_cleanup_interval);
  o.state.lock_timeout = absl::GetFlag(FLAGS_state_lock_timeout);
  o.state_threads =
      static_cast<unsigned>(std::max(1, absl::GetFlag(FLAGS_state_threads)));
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

}  // namespace cable::service
