#pragma once
// What a failed cable::Publisher call means for trying it again.
//
// Every error is an absl::Status with the gRPC status code and message the
// call ended with (absl status codes are gRPC's). Two questions decide a
// retry, and they differ for publishes:
//   IsRetryable(s): could the same call succeed later?
//   NeverSent(s):   is it certain the server never saw the call, so that
//                   repeating it cannot publish twice?

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cable {

// The payload (absl::Status::GetPayload) that marks a call that never left
// the client: it could not connect, or its deadline expired first.
inline constexpr absl::string_view kNeverSentPayload =
    "type.cable.dev/cable.v1.NeverSent";

// True when the call certainly did not reach the server: the client could
// not connect within the retry policy (UNAVAILABLE) or the deadline
// expired before the request was sent (DEADLINE_EXCEEDED). Repeating such a
// call is always safe.
bool NeverSent(const absl::Status& status);

// True for errors a later identical call may not get: UNAVAILABLE,
// RESOURCE_EXHAUSTED, and DEADLINE_EXCEEDED when NeverSent. A publish
// (Broadcast, BroadcastBatch, Transmit) that failed with UNAVAILABLE or
// RESOURCE_EXHAUSTED after it was sent may still have been delivered: repeat
// it only if a duplicate is acceptable.
bool IsRetryable(const absl::Status& status);

// `status` marked as NeverSent.
absl::Status MarkNeverSent(absl::Status status);

}  // namespace cable
