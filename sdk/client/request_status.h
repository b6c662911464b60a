#pragma once
// The statuses a request's future can hold besides a result (see
// Channel::do_request for what each code means to the caller).

#include <nlohmann/json.hpp>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace cable::client_internal {

// A failure reply: Unknown with the server's message; the raw `error` value
// rides along as a payload (read it with cable::RequestFailureError).
absl::Status RequestFailure(const nlohmann::json& error);

// The request was sent and no reply will come: it may have run.
absl::Status RequestOutcomeUnknown(absl::string_view why);

// The request was never sent.
absl::Status RequestNotSent(absl::string_view why);

}  // namespace cable::client_internal
