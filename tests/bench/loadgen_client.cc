#include "tests/bench/loadgen_client.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "tests/bench/loadgen_clients.h"
#include "tests/bench/loadgen_common.h"

namespace cable::bench {

Client::Client(Worker& worker, std::uint32_t global, bool slow,
               std::vector<std::uint32_t> rooms)
    : worker_(worker),
      socket_(worker.io()),
      global_(global),
      slow_(slow),
      rooms_(std::move(rooms)),
      last_index_(rooms_.size(), -1),
      last_step_(rooms_.size(), -1) {}

void Client::Start() {
  const Config& cfg = worker_.config();
  state_ = State::kConnecting;
  start_ns_ = NowNs();
  boost::system::error_code ec;
  socket_.open(tcp::v4(), ec);
  if (ec) return Fail(false);
#ifdef IP_BIND_ADDRESS_NO_PORT
  int one = 1;
  setsockopt(socket_.native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
             sizeof one);
#endif
  if (slow_) {
    int size = cfg.slow_rcvbuf;
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVBUF, &size,
               sizeof size);
    int mss = cfg.slow_mss;
    if (mss > 0) {
      setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_MAXSEG, &mss,
                 sizeof mss);
    }
  }
  socket_.set_option(tcp::no_delay(true), ec);
  const unsigned last = 1 + global_ % std::max(1, cfg.source_addresses);
  net::ip::address_v4 source(net::ip::address_v4::bytes_type{
      127, 0, static_cast<unsigned char>(last >> 8),
      static_cast<unsigned char>(last & 0xff)});
  if (cfg.source_addresses > 1) {
    socket_.bind(tcp::endpoint(source, 0), ec);
    if (ec) return Fail(false);
  }
  tcp::endpoint target(net::ip::make_address(cfg.host), cfg.port);
  socket_.async_connect(
      target, [this](const boost::system::error_code& e) { OnConnect(e); });
}

void Client::OnConnect(const boost::system::error_code& ec) {
  if (ec) return Fail(false);
  const Config& cfg = worker_.config();
  state_ = State::kHandshake;
  buf_.resize(2048);
  pending_ = absl::StrCat(
      "GET ", cfg.path, "?user=b", global_, " HTTP/1.1\r\nHost: ", cfg.host,
      ":", cfg.port,
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "Sec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Protocol: actioncable-v1-json, actioncable-unsupported"
      "\r\n\r\n");
  Flush();
  Read();
}

void Client::Read() {
  if (reading_ || state_ == State::kClosed) return;
  if (used_ == buf_.size()) buf_.resize(buf_.size() * 2);
  reading_ = true;
  socket_.async_read_some(net::buffer(buf_.data() + used_, buf_.size() - used_),
                          [this](const boost::system::error_code& ec,
                                 std::size_t n) { OnRead(ec, n); });
}

void Client::ResumeReading() {
  resumed_ = true;
  paused_ = false;
  Read();
}

void Client::OnRead(const boost::system::error_code& ec, std::size_t n) {
  reading_ = false;
  if (state_ == State::kClosed) return;
  if (ec) return Fail(true);
  used_ += n;
  const std::int64_t now = NowNs();
  if (state_ == State::kHandshake) {
    if (!ParseHandshake()) {
      if (state_ != State::kClosed) Read();
      return;
    }
  }
  ParseFrames(now);
  if (state_ == State::kClosed) return;
  // A slow client stops reading once it is subscribed, until resumed.
  if (slow_ && !resumed_ && state_ == State::kReady) paused_ = true;
  if (!paused_) Read();
}

bool Client::ParseHandshake() {
  std::string_view data(buf_.data(), used_);
  std::size_t end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return false;
  if (data.substr(0, 12) != "HTTP/1.1 101") {
    Fail(false);
    return false;
  }
  end += 4;
  std::memmove(buf_.data(), buf_.data() + end, used_ - end);
  used_ -= end;
  state_ = State::kWelcome;
  return true;
}

void Client::ParseFrames(std::int64_t now) {
  std::size_t pos = 0;
  const auto* b = reinterpret_cast<const unsigned char*>(buf_.data());
  while (state_ != State::kClosed && used_ - pos >= 2) {
    const bool fin = b[pos] & 0x80;
    const unsigned opcode = b[pos] & 0x0f;
    std::uint64_t len = b[pos + 1] & 0x7f;
    std::size_t header = 2;
    if (len == 126) {
      if (used_ - pos < 4) break;
      len = (std::uint64_t{b[pos + 2]} << 8) | b[pos + 3];
      header = 4;
    } else if (len == 127) {
      if (used_ - pos < 10) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | b[pos + 2 + i];
      header = 10;
    }
    if (b[pos + 1] & 0x80) header += 4;  // servers must not mask; tolerate
    if (used_ - pos < header + len) {
      if (header + len > buf_.size()) buf_.resize(header + len + 1024);
      break;
    }
    std::string_view payload(buf_.data() + pos + header, len);
    pos += header + len;
    switch (opcode) {
      case 0x0:  // continuation
        fragments_.append(payload);
        if (fin) {
          std::string whole = std::move(fragments_);
          fragments_.clear();
          OnText(whole, now);
        }
        break;
      case 0x1:
      case 0x2:
        if (fin) {
          OnText(payload, now);
        } else {
          fragments_.assign(payload);
        }
        break;
      case 0x8:  // close: answer and drop
        SendFrame(0x8, payload.substr(0, std::min<std::size_t>(2, len)));
        server_closed_ = true;
        Fail(true);
        break;
      case 0x9:
        SendFrame(0xA, payload);
        break;
      default:
        break;
    }
  }
  if (state_ == State::kClosed) return;
  if (pos > 0) {
    std::memmove(buf_.data(), buf_.data() + pos, used_ - pos);
    used_ -= pos;
  }
  // A buffer that grew for one big frame goes back to its usual size.
  if (used_ == 0 && buf_.size() > 16384) {
    buf_.resize(2048);
    buf_.shrink_to_fit();
  }
}

