#include "tests/support/test_jwt.h"

#include <jwt.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace cable::testing {

std::int64_t UnixTimeIn(std::chrono::seconds offset) {
  return std::chrono::duration_cast<std::chrono::seconds>(
             (std::chrono::system_clock::now() + offset).time_since_epoch())
      .count();
}

std::string MintJwt(const std::string& secret, const std::string& subject,
                    std::optional<std::int64_t> expires_at,
                    JwtAlgorithm algorithm) {
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) throw std::runtime_error("jwt_new failed");
  std::unique_ptr<jwt_t, decltype(&jwt_free)> token(raw, &jwt_free);
  int error = 0;
  if (!subject.empty()) error |= jwt_add_grant(raw, "sub", subject.c_str());
  if (expires_at) error |= jwt_add_grant_int(raw, "exp", *expires_at);
  const auto* key = reinterpret_cast<const unsigned char*>(secret.data());
  const int key_size = static_cast<int>(secret.size());
  switch (algorithm) {
    case JwtAlgorithm::kHs256:
      error |= jwt_set_alg(raw, JWT_ALG_HS256, key, key_size);
      break;
    case JwtAlgorithm::kHs512:
      error |= jwt_set_alg(raw, JWT_ALG_HS512, key, key_size);
      break;
    case JwtAlgorithm::kNone:
      error |= jwt_set_alg(raw, JWT_ALG_NONE, nullptr, 0);
      break;
  }
  if (error != 0) throw std::runtime_error("could not set the JWT's claims");
  char* encoded = jwt_encode_str(raw);
  if (encoded == nullptr) throw std::runtime_error("jwt_encode_str failed");
  std::string out = encoded;
  std::free(encoded);
  return out;
}

}  // namespace cable::testing
