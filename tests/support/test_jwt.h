#pragma once
// JSON Web Tokens for tests, minted with libjwt (the library the service
// verifies them with): connection tokens for the servers, and the bad ones
// the verifier must refuse.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace cable::testing {

enum class JwtAlgorithm { kHs256, kHs512, kNone };

// The Unix time `offset` from now (negative: in the past), for `exp`.
std::int64_t UnixTimeIn(std::chrono::seconds offset);

// A token signed with `secret` by `algorithm` (kNone: unsigned, the secret
// unused) with the claims "sub": `subject` (none when empty) and "exp":
// `expires_at`, a Unix time (none when nullopt). Throws, as Must does,
// when libjwt fails.
std::string MintJwt(const std::string& secret, const std::string& subject,
                    std::optional<std::int64_t> expires_at,
                    JwtAlgorithm algorithm = JwtAlgorithm::kHs256);

}  // namespace cable::testing
