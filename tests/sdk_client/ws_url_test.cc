#include "sdk/client/ws_url.h"

#include <gtest/gtest.h>

namespace cable::testing {
namespace {

using client_internal::ParseWsUrl;

TEST(WsUrl, HostPortAndTarget) {
  auto url = ParseWsUrl("ws://127.0.0.1:8080/cable?user=ann#frag");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, "8080");
  EXPECT_EQ(url->target, "/cable?user=ann");
  EXPECT_EQ(url->host_header, "127.0.0.1:8080");
}

TEST(WsUrl, DefaultsAndIpv6) {
  auto plain = ParseWsUrl("WS://example.com");
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->port, "80");
  EXPECT_EQ(plain->target, "/");
  auto query = ParseWsUrl("ws://example.com?token=t");
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->target, "/?token=t");
  auto v6 = ParseWsUrl("ws://[::1]:9000/cable");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "9000");
  EXPECT_EQ(v6->host_header, "[::1]:9000");
}

TEST(WsUrl, Refused) {
  EXPECT_EQ(ParseWsUrl("wss://example.com/cable").status().code(),
            absl::StatusCode::kUnimplemented);
  for (const char* bad :
       {"http://x/cable", "ws://", "ws://:80/", "ws://h:0/", "ws://h:99999/",
        "ws://h:8a/", "ws://u@h/", "ws://[::1/"}) {
    EXPECT_EQ(ParseWsUrl(bad).status().code(),
              absl::StatusCode::kInvalidArgument)
        << bad;
  }
}

}  // namespace
}  // namespace cable::testing
