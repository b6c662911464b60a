#include "tests/support/ws_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace cable::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

// Runs `ioc` until `done` or the timeout; on timeout cancels `socket`'s
// operations and lets their handlers finish.
absl::Status RunUntil(net::io_context& ioc, const bool& done,
                      tcp::socket& socket, std::chrono::milliseconds timeout,
                      const char* what) {
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    ioc.run_one_until(deadline);
  }
  if (done) return absl::OkStatus();
  beast::error_code ignored;
  socket.cancel(ignored);
  ioc.restart();
  ioc.run_for(std::chrono::seconds(1));
  return absl::DeadlineExceededError(absl::StrCat(what, ": timed out"));
}

absl::Status FromBeast(const beast::error_code& ec, const char* what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", ec.message()));
}

absl::Status ConnectSocket(net::io_context& ioc, tcp::socket& socket, int port,
                           int receive_buffer,
                           std::chrono::milliseconds timeout) {
  tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(port));
  socket.open(tcp::v4());
  if (receive_buffer > 0) {
    socket.set_option(net::socket_base::receive_buffer_size(receive_buffer));
  }
  bool done = false;
  beast::error_code result;
  socket.async_connect(endpoint, [&](beast::error_code ec) {
    result = ec;
    done = true;
  });
  if (auto s = RunUntil(ioc, done, socket, timeout, "connect"); !s.ok()) {
    return s;
  }
  if (result) return FromBeast(result, "connect");
  return absl::OkStatus();
}

}  // namespace

struct WsClient::Impl {
  net::io_context ioc;
  websocket::stream<tcp::socket> ws{ioc};
  beast::flat_buffer buffer;
  std::chrono::milliseconds timeout{10000};
  bool closed = false;
};

WsClient::WsClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
WsClient::~WsClient() = default;

absl::StatusOr<std::unique_ptr<WsClient>> WsClient::Connect(int port,
                                                            Options options) {
  auto impl = std::make_unique<Impl>();
  impl->timeout = options.timeout;
  tcp::socket& socket = impl->ws.next_layer();
  if (auto s = ConnectSocket(impl->ioc, socket, port, options.receive_buffer,
                             options.timeout);
      !s.ok()) {
    return s;
  }
  impl->ws.set_option(websocket::stream_base::decorator(
      [options](websocket::request_type& req) {
        if (!options.subprotocols.empty()) {
          req.set(http::field::sec_websocket_protocol,
                  absl::StrJoin(options.subprotocols, ", "));
        }
        for (const auto& [name, value] : options.headers) req.set(name, value);
      }));
  websocket::response_type response;
  bool done = false;
  beast::error_code result;
  impl->ws.async_handshake(response, absl::StrCat("127.0.0.1:", port),
                           options.path, [&](beast::error_code ec) {
                             result = ec;
                             done = true;
                           });
  if (auto s = RunUntil(impl->ioc, done, socket, options.timeout, "handshake");
      !s.ok()) {
    return s;
  }
  if (result) return FromBeast(result, "handshake");
  std::unique_ptr<WsClient> client(new WsClient(std::move(impl)));
  client->subprotocol_ =
      std::string(response[http::field::sec_websocket_protocol]);
  return client;
}

absl::Status WsClient::Send(const std::string& text) {
  impl_->ws.text(true);
  bool done = false;
  beast::error_code result;
  impl_->ws.async_write(net::buffer(text),
                        [&](beast::error_code ec, std::size_t) {
                          result = ec;
                          done = true;
                        });
  if (auto s = RunUntil(impl_->ioc, done, impl_->ws.next_layer(),
                        impl_->timeout, "send");
      !s.ok()) {
    return s;
  }
  return result ? FromBeast(result, "send") : absl::OkStatus();
}

absl::Status WsClient::SendBinary(const std::string& bytes) {
  impl_->ws.binary(true);
  bool done = false;
  beast::error_code result;
  impl_->ws.async_write(net::buffer(bytes),
                        [&](beast::error_code ec, std::size_t) {
                          result = ec;
                          done = true;
                        });
  auto s = RunUntil(impl_->ioc, done, impl_->ws.next_layer(), impl_->timeout,
                    "send");
  impl_->ws.text(true);
  if (!s.ok()) return s;
  return result ? FromBeast(result, "send") : absl::OkStatus();
}

