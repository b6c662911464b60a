#pragma once
// Who may call one of the service's gRPC APIs. Callers present
// `authorization: Bearer <key>` metadata; the key must be one of the
// configured keys. Keys are compared as SHA-256 digests in constant time,
// against every configured key, so neither a key's length nor how much of
// it matched shows in the timing. With no key configured the API is open
// (the server says so loudly at start).

#include <array>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable::service {

class ApiAccess final {
 public:
  // `api` names the API in error messages ("Publisher", "internal Cable").
  // Empty keys are ignored.
  ApiAccess(std::string api, const std::vector<std::string>& keys);
  ApiAccess(const ApiAccess&) = delete;
  ApiAccess& operator=(const ApiAccess&) = delete;

  // Whether every caller is let in (no key configured).
  bool Open() const { return digests_.empty(); }

  // OK, or UNAUTHENTICATED with a message that never echoes the key.
  // `authorization` is the metadata value, nullopt when absent.
  absl::Status Check(std::optional<absl::string_view> authorization) const;

  // Calls refused so far (exported as a metric).
  std::uint64_t denied() const {
    return denied_.load(std::memory_order_relaxed);
  }

 private:
  std::string api_;
  std::vector<std::array<unsigned char, 32>> digests_;
  mutable std::atomic<std::uint64_t> denied_{0};
};

// Keys from a comma-separated list and, when `file` is not empty, from a
// file with one key per line (blank lines and lines starting with '#'
// skipped): how --publisher_api_keys and --publisher_api_keys_file (or a
// mounted Kubernetes Secret) supply them. NOT_FOUND when the file cannot
// be read.
absl::StatusOr<std::vector<std::string>> LoadKeys(absl::string_view list,
                                                  const std::string& file);

}  // namespace cable::service