void Client::OnText(std::string_view text, std::int64_t now) {
  // Data frames first: they are nearly all of the traffic.
  std::size_t msg = text.find("\"message\":{\"st\":");
  if (msg != std::string_view::npos) {
    std::int64_t step = 0, index = 0, sent = 0;
    std::size_t at = msg + 16;
    if (!ParseInt(text, at, step) || !FieldInt(text, "\"i\":", at, index) ||
        !FieldInt(text, "\"t\":", at, sent)) {
      return;
    }
    // Which subscription: the room number in the identifier.
    const std::string& prefix = worker_.config().room_prefix;
    std::size_t room_at = text.find(prefix);
    std::int64_t room = -1;
    if (room_at != std::string_view::npos && room_at < msg) {
      ParseInt(text, room_at + prefix.size(), room);
    }
    for (std::size_t j = 0; j < rooms_.size(); ++j) {
      if (rooms_[j] == room) {
        if (step == last_step_[j] && index <= last_index_[j]) {
          worker_.Reordered();
        }
        last_step_[j] = step;
        last_index_[j] = index;
        break;
      }
    }
    worker_.Record(step, now - sent, text.size(), now);
    return;
  }
  if (text.find("\"type\":\"ping\"") != std::string_view::npos) return;
  if (text.find("\"type\":\"welcome\"") != std::string_view::npos) {
    if (state_ == State::kWelcome) {
      worker_.Welcomed(start_ns_, now);
      SubscribeAll();
    }
    return;
  }
  if (text.find("\"type\":\"confirm_subscription\"") !=
      std::string_view::npos) {
    if (state_ == State::kSubscribing && ++confirms_ == rooms_.size()) {
      state_ = State::kReady;
      worker_.ConnectedOrFailed(true, false, start_ns_, now);
    }
    return;
  }
  if (text.find("\"type\":\"reject_subscription\"") != std::string_view::npos) {
    if (state_ == State::kSubscribing) {
      state_ = State::kClosed;
      worker_.ConnectedOrFailed(false, true, start_ns_, now);
      boost::system::error_code ec;
      socket_.close(ec);
    }
    return;
  }
  if (text.find("\"type\":\"disconnect\"") != std::string_view::npos) {
    if (text.find("too_slow") != std::string_view::npos) too_slow_ = true;
    server_closed_ = true;
  }
}

void Client::SubscribeAll() {
  const Config& cfg = worker_.config();
  state_ = State::kSubscribing;
  for (std::uint32_t room : rooms_) {
    // {"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\",
    //  \"room\":\"bench-K\"}"}
    std::string frame = absl::StrCat(
        R"({"command":"subscribe","identifier":"{\"channel\":\"ChatChannel\",\"room\":\")",
        cfg.room_prefix, room, R"(\"}"})");
    SendFrame(0x1, frame);
  }
}

void Client::SendFrame(std::uint8_t opcode, std::string_view payload) {
  static constexpr unsigned char kMask[4] = {0x12, 0x34, 0x56, 0x78};
  pending_.push_back(static_cast<char>(0x80 | opcode));
  if (payload.size() < 126) {
    pending_.push_back(static_cast<char>(0x80 | payload.size()));
  } else {
    pending_.push_back(static_cast<char>(0x80 | 126));
    pending_.push_back(static_cast<char>(payload.size() >> 8));
    pending_.push_back(static_cast<char>(payload.size() & 0xff));
  }
  pending_.append(reinterpret_cast<const char*>(kMask), 4);
  for (std::size_t i = 0; i < payload.size(); ++i) {
    pending_.push_back(static_cast<char>(payload[i] ^ kMask[i % 4]));
  }
  Flush();
}

void Client::Flush() {
  if (writing_ || pending_.empty() || state_ == State::kClosed) return;
  writing_ = true;
  out_.swap(pending_);
  pending_.clear();
  net::async_write(socket_, net::buffer(out_),
                   [this](const boost::system::error_code& ec, std::size_t) {
                     writing_ = false;
                     out_.clear();
                     if (ec) return Fail(true);
                     Flush();
                   });
}

void Client::Fail(bool server_closed) {
  if (state_ == State::kClosed) return;
  const State was = state_;
  state_ = State::kClosed;
  if (server_closed) server_closed_ = true;
  boost::system::error_code ec;
  socket_.close(ec);
  if (was != State::kReady && was != State::kIdle) {
    worker_.ConnectedOrFailed(false, false, start_ns_, NowNs());
  }
}

}  // namespace cable::bench
