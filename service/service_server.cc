#include "cable/service/service_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <chrono>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "cable/protocol.h"
#include "cable/service/api_access.h"
#include "cable/service/cable_grpc_service.h"
#include "cable/service/command_handler.h"
#include "cable/service/in_memory_state_store.h"
#include "cable/service/jetstream_presence_store.h"
#include "cable/service/nats_state_store.h"
#include "cable/service/presence_command_handler.h"
#include "cable/service/presence_store.h"
#include "cable/service/publisher_grpc_service.h"
#include "cable/service/state_command_handler.h"
#include "cable/service/surveyor.h"

namespace cable::service {
namespace {

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> Credentials(
    const ServerTlsOptions& tls, absl::string_view listener) {
  if (tls.cert_file.empty() && tls.key_file.empty()) {
    if (!tls.client_ca_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          listener, ": a client CA needs a certificate and key (mutual TLS)"));
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(listener, ": TLS needs both a certificate and a key"));
  }
  absl::StatusOr<std::string> cert = ReadPem(tls.cert_file);
  if (!cert.ok()) return cert.status();
  absl::StatusOr<std::string> key = ReadPem(tls.key_file);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions ssl(
      tls.client_ca_file.empty()
          ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
          : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!tls.client_ca_file.empty()) {
    absl::StatusOr<std::string> ca = ReadPem(tls.client_ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
  }
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(ssl);
}

std::string HostPort(const std::string& host, int port) {
  return host.find(':') != std::string::npos
             ? absl::StrCat("[", host, "]:", port)
             : absl::StrCat(host, ":", port);
}

// cable_unauthenticated_calls_total, read from the ApiAccess counters at
// scrape time.
class AccessMetrics final : public prometheus::Collectable {
 public:
  AccessMetrics(const ApiAccess& publisher, const ApiAccess& internal)
      : publisher_(publisher), internal_(internal) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    prometheus::MetricFamily family;
    family.name = "cable_unauthenticated_calls_total";
    family.help = "gRPC calls refused for a missing or wrong key";
    family.type = prometheus::MetricType::Counter;
    for (const auto& [api, access] :
         {std::pair<const char*, const ApiAccess*>{"publisher", &publisher_},
          {"internal", &internal_}}) {
      prometheus::ClientMetric metric;
      metric.label.push_back({"api", api});
      metric.counter.value = static_cast<double>(access->denied());
      family.metric.push_back(std::move(metric));
    }
    return {std::move(family)};
  }

 private:
  const ApiAccess& publisher_;
  const ApiAccess& internal_;
};

}  // namespace

struct ServiceServer::Impl {
  Impl(const ServiceServerOptions& options,
       std::unique_ptr<Application> application, PubSub& pubsub,
       PubSub& control, StateStore& store, History* history,
       PresenceStore* presence_store)
      : own_presence_store(presence_store == nullptr
                               ? std::make_unique<InMemoryPresenceStore>()
                               : nullptr),
        publisher_access("Publisher", options.publisher_api_keys),
        internal_access("internal Cable",
                        std::vector<std::string>{options.gateway_secret}),
        metrics(
            std::make_shared<AccessMetrics>(publisher_access, internal_access)),
        app(std::move(application)),
        handler(*app, pubsub),
        states(store, pubsub, options.state),
        presence(
            presence_store != nullptr ? *presence_store : *own_presence_store,
            pubsub, [&store] { return store.AliveWorkers(); },
            options.presence),
        state_handler(states, options.state_threads),
        presence_handler(presence,
                         [this](std::function<void()> work) {
                           state_handler.Post(std::move(work));
                         }),
        surveyor(
            control, store,
            [this](std::function<void()> work) {
              state_handler.Post(std::move(work));
            },
            SurveyorOptions{
                .service_id = options.service_id,
                .heartbeat_interval = options.replica_heartbeat_interval,
                .heartbeat_timeout = options.state.heartbeat_timeout}),
        cable(handler, state_handler, states, presence_handler,
              internal_access),
        publisher(pubsub, control, states, state_handler, publisher_access,
                  history, &presence, &surveyor) {}

  std::unique_ptr<PresenceStore> own_presence_store;
  ApiAccess publisher_access;
  ApiAccess internal_access;
  std::shared_ptr<AccessMetrics> metrics;
  std::unique_ptr<Application> app;
  CommandHandler handler;
  StateChannels states;
  // (Before the threads its work is posted to, so it outlives them.)
  Presence presence;
  StateCommandHandler state_handler;
  PresenceCommandHandler presence_handler;
  // Before the servers: stopped first, destroyed before the state threads
  // its tasks run on.
  Surveyor surveyor;
  CableGrpcService cable;
  PublisherGrpcService publisher;
  // The Publisher listener, and the internal one (which also serves the
  // in-process channel).
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<grpc::Server> internal_server;
  int port = 0;
  int internal_port = -1;
};

ServiceServer::ServiceServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

ServiceServer::~ServiceServer() { Shutdown(0); }

