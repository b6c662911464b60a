// The upgrade's pure part: the environment the service sees, cookies, the
// 101 answer.

#include "cable/gateway/upgrade.h"

#include <gtest/gtest.h>

namespace cable::gateway::upgrade {
namespace {

namespace http = boost::beast::http;

TEST(Upgrade, EnvironmentCarriesUrlHeadersCookiesAndPeer) {
  Request request(http::verb::get, "/cable?token=t", 11);
  request.set("Host", "example.com");
  request.insert("X-Forwarded-For", "1.2.3.4");
  request.insert("x-forwarded-for", "5.6.7.8");
  request.set(http::field::cookie, "a=1; b = 2;bad; =x; c=3=4");
  const auto env = Environment(request, "actioncable-v1-json", "10.0.0.1:5");
  EXPECT_EQ(env.url(), "/cable?token=t");
  EXPECT_EQ(env.subprotocol(), "actioncable-v1-json");
  EXPECT_EQ(env.remote_addr(), "10.0.0.1:5");
  EXPECT_EQ(env.headers().at("host"), "example.com");
  // Repeated headers are joined, names lower-cased.
  EXPECT_EQ(env.headers().at("x-forwarded-for"), "1.2.3.4, 5.6.7.8");
  EXPECT_EQ(env.cookies().at("a"), "1");
  EXPECT_EQ(env.cookies().at("c"), "3=4");
  EXPECT_FALSE(env.cookies().contains("bad"));
  EXPECT_FALSE(env.cookies().contains(""));
  EXPECT_EQ(env.cookies().size(), 3u);  // a, "b ", c
}

TEST(Upgrade, NoPeerNoCookies) {
  Request request(http::verb::get, "/cable", 11);
  const auto env = Environment(request, "", "");
  EXPECT_TRUE(env.remote_addr().empty());
  EXPECT_TRUE(env.cookies().empty());
}

TEST(Upgrade, SwitchingProtocolsAnswersTheKey) {
  // RFC 6455 section 1.3's example key and accept value.
  const std::string answer =
      SwitchingProtocols("dGhlIHNhbXBsZSBub25jZQ==", "actioncable-v1-json");
  EXPECT_EQ(answer,
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
            "Server: cable\r\n"
            "Sec-WebSocket-Protocol: actioncable-v1-json\r\n"
            "\r\n");
  EXPECT_EQ(SwitchingProtocols("dGhlIHNhbXBsZSBub25jZQ==", "")
                .find("Sec-WebSocket-Protocol"),
            std::string::npos);
}

}  // namespace
}  // namespace cable::gateway::upgrade
