#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cable/internal/v1/cable.pb.h"

namespace cable {
class PubSub;
}  // namespace cable

namespace cable::gateway {

class Hub;

// Answers the server API's surveys (Publisher.Channels and Info, see
// service/survey.h) for one gateway, each with one SurveyReply on the
// survey's reply stream of the control bus.
//
// On a thread of its own: the control bus's delivery thread must not
// publish (the in-memory bus delivers inline, under its lock, on the
// asking service's thread), and the counting must not hold up an event
// loop. The Hub's counts are read under each stream's own lock.
class SurveyResponder final {
 public:
  // Surveys waiting beyond this are dropped (the asker's deadline covers
  // the missing answer).
  static constexpr std::size_t kMaxQueued = 64;
  // Streams in one answer when the query asks for more (or for 0).
  static constexpr std::uint32_t kMaxStreams = 10000;

  // `hub` and `control` must outlive this; `connections` reads the
  // gateway's open WebSocket connections from any thread.
  SurveyResponder(std::string gateway_id, const Hub& hub, PubSub& control,
                  std::function<std::uint64_t()> connections);
  ~SurveyResponder();
  SurveyResponder(const SurveyResponder&) = delete;
  SurveyResponder& operator=(const SurveyResponder&) = delete;

  // Queues a survey for the thread; any thread, returns at once.
  void Enqueue(internal::v1::Survey survey);
  // Finishes the survey being answered, drops the queued ones and joins
  // the thread. Safe to call more than once.
  void Stop();

  // This gateway's answer (the thread's work, apart for tests).
  internal::v1::SurveyReply Answer(const internal::v1::Survey& survey) const;

 private:
  void Run();

  const std::string gateway_id_;
  const Hub& hub_;
  PubSub& control_;
  const std::function<std::uint64_t()> connections_;
  const absl::Time started_ = absl::Now();
  absl::Mutex mu_;
  std::deque<internal::v1::Survey> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace cable::gateway
