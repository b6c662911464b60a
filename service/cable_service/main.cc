// cable-service: the cable service alone — channels, authentication and the
// Publisher API over gRPC, broadcasting through NATS. Stateless per
// connection, so replicas scale freely behind one address.

#include <spdlog/spdlog.h>

#include <cstdio>
#include <string>

#include "absl/flags/flag.h"
#include "cable/backends.h"
#include "cable/process.h"
#include "cable/service/service_flags.h"
#include "cable/service/service_server.h"

ABSL_FLAG(std::string, nats_url, "",
          "NATS server(s), e.g. nats://nats:4222 (required).");
ABSL_FLAG(std::string, host, "0.0.0.0",
          "Address the gRPC listener binds to (unless --grpc_host is set).");
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

  auto backends =
      cable::MakeBackends(absl::GetFlag(FLAGS_nats_url), "cable-service");
  if (!backends.ok()) return Fail(std::string(backends.status().message()));
  auto store = cable::service::MakeStateStore(absl::GetFlag(FLAGS_nats_url),
                                              "cable-service");
  if (!store.ok()) return Fail(std::string(store.status().message()));
  const auto options =
      cable::service::ServiceServerOptionsFromFlags(absl::GetFlag(FLAGS_host));
  auto service = cable::service::ServiceServer::Start(
      options, cable::service::DemoApplicationFromFlags(), *backends->streams,
      *backends->control, **store);
  if (!service.ok()) return Fail(std::string(service.status().message()));

  spdlog::info("cable-service serving gRPC on {}:{}", options.host,
               (*service)->port());
  std::printf("cable-service listening http=none:0 grpc=%s:%d\n",
              options.host.c_str(), (*service)->port());
  std::fflush(stdout);

  spdlog::info("signal {}: shutting down", cable::WaitForStopSignal());
  (*service)->shutdown(2000);
  return 0;
}
