// Every hop authenticated and encrypted, as the Security section of the
// README deploys it: NATS with TLS and a token, cable-service with Publisher
// keys, a gateway secret and mutual TLS on its internal listener,
// cable-gateways presenting the secret and a client certificate. All
// certificates are made by openssl at test time.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/support/must.h"
#include "tests/support/nats_server.h"
#include "tests/support/server_process.h"
#include "tests/support/test_certificates.h"
#include "tests/support/ws_client.h"

namespace cable::testing {
namespace {

using ::nlohmann::json;

constexpr char kNatsToken[] = "nats-token-1";
constexpr char kSecret[] = "gateway-secret-1";

class SecureCluster : public ::testing::Test {
 protected:
  SecureCluster()
      : certs_(Must(TestCertificates::Make())),
        nats_(Must(NatsServer::Start(NatsOptions(certs_)))) {}

  static NatsServer::Options NatsOptions(const TestCertificates& certs) {
    NatsServer::Options options;
    options.jetstream = true;
    options.extra_args = {"--tls",
                          "--tlscert",
                          certs.path("server.pem"),
                          "--tlskey",
                          certs.path("server.key"),
                          "--auth",
                          kNatsToken};
    return options;
  }

  std::vector<std::string> NatsFlags(const std::string& token) const {
    return {"--nats_url=" + nats_.url(),
            "--nats_tls_ca=" + certs_.path("ca.pem"), "--nats_token=" + token};
  }

  absl::StatusOr<ServerProcess> StartService() {
    std::vector<std::string> args = NatsFlags(kNatsToken);
    args.insert(
        args.end(),
        {"--host=127.0.0.1", "--grpc_port=0", "--internal_port=0",
         "--metrics_port=-1", "--log_level=warn", "--publisher_api_keys=k1",
         std::string("--gateway_secret=") + kSecret,
         "--internal_tls_cert=" + certs_.path("server.pem"),
         "--internal_tls_key=" + certs_.path("server.key"),
         "--internal_tls_client_ca=" + certs_.path("ca.pem")});
    return ServerProcess::Start(
        BinaryFromEnv("CABLE_SERVICE", CABLE_SERVICE_BUILT), args);
  }

  absl::StatusOr<ServerProcess> StartGateway(const ServerProcess& service,
                                             const std::string& secret) {
    std::vector<std::string> args = NatsFlags(kNatsToken);
    args.insert(args.end(),
                {"--host=127.0.0.1", "--port=0", "--log_level=warn",
                 absl::StrCat("--service=127.0.0.1:", service.internal_port()),
                 "--gateway_secret=" + secret,
                 "--service_tls_ca=" + certs_.path("ca.pem"),
                 "--service_tls_cert=" + certs_.path("client.pem"),
                 "--service_tls_key=" + certs_.path("client.key")});
    return ServerProcess::Start(
        BinaryFromEnv("CABLE_GATEWAY", CABLE_GATEWAY_BUILT), args);
  }

  TestCertificates certs_;
  NatsServer nats_;
};

std::string Room(const std::string& room) {
  return json{{"channel", "ChatChannel"}, {"room", room}}.dump();
}

TEST_F(SecureCluster, ChatAcrossGatewaysOverTlsEverywhere) {
  ServerProcess service = Must(StartService());
  ASSERT_GT(service.internal_port(), 0);
  ServerProcess a = Must(StartGateway(service, kSecret));
  ServerProcess b = Must(StartGateway(service, kSecret));
  WsClient::Options options;
  options.path = "/cable?user=ann";
  auto ann = Must(WsClient::Connect(a.http_port(), options));
  options.path = "/cable?user=bob";
  auto bob = Must(WsClient::Connect(b.http_port(), options));
  for (auto* client : {ann.get(), bob.get()}) {
    auto welcome = client->ReceiveNonPing();
    ASSERT_TRUE(welcome.ok()) << welcome.status();
    EXPECT_EQ((*welcome)["type"], "welcome");
    ASSERT_EQ(Must(client->Subscribe(Room("secure"))), "confirm_subscription");
  }
  ASSERT_TRUE(
      ann->Perform(Room("secure"), {{"action", "speak"}, {"message", "hi"}})
          .ok());
  auto got = Must(bob->ReceiveNonPing());
  EXPECT_EQ(got["message"]["message"], "hi");
  EXPECT_EQ(got["message"]["user"], "ann");
}

TEST_F(SecureCluster, GatewayWithoutTheSecretWelcomesNobody) {
  ServerProcess service = Must(StartService());
  ServerProcess intruder = Must(StartGateway(service, "not-the-secret"));
  auto client = Must(WsClient::Connect(intruder.http_port()));
  // The service refuses the gateway's Connect: the client is never
  // welcomed, and gets a disconnect and the socket's close instead.
  for (;;) {
    auto m = client->ReceiveJson();
    if (!m.ok()) break;
    EXPECT_NE((*m)["type"], "welcome") << m->dump();
  }
  EXPECT_NE(client->close_code(), 0);
}

TEST_F(SecureCluster, WrongNatsTokenIsAClearStartupError) {
  // cable-server exits at once with the server's reason (on stderr), not
  // "retrying in the background" forever.
  std::string command = BinaryFromEnv("CABLE_SERVER", CABLE_SERVER_BUILT);
  for (const std::string& arg : NatsFlags("wrong-token")) command += " " + arg;
  const std::string log = certs_.path("startup.log");
  command +=
      " --host=127.0.0.1 --port=0 --grpc_port=0 </dev/null >/dev/null 2>" + log;
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  const std::string output = certs_.Read("startup.log");
  EXPECT_THAT(output, ::testing::HasSubstr("refused the credentials"));
  EXPECT_THAT(output, ::testing::HasSubstr("Authorization Violation"));
}

}  // namespace
}  // namespace cable::testing
