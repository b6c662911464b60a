// cable-loadgen: many Action Cable WebSocket clients from one process, and an
// open-loop gRPC publisher. See tests/bench/README.md.
//
// --mode=clients  connects --clients clients (one io_context per --threads
//                 thread, paced at --connect_rate, bound round-robin to
//                 127.0.0.1..127.0.0.N), subscribes each to
//                 --subscriptions_per_client ChatChannel rooms, prints
//                 {"event":"ready",...}, then obeys commands on stdin:
//                   step K            start counting step K (acks "step")
//                   report K N MS     N messages were published in step K;
//                                     wait up to MS ms for them, print the
//                                     step's counts and latency histogram
//                   resume_slow MS    slow clients read again for MS ms;
//                                     print how many the server had closed
//                   quit
// --mode=publish  publishes --rate messages/s for --duration s as step
//                 --step, prints {"event":"published",...}.
// --mode=both     clients and publisher in one process; runs one step per
//                 --rates entry and prints one report line per step.
//
// Message i of a step goes to room (i % --streams); its data is
// {"st":STEP,"i":i,"t":INTENDED_SEND_NS,"p":"xxx..."} padded to
// --payload_bytes, with t on CLOCK_MONOTONIC. Latency is the receipt time
// minus t: publisher lag and batching count against the server.

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <time.h>

// clang-format off
#include <utility>  // before Boost.Asio: 1.74 uses std::exchange without it
// clang-format on
#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <future>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cable/v1/publisher.grpc.pb.h"
#include "grpcpp/grpcpp.h"
#include "tests/bench/histogram.h"

ABSL_FLAG(std::string, mode, "both", "clients, publish or both.");
ABSL_FLAG(std::string, host, "127.0.0.1", "WebSocket server address.");
ABSL_FLAG(int, port, 8080, "WebSocket server port.");
ABSL_FLAG(std::string, path, "/cable", "WebSocket path.");
ABSL_FLAG(std::string, grpc, "127.0.0.1:50051",
          "cable.v1.Publisher address (host:port).");
ABSL_FLAG(int, clients, 100, "Clients in this process.");
ABSL_FLAG(int, client_offset, 0,
          "Global index of this process's first client (to split clients "
          "over several processes).");
ABSL_FLAG(int, subscriptions_per_client, 1, "Subscriptions per client.");
ABSL_FLAG(int, streams, 1,
          "Rooms bench-0..bench-(S-1); subscription j of global client c is "
          "room (c * subscriptions_per_client + j) % streams.");
ABSL_FLAG(std::string, room_prefix, "bench-", "Room name prefix.");
ABSL_FLAG(double, slow_fraction, 0,
          "Fraction of clients that stop reading once subscribed.");
ABSL_FLAG(int, slow_rcvbuf, 4096,
          "SO_RCVBUF of slow clients (small so the server notices soon).");
ABSL_FLAG(int, slow_mss, 536,
          "TCP_MAXSEG of slow clients: on loopback (64 KB MSS) the server's "
          "send buffer autotunes to megabytes unless the peer's MSS is "
          "small, and a stalled reader would take minutes to notice.");
ABSL_FLAG(int, threads, 1, "Client event-loop threads.");
ABSL_FLAG(double, connect_rate, 2000, "New connections per second.");
ABSL_FLAG(int, max_inflight_connects, 256,
          "Connections allowed between TCP connect and subscription "
          "confirmation at once.");
ABSL_FLAG(int, source_addresses, 1,
          "Bind clients round-robin to 127.0.0.1..127.0.0.N.");
ABSL_FLAG(double, connect_timeout, 300,
          "Seconds allowed for all clients to connect and subscribe.");
ABSL_FLAG(double, rate, 10, "Publish mode: messages per second.");
ABSL_FLAG(double, duration, 5, "Publish mode: seconds to publish.");
ABSL_FLAG(int, step, 1, "Publish mode: step number carried in payloads.");
ABSL_FLAG(std::string, rates, "10",
          "Both mode: comma-separated publish rates, one step each.");
