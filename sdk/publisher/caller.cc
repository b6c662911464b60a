#include "caller.h"

#include <algorithm>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cable/publisher_status.h"

namespace cable::publisher_internal {
namespace {

// The waits between attempts: initial_backoff, then growing by
// `multiplier` up to max_backoff.
class Backoff final {
 public:
  explicit Backoff(const RetryPolicy& policy)
      : policy_(policy), next_(policy.initial_backoff) {}

  std::chrono::milliseconds Next() {
    const std::chrono::milliseconds current = next_;
    next_ = std::min(policy_.max_backoff,
                     std::chrono::duration_cast<std::chrono::milliseconds>(
                         next_ * policy_.multiplier));
    return current;
  }

 private:
  const RetryPolicy& policy_;
  std::chrono::milliseconds next_;
};

absl::Status FromGrpc(const grpc::Status& status) {
  // absl::StatusCode uses gRPC's numbering.
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      status.error_message());
}

}  // namespace

Caller::Caller(std::shared_ptr<grpc::Channel> channel, PublisherOptions options)
    : channel_(std::move(channel)),
      stub_(v1::Publisher::NewStub(channel_)),
      options_(std::move(options)) {}

absl::Status Caller::Call(Kind kind, const CallOptions& call, Send send) const {
  const Clock::time_point deadline =
      Clock::now() + call.deadline.value_or(options_.default_deadline);
  Backoff backoff(options_.retry);
  for (int sends = 1;; ++sends) {
    if (absl::Status ready = AwaitReady(deadline); !ready.ok()) return ready;
    grpc::ClientContext context;
    Prepare(context, deadline);
    absl::Status status = FromGrpc(send(context));
    // Past this point the server may have acted on the request: only a
    // read may go again.
    const bool again = kind == Kind::kReadOnly &&
                       sends < options_.retry.max_attempts &&
                       (status.code() == absl::StatusCode::kUnavailable ||
                        status.code() == absl::StatusCode::kResourceExhausted);
    if (!again) return status;
    const Clock::time_point wake = Clock::now() + backoff.Next();
    if (wake >= deadline) return status;
    std::this_thread::sleep_until(wake);
  }
}

absl::Status Caller::AwaitReady(Clock::time_point deadline) const {
  Backoff backoff(options_.retry);
  int failed = 0;
  for (;;) {
    if (Clock::now() >= deadline) {
      return MarkNeverSent(absl::DeadlineExceededError(absl::StrCat(
          "deadline expired before connecting to ", options_.target)));
    }
    const grpc_connectivity_state state =
        channel_->GetState(/*try_to_connect=*/true);
    if (state == GRPC_CHANNEL_READY) return absl::OkStatus();
    if (state != GRPC_CHANNEL_TRANSIENT_FAILURE) {
      // IDLE or CONNECTING: GetState started an attempt, or one is under
      // way; wait for its outcome.
      channel_->WaitForStateChange(state, deadline);
      continue;
    }
    // The latest attempt failed, or got no ready connection in its window.
    // gRPC stays in TRANSIENT_FAILURE while it tries again (so a retry's
    // own failure cannot be seen): start the next attempt now and give it
    // the next backoff to become READY.
    if (++failed >= options_.retry.max_attempts) {
      return MarkNeverSent(absl::UnavailableError(
          absl::StrCat("cannot connect to ", options_.target, " (", failed,
                       failed == 1 ? " attempt" : " attempts",
                       "): ", ConnectFailure(deadline))));
    }
    grpc::experimental::ChannelResetConnectionBackoff(channel_.get());
    channel_->WaitForStateChange(
        state, std::min(deadline, Clock::now() + backoff.Next()));
  }
}

std::string Caller::ConnectFailure(Clock::time_point deadline) const {
  // wait_for_ready is off (Prepare), so on a failed channel this fails
  // without being sent; should the channel have just recovered, it is a
  // harmless read.
  grpc::ClientContext context;
  Prepare(context, deadline);
  v1::ListChannelsRequest request;
  v1::ListChannelsResponse response;
  const grpc::Status status = stub_->ListChannels(&context, request, &response);
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
    return status.error_message();
  }
  return "the connection failed";
}

void Caller::Prepare(grpc::ClientContext& context,
                     Clock::time_point deadline) const {
  context.set_deadline(deadline);
  context.set_wait_for_ready(false);
  if (!options_.api_key.empty()) {
    context.AddMetadata("authorization",
                        absl::StrCat("Bearer ", options_.api_key));
  }
}

}  // namespace cable::publisher_internal
