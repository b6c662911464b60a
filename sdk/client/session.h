#pragma once
// The client's protocol state without any I/O: subscriptions, channel joins,
// requests in flight, the frames to send and the callbacks to run. The
// transport feeds it what happens on the socket (OnConnecting, OnFrame,
// OnConnectionLost) and takes frames out (TakeOutgoing); the public handles
// call the command methods from any thread. Tests drive it directly.
//
// Threading: one mutex guards everything. Callbacks are never run under it:
// they are queued in order and run by RunCallbacks, which only the I/O
// thread calls, after every OnFrame (channel records rely on that: a state
// callback reads the state as it is when it runs). Command methods called
// from other threads queue their work and call the wake function (under the
// lock; it must only post to the I/O thread).

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "cable/client.h"
#include "records.h"

namespace cable::client_internal {

class Session final {
 public:
  struct Options {
    std::size_t max_queued_commands = 1000;
    std::function<void(ConnectionStatus)> on_connection_status{};
    std::function<void(const DisconnectInfo&)> on_disconnect{};
  };

  explicit Session(Options options);
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Called (with the lock held) whenever work is queued by a command method:
  // frames to send or callbacks to run. Empty: nothing is signalled.
  void SetWake(std::function<void()> wake) ABSL_LOCKS_EXCLUDED(mu_);

  // ---- transport side (the I/O thread) ----
  void OnConnecting() ABSL_LOCKS_EXCLUDED(mu_);
  // One text frame from the server.
  void OnFrame(absl::string_view text) ABSL_LOCKS_EXCLUDED(mu_);
  // The socket is gone (or an attempt failed).
  void OnConnectionLost() ABSL_LOCKS_EXCLUDED(mu_);
  // Frames to write, in order, on the current (welcomed) connection.
  std::vector<std::string> TakeOutgoing() ABSL_LOCKS_EXCLUDED(mu_);
  // Runs the queued callbacks in order, each without the lock.
  void RunCallbacks() ABSL_LOCKS_EXCLUDED(mu_);
  // Welcomed and not lost since.
  bool connected() const ABSL_LOCKS_EXCLUDED(mu_);
  // close() was called, or the server said not to reconnect.
  bool closed() const ABSL_LOCKS_EXCLUDED(mu_);
  ConnectionStatus status() const ABSL_LOCKS_EXCLUDED(mu_);

  // ---- command side (any thread) ----
  absl::StatusOr<std::shared_ptr<SubscriptionRecord>> Subscribe(
      std::string identifier, SubscriptionCallbacks callbacks)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status Perform(SubscriptionRecord& subscription,
                       absl::string_view action, nlohmann::json data)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Unsubscribe(SubscriptionRecord& subscription) ABSL_LOCKS_EXCLUDED(mu_);
  bool Confirmed(const SubscriptionRecord& subscription) const
      ABSL_LOCKS_EXCLUDED(mu_);

  absl::StatusOr<std::shared_ptr<ChannelRecord>> Join(const std::string& name,
                                                      JoinOptions options)
      ABSL_LOCKS_EXCLUDED(mu_);
  absl::Status DoAction(ChannelRecord& channel, absl::string_view action,
                        nlohmann::json payload) ABSL_LOCKS_EXCLUDED(mu_);
  std::future<RequestResult> DoRequest(ChannelRecord& channel,
                                       absl::string_view request,
                                       nlohmann::json payload)
      ABSL_LOCKS_EXCLUDED(mu_);
  void Leave(ChannelRecord& channel) ABSL_LOCKS_EXCLUDED(mu_);

  // A snapshot of a channel's fields (for the handle's getters).
  struct ChannelView {
    std::optional<nlohmann::json> state;
    std::uint64_t revision = 0;
    std::uint64_t last_event_id = 0;
    bool joined = false;
  };
  ChannelView View(const ChannelRecord& channel, bool with_state) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Closes for good (see Client::close).
  void Close() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  void Apply(Effects& effects) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Send(const nlohmann::json& frame) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Wake() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetStatus(ConnectionStatus status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnWelcome() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnReply(const nlohmann::json& frame) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnSubscriptionFrame(std::shared_ptr<SubscriptionRecord> subscription,
                           const nlohmann::json& frame)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropConnection(absl::Status in_flight_error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends a command now or queues it until the join is sent; `request` is
  // only taken on success.
  absl::Status Command(ChannelRecord& channel, nlohmann::json frame,
                       std::optional<PendingRequest>&& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Dispatch(nlohmann::json frame, std::optional<PendingRequest> request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Why commands cannot be issued now, or OK.
  absl::Status CommandsAllowed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool IdentifierInUse(const std::string& identifier) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Fails (and forgets) requests sent on `identifier`'s join, or all.
  void FailRequests(const std::string* identifier, const absl::Status& error)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Ends every record: no callback runs anymore, waiting requests fail.
  void EndRecords() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  std::function<void()> wake_ ABSL_GUARDED_BY(mu_);
  // In creation order: that is the order of rejoins.
  std::vector<std::shared_ptr<SubscriptionRecord>> subscriptions_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<ChannelRecord>> channels_ ABSL_GUARDED_BY(mu_);
  // Requests sent and not answered, by id.
  absl::flat_hash_map<std::uint64_t, PendingRequest> requests_
      ABSL_GUARDED_BY(mu_);
  std::uint64_t next_request_id_ ABSL_GUARDED_BY(mu_) = 1;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  // No more commands and no reconnect.
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  // close() was called: frames are ignored too.
  bool shut_down_ ABSL_GUARDED_BY(mu_) = false;
  ConnectionStatus status_ ABSL_GUARDED_BY(mu_) =
      ConnectionStatus::kDisconnected;
  std::vector<std::string> outbox_ ABSL_GUARDED_BY(mu_);
  std::deque<std::function<void()>> callbacks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cable::client_internal
