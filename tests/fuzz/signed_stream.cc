// Fuzzes Turbo signed stream names (service/signed_stream_verifier.h): the
// "signed_stream_name" a client puts in a Turbo::StreamsChannel
// identifier.
//
// Input: byte 0 picks how the signed name is made; then
//   0: the signed name itself, as sent;
//   1: the data part, signed with the server's secret (so the base64 and
//      JSON checks behind the signature are reached);
//   2: the data part signed with another secret;
//   3: a stream name, signed by Sign().
//
// Invariants:
// - only names signed with the secret are accepted (never mode 2); a wrong
//   signature is PermissionDenied, a malformed name InvalidArgument;
// - what is accepted is the JSON string inside the canonical base64 of the
//   data part;
// - Verify(Sign(name)) is the name, for every UTF-8 name.

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cable/service/signed_stream_verifier.h"
#include "fuzz_support.h"

using cable::service::SignedStreamVerifier;

namespace {

constexpr absl::string_view kSecret = "turbo-fuzz-secret";
constexpr absl::string_view kOtherSecret = "turbo-fuzz-secreT";

// `data` signed as turbo-rails does: "<data>--<hex HMAC-SHA256(data)>".
std::string SignData(absl::string_view secret, absl::string_view data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac,
       &mac_len);
  return absl::StrCat(data, "--",
                      absl::BytesToHexString(absl::string_view(
                          reinterpret_cast<const char*>(mac), mac_len)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  static const SignedStreamVerifier verifier{std::string(kSecret)};
  cable::fuzz::Input in(data, size);
  const int mode = in.Byte() % 4;
  const absl::string_view rest = in.rest();
  std::string signed_name;
  switch (mode) {
    case 0:
      signed_name = std::string(rest);
      break;
    case 1:
      signed_name = SignData(kSecret, rest);
      break;
    case 2:
      signed_name = SignData(kOtherSecret, rest);
      break;
    default:
      signed_name = verifier.Sign(rest);
      break;
  }

  absl::StatusOr<std::string> name = verifier.Verify(signed_name);
  if (mode == 3 && cable::fuzz::IsUtf8(rest)) {
    FUZZ_CHECK(name.ok() && *name == rest,
               "Verify(Sign(name)) is not the name");
  }
  if (!name.ok()) {
    const absl::StatusCode code = name.status().code();
    FUZZ_CHECK(code == absl::StatusCode::kPermissionDenied ||
                   code == absl::StatusCode::kInvalidArgument,
               "a refused name is neither PermissionDenied nor "
               "InvalidArgument");
    return 0;
  }
  FUZZ_CHECK(mode != 2, "accepted a name signed with another secret");

  // What was accepted, read again: the data part before the last "--" is
  // canonical base64 of a JSON string, the name; the rest its signature.
  const std::size_t separator = signed_name.rfind("--");
  FUZZ_CHECK(separator != std::string::npos, "accepted without a separator");
  const std::string data_part = signed_name.substr(0, separator);
  FUZZ_CHECK(SignData(kSecret, data_part) == signed_name,
             "accepted a name whose signature is not the secret's");
  std::string json_text;
  FUZZ_CHECK(absl::Base64Unescape(data_part, &json_text) &&
                 absl::Base64Escape(json_text) == data_part,
             "accepted a data part that is not canonical base64");
  const nlohmann::json inner = nlohmann::json::parse(json_text, nullptr, false);
  FUZZ_CHECK(inner.is_string() && inner.get<std::string>() == *name,
             "the name is not the JSON string signed");
  // A name that travels on: a stream name, whose signed form verifies.
  FUZZ_CHECK(verifier.Verify(verifier.Sign(*name)).value_or("-") == *name,
             "an accepted name does not sign and verify again");
  return 0;
}
