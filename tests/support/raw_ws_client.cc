#include "tests/support/raw_ws_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <system_error>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace cable::testing {
namespace {

absl::Status Error(absl::string_view what) {
  return absl::UnavailableError(
      absl::StrCat(what, ": ", std::generic_category().message(errno)));
}

}  // namespace

std::string ClientFrame(std::uint8_t first, absl::string_view payload,
                        bool masked) {
  const std::uint64_t n = payload.size();
  const std::uint8_t mask_bit = masked ? 0x80 : 0x00;
  std::string out;
  out.push_back(static_cast<char>(first));
  if (n < 126) {
    out.push_back(static_cast<char>(mask_bit | n));
  } else if (n <= 0xFFFF) {
    out.push_back(static_cast<char>(mask_bit | 126));
    out.push_back(static_cast<char>(n >> 8));
    out.push_back(static_cast<char>(n & 0xFF));
  } else {
    out.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8) {
      out.push_back(static_cast<char>((n >> shift) & 0xFF));
    }
  }
  if (!masked) return absl::StrCat(out, payload);
  for (std::uint8_t b : kMask) out.push_back(static_cast<char>(b));
  for (std::size_t i = 0; i < payload.size(); ++i) {
    out.push_back(static_cast<char>(payload[i] ^ kMask[i % 4]));
  }
  return out;
}

std::string ClosePayload(std::uint16_t code, absl::string_view reason) {
  std::string out;
  out.push_back(static_cast<char>(code >> 8));
  out.push_back(static_cast<char>(code & 0xFF));
  return absl::StrCat(out, reason);
}

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? "<absent>" : it->second;
}

int ServerFrame::close_code() const {
  if (payload.size() < 2) return 1005;
  return (static_cast<std::uint8_t>(payload[0]) << 8) |
         static_cast<std::uint8_t>(payload[1]);
}

std::string ServerFrame::close_reason() const {
  return payload.size() < 2 ? "" : payload.substr(2);
}

std::ostream& operator<<(std::ostream& os, const ServerFrame& f) {
  return os << "frame{fin=" << f.fin << " rsv=" << int{f.rsv}
            << " opcode=" << int{f.opcode} << " masked=" << f.masked
            << " payload=\"" << absl::CHexEscape(f.payload.substr(0, 200))
            << "\"}";
}

bool IsKeepalive(const ServerFrame& frame) {
  if (frame.opcode == kPing) return true;
  if (frame.opcode != kText) return false;
  auto parsed = nlohmann::json::parse(frame.payload, nullptr, false);
  return parsed.is_object() && parsed.value("type", "") == "ping";
}

absl::StatusOr<std::unique_ptr<RawClient>> RawClient::Connect(
    int port, std::chrono::milliseconds timeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error("socket");
  std::unique_ptr<RawClient> client(new RawClient(fd, timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address),
                sizeof address) != 0) {
    return Error("connect");
  }
  // Small writes go out as they are made (tests write a byte at a time).
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
    return Error("fcntl");
  }
  return client;
}

RawClient::~RawClient() { ::close(fd_); }

absl::Status RawClient::Write(absl::string_view bytes) {
  const auto deadline = Clock::now() + timeout_;
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n >= 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto s = Wait(POLLOUT, deadline); !s.ok()) return s;
    } else if (errno != EINTR) {
      return Error("send");
    }
  }
  return absl::OkStatus();
}

absl::Status RawClient::ShutdownWrite() {
  if (::shutdown(fd_, SHUT_WR) != 0) return Error("shutdown");
  return absl::OkStatus();
}

absl::StatusOr<HttpResponse> RawClient::ReadHttpResponse() {
  const auto deadline = Clock::now() + timeout_;
  std::size_t end;
  while ((end = in_.find("\r\n\r\n")) == std::string::npos) {
    if (auto s = Fill(deadline); !s.ok()) return s;
  }
  const std::string head = in_.substr(0, end);
  in_.erase(0, end + 4);
  std::vector<absl::string_view> lines = absl::StrSplit(head, "\r\n");
  std::vector<absl::string_view> status_line =
      absl::StrSplit(lines[0], absl::MaxSplits(' ', 2));
  HttpResponse response;
  if (status_line.size() < 2 || !absl::StartsWith(status_line[0], "HTTP/") ||
      !absl::SimpleAtoi(status_line[1], &response.status)) {
    return absl::DataLossError(absl::StrCat("bad status line: ", lines[0]));
  }
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto colon = lines[i].find(':');
    if (colon == absl::string_view::npos) {
      return absl::DataLossError(absl::StrCat("bad header: ", lines[i]));
    }
    response.headers.emplace(
        absl::AsciiStrToLower(lines[i].substr(0, colon)),
        std::string(absl::StripAsciiWhitespace(lines[i].substr(colon + 1))));
  }
  return response;
}

