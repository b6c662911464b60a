#include "cable/publisher_status.h"

#include "absl/strings/cord.h"

namespace cable {

bool NeverSent(const absl::Status& status) {
  return !status.ok() && status.GetPayload(kNeverSentPayload).has_value();
}

bool IsRetryable(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kResourceExhausted:
      return true;
    case absl::StatusCode::kDeadlineExceeded:
      return NeverSent(status);
    default:
      return false;
  }
}

absl::Status MarkNeverSent(absl::Status status) {
  if (!status.ok()) status.SetPayload(kNeverSentPayload, absl::Cord("1"));
  return status;
}

}  // namespace cable
