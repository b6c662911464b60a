#pragma once
// Verifies HS256 JSON Web Tokens (libjwt) for connection authentication.

#include <chrono>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable::service {

// What a verified token says.
struct JwtClaims {
  std::string subject;
  // The "exp" claim, when the token has one.
  std::optional<std::chrono::system_clock::time_point> expires_at;
};

// The claims of `token` when it is an HS256 JWT signed with `secret`, not
// expired ("exp"), already valid ("nbf") at `now` and with a non-empty
// "sub". Unauthenticated otherwise; FailedPrecondition for an empty secret.
absl::StatusOr<JwtClaims> VerifyJwt(
    absl::string_view token, absl::string_view secret,
    std::chrono::system_clock::time_point now =
        std::chrono::system_clock::now());

// The non-empty "sub" claim of `token` when it is an HS256 JWT signed with
// `secret`, not expired ("exp") and already valid ("nbf") at `now`.
// Unauthenticated otherwise; FailedPrecondition for an empty secret.
absl::StatusOr<std::string> VerifyJwtSubject(
    absl::string_view token, absl::string_view secret,
    std::chrono::system_clock::time_point now =
        std::chrono::system_clock::now());

}  // namespace cable::service
