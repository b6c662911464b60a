#include "cable/gateway/gateway.h"

#include <spdlog/spdlog.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "cable/control_bus.h"
#include "cable/gateway/event_loop.h"
#include "cable/gateway/http_session.h"
#include "cable/gateway/hub.h"
#include "cable/gateway/metrics.h"
#include "cable/gateway/service_client.h"
#include "cable/gateway/session.h"
#include "cable/gateway/session_context.h"
#include "cable/gateway/survey_responder.h"
#include "cable/gateway/tls_connection.h"
#include "cable/gateway/tls_context.h"
#include "cable/gateway/tls_stream.h"
#include "cable/gateway/websocket.h"
#include "cable/random_hex.h"

namespace cable::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

class Gateway::Impl {
 public:
  Impl(GatewayOptions options, GatewayBackends backends)
      : options_(std::move(options)),
        id_(options_.gateway_id.empty() ? RandomHex(8) : options_.gateway_id),
        backends_(std::move(backends)),
        hub_(*backends_.streams, backends_.history),
        service_(backends_.service, options_.service_timeout,
                 backends_.service_in_process, backends_.service_secret),
        context_(options_, hub_, service_, metrics_, id_,
                 [this](const std::string& sid) { Forget(sid); }),
        surveys_(id_, hub_, *backends_.control,
                 [this] {
                   absl::MutexLock lock(&mu_);
                   return static_cast<std::uint64_t>(sessions_.size());
                 }),
        loops_(MakeLoops(options_.threads)),
        acceptor_(loops_[0]->context()),
        ticker_(loops_[0]->context()),
        heartbeat_timer_(loops_[0]->context()) {
    context_.history = backends_.history;
    if (options_.session_ttl > std::chrono::milliseconds::zero()) {
      context_.sessions = backends_.sessions;
    }
    routes_.ready = [this] { return Ready(); };
    routes_.static_files = backends_.static_files;
    routes_.full = [this] {
      if (context_.open_sockets.load(std::memory_order_relaxed) <
          options_.max_connections) {
        return false;
      }
      metrics_.connections_over_limit.Increment();
      return true;
    };
    routes_.metrics = [this] {
      return metrics_.Serialize(hub_.messages_received(),
                                backends_.extra_metrics);
    };
    routes_.upgrade = [this](tcp::socket&& socket,
                             std::unique_ptr<TlsConnection> tls,
                             const Session::Request& req,
                             std::string subprotocol, std::string early) {
      EventLoop& loop = LoopOf(socket);
      auto session = std::make_shared<Session>(
          std::move(socket), std::move(tls), loop, context_,
          control::SessionId(id_,
                             RandomHex(control::kSessionRandomLength / 2)));
      {
        absl::MutexLock lock(&mu_);
        sessions_.emplace(session->sid(), session);
      }
      session->Run(req, std::move(subprotocol), std::move(early));
    };
  }

