// cable::Publisher over TLS to an in-test gRPC server: server
// authentication with a given root, mutual TLS with a client certificate,
// and the failures of a wrong root or plaintext (never sent).

#include <gmock/gmock.h>
#include <grpcpp/security/server_credentials.h>
#include <gtest/gtest.h>

#include <chrono>

#include "cable/publisher.h"
#include "tests/sdk_cpp/test_certs.h"
#include "tests/sdk_cpp/test_servers.h"
#include "tests/support/must.h"

namespace cable::testing {
namespace {

constexpr RetryPolicy kFastRetry = {
    .max_attempts = 2,
    .initial_backoff = std::chrono::milliseconds(10),
    .max_backoff = std::chrono::milliseconds(50)};

std::shared_ptr<grpc::ServerCredentials> ServerTls(
    const TestCert& server, const TestCert* trusted_client = nullptr) {
  grpc::SslServerCredentialsOptions options(
      trusted_client
          ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
          : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  options.pem_key_cert_pairs.push_back({server.key_pem, server.cert_pem});
  if (trusted_client) options.pem_root_certs = trusted_client->cert_pem;
  return grpc::SslServerCredentials(options);
}

TEST(PublisherTls, TrustsTheGivenRoot) {
  const TestCert cert = SelfSignedCert("cable-test-server");
  FakePublisherServer server(0, ServerTls(cert));
  Publisher publisher = Must(
      Publisher::Create({.target = server.target(),
                         .tls = TlsOptions{.root_ca_pem = cert.cert_pem}}));

  absl::Status status = publisher.Broadcast("s", "secure");
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_EQ(server.calls().size(), 1u);
}

TEST(PublisherTls, PresentsTheClientCertificate) {
  const TestCert server_cert = SelfSignedCert("cable-test-server");
  const TestCert client_cert = SelfSignedCert("cable-test-app");
  FakePublisherServer server(0, ServerTls(server_cert, &client_cert));
  Publisher with_cert = Must(Publisher::Create(
      {.target = server.target(),
       .tls = TlsOptions{.root_ca_pem = server_cert.cert_pem,
                         .client_cert_pem = client_cert.cert_pem,
                         .client_key_pem = client_cert.key_pem},
       .retry = kFastRetry}));
  Publisher without_cert = Must(
      Publisher::Create({.target = server.target(),
                         .tls = TlsOptions{.root_ca_pem = server_cert.cert_pem},
                         .retry = kFastRetry}));

  absl::Status status = with_cert.Broadcast("s", "mutual");
  ASSERT_TRUE(status.ok()) << status;
  ASSERT_EQ(server.calls().size(), 1u);
  EXPECT_EQ(server.calls()[0].peer_common_name, "cable-test-app");

  absl::Status refused = without_cert.Broadcast("s", "anonymous");
  EXPECT_EQ(refused.code(), absl::StatusCode::kUnavailable) << refused;
  EXPECT_EQ(server.calls().size(), 1u);
}

TEST(PublisherTls, WrongRootOrPlaintextNeverSends) {
  const TestCert cert = SelfSignedCert("cable-test-server");
  const TestCert other = SelfSignedCert("someone-else");
  FakePublisherServer server(0, ServerTls(cert));
  Publisher wrong_root =
      Must(Publisher::Create({.target = server.target(),
                              .tls = TlsOptions{.root_ca_pem = other.cert_pem},
                              .retry = kFastRetry}));
  Publisher plaintext =
      Must(Publisher::Create({.target = server.target(), .retry = kFastRetry}));

  for (const Publisher* publisher : {&wrong_root, &plaintext}) {
    absl::Status status = publisher->Broadcast("s", "x");
    EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
    EXPECT_TRUE(NeverSent(status)) << status;
  }
  EXPECT_TRUE(server.calls().empty());
}

}  // namespace
}  // namespace cable::testing
