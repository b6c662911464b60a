#pragma once
// The server API's survey (Publisher.Channels and Info), as Centrifugo
// runs its own over Redis or NATS: the asking service sends one
// cable.internal.v1.Survey on the control bus and gathers one SurveyReply
// from each gateway (and service) it knows to be alive, until all have
// answered or a deadline passes. This file holds the parts without I/O:
// the gatherer and the merges; service/surveyor.h does the sending.

#include <compare>
#include <cstddef>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/v1/publisher.pb.h"

namespace cable::service {

// Who answers: a gateway (by its worker id) or a service replica.
struct Responder {
  enum class Role { kGateway, kService };
  Role role = Role::kGateway;
  std::string id;
  auto operator<=>(const Responder&) const = default;
};

// Who sent `reply`; an empty id when it names nobody.
Responder ResponderOf(const internal::v1::SurveyReply& reply);

struct SurveyResult {
  // One per responder (its first answer), expected or not, sorted by
  // responder.
  std::vector<internal::v1::SurveyReply> replies;
  // Expected but silent until the deadline, sorted.
  std::vector<Responder> unanswered;
};

// Gathers one survey's answers. Complete once the survey has been sent and
// every expected responder has answered, or at once when it expires or is
// aborted; `done` then runs exactly once, outside the lock, on the thread
// that completed it (a delivery thread, a timer's, the sender's): it
// should post its work. Thread-safe.
class SurveyGatherer final {
 public:
  using Done = absl::AnyInvocable<void(absl::StatusOr<SurveyResult>) &&>;

  SurveyGatherer(std::set<Responder> expected, Done done);
  SurveyGatherer(const SurveyGatherer&) = delete;
  SurveyGatherer& operator=(const SurveyGatherer&) = delete;

  // The survey went out (answers may come before this: they wait).
  void Sent();
  // An answer; duplicates, and answers naming no responder, are ignored.
  void Offer(internal::v1::SurveyReply reply);
  // The deadline passed: completes with what came.
  void Expire();
  // The survey could not be run: completes with `status`.
  void Abort(absl::Status status);
  bool done() const;

 private:
  // Takes `done_` if the survey is complete, under the lock.
  Done TakeIfComplete() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  SurveyResult Result() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  const std::set<Responder> expected_;
  std::set<Responder> answered_ ABSL_GUARDED_BY(mu_);
  std::vector<internal::v1::SurveyReply> replies_ ABSL_GUARDED_BY(mu_);
  bool sent_ ABSL_GUARDED_BY(mu_) = false;
  bool expired_ ABSL_GUARDED_BY(mu_) = false;
  Done done_ ABSL_GUARDED_BY(mu_);
};

// Publisher.Channels from the gateways' answers: counts summed by stream,
// sorted by name, the first `limit`; truncated if more, or if a gateway
// truncated its own (each sends its first by name, so the first `limit`
// of the merge are exact).
v1::ChannelsResponse MergeChannels(SurveyResult result, std::size_t limit);

// Publisher.Info from the answers; `version` is the asking service's.
v1::InfoResponse MergeInfo(SurveyResult result, absl::string_view version);

}  // namespace cable::service
