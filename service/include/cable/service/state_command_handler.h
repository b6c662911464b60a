#pragma once
// The stateful-channel half of cable.internal.v1.Cable (docs/protocol.md, "Stateful
// channels"): join, sync, leave, actions and requests of subscriptions to
// stateful channels, their OnLeave on disconnect, and worker heartbeats.
// The gateway keeps the subscription's channel name and backlog request in
// its istate ("$state", "$limit", "$after"), so any replica can answer.
//
// The work touches the StateStore (network round trips with NATS) and
// requests may complete later, so it runs on the handler's own threads and
// answers through a callback, never on gRPC's.

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace cable::internal::v1 {
class CommandRequest;
class CommandResponse;
class SubscriptionSnapshot;
class DisconnectRequest;
}  // namespace cable::internal::v1

namespace cable::service {

class StateChannels;

class StateCommandHandler final {
 public:
  // `channels` must outlive the handler. `threads` run the work.
  StateCommandHandler(StateChannels& channels, unsigned threads);
  ~StateCommandHandler();

  // Whether `request` is for a stateful channel (a join, or a command on a
  // subscription made by one).
  static bool Handles(const internal::v1::CommandRequest& request);
  static bool IsStateful(const internal::v1::SubscriptionSnapshot& subscription);

  // `done` runs exactly once: on one of the handler's threads, or on the
  // thread that completes a request's Reply. `request` must stay alive
  // until then.
  void Command(const internal::v1::CommandRequest& request,
               std::function<void(internal::v1::CommandResponse)> done);
  // OnLeave for every stateful subscription of a closed connection.
  // Returns the errors (one string each).
  std::vector<std::string> Leave(const internal::v1::DisconnectRequest& request);

  // Runs `work` on the handler's threads.
  void Post(std::function<void()> work);

 private:
  struct Pool;
  StateChannels& channels_;
  std::unique_ptr<Pool> pool_;
};

}  // namespace cable::service
