#include "cable/gateway/tls_stream.h"

namespace cable::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

TlsStream::State::State(tcp::socket socket, std::unique_ptr<TlsConnection> tls)
    : socket(std::move(socket)),
      tls(std::move(tls)),
      timer(this->socket.get_executor()) {}

TlsStream::TlsStream(tcp::socket socket, std::unique_ptr<TlsConnection> tls)
    : state_(std::make_shared<State>(std::move(socket), std::move(tls))) {
  // OpenSSL reads and writes the descriptor itself: it must never block.
  beast::error_code ignored;
  state_->socket.non_blocking(true, ignored);
}

TlsStream::~TlsStream() = default;

TlsStream::executor_type TlsStream::get_executor() noexcept {
  return state_->socket.get_executor();
}

void TlsStream::expires_after(std::chrono::steady_clock::duration after) {
  const std::uint64_t deadline = ++state_->deadline;
  state_->timer.expires_after(after);
  state_->timer.async_wait(
      [state = std::weak_ptr<State>(state_), deadline](beast::error_code ec) {
        auto s = state.lock();
        if (ec || !s || s->deadline != deadline) return;
        // Closing cancels the wait in progress; the operation then reports
        // the timeout.
        s->timed_out = true;
        beast::error_code ignored;
        s->socket.close(ignored);
      });
}

void TlsStream::expires_never() {
  ++state_->deadline;
  state_->timer.cancel();
}

void TlsStream::ShutdownSend() {
  if (state_->tls) state_->tls->Shutdown(state_->socket);
  beast::error_code ignored;
  state_->socket.shutdown(tcp::socket::shutdown_send, ignored);
}

tcp::socket TlsStream::release_socket() {
  expires_never();
  return std::move(state_->socket);
}

std::unique_ptr<TlsConnection> TlsStream::ReleaseTls() {
  return std::move(state_->tls);
}

}  // namespace cable::gateway
