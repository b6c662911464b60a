#pragma once
// The socket side of cable::Client: connects (with the seed's backoff),
// reads frames into the Session, writes what it queues, and replaces a
// connection that goes quiet. Everything here runs on the client's I/O
// thread (the one running `ioc`); other threads reach it only by posting.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "session.h"
#include "ws_url.h"

namespace cable::client_internal {

class Transport final : public std::enable_shared_from_this<Transport> {
 public:
  struct Options {
    WsUrl url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::vector<std::chrono::milliseconds> backoff;
    std::chrono::milliseconds connect_timeout;
    std::chrono::milliseconds stale_timeout;
    std::chrono::milliseconds close_timeout;
    std::size_t max_message_bytes;
  };

  Transport(boost::asio::io_context& ioc, Options options,
            std::shared_ptr<Session> session);

  // Schedules the first attempt.
  void Start();
  // Writes what the Session queued and runs its callbacks.
  void Flush();
  // Closes the connection (closing handshake bounded by close_timeout) and
  // stops every timer: once the handlers finish, `ioc` runs out of work.
  void Shutdown();

 private:
  // One connection attempt and, once open, the connection. Handlers hold it
  // and ignore their result once it is no longer `current_`.
  struct Connection {
    explicit Connection(boost::asio::io_context& ioc) : ws(ioc) {}
    boost::beast::websocket::stream<boost::beast::tcp_stream> ws;
    boost::beast::flat_buffer buffer;
    std::deque<std::string> writes;
    bool writing = false;
    bool open = false;
    std::chrono::steady_clock::time_point started;
    std::chrono::steady_clock::time_point last_frame;
  };
  using ConnectionPtr = std::shared_ptr<Connection>;

  void Schedule();
  void Connect();
  void OnResolved(const ConnectionPtr& connection,
                  const boost::asio::ip::tcp::resolver::results_type& results);
  void OnTcpConnected(const ConnectionPtr& connection);
  void OnHandshake(const ConnectionPtr& connection);
  void Read(const ConnectionPtr& connection);
  void Write(const ConnectionPtr& connection);
  void Watch(const ConnectionPtr& connection);
  // Drops `connection` if it is the current one, then schedules the next
  // attempt.
  void Lost(const ConnectionPtr& connection);

  boost::asio::io_context& ioc_;
  const Options options_;
  const std::shared_ptr<Session> session_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer watchdog_;
  ConnectionPtr current_;
  // Attempts since the last welcome: the index into the backoff.
  std::size_t attempts_ = 0;
  bool stopped_ = false;
};

}  // namespace cable::client_internal
