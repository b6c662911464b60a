#pragma once
// Helpers shared by the service tests: a StatusIs matcher (this Abseil has
// no status_matchers) and a PubSub subscriber that records broadcasts.

#include <gmock/gmock.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "cable/pubsub.h"

namespace cable::service::testing {

inline const absl::Status& GetStatus(const absl::Status& status) {
  return status;
}
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has status code " + ::testing::PrintToString(code)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.code() == code &&
         ::testing::ExplainMatchResult(
             message_matcher, std::string(status.message()), result_listener);
}

inline auto StatusIs(absl::StatusCode code) {
  return StatusIs(code, ::testing::_);
}

// Records every message published on one stream.
class StreamRecorder {
 public:
  StreamRecorder(PubSub& pubsub, std::string stream) : pubsub_(pubsub) {
    auto id = SubscribeAndWait(
        pubsub_, stream, [this](absl::string_view, absl::string_view message) {
          absl::MutexLock lock(&mu_);
          messages_.emplace_back(message);
        });
    EXPECT_TRUE(id.ok()) << id.status();
    id_ = id.value_or(0);
  }
  ~StreamRecorder() { pubsub_.Unsubscribe(id_); }
  StreamRecorder(const StreamRecorder&) = delete;
  StreamRecorder& operator=(const StreamRecorder&) = delete;

  std::vector<std::string> messages() const {
    absl::MutexLock lock(&mu_);
    return messages_;
  }
  // Each message parsed as JSON (discarded values for non-JSON).
  std::vector<nlohmann::json> json_messages() const {
    std::vector<nlohmann::json> out;
    for (const auto& m : messages()) {
      out.push_back(nlohmann::json::parse(m, nullptr, false));
    }
    return out;
  }

 private:
  PubSub& pubsub_;
  PubSubSubscriptionId id_ = 0;
  mutable absl::Mutex mu_;
  std::vector<std::string> messages_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cable::service::testing
