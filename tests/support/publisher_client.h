#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cable::testing {

// Calls cable.v1.Publisher on 127.0.0.1:port over real gRPC.
absl::Status Broadcast(int grpc_port, const std::string& stream,
                       const std::string& data);
absl::Status BroadcastBatch(
    int grpc_port,
    const std::vector<std::pair<std::string, std::string>>& broadcasts);

absl::Status DisconnectClients(
    int grpc_port,
    const std::vector<std::pair<std::string, std::string>>& identifiers,
    bool reconnect);

absl::Status Transmit(int grpc_port, const std::string& sid,
                      const std::string& identifier, const std::string& data);

// grpc.health.v1.Health/Check for the whole server: the serving status
// (1 = SERVING), called through a generic stub (no health .proto needed).
absl::StatusOr<int> HealthStatus(int grpc_port);

}  // namespace cable::testing
