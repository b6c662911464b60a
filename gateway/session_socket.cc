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

void Session::Read() {
  if (tls_) {
    if (socket_.is_open() && tls_->has_pending()) {
      // OpenSSL holds the rest of a record: the socket may have nothing
      // more to say, so don't wait for it.
      net::post(socket_.get_executor(),
                [self = shared_from_this()] { self->OnReadable({}); });
      return;
    }
    if (tls_->read_waits_for_write()) {
      socket_.async_wait(tcp::socket::wait_write,
                         [self = shared_from_this()](beast::error_code ec) {
                           self->OnReadable(ec);
                         });
      return;
    }
  }
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this()](beast::error_code ec) {
                       self->OnReadable(ec);
                     });
}

void Session::OnReadable(beast::error_code ec) {
  if (ec) {  // aborted: the socket was closed
    OnClosed();
    return;
  }
  // (The loop's buffer: parsed below before any other session reads.)
  const absl::Span<char> buffer = loop_.read_buffer();
  const std::size_t bytes = read_some(buffer, ec);
  if (bytes > 0) heartbeat_.Heard(context_.clock.now());
  if (ec == net::error::would_block || ec == net::error::try_again) {
    Read();
    return;
  }
  if (ec) {  // end of stream, reset, or the kernel gave up on the peer
    socket_.close(ec);
    OnClosed();
    return;
  }
  if (!Consume(buffer.subspan(0, bytes))) {
    OnClosed();
    return;
  }
  Read();
}

std::size_t Session::read_some(absl::Span<char> buffer, beast::error_code& ec) {
  if (tls_) return tls_->Read(socket_, buffer, ec);
  return socket_.read_some(net::buffer(buffer.data(), buffer.size()), ec);
}

std::size_t Session::write_some(std::span<const net::const_buffer> buffers,
                                beast::error_code& ec) {
  if (tls_) return tls_->Write(socket_, buffers, ec);
  return socket_.write_some(buffers, ec);
}

bool Session::Consume(absl::Span<char> bytes) {
  auto violation =
      reader_.Feed(bytes, [this](const ws::Frame& frame) { OnFrame(frame); });
  if (violation) {
    context_.metrics.bad_frames.Increment();
    spdlog::info("session {}: {}, closed with {}", sid_, violation->reason,
                 violation->code);
    // After a framing error no close frame can be read back: the socket
    // closes once ours is written.
    if (violation->framing()) (void)close_handshake_.received();
    Close(violation->code, violation->reason);
  }
  return socket_.is_open();
}

void Session::OnFrame(const ws::Frame& frame) {
  if (!socket_.is_open()) return;
  const bool closing = state_ == State::kClosing || state_ == State::kClosed;
  switch (frame.opcode) {
    case ws::Opcode::kText:
      if (!closing) HandleFrame(frame.payload);  // else drained and dropped
      return;
    case ws::Opcode::kBinary:
      if (closing) return;
      context_.metrics.bad_frames.Increment();
      Close(ws::kCloseUnsupportedData, "binary frames are not supported",
            protocol::DisconnectFrame("invalid_request", false));
      return;
    case ws::Opcode::kPing:
      if (!closing) {
        Enqueue(std::make_shared<const std::string>(
                    ws::EncodeFrame(ws::Opcode::kPong, frame.payload)),
                true);
      }
      return;
    case ws::Opcode::kClose:
      if (close_handshake_.received() && closing) {
        FinishClose();
        return;
      }
      if (closing) return;
      // Answer with the client's code; our close frame goes once what is
      // being written is through, then the socket closes.
      Close(frame.close_code == ws::kCloseNoStatus ? ws::kCloseNormal
                                                   : frame.close_code,
            "");
      return;
    default:
      return;  // pongs
  }
}

void Session::Deliver(SharedFrame frame) {
  context_.metrics.broadcasts_received.Increment();
  loop_.Deliver(shared_from_this(), std::move(frame));
}

bool Session::QueueBroadcast(SharedFrame frame) {
  if (state_ != State::kOpen) return false;
  if (restoring()) {
    HoldForRestore(frame, false);
    return false;
  }
  if (!Push(std::move(frame), false)) return false;
  if (flush_pending_) return false;
  flush_pending_ = true;
  return true;
}

void Session::FlushBroadcasts() {
  flush_pending_ = false;
  WriteNext();
}

