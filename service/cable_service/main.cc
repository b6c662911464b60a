// cable-service: the cable service alone — channels, authentication and the
// Publisher API over gRPC, broadcasting through NATS. Stateless per
// connection, so replicas scale freely behind one address.

#include <prometheus/exposer.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "cable/backends.h"
#include "cable/history_flags.h"
#include "cable/nats_flags.h"
#include "cable/process.h"
#include "cable/service/service_flags.h"
#include "cable/service/service_server.h"

ABSL_FLAG(std::string, nats_url, "",
          "NATS server(s), e.g. nats://nats:4222 (required).");
ABSL_FLAG(std::string, host, "0.0.0.0",
          "Address the gRPC listener binds to (unless --grpc_host is set).");
ABSL_FLAG(std::string, metrics_host, "0.0.0.0",
          "Address the /metrics HTTP listener binds to.");
ABSL_FLAG(int, metrics_port, 9464,
          "Port of /metrics (Prometheus text); 0 picks a free port, -1 "
          "turns it off.");
ABSL_FLAG(std::string, log_level, "info",
          "trace, debug, info, warn, error or off.");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "cable-service: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  cable::BlockStopSignals();
  cable::DisableMutexDebugChecks();
  cable::ParseFlags(argc, argv,
                    "Cable service: channels, authentication and the "
                    "Publisher API over gRPC.");
  cable::SetUpLogging(absl::GetFlag(FLAGS_log_level));
  if (absl::GetFlag(FLAGS_nats_url).empty())
    return Fail("--nats_url is required");

  const auto history = cable::HistoryPolicyFromFlags();
  if (!history.ok()) return Fail(std::string(history.status().message()));
  auto backends =
      cable::MakeBackends(absl::GetFlag(FLAGS_nats_url), "cable-service",
                          cable::NatsSecurityFromFlags(), *history);
  if (!backends.ok()) return Fail(std::string(backends.status().message()));
  auto store = cable::service::MakeStateStore(absl::GetFlag(FLAGS_nats_url),
                                              "cable-service",
                                              cable::NatsSecurityFromFlags());
  if (!store.ok()) return Fail(std::string(store.status().message()));
  auto presence = cable::service::MakePresenceStore(
      absl::GetFlag(FLAGS_nats_url), "cable-service presence",
      cable::NatsSecurityFromFlags());
  if (!presence.ok()) return Fail(std::string(presence.status().message()));
  const auto options = cable::service::ServiceServerOptionsFromFlags(
      absl::GetFlag(FLAGS_host), /*default_internal_port=*/50052);
  if (!options.ok()) return Fail(std::string(options.status().message()));
  auto service = cable::service::ServiceServer::Start(
      *options, cable::service::DemoApplicationFromFlags(), *backends->streams,
      *backends->control, **store, backends->history.get(), presence->get());
  if (!service.ok()) return Fail(std::string(service.status().message()));
  cable::service::WarnWhereOpen(**service);

  // /metrics for Prometheus, apart from both gRPC listeners.
  std::unique_ptr<prometheus::Exposer> exposer;
  int metrics_port = -1;
  if (absl::GetFlag(FLAGS_metrics_port) >= 0) {
    try {
      exposer = std::make_unique<prometheus::Exposer>(
          absl::StrCat(absl::GetFlag(FLAGS_metrics_host), ":",
                       absl::GetFlag(FLAGS_metrics_port)));
    } catch (const std::exception& e) {
      return Fail(absl::StrCat("--metrics_port: ", e.what()));
    }
    exposer->RegisterCollectable((*service)->metrics());
    metrics_port = exposer->GetListeningPorts().front();
  }

  spdlog::info("cable-service serving Publisher on {}:{}, internal on {}:{}",
               options->host, (*service)->port(), options->internal_host,
               (*service)->internal_port());
  std::printf(
      "cable-service listening http=none:0 grpc=%s:%d internal=%s:%d "
      "metrics=%s:%d\n",
      options->host.c_str(), (*service)->port(), options->internal_host.c_str(),
      (*service)->internal_port(), absl::GetFlag(FLAGS_metrics_host).c_str(),
      metrics_port);
  std::fflush(stdout);

  spdlog::info("signal {}: shutting down", cable::WaitForStopSignal());
  (*service)->Shutdown(2000);
  return 0;
}
