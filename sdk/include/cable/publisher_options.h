#pragma once
// How a cable::Publisher reaches the server: target, credentials,
// deadlines and retries. Plain structs; Publisher::Create validates them.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace cable {

// TLS for the gRPC connection. Without it (PublisherOptions::tls unset) the
// connection is plaintext.
struct TlsOptions {
  // PEM roots the server's certificate must chain to; empty: the system's
  // roots.
  std::string root_ca_pem{};
  // Client certificate chain and its private key (PEM), for servers that
  // require mutual TLS: both or neither.
  std::string client_cert_pem{};
  std::string client_key_pem{};
};

// When a call is retried (the whole contract is on cable::Publisher): a
// call is attempted again only while it certainly has not reached the
// server, so a broadcast is never published twice.
struct RetryPolicy {
  // Connection attempts per call (1: no retry). Read-only calls (GetState,
  // ListChannels) also get up to this many sends.
  int max_attempts = 3;
  // After a failed connection attempt the next starts at once and has
  // initial_backoff to become ready; each later one has `multiplier` times
  // longer, at most max_backoff. A read answered UNAVAILABLE or
  // RESOURCE_EXHAUSTED is sent again after the same waits. Never past the
  // call's deadline.
  std::chrono::milliseconds initial_backoff{200};
  std::chrono::milliseconds max_backoff{2000};
  double multiplier = 2.0;
};

struct PublisherOptions {
  // The server's gRPC address: "host:port" or any gRPC target
  // ("dns:///cable.internal:50051", "unix:/run/cable.sock").
  std::string target{};
  // Sent as gRPC metadata `authorization: Bearer <api_key>` on every call
  // when not empty.
  std::string api_key{};
  // Unset: plaintext (the default).
  std::optional<TlsOptions> tls{};
  // Bound on each call, connecting and retries included, unless the call
  // passes its own CallOptions::deadline.
  std::chrono::milliseconds default_deadline{5000};
  RetryPolicy retry{};
  // Largest message the client sends or receives: stateful channels can
  // carry large states (the server allows 128 MiB).
  std::size_t max_message_bytes = std::size_t{128} << 20;
};

// Per-call settings.
struct CallOptions {
  // Bound on this call, connecting and retries included; unset: the
  // Publisher's default_deadline.
  std::optional<std::chrono::milliseconds> deadline{};
};

}  // namespace cable