ABSL_FLAG(int, payload_bytes, 256, "Size of each broadcast's data.");
ABSL_FLAG(int, max_batch, 1,
          "Messages that are due at the same moment go out in one "
          "BroadcastBatch of up to this many (1 = one Broadcast each).");
ABSL_FLAG(int, max_inflight_rpcs, 2000, "Publisher RPCs in flight at most.");
ABSL_FLAG(int, wait_ms, 5000,
          "Both mode: how long to wait for a step's messages after "
          "publishing.");

namespace cable::bench {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

std::int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void RaiseFdLimit() {
  rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

// Number of i in [0, n) with i % s == k.
std::int64_t CountFor(std::int64_t n, std::int64_t s, std::int64_t k) {
  return n / s + (k < n % s ? 1 : 0);
}

bool ParseInt(std::string_view text, std::size_t pos, std::int64_t& out) {
  const char* b = text.data() + pos;
  const char* e = text.data() + text.size();
  return std::from_chars(b, e, out).ec == std::errc();
}

// Finds `"key":` in `text` and parses the integer after it.
bool FieldInt(std::string_view text, std::string_view key, std::size_t from,
              std::int64_t& out, std::size_t* end = nullptr) {
  std::size_t p = text.find(key, from);
  if (p == std::string_view::npos) return false;
  if (end != nullptr) *end = p + key.size();
  return ParseInt(text, p + key.size(), out);
}

// Counters of one worker thread (or of a merge of them).
struct StepStats {
  std::uint64_t received = 0;
  std::uint64_t late = 0;       // messages of another step
  std::uint64_t reordered = 0;  // index not above the last one seen
  std::uint64_t bytes = 0;
  std::int64_t first_ns = 0, last_ns = 0;
  Histogram latency;
  void Merge(const StepStats& o) {
    received += o.received;
    late += o.late;
    reordered += o.reordered;
    bytes += o.bytes;
    if (o.first_ns != 0 && (first_ns == 0 || o.first_ns < first_ns))
      first_ns = o.first_ns;
    last_ns = std::max(last_ns, o.last_ns);
    latency.Merge(o.latency);
  }
};

struct ConnectStats {
  std::uint64_t welcomed = 0, ready = 0, failed = 0, rejected = 0;
  std::int64_t first_start_ns = 0, last_ready_ns = 0;
  Histogram welcome_latency, ready_latency;
  void Merge(const ConnectStats& o) {
    welcomed += o.welcomed;
    ready += o.ready;
    failed += o.failed;
    rejected += o.rejected;
    if (o.first_start_ns != 0 &&
        (first_start_ns == 0 || o.first_start_ns < first_start_ns))
      first_start_ns = o.first_start_ns;
    last_ready_ns = std::max(last_ready_ns, o.last_ready_ns);
    welcome_latency.Merge(o.welcome_latency);
    ready_latency.Merge(o.ready_latency);
  }
};

struct Config {
  std::string host, path, room_prefix;
  int port = 0;
  int subs = 1;
  int streams = 1;
  int slow_rcvbuf = 4096;
  int slow_mss = 536;
  int source_addresses = 1;
};

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

class Worker {
 public:
  Worker(const Config& config, double connect_rate, int max_inflight)
      : config_(config),
        connect_rate_(connect_rate),
        max_inflight_(std::max(1, max_inflight)),
        pace_(io_) {}

  void Add(std::unique_ptr<Client> c) { clients_.push_back(std::move(c)); }
  void Run() {
    thread_ = std::thread([this] {
      start_ns_ = NowNs();
      pace();
      auto guard = net::make_work_guard(io_);
      io_.run();
    });
  }
  void Stop() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  // Runs `f` on this worker's thread and waits for its result.
  template <class F>
  auto Call(F f) -> decltype(f()) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    net::post(io_, [&task] { task(); });
    return result.get();
  }

  net::io_context& io() { return io_; }
  const Config& config() const { return config_; }
  std::vector<std::unique_ptr<Client>>& clients() { return clients_; }

  // Called by clients on their worker thread.
  void ConnectedOrFailed(bool ok, bool rejected, std::int64_t start_ns,
                         std::int64_t now) {
    --inflight_;
    done_.fetch_add(1, std::memory_order_relaxed);
    if (ok) {
      ++connect_.ready;
      connect_.ready_latency.Record(now - start_ns);
      connect_.last_ready_ns = std::max(connect_.last_ready_ns, now);
    } else if (rejected) {
      ++connect_.rejected;
    } else {
      ++connect_.failed;
    }
    Launch();
  }
  void welcomed(std::int64_t start_ns, std::int64_t now) {
    ++connect_.welcomed;
    connect_.welcome_latency.Record(now - start_ns);
  }
  void Record(std::int64_t step, std::int64_t latency_ns, std::size_t bytes,
              std::int64_t now) {
    if (step != current_step_.load(std::memory_order_relaxed)) {
      ++stats_.late;
      return;
    }
    ++stats_.received;
    stats_.bytes += bytes;
    if (stats_.first_ns == 0) stats_.first_ns = now;
    stats_.last_ns = now;
    stats_.latency.Record(latency_ns);
    received_.store(stats_.received, std::memory_order_relaxed);
  }
  void reordered() { ++stats_.reordered; }

  std::uint64_t done() const { return done_.load(std::memory_order_relaxed); }
  std::uint64_t received() const {
    return received_.load(std::memory_order_relaxed);
  }
  ConnectStats connect_stats() const { return connect_; }
  // On the worker thread: take the step's counters and start step `next`.
  StepStats TakeStep(std::int64_t next) {
    StepStats s = std::move(stats_);
    stats_ = StepStats();
    current_step_.store(next, std::memory_order_relaxed);
    received_.store(0, std::memory_order_relaxed);
    return s;
  }

 private:
  void pace() {
    Launch();
    if (next_ >= clients_.size()) return;
    pace_.expires_after(std::chrono::milliseconds(1));
    pace_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) pace();
    });
  }
  void Launch() {
    const double elapsed = static_cast<double>(NowNs() - start_ns_) / 1e9;
    const auto due = static_cast<std::size_t>(elapsed * connect_rate_) + 1;
    while (next_ < clients_.size() && next_ < due &&
           inflight_ < max_inflight_) {
      if (connect_.first_start_ns == 0) connect_.first_start_ns = NowNs();
      ++inflight_;
      clients_[next_++]->Start();
    }
  }

  const Config& config_;
  const double connect_rate_;
  const int max_inflight_;
  net::io_context io_;
  net::steady_timer pace_;
  std::thread thread_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::size_t next_ = 0;
  int inflight_ = 0;
  std::int64_t start_ns_ = 0;
  std::atomic<std::uint64_t> done_{0};
  ConnectStats connect_;
  StepStats stats_;
  std::atomic<std::int64_t> current_step_{0};
  alignas(64) std::atomic<std::uint64_t> received_{0};
};

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
          worker_.reordered();
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
      worker_.welcomed(start_ns_, now);
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

