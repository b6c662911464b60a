#include "request_status.h"

#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "cable/client_channel.h"
#include "json_fields.h"

namespace cable {
namespace {

constexpr absl::string_view kFailurePayload = "cable.client/request-failure";

}  // namespace

std::optional<nlohmann::json> RequestFailureError(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kUnknown) return std::nullopt;
  auto payload = status.GetPayload(kFailurePayload);
  if (!payload) return std::nullopt;
  nlohmann::json error =
      nlohmann::json::parse(std::string(*payload), nullptr, false);
  if (error.is_discarded()) return std::nullopt;
  return error;
}

namespace client_internal {

absl::Status RequestFailure(const nlohmann::json& error) {
  absl::Status status = absl::UnknownError(ErrorText(error));
  status.SetPayload(kFailurePayload, absl::Cord(error.dump()));
  return status;
}

absl::Status RequestOutcomeUnknown(absl::string_view why) {
  return absl::AbortedError(
      absl::StrCat(why, ": the request may or may not have taken effect"));
}

absl::Status RequestNotSent(absl::string_view why) {
  return absl::CancelledError(
      absl::StrCat(why, " before the request was sent"));
}

}  // namespace client_internal
}  // namespace cable
