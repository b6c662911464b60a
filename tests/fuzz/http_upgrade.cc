// Fuzzes the gateway's HTTP side (gateway/http_session.h): the bytes a
// client sends before and during a WebSocket upgrade, through the real
// HttpSession (Beast's request parser as the gateway configures it, the
// upgrade checks, the routes, keep-alive), over a loopback connection.
// The upgrade checks are inside HttpSession::on_read, which needs a
// socket: there is no socket-free function to call.
//
// Input: byte 0 sets options (bit 0: an allowed-origins list; bit 1: the
// gateway is ready; bit 2: a small header limit); the rest is what the
// client sends, then it shuts down its side.
//
// Invariants:
// - an upgrade is handed over only when every check holds: path /cable, an
//   allowed origin, version 13, a valid key, a subprotocol Cable speaks;
//   the subprotocol handed over is what SelectSubprotocol picks;
// - every answer the client gets starts with an HTTP/1.x status line;
// - SelectSubprotocol picks "actioncable-v1-json", "" or nothing, whatever
//   the header says; AcceptKey of a valid key is 28 base64 characters.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "cable/gateway/http_session.h"
#include "cable/gateway/options.h"
#include "cable/gateway/websocket.h"
#include "cable/protocol.h"
#include "fuzz_support.h"

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ws = cable::gateway::ws;
using tcp = net::ip::tcp;

namespace {

constexpr const char* kOrigin = "https://app.example";

struct Upgrade {
  std::string target;
  std::string origin;
  std::string version;
  std::string key;
  std::string offered;
  std::string subprotocol;
  bool is_upgrade = false;
};

// One loopback listener for the whole run.
struct Loopback {
  net::io_context ioc;
  tcp::acceptor acceptor{ioc,
                         tcp::endpoint(net::ip::address_v4::loopback(), 0)};
};

Loopback& World() {
  static Loopback* world = new Loopback();
  return *world;
}

std::string Field(const http::request<http::string_body>& r, http::field f) {
  const auto v = r[f];
  return std::string(v.data(), v.size());
}

void CheckSubprotocolSelection(absl::string_view offered) {
  const std::optional<std::string> picked =
      cable::gateway::SelectSubprotocol(std::string(offered));
  if (picked) {
    FUZZ_CHECK(picked->empty() || *picked == cable::protocol::kSubprotocol,
               "SelectSubprotocol picked a protocol Cable does not speak");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  cable::fuzz::Input in(data, size);
  const std::uint8_t flags = in.Byte();
  const std::string sent(in.rest());
  CheckSubprotocolSelection(sent);

  cable::gateway::GatewayOptions options;
  if (flags & 1) options.allowed_origins = {kOrigin, "http://localhost:3000"};
  if (flags & 4) options.max_http_header_bytes = 256;
  std::optional<Upgrade> upgraded;
  cable::gateway::HttpRoutes routes;
  routes.ready = [&] { return (flags & 2) != 0; };
  routes.metrics = [] { return std::string("# metrics\n"); };
  routes.upgrade = [&](tcp::socket&& socket,
                       std::unique_ptr<cable::gateway::TlsConnection>,
                       const http::request<http::string_body>& request,
                       std::string subprotocol, std::string) {
    FUZZ_CHECK(!upgraded, "two upgrades on one connection");
    upgraded = Upgrade{std::string(request.target()),
                       Field(request, http::field::origin),
                       Field(request, http::field::sec_websocket_version),
                       Field(request, http::field::sec_websocket_key),
                       Field(request, http::field::sec_websocket_protocol),
                       std::move(subprotocol),
                       beast::websocket::is_upgrade(request)};
    tcp::socket taken(std::move(socket));
    beast::error_code ignored;
    taken.close(ignored);
  };

  // Everything asynchronous on one io_context: no blocking call that
  // libFuzzer's timer signal could interrupt. The client connects, sends
  // everything and shuts its side, then reads answers until the gateway
  // closes or hands the socket over.
  Loopback& world = World();
  tcp::socket client(world.ioc);
  tcp::socket server(world.ioc);
  std::string answers;
  world.acceptor.async_accept(server, [&](beast::error_code ec) {
    FUZZ_CHECK(!ec, "loopback accept failed");
    std::make_shared<cable::gateway::HttpSession>(
        beast::tcp_stream(std::move(server)), options, routes)
        ->Run();
  });
  client.async_connect(
      world.acceptor.local_endpoint(), [&](beast::error_code ec) {
        FUZZ_CHECK(!ec, "loopback connect failed");
        net::async_write(client, net::buffer(sent),
                         [&](beast::error_code ec, std::size_t) {
                           if (!ec) {
                             client.shutdown(tcp::socket::shutdown_send, ec);
                           }
                         });
        net::async_read(client, net::dynamic_buffer(answers),
                        [](beast::error_code, std::size_t) {});
      });
  world.ioc.run();
  world.ioc.restart();

  if (!answers.empty()) {
    FUZZ_CHECK(answers.rfind("HTTP/1.", 0) == 0,
               "an answer without an HTTP status line");
  }
  if (upgraded) {
    const Upgrade& u = *upgraded;
    FUZZ_CHECK(u.is_upgrade, "handed over a request that is not an upgrade");
    FUZZ_CHECK(u.target.substr(0, u.target.find('?')) == "/cable",
               "handed over an upgrade outside /cable");
    if (!options.allowed_origins.empty()) {
      FUZZ_CHECK(std::find(options.allowed_origins.begin(),
                           options.allowed_origins.end(),
                           u.origin) != options.allowed_origins.end(),
                 "handed over an upgrade from an origin not allowed");
    }
    FUZZ_CHECK(u.version == "13", "handed over an upgrade not of version 13");
    FUZZ_CHECK(ws::ValidKey(u.key), "handed over an upgrade with a bad key");
    FUZZ_CHECK(ws::AcceptKey(u.key).size() == 28,
               "an accept key is not 28 characters");
    const std::optional<std::string> picked =
        cable::gateway::SelectSubprotocol(u.offered);
    FUZZ_CHECK(picked && *picked == u.subprotocol,
               "handed over a subprotocol SelectSubprotocol did not pick");
  }
  return 0;
}
