// Session: the socket and the WebSocket protocol on it. Reads are parsed
// by ws::Reader, writes gathered from the WriteQueue, and the close
// handshake runs here; nothing in this file knows about commands.

#include <linux/sockios.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <span>
#include <utility>

#include "cable/gateway/event_loop.h"
#include "cable/gateway/metrics.h"
#include "cable/gateway/options.h"
#include "cable/gateway/session.h"
#include "cable/gateway/session_context.h"
#include "cable/gateway/tls_connection.h"

namespace cable::gateway {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

void Session::read() {
  if (tls_) {
    if (socket_.is_open() && tls_->has_pending()) {
      // OpenSSL holds the rest of a record: the socket may have nothing
      // more to say, so don't wait for it.
      net::post(socket_.get_executor(),
                [self = shared_from_this()] { self->on_readable({}); });
      return;
    }
    if (tls_->read_waits_for_write()) {
      socket_.async_wait(tcp::socket::wait_write,
                         [self = shared_from_this()](beast::error_code ec) {
                           self->on_readable(ec);
                         });
      return;
    }
  }
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this()](beast::error_code ec) {
                       self->on_readable(ec);
                     });
}

void Session::on_readable(beast::error_code ec) {
  if (ec) {  // aborted: the socket was closed
    on_closed();
    return;
  }
  const std::size_t bytes = read_some(ec);
  if (bytes > 0) heartbeat_.heard(context_.clock.now());
  if (ec == net::error::would_block || ec == net::error::try_again) {
    read();
    return;
  }
  if (ec) {  // end of stream, reset, or the kernel gave up on the peer
    socket_.close(ec);
    on_closed();
    return;
  }
  if (!consume(absl::MakeSpan(read_chunk_.data(), bytes))) {
    on_closed();
    return;
  }
  read();
}

std::size_t Session::read_some(beast::error_code& ec) {
  if (tls_) return tls_->read(socket_, absl::MakeSpan(read_chunk_), ec);
  return socket_.read_some(net::buffer(read_chunk_), ec);
}

std::size_t Session::write_some(std::span<const net::const_buffer> buffers,
                                beast::error_code& ec) {
  if (tls_) return tls_->write(socket_, buffers, ec);
  return socket_.write_some(buffers, ec);
}

bool Session::consume(absl::Span<char> bytes) {
  auto violation =
      reader_.feed(bytes, [this](const ws::Frame& frame) { on_frame(frame); });
  if (violation) {
    context_.metrics.bad_frames.Increment();
    spdlog::info("session {}: {}, closed with {}", sid_, violation->reason,
                 violation->code);
    // After a framing error no close frame can be read back: the socket
    // closes once ours is written.
    if (violation->framing()) (void)close_handshake_.received();
    close(violation->code, violation->reason);
  }
  return socket_.is_open();
}

void Session::on_frame(const ws::Frame& frame) {
  if (!socket_.is_open()) return;
  const bool closing = state_ == State::kClosing || state_ == State::kClosed;
  switch (frame.opcode) {
    case ws::Opcode::kText:
      if (!closing) handle_frame(frame.payload);  // else drained and dropped
      return;
    case ws::Opcode::kBinary:
      if (closing) return;
      context_.metrics.bad_frames.Increment();
      close(ws::kCloseUnsupportedData, "binary frames are not supported",
            protocol::DisconnectFrame("invalid_request", false));
      return;
    case ws::Opcode::kPing:
      if (!closing) {
        enqueue(std::make_shared<const std::string>(
                    ws::EncodeFrame(ws::Opcode::kPong, frame.payload)),
                true);
      }
      return;
    case ws::Opcode::kClose:
      if (close_handshake_.received() && closing) {
        finish_close();
        return;
      }
      if (closing) return;
      // Answer with the client's code; our close frame goes once what is
      // being written is through, then the socket closes.
      close(frame.close_code == ws::kCloseNoStatus ? ws::kCloseNormal
                                                   : frame.close_code,
            "");
      return;
    default:
      return;  // pongs
  }
}

void Session::deliver(SharedFrame frame) {
  context_.metrics.broadcasts_received.Increment();
  loop_.deliver(shared_from_this(), std::move(frame));
}

bool Session::queue_broadcast(SharedFrame frame) {
  if (state_ != State::kOpen || !push(std::move(frame), false)) return false;
  if (flush_pending_) return false;
  flush_pending_ = true;
  return true;
}

