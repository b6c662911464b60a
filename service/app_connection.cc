#include "cable/service/app_connection.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "cable/service/jwt_authenticator.h"
#include "spdlog/spdlog.h"

namespace cable::service {
namespace {

std::optional<std::string> BearerToken(const ConnectionEnv& env) {
  std::optional<std::string> header = env.header("authorization");
  if (!header) return std::nullopt;
  absl::string_view value = absl::StripAsciiWhitespace(*header);
  if (!absl::StartsWithIgnoreCase(value, "bearer ")) return std::nullopt;
  value.remove_prefix(7);
  return std::string(absl::StripAsciiWhitespace(value));
}

}  // namespace

void AppConnection::connect() {
  if (jwt_secret_.empty()) {
    if (auto user = env().query_param("user"); user && !user->empty()) {
      set_identifier(kCurrentUser, *user);
    }
    return;
  }
  std::optional<std::string> token = env().query_param("token");
  if (!token || token->empty()) token = BearerToken(env());
  if (!token || token->empty()) {
    spdlog::debug("connection {} rejected: no token", sid());
    reject_unauthorized_connection();
    return;
  }
  absl::StatusOr<JwtClaims> claims = VerifyJwt(*token, jwt_secret_);
  if (!claims.ok()) {
    spdlog::debug("connection {} rejected: {}", sid(),
                  claims.status().ToString());
    reject_unauthorized_connection();
    return;
  }
  set_identifier(kCurrentUser, claims->subject);
  if (claims->expires_at) set_expires_at(*claims->expires_at);
}

}  // namespace cable::service
