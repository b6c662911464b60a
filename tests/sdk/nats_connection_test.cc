// The NATS connection layer: the one status mapping (no server), and
// Connect's answer to refused credentials against a real nats-server.

#include "cable/nats_connection.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "tests/support/nats_server.h"

namespace cable {
namespace {

using ::testing::HasSubstr;

TEST(NatsStatusCode, MapsByWhoShouldAct) {
  struct Case {
    natsStatus nats;
    absl::StatusCode code;
  };
  const Case cases[] = {
      {NATS_OK, absl::StatusCode::kOk},
      {NATS_TIMEOUT, absl::StatusCode::kDeadlineExceeded},
      {NATS_NOT_FOUND, absl::StatusCode::kNotFound},
      {NATS_CONNECTION_CLOSED, absl::StatusCode::kUnavailable},
      {NATS_CONNECTION_DISCONNECTED, absl::StatusCode::kUnavailable},
      {NATS_NOT_YET_CONNECTED, absl::StatusCode::kUnavailable},
      {NATS_NO_SERVER, absl::StatusCode::kUnavailable},
      {NATS_IO_ERROR, absl::StatusCode::kUnavailable},
      {NATS_STALE_CONNECTION, absl::StatusCode::kUnavailable},
      {NATS_NO_RESPONDERS, absl::StatusCode::kUnavailable},
      {NATS_SSL_ERROR, absl::StatusCode::kUnavailable},
      {NATS_DRAINING, absl::StatusCode::kUnavailable},
      // Refused credentials: retrying the same cannot help (not
      // Unavailable), and it is about who we are (not PermissionDenied).
      {NATS_CONNECTION_AUTH_FAILED, absl::StatusCode::kUnauthenticated},
      {NATS_NOT_PERMITTED, absl::StatusCode::kPermissionDenied},
      {NATS_INVALID_ARG, absl::StatusCode::kInvalidArgument},
      {NATS_INVALID_SUBJECT, absl::StatusCode::kInvalidArgument},
      {NATS_MAX_PAYLOAD, absl::StatusCode::kInvalidArgument},
      {NATS_INVALID_TIMEOUT, absl::StatusCode::kInvalidArgument},
      {NATS_NO_MEMORY, absl::StatusCode::kResourceExhausted},
      {NATS_ERR, absl::StatusCode::kInternal},
      {NATS_PROTOCOL_ERROR, absl::StatusCode::kInternal},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(NatsStatusCode(c.nats), c.code) << natsStatus_GetText(c.nats);
  }
}

TEST(FromNatsStatus, NamesWhatFailedAndWhy) {
  EXPECT_TRUE(FromNatsStatus(NATS_OK, "anything").ok());
  const absl::Status s = FromNatsStatus(NATS_CONNECTION_AUTH_FAILED, "connect");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(s.message()), HasSubstr("nats: connect: "));
  EXPECT_THAT(std::string(s.message()),
              HasSubstr(natsStatus_GetText(NATS_CONNECTION_AUTH_FAILED)));
  EXPECT_EQ(FromNatsStatus(NATS_TIMEOUT, "flush").code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST(NatsConnectionOptions, RejectsBadOptionsBeforeConnecting) {
  NatsConnectionOptions o;
  EXPECT_TRUE(ValidateNatsConnectionOptions(o).ok());
  o.url = " , ";
  EXPECT_EQ(NatsConnection::Connect(o).status().code(),
            absl::StatusCode::kInvalidArgument);
  o = NatsConnectionOptions{};
  o.connect_timeout = std::chrono::milliseconds(0);
  EXPECT_EQ(ValidateNatsConnectionOptions(o).code(),
            absl::StatusCode::kInvalidArgument);
  o = NatsConnectionOptions{};
  o.max_reconnect_wait = std::chrono::milliseconds(1);
  EXPECT_EQ(ValidateNatsConnectionOptions(o).code(),
            absl::StatusCode::kInvalidArgument);
}

class NatsConnectionAuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::NatsServer::Options so;
    so.extra_args = {"--auth", "right-token"};
    so.monitoring_port = 0;
    auto server = testing::NatsServer::Start(so);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::make_unique<testing::NatsServer>(std::move(*server));
  }

  NatsConnectionOptions Options(const std::string& token, bool retry) {
    NatsConnectionOptions o;
    o.url = server_->url();
    o.name = "auth-test";
    o.security.token = token;
    o.retry_on_failed_connect = retry;
    o.connect_timeout = std::chrono::milliseconds(2000);
    return o;
  }

  std::unique_ptr<testing::NatsServer> server_;
};

// The refusal is the server's answer to the first attempt, read before
// any reconnect thread exists: the same every time, with or without
// retry-on-failed-connect (it used to read as "no server reachable" when
// nats.c's reconnect thread cleared the error first).
TEST_F(NatsConnectionAuthTest, AWrongTokenIsUnauthenticatedEveryTime) {
  for (bool retry : {false, true}) {
    for (int i = 0; i < 5; ++i) {
      auto c = NatsConnection::Connect(Options("wrong-token", retry));
      ASSERT_FALSE(c.ok()) << "retry " << retry << ", attempt " << i;
      EXPECT_EQ(c.status().code(), absl::StatusCode::kUnauthenticated)
          << c.status();
      EXPECT_THAT(std::string(c.status().message()),
                  HasSubstr("refused the credentials"));
      EXPECT_THAT(std::string(c.status().message()),
                  HasSubstr("Authorization Violation"));
    }
  }
}

TEST_F(NatsConnectionAuthTest, TheRightTokenConnects) {
  auto c = NatsConnection::Connect(Options("right-token", true));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE((*c)->connected());
  EXPECT_EQ(natsConnection_FlushTimeout((*c)->Get(), 10000), NATS_OK);
  (*c)->Close();
  EXPECT_FALSE((*c)->connected());
}

}  // namespace
}  // namespace cable