  absl::StatusOr<unsigned short> Start() {
    if (options_.tls_cert_file.empty() != options_.tls_key_file.empty()) {
      return absl::InvalidArgumentError(
          "--tls_cert and --tls_key go together: give both or neither");
    }
    if (!options_.tls_cert_file.empty()) {
      auto tls =
          TlsContext::Load(options_.tls_cert_file, options_.tls_key_file);
      if (!tls.ok()) return tls.status();
      tls_ = std::move(*tls);
      spdlog::info("TLS on: certificate {}", tls_->Describe());
    }
    beast::error_code ec;
    auto address = net::ip::make_address(options_.host, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad --host \"", options_.host, "\": ", ec.message()));
    }
    tcp::endpoint endpoint(address, options_.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) {
      return absl::UnavailableError(
          absl::StrCat("cannot listen on ", options_.host, ":", options_.port,
                       ": ", ec.message()));
    }
    const unsigned short port = acceptor_.local_endpoint().port();
    for (const std::string& stream :
         {std::string(control::kAllGateways), control::GatewayStream(id_)}) {
      // Start-up may block until the control bus has the subscription.
      auto id = SubscribeAndWait(
          *backends_.control, stream,
          [this](absl::string_view, absl::string_view payload) {
            OnControl(payload);
          });
      if (!id.ok()) {
        return absl::Status(
            id.status().code(),
            absl::StrCat("control bus: ", id.status().message()));
      }
      control_ids_.push_back(*id);
    }
    Accept();
    Tick();
    Heartbeat();
    for (auto& loop : loops_) {
      threads_.emplace_back([&loop] { loop->Run(); });
    }
    return port;
  }

  void Shutdown() {
    {
      absl::MutexLock lock(&mu_);
      if (stopping_.HasBeenNotified()) return;
      stopping_.Notify();
    }
    net::post(acceptor_.get_executor(), [this] {
      beast::error_code ec;
      acceptor_.close(ec);
    });
    std::vector<std::shared_ptr<Session>> sessions = live_sessions();
    spdlog::info("gateway {}: shutting down, {} clients", id_, sessions.size());
    for (auto id : control_ids_) backends_.control->Unsubscribe(id);
    control_ids_.clear();
    surveys_.Stop();
    for (auto& s : sessions) s->Shutdown();
    // Wait until every session has finished (socket closed, the service
    // ran its Disconnect: see Session::release), or the bound passes.
    {
      absl::MutexLock lock(&mu_);
      auto all_closed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return sessions_.empty();
      };
      mu_.AwaitWithTimeout(absl::Condition(&all_closed),
                           absl::FromChrono(options_.shutdown_timeout));
    }
    // Calls still in flight (a service that does not answer) are cancelled
    // while the loops still run, so that their callbacks, which post onto
    // the sessions' loops, all run before the loops stop.
    service_.Shutdown();
    for (auto& loop : loops_) loop->Stop();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
    done_.Notify();
  }

  void Wait() { done_.WaitForNotification(); }

  bool Ready() const {
    return !stopping_.HasBeenNotified() && service_.Ready() &&
           (!backends_.pubsub_ready || backends_.pubsub_ready());
  }

  const std::string& id() const { return id_; }

  bool tls() const { return tls_ != nullptr; }

  absl::Status ReloadTls() {
    if (!tls_) return absl::FailedPreconditionError("TLS is off");
    absl::Status status = tls_->Reload();
    if (status.ok()) {
      spdlog::info("TLS reloaded: certificate {}", tls_->Describe());
    } else {
      spdlog::error("TLS reload failed, the certificate in use stays: {}",
                    status.ToString());
    }
    return status;
  }

  ~Impl() {
    if (!done_.HasBeenNotified()) Shutdown();
  }

 private:
  void Accept() {
    acceptor_.async_accept(next_loop().context(), [this](beast::error_code ec,
                                                         tcp::socket socket) {
      if (ec) {
        if (ec == net::error::operation_aborted || !acceptor_.is_open()) {
          return;
        }
        spdlog::warn("accept failed: {}", ec.message());
      } else {
        beast::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (tls_) {
          AcceptTls(std::move(socket));
        } else {
          std::make_shared<HttpSession>(beast::tcp_stream(std::move(socket)),
                                        options_, routes_)
              ->Run();
        }
      }
      Accept();
    });
  }

  void AcceptTls(tcp::socket socket) {
    auto tls = tls_->Accept(socket);
    if (!tls.ok()) {
      spdlog::warn("TLS connection refused: {}", tls.status().ToString());
      return;  // closes the socket
    }
    std::make_shared<HttpsSession>(
        TlsStream(std::move(socket), std::move(*tls)), options_, routes_)
        ->Run();
  }

  // One timer for all sessions: pings (one frame shared by every socket)
  // and the write-timeout check. Each session is ticked once per ping
  // interval, but in one of kPingSlots groups (by its id) a slot apart:
  // 10k pings at once would hold up broadcasts behind them for tens of
  // milliseconds every interval.
  static constexpr std::size_t kPingSlots = 10;
  void Tick() {
    ticker_.expires_after(options_.ping_interval / kPingSlots);
    ticker_.async_wait([this](beast::error_code ec) {
      if (ec) return;
      const auto now = std::chrono::system_clock::now();
      auto ping = std::make_shared<const std::string>(ws::TextFrame(
          protocol::PingFrame(std::chrono::duration_cast<std::chrono::seconds>(
                                  now.time_since_epoch())
                                  .count())));
      ping_slot_ = (ping_slot_ + 1) % kPingSlots;
      for (auto& s : live_sessions(ping_slot_)) s->Tick(ping);
      Tick();
    });
  }

  // Tells the service this worker is alive, now and every interval.
  void Heartbeat() {
    internal::v1::HeartbeatRequest request;
    request.set_gateway_id(id_);
    request.set_interval_ms(
        static_cast<std::uint32_t>(options_.heartbeat_interval.count()));
    service_.Heartbeat(
        request, [id = id_](absl::StatusOr<internal::v1::HeartbeatResponse> r) {
          if (!r.ok()) {
            spdlog::warn("gateway {}: heartbeat failed: {}", id,
                         r.status().ToString());
          }
        });
    heartbeat_timer_.expires_after(options_.heartbeat_interval);
    heartbeat_timer_.async_wait([this](beast::error_code ec) {
      if (!ec && !stopping_.HasBeenNotified()) Heartbeat();
    });
  }

  // Runs on a pub/sub thread: decode, then post to the sessions concerned.
  void OnControl(absl::string_view payload) {
    internal::v1::ControlMessage message;
    if (!message.ParseFromArray(payload.data(),
                                static_cast<int>(payload.size()))) {
      spdlog::warn("gateway {}: undecodable control message", id_);
      return;
    }
    if (message.has_disconnect()) {
      auto request = std::make_shared<const v1::DisconnectClientsRequest>(
          std::move(*message.mutable_disconnect()));
      for (auto& s : live_sessions()) s->DisconnectIfMatches(request);
    } else if (message.has_transmit()) {
      auto transmission =
          std::make_shared<const internal::v1::DirectTransmission>(
              std::move(*message.mutable_transmit()));
      std::shared_ptr<Session> session;
      {
        absl::MutexLock lock(&mu_);
        auto it = sessions_.find(transmission->sid());
        if (it != sessions_.end()) session = it->second.lock();
      }
      if (session) session->Transmit(transmission);
    } else if (message.has_survey()) {
      surveys_.Enqueue(std::move(*message.mutable_survey()));
    }
  }

  // Every live session, or those of one ping slot.
  std::vector<std::shared_ptr<Session>> live_sessions(
      std::optional<std::size_t> slot = std::nullopt) {
    std::vector<std::shared_ptr<Session>> out;
    absl::MutexLock lock(&mu_);
    out.reserve(slot ? sessions_.size() / kPingSlots + 16 : sessions_.size());
    for (auto& [sid, weak] : sessions_) {
      if (slot && absl::Hash<std::string>{}(sid) % kPingSlots != *slot) {
        continue;
      }
      if (auto s = weak.lock()) out.push_back(std::move(s));
    }
    return out;
  }

  void Forget(const std::string& sid) {
    absl::MutexLock lock(&mu_);
    sessions_.erase(sid);
  }

  const GatewayOptions options_;
  const std::string id_;
  const GatewayBackends backends_;
  GatewayMetrics metrics_;
  Hub hub_;
  ServiceClient service_;
  SessionContext context_;
  HttpRoutes routes_;
  // Answers Publisher.Channels / Info surveys on its own thread.
  SurveyResponder surveys_;
  // Set by start() when TLS is on; then read-only (reload() is
  // thread-safe).
  std::unique_ptr<TlsContext> tls_;
  // One event loop per thread, each running only its own connections: a
  // post to a session then takes no lock shared by every thread, and wakes
  // only the thread that owns it. The first also runs the acceptor and the
  // timers.
  static std::vector<std::unique_ptr<EventLoop>> MakeLoops(unsigned threads) {
    const std::size_t n =
        threads != 0 ? threads
                     : std::max(1u, std::thread::hardware_concurrency());
    std::vector<std::unique_ptr<EventLoop>> loops;
    for (std::size_t i = 0; i < n; ++i) {
      loops.push_back(std::make_unique<EventLoop>());
    }
    return loops;
  }
  EventLoop& next_loop() { return *loops_[next_loop_++ % loops_.size()]; }
  EventLoop& LoopOf(tcp::socket& socket) {
    auto& context = net::query(socket.get_executor(), net::execution::context);
    for (auto& loop : loops_) {
      if (&loop->context() == &context) return *loop;
    }
    return *loops_[0];  // unreachable: every socket is accepted on a loop
  }

  std::vector<std::unique_ptr<EventLoop>> loops_;
  std::size_t next_loop_ = 0;
  tcp::acceptor acceptor_;
  net::steady_timer ticker_;
  std::size_t ping_slot_ = 0;  // on the first loop
  net::steady_timer heartbeat_timer_;
  std::vector<std::thread> threads_;
  std::vector<PubSubSubscriptionId> control_ids_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::weak_ptr<Session>> sessions_
      ABSL_GUARDED_BY(mu_);
  absl::Notification stopping_;
  absl::Notification done_;
};

Gateway::Gateway(GatewayOptions options, GatewayBackends backends)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(backends))) {}

Gateway::~Gateway() = default;

absl::StatusOr<unsigned short> Gateway::Start() { return impl_->Start(); }
void Gateway::Shutdown() { impl_->Shutdown(); }
void Gateway::Wait() { impl_->Wait(); }
const std::string& Gateway::id() const { return impl_->id(); }
bool Gateway::tls() const { return impl_->tls(); }
absl::Status Gateway::ReloadTls() { return impl_->ReloadTls(); }
bool Gateway::Ready() const { return impl_->Ready(); }

}  // namespace cable::gateway
