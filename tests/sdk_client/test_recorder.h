#pragma once
// Records what cable::Client callbacks report, in order, and waits (always
// bounded by a failure timeout) for what a test expects.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cable/client.h"

namespace cable::testing {

class Recorder final {
 public:
  struct Entry {
    std::string kind;
    nlohmann::json value;
  };

  void Add(std::string kind, nlohmann::json value = nullptr);
  // Forgets what was recorded so far.
  void Clear();
  std::vector<Entry> entries() const;
  // The values of the entries of one kind, in order.
  std::vector<nlohmann::json> Values(const std::string& kind) const;
  // The kinds of all entries, in order.
  std::vector<std::string> Kinds() const;

  // Waits until `done` holds for the entries; false after `timeout`.
  bool WaitUntil(const std::function<bool(const std::vector<Entry>&)>& done,
                 std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits for at least `n` entries of `kind`.
  bool WaitForCount(
      const std::string& kind, std::size_t n,
      std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // Waits for an entry of `kind` whose value satisfies `match`.
  bool WaitFor(const std::string& kind,
               const std::function<bool(const nlohmann::json&)>& match,
               std::chrono::milliseconds timeout = std::chrono::seconds(20));

  // Callbacks recording "initial_state", "state", "event", "event_patch"
  // ({"event":…,"patch":…,"backlog":bool}, absent members for nullopt),
  // "rejected" and "error".
  JoinOptions ChannelHandlers();
  // "connected", "rejected", "received", "disconnected".
  SubscriptionCallbacks SubscriptionHandlers();
  // "status": "connecting" / "connected" / "disconnected".
  std::function<void(ConnectionStatus)> StatusCallback();

 private:
  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<Entry> entries_;
};

std::string StatusName(ConnectionStatus status);

}  // namespace cable::testing