// ---------------------------------------------------------------- publisher

struct PublishResult {
  std::int64_t published = 0;
  std::int64_t errors = 0;
  std::int64_t rpcs = 0;
  double elapsed_s = 0;
  Histogram lag;  // actual send time minus intended send time
  Histogram rpc;  // RPC round trip
  std::string first_error;
};

class Publisher {
 public:
  Publisher(const std::string& target, int streams, std::string room_prefix,
            int payload_bytes, int max_batch, int max_inflight)
      : channel_(
            grpc::CreateChannel(target, grpc::InsecureChannelCredentials())),
        stub_(v1::Publisher::NewStub(channel_)),
        streams_(std::max(1, streams)),
        room_prefix_(std::move(room_prefix)),
        payload_bytes_(payload_bytes),
        max_batch_(std::max(1, max_batch)),
        max_inflight_(std::max(1, max_inflight)) {
    // Connect and warm up first, so that no measured message pays for the
    // channel's setup.
    channel_->WaitForConnected(std::chrono::system_clock::now() +
                               std::chrono::seconds(10));
    for (int i = 0; i < 3; ++i) {
      grpc::ClientContext context;
      v1::BroadcastRequest request;
      v1::BroadcastResponse response;
      request.set_stream(absl::StrCat("chat:", room_prefix_, "warmup"));
      request.set_data("{}");
      stub_->Broadcast(&context, request, &response);
    }
  }

