// Session: the connection's life (upgrade, connect, ticks, close,
// disconnect). Commands and subscriptions are in session_commands.cc, the
// socket in session_socket.cc.

#include "cable/gateway/session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <utility>

#include "cable/gateway/event_loop.h"
#include "cable/gateway/metrics.h"
#include "cable/gateway/options.h"
#include "cable/gateway/service_client.h"
#include "cable/gateway/session_context.h"
#include "cable/gateway/session_util.h"
#include "cable/gateway/tls_connection.h"
#include "cable/gateway/upgrade.h"

namespace cable::gateway {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;

Session::Session(tcp::socket&& socket, std::unique_ptr<TlsConnection> tls,
                 EventLoop& loop, SessionContext& context, std::string sid)
    : socket_(std::move(socket)),
      tls_(std::move(tls)),
      loop_(loop),
      context_(context),
      sid_(std::move(sid)),
      reader_(context.options.max_frame_bytes),
      commands_(context.options.max_pending_commands),
      write_queue_({context.options.max_queue_frames,
                    context.options.max_queue_bytes,
                    context.options.max_reply_queue_bytes}),
      heartbeat_(context.options.write_timeout,
                 Heartbeat::IdlePeriod(context.options.ping_interval),
                 context.clock.now()),
      limiter_(context.options.command_rate, context.options.command_burst,
               context.clock.now()) {
  context_.open_sockets.fetch_add(1, std::memory_order_relaxed);
}

Session::~Session() {
  if (state_ != State::kClosed) {
    context_.open_sockets.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Session::Run(const Request& request, std::string subprotocol,
                  std::string early) {
  const auto& options = context_.options;
  extended_ = subprotocol == protocol::kExtendedSubprotocol;
  if (extended_ && context_.sessions != nullptr) {
    snapshot_ = std::make_unique<Snapshot>();
    ReadRestoreRequest(request);
  }
  beast::error_code ec;
  // Reads and writes are tried at once and only wait when the socket has
  // nothing (or no room): see read() and write_next().
  socket_.non_blocking(true, ec);
  // A peer that vanished (no ACK for what we send) is cut by the kernel;
  // the read then fails and the session closes. tick() also pings and cuts
  // clients that stay silent.
  const unsigned int dead_ms = static_cast<unsigned int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(
          Heartbeat::IdlePeriod(options.ping_interval))
          .count());
  ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &dead_ms,
               sizeof dead_ms);

  std::string remote_addr;
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) {
    remote_addr =
        remote.address().to_string() + ":" + std::to_string(remote.port());
  }
  upgrade::Environment(request, subprotocol, remote_addr)
      .SerializeToString(&env_);

  const auto key = request[beast::http::field::sec_websocket_key];
  // The answer goes first in the write queue; frames follow it.
  write_queue_.PushUnbounded(upgrade::SwitchingProtocols(
      absl::string_view(key.data(), key.size()), subprotocol));
  WriteNext();
  OnAccept();
  // If this closes the socket, the parked read ends and finishes the
  // session.
  if (!early.empty()) Consume(absl::MakeSpan(early));
}

void Session::OnAccept() {
  state_ = State::kConnecting;
  heartbeat_.Heard(context_.clock.now());
  connect_pending_ = true;
  context_.metrics.connections_opened.Increment();
  context_.metrics.connections_active.Increment();
  // (A restore looks its session up first; Connect follows.)
  if (restore_) {
    LookUpSession();
  } else {
    Connect();
  }
  Read();
}

void Session::Connect() {
  internal::v1::ConnectRequest request;
  request.mutable_env()->ParseFromString(env_);
  request.set_sid(sid_);
  request.set_gateway_id(context_.gateway_id);
  context_.service.Connect(
      request,
      [self = shared_from_this()](
          absl::StatusOr<internal::v1::ConnectResponse> response) mutable {
        net::post(self->socket_.get_executor(),
                  [self, response = std::move(response)]() mutable {
                    self->OnConnected(std::move(response));
                  });
      });
}

