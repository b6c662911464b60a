#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "absl/types/span.h"

struct ssl_st;  // OpenSSL's SSL

namespace cable::gateway {

// One client's TLS session on a non-blocking socket, reactor style (as
// nginx does it): OpenSSL reads and writes the socket's descriptor itself,
// every call does what it can without blocking, and a call that could not
// finish says so with `would_block` and which readiness to wait for. The
// socket is passed to every call and a closed one is never touched (its
// descriptor number may already belong to another connection).
//
// Records are at most 16 KiB of plaintext, written whole: a record OpenSSL
// has encrypted but the kernel did not take is kept here ("staged") and
// goes out first on the next write, so its plaintext counts as taken.
// With SSL_MODE_RELEASE_BUFFERS (TlsContext) an idle connection holds no
// record buffer.
class TlsConnection final {
 public:
  // Takes ownership of `ssl`: server side, on the socket's descriptor (see
  // TlsContext::accept).
  explicit TlsConnection(ssl_st* ssl);
  ~TlsConnection();
  TlsConnection(const TlsConnection&) = delete;
  TlsConnection& operator=(const TlsConnection&) = delete;

  // Reads plaintext into `out` (runs the handshake first if it is not
  // done). Returns the bytes read, or 0 with `ec`: would_block (wait for
  // read_waits_for_write() ? writability : readability, then call again),
  // eof (the client's close_notify, or its end of the stream), or another
  // error (the connection is unusable).
  std::size_t Read(boost::asio::ip::tcp::socket& socket, absl::Span<char> out,
                   boost::beast::error_code& ec);
  // Whether the last read that would block waits for writability (OpenSSL
  // had to send something and the socket was full).
  bool read_waits_for_write() const { return read_waits_for_write_; }
  // Whether decrypted bytes wait in OpenSSL: read them before waiting for
  // the socket, which may have nothing more to say.
  bool has_pending() const;

  // Writes plaintext from `buffers` (several small ones go in one record)
  // and returns how much was taken. With `ec` would_block, the socket is
  // full: wait for writability and call again (with an empty span if
  // nothing new is to go) until write_pending() is false.
  std::size_t Write(boost::asio::ip::tcp::socket& socket,
                    std::span<const boost::asio::const_buffer> buffers,
                    boost::beast::error_code& ec);
  // A record is staged: the connection is not flushed.
  bool write_pending() const { return staged_size_ != 0; }

  // Sends close_notify if the socket takes it now (never waits); nothing
  // after a failure.
  void Shutdown(boost::asio::ip::tcp::socket& socket);

  // Bytes OpenSSL handed to the kernel (handshake and records): what the
  // socket's send queue is measured against.
  std::uint64_t bytes_sent() const;

 private:
  // Whether the socket is open and still the one `ssl_` works on.
  bool usable(boost::asio::ip::tcp::socket& socket,
              boost::beast::error_code& ec) const;
  // SSL_write of one record; false with `ec` if it is not all sent.
  bool WriteRecord(const char* data, std::size_t size,
                   boost::beast::error_code& ec);
  // What OpenSSL's `result` means, as an error code.
  boost::beast::error_code failure(int result, bool reading);

  ssl_st* ssl_;
  std::unique_ptr<char[]> staged_;
  std::size_t staged_size_ = 0;
  bool read_waits_for_write_ = false;
  // A fatal error: no close_notify may follow (OpenSSL's rule).
  bool broken_ = false;
};

}  // namespace cable::gateway
