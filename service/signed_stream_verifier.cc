#include "cable/service/signed_stream_verifier.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cable/protocol.h"

namespace cable::service {
namespace {

constexpr absl::string_view kSeparator = "--";

}  // namespace

std::string SignedStreamVerifier::Digest(absl::string_view data) const {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &mac_len);
  return absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

std::string SignedStreamVerifier::Sign(absl::string_view stream_name) const {
  const std::string data = absl::Base64Escape(protocol::QuoteJson(stream_name));
  return absl::StrCat(data, kSeparator, Digest(data));
}

absl::StatusOr<std::string> SignedStreamVerifier::Verify(
    absl::string_view signed_name) const {
  if (secret_.empty()) {
    return absl::FailedPreconditionError("no stream verifier key configured");
  }
  const auto separator = signed_name.rfind(kSeparator);
  if (separator == absl::string_view::npos) {
    return absl::InvalidArgumentError("signed stream name has no separator");
  }
  const absl::string_view data = signed_name.substr(0, separator);
  const absl::string_view digest =
      signed_name.substr(separator + kSeparator.size());
  if (data.empty()) {
    return absl::InvalidArgumentError("signed stream name has no data");
  }
  const std::string expected = Digest(data);
  if (digest.size() != expected.size() ||
      CRYPTO_memcmp(digest.data(), expected.data(), expected.size()) != 0) {
    return absl::PermissionDeniedError("invalid stream name signature");
  }
  // Strict base64: only the canonical padded form of what it decodes to.
  std::string json_text;
  if (!absl::Base64Unescape(data, &json_text) ||
      absl::Base64Escape(json_text) != data) {
    return absl::InvalidArgumentError("signed stream name is not base64");
  }
  const nlohmann::json name =
      nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (!name.is_string()) {
    return absl::InvalidArgumentError(
        "signed stream name does not hold a JSON string");
  }
  return name.get<std::string>();
}

}  // namespace cable::service