absl::StatusOr<std::unique_ptr<ServiceServer>> ServiceServer::Start(
    const ServiceServerOptions& options, ServiceApplication app, PubSub& pubsub,
    PubSub& control, StateStore& store, History* history,
    PresenceStore* presence) {
  if (app.application == nullptr) {
    return absl::InvalidArgumentError("ServiceServer needs an application");
  }
  auto impl = std::make_unique<Impl>(options, std::move(app.application),
                                     pubsub, control, store, history, presence);
  if (app.register_state_channels) {
    absl::Status registered = app.register_state_channels(impl->states);
    if (!registered.ok()) {
      return absl::Status(registered.code(),
                          absl::StrCat("setting up the stateful channels: ",
                                       registered.message()));
    }
  }
  if (absl::Status s = impl->surveyor.Start(); !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("server API: ", s.message()));
  }
  auto publisher_credentials = Credentials(options.publisher_tls, "Publisher");
  if (!publisher_credentials.ok()) return publisher_credentials.status();
  auto internal_credentials = Credentials(options.internal_tls, "internal");
  if (!internal_credentials.ok()) return internal_credentials.status();
  grpc::EnableDefaultHealthCheckService(true);

  // The internal API first: its own server, so that no Publisher key (or
  // any caller of the Publisher's port) can reach it.
  grpc::ServerBuilder internal;
  if (options.internal_port >= 0) {
    internal.AddListeningPort(
        HostPort(options.internal_host, options.internal_port),
        *internal_credentials, &impl->internal_port);
  }
  // Gateways resolve dns:/// service names only when a connection ends:
  // ending each after a few minutes (gracefully) lets them find replicas
  // added since, so a scale-up gets traffic.
  internal.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, 5 * 60 * 1000);
  internal.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, 30 * 1000);
  internal.SetMaxReceiveMessageSize(protocol::kMaxServiceMessageBytes);
  internal.SetMaxSendMessageSize(protocol::kMaxServiceMessageBytes);
  internal.RegisterService(&impl->cable);
  impl->internal_server = internal.BuildAndStart();
  if (!impl->internal_server ||
      (options.internal_port >= 0 && impl->internal_port == 0)) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for the internal gRPC API on ",
                     HostPort(options.internal_host, options.internal_port)));
  }

  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(HostPort(options.host, options.port),
                           *publisher_credentials, &impl->port);
  builder.SetMaxReceiveMessageSize(protocol::kMaxServiceMessageBytes);
  builder.SetMaxSendMessageSize(protocol::kMaxServiceMessageBytes);
  builder.RegisterService(&impl->publisher);
  impl->server = builder.BuildAndStart();
  if (!impl->server || impl->port == 0) {
    impl->internal_server->Shutdown();
    return absl::UnavailableError(absl::StrCat(
        "cannot listen for gRPC on ", HostPort(options.host, options.port)));
  }
  return std::unique_ptr<ServiceServer>(new ServiceServer(std::move(impl)));
}

int ServiceServer::port() const { return impl_->port; }

int ServiceServer::internal_port() const { return impl_->internal_port; }

bool ServiceServer::publisher_open() const {
  return impl_->publisher_access.Open();
}

bool ServiceServer::internal_open() const {
  return impl_->internal_access.Open();
}

std::shared_ptr<prometheus::Collectable> ServiceServer::metrics() {
  return impl_->metrics;
}

StateChannels& ServiceServer::state_channels() { return impl_->states; }

std::shared_ptr<grpc::ChannelInterface> ServiceServer::in_process_channel() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(protocol::kMaxServiceMessageBytes);
  args.SetMaxSendMessageSize(protocol::kMaxServiceMessageBytes);
  return impl_->internal_server->InProcessChannel(args);
}

void ServiceServer::Shutdown(int grace_ms) {
  if (!impl_) return;
  const auto deadline =
      std::chrono::system_clock::now() + std::chrono::milliseconds(grace_ms);
  // Surveys running end now rather than hold the servers' shutdown.
  impl_->surveyor.Stop();
  for (auto* server : {&impl_->server, &impl_->internal_server}) {
    if (*server == nullptr) continue;
    (*server)->Shutdown(deadline);
    (*server)->Wait();
    server->reset();
  }
}

absl::StatusOr<std::unique_ptr<StateStore>> MakeStateStore(
    const std::string& nats_url, const std::string& name,
    const NatsSecurity& security) {
  if (nats_url.empty()) return std::make_unique<InMemoryStateStore>();
  NatsStateStoreOptions options;
  options.name = name;
  options.security = security;
  absl::StatusOr<std::unique_ptr<NatsStateStore>> store =
      NatsStateStore::Connect(nats_url, options);
  if (!store.ok()) {
    return absl::Status(
        store.status().code(),
        store.status().code() == absl::StatusCode::kUnauthenticated ||
                store.status().code() == absl::StatusCode::kPermissionDenied
            ? absl::StrCat("the state store (NATS JetStream): ",
                           store.status().message())
            : absl::StrCat("stateful channels need NATS with JetStream "
                           "enabled (nats-server -js): ",
                           store.status().message()));
  }
  return std::unique_ptr<StateStore>(*std::move(store));
}

absl::StatusOr<std::unique_ptr<PresenceStore>> MakePresenceStore(
    const std::string& nats_url, const std::string& name,
    const NatsSecurity& security) {
  if (nats_url.empty()) return std::make_unique<InMemoryPresenceStore>();
  JetStreamPresenceStoreOptions options;
  options.name = name;
  options.security = security;
  auto store = JetStreamPresenceStore::Connect(nats_url, options);
  if (!store.ok()) {
    return absl::Status(store.status().code(),
                        absl::StrCat("the presence store (NATS JetStream): ",
                                     store.status().message()));
  }
  return std::unique_ptr<PresenceStore>(*std::move(store));
}

}  // namespace cable::service
