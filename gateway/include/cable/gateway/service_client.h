#pragma once
// The gateway's only door to the cable service. gRPC headers stay in
// service_client.cc so that Beast translation units do not include them.

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cable/internal/v1/cable.pb.h"

namespace grpc {
class ChannelInterface;
}  // namespace grpc

namespace cable::gateway {

// Calls cable.internal.v1.Cable asynchronously. Callbacks run on gRPC's
// threads: callers post them onto their own strand.
class ServiceClient final {
 public:
  template <class T>
  using Callback = std::function<void(absl::StatusOr<T>)>;

  // `in_process` channels have no connectivity state; readiness then comes
  // from call outcomes alone.
  // `secret`, when not empty, goes with every call as
  // `authorization: Bearer <secret>` (the service's --gateway_secret).
  ServiceClient(std::shared_ptr<grpc::ChannelInterface> channel,
                std::chrono::milliseconds timeout, bool in_process,
                std::string secret = "");
  // Cancels every call in flight (their callbacks get CANCELLED) and waits,
  // up to 10 s, until each callback has run; calls made afterwards are
  // cancelled as they start. The destructor does it too.
  ~ServiceClient();
  void Shutdown();

  void Connect(const internal::v1::ConnectRequest& request,
               Callback<internal::v1::ConnectResponse> done);
  void Command(const internal::v1::CommandRequest& request,
               Callback<internal::v1::CommandResponse> done);
  void Disconnect(const internal::v1::DisconnectRequest& request,
                  Callback<internal::v1::DisconnectResponse> done);
  void Heartbeat(const internal::v1::HeartbeatRequest& request,
                 Callback<internal::v1::HeartbeatResponse> done);

  // False when no replica is connected (network channels), or when the
  // latest call failed because the service could not be reached
  // (UNAVAILABLE, DEADLINE_EXCEEDED).
  bool Ready() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A channel to cable service replicas. `targets` is a comma-separated list
// of IP:port addresses, or one gRPC target such as dns:///cable-service:50051
// (every address the name resolves to is used). Calls are balanced
// round-robin; UNAVAILABLE is retried with backoff on another replica.
// TLS to the service's internal listener: PEM files. No CA: plaintext.
// A client certificate and key make it mutual TLS. `server_name` overrides
// the name checked against the service's certificate (default: the
// target's host).
struct ServiceTlsOptions {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
};

absl::StatusOr<std::shared_ptr<grpc::ChannelInterface>> MakeServiceChannel(
    const std::string& targets, const ServiceTlsOptions& tls = {});

}  // namespace cable::gateway