  PublishResult Run(std::int64_t step, double rate, double duration) {
    result_ = PublishResult();
    const auto total = static_cast<std::int64_t>(std::llround(rate * duration));
    const double interval = 1e9 / rate;
    const std::int64_t start = NowNs() + 2000000;
    std::int64_t i = 0;
    while (i < total) {
      const std::int64_t due = start + static_cast<std::int64_t>(i * interval);
      std::int64_t now = NowNs();
      if (due > now) {
        timespec ts{static_cast<time_t>(due / 1000000000),
                    static_cast<long>(due % 1000000000)};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
        now = NowNs();
      }
      while (inflight_.load() >= max_inflight_) {
        std::this_thread::sleep_for(std::chrono::microseconds(100));
        now = NowNs();
      }
      // Everything due by now goes out, in one batch when allowed.
      auto call = std::make_unique<Call>();
      std::int64_t n = 0;
      while (i + n < total && n < max_batch_) {
        const std::int64_t due_n =
            start + static_cast<std::int64_t>((i + n) * interval);
        if (n > 0 && due_n > now) break;
        v1::BroadcastRequest* req =
            max_batch_ == 1 ? &call->single : call->batch.add_broadcasts();
        Fill(*req, step, i + n, due_n);
        ++n;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        result_.lag.Record(now - due);
      }
      i += n;
      call->messages = n;
      call->start_ns = NowNs();
      inflight_.fetch_add(1);
      Call* raw = call.release();
      auto done = [this, raw](grpc::Status status) { Finish(raw, status); };
      if (max_batch_ == 1) {
        stub_->async()->Broadcast(&raw->context, &raw->single, &raw->response,
                                  std::move(done));
      } else {
        stub_->async()->BroadcastBatch(&raw->context, &raw->batch,
                                       &raw->response, std::move(done));
      }
    }
    const std::int64_t deadline = NowNs() + 60LL * 1000000000;
    while (inflight_.load() > 0 && NowNs() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    std::lock_guard<std::mutex> lock(mu_);
    result_.elapsed_s = static_cast<double>(NowNs() - start) / 1e9;
    result_.published = total;
    return result_;
  }

 private:
  struct Call {
    grpc::ClientContext context;
    v1::BroadcastRequest single;
    v1::BroadcastBatchRequest batch;
    v1::BroadcastResponse response;
    std::int64_t messages = 0;
    std::int64_t start_ns = 0;
  };

  void Fill(v1::BroadcastRequest& req, std::int64_t step, std::int64_t i,
            std::int64_t due) {
    req.set_stream(absl::StrCat("chat:", room_prefix_, i % streams_));
    std::string data = absl::StrCat("{\"st\":", step, ",\"i\":", i,
                                    ",\"t\":", due, ",\"p\":\"");
    const std::size_t want = static_cast<std::size_t>(payload_bytes_);
    if (data.size() + 2 < want) data.append(want - data.size() - 2, 'x');
    data.append("\"}");
    req.set_data(std::move(data));
  }

  void Finish(Call* call, const grpc::Status& status) {
    const std::int64_t now = NowNs();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++result_.rpcs;
      result_.rpc.Record(now - call->start_ns);
      if (!status.ok()) {
        result_.errors += call->messages;
        if (result_.first_error.empty()) {
          result_.first_error = status.error_message();
        }
      }
    }
    delete call;
    inflight_.fetch_sub(1);
  }

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Publisher::Stub> stub_;
  const int streams_;
  const std::string room_prefix_;
  const int payload_bytes_;
  const int max_batch_;
  const int max_inflight_;
  std::atomic<int> inflight_{0};
  std::mutex mu_;
  PublishResult result_;
};

