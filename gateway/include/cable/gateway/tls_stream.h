#pragma once

#include <array>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/async_base.hpp>
#include <boost/beast/core/buffers_prefix.hpp>
#include <boost/beast/core/error.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>

#include "absl/types/span.h"
#include "cable/gateway/tls_connection.h"

namespace cable::gateway {

// The HTTP phase of a TLS connection, as a Beast stream (what
// http::async_read and http::async_write take): async_read_some and
// async_write_some try the TlsConnection at once and wait for the socket's
// readiness in between, as Session does after an upgrade. The TLS handshake
// runs in the first read. expires_after bounds the waiting the way
// beast::tcp_stream's does: the socket is closed and the pending operation
// ends with beast::error::timeout. A write completes only once its record
// is all with the kernel, so nothing is left behind at a hand-over or a
// close. (Not final: Asio's executor traits derive from stream types.)
class TlsStream {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;

  // `tls` must have been made on `socket` (TlsContext::accept).
  TlsStream(boost::asio::ip::tcp::socket socket,
            std::unique_ptr<TlsConnection> tls);
  TlsStream(TlsStream&&) noexcept = default;
  TlsStream& operator=(TlsStream&&) = delete;
  ~TlsStream();

  executor_type get_executor() noexcept;
  void expires_after(std::chrono::steady_clock::duration after);
  void expires_never();
  // close_notify (if the socket takes it now), then the end of the stream.
  void ShutdownSend();
  // What carries the connection after a WebSocket upgrade.
  boost::asio::ip::tcp::socket release_socket();
  std::unique_ptr<TlsConnection> ReleaseTls();

  template <class MutableBufferSequence, class ReadHandler>
  auto async_read_some(const MutableBufferSequence& buffers,
                       ReadHandler&& handler) {
    return boost::asio::async_initiate<
        ReadHandler, void(boost::beast::error_code, std::size_t)>(
        [](auto handler, std::shared_ptr<State> state,
           const MutableBufferSequence& buffers) {
          ReadOp<decltype(handler), MutableBufferSequence>(
              std::move(handler), std::move(state), buffers);
        },
        handler, state_, buffers);
  }

  template <class ConstBufferSequence, class WriteHandler>
  auto async_write_some(const ConstBufferSequence& buffers,
                        WriteHandler&& handler) {
    return boost::asio::async_initiate<
        WriteHandler, void(boost::beast::error_code, std::size_t)>(
        [](auto handler, std::shared_ptr<State> state,
           const ConstBufferSequence& buffers) {
          WriteOp<decltype(handler), ConstBufferSequence>(
              std::move(handler), std::move(state), buffers);
        },
        handler, state_, buffers);
  }

 private:
  // Shared with the operations in flight and (weakly) the deadline timer.
  struct State {
    State(boost::asio::ip::tcp::socket socket,
          std::unique_ptr<TlsConnection> tls);
    boost::asio::ip::tcp::socket socket;
    std::unique_ptr<TlsConnection> tls;
    boost::asio::steady_timer timer;
    // Counts deadlines set, so that a timer that fired just before a new
    // deadline was set does nothing.
    std::uint64_t deadline = 0;
    bool timed_out = false;
  };

  static boost::beast::error_code Outcome(const State& state,
                                          boost::beast::error_code ec) {
    return ec && state.timed_out ? boost::beast::error::timeout : ec;
  }

  template <class Handler, class Buffers>
  class ReadOp final : public boost::beast::async_base<Handler, executor_type> {
   public:
    ReadOp(Handler&& handler, std::shared_ptr<State> state,
           const Buffers& buffers)
        : boost::beast::async_base<Handler, executor_type>(
              std::move(handler), state->socket.get_executor()),
          state_(std::move(state)),
          buffers_(buffers) {
      (*this)({}, false);
    }

    void operator()(boost::beast::error_code ec, bool continuation = true) {
      std::size_t bytes = 0;
      const auto buffer = boost::beast::buffers_front(buffers_);
      if (!ec && buffer.size() > 0) {
        bytes = state_->tls->Read(
            state_->socket,
            absl::MakeSpan(static_cast<char*>(buffer.data()), buffer.size()),
            ec);
        if (ec == boost::asio::error::would_block) {
          state_->socket.async_wait(
              state_->tls->read_waits_for_write()
                  ? boost::asio::ip::tcp::socket::wait_write
                  : boost::asio::ip::tcp::socket::wait_read,
              std::move(*this));
          return;
        }
      }
      this->complete(continuation, Outcome(*state_, ec), bytes);
    }

   private:
    std::shared_ptr<State> state_;
    Buffers buffers_;
  };

  template <class Handler, class Buffers>
  class WriteOp final
      : public boost::beast::async_base<Handler, executor_type> {
   public:
    WriteOp(Handler&& handler, std::shared_ptr<State> state,
            const Buffers& buffers)
        : boost::beast::async_base<Handler, executor_type>(
              std::move(handler), state->socket.get_executor()),
          state_(std::move(state)),
          buffers_(buffers) {
      (*this)({}, false);
    }

    void operator()(boost::beast::error_code ec, bool continuation = true) {
      if (!ec) {
        std::array<boost::asio::const_buffer, 16> list;
        std::size_t n = 0;
        if (taken_ == 0) {  // else only the staged record is still to go
          for (auto it = boost::asio::buffer_sequence_begin(buffers_);
               it != boost::asio::buffer_sequence_end(buffers_) &&
               n < list.size();
               ++it) {
            list[n++] = boost::asio::const_buffer(*it);
          }
        }
        taken_ +=
            state_->tls->Write(state_->socket, std::span(list.data(), n), ec);
        if (ec == boost::asio::error::would_block) {
          state_->socket.async_wait(boost::asio::ip::tcp::socket::wait_write,
                                    std::move(*this));
          return;
        }
      }
      this->complete(continuation, Outcome(*state_, ec), taken_);
    }

   private:
    std::shared_ptr<State> state_;
    Buffers buffers_;
    std::size_t taken_ = 0;
  };

  std::shared_ptr<State> state_;
};

}  // namespace cable::gateway
