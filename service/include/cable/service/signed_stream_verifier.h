#pragma once
// Signed stream names as turbo-rails makes them (Rails
// ActiveSupport::MessageVerifier, digest SHA256, JSON serializer):
//   base64(JSON(name)) + "--" + hex(HMAC-SHA256(secret, base64 part))
// where base64 is strict (padded, no newlines) and JSON(name) a JSON string.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable::service {

class SignedStreamVerifier final {
 public:
  // An empty secret verifies nothing.
  explicit SignedStreamVerifier(std::string secret)
      : secret_(std::move(secret)) {}

  // The signed form of `stream_name`.
  std::string Sign(absl::string_view stream_name) const;

  // The stream name `signed_name` carries. PermissionDenied for a wrong
  // signature (compared in constant time), InvalidArgument for a malformed
  // message or a payload that is not a JSON string, FailedPrecondition when
  // no secret is configured.
  absl::StatusOr<std::string> Verify(absl::string_view signed_name) const;

 private:
  std::string Digest(absl::string_view data) const;

  std::string secret_;
};

}  // namespace cable::service
