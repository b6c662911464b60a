#pragma once
// The server API's surveys on one service replica (see survey.h): runs
// Publisher.Channels / Info surveys over the control bus, answers other
// replicas' Info surveys (control stream "services"), and heartbeats the
// replica into the state store so that askers know whom to wait for.

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/pubsub.h"
#include "cable/service/survey.h"

namespace cable::service {

class StateStore;

struct SurveyorOptions {
  // This replica (empty: random).
  std::string service_id;
  // How long a survey waits for silent gateways and services.
  absl::Duration deadline = absl::Seconds(2);
  // The replica's heartbeat; it counts as alive for interval + timeout.
  absl::Duration heartbeat_interval = absl::Seconds(5);
  absl::Duration heartbeat_timeout = absl::Seconds(5);
  // Surveys running at once on this replica; more are RESOURCE_EXHAUSTED.
  int max_in_flight = 32;
};

class Surveyor final {
 public:
  // Runs work off the calling thread (the service's state threads).
  using Post = std::function<void(std::function<void()>)>;

  // `control`, `store` and what `post` posts to must outlive this.
  Surveyor(PubSub& control, StateStore& store, Post post,
           SurveyorOptions options);
  ~Surveyor();
  Surveyor(const Surveyor&) = delete;
  Surveyor& operator=(const Surveyor&) = delete;

  // Start-up, may block: the first heartbeat, the subscription to
  // "services" (live when it returns), the heartbeat thread.
  absl::Status Start();
  // Stops answering and heartbeating; surveys running end UNAVAILABLE.
  // Safe to call more than once.
  void Stop();

  const std::string& id() const;

  // Sends `survey` (its reply stream is set here) to every gateway and,
  // with `ask_services`, every service replica, and calls `done` once
  // with the answers: when every one alive by its heartbeat has answered,
  // or at the deadline. Never blocks the caller; `done` runs on a state
  // thread.
  void Run(internal::v1::Survey survey, bool ask_services,
           SurveyGatherer::Done done);

  // This replica's part of an Info survey.
  v1::ServiceInfo Describe() const;

 private:
  struct Shared;
  struct Pending;
  static void Begin(const std::shared_ptr<Shared>& shared,
                    internal::v1::Survey survey, bool ask_services,
                    SurveyGatherer::Done done);
  void OnServicesMessage(absl::string_view payload);
  void HeartbeatLoop();

  const std::shared_ptr<Shared> shared_;
  PubSubSubscriptionId services_id_ = 0;
  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread heartbeat_;
};

}  // namespace cable::service
