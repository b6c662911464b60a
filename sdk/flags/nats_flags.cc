#include "cable/nats_flags.h"

#include <string>

#include "absl/flags/flag.h"

ABSL_FLAG(std::string, nats_creds, "",
          "NATS credentials file (user JWT and nkey seed) for every "
          "connection to --nats_url.");
ABSL_FLAG(std::string, nats_token, "",
          "NATS token (or CABLE_NATS_TOKEN); excludes --nats_creds.");
ABSL_FLAG(bool, nats_tls, false,
          "TLS to NATS, verified against the system's roots unless "
          "--nats_tls_ca is given (any --nats_tls_* file turns TLS on).");
ABSL_FLAG(std::string, nats_tls_ca, "",
          "PEM CA that signed the NATS servers' certificates.");
ABSL_FLAG(std::string, nats_tls_cert, "",
          "PEM client certificate for mutual TLS to NATS.");
ABSL_FLAG(std::string, nats_tls_key, "",
          "PEM private key of --nats_tls_cert.");

namespace cable {

NatsSecurity NatsSecurityFromFlags() {
  NatsSecurity s;
  s.creds_file = absl::GetFlag(FLAGS_nats_creds);
  s.token = absl::GetFlag(FLAGS_nats_token);
  s.tls = absl::GetFlag(FLAGS_nats_tls);
  s.tls_ca_file = absl::GetFlag(FLAGS_nats_tls_ca);
  s.tls_cert_file = absl::GetFlag(FLAGS_nats_tls_cert);
  s.tls_key_file = absl::GetFlag(FLAGS_nats_tls_key);
  return s;
}

}  // namespace cable
