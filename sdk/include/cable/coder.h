#pragma once
// Coders encode what channels send and decode what clients send
// (seed: `JsonCoder`). A seam: JSON now, a binary coder later.

#include <nlohmann/json_fwd.hpp>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable {

class Coder {
 public:
  virtual ~Coder() = default;
  virtual std::string encode(const nlohmann::json& value) const = 0;
  virtual absl::StatusOr<nlohmann::json> decode(
      absl::string_view text) const = 0;
};

// JSON text in, JSON text out.
class JsonCoder final : public Coder {
 public:
  std::string encode(const nlohmann::json& value) const override;
  absl::StatusOr<nlohmann::json> decode(absl::string_view text) const override;
};

}  // namespace cable
