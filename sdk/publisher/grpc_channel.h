#pragma once
// The gRPC channel a Publisher calls through, built from its options.

#include <grpcpp/channel.h>

#include <memory>

#include "absl/status/statusor.h"
#include "cable/publisher_options.h"

namespace cable::publisher_internal {

// Plaintext, or TLS with the given roots and client certificate; message
// size limits and reconnect backoff from `options`. Fails for a client
// certificate without its key or the other way round.
absl::StatusOr<std::shared_ptr<grpc::Channel>> MakeChannel(
    const PublisherOptions& options);

}  // namespace cable::publisher_internal