absl::StatusOr<std::string> WsClient::Receive() {
  if (impl_->closed) {
    return absl::FailedPreconditionError(
        absl::StrCat("closed with ", close_code_));
  }
  bool done = false;
  beast::error_code result;
  impl_->ws.async_read(impl_->buffer, [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  if (auto s = RunUntil(impl_->ioc, done, impl_->ws.next_layer(),
                        impl_->timeout, "receive");
      !s.ok()) {
    return s;
  }
  if (result) {
    impl_->closed = true;
    close_code_ = result == websocket::error::closed
                      ? static_cast<int>(impl_->ws.reason().code)
                      : 1006;
    close_reason_ = result == websocket::error::closed
                        ? std::string(impl_->ws.reason().reason.c_str())
                        : result.message();
    return absl::FailedPreconditionError(
        absl::StrCat("closed with ", close_code_, " (", result.message(), ")"));
  }
  std::string text = beast::buffers_to_string(impl_->buffer.data());
  impl_->buffer.consume(impl_->buffer.size());
  return text;
}

absl::StatusOr<nlohmann::json> WsClient::ReceiveJson() {
  auto text = Receive();
  if (!text.ok()) return text.status();
  auto parsed = nlohmann::json::parse(*text, nullptr, false);
  if (parsed.is_discarded()) {
    return absl::DataLossError(absl::StrCat("not JSON: ", *text));
  }
  return parsed;
}

absl::StatusOr<nlohmann::json> WsClient::ReceiveNonPing() {
  const auto deadline = std::chrono::steady_clock::now() + impl_->timeout;
  for (;;) {
    auto message = ReceiveJson();
    if (!message.ok()) return message;
    if (!message->is_object() || message->value("type", "") != "ping") {
      return message;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::DeadlineExceededError(absl::StrCat(
          "receive: only pings for ", impl_->timeout.count(), " ms"));
    }
  }
}

absl::StatusOr<int> WsClient::WaitClosed() {
  for (;;) {
    auto text = Receive();
    if (impl_->closed) return close_code_;
    if (!text.ok()) return text.status();
  }
}

absl::Status WsClient::Close() {
  bool done = false;
  beast::error_code result;
  impl_->ws.async_close(websocket::close_code::normal,
                        [&](beast::error_code ec) {
                          result = ec;
                          done = true;
                        });
  auto s = RunUntil(impl_->ioc, done, impl_->ws.next_layer(), impl_->timeout,
                    "close");
  impl_->closed = true;
  if (!s.ok()) return s;
  return result ? FromBeast(result, "close") : absl::OkStatus();
}

absl::StatusOr<std::string> WsClient::Subscribe(const std::string& identifier) {
  nlohmann::json command = {{"command", "subscribe"},
                            {"identifier", identifier}};
  if (auto s = Send(command.dump()); !s.ok()) return s;
  for (;;) {
    auto message = ReceiveNonPing();
    if (!message.ok()) return message.status();
    const std::string type = message->value("type", "");
    if ((type == "confirm_subscription" || type == "reject_subscription") &&
        message->value("identifier", "") == identifier) {
      return type;
    }
  }
}

absl::Status WsClient::Perform(const std::string& identifier,
                               const nlohmann::json& data) {
  nlohmann::json command = {{"command", "message"},
                            {"identifier", identifier},
                            {"data", data.dump()}};
  return Send(command.dump());
}

namespace {

absl::StatusOr<http::response<http::string_body>> HttpRequest(
    int port, http::request<http::empty_body> request) {
  net::io_context ioc;
  tcp::socket socket(ioc);
  if (auto s = ConnectSocket(ioc, socket, port, 0, std::chrono::seconds(10));
      !s.ok()) {
    return s;
  }
  request.set(http::field::host, absl::StrCat("127.0.0.1:", port));
  bool done = false;
  beast::error_code result;
  http::async_write(socket, request, [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  if (auto s = RunUntil(ioc, done, socket, std::chrono::seconds(10), "write");
      !s.ok()) {
    return s;
  }
  if (result) return FromBeast(result, "write");
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  done = false;
  http::async_read(socket, buffer, response,
                   [&](beast::error_code ec, std::size_t) {
                     result = ec;
                     done = true;
                   });
  if (auto s = RunUntil(ioc, done, socket, std::chrono::seconds(10), "read");
      !s.ok()) {
    return s;
  }
  if (result) return FromBeast(result, "read");
  return response;
}

}  // namespace

absl::StatusOr<std::pair<int, std::string>> HttpGet(int port,
                                                    const std::string& target) {
  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.keep_alive(false);
  auto response = HttpRequest(port, std::move(request));
  if (!response.ok()) return response.status();
  return std::make_pair(static_cast<int>(response->result_int()),
                        std::move(response->body()));
}

absl::StatusOr<int> UpgradeStatus(
    int port, const std::string& target,
    const std::vector<std::pair<std::string, std::string>>& headers) {
  http::request<http::empty_body> request(http::verb::get, target, 11);
  request.set(http::field::connection, "Upgrade");
  request.set(http::field::upgrade, "websocket");
  request.set(http::field::sec_websocket_version, "13");
  request.set(http::field::sec_websocket_key, "dGhlIHNhbXBsZSBub25jZQ==");
  for (const auto& [name, value] : headers) request.set(name, value);
  auto response = HttpRequest(port, std::move(request));
  if (!response.ok()) return response.status();
  return static_cast<int>(response->result_int());
}

}  // namespace cable::testing