void Session::OnConnected(
    absl::StatusOr<internal::v1::ConnectResponse> response) {
  connect_pending_ = false;
  if (response.ok() && response->status() == internal::v1::STATUS_SUCCESS) {
    connected_ = true;
    CopyTo(response->identifiers(), identifiers_);
    CopyTo(response->cstate(), cstate_);
    expires_at_unix_ms_ = response->expires_at_unix_ms();
  }
  if (state_ != State::kConnecting) {
    // The client left while the service was connecting it.
    if (state_ == State::kClosed) Release();
    return;
  }
  if (!response.ok()) {
    context_.metrics.service_errors.Increment();
    context_.metrics.connections_rejected.Increment();
    spdlog::warn("session {}: Connect failed: {}", sid_,
                 response.status().ToString());
    Close(ws::kCloseInternalError, "service unavailable",
          protocol::DisconnectFrame("server_restart", true));
    return;
  }
  if (response->status() != internal::v1::STATUS_SUCCESS) {
    context_.metrics.connections_rejected.Increment();
    for (const auto& frame : response->transmissions()) SendReply(frame);
    const bool refused = response->status() == internal::v1::STATUS_FAILURE;
    const std::string reason = response->disconnect().reason().empty()
                                   ? (refused ? "unauthorized" : "error")
                                   : response->disconnect().reason();
    Close(refused ? ws::kCloseNormal : ws::kCloseInternalError, reason);
    return;
  }
  state_ = State::kOpen;
  if (restore_ && response->disconnect().reason().empty()) {
    BeginRestore(
        {response->transmissions().begin(), response->transmissions().end()});
    return;
  }
  restore_.reset();
  for (const auto& frame : response->transmissions()) SendReply(frame);
  if (!response->disconnect().reason().empty()) {
    Close(ws::kCloseNormal, response->disconnect().reason());
    return;
  }
  PumpCommands();
}

void Session::Tick(SharedFrame ping) {
  net::post(socket_.get_executor(),
            [self = shared_from_this(), ping = std::move(ping)] {
              self->OnTick(ping);
            });
}

void Session::OnTick(const SharedFrame& ping) {
  const auto now = context_.clock.now();
  if (state_ == State::kClosing &&
      close_handshake_.overdue(now, context_.options.write_timeout)) {
    CloseNow();
    return;
  }
  if (state_ != State::kOpen) return;
  if (expires_at_unix_ms_ > 0 &&
      std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::system_clock::now().time_since_epoch())
              .count() >= expires_at_unix_ms_) {
    // AnyCable's behaviour: the client must get a new token first.
    Close(ws::kCloseNormal, "token expired",
          protocol::DisconnectFrame("token_expired", false));
    return;
  }
  switch (heartbeat_.Check(now, SendQueue())) {
    case Heartbeat::Verdict::kSlow:
      DisconnectSlow();
      return;
    case Heartbeat::Verdict::kGone:
      spdlog::info("session {}: nothing received for {} ms, closed", sid_,
                   std::chrono::duration_cast<std::chrono::milliseconds>(
                       heartbeat_.silent(now))
                       .count());
      CloseNow();
      return;
    case Heartbeat::Verdict::kPing:
      if (!restoring()) Send(ping);  // (no ping before the welcome)
      break;
    case Heartbeat::Verdict::kPingAndProbe:
      // A client silent for half the idle period gets a protocol ping,
      // which every WebSocket client answers.
      if (!restoring()) Send(ping);
      Enqueue(std::make_shared<const std::string>(
                  ws::EncodeFrame(ws::Opcode::kPing, {})),
              true);
      break;
  }
  RefreshSnapshot(now);
}

