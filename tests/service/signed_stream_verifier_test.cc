#include "cable/service/signed_stream_verifier.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cctype>

#include "absl/strings/escaping.h"
#include "tests/service/test_util.h"

namespace cable::service {
namespace {

using ::cable::service::testing::StatusIs;
using ::testing::HasSubstr;

TEST(SignedStreamVerifierTest, MatchesRailsMessageVerifier) {
  // What ActiveSupport::MessageVerifier.new("secret", digest: "SHA256",
  // serializer: JSON).generate("chat:lobby") yields: base64('"chat:lobby"')
  // + "--" + HMAC-SHA256 hex of that base64 (digest computed with
  // `openssl dgst -sha256 -hmac secret`).
  SignedStreamVerifier verifier("secret");
  const std::string signed_name = verifier.Sign("chat:lobby");
  EXPECT_EQ(signed_name.substr(0, signed_name.find("--")),
            absl::Base64Escape("\"chat:lobby\""));
  EXPECT_EQ(signed_name,
            "ImNoYXQ6bG9iYnki--"
            "d2b2eda6e04a414839ee26da3477a7a17eb0d8746fdd24cab261f70987b19e87");
}

TEST(SignedStreamVerifierTest, ValidNameRoundTrips) {
  SignedStreamVerifier verifier("secret");
  for (const std::string name : {"chat:lobby", "", "ünïcode \"quoted\" / x",
                                 "gid://app/Post/1:comments"}) {
    absl::StatusOr<std::string> verified = verifier.Verify(verifier.Sign(name));
    ASSERT_TRUE(verified.ok()) << name << ": " << verified.status();
    EXPECT_EQ(*verified, name);
  }
}

TEST(SignedStreamVerifierTest, TamperedSignature) {
  SignedStreamVerifier verifier("secret");
  std::string signed_name = verifier.Sign("chat:lobby");
  signed_name.back() = signed_name.back() == '0' ? '1' : '0';
  EXPECT_THAT(
      verifier.Verify(signed_name),
      StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("signature")));
  // Upper-case hex is not what Rails produces either.
  std::string upper = verifier.Sign("chat:lobby");
  for (auto i = upper.find("--") + 2; i < upper.size(); ++i) {
    upper[i] = static_cast<char>(std::toupper(upper[i]));
  }
  if (upper != verifier.Sign("chat:lobby")) {
    EXPECT_FALSE(verifier.Verify(upper).ok());
  }
}

TEST(SignedStreamVerifierTest, TamperedData) {
  SignedStreamVerifier verifier("secret");
  const std::string good = verifier.Sign("chat:lobby");
  const std::string digest = good.substr(good.find("--"));
  EXPECT_THAT(verifier.Verify(absl::Base64Escape("\"chat:admin\"") + digest),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(SignedStreamVerifierTest, TruncatedAndMissingSeparator) {
  SignedStreamVerifier verifier("secret");
  const std::string good = verifier.Sign("chat:lobby");
  EXPECT_FALSE(verifier.Verify(good.substr(0, good.size() - 1)).ok());
  EXPECT_FALSE(verifier.Verify(good.substr(0, good.find("--") + 2)).ok());
  EXPECT_THAT(
      verifier.Verify(good.substr(0, good.find("--"))),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("separator")));
  EXPECT_FALSE(verifier.Verify("").ok());
  EXPECT_FALSE(verifier.Verify("--").ok());
}

TEST(SignedStreamVerifierTest, WrongOrEmptySecret) {
  const std::string signed_name = SignedStreamVerifier("secret").Sign("x");
  EXPECT_THAT(SignedStreamVerifier("other").Verify(signed_name),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(SignedStreamVerifier("").Verify(signed_name),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  // A name signed with the empty key does not verify under it either.
  EXPECT_FALSE(
      SignedStreamVerifier("").Verify(SignedStreamVerifier("").Sign("x")).ok());
}

// A MessageVerifier signature over arbitrary base64 text, computed here
// independently of the verifier.
std::string SignRaw(const std::string& secret, const std::string& base64) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(base64.data()), base64.size(),
       mac, &len);
  return base64 + "--" +
         absl::BytesToHexString(
             absl::string_view(reinterpret_cast<const char*>(mac), len));
}

TEST(SignedStreamVerifierTest, IndependentSignatureVerifies) {
  SignedStreamVerifier verifier("secret");
  EXPECT_EQ(verifier.Verify(SignRaw("secret", absl::Base64Escape("\"ab\"")))
                .value_or("?"),
            "ab");
}

TEST(SignedStreamVerifierTest, NonStringJsonIsRejected) {
  SignedStreamVerifier verifier("secret");
  for (const std::string payload :
       {"[\"a\",\"b\"]", "{\"a\":1}", "42", "null", "not json"}) {
    EXPECT_THAT(
        verifier.Verify(SignRaw("secret", absl::Base64Escape(payload))),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("JSON string")))
        << payload;
  }
}

TEST(SignedStreamVerifierTest, NonCanonicalBase64IsRejected) {
  SignedStreamVerifier verifier("secret");
  ASSERT_EQ(absl::Base64Escape("\"ab\""), "ImFiIg==");
  for (const std::string base64 :
       {"ImFiIg", "ImFi\nIg==", "ImFi Ig==", "ImFiIg=", "I*FiIg=="}) {
    EXPECT_THAT(
        verifier.Verify(SignRaw("secret", base64)),
        StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("base64")))
        << base64;
  }
}

}  // namespace
}  // namespace cable::service
