#include "cable/gateway/service_client.h"

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cable/internal/v1/cable.grpc.pb.h"
#include "cable/protocol.h"

namespace cable::gateway {
namespace {

absl::Status ToAbsl(const grpc::Status& s) {
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      s.error_message());
}

// One unary call: owns its context and messages until gRPC completes it.
template <class Req, class Resp>
struct Call {
  grpc::ClientContext context;
  Req request;
  Resp response;
  ServiceClient::Callback<Resp> done;
};

absl::StatusOr<std::string> ReadPem(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

struct ServiceClient::Impl {
  std::shared_ptr<grpc::ChannelInterface> channel;
  bool in_process = false;
  // Whether the latest completed call reached the service. The in-process
  // channel has no connectivity state, so outcomes are what tells.
  std::atomic<bool> reachable{true};
  std::unique_ptr<internal::v1::Cable::Stub> stub;
  std::chrono::milliseconds timeout;
  std::string authorization;  // "Bearer <secret>", or empty

  // The calls gRPC has not completed yet, so that shutdown can cancel them
  // and wait for their callbacks: none may run once the gateway is gone.
  // Each entry keeps its call alive, so that cancelling never touches a
  // call that has just completed.
  absl::Mutex mu;
  absl::flat_hash_map<grpc::ClientContext*,
                      std::shared_ptr<grpc::ClientContext>>
      in_flight ABSL_GUARDED_BY(mu);
  bool stopping ABSL_GUARDED_BY(mu) = false;
  // Calls not yet freed. A call's ClientContext holds a reference to the
  // channel: were the last one dropped on gRPC's callback thread (the
  // gateway letting go of its channel while a callback still held a call),
  // gRPC 1.51 would destroy the channel there and free its completion queue
  // under the running thread (grpc/grpc#32584; ASan: a double free in
  // grpc_cq_internal_unref). So shutdown waits for this to reach zero, and a
  // callback frees its call before it counts down.
  int unfreed ABSL_GUARDED_BY(mu) = 0;

  // `start(context, request, response, on_done)` issues the async call.
  template <class Req, class Resp, class Start>
  void StartCall(const Req& request, Callback<Resp> done, Start start) {
    auto c = std::make_shared<Call<Req, Resp>>();
    c->request = request;
    c->done = std::move(done);
    c->context.set_deadline(std::chrono::system_clock::now() + timeout);
    if (!authorization.empty()) {
      c->context.AddMetadata("authorization", authorization);
    }
    bool cancel;
    {
      absl::MutexLock lock(&mu);
      in_flight.emplace(&c->context,
                        std::shared_ptr<grpc::ClientContext>(c, &c->context));
      ++unfreed;
      cancel = stopping;
    }
    start(&c->context, &c->request, &c->response,
          [this, c](grpc::Status status) mutable {
            // The call is freed here, in the callback, not when gRPC
            // destroys this function (unless shutdown holds it a moment).
            std::shared_ptr<Call<Req, Resp>> self = std::move(c);
            const auto code = status.error_code();
            reachable.store(code != grpc::StatusCode::UNAVAILABLE &&
                                code != grpc::StatusCode::DEADLINE_EXCEEDED,
                            std::memory_order_relaxed);
            if (status.ok()) {
              self->done(std::move(self->response));
            } else {
              self->done(ToAbsl(status));
            }
            std::shared_ptr<grpc::ClientContext> entry;
            {
              absl::MutexLock lock(&mu);
              auto it = in_flight.find(&self->context);
              if (it != in_flight.end()) {
                entry = std::move(it->second);
                in_flight.erase(it);
              }
            }
            // Shutdown may still hold a reference for a moment (cancelling);
            // it lets go before it waits, so the call is freed here or there,
            // and in both cases before `unfreed` counts it.
            entry.reset();
            self.reset();
            absl::MutexLock lock(&mu);
            --unfreed;
          });
    // Started after shutdown began: cancelled at once (it still completes).
    if (cancel) c->context.TryCancel();
  }

  void CancelAll(absl::Duration bound) {
    std::vector<std::shared_ptr<grpc::ClientContext>> calls;
    {
      absl::MutexLock lock(&mu);
      stopping = true;
      for (const auto& [context, call] : in_flight) calls.push_back(call);
    }
    // Outside the lock: gRPC may run a cancelled call's callback inline.
    for (const auto& context : calls) context->TryCancel();
    calls.clear();
    absl::MutexLock lock(&mu);
    auto none = [this]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) { return unfreed == 0; };
    mu.AwaitWithTimeout(absl::Condition(&none), bound);
  }
};

ServiceClient::ServiceClient(std::shared_ptr<grpc::ChannelInterface> channel,
                             std::chrono::milliseconds timeout, bool in_process,
                             std::string secret)
    : impl_(std::make_unique<Impl>()) {
  if (!secret.empty()) impl_->authorization = absl::StrCat("Bearer ", secret);
  impl_->in_process = in_process;
  impl_->stub = internal::v1::Cable::NewStub(channel);
  impl_->channel = std::move(channel);
  impl_->timeout = timeout;
}

ServiceClient::~ServiceClient() { Shutdown(); }

void ServiceClient::Shutdown() { impl_->CancelAll(absl::Seconds(10)); }

void ServiceClient::Connect(const internal::v1::ConnectRequest& request,
                            Callback<internal::v1::ConnectResponse> done) {
  impl_->StartCall(request, std::move(done),
                   [stub = impl_->stub.get()](auto* ctx, auto* req, auto* resp,
                                              auto on_done) {
                     stub->async()->Connect(ctx, req, resp, std::move(on_done));
                   });
}

void ServiceClient::Command(const internal::v1::CommandRequest& request,
                            Callback<internal::v1::CommandResponse> done) {
  impl_->StartCall(request, std::move(done),
                   [stub = impl_->stub.get()](auto* ctx, auto* req, auto* resp,
                                              auto on_done) {
                     stub->async()->Command(ctx, req, resp, std::move(on_done));
                   });
}

void ServiceClient::Disconnect(
    const internal::v1::DisconnectRequest& request,
    Callback<internal::v1::DisconnectResponse> done) {
  impl_->StartCall(request, std::move(done),
                   [stub = impl_->stub.get()](auto* ctx, auto* req, auto* resp,
                                              auto on_done) {
                     stub->async()->Disconnect(ctx, req, resp,
                                               std::move(on_done));
                   });
}

void ServiceClient::Heartbeat(const internal::v1::HeartbeatRequest& request,
                              Callback<internal::v1::HeartbeatResponse> done) {
  impl_->StartCall(request, std::move(done),
                   [stub = impl_->stub.get()](auto* ctx, auto* req, auto* resp,
                                              auto on_done) {
                     stub->async()->Heartbeat(ctx, req, resp,
                                              std::move(on_done));
                   });
}

bool ServiceClient::Ready() const {
  if (!impl_->in_process) {
    const grpc_connectivity_state state = impl_->channel->GetState(true);
    if (state == GRPC_CHANNEL_READY) return true;
    if (state == GRPC_CHANNEL_TRANSIENT_FAILURE ||
        state == GRPC_CHANNEL_SHUTDOWN) {
      return false;
    }
  }
  return impl_->reachable.load(std::memory_order_relaxed);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelInterface>> MakeServiceChannel(
    const std::string& targets, const ServiceTlsOptions& tls) {
  std::string target;
  if (targets.find(":///") != std::string::npos ||
      targets.rfind("ipv4:", 0) == 0 || targets.rfind("ipv6:", 0) == 0) {
    target = targets;
  } else {
    // host:port[,host:port...]: IP literals become one ipv4:/ipv6: target
    // (gRPC balances over them); a single name goes through DNS.
    std::vector<std::string> parts =
        absl::StrSplit(targets, ',', absl::SkipWhitespace());
    if (parts.empty()) return absl::InvalidArgumentError("--service is empty");
    bool all_ipv4 = true;
    for (auto& p : parts) {
      p = std::string(absl::StripAsciiWhitespace(p));
      const auto colon = p.rfind(':');
      if (colon == std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("--service address \"", p, "\" has no port"));
      }
      in_addr a;
      if (inet_pton(AF_INET, p.substr(0, colon).c_str(), &a) != 1) {
        all_ipv4 = false;
      }
    }
    if (all_ipv4) {
      target = absl::StrCat("ipv4:", absl::StrJoin(parts, ","));
    } else if (parts.size() == 1) {
      target = absl::StrCat("dns:///", parts[0]);
    } else {
      return absl::InvalidArgumentError(
          "--service: several addresses must be IPv4 literals; for names "
          "use one dns:///name:port target");
    }
  }
  grpc::ChannelArguments args;
  // Round-robin over every replica; UNAVAILABLE (a replica died or is
  // restarting) is retried on another one with backoff.
  args.SetServiceConfigJSON(R"({
    "loadBalancingConfig": [{"round_robin": {}}],
    "methodConfig": [{
      "name": [{"service": "cable.internal.v1.Cable"}],
      "retryPolicy": {
        "maxAttempts": 5,
        "initialBackoff": "0.05s",
        "maxBackoff": "1s",
        "backoffMultiplier": 2,
        "retryableStatusCodes": ["UNAVAILABLE"]
      }
    }]
  })");
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
  args.SetMaxReceiveMessageSize(protocol::kMaxServiceMessageBytes);
  args.SetMaxSendMessageSize(protocol::kMaxServiceMessageBytes);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  std::shared_ptr<grpc::ChannelCredentials> credentials =
      grpc::InsecureChannelCredentials();
  if (!tls.ca_file.empty()) {
    grpc::SslCredentialsOptions ssl;
    absl::StatusOr<std::string> ca = ReadPem(tls.ca_file);
    if (!ca.ok()) return ca.status();
    ssl.pem_root_certs = *ca;
    if (!tls.cert_file.empty() || !tls.key_file.empty()) {
      absl::StatusOr<std::string> cert = ReadPem(tls.cert_file);
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = ReadPem(tls.key_file);
      if (!key.ok()) return key.status();
      ssl.pem_cert_chain = *cert;
      ssl.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(ssl);
    if (!tls.server_name.empty()) {
      args.SetSslTargetNameOverride(tls.server_name);
    }
  } else if (!tls.cert_file.empty() || !tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs --service_tls_ca (TLS to the service)");
  }
  auto channel = grpc::CreateCustomChannel(target, credentials, args);
  if (!channel) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot make a channel to ", target));
  }
  return channel;
}

}  // namespace cable::gateway
