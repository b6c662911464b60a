#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace cable::testing {

// A WebSocket client for tests: every operation is bounded by a timeout
// (a failure bound, never used to wait for something to happen).
class WsClient final {
 public:
  struct Options {
    std::string path = "/cable";
    std::vector<std::string> subprotocols = {"actioncable-v1-json",
                                             "actioncable-unsupported"};
    std::vector<std::pair<std::string, std::string>> headers;
    // SO_RCVBUF before connecting (0 = system default). A small one makes
    // a client that stops reading fill up fast.
    int receive_buffer = 0;
    std::chrono::milliseconds timeout = std::chrono::seconds(10);
  };

  static absl::StatusOr<std::unique_ptr<WsClient>> Connect(int port,
                                                           Options options);
  static absl::StatusOr<std::unique_ptr<WsClient>> Connect(int port) {
    return Connect(port, Options{});
  }
  ~WsClient();

  absl::Status Send(const std::string& text);
  absl::Status SendBinary(const std::string& bytes);
  // The next text message. After the server closes, returns
  // FailedPrecondition with the close code in close_code().
  absl::StatusOr<std::string> Receive();
  absl::StatusOr<nlohmann::json> ReceiveJson();
  // Receives until a message that is not a {"type":"ping"} arrives, for
  // at most the timeout in all (pings keep coming: without a bound a lost
  // message would be waited for forever).
  absl::StatusOr<nlohmann::json> ReceiveNonPing();
  // Receives until the connection closes; returns the close code.
  absl::StatusOr<int> WaitClosed();
  absl::Status Close();

  // The subprotocol the server selected.
  const std::string& subprotocol() const { return subprotocol_; }
  int close_code() const { return close_code_; }
  const std::string& close_reason() const { return close_reason_; }

  // Subscribes and waits for the confirmation or rejection; returns its
  // "type".
  absl::StatusOr<std::string> Subscribe(const std::string& identifier);
  absl::Status Perform(const std::string& identifier,
                       const nlohmann::json& data);

 private:
  struct Impl;
  explicit WsClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string subprotocol_;
  int close_code_ = 0;
  std::string close_reason_;
};

// HTTP GET on 127.0.0.1:port; returns (status, body).
absl::StatusOr<std::pair<int, std::string>> HttpGet(int port,
                                                    const std::string& target);

// The HTTP status of a WebSocket upgrade attempt that the server refuses
// (403, 400, 404), or 101 if it accepts.
absl::StatusOr<int> UpgradeStatus(
    int port, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers);

}  // namespace cable::testing
