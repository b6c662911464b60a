// Who may call the service: Publisher API keys, the gateways' secret on
// the internal listener (never the Publisher's port), and TLS (plain and
// mutual) on both, with certificates made by OpenSSL at test time. Runs a
// real ServiceServer on ephemeral ports and calls it through the generated
// stubs.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "cable/in_memory_pubsub.h"
#include "cable/internal/v1/cable.grpc.pb.h"
#include "cable/service/api_access.h"
#include "cable/service/channel.h"
#include "cable/service/in_memory_state_store.h"
#include "cable/service/registry.h"
#include "cable/service/service_server.h"
#include "cable/v1/publisher.grpc.pb.h"
#include "tests/support/test_certificates.h"

namespace cable::service {
namespace {

using ::testing::HasSubstr;

constexpr char kKey[] = "publisher-key-1";
constexpr char kOtherKey[] = "publisher-key-2";
constexpr char kSecret[] = "gateway-secret";

TEST(ApiAccess, OpenWithoutKeys) {
  ApiAccess access("Publisher", {"", ""});
  EXPECT_TRUE(access.Open());
  EXPECT_TRUE(access.Check(std::nullopt).ok());
}

TEST(ApiAccess, AcceptsEveryConfiguredKeyAndNothingElse) {
  ApiAccess access("Publisher", {kKey, kOtherKey});
  EXPECT_TRUE(access.Check("Bearer publisher-key-1").ok());
  EXPECT_TRUE(access.Check("bearer   publisher-key-2 ").ok());
  const auto refused = [&](std::optional<absl::string_view> header) {
    absl::Status s = access.Check(header);
    EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated) << s;
    EXPECT_THAT(std::string(s.message()), ::testing::Not(HasSubstr(kKey)));
    return s;
  };
  EXPECT_THAT(std::string(refused(std::nullopt).message()),
              HasSubstr("authorization: Bearer"));
  (void)refused("Bearer publisher-key-");    // a prefix
  (void)refused("Bearer publisher-key-10");  // longer
  (void)refused("Bearer ");
  (void)refused("Basic cHVibGlzaGVyLWtleS0x");
  (void)refused("publisher-key-1");  // no scheme
  EXPECT_EQ(access.denied(), 6u);
}

TEST(ApiAccess, LoadKeysFromListAndFile) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / "keys";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "keys") << "# comment\n\n  k3  \nk4\n";
  auto keys = LoadKeys(" k1, ,k2 ", (dir / "keys").string());
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_THAT(*keys, ::testing::ElementsAre("k1", "k2", "k3", "k4"));
  EXPECT_EQ(LoadKeys("", (dir / "missing").string()).status().code(),
            absl::StatusCode::kNotFound);
}

// Channel code that counts every subscription it sees: forged calls must
// never reach it.
class Recorder final : public Channel {
 public:
  explicit Recorder(std::atomic<int>* subscribed) : subscribed_(subscribed) {}
  void subscribed() override {
    ++*subscribed_;
    stream_from("recorded");
  }

 private:
  std::atomic<int>* subscribed_;
};

class ApiSecurityTest : public ::testing::Test {
 protected:
  void Start(ServiceServerOptions options) {
    options.host = "127.0.0.1";
    options.port = 0;
    options.internal_host = "127.0.0.1";
    options.internal_port = 0;
    auto app = std::make_unique<Application>();
    app->Add<Recorder>("Recorder", [this] {
      return std::make_unique<Recorder>(&subscribed_);
    });
    auto server = ServiceServer::Start(options, {.application = std::move(app)},
                                       pubsub_, control_, store_);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::shared_ptr<grpc::Channel> Plain(int port) {
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", port),
                               grpc::InsecureChannelCredentials());
  }

  grpc::Status Broadcast(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& authorization) {
    auto stub = v1::Publisher::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    if (!authorization.empty()) {
      context.AddMetadata("authorization", authorization);
    }
    v1::BroadcastRequest request;
    request.set_stream("news");
    request.set_data("hello");
    v1::BroadcastResponse response;
    return stub->Broadcast(&context, request, &response);
  }

  // A subscribe with forged identifiers, as an attacker would send it.
  grpc::Status ForgedSubscribe(const std::shared_ptr<grpc::Channel>& channel,
                               const std::string& authorization,
                               internal::v1::CommandResponse* response) {
    auto stub = internal::v1::Cable::NewStub(channel);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(10));
    if (!authorization.empty()) {
      context.AddMetadata("authorization", authorization);
    }
    internal::v1::CommandRequest request;
    request.set_kind(internal::v1::COMMAND_KIND_SUBSCRIBE);
    request.set_identifier(R"({"channel":"Recorder"})");
    (*request.mutable_identifiers())["current_user"] = "admin";
    return stub->Command(&context, request, response);
  }

  std::atomic<int> subscribed_{0};
  InMemoryPubSub pubsub_;
  InMemoryPubSub control_;
  InMemoryStateStore store_;
  std::unique_ptr<ServiceServer> server_;
};

