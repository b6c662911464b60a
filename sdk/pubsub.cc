#include "cable/pubsub.h"

#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"

namespace cable {
namespace {

// What a waiter and the completion share: the completion may run after the
// waiter gave up.
struct Outcome {
  absl::Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);

  void Set(absl::Status s) {
    absl::MutexLock lock(&mu);
    status = std::move(s);
    done = true;
  }

  // False on timeout.
  bool Wait(absl::Duration timeout, absl::Status* out) {
    absl::MutexLock lock(&mu);
    if (!mu.AwaitWithTimeout(absl::Condition(&done), timeout)) return false;
    *out = status;
    return true;
  }
};

}  // namespace

absl::StatusOr<PubSubSubscriptionId> SubscribeAndWait(PubSub& pubsub,
                                                      absl::string_view stream,
                                                      PubSubCallback callback,
                                                      absl::Duration timeout) {
  auto outcome = std::make_shared<Outcome>();
  const PubSubSubscriptionId id = pubsub.Subscribe(
      stream, std::move(callback),
      [outcome](absl::Status s) { outcome->Set(std::move(s)); });
  absl::Status status;
  if (!outcome->Wait(timeout, &status)) {
    pubsub.Unsubscribe(id);
    return absl::DeadlineExceededError(
        absl::StrCat("subscription to ", stream, " not live after ",
                     absl::FormatDuration(timeout)));
  }
  if (!status.ok()) return status;
  return id;
}

absl::Status FlushAndWait(PubSub& pubsub, absl::Duration timeout) {
  auto outcome = std::make_shared<Outcome>();
  pubsub.Flush([outcome](absl::Status s) { outcome->Set(std::move(s)); });
  absl::Status status;
  if (!outcome->Wait(timeout, &status)) {
    return absl::DeadlineExceededError(absl::StrCat(
        "flush not confirmed after ", absl::FormatDuration(timeout)));
  }
  return status;
}

}  // namespace cable
