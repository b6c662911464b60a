#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cable/v1/publisher.pb.h"

namespace cable::testing {

// cable.v1.Publisher's stateful-channel methods, over one gRPC channel.
class StatePublisher final {
 public:
  explicit StatePublisher(int grpc_port);
  ~StatePublisher();

  // Whether it was created (false: it existed).
  absl::StatusOr<bool> CreateChannel(const std::string& name,
                                     const std::string& state_json,
                                     bool keep_events = true,
                                     const std::string& type = "");
  absl::StatusOr<v1::GetStateResponse> GetState(const std::string& name);
  absl::StatusOr<v1::UpdateStateResponse> UpdateState(
      const std::string& name, std::uint64_t expected_revision,
      std::optional<std::string> state_json,
      const std::vector<std::string>& events);
  absl::StatusOr<std::uint64_t> DeleteEvents(
      const std::string& name, std::optional<std::uint64_t> keep_num,
      std::optional<std::uint64_t> keep_duration_ms);
  absl::StatusOr<std::vector<std::string>> ListChannels(
      std::optional<std::string> type);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Calls cable.v1.Publisher on 127.0.0.1:port over real gRPC.
absl::Status Broadcast(int grpc_port, const std::string& stream,
                       const std::string& data);
// Broadcast, with the server's answer: the message's offset and epoch on a
// stream that keeps history.
absl::StatusOr<v1::BroadcastResponse> BroadcastWithResponse(
    int grpc_port, const std::string& stream, const std::string& data);
absl::Status BroadcastBatch(
    int grpc_port,
    const std::vector<std::pair<std::string, std::string>>& broadcasts);

absl::Status DisconnectClients(
    int grpc_port,
    const std::vector<std::pair<std::string, std::string>>& identifiers,
    bool reconnect);

absl::Status Transmit(int grpc_port, const std::string& sid,
                      const std::string& identifier, const std::string& data);

// The server API: Publisher.Channels(pattern) and Publisher.Info().
absl::StatusOr<v1::ChannelsResponse> Channels(int grpc_port,
                                              const std::string& pattern);
absl::StatusOr<v1::InfoResponse> Info(int grpc_port);

// grpc.health.v1.Health/Check for the whole server: the serving status
// (1 = SERVING), called through a generic stub (no health .proto needed).
absl::StatusOr<int> HealthStatus(int grpc_port);

}  // namespace cable::testing
