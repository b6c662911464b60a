#pragma once
// How every Publisher call runs: wait for a ready connection, send once,
// and retry only as publisher.h documents (never a request that may have
// reached the server, except the read-only ones).

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/support/status.h>

#include <chrono>
#include <memory>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "cable/publisher_options.h"
#include "cable/v1/publisher.grpc.pb.h"

namespace cable::publisher_internal {

class Caller final {
 public:
  // What a call may be sent again on (publisher.h, "Retries").
  enum class Kind { kWrite, kReadOnly };
  // Makes the RPC once with the context it is given (deadline and
  // metadata set).
  using Send = absl::FunctionRef<grpc::Status(grpc::ClientContext&)>;

  Caller(std::shared_ptr<grpc::Channel> channel, PublisherOptions options);

  // Runs `send` with the retry rules for `kind`; the gRPC status it ends
  // with as an absl::Status (same code and message).
  absl::Status Call(Kind kind, const CallOptions& call, Send send) const;

  v1::Publisher::Stub& stub() const { return *stub_; }

 private:
  using Clock = std::chrono::system_clock;

  // OK once the channel is READY; a NeverSent UNAVAILABLE after
  // max_attempts failed connection attempts, or a NeverSent
  // DEADLINE_EXCEEDED when the deadline comes first.
  absl::Status AwaitReady(Clock::time_point deadline) const;
  // Why the channel cannot connect, in gRPC's words: a probe call (the
  // read-only ListChannels) that fails at once on a failed channel.
  std::string ConnectFailure(Clock::time_point deadline) const;
  void Prepare(grpc::ClientContext& context, Clock::time_point deadline) const;

  const std::shared_ptr<grpc::Channel> channel_;
  const std::unique_ptr<v1::Publisher::Stub> stub_;
  const PublisherOptions options_;
};

}  // namespace cable::publisher_internal