std::string Ms(std::uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(ns) / 1e6);
  return buf;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) continue;
    out += c;
  }
  return out + "\"";
}

std::string PublishJson(std::int64_t step, double rate, double duration,
                        const PublishResult& r) {
  return absl::StrCat("{\"event\":\"published\",\"step\":", step,
                      ",\"rate\":", rate, ",\"duration_s\":", duration,
                      ",\"published\":", r.published, ",\"errors\":", r.errors,
                      ",\"rpcs\":", r.rpcs, ",\"elapsed_s\":", r.elapsed_s,
                      ",\"lag_p99_ms\":", Ms(r.lag.Quantile(0.99)),
                      ",\"lag_max_ms\":", Ms(r.lag.max()),
                      ",\"rpc_p50_ms\":", Ms(r.rpc.Quantile(0.5)),
                      ",\"rpc_p99_ms\":", Ms(r.rpc.Quantile(0.99)),
                      ",\"first_error\":", Quote(r.first_error), "}");
}

// ------------------------------------------------------------------ clients

class ClientSet {
 public:
  explicit ClientSet(const Config& config) : config_(config) {
    const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
    const int count = absl::GetFlag(FLAGS_clients);
    const int offset = absl::GetFlag(FLAGS_client_offset);
    const double slow_fraction = absl::GetFlag(FLAGS_slow_fraction);
    for (int t = 0; t < threads; ++t) {
      workers_.push_back(std::make_unique<Worker>(
          config_, absl::GetFlag(FLAGS_connect_rate) / threads,
          absl::GetFlag(FLAGS_max_inflight_connects) / threads));
    }
    for (int c = 0; c < count; ++c) {
      const std::uint32_t global = static_cast<std::uint32_t>(offset + c);
      // Spread slow clients evenly: client c is slow when c * f crosses an
      // integer.
      const bool slow =
          slow_fraction > 0 &&
          std::floor((c + 1) * slow_fraction) > std::floor(c * slow_fraction);
      std::vector<std::uint32_t> rooms;
      for (int j = 0; j < config_.subs; ++j) {
        rooms.push_back(static_cast<std::uint32_t>(
            (static_cast<std::uint64_t>(global) * config_.subs + j) %
            config_.streams));
      }
      Worker& w = *workers_[c % threads];
      w.Add(std::make_unique<Client>(w, global, slow, std::move(rooms)));
    }
    total_ = count;
  }