void Session::SendReply(std::string text) {
  auto frame = std::make_shared<const std::string>(ws::TextFrame(text));
  if (restoring()) {
    HoldForRestore(frame, true);
    return;
  }
  Enqueue(std::move(frame), true);
}

void Session::Send(SharedFrame frame) {
  if (restoring()) {
    HoldForRestore(frame, false);
    return;
  }
  Enqueue(std::move(frame), false);
}

void Session::Enqueue(SharedFrame frame, bool reply) {
  if (Push(std::move(frame), reply)) WriteNext();
}

bool Session::Push(SharedFrame frame, bool reply) {
  if (state_ == State::kClosing || state_ == State::kClosed) return false;
  if (!write_queue_.Push(std::move(frame), reply)) {
    DisconnectSlow();
    return false;
  }
  return true;
}

void Session::DisconnectSlow() {
  context_.metrics.slow_disconnects.Increment();
  spdlog::info("session {}: too slow ({} frames, {} + {} bytes queued)", sid_,
               write_queue_.size(), write_queue_.queued_bytes(),
               write_queue_.reply_bytes());
  Close(ws::kClosePolicyViolation, "too slow",
        protocol::DisconnectFrame("too_slow", true));
}

void Session::WriteNext() {
  if (writing_ || !socket_.is_open()) return;
  // Everything queued (up to kGather frames) in one non-blocking write.
  static constexpr std::size_t kGather = 64;
  // (TLS: a record the socket did not take is flushed even once the queue
  // is empty.)
  while (!write_queue_.empty() || (tls_ && tls_->write_pending())) {
    std::array<absl::string_view, kGather> pieces;
    std::array<net::const_buffer, kGather> buffers;
    const std::size_t n = write_queue_.Gather(pieces);
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
      CloseNow();  // the read side sees it and finishes the session
      return;
    }
    written_bytes_ += written;
    const bool all = written == wanted && !blocked;
    const std::size_t sent = write_queue_.Consume(written);
    for (std::size_t i = 0; i < sent; ++i) {
      context_.metrics.frames_sent.Increment();
    }
    if (!all) {
      // The socket's buffer is full: wait until it takes more.
      writing_ = true;
      heartbeat_.WriteWaits(context_.clock.now());
      socket_.async_wait(tcp::socket::wait_write,
                         [self = shared_from_this()](beast::error_code ec) {
                           self->writing_ = false;
                           self->heartbeat_.WriteDone();
                           if (!ec) self->WriteNext();
                         });
      return;
    }
  }
  // (Closing: the close frame was the last thing queued.)
  if (state_ == State::kClosing && close_handshake_.sent()) FinishClose();
}

std::optional<Heartbeat::SendQueue> Session::SendQueue() {
  int unacked = 0;
  if (::ioctl(socket_.native_handle(), SIOCOUTQ, &unacked) != 0) {
    return std::nullopt;
  }
  // (Over TLS the kernel holds records: count what went to it as such.)
  return Heartbeat::SendQueue{tls_ ? tls_->bytes_sent() : written_bytes_,
                              static_cast<std::uint64_t>(std::max(unacked, 0))};
}

void Session::Close(std::uint16_t code, std::string reason,
                    std::string last_message) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  state_ = State::kClosing;
  close_handshake_.begin(context_.clock.now());
  subscriptions_.StopAllTimers();
  timers_.clear();
  if (snapshot_) snapshot_->restore_wait.reset();
  write_queue_.DropUnwritten();
  if (!last_message.empty()) {
    write_queue_.PushUnbounded(ws::TextFrame(last_message));
  }
  write_queue_.PushUnbounded(ws::CloseFrame(code, reason));
  WriteNext();
}

void Session::FinishClose() {
  if (tls_) tls_->Shutdown(socket_);  // close_notify
  beast::error_code ec;
  socket_.shutdown(net::socket_base::shutdown_send, ec);
  socket_.close(ec);
}

void Session::CloseNow() {
  beast::error_code ec;
  // Cut, don't drain: without this the kernel keeps pushing what is still
  // in the send buffer (megabytes, for a slow client) after close.
  socket_.set_option(net::socket_base::linger(true, 0), ec);
  socket_.shutdown(net::socket_base::shutdown_both, ec);
  socket_.close(ec);
}

}  // namespace cable::gateway
