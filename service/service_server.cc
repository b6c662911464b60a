#include "service/service_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "service/cable_grpc_service.h"
#include "service/command_handler.h"
#include "service/publisher_grpc_service.h"

namespace cable::service {

struct ServiceServer::Impl {
  Impl(const ServiceServerOptions& options, PubSub& pubsub, PubSub& control)
      : app(MakeDefaultApplication(options.application)),
        handler(*app, pubsub),
        cable(handler),
        publisher(pubsub, control) {}

  std::unique_ptr<Application> app;
  CommandHandler handler;
  CableGrpcService cable;
  PublisherGrpcService publisher;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

ServiceServer::ServiceServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

ServiceServer::~ServiceServer() { shutdown(0); }

absl::StatusOr<std::unique_ptr<ServiceServer>> ServiceServer::Start(
    const ServiceServerOptions& options, PubSub& pubsub, PubSub& control) {
  auto impl = std::make_unique<Impl>(options, pubsub, control);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  const std::string host = options.host.find(':') != std::string::npos
                               ? absl::StrCat("[", options.host, "]")
                               : options.host;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(host, ":", options.port),
                           grpc::InsecureServerCredentials(), &impl->port);
  builder.RegisterService(&impl->cable);
  builder.RegisterService(&impl->publisher);
  impl->server = builder.BuildAndStart();
  if (!impl->server || impl->port == 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot listen for gRPC on ", options.host, ":", options.port));
  }
  return std::unique_ptr<ServiceServer>(new ServiceServer(std::move(impl)));
}

int ServiceServer::port() const { return impl_->port; }

std::shared_ptr<grpc::ChannelInterface> ServiceServer::in_process_channel() {
  return impl_->server->InProcessChannel(grpc::ChannelArguments());
}

void ServiceServer::shutdown(int grace_ms) {
  if (!impl_ || !impl_->server) return;
  impl_->server->Shutdown(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(grace_ms));
  impl_->server->Wait();
  impl_->server.reset();
}

}  // namespace cable::service