absl::StatusOr<ServerFrame> RawClient::ReadFrame() {
  const auto deadline = Clock::now() + timeout_;
  for (;;) {
    auto frame = TakeFrame();
    if (!frame.ok()) return frame.status();
    if (frame->has_value()) return **frame;
    if (auto s = Fill(deadline); !s.ok()) return s;
  }
}

absl::StatusOr<ServerFrame> RawClient::ReadNonKeepalive() {
  for (;;) {
    auto frame = ReadFrame();
    if (!frame.ok() || !IsKeepalive(*frame)) return frame;
  }
}

absl::Status RawClient::ExpectEnd(bool keepalives, bool reset_is_an_end) {
  const auto deadline = Clock::now() + timeout_;
  for (;;) {
    while (keepalives) {
      auto frame = TakeFrame();
      if (!frame.ok()) return frame.status();
      if (!frame->has_value()) break;
      if (!IsKeepalive(**frame)) {
        return absl::FailedPreconditionError(
            absl::StrCat("a frame instead of the end: ",
                         absl::CHexEscape((*frame)->payload)));
      }
    }
    if (!keepalives && !in_.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("bytes instead of the end: ", absl::CHexEscape(in_)));
    }
    absl::Status s = Fill(deadline);
    if (absl::IsOutOfRange(s) || (reset_is_an_end && absl::IsAborted(s))) {
      if (in_.empty()) return absl::OkStatus();
      return absl::FailedPreconditionError(absl::StrCat(
          "the stream ended inside a frame: ", absl::CHexEscape(in_)));
    }
    if (!s.ok()) return s;
  }
}

absl::Status RawClient::Wait(short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0) return absl::DeadlineExceededError("timed out");
    pollfd pfd{fd_, events, 0};
    const int n = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (n > 0) return absl::OkStatus();
    if (n < 0 && errno != EINTR) return Error("poll");
  }
}

absl::Status RawClient::Fill(Clock::time_point deadline) {
  for (;;) {
    char buffer[16384];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n > 0) {
      in_.append(buffer, static_cast<std::size_t>(n));
      return absl::OkStatus();
    }
    if (n == 0) return absl::OutOfRangeError("end of stream");
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (auto s = Wait(POLLIN, deadline); !s.ok()) return s;
    } else if (errno == ECONNRESET) {
      return absl::AbortedError("connection reset");
    } else if (errno != EINTR) {
      return Error("recv");
    }
  }
}

absl::StatusOr<std::optional<ServerFrame>> RawClient::TakeFrame() {
  if (in_.size() < 2) return std::nullopt;
  ServerFrame frame;
  const auto b0 = static_cast<std::uint8_t>(in_[0]);
  const auto b1 = static_cast<std::uint8_t>(in_[1]);
  frame.fin = (b0 & 0x80) != 0;
  frame.rsv = b0 & 0x70;
  frame.opcode = b0 & 0x0F;
  frame.masked = (b1 & 0x80) != 0;
  const std::uint8_t len7 = b1 & 0x7F;
  const std::size_t extended = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
  const std::size_t header = 2 + extended + (frame.masked ? 4 : 0);
  if (in_.size() < header) return std::nullopt;
  std::uint64_t length = len7;
  if (extended > 0) {
    length = 0;
    for (std::size_t i = 0; i < extended; ++i) {
      length = (length << 8) | static_cast<std::uint8_t>(in_[2 + i]);
    }
  }
  if (length > (64u << 20)) {
    return absl::DataLossError(absl::StrCat("frame of ", length, " bytes"));
  }
  if (in_.size() < header + length) return std::nullopt;
  frame.payload = in_.substr(header, length);
  if (frame.masked) {
    for (std::size_t i = 0; i < frame.payload.size(); ++i) {
      frame.payload[i] =
          static_cast<char>(frame.payload[i] ^ in_[2 + extended + i % 4]);
    }
  }
  in_.erase(0, header + length);
  return frame;
}

}  // namespace cable::testing
