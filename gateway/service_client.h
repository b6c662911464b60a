#pragma once
// The gateway's only door to the cable service. gRPC headers stay in
// service_client.cc so that Beast translation units do not include them.

#include <chrono>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "cable/v1/cable.pb.h"

namespace grpc {
class ChannelInterface;
}  // namespace grpc

namespace cable::gateway {

// Calls cable.v1.Cable asynchronously. Callbacks run on gRPC's threads:
// callers post them onto their own strand.
class ServiceClient final {
 public:
  template <class T>
  using Callback = std::function<void(absl::StatusOr<T>)>;

  ServiceClient(std::shared_ptr<grpc::ChannelInterface> channel,
                std::chrono::milliseconds timeout);
  ~ServiceClient();

  void connect(const v1::ConnectRequest& request,
               Callback<v1::ConnectResponse> done);
  void command(const v1::CommandRequest& request,
               Callback<v1::CommandResponse> done);
  void disconnect(const v1::DisconnectRequest& request,
                  Callback<v1::DisconnectResponse> done);

  // False when the latest call failed because the service could not be
  // reached (UNAVAILABLE, DEADLINE_EXCEEDED).
  bool ready() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cable::gateway
