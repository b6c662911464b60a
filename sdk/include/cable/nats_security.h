#pragma once
// How a process authenticates to NATS and protects the connection: what
// --nats_creds, --nats_token and --nats_tls_* set, for the pub/sub and the
// JetStream state store alike.

#include <string>

#include "absl/status/status.h"

typedef struct __natsOptions natsOptions;  // nats.h

namespace cable {

struct NatsSecurity {
  // A NATS credentials file (user JWT and nkey seed, `nsc` output).
  std::string creds_file;
  // A token (the server's authorization { token: ... }).
  std::string token;
  // TLS: on when `tls` is set or any file below is given. `tls_ca_file`
  // verifies the server (else the system's roots); a client certificate
  // and key make it mutual TLS.
  bool tls = false;
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;

  bool uses_tls() const {
    return tls || !tls_ca_file.empty() || !tls_cert_file.empty();
  }
};

// Applies `security` to nats.c options. INVALID_ARGUMENT naming the file
// or the setting that nats.c refused (a missing file, a half-given pair).
absl::Status ApplyNatsSecurity(natsOptions* options,
                               const NatsSecurity& security);

}  // namespace cable