  // Connects everyone; returns the "ready" line.
  std::string connect(double timeout_s) {
    for (auto& w : workers_) w->Run();
    const std::int64_t deadline =
        NowNs() + static_cast<std::int64_t>(timeout_s * 1e9);
    while (NowNs() < deadline) {
      std::uint64_t done = 0;
      for (auto& w : workers_) done += w->done();
      if (done >= static_cast<std::uint64_t>(total_)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ConnectStats cs;
    subs_per_room_.assign(config_.streams, 0);
    std::int64_t slow = 0;
    for (auto& w : workers_) {
      cs.Merge(w->Call([&w] { return w->connect_stats(); }));
      w->Call([&] {
        for (auto& c : w->clients()) {
          if (c->slow()) ++slow;
          if (c->state() != Client::State::kReady || c->slow()) continue;
          for (auto room : c->rooms()) ++subs_per_room_[room];
        }
        return 0;
      });
    }
    slow_ = slow;
    const double span =
        static_cast<double>(cs.last_ready_ns - cs.first_start_ns) / 1e9;
    return absl::StrCat(
        "{\"event\":\"ready\",\"clients\":", total_, ",\"ready\":", cs.ready,
        ",\"welcomed\":", cs.welcomed, ",\"failed\":", cs.failed,
        ",\"rejected\":", cs.rejected, ",\"slow\":", slow,
        ",\"subscriptions\":", cs.ready * config_.subs,
        ",\"connect_span_s\":", span, ",\"connect_rate\":",
        span > 0 ? static_cast<double>(cs.ready) / span : 0.0,
        ",\"welcome_p50_ms\":", Ms(cs.welcome_latency.Quantile(0.5)),
        ",\"welcome_p99_ms\":", Ms(cs.welcome_latency.Quantile(0.99)),
        ",\"ready_p50_ms\":", Ms(cs.ready_latency.Quantile(0.5)),
        ",\"ready_p99_ms\":", Ms(cs.ready_latency.Quantile(0.99)), "}");
  }

  void StartStep(std::int64_t step) {
    for (auto& w : workers_) w->Call([&] { return w->TakeStep(step); });
  }

  std::int64_t expected(std::int64_t published) const {
    std::int64_t e = 0;
    for (int k = 0; k < config_.streams; ++k) {
      if (subs_per_room_[k] != 0)
        e += subs_per_room_[k] * CountFor(published, config_.streams, k);
    }
    return e;
  }

  std::string Report(std::int64_t step, std::int64_t published, int wait_ms) {
    const std::int64_t want = expected(published);
    const std::int64_t deadline = NowNs() + wait_ms * 1000000LL;
    for (;;) {
      std::uint64_t got = 0;
      for (auto& w : workers_) got += w->received();
      if (static_cast<std::int64_t>(got) >= want || NowNs() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    StepStats s;
    std::int64_t closed = 0, slow_closed = 0, too_slow = 0;
    for (auto& w : workers_) {
      s.Merge(w->Call([&w] { return w->TakeStep(0); }));
      w->Call([&] {
        for (auto& c : w->clients()) {
          if (c->state() != Client::State::kClosed) continue;
          if (c->slow()) {
            ++slow_closed;
          } else {
            ++closed;
          }
          if (c->too_slow()) ++too_slow;
        }
        return 0;
      });
    }
    const auto& h = s.latency;
    return absl::StrCat(
        "{\"event\":\"report\",\"step\":", step, ",\"clients\":", total_,
        ",\"slow\":", slow_, ",\"published\":", published,
        ",\"expected\":", want, ",\"received\":", s.received,
        ",\"lost\":", std::max<std::int64_t>(0, want - s.received),
        ",\"late\":", s.late, ",\"reordered\":", s.reordered,
        ",\"closed\":", closed, ",\"slow_closed\":", slow_closed,
        ",\"too_slow\":", too_slow, ",\"bytes\":", s.bytes,
        ",\"first_ns\":", s.first_ns, ",\"last_ns\":", s.last_ns,
        ",\"p50_ms\":", Ms(h.Quantile(0.5)),
        ",\"p90_ms\":", Ms(h.Quantile(0.9)),
        ",\"p99_ms\":", Ms(h.Quantile(0.99)),
        ",\"p999_ms\":", Ms(h.Quantile(0.999)), ",\"max_ms\":", Ms(h.max()),
        ",\"hist\":", h.SparseJson(), "}");
  }

  std::string ResumeSlow(int ms) {
    for (auto& w : workers_) {
      w->Call([&w] {
        for (auto& c : w->clients()) {
          if (c->slow()) c->ResumeReading();
        }
        return 0;
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    std::int64_t slow = 0, closed = 0, told = 0;
    for (auto& w : workers_) {
      w->Call([&] {
        for (auto& c : w->clients()) {
          if (!c->slow()) continue;
          ++slow;
          if (c->state() == Client::State::kClosed || c->server_closed())
            ++closed;
          if (c->too_slow()) ++told;
        }
        return 0;
      });
    }
    return absl::StrCat("{\"event\":\"slow\",\"slow\":", slow,
                        ",\"closed_by_server\":", closed,
                        ",\"told_too_slow\":", told, "}");
  }

  void Stop() {
    for (auto& w : workers_) w->Stop();
  }

 private:
  const Config& config_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::vector<std::int64_t> subs_per_room_;
  int total_ = 0;
  std::int64_t slow_ = 0;
};

void Print(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

int Main() {
  RaiseFdLimit();
  const std::string mode = absl::GetFlag(FLAGS_mode);
  Config config;
  config.host = absl::GetFlag(FLAGS_host);
  config.port = absl::GetFlag(FLAGS_port);
  config.path = absl::GetFlag(FLAGS_path);
  config.room_prefix = absl::GetFlag(FLAGS_room_prefix);
  config.subs = std::max(1, absl::GetFlag(FLAGS_subscriptions_per_client));
  config.streams = std::max(1, absl::GetFlag(FLAGS_streams));
  config.slow_rcvbuf = absl::GetFlag(FLAGS_slow_rcvbuf);
  config.slow_mss = absl::GetFlag(FLAGS_slow_mss);
  config.source_addresses = std::max(1, absl::GetFlag(FLAGS_source_addresses));
  if (config.subs > config.streams) {
    std::fprintf(stderr, "--subscriptions_per_client exceeds --streams\n");
    return 2;
  }
  auto publisher = [&] {
    return std::make_unique<Publisher>(
        absl::GetFlag(FLAGS_grpc), config.streams, config.room_prefix,
        absl::GetFlag(FLAGS_payload_bytes), absl::GetFlag(FLAGS_max_batch),
        absl::GetFlag(FLAGS_max_inflight_rpcs));
  };

  if (mode == "publish") {
    auto p = publisher();
    const double rate = absl::GetFlag(FLAGS_rate);
    const double duration = absl::GetFlag(FLAGS_duration);
    const std::int64_t step = absl::GetFlag(FLAGS_step);
    Print(PublishJson(step, rate, duration, p->Run(step, rate, duration)));
    return 0;
  }
  if (mode != "clients" && mode != "both") {
    std::fprintf(stderr, "--mode must be clients, publish or both\n");
    return 2;
  }

  ClientSet clients(config);
  Print(clients.connect(absl::GetFlag(FLAGS_connect_timeout)));

  if (mode == "both") {
    auto p = publisher();
    std::int64_t step = 0;
    const double duration = absl::GetFlag(FLAGS_duration);
    for (absl::string_view r :
         absl::StrSplit(absl::GetFlag(FLAGS_rates), ',', absl::SkipEmpty())) {
      const double rate = std::stod(std::string(r));
      clients.StartStep(++step);
      PublishResult pr = p->Run(step, rate, duration);
      Print(PublishJson(step, rate, duration, pr));
      Print(clients.Report(step, pr.published, absl::GetFlag(FLAGS_wait_ms)));
    }
    if (absl::GetFlag(FLAGS_slow_fraction) > 0) Print(clients.ResumeSlow(2000));
  } else {
    std::string line;
    while (std::getline(std::cin, line)) {
      std::vector<std::string> words =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (words.empty()) continue;
      if (words[0] == "quit") break;
      if (words[0] == "step" && words.size() == 2) {
        clients.StartStep(std::stoll(words[1]));
        Print(absl::StrCat("{\"event\":\"step\",\"step\":", words[1], "}"));
      } else if (words[0] == "report" && words.size() == 4) {
        Print(clients.Report(std::stoll(words[1]), std::stoll(words[2]),
                             std::stoi(words[3])));
      } else if (words[0] == "resume_slow" && words.size() == 2) {
        Print(clients.ResumeSlow(std::stoi(words[1])));
      } else {
        Print(absl::StrCat("{\"event\":\"error\",\"line\":", Quote(line), "}"));
      }
    }
  }
  // Thousands of sockets close with the process.
  std::fflush(stdout);
  std::_Exit(0);
}

}  // namespace
}  // namespace cable::bench

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Action Cable load generator: WebSocket clients and a gRPC publisher.");
  absl::ParseCommandLine(argc, argv);
  return cable::bench::Main();
}
