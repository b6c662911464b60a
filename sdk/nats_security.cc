#include "cable/nats_security.h"

#include <nats/nats.h>

#include "absl/strings/str_cat.h"

namespace cable {
namespace {

absl::Status Refused(natsStatus s, absl::string_view what) {
  const char* detail = nats_GetLastError(nullptr);
  return absl::InvalidArgumentError(
      absl::StrCat("NATS ", what, ": ", natsStatus_GetText(s),
                   detail != nullptr && *detail ? absl::StrCat(" (", detail, ")")
                                                : ""));
}

}  // namespace

absl::Status ApplyNatsSecurity(natsOptions* options,
                               const NatsSecurity& security) {
  if (!security.creds_file.empty() && !security.token.empty()) {
    return absl::InvalidArgumentError(
        "NATS: a credentials file and a token exclude each other");
  }
  if (!security.creds_file.empty()) {
    if (natsStatus s = natsOptions_SetUserCredentialsFromFiles(
            options, security.creds_file.c_str(), nullptr);
        s != NATS_OK) {
      return Refused(s, absl::StrCat("credentials file ", security.creds_file));
    }
  }
  if (!security.token.empty()) {
    if (natsStatus s = natsOptions_SetToken(options, security.token.c_str());
        s != NATS_OK) {
      return Refused(s, "token");
    }
  }
  if (!security.uses_tls()) return absl::OkStatus();
  if (security.tls_cert_file.empty() != security.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "NATS TLS: a client certificate needs its key, and a key its "
        "certificate");
  }
  if (natsStatus s = natsOptions_SetSecure(options, true); s != NATS_OK) {
    return Refused(s, "TLS");
  }
  if (!security.tls_ca_file.empty()) {
    if (natsStatus s = natsOptions_LoadCATrustedCertificates(
            options, security.tls_ca_file.c_str());
        s != NATS_OK) {
      return Refused(s, absl::StrCat("TLS CA ", security.tls_ca_file));
    }
  }
  if (!security.tls_cert_file.empty()) {
    if (natsStatus s = natsOptions_LoadCertificatesChain(
            options, security.tls_cert_file.c_str(),
            security.tls_key_file.c_str());
        s != NATS_OK) {
      return Refused(s, absl::StrCat("TLS certificate ", security.tls_cert_file));
    }
  }
  return absl::OkStatus();
}

}  // namespace cable