TEST_F(ApiSecurityTest, PublisherNeedsAKeyAndRefusalsAreCounted) {
  Start({.publisher_api_keys = {kKey, kOtherKey}, .gateway_secret = kSecret});
  EXPECT_FALSE(server_->publisher_open());
  auto channel = Plain(server_->port());
  grpc::Status none = Broadcast(channel, "");
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(none.error_message(), HasSubstr("authorization: Bearer"));
  EXPECT_EQ(Broadcast(channel, "Bearer wrong").error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_TRUE(Broadcast(channel, absl::StrCat("Bearer ", kKey)).ok());
  EXPECT_TRUE(Broadcast(channel, absl::StrCat("Bearer ", kOtherKey)).ok());
  // The gateway secret is no Publisher key.
  EXPECT_EQ(Broadcast(channel, absl::StrCat("Bearer ", kSecret)).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);

  const auto families = server_->metrics()->Collect();
  ASSERT_EQ(families.size(), 1u);
  EXPECT_EQ(families[0].name, "cable_unauthenticated_calls_total");
  ASSERT_EQ(families[0].metric.size(), 2u);
  EXPECT_EQ(families[0].metric[0].label[0].value, "publisher");
  EXPECT_EQ(families[0].metric[0].counter.value, 3);
}

TEST_F(ApiSecurityTest, InternalApiIsNotOnThePublisherPort) {
  Start({.publisher_api_keys = {kKey}, .gateway_secret = kSecret});
  ASSERT_NE(server_->internal_port(), server_->port());
  internal::v1::CommandResponse response;
  // A Publisher-key holder calling Cable on the Publisher's port: the
  // service is not there at all.
  grpc::Status status = ForgedSubscribe(
      Plain(server_->port()), absl::StrCat("Bearer ", kKey), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  // And the Publisher is not on the internal port.
  EXPECT_EQ(Broadcast(Plain(server_->internal_port()),
                      absl::StrCat("Bearer ", kSecret))
                .error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(subscribed_.load(), 0);
}

TEST_F(ApiSecurityTest, ForgedIdentifiersNeverReachChannelCode) {
  Start({.publisher_api_keys = {kKey}, .gateway_secret = kSecret});
  auto internal = Plain(server_->internal_port());
  for (const std::string& authorization :
       {std::string(), absl::StrCat("Bearer ", kKey), std::string("Bearer x"),
        absl::StrCat("Bearer ", kSecret, "x")}) {
    internal::v1::CommandResponse response;
    grpc::Status status = ForgedSubscribe(internal, authorization, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED)
        << authorization;
    EXPECT_EQ(response.transmissions_size(), 0);
  }
  EXPECT_EQ(subscribed_.load(), 0);
  // A gateway with the secret reaches the channel.
  internal::v1::CommandResponse response;
  ASSERT_TRUE(
      ForgedSubscribe(internal, absl::StrCat("Bearer ", kSecret), &response)
          .ok());
  EXPECT_EQ(response.status(), internal::v1::STATUS_SUCCESS);
  EXPECT_EQ(subscribed_.load(), 1);
  // The in-process channel is held to the same rule.
  EXPECT_EQ(ForgedSubscribe(std::static_pointer_cast<grpc::Channel>(
                                server_->in_process_channel()),
                            "", &response)
                .error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ApiSecurityTest, TlsOnThePublisherAndMutualTlsOnTheInternalApi) {
  auto made = cable::testing::TestCertificates::Make();
  ASSERT_TRUE(made.ok()) << made.status();
  const cable::testing::TestCertificates& certs = *made;
  Start({.publisher_api_keys = {kKey},
         .gateway_secret = kSecret,
         .publisher_tls = {certs.path("server.pem"), certs.path("server.key"),
                           ""},
         .internal_tls = {certs.path("server.pem"), certs.path("server.key"),
                          certs.path("ca.pem")}});
  grpc::SslCredentialsOptions trusted;
  trusted.pem_root_certs = certs.Read("ca.pem");
  auto tls = [&](int port, const grpc::SslCredentialsOptions& options) {
    return grpc::CreateChannel(absl::StrCat("localhost:", port),
                               grpc::SslCredentials(options));
  };
  // Publisher: TLS works; plaintext and an untrusted CA do not.
  EXPECT_TRUE(
      Broadcast(tls(server_->port(), trusted), absl::StrCat("Bearer ", kKey))
          .ok());
  EXPECT_EQ(Broadcast(Plain(server_->port()), absl::StrCat("Bearer ", kKey))
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  grpc::SslCredentialsOptions untrusted;
  untrusted.pem_root_certs = certs.Read("other.pem");
  EXPECT_EQ(
      Broadcast(tls(server_->port(), untrusted), absl::StrCat("Bearer ", kKey))
          .error_code(),
      grpc::StatusCode::UNAVAILABLE);

  // Internal: a client certificate signed by the CA is required.
  internal::v1::CommandResponse response;
  EXPECT_EQ(ForgedSubscribe(tls(server_->internal_port(), trusted),
                            absl::StrCat("Bearer ", kSecret), &response)
                .error_code(),
            grpc::StatusCode::UNAVAILABLE);
  grpc::SslCredentialsOptions mutual = trusted;
  mutual.pem_cert_chain = certs.Read("client.pem");
  mutual.pem_private_key = certs.Read("client.key");
  ASSERT_TRUE(ForgedSubscribe(tls(server_->internal_port(), mutual),
                              absl::StrCat("Bearer ", kSecret), &response)
                  .ok());
  EXPECT_EQ(subscribed_.load(), 1);
}

TEST_F(ApiSecurityTest, BadTlsConfigurationIsAClearError) {
  InMemoryPubSub pubsub;
  auto app = std::make_unique<Application>();
  auto server = ServiceServer::Start(
      {.host = "127.0.0.1",
       .port = 0,
       .internal_port = -1,
       .publisher_tls = {"/nonexistent/cert.pem", "/nonexistent/key.pem", ""}},
      {.application = std::move(app)}, pubsub, control_, store_);
  EXPECT_EQ(server.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(server.status().message()),
              HasSubstr("/nonexistent/cert.pem"));
  auto half =
      ServiceServer::Start({.host = "127.0.0.1",
                            .port = 0,
                            .internal_port = -1,
                            .internal_tls = {"", "", "/some/ca.pem"}},
                           {.application = std::make_unique<Application>()},
                           pubsub, control_, store_);
  EXPECT_EQ(half.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cable::service