void Session::Shutdown() {
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->state_ == State::kHandshake) {
      self->CloseNow();
      return;
    }
    self->Close(ws::kCloseGoingAway, "server shutting down",
                protocol::DisconnectFrame("server_restart", true));
  });
}

void Session::DisconnectIfMatches(
    std::shared_ptr<const v1::DisconnectClientsRequest> request) {
  net::post(socket_.get_executor(), [self = shared_from_this(),
                                     request = std::move(request)] {
    if (self->state_ != State::kOpen) return;
    for (const auto& [name, value] : request->identifiers()) {
      auto it = self->identifiers_.find(name);
      if (it == self->identifiers_.end() || it->second != value) return;
    }
    self->Close(ws::kCloseNormal, "remote",
                protocol::DisconnectFrame("remote", request->reconnect()));
  });
}

void Session::Transmit(
    std::shared_ptr<const internal::v1::DirectTransmission> transmission) {
  net::post(socket_.get_executor(), [self = shared_from_this(),
                                     transmission = std::move(transmission)] {
    if (self->state_ != State::kOpen) return;
    for (const auto& frame : transmission->frames()) {
      self->Send(std::make_shared<const std::string>(ws::TextFrame(frame)));
    }
  });
}

void Session::OnClosed() {
  if (state_ == State::kClosed) return;
  const bool was_accepted = state_ != State::kHandshake;
  state_ = State::kClosed;
  context_.open_sockets.fetch_sub(1, std::memory_order_relaxed);
  // The streams stay listed: Disconnect reports them to the service.
  subscriptions_.StopAllTimers();
  timers_.clear();
  if (snapshot_) snapshot_->restore_wait.reset();
  for (auto& [identifier, sub] : subscriptions_) {
    LeaveStreams(identifier, sub.streams);
  }
  if (answer_) {
    // An answer waiting for its streams: the subscription it made is
    // listed (Disconnect runs its `unsubscribed`); nothing is sent now.
    answer_.reset();
    stream_wait_.Abandon();
    commands_.Done();
  }
  if (replay_) {
    // A replay being read: its pages will find it gone.
    replay_.reset();
    commands_.Done();
  }
  // (Not while looking the old session up: OnSessionLoaded finds the
  // socket closed and finishes the session.)
  if (restore_ && !connect_pending_) restore_.reset();
  write_queue_.DropUnwritten();
  commands_.clear();
  if (was_accepted) context_.metrics.connections_active.Decrement();
  Release();
}

void Session::Release() {
  // A call in flight finishes first (on_connected, on_command_done call
  // back here) so that the service hears about every subscription it made.
  if (connect_pending_ || commands_.in_flight()) return;
  if (connected_) {
    SendDisconnect();
  } else {
    context_.forget(sid_);
  }
}

void Session::SendDisconnect() {
  connected_ = false;
  internal::v1::DisconnectRequest request;
  request.mutable_env()->ParseFromString(env_);
  request.set_sid(sid_);
  request.set_gateway_id(context_.gateway_id);
  CopyTo(identifiers_, *request.mutable_identifiers());
  CopyTo(cstate_, *request.mutable_cstate());
  for (const auto& [identifier, sub] : subscriptions_) {
    auto* snapshot = request.add_subscriptions();
    snapshot->set_identifier(identifier);
    CopyTo(sub.istate, *snapshot->mutable_istate());
    snapshot->set_stateful(sub.stateful);
    for (const auto& s : sub.streams) snapshot->add_streams(s);
  }
  subscriptions_.clear();
  // The session stays in the gateway's registry until the service has run
  // its Disconnect: shutdown waits for that before stopping the service.
  context_.service.Disconnect(
      request, [sid = sid_, forget = context_.forget](
                   absl::StatusOr<internal::v1::DisconnectResponse> response) {
        if (!response.ok()) {
          spdlog::warn("session {}: Disconnect failed: {}", sid,
                       response.status().ToString());
        }
        forget(sid);
      });
}

}  // namespace cable::gateway
