#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cable/gateway/static_files.h"
#include "cable/gateway/tls_stream.h"

namespace cable::gateway {

// What an HTTP connection can ask of the gateway.
struct HttpRoutes {
  // Body of /ready's answer: true when the gateway can serve clients.
  std::function<bool()> ready;
  std::function<std::string()> metrics;
  // Files served by path (the demo page and its scripts); may be empty.
  StaticFiles static_files;
  // Whether the gateway holds --max_connections already (upgrades: 503).
  std::function<bool()> full;
  // Takes over the socket for a WebSocket upgrade on /cable (its request
  // checked: version 13, a valid key, an allowed origin and subprotocol),
  // with its TLS session (null on a plain connection). `early` is what the
  // client sent after the request without waiting for the answer: the
  // start of its first frames.
  std::function<void(
      boost::asio::ip::tcp::socket&&, std::unique_ptr<TlsConnection> tls,
      const boost::beast::http::request<boost::beast::http::string_body>&,
      std::string subprotocol, std::string early)>
      upgrade;
};

// An HTTP connection: serves /, /health, /ready, /metrics and hands
// WebSocket upgrades on /cable to a Session after checking the origin and
// the subprotocol. `Stream` is beast::tcp_stream (http, ws) or TlsStream
// (https, wss).
template <class Stream>
class BasicHttpSession final
    : public std::enable_shared_from_this<BasicHttpSession<Stream>> {
 public:
  BasicHttpSession(Stream&& stream, const struct GatewayOptions& options,
                   const HttpRoutes& routes);
  void Run();

 private:
  void Read();
  void OnRead(boost::beast::error_code ec, std::size_t bytes);
  void OnWrite(bool keep_alive, boost::beast::error_code ec, std::size_t);

  Stream stream_;
  const GatewayOptions& options_;
  const HttpRoutes& routes_;
  boost::beast::flat_buffer buffer_;
  std::optional<
      boost::beast::http::request_parser<boost::beast::http::string_body>>
      parser_;
  std::shared_ptr<void> response_;
};

using HttpSession = BasicHttpSession<boost::beast::tcp_stream>;
using HttpsSession = BasicHttpSession<TlsStream>;
extern template class BasicHttpSession<boost::beast::tcp_stream>;
extern template class BasicHttpSession<TlsStream>;

// Picks the subprotocol to answer with from a Sec-WebSocket-Protocol
// header: "actioncable-v1-ext-json" if offered, else "actioncable-v1-json"
// if offered; "" if nothing was offered;
// nullopt if only protocols Cable does not speak were offered.
std::optional<std::string> SelectSubprotocol(const std::string& offered);

}  // namespace cable::gateway
