#include "cable/service/jwt_authenticator.h"

#include <jwt.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>

namespace cable::service {
namespace {

struct JwtFree {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
struct CharFree {
  void operator()(char* s) const { std::free(s); }
};

}  // namespace

absl::StatusOr<std::string> VerifyJwtSubject(
    absl::string_view token, absl::string_view secret,
    std::chrono::system_clock::time_point now) {
  absl::StatusOr<JwtClaims> claims = VerifyJwt(token, secret, now);
  if (!claims.ok()) return claims.status();
  return std::move(claims->subject);
}

absl::StatusOr<JwtClaims> VerifyJwt(absl::string_view token,
                                    absl::string_view secret,
                                    std::chrono::system_clock::time_point now) {
  if (secret.empty()) {
    return absl::FailedPreconditionError("no JWT secret configured");
  }
  if (token.empty() || token.find('\0') != absl::string_view::npos) {
    return absl::UnauthenticatedError("missing or malformed token");
  }
  const std::string token_c(token);
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token_c.c_str(),
                 reinterpret_cast<const unsigned char*>(secret.data()),
                 static_cast<int>(secret.size())) != 0 ||
      raw == nullptr) {
    return absl::UnauthenticatedError("invalid token");
  }
  std::unique_ptr<jwt_t, JwtFree> jwt(raw);
  // Never accept "none" or another algorithm than the one we sign with.
  if (jwt_get_alg(jwt.get()) != JWT_ALG_HS256) {
    return absl::UnauthenticatedError("token algorithm is not HS256");
  }
  std::unique_ptr<char, CharFree> grants(
      jwt_get_grants_json(jwt.get(), nullptr));
  if (grants == nullptr)
    return absl::UnauthenticatedError("token has no claims");
  const nlohmann::json claims =
      nlohmann::json::parse(grants.get(), nullptr, /*allow_exceptions=*/false);
  if (!claims.is_object()) {
    return absl::UnauthenticatedError("token claims are not an object");
  }
  const double now_s =
      std::chrono::duration<double>(now.time_since_epoch()).count();
  JwtClaims verified;
  if (auto exp = claims.find("exp"); exp != claims.end()) {
    if (!exp->is_number()) return absl::UnauthenticatedError("bad exp claim");
    const double exp_s = exp->get<double>();
    if (now_s >= exp_s) {
      return absl::UnauthenticatedError("token expired");
    }
    // Far-future values are clamped rather than overflowing time_point:
    // system_clock counts nanoseconds in 64 bits, which ends in 2262
    // (9e9 s is in 2255).
    constexpr double kLatestExpSeconds = 9e9;
    verified.expires_at = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::duration<double>(std::min(exp_s, kLatestExpSeconds))));
  }
  if (auto nbf = claims.find("nbf"); nbf != claims.end()) {
    if (!nbf->is_number()) return absl::UnauthenticatedError("bad nbf claim");
    if (now_s < nbf->get<double>()) {
      return absl::UnauthenticatedError("token not yet valid");
    }
  }
  auto sub = claims.find("sub");
  if (sub == claims.end() || !sub->is_string() ||
      sub->get_ref<const std::string&>().empty()) {
    return absl::UnauthenticatedError("token has no sub claim");
  }
  verified.subject = sub->get<std::string>();
  return verified;
}

}  // namespace cable::service
