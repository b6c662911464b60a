#pragma once

#include "cable/nats_security.h"

namespace cable {

// --nats_creds, --nats_token, --nats_tls, --nats_tls_ca, --nats_tls_cert
// and --nats_tls_key, read after absl::ParseCommandLine. Shared by the
// three shipped mains.
NatsSecurity NatsSecurityFromFlags();

}  // namespace cable
