#include "transport.h"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/field.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/beast/websocket/stream_base.hpp>

#include "cable/protocol.h"

namespace cable::client_internal {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

}  // namespace

Transport::Transport(net::io_context& ioc, Options options,
                     std::shared_ptr<Session> session)
    : ioc_(ioc),
      options_(std::move(options)),
      session_(std::move(session)),
      resolver_(ioc),
      retry_timer_(ioc),
      watchdog_(ioc) {}

void Transport::Start() { Schedule(); }

// Delays 0, 1, 3, 5, 5, ... s (the configured list, its last repeating),
// counted from the last welcomed connection.
void Transport::Schedule() {
  if (stopped_ || session_->closed()) return;
  const auto delay =
      options_.backoff[std::min(attempts_, options_.backoff.size() - 1)];
  ++attempts_;
  retry_timer_.expires_after(delay);
  retry_timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (!ec) self->Connect();
  });
}

void Transport::Connect() {
  if (stopped_ || session_->closed()) return;
  auto connection = std::make_shared<Connection>(ioc_);
  current_ = connection;
  connection->started = Clock::now();
  session_->OnConnecting();
  session_->RunCallbacks();
  Watch(connection);
  resolver_.async_resolve(
      options_.url.host, options_.url.port,
      [self = shared_from_this(), connection](
          beast::error_code ec, const tcp::resolver::results_type& results) {
        if (connection != self->current_) return;
        if (ec) {
          self->Lost(connection);
          return;
        }
        self->OnResolved(connection, results);
      });
}

void Transport::OnResolved(const ConnectionPtr& connection,
                           const tcp::resolver::results_type& results) {
  beast::get_lowest_layer(connection->ws)
      .async_connect(results, [self = shared_from_this(), connection](
                                  beast::error_code ec, const tcp::endpoint&) {
        if (connection != self->current_) return;
        if (ec) {
          self->Lost(connection);
          return;
        }
        self->OnTcpConnected(connection);
      });
}

void Transport::OnTcpConnected(const ConnectionPtr& connection) {
  auto& ws = connection->ws;
  beast::error_code ignored;
  beast::get_lowest_layer(ws).socket().set_option(tcp::no_delay(true), ignored);
  ws.read_message_max(options_.max_message_bytes);
  // Our watchdog judges liveness; Beast's timeout only bounds the handshakes.
  ws.set_option(websocket::stream_base::timeout{
      options_.connect_timeout, websocket::stream_base::none(), false});
  ws.set_option(websocket::stream_base::decorator(
      [headers = options_.headers](websocket::request_type& request) {
        request.set(beast::http::field::sec_websocket_protocol,
                    std::string(protocol::kSubprotocol));
        for (const auto& [name, value] : headers) request.set(name, value);
      }));
  // Any control frame (a server ping) shows the connection is alive too.
  ws.control_callback([weak = std::weak_ptr<Connection>(connection)](
                          websocket::frame_type, beast::string_view) {
    if (auto c = weak.lock()) c->last_frame = Clock::now();
  });
  ws.async_handshake(
      options_.url.host_header, options_.url.target,
      [self = shared_from_this(), connection](beast::error_code ec) {
        if (connection != self->current_) return;
        if (ec) {
          self->Lost(connection);
          return;
        }
        self->OnHandshake(connection);
      });
}

void Transport::OnHandshake(const ConnectionPtr& connection) {
  connection->open = true;
  connection->last_frame = Clock::now();
  connection->ws.set_option(websocket::stream_base::timeout{
      options_.close_timeout, websocket::stream_base::none(), false});
  connection->ws.text(true);
  Read(connection);
}

void Transport::Read(const ConnectionPtr& connection) {
  connection->ws.async_read(
      connection->buffer, [self = shared_from_this(), connection](
                              beast::error_code ec, std::size_t) {
        if (connection != self->current_) return;
        if (ec) {
          self->Lost(connection);
          return;
        }
        connection->last_frame = Clock::now();
        if (connection->ws.got_text()) {
          const auto data = connection->buffer.cdata();
          const bool was_connected = self->session_->connected();
          self->session_->OnFrame(absl::string_view(
              static_cast<const char*>(data.data()), data.size()));
          // A welcome restarts the backoff.
          if (!was_connected && self->session_->connected()) {
            self->attempts_ = 0;
          }
        }
        connection->buffer.consume(connection->buffer.size());
        self->Flush();
        if (connection == self->current_) self->Read(connection);
      });
}

void Transport::Flush() {
  std::vector<std::string> frames = session_->TakeOutgoing();
  if (current_ && current_->open && !stopped_) {
    for (std::string& frame : frames) {
      current_->writes.push_back(std::move(frame));
    }
    Write(current_);
  }
  session_->RunCallbacks();
}

// One write in flight; the rest wait in order.
void Transport::Write(const ConnectionPtr& connection) {
  if (connection->writing || connection->writes.empty()) return;
  connection->writing = true;
  connection->ws.async_write(net::buffer(connection->writes.front()),
                             [self = shared_from_this(), connection](
                                 beast::error_code ec, std::size_t) {
                               connection->writing = false;
                               if (connection != self->current_) return;
                               if (ec) {
                                 self->Lost(connection);
                                 return;
                               }
                               connection->writes.pop_front();
                               self->Write(connection);
                             });
}

// Bounds an attempt by connect_timeout, and replaces an open connection
// that received nothing for stale_timeout (the server pings every 3 s).
void Transport::Watch(const ConnectionPtr& connection) {
  const auto tick =
      std::min({std::chrono::milliseconds(1000), options_.stale_timeout,
                options_.connect_timeout});
  watchdog_.expires_after(tick);
  watchdog_.async_wait(
      [self = shared_from_this(), connection](beast::error_code ec) {
        if (ec || connection != self->current_) return;
        const auto now = Clock::now();
        const bool dead =
            connection->open
                ? now - connection->last_frame > self->options_.stale_timeout
                : now - connection->started > self->options_.connect_timeout;
        if (dead) {
          self->Lost(connection);
          return;
        }
        self->Watch(connection);
      });
}

void Transport::Lost(const ConnectionPtr& connection) {
  if (connection != current_) return;
  current_.reset();
  resolver_.cancel();
  watchdog_.cancel();
  // Pending handlers finish with errors and see they are no longer current.
  beast::get_lowest_layer(connection->ws).close();
  session_->OnConnectionLost();
  session_->RunCallbacks();
  Schedule();
}

void Transport::Shutdown() {
  stopped_ = true;
  retry_timer_.cancel();
  watchdog_.cancel();
  resolver_.cancel();
  ConnectionPtr connection = std::exchange(current_, nullptr);
  if (connection && connection->open) {
    // Beast bounds the closing handshake by close_timeout.
    connection->ws.async_close(websocket::close_code::normal,
                               [connection](beast::error_code) {});
  } else if (connection) {
    beast::get_lowest_layer(connection->ws).close();
  }
  session_->RunCallbacks();
}

}  // namespace cable::client_internal
