#include "cable/gateway/tls_connection.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <array>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <cstring>

namespace cable::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

// The most plaintext one TLS record carries.
constexpr std::size_t kRecordBytes = 16 * 1024;

}  // namespace

TlsConnection::TlsConnection(SSL* ssl) : ssl_(ssl) {}

TlsConnection::~TlsConnection() { SSL_free(ssl_); }

bool TlsConnection::usable(tcp::socket& socket, beast::error_code& ec) const {
  if (socket.is_open() && SSL_get_fd(ssl_) == socket.native_handle()) {
    return true;
  }
  ec = net::error::bad_descriptor;
  return false;
}

beast::error_code TlsConnection::failure(int result, bool reading) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      if (reading) {
        read_waits_for_write_ = false;
        return net::error::would_block;
      }
      // Only a renegotiation makes a write wait for a read, and it is
      // refused (SSL_OP_NO_RENEGOTIATION).
      broken_ = true;
      return net::error::operation_not_supported;
    case SSL_ERROR_WANT_WRITE:
      if (reading) read_waits_for_write_ = true;
      return net::error::would_block;
    case SSL_ERROR_ZERO_RETURN:
      return net::error::eof;
    case SSL_ERROR_SYSCALL: {
      broken_ = true;
      const int error = errno;
      ERR_clear_error();
      if (error == 0) return net::error::eof;
      return beast::error_code(error, beast::system_category());
    }
    default: {
      broken_ = true;
      const unsigned long error = ERR_get_error();
      ERR_clear_error();
      return beast::error_code(static_cast<int>(error),
                               net::error::get_ssl_category());
    }
  }
}

std::size_t TlsConnection::Read(tcp::socket& socket, absl::Span<char> out,
                                beast::error_code& ec) {
  ec = {};
  if (!usable(socket, ec)) return 0;
  // SSL_get_error reads this thread's error queue: it must start empty.
  ERR_clear_error();
  std::size_t bytes = 0;
  const int result = SSL_read_ex(ssl_, out.data(), out.size(), &bytes);
  if (result == 1) {
    read_waits_for_write_ = false;
    return bytes;
  }
  ec = failure(result, /*reading=*/true);
  return 0;
}

bool TlsConnection::has_pending() const { return SSL_pending(ssl_) > 0; }

bool TlsConnection::WriteRecord(const char* data, std::size_t size,
                                beast::error_code& ec) {
  ERR_clear_error();
  std::size_t written = 0;
  // A retry after would_block passes the same bytes again, from staged_
  // (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows the new address).
  const int result = SSL_write_ex(ssl_, data, size, &written);
  if (result == 1) return true;
  ec = failure(result, /*reading=*/false);
  return false;
}

std::size_t TlsConnection::Write(tcp::socket& socket,
                                 std::span<const net::const_buffer> buffers,
                                 beast::error_code& ec) {
  ec = {};
  if (!usable(socket, ec)) return 0;
  if (staged_size_ != 0) {
    if (!WriteRecord(staged_.get(), staged_size_, ec)) return 0;
    staged_.reset();
    staged_size_ = 0;
  }
  // Small buffers are gathered here into one record: a record each would
  // cost a header, a tag and a write each.
  std::array<char, kRecordBytes> gathered;
  std::size_t taken = 0;
  std::size_t index = 0;
  std::size_t offset = 0;  // into buffers[index]
  auto advance = [&](std::size_t n) {
    offset += n;
    if (offset == buffers[index].size()) {
      ++index;
      offset = 0;
    }
  };
  while (index < buffers.size()) {
    const char* data;
    std::size_t size;
    const std::size_t left = buffers[index].size() - offset;
    if (left >= kRecordBytes || index + 1 == buffers.size()) {
      // Whole records, and the last buffer, go from where they are.
      data = static_cast<const char*>(buffers[index].data()) + offset;
      size = std::min(left, kRecordBytes);
      advance(size);
    } else {
      size = 0;
      while (index < buffers.size() && size < kRecordBytes) {
        const std::size_t n =
            std::min(buffers[index].size() - offset, kRecordBytes - size);
        std::memcpy(gathered.data() + size,
                    static_cast<const char*>(buffers[index].data()) + offset,
                    n);
        size += n;
        advance(n);
      }
      data = gathered.data();
    }
    if (size == 0) continue;
    if (WriteRecord(data, size, ec)) {
      taken += size;
      continue;
    }
    if (ec != net::error::would_block) return taken;
    // OpenSSL holds the record encrypted; the same bytes must be offered
    // again, and the caller's may be gone by then.
    staged_ = std::make_unique_for_overwrite<char[]>(size);
    std::memcpy(staged_.get(), data, size);
    staged_size_ = size;
    return taken + size;
  }
  return taken;
}

void TlsConnection::Shutdown(tcp::socket& socket) {
  beast::error_code ec;
  if (broken_ || !usable(socket, ec)) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);
  ERR_clear_error();
}

std::uint64_t TlsConnection::bytes_sent() const {
  return BIO_number_written(SSL_get_wbio(ssl_));
}

}  // namespace cable::gateway
