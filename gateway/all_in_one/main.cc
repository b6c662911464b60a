// cable-server: the gateway and the cable service in one process. The
// gateway reaches the service through the same gRPC API it uses over the
// network, on an in-process channel. In memory by default; with --nats_url
// several cable-servers (and cable-gateways) share broadcasts through NATS.
// This is the one file that links gateway and service.

#include <spdlog/spdlog.h>

#include <cstdio>
#include <optional>
#include <string>

#include "absl/flags/flag.h"
#include "cable/backends.h"
#include "cable/gateway/demo_page.h"
#include "cable/gateway/gateway.h"
#include "cable/gateway/gateway_flags.h"
#include "cable/gateway/reload_signal.h"
#include "cable/gateway/session_store.h"
#include "cable/history_flags.h"
#include "cable/nats_flags.h"
#include "cable/process.h"
#include "cable/service/service_flags.h"
#include "cable/service/service_server.h"

ABSL_FLAG(std::string, nats_url, "",
          "NATS server(s), e.g. nats://127.0.0.1:4222 (comma-separated for a "
          "cluster); empty runs in memory, as one process.");
ABSL_FLAG(std::string, log_level, "info",
          "trace, debug, info, warn, error or off.");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "cable-server: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  cable::BlockStopSignals();
  cable::DisableMutexDebugChecks();
  cable::ParseFlags(argc, argv,
                    "Cable all-in-one server: WebSocket gateway, cable "
                    "service and Publisher API in one process.");
  cable::SetUpLogging(absl::GetFlag(FLAGS_log_level));

  cable::gateway::GatewayOptions gateway_options =
      cable::gateway::GatewayOptionsFromFlags();
  // SIGHUP reloads the TLS certificate: blocked before any thread starts.
  if (!gateway_options.tls_cert_file.empty()) {
    cable::gateway::BlockHangupSignal();
  }
  const auto history = cable::HistoryPolicyFromFlags();
  if (!history.ok()) return Fail(std::string(history.status().message()));
  auto backends =
      cable::MakeBackends(absl::GetFlag(FLAGS_nats_url), "cable-server",
                          cable::NatsSecurityFromFlags(), *history);
  if (!backends.ok()) return Fail(std::string(backends.status().message()));

  auto store = cable::service::MakeStateStore(absl::GetFlag(FLAGS_nats_url),
                                              "cable-server",
                                              cable::NatsSecurityFromFlags());
  if (!store.ok()) return Fail(std::string(store.status().message()));
  auto presence = cable::service::MakePresenceStore(
      absl::GetFlag(FLAGS_nats_url), "cable-server presence",
      cable::NatsSecurityFromFlags());
  if (!presence.ok()) return Fail(std::string(presence.status().message()));
  // The gateway reaches the service in process; the internal listener
  // is on the network only when --internal_port asks for it.
  const auto service_options = cable::service::ServiceServerOptionsFromFlags(
      gateway_options.host, /*default_internal_port=*/-1);
  if (!service_options.ok()) {
    return Fail(std::string(service_options.status().message()));
  }
  auto service = cable::service::ServiceServer::Start(
      *service_options, cable::service::DemoApplicationFromFlags(),
      *backends->streams, *backends->control, **store, backends->history.get(),
      presence->get());
  if (!service.ok()) return Fail(std::string(service.status().message()));
  cable::service::WarnWhereOpen(**service);

  cable::gateway::GatewayBackends gateway_backends;
  gateway_backends.streams = backends->streams.get();
  gateway_backends.history = backends->history.get();
  gateway_backends.control = backends->control.get();
  gateway_backends.static_files = cable::gateway::FindDemoFile;
  gateway_backends.service = (*service)->in_process_channel();
  gateway_backends.service_in_process = true;
  gateway_backends.service_secret = service_options->gateway_secret;
  gateway_backends.extra_metrics.push_back((*service)->metrics());
  gateway_backends.pubsub_ready = backends->ready;
  // Session restore: in memory, or in JetStream with --nats_url.
  auto sessions = cable::gateway::MakeSessionStore(
      absl::GetFlag(FLAGS_nats_url), "cable-server",
      cable::NatsSecurityFromFlags(), gateway_options.session_ttl);
  if (!sessions.ok()) return Fail(std::string(sessions.status().message()));
  gateway_backends.sessions = sessions->get();
  cable::gateway::Gateway gateway(gateway_options, gateway_backends);
  auto port = gateway.Start();
  if (!port.ok()) return Fail(std::string(port.status().message()));

  const std::string& grpc_host = service_options->host;
  if ((*service)->internal_port() >= 0) {
    spdlog::info("internal API on {}:{}", service_options->internal_host,
                 (*service)->internal_port());
  }
  spdlog::info("gateway {} serving {}://{}:{}/cable, gRPC on {}:{}",
               gateway.id(), gateway.tls() ? "wss" : "ws", gateway_options.host,
               *port, grpc_host, (*service)->port());
  std::printf("cable-server listening http=%s:%u grpc=%s:%d\n",
              gateway_options.host.c_str(), static_cast<unsigned>(*port),
              grpc_host.c_str(), (*service)->port());
  std::fflush(stdout);

  std::optional<cable::gateway::HangupWatcher> hangup;
  if (gateway.tls()) {
    hangup.emplace([&gateway] { (void)gateway.ReloadTls(); });
  }

  spdlog::info("signal {}: shutting down", cable::WaitForStopSignal());
  hangup.reset();
  gateway.Shutdown();
  (*service)->Shutdown(1000);
  return 0;
}
