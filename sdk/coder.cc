#include "cable/coder.h"

#include <nlohmann/json.hpp>

namespace cable {

std::string JsonCoder::encode(const nlohmann::json& value) const {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<nlohmann::json> JsonCoder::decode(absl::string_view text) const {
  nlohmann::json parsed = nlohmann::json::parse(
      text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::InvalidArgumentError("not valid JSON");
  }
  return parsed;
}

}  // namespace cable
