#include "cable/gateway/http_session.h"

#include <spdlog/spdlog.h>

#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "cable/gateway/options.h"
#include "cable/gateway/websocket.h"
#include "cable/protocol.h"

namespace cable::gateway {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

// The end of what the gateway sends: after an answer without keep-alive,
// or a request that could not be read.
void ShutdownSend(beast::tcp_stream& stream) {
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
}
void ShutdownSend(TlsStream& stream) { stream.ShutdownSend(); }

std::unique_ptr<TlsConnection> ReleaseTls(beast::tcp_stream&) {
  return nullptr;
}
std::unique_ptr<TlsConnection> ReleaseTls(TlsStream& stream) {
  return stream.ReleaseTls();
}

}  // namespace

std::optional<std::string> SelectSubprotocol(const std::string& offered) {
  bool any = false;
  bool plain = false;
  for (absl::string_view p : absl::StrSplit(offered, ',')) {
    p = absl::StripAsciiWhitespace(p);
    if (p.empty()) continue;
    any = true;
    // A client that speaks the extended protocol gets it.
    if (p == protocol::kExtendedSubprotocol) {
      return std::string(protocol::kExtendedSubprotocol);
    }
    plain = plain || p == protocol::kSubprotocol;
  }
  if (plain) return std::string(protocol::kSubprotocol);
  if (!any) return std::string();
  return std::nullopt;
}

template <class Stream>
BasicHttpSession<Stream>::BasicHttpSession(Stream&& stream,
                                           const GatewayOptions& options,
                                           const HttpRoutes& routes)
    : stream_(std::move(stream)), options_(options), routes_(routes) {}

template <class Stream>
void BasicHttpSession<Stream>::Run() {
  Read();
}

template <class Stream>
void BasicHttpSession<Stream>::Read() {
  parser_.emplace();
  parser_->header_limit(
      static_cast<std::uint32_t>(options_.max_http_header_bytes));
  parser_->body_limit(16 * 1024);
  stream_.expires_after(options_.handshake_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&BasicHttpSession::OnRead,
                                             this->shared_from_this()));
}

template <class Stream>
void BasicHttpSession<Stream>::OnRead(beast::error_code ec, std::size_t) {
  if (ec) {
    ShutdownSend(stream_);
    return;
  }
  auto request = parser_->release();
  const std::string target(request.target());
  const std::string path = target.substr(0, target.find('?'));

  auto respond = [&](http::status status, std::string content_type,
                     std::string body, bool ws_version = false) {
    auto res = std::make_shared<http::response<http::string_body>>(
        status, request.version());
    res->set(http::field::server, "cable");
    if (ws_version) res->set(http::field::sec_websocket_version, "13");
    res->set(http::field::content_type, content_type);
    res->set(http::field::cache_control, "no-store");
    res->keep_alive(request.keep_alive());
    res->body() = std::move(body);
    res->prepare_payload();
    response_ = res;
    http::async_write(
        stream_, *res,
        beast::bind_front_handler(&BasicHttpSession::OnWrite,
                                  this->shared_from_this(), res->keep_alive()));
  };

  if (beast::websocket::is_upgrade(request)) {
    if (path != "/cable") {
      respond(http::status::not_found, "text/plain", "no WebSocket here\n");
      return;
    }
    const std::string origin(request[http::field::origin]);
    if (!options_.allowed_origins.empty() &&
        std::find(options_.allowed_origins.begin(),
                  options_.allowed_origins.end(),
                  origin) == options_.allowed_origins.end()) {
      spdlog::info("refused WebSocket from origin \"{}\"", origin);
      respond(http::status::forbidden, "text/plain", "origin not allowed\n");
      return;
    }
    if (request[http::field::sec_websocket_version] != "13") {
      respond(http::status::upgrade_required, "text/plain",
              "unsupported WebSocket version: use 13\n", true);
      return;
    }
    const auto key = request[http::field::sec_websocket_key];
    if (!ws::ValidKey(absl::string_view(key.data(), key.size()))) {
      respond(http::status::bad_request, "text/plain",
              "bad Sec-WebSocket-Key\n");
      return;
    }
    // The target and headers travel to the service in proto3 strings,
    // which must be UTF-8 (HTTP allows other bytes in both).
    bool utf8 = ws::ValidUtf8(
        absl::string_view(request.target().data(), request.target().size()));
    for (const auto& field : request) {
      if (!utf8) break;
      utf8 = ws::ValidUtf8(absl::string_view(field.name_string().data(),
                                             field.name_string().size())) &&
             ws::ValidUtf8(
                 absl::string_view(field.value().data(), field.value().size()));
    }
    if (!utf8) {
      respond(http::status::bad_request, "text/plain",
              "request target or header is not UTF-8\n");
      return;
    }
    auto subprotocol = SelectSubprotocol(
        std::string(request[http::field::sec_websocket_protocol]));
    if (!subprotocol) {
      respond(http::status::bad_request, "text/plain",
              "unsupported subprotocol: use actioncable-v1-json or "
              "actioncable-v1-ext-json\n");
      return;
    }
    if (routes_.full && routes_.full()) {
      respond(http::status::service_unavailable, "text/plain",
              "too many connections\n");
      return;
    }
    stream_.expires_never();
    const auto early = buffer_.data();
    auto tls = ReleaseTls(stream_);
    routes_.upgrade(
        stream_.release_socket(), std::move(tls), request,
        std::move(*subprotocol),
        std::string(static_cast<const char*>(early.data()), early.size()));
    return;
  }

  if (request.method() != http::verb::get &&
      request.method() != http::verb::head) {
    respond(http::status::method_not_allowed, "text/plain",
            "method not allowed\n");
    return;
  }
  if (const StaticFile* file =
          routes_.static_files ? routes_.static_files(path) : nullptr) {
    respond(http::status::ok, std::string(file->content_type),
            std::string(file->body));
  } else if (path == "/health") {
    respond(http::status::ok, "text/plain", "ok\n");
  } else if (path == "/ready") {
    if (routes_.ready()) {
      respond(http::status::ok, "text/plain", "ready\n");
    } else {
      respond(http::status::service_unavailable, "text/plain", "not ready\n");
    }
  } else if (path == "/metrics") {
    respond(http::status::ok, "text/plain; version=0.0.4", routes_.metrics());
  } else {
    respond(http::status::not_found, "text/plain", "not found\n");
  }
}

template <class Stream>
void BasicHttpSession<Stream>::OnWrite(bool keep_alive, beast::error_code ec,
                                       std::size_t) {
  response_.reset();
  if (ec) return;
  if (!keep_alive) {
    ShutdownSend(stream_);
    return;
  }
  Read();
}

template class BasicHttpSession<beast::tcp_stream>;
template class BasicHttpSession<TlsStream>;

}  // namespace cable::gateway
