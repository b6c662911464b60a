#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace cable::gateway {

class TlsConnection;

// The certificate and key the gateway's listener serves (wss://, https://),
// read from PEM files and read again on reload(): connections accepted
// after a reload get the new certificate, open ones keep theirs. TLS 1.2
// and 1.3 with OpenSSL's default ciphers; no renegotiation; resumption by
// session tickets only (no server-side session cache, whose memory grows
// with the clients). Thread-safe.
class TlsContext final {
 public:
  // Reads `cert_file` (the certificate chain, the server's certificate
  // first) and `key_file` (its private key, unencrypted); InvalidArgument
  // naming the file and OpenSSL's reason if either cannot be used.
  static absl::StatusOr<std::unique_ptr<TlsContext>> Load(std::string cert_file,
                                                          std::string key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Reads both files again. On an error the certificate in use stays and
  // the error is returned.
  absl::Status Reload();

  // A server-side TLS session for a client just accepted on `socket`; its
  // handshake runs with its first read.
  absl::StatusOr<std::unique_ptr<TlsConnection>> Accept(
      boost::asio::ip::tcp::socket& socket);

  // The certificate in use, for logs: subject, serial, expiry.
  std::string Describe() const;

 private:
  TlsContext(std::string cert_file, std::string key_file, ssl_ctx_st* ctx);

  const std::string cert_file_;
  const std::string key_file_;
  mutable absl::Mutex mu_;
  // Each connection's SSL holds a reference to the context it was made
  // from, so a replaced one lives on until its last connection ends.
  ssl_ctx_st* ctx_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cable::gateway
