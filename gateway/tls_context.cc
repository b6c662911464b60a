#include "cable/gateway/tls_context.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cable/gateway/tls_connection.h"

namespace cable::gateway {

namespace {

struct FreeContext {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using ContextPtr = std::unique_ptr<SSL_CTX, FreeContext>;

// Every error OpenSSL queued on this thread, oldest first; empties the
// queue.
std::string OpenSslErrors() {
  std::string out;
  while (const unsigned long error = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(error, text, sizeof text);
    absl::StrAppend(&out, out.empty() ? "" : "; ", text);
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// Whether `path` can be opened for reading; else why not.
absl::Status Readable(const char* what, const std::string& path) {
  if (std::ifstream(path)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      what, " \"", path, "\": cannot read: ", std::strerror(errno)));
}

// A key file with a passphrase is refused rather than prompted for.
int NoPassphrase(char*, int, int, void*) { return 0; }

// WebSocket runs over HTTP/1.1: say so to a client that offers it in ALPN
// and acknowledge nothing else (a client offering only h2 goes on without).
int SelectAlpn(SSL*, const unsigned char** out, unsigned char* out_size,
               const unsigned char* offered, unsigned int offered_size, void*) {
  static constexpr unsigned char kHttp11[] = {8,   'h', 't', 't', 'p',
                                              '/', '1', '.', '1'};
  unsigned char* selected = nullptr;
  if (SSL_select_next_proto(&selected, out_size, kHttp11, sizeof kHttp11,
                            offered, offered_size) != OPENSSL_NPN_NEGOTIATED) {
    return SSL_TLSEXT_ERR_NOACK;
  }
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

absl::StatusOr<ContextPtr> MakeContext(const std::string& cert_file,
                                       const std::string& key_file) {
  if (auto s = Readable("TLS certificate", cert_file); !s.ok()) return s;
  if (auto s = Readable("TLS key", key_file); !s.ok()) return s;
  ERR_clear_error();
  ContextPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    return absl::InternalError(
        absl::StrCat("cannot make a TLS context: ", OpenSslErrors()));
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION |
                                     SSL_OP_NO_COMPRESSION |
                                     SSL_OP_CIPHER_SERVER_PREFERENCE |
                                     // A client that closes without
                                     // close_notify has ended the stream:
                                     // WebSocket frames show truncation.
                                     SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Record buffers only while a record is on its way (an idle connection
  // holds none); retried writes may come from another address
  // (TlsConnection stages them).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS |
                                  SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_default_passwd_cb(ctx.get(), NoPassphrase);
  SSL_CTX_set_alpn_select_cb(ctx.get(), SelectAlpn, nullptr);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS certificate \"", cert_file,
                     "\": not a PEM certificate chain: ", OpenSslErrors()));
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key_file.c_str(),
                                  SSL_FILETYPE_PEM) != 1) {
    const unsigned long error = ERR_peek_last_error();
    if (ERR_GET_LIB(error) == ERR_LIB_X509 &&
        ERR_GET_REASON(error) == X509_R_KEY_VALUES_MISMATCH) {
      return absl::InvalidArgumentError(absl::StrCat(
          "TLS key \"", key_file, "\" does not match certificate \"", cert_file,
          "\": ", OpenSslErrors()));
    }
    return absl::InvalidArgumentError(absl::StrCat(
        "TLS key \"", key_file,
        "\": not an unencrypted PEM private key: ", OpenSslErrors()));
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("TLS key \"", key_file, "\" does not match certificate \"",
                     cert_file, "\": ", OpenSslErrors()));
  }
  return ctx;
}

std::string Describe(SSL_CTX* ctx) {
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (cert == nullptr) return "no certificate";
  char subject[256];
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
  std::string serial = "?";
  if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
    if (char* hex = BN_bn2hex(bn)) {
      serial = hex;
      OPENSSL_free(hex);
    }
    BN_free(bn);
  }
  std::string expiry = "?";
  if (BIO* bio = BIO_new(BIO_s_mem())) {
    if (ASN1_TIME_print(bio, X509_get0_notAfter(cert)) == 1) {
      char* data = nullptr;
      const long size = BIO_get_mem_data(bio, &data);
      expiry.assign(data, static_cast<std::size_t>(size));
    }
    BIO_free(bio);
  }
  return absl::StrCat("subject ", subject, ", serial ", serial, ", expires ",
                      expiry);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TlsContext>> TlsContext::Load(
    std::string cert_file, std::string key_file) {
  auto ctx = MakeContext(cert_file, key_file);
  if (!ctx.ok()) return ctx.status();
  return std::unique_ptr<TlsContext>(new TlsContext(
      std::move(cert_file), std::move(key_file), ctx->release()));
}

TlsContext::TlsContext(std::string cert_file, std::string key_file,
                       SSL_CTX* ctx)
    : cert_file_(std::move(cert_file)),
      key_file_(std::move(key_file)),
      ctx_(ctx) {}

TlsContext::~TlsContext() { SSL_CTX_free(ctx_); }

absl::Status TlsContext::Reload() {
  auto ctx = MakeContext(cert_file_, key_file_);
  if (!ctx.ok()) return ctx.status();
  SSL_CTX* old;
  {
    absl::MutexLock lock(&mu_);
    old = std::exchange(ctx_, ctx->release());
  }
  SSL_CTX_free(old);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<TlsConnection>> TlsContext::Accept(
    boost::asio::ip::tcp::socket& socket) {
  ERR_clear_error();
  SSL* ssl;
  {
    absl::MutexLock lock(&mu_);
    ssl = SSL_new(ctx_);
  }
  if (ssl == nullptr) {
    return absl::ResourceExhaustedError(
        absl::StrCat("SSL_new: ", OpenSslErrors()));
  }
  auto connection = std::make_unique<TlsConnection>(ssl);
  // The socket BIO does not close the descriptor: the socket owns it.
  if (SSL_set_fd(ssl, socket.native_handle()) != 1) {
    return absl::InternalError(absl::StrCat("SSL_set_fd: ", OpenSslErrors()));
  }
  SSL_set_accept_state(ssl);
  return connection;
}

std::string TlsContext::Describe() const {
  absl::MutexLock lock(&mu_);
  return ::cable::gateway::Describe(ctx_);
}

}  // namespace cable::gateway
