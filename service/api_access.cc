#include "cable/service/api_access.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cable::service {
namespace {

std::array<unsigned char, 32> Digest(absl::string_view key) {
  std::array<unsigned char, 32> out;
  SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(),
         out.data());
  return out;
}

}  // namespace

ApiAccess::ApiAccess(std::string api, const std::vector<std::string>& keys)
    : api_(std::move(api)) {
  for (const std::string& key : keys) {
    if (!key.empty()) digests_.push_back(Digest(key));
  }
}

absl::Status ApiAccess::Check(
    std::optional<absl::string_view> authorization) const {
  if (Open()) return absl::OkStatus();
  absl::string_view presented;
  bool well_formed = false;
  if (authorization.has_value()) {
    absl::string_view value = absl::StripAsciiWhitespace(*authorization);
    constexpr absl::string_view kScheme = "bearer ";
    if (value.size() > kScheme.size() &&
        absl::EqualsIgnoreCase(value.substr(0, kScheme.size()), kScheme)) {
      presented =
          absl::StripLeadingAsciiWhitespace(value.substr(kScheme.size()));
      well_formed = !presented.empty();
    }
  }
  // Every configured key is compared, whatever matched before.
  const auto digest = Digest(presented);
  int matched = 0;
  for (const auto& key : digests_) {
    matched |= CRYPTO_memcmp(key.data(), digest.data(), digest.size()) == 0;
  }
  if (well_formed && matched) return absl::OkStatus();
  denied_.fetch_add(1, std::memory_order_relaxed);
  if (!authorization.has_value()) {
    return absl::UnauthenticatedError(absl::StrCat(
        "the ", api_, " API needs metadata 'authorization: Bearer <key>'"));
  }
  if (!well_formed) {
    return absl::UnauthenticatedError(
        absl::StrCat("the ", api_, " API takes 'authorization: Bearer <key>'"));
  }
  return absl::UnauthenticatedError(
      absl::StrCat("the key is not valid for the ", api_, " API"));
}

absl::StatusOr<std::vector<std::string>> LoadKeys(absl::string_view list,
                                                  const std::string& file) {
  std::vector<std::string> keys;
  for (absl::string_view k :
       absl::StrSplit(list, ',', absl::SkipWhitespace())) {
    keys.emplace_back(absl::StripAsciiWhitespace(k));
  }
  if (!file.empty()) {
    std::ifstream in(file);
    if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", file));
    std::string line;
    while (std::getline(in, line)) {
      absl::string_view k = absl::StripAsciiWhitespace(line);
      if (!k.empty() && k[0] != '#') keys.emplace_back(k);
    }
  }
  return keys;
}

}  // namespace cable::service
