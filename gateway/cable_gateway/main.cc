// cable-gateway: the WebSocket gateway alone. It reaches cable-service
// replicas over gRPC (--service) and the other gateways through NATS
// (--nats_url). Kubernetes runs this.

#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "cable/backends.h"
#include "cable/gateway/demo_page.h"
#include "cable/gateway/gateway.h"
#include "cable/gateway/gateway_flags.h"
#include "cable/gateway/reload_signal.h"
#include "cable/gateway/service_client.h"
#include "cable/gateway/session_store.h"
#include "cable/history_flags.h"
#include "cable/nats_flags.h"
#include "cable/process.h"

ABSL_FLAG(std::string, nats_url, "",
          "NATS server(s), e.g. nats://nats:4222 (required).");
ABSL_FLAG(std::string, service, "",
          "cable-service replicas: comma-separated IP:port list, or one gRPC "
          "target such as dns:///cable-service:50051 (required).");
ABSL_FLAG(std::string, log_level, "info",
          "trace, debug, info, warn, error or off.");

ABSL_FLAG(std::string, gateway_secret, "",
          "Secret presented to cable-service's internal listener as "
          "'authorization: Bearer <secret>' (the services' --gateway_secret).");
ABSL_FLAG(std::string, gateway_secret_file, "",
          "File holding --gateway_secret (first line).");
ABSL_FLAG(std::string, service_tls_ca, "",
          "PEM CA that signed the services' internal certificate: TLS to "
          "--service. Empty: plaintext.");
ABSL_FLAG(std::string, service_tls_cert, "",
          "PEM client certificate for mutual TLS to the services.");
ABSL_FLAG(std::string, service_tls_key, "",
          "PEM private key of --service_tls_cert.");
ABSL_FLAG(std::string, service_tls_server_name, "",
          "Name to check the services' certificate against (default: the "
          "host of --service).");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "cable-gateway: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  cable::BlockStopSignals();
  cable::DisableMutexDebugChecks();
  cable::ParseFlags(argc, argv,
                    "Cable WebSocket gateway: speaks Action Cable to clients, "
                    "calls cable-service over gRPC, shares broadcasts over "
                    "NATS.");
  cable::SetUpLogging(absl::GetFlag(FLAGS_log_level));
  if (absl::GetFlag(FLAGS_nats_url).empty())
    return Fail("--nats_url is required");
  if (absl::GetFlag(FLAGS_service).empty())
    return Fail("--service is required");

  cable::gateway::GatewayOptions options =
      cable::gateway::GatewayOptionsFromFlags();
  // SIGHUP reloads the TLS certificate: blocked before any thread starts.
  if (!options.tls_cert_file.empty()) cable::gateway::BlockHangupSignal();
  const auto history = cable::HistoryPolicyFromFlags();
  if (!history.ok()) return Fail(std::string(history.status().message()));
  auto backends =
      cable::MakeBackends(absl::GetFlag(FLAGS_nats_url), "cable-gateway",
                          cable::NatsSecurityFromFlags(), *history);
  if (!backends.ok()) return Fail(std::string(backends.status().message()));
  auto channel = cable::gateway::MakeServiceChannel(
      absl::GetFlag(FLAGS_service),
      {.ca_file = absl::GetFlag(FLAGS_service_tls_ca),
       .cert_file = absl::GetFlag(FLAGS_service_tls_cert),
       .key_file = absl::GetFlag(FLAGS_service_tls_key),
       .server_name = absl::GetFlag(FLAGS_service_tls_server_name)});
  if (!channel.ok()) return Fail(std::string(channel.status().message()));
  std::string secret = absl::GetFlag(FLAGS_gateway_secret);
  if (const std::string file = absl::GetFlag(FLAGS_gateway_secret_file);
      !file.empty()) {
    std::ifstream in(file);
    if (!in || !std::getline(in, secret) || secret.empty()) {
      return Fail("--gateway_secret_file: no secret in " + file);
    }
  }

  cable::gateway::GatewayBackends gateway_backends;
  gateway_backends.streams = backends->streams.get();
  gateway_backends.history = backends->history.get();
  gateway_backends.control = backends->control.get();
  gateway_backends.static_files = cable::gateway::FindDemoFile;
  gateway_backends.service = *channel;
  gateway_backends.service_secret = secret;
  gateway_backends.pubsub_ready = backends->ready;
  // Session restore: in memory, or in JetStream with --nats_url.
  auto sessions = cable::gateway::MakeSessionStore(
      absl::GetFlag(FLAGS_nats_url), "cable-gateway",
      cable::NatsSecurityFromFlags(), options.session_ttl);
  if (!sessions.ok()) return Fail(std::string(sessions.status().message()));
  gateway_backends.sessions = sessions->get();
  cable::gateway::Gateway gateway(options, gateway_backends);
  auto port = gateway.Start();
  if (!port.ok()) return Fail(std::string(port.status().message()));

  spdlog::info("gateway {} serving {}://{}:{}/cable", gateway.id(),
               gateway.tls() ? "wss" : "ws", options.host, *port);
  std::printf("cable-gateway listening http=%s:%u grpc=none:0 id=%s\n",
              options.host.c_str(), static_cast<unsigned>(*port),
              gateway.id().c_str());
  std::fflush(stdout);

  std::optional<cable::gateway::HangupWatcher> hangup;
  if (gateway.tls()) {
    hangup.emplace([&gateway] { (void)gateway.ReloadTls(); });
  }

  spdlog::info("signal {}: shutting down", cable::WaitForStopSignal());
  hangup.reset();
  gateway.Shutdown();
  return 0;
}
