// cable-server: the gateway and the cable service in one process, with the
// in-memory pub/sub. The gateway reaches the service through the same gRPC
// API it uses over the network, on an in-process channel. This is the one
// file that links both.

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "gateway/gateway.h"
#include "gateway/gateway_flags.h"
#include "sdk/env_flags.h"
#include "sdk/in_memory_pubsub.h"
#include "service/cable_grpc_service.h"
#include "service/command_handler.h"
#include "service/default_application.h"
#include "service/publisher_grpc_service.h"

ABSL_FLAG(int, grpc_port, 50051,
          "gRPC port of the Publisher (and Cable) API (0 picks a free port; "
          "the bound port is logged).");
ABSL_FLAG(std::string, grpc_host, "",
          "Address the gRPC listener binds to (default: --host).");
ABSL_FLAG(
    std::string, streams_secret, "",
    "Key verifying Turbo::StreamsChannel signed stream names (turbo-rails' "
    "signed_stream_verifier_key); empty rejects every signed name.");
ABSL_FLAG(std::string, jwt_secret, "",
          "HS256 key for connection tokens (?token= or Authorization: Bearer); "
          "empty accepts every connection.");
ABSL_FLAG(std::string, log_level, "info",
          "trace, debug, info, warn, error or off.");

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "cable-server: %s\n", message.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the stop signals in every thread (threads inherit the mask); the
  // main thread waits for them with sigwait.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  absl::SetProgramUsageMessage(
      "Cable all-in-one server: WebSocket gateway, cable service and "
      "Publisher API in one process.\nEvery flag can also be set with "
      "CABLE_<FLAG> in the environment.");
  if (auto status = cable::ApplyEnvironmentToFlags(); !status.ok()) {
    return Fail(std::string(status.message()));
  }
  absl::ParseCommandLine(argc, argv);
  // Logs go to stderr; stdout carries only the "listening" line.
  spdlog::set_default_logger(spdlog::stderr_color_mt("cable"));
  spdlog::set_level(spdlog::level::from_str(absl::GetFlag(FLAGS_log_level)));

  cable::gateway::GatewayOptions gateway_options =
      cable::gateway::GatewayOptionsFromFlags();

  cable::InMemoryPubSub pubsub;
  cable::service::DefaultApplicationOptions app_options;
  app_options.streams_secret = absl::GetFlag(FLAGS_streams_secret);
  app_options.jwt_secret = absl::GetFlag(FLAGS_jwt_secret);
  auto app = cable::service::MakeDefaultApplication(app_options);
  cable::service::CommandHandler handler(*app, pubsub);
  cable::service::CableGrpcService cable_service(handler);
  cable::service::PublisherGrpcService publisher_service(pubsub);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  std::string grpc_host = absl::GetFlag(FLAGS_grpc_host);
  if (grpc_host.empty()) grpc_host = gateway_options.host;
  int grpc_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(grpc_host.find(':') != std::string::npos
                                            ? absl::StrCat("[", grpc_host, "]")
                                            : grpc_host,
                                        ":", absl::GetFlag(FLAGS_grpc_port)),
                           grpc::InsecureServerCredentials(), &grpc_port);
  builder.RegisterService(&cable_service);
  builder.RegisterService(&publisher_service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server || grpc_port == 0) {
    return Fail(absl::StrCat("cannot listen for gRPC on ", grpc_host, ":",
                             absl::GetFlag(FLAGS_grpc_port)));
  }

  cable::gateway::Gateway gateway(
      gateway_options, pubsub,
      server->InProcessChannel(grpc::ChannelArguments()));
  auto port = gateway.start();
  if (!port.ok()) {
    server->Shutdown();
    return Fail(std::string(port.status().message()));
  }
  spdlog::info("gateway {} serving WebSocket on ws://{}:{}/cable", gateway.id(),
               gateway_options.host, *port);
  std::printf("cable-server listening http=%s:%u grpc=%s:%d\n",
              gateway_options.host.c_str(), static_cast<unsigned>(*port),
              grpc_host.c_str(), grpc_port);
  std::fflush(stdout);

  int signal_number = 0;
  sigwait(&stop_signals, &signal_number);
  spdlog::info("signal {}: shutting down", signal_number);
  gateway.shutdown();
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  return 0;
}
