#include "cable/service/identifier.h"

namespace cable::service {

absl::StatusOr<ChannelIdentifier> ParseChannelIdentifier(
    absl::string_view identifier) {
  nlohmann::json parsed =
      nlohmann::json::parse(identifier.begin(), identifier.end(), nullptr,
                            /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError("identifier is not valid JSON");
  }
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError("identifier is not a JSON object");
  }
  auto channel = parsed.find("channel");
  if (channel == parsed.end() || !channel->is_string()) {
    return absl::InvalidArgumentError(
        "identifier has no string \"channel\" key");
  }
  ChannelIdentifier out;
  out.channel = channel->get<std::string>();
  parsed.erase(channel);
  out.params = std::move(parsed);
  return out;
}

}  // namespace cable::service