void Session::flush_broadcasts() {
  flush_pending_ = false;
  write_next();
}

void Session::send_reply(std::string text) {
  enqueue(std::make_shared<const std::string>(ws::TextFrame(text)), true);
}

void Session::send(SharedFrame frame) { enqueue(std::move(frame), false); }

void Session::enqueue(SharedFrame frame, bool reply) {
  if (push(std::move(frame), reply)) write_next();
}

bool Session::push(SharedFrame frame, bool reply) {
  if (state_ == State::kClosing || state_ == State::kClosed) return false;
  if (!write_queue_.push(std::move(frame), reply)) {
    disconnect_slow();
    return false;
  }
  return true;
}

void Session::disconnect_slow() {
  context_.metrics.slow_disconnects.Increment();
  spdlog::info("session {}: too slow ({} frames, {} + {} bytes queued)", sid_,
               write_queue_.size(), write_queue_.queued_bytes(),
               write_queue_.reply_bytes());
  close(ws::kClosePolicyViolation, "too slow",
        protocol::DisconnectFrame("too_slow", true));
}

void Session::write_next() {
  if (writing_ || !socket_.is_open()) return;
  // Everything queued (up to kGather frames) in one non-blocking write.
  static constexpr std::size_t kGather = 64;
  // (TLS: a record the socket did not take is flushed even once the queue
  // is empty.)
  while (!write_queue_.empty() || (tls_ && tls_->write_pending())) {
    std::array<absl::string_view, kGather> pieces;
    std::array<net::const_buffer, kGather> buffers;
    const std::size_t n = write_queue_.gather(pieces);
    std::size_t wanted = 0;
    for (std::size_t i = 0; i < n; ++i) {
      buffers[i] = net::buffer(pieces[i].data(), pieces[i].size());
      wanted += pieces[i].size();
    }
    beast::error_code ec;
    // Over TLS, what was taken may still wait for the socket (blocked).
    const std::size_t written =
        write_some(std::span<const net::const_buffer>(buffers.data(), n), ec);
    const bool blocked =
        ec == net::error::would_block || ec == net::error::try_again;
    if (ec && !blocked) {
      close_now();  // the read side sees it and finishes the session
      return;
    }
    written_bytes_ += written;
    const bool all = written == wanted && !blocked;
    const std::size_t sent = write_queue_.consume(written);
    for (std::size_t i = 0; i < sent; ++i) {
      context_.metrics.frames_sent.Increment();
    }
    if (!all) {
      // The socket's buffer is full: wait until it takes more.
      writing_ = true;
      heartbeat_.write_waits(context_.clock.now());
      socket_.async_wait(tcp::socket::wait_write,
                         [self = shared_from_this()](beast::error_code ec) {
                           self->writing_ = false;
                           self->heartbeat_.write_done();
                           if (!ec) self->write_next();
                         });
      return;
    }
  }
  // (Closing: the close frame was the last thing queued.)
  if (state_ == State::kClosing && close_handshake_.sent()) finish_close();
}

std::optional<Heartbeat::SendQueue> Session::send_queue() {
  int unacked = 0;
  if (::ioctl(socket_.native_handle(), SIOCOUTQ, &unacked) != 0) {
    return std::nullopt;
  }
  // (Over TLS the kernel holds records: count what went to it as such.)
  return Heartbeat::SendQueue{tls_ ? tls_->bytes_sent() : written_bytes_,
                              static_cast<std::uint64_t>(std::max(unacked, 0))};
}

void Session::close(std::uint16_t code, std::string reason,
                    std::string last_message) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  state_ = State::kClosing;
  close_handshake_.begin(context_.clock.now());
  subscriptions_.stop_all_timers();
  timers_.clear();
  write_queue_.drop_unwritten();
  if (!last_message.empty()) {
    write_queue_.push_unbounded(ws::TextFrame(last_message));
  }
  write_queue_.push_unbounded(ws::CloseFrame(code, reason));
  write_next();
}

void Session::finish_close() {
  if (tls_) tls_->shutdown(socket_);  // close_notify
  beast::error_code ec;
  socket_.shutdown(net::socket_base::shutdown_send, ec);
  socket_.close(ec);
}

void Session::close_now() {
  beast::error_code ec;
  // Cut, don't drain: without this the kernel keeps pushing what is still
  // in the send buffer (megabytes, for a slow client) after close.
  socket_.set_option(net::socket_base::linger(true, 0), ec);
  socket_.shutdown(net::socket_base::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace cable::gateway
