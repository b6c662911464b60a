#include "cable/service/service_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <chrono>

#include "absl/strings/str_cat.h"
#include "cable/protocol.h"
#include "cable/service/cable_grpc_service.h"
#include "cable/service/command_handler.h"
#include "cable/service/in_memory_state_store.h"
#include "cable/service/nats_state_store.h"
#include "cable/service/publisher_grpc_service.h"
#include "cable/service/state_command_handler.h"

namespace cable::service {

struct ServiceServer::Impl {
  Impl(const ServiceServerOptions& options,
       std::unique_ptr<Application> application, PubSub& pubsub,
       PubSub& control, StateStore& store)
      : app(std::move(application)),
        handler(*app, pubsub),
        states(store, pubsub, options.state),
        state_handler(states, options.state_threads),
        cable(handler, state_handler, states),
        publisher(pubsub, control, states, state_handler) {}

  std::unique_ptr<Application> app;
  CommandHandler handler;
  StateChannels states;
  StateCommandHandler state_handler;
  CableGrpcService cable;
  PublisherGrpcService publisher;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

ServiceServer::ServiceServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

ServiceServer::~ServiceServer() { shutdown(0); }

absl::StatusOr<std::unique_ptr<ServiceServer>> ServiceServer::Start(
    const ServiceServerOptions& options, ServiceApplication app,
    PubSub& pubsub, PubSub& control, StateStore& store) {
  if (app.application == nullptr) {
    return absl::InvalidArgumentError("ServiceServer needs an application");
  }
  auto impl = std::make_unique<Impl>(options, std::move(app.application),
                                     pubsub, control, store);
  if (app.register_state_channels) {
    absl::Status registered = app.register_state_channels(impl->states);
    if (!registered.ok()) {
      return absl::Status(registered.code(),
                          absl::StrCat("setting up the stateful channels: ",
                                       registered.message()));
    }
  }
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  const std::string host = options.host.find(':') != std::string::npos
                               ? absl::StrCat("[", options.host, "]")
                               : options.host;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrCat(host, ":", options.port),
                           grpc::InsecureServerCredentials(), &impl->port);
  builder.SetMaxReceiveMessageSize(protocol::kMaxServiceMessageBytes);
  builder.SetMaxSendMessageSize(protocol::kMaxServiceMessageBytes);
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

StateChannels& ServiceServer::state_channels() { return impl_->states; }

std::shared_ptr<grpc::ChannelInterface> ServiceServer::in_process_channel() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(protocol::kMaxServiceMessageBytes);
  args.SetMaxSendMessageSize(protocol::kMaxServiceMessageBytes);
  return impl_->server->InProcessChannel(args);
}

void ServiceServer::shutdown(int grace_ms) {
  if (!impl_ || !impl_->server) return;
  impl_->server->Shutdown(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(grace_ms));
  impl_->server->Wait();
  impl_->server.reset();
}

absl::StatusOr<std::unique_ptr<StateStore>> MakeStateStore(
    const std::string& nats_url, const std::string& name) {
  if (nats_url.empty()) return std::make_unique<InMemoryStateStore>();
  NatsStateStoreOptions options;
  options.name = name;
  absl::StatusOr<std::unique_ptr<NatsStateStore>> store =
      NatsStateStore::Connect(nats_url, options);
  if (!store.ok()) {
    return absl::Status(
        store.status().code(),
        absl::StrCat("stateful channels need NATS with JetStream enabled "
                     "(nats-server -js): ",
                     store.status().message()));
  }
  return std::unique_ptr<StateStore>(*std::move(store));
}

}  // namespace cable::service
