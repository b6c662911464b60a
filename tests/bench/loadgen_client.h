#pragma once
// One Action Cable WebSocket client of cable-loadgen: connects (bound to a
// 127.0.0.x source address), upgrades, subscribes to its rooms, then parses
// frames and hands each data message's step, index and latency to its
// Worker. A slow client stops reading once subscribed.

// clang-format off
#include <utility>  // before Boost.Asio: 1.74 uses std::exchange without it
// clang-format on
#include <boost/asio.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cable::bench {

namespace net = boost::asio;
using tcp = net::ip::tcp;

class Worker;

class Client {
 public:
  enum class State {
    kIdle,
    kConnecting,
    kHandshake,
    kWelcome,
    kSubscribing,
    kReady,
    kClosed
  };

  Client(Worker& worker, std::uint32_t global, bool slow,
         std::vector<std::uint32_t> rooms);

  void Start();
  void ResumeReading();
  State state() const { return state_; }
  bool slow() const { return slow_; }
  bool too_slow() const { return too_slow_; }
  bool server_closed() const { return server_closed_; }
  const std::vector<std::uint32_t>& rooms() const { return rooms_; }

 private:
  void OnConnect(const boost::system::error_code& ec);
  void Read();
  void OnRead(const boost::system::error_code& ec, std::size_t n);
  bool ParseHandshake();
  void ParseFrames(std::int64_t now);
  void OnText(std::string_view text, std::int64_t now);
  void SendFrame(std::uint8_t opcode, std::string_view payload);
  void Flush();
  void Fail(bool server_closed);
  void SubscribeAll();

  Worker& worker_;
  tcp::socket socket_;
  const std::uint32_t global_;
  const bool slow_;
  State state_ = State::kIdle;
  bool reading_ = false;
  bool paused_ = false;
  // resume_slow: a slow client reads to the end from then on.
  bool resumed_ = false;
  bool writing_ = false;
  bool too_slow_ = false;
  bool server_closed_ = false;
  std::uint32_t confirms_ = 0;
  std::int64_t start_ns_ = 0;
  std::vector<std::uint32_t> rooms_;
  std::vector<std::int64_t> last_index_;
  std::vector<std::int64_t> last_step_;
  std::vector<char> buf_;
  std::size_t used_ = 0;
  std::string out_, pending_;
  std::string fragments_;
};

}  // namespace cable::bench
