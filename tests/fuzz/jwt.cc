// Fuzzes JWT verification (service/jwt_authenticator.h): the token a
// client presents in "?token=" or "Authorization: Bearer".
//
// Input: byte 0 picks how the token is made; then
//   0: the token itself, as sent;
//   1: header JSON, a NUL, claims JSON: signed with the server's secret
//      (HS256 over the base64url parts), so the claim checks are reached;
//   2: the same signed with another secret;
//   3: the same unsigned ("alg":"none" style: empty signature).
//
// Invariants:
// - only a token signed with the server's secret is ever accepted (modes
//   2 and 3 never are), and only with "alg":"HS256" (any case: libjwt's);
// - an accepted token has a non-empty string "sub" equal to the result,
//   has not expired at `now` and is not before its "nbf";
// - every refusal is Unauthenticated.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cable/service/jwt_authenticator.h"
#include "fuzz_support.h"

using nlohmann::json;

namespace {

constexpr absl::string_view kSecret = "fuzz-secret-0123456789";
constexpr absl::string_view kOtherSecret = "fuzz-secret-0123456788";
constexpr std::int64_t kNow = 1700000000;

// The raw HMAC-SHA256 of `signing_input`.
std::string Mac(absl::string_view secret, absl::string_view signing_input) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signing_input.data()),
       signing_input.size(), mac, &mac_len);
  return std::string(reinterpret_cast<const char*>(mac), mac_len);
}

// A JWT signature: the HMAC, base64url.
std::string Hs256(absl::string_view secret, absl::string_view signing_input) {
  return absl::WebSafeBase64Escape(Mac(secret, signing_input));
}

// j[key] when it is a string; "" otherwise.
std::string StringAt(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  cable::fuzz::Input in(data, size);
  const int mode = in.Byte() % 4;
  std::string token;
  if (mode == 0) {
    token = std::string(in.rest());
  } else {
    const absl::string_view header = in.Until('\0');
    const absl::string_view claims = in.rest();
    const std::string signing_input =
        absl::StrCat(absl::WebSafeBase64Escape(header), ".",
                     absl::WebSafeBase64Escape(claims));
    token = absl::StrCat(signing_input, ".",
                         mode == 1   ? Hs256(kSecret, signing_input)
                         : mode == 2 ? Hs256(kOtherSecret, signing_input)
                                     : "");
  }

  const auto now =
      std::chrono::system_clock::time_point(std::chrono::seconds(kNow));
  absl::StatusOr<std::string> subject =
      cable::service::VerifyJwtSubject(token, kSecret, now);
  if (!subject.ok()) {
    FUZZ_CHECK(subject.status().code() == absl::StatusCode::kUnauthenticated,
               "a refused token is not Unauthenticated");
    return 0;
  }
  FUZZ_CHECK(mode == 0 || mode == 1,
             "a token not signed with the secret was accepted");
  FUZZ_CHECK(!subject->empty(), "accepted with an empty subject");

  // What was accepted, read again without libjwt.
  const std::size_t dot1 = token.find('.');
  const std::size_t dot2 = token.find('.', dot1 + 1);
  FUZZ_CHECK(dot1 != std::string::npos && dot2 != std::string::npos,
             "accepted a token that is not three parts");
  std::string header_text;
  std::string claims_text;
  FUZZ_CHECK(absl::WebSafeBase64Unescape(token.substr(0, dot1), &header_text) &&
                 absl::WebSafeBase64Unescape(
                     token.substr(dot1 + 1, dot2 - dot1 - 1), &claims_text),
             "accepted a token whose parts are not base64url");
  std::string signature;
  FUZZ_CHECK(
      absl::WebSafeBase64Unescape(token.substr(dot2 + 1), &signature) &&
          signature == Mac(kSecret, absl::string_view(token).substr(0, dot2)),
      "accepted a token whose signature is not HS256 with the secret");
  const json header = json::parse(header_text, nullptr, false);
  // (libjwt reads "alg" case-insensitively: "hs256" is HS256 to it. The
  // signature above is HS256 with the secret all the same.)
  FUZZ_CHECK(header.is_object() &&
                 absl::AsciiStrToUpper(StringAt(header, "alg")) == "HS256",
             "accepted a token whose header does not say HS256");
  const json claims = json::parse(claims_text, nullptr, false);
  FUZZ_CHECK(claims.is_object(), "accepted claims that are not an object");
  FUZZ_CHECK(StringAt(claims, "sub") == *subject,
             "the subject is not the \"sub\" claim");
  if (claims.contains("exp")) {
    FUZZ_CHECK(claims["exp"].is_number() &&
                   claims["exp"].get<double>() > static_cast<double>(kNow),
               "accepted an expired token");
  }
  if (claims.contains("nbf")) {
    FUZZ_CHECK(claims["nbf"].is_number() &&
                   claims["nbf"].get<double>() <= static_cast<double>(kNow),
               "accepted a token before its nbf");
  }
  return 0;
}
