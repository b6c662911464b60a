#include "cable/gateway/session.h"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <limits>
#include <span>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cable/gateway/event_loop.h"
#include "cable/gateway/hub.h"
#include "cable/gateway/metrics.h"
#include "cable/gateway/options.h"
#include "cable/gateway/service_client.h"
#include "cable/gateway/session_context.h"
#include "cable/gateway/tls_connection.h"

namespace cable::gateway {

namespace beast = boost::beast;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

void ParseCookies(absl::string_view header,
                  google::protobuf::Map<std::string, std::string>& out) {
  for (absl::string_view part : absl::StrSplit(header, ';')) {
    part = absl::StripAsciiWhitespace(part);
    auto eq = part.find('=');
    if (eq == absl::string_view::npos || eq == 0) continue;
    out[std::string(part.substr(0, eq))] = std::string(part.substr(eq + 1));
  }
}

// Action Cable's commands, and the stateful-channel ones
// (docs/protocol.md). "join" opens a subscription like "subscribe" does,
// "leave" closes one like "unsubscribe".
bool IsClientCommand(absl::string_view command) {
  return command == "subscribe" || command == "unsubscribe" ||
         command == "message" || command == "join" || command == "leave" ||
         command == "request" || command == "sync";
}

bool Opens(absl::string_view command) {
  return command == "subscribe" || command == "join";
}

bool Closes(absl::string_view command) {
  return command == "unsubscribe" || command == "leave";
}

// How long a client may stay silent before it is taken for gone: a
// protocol ping goes out after half of it.
Clock::duration IdlePeriod(const GatewayOptions& options) {
  return std::max<Clock::duration>(std::chrono::seconds(10),
                                   options.ping_interval * 10);
}

template <class Map>
void CopyTo(const Map& from, std::map<std::string, std::string>& to) {
  to.clear();
  for (const auto& [k, v] : from) to.emplace(k, v);
}

template <class Map>
void CopyTo(const std::map<std::string, std::string>& from, Map& to) {
  for (const auto& [k, v] : from) to[k] = v;
}

}  // namespace

Session::Session(tcp::socket&& socket, std::unique_ptr<TlsConnection> tls,
                 EventLoop& loop, SessionContext& context, std::string sid)
    : socket_(std::move(socket)),
      tls_(std::move(tls)),
      loop_(loop),
      context_(context),
      sid_(std::move(sid)),
      reader_(context.options.max_frame_bytes),
      limiter_(context.options.command_rate, context.options.command_burst,
               Clock::now()) {
  context_.open_sockets.fetch_add(1, std::memory_order_relaxed);
}

Session::~Session() {
  if (state_ != State::kClosed) {
    context_.open_sockets.fetch_sub(1, std::memory_order_relaxed);
  }
}

void Session::run(const Request& request, std::string subprotocol,
                  std::string early) {
  const auto& options = context_.options;
  beast::error_code ec;
  // Reads and writes are tried at once and only wait when the socket has
  // nothing (or no room): see read() and write_next().
  socket_.non_blocking(true, ec);
  // A peer that vanished (no ACK for what we send) is cut by the kernel;
  // the read then fails and the session closes. tick() also pings and cuts
  // clients that stay silent.
  const unsigned int dead_ms = static_cast<unsigned int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(IdlePeriod(options))
          .count());
  ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_USER_TIMEOUT, &dead_ms,
               sizeof dead_ms);

  internal::v1::Env env;
  env.set_url(std::string(request.target()));
  env.set_subprotocol(subprotocol);
  auto* headers = env.mutable_headers();
  for (const auto& field : request) {
    std::string name = absl::AsciiStrToLower(absl::string_view(
        field.name_string().data(), field.name_string().size()));
    std::string value(field.value().data(), field.value().size());
    auto [it, inserted] = headers->insert({name, value});
    if (!inserted) it->second += ", " + value;
  }
  if (auto cookie = headers->find("cookie"); cookie != headers->end()) {
    ParseCookies(cookie->second, *env.mutable_cookies());
  }
  auto remote = socket_.remote_endpoint(ec);
  if (!ec) {
    env.set_remote_addr(remote.address().to_string() + ":" +
                        std::to_string(remote.port()));
  }
  // Kept serialized: every call to the service carries it, and the bytes
  // cost an idle connection far less than the parsed maps.
  env.SerializeToString(&env_);

  const auto key = request[beast::http::field::sec_websocket_key];
  std::string response = absl::StrCat(
      "HTTP/1.1 101 Switching Protocols\r\n"
      "Upgrade: websocket\r\n"
      "Connection: Upgrade\r\n"
      "Sec-WebSocket-Accept: ",
      ws::AcceptKey(absl::string_view(key.data(), key.size())),
      "\r\nServer: cable\r\n",
      subprotocol.empty()
          ? ""
          : absl::StrCat("Sec-WebSocket-Protocol: ", subprotocol, "\r\n"),
      "\r\n");
  // The answer goes first in the write queue; frames follow it.
  push_unbounded(std::move(response));
  write_next();
  on_accept();
  // If this closes the socket, the parked read ends and finishes the
  // session.
  if (!early.empty()) consume(absl::MakeSpan(early));
}

void Session::on_accept() {
  state_ = State::kConnecting;
  last_read_ = Clock::now();
  connect_pending_ = true;
  context_.metrics.connections_opened.Increment();
  context_.metrics.connections_active.Increment();

  internal::v1::ConnectRequest request;
  request.mutable_env()->ParseFromString(env_);
  request.set_sid(sid_);
  request.set_gateway_id(context_.gateway_id);
  context_.service.connect(
      request,
      [self = shared_from_this()](
          absl::StatusOr<internal::v1::ConnectResponse> response) mutable {
        net::post(self->socket_.get_executor(),
                  [self, response = std::move(response)]() mutable {
                    self->on_connected(std::move(response));
                  });
      });
  read();
}

void Session::on_connected(
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
    if (state_ == State::kClosed) release();
    return;
  }
  if (!response.ok()) {
    context_.metrics.service_errors.Increment();
    context_.metrics.connections_rejected.Increment();
    spdlog::warn("session {}: Connect failed: {}", sid_,
                 response.status().ToString());
    close(ws::kCloseInternalError, "service unavailable",
          protocol::DisconnectFrame("server_restart", true));
    return;
  }
  if (response->status() != internal::v1::STATUS_SUCCESS) {
    context_.metrics.connections_rejected.Increment();
    for (const auto& frame : response->transmissions()) send_reply(frame);
    const bool refused = response->status() == internal::v1::STATUS_FAILURE;
    const std::string reason = response->disconnect().reason().empty()
                                   ? (refused ? "unauthorized" : "error")
                                   : response->disconnect().reason();
    close(refused ? ws::kCloseNormal : ws::kCloseInternalError, reason);
    return;
  }
  state_ = State::kOpen;
  for (const auto& frame : response->transmissions()) send_reply(frame);
  if (!response->disconnect().reason().empty()) {
    close(ws::kCloseNormal, response->disconnect().reason());
    return;
  }
  pump_commands();
}

void Session::read() {
  if (tls_) {
    if (socket_.is_open() && tls_->has_pending()) {
      // OpenSSL holds the rest of a record: the socket may have nothing
      // more to say, so don't wait for it.
      net::post(socket_.get_executor(),
                [self = shared_from_this()] { self->on_readable({}); });
      return;
    }
    if (tls_->read_waits_for_write()) {
      socket_.async_wait(tcp::socket::wait_write,
                         [self = shared_from_this()](beast::error_code ec) {
                           self->on_readable(ec);
                         });
      return;
    }
  }
  socket_.async_wait(tcp::socket::wait_read,
                     [self = shared_from_this()](beast::error_code ec) {
                       self->on_readable(ec);
                     });
}

void Session::on_readable(beast::error_code ec) {
  if (ec) {  // aborted: the socket was closed
    on_closed();
    return;
  }
  const std::size_t bytes = read_some(ec);
  if (bytes > 0) last_read_ = Clock::now();
  if (ec == net::error::would_block || ec == net::error::try_again) {
    read();
    return;
  }
  if (ec) {  // end of stream, reset, or the kernel gave up on the peer
    socket_.close(ec);
    on_closed();
    return;
  }
  if (!consume(absl::MakeSpan(read_chunk_.data(), bytes))) {
    on_closed();
    return;
  }
  read();
}

std::size_t Session::read_some(beast::error_code& ec) {
  if (tls_) return tls_->read(socket_, absl::MakeSpan(read_chunk_), ec);
  return socket_.read_some(net::buffer(read_chunk_), ec);
}

std::size_t Session::write_some(std::span<const net::const_buffer> buffers,
                                beast::error_code& ec) {
  if (tls_) return tls_->write(socket_, buffers, ec);
  return socket_.write_some(buffers, ec);
}

bool Session::consume(absl::Span<char> bytes) {
  auto violation =
      reader_.feed(bytes, [this](const ws::Frame& frame) { on_frame(frame); });
  if (violation) {
    context_.metrics.bad_frames.Increment();
    spdlog::info("session {}: {}, closed with {}", sid_, violation->reason,
                 violation->code);
    // After a framing error no close frame can be read back: the socket
    // closes once ours is written.
    if (violation->framing()) close_received_ = true;
    close(violation->code, violation->reason);
  }
  return socket_.is_open();
}

void Session::on_frame(const ws::Frame& frame) {
  if (!socket_.is_open()) return;
  const bool closing = state_ == State::kClosing || state_ == State::kClosed;
  switch (frame.opcode) {
    case ws::Opcode::kText:
      if (!closing) handle_frame(frame.payload);  // else drained and dropped
      return;
    case ws::Opcode::kBinary:
      if (closing) return;
      context_.metrics.bad_frames.Increment();
      close(ws::kCloseUnsupportedData, "binary frames are not supported",
            protocol::DisconnectFrame("invalid_request", false));
      return;
    case ws::Opcode::kPing:
      if (!closing) {
        enqueue(std::make_shared<const std::string>(
                    ws::EncodeFrame(ws::Opcode::kPong, frame.payload)),
                true);
      }
      return;
    case ws::Opcode::kClose:
      close_received_ = true;
      if (closing) {
        if (close_sent_) finish_close();
        return;
      }
      // Answer with the client's code; our close frame goes once what is
      // being written is through, then the socket closes.
      close(frame.close_code == ws::kCloseNoStatus ? ws::kCloseNormal
                                                   : frame.close_code,
            "");
      return;
    default:
      return;  // pongs
  }
}

void Session::handle_frame(absl::string_view text) {
  auto parsed = protocol::ParseClientCommand(text);
  if (!parsed.ok()) {
    context_.metrics.bad_frames.Increment();
    spdlog::info("session {}: bad frame: {}", sid_,
                 std::string(parsed.status().message()));
    // Close reasons are limited to 123 bytes by RFC 6455.
    std::string reason(parsed.status().message().substr(0, 120));
    close(ws::kCloseInvalidPayload, reason,
          protocol::DisconnectFrame("invalid_request", false));
    return;
  }
  // Every command counts against the rate limit, those ignored below
  // included: a flood of unknown commands is a flood too.
  switch (limiter_.admit(Clock::now())) {
    case CommandRateLimiter::Verdict::kAllow:
      break;
    case CommandRateLimiter::Verdict::kRefuse:
      context_.metrics.rate_limited.Increment();
      send_reply(protocol::ErrorFrame(
          parsed->identifier,
          absl::StrCat("rate limited: at most ", context_.options.command_rate,
                       " commands a second")));
      return;
    case CommandRateLimiter::Verdict::kCut:
      context_.metrics.rate_limited.Increment();
      spdlog::info("session {}: over the command rate limit, closing", sid_);
      close(ws::kClosePolicyViolation, "rate limit exceeded",
            protocol::DisconnectFrame("rate_limited", false));
      return;
  }
  const std::string& command = parsed->command;
  if (!IsClientCommand(command)) {
    context_.metrics.unknown_commands.Increment();
    spdlog::info("session {}: unknown command \"{}\" ignored", sid_,
                 command.substr(0, 64));
    return;
  }
  if (parsed->identifier.empty() ||
      ((command == "message" || command == "request") &&
       parsed->data.empty())) {
    context_.metrics.invalid_commands.Increment();
    spdlog::info("session {}: {} without {} ignored", sid_, command,
                 parsed->identifier.empty() ? "identifier" : "data");
    return;
  }
  enqueue_command({std::move(parsed->command), std::move(parsed->identifier),
                   std::move(parsed->data)});
}

void Session::enqueue_command(PendingCommand command) {
  if (commands_.size() >= context_.options.max_pending_commands) {
    context_.metrics.bad_frames.Increment();
    close(ws::kClosePolicyViolation, "too many pending commands",
          protocol::DisconnectFrame("invalid_request", false));
    return;
  }
  commands_.push_back(std::move(command));
  pump_commands();
}

bool Session::precheck(const PendingCommand& command) {
  const bool exists = subscriptions_.contains(command.identifier);
  if (Opens(command.command)) {
    if (exists) {
      context_.metrics.duplicate_subscriptions.Increment();
      return false;
    }
    if (subscriptions_.size() >= context_.options.max_subscriptions) {
      context_.metrics.subscriptions_over_limit.Increment();
      send_reply(protocol::RejectFrame(command.identifier));
      return false;
    }
    return true;
  }
  if (!exists && command.command != "periodic") {
    context_.metrics.unknown_identifiers.Increment();
  }
  return exists;
}

void Session::pump_commands() {
  while (state_ == State::kOpen && !command_in_flight_ && !commands_.empty()) {
    PendingCommand command = std::move(commands_.front());
    commands_.pop_front();
    if (!precheck(command)) continue;

    internal::v1::CommandRequest request;
    request.set_command(command.command);
    request.set_identifier(command.identifier);
    request.set_data(command.data);
    request.mutable_env()->ParseFromString(env_);
    request.set_sid(sid_);
    request.set_gateway_id(context_.gateway_id);
    CopyTo(identifiers_, *request.mutable_identifiers());
    CopyTo(cstate_, *request.mutable_cstate());
    if (auto sub = subscriptions_.find(command.identifier);
        sub != subscriptions_.end()) {
      CopyTo(sub->second.istate, *request.mutable_istate());
      for (const auto& s : sub->second.streams) request.add_streams(s);
      if (Closes(command.command)) {
        // The client has dropped the subscription: stop its streams now,
        // so that what `unsubscribed` broadcasts does not come back to it.
        leave_streams(command.identifier, sub->second);
        sub->second.streams.clear();
        sub->second.timers.clear();
        sub->second.held_frames.clear();
      } else if (command.command == "sync") {
        // From here until the answer, updates wait: the answer's state
        // tells which of them the client still needs.
        sub->second.held = true;
      }
    }
    command_in_flight_ = true;
    context_.metrics.commands.Increment();
    context_.service.command(
        request,
        [self = shared_from_this(), command = std::move(command)](
            absl::StatusOr<internal::v1::CommandResponse> response) mutable {
          net::post(self->socket_.get_executor(),
                    [self, command = std::move(command),
                     response = std::move(response)]() mutable {
                      self->on_command_done(command, std::move(response));
                    });
        });
  }
}

void Session::on_command_done(
    const PendingCommand& command,
    absl::StatusOr<internal::v1::CommandResponse> response) {
  command_in_flight_ = false;
  const bool ok = response.ok();
  if (!ok) {
    context_.metrics.service_errors.Increment();
    spdlog::warn("session {}: {} failed: {}", sid_, command.command,
                 response.status().ToString());
  } else if (response->status() != internal::v1::STATUS_SUCCESS &&
             !response->error_msg().empty()) {
    spdlog::info("session {}: {} refused: {}", sid_, command.command,
                 response->error_msg());
  }

  if (state_ == State::kClosed) {
    // The socket is gone; keep the books straight so that Disconnect runs
    // `unsubscribed` for a subscription the service just made.
    if (ok && Opens(command.command) &&
        response->status() == internal::v1::STATUS_SUCCESS &&
        !response->subscription_removed()) {
      auto& sub = subscriptions_[command.identifier];
      CopyTo(response->istate(), sub.istate);
      sub.streams.assign(response->streams().begin(),
                         response->streams().end());
    } else if (ok && response->subscription_removed()) {
      subscriptions_.erase(command.identifier);
    }
    release();
    return;
  }
  if (state_ != State::kOpen) return;

  if (!ok) {
    // Leave no client waiting for an answer that will not come.
    auto sub = subscriptions_.find(command.identifier);
    const bool stateful =
        sub != subscriptions_.end() && sub->second.istate.contains("$state");
    const std::string why =
        absl::StrCat("service call failed (",
                     absl::StatusCodeToString(response.status().code()),
                     "); it may or may not have taken effect");
    if (Opens(command.command)) {
      send_reply(protocol::RejectFrame(command.identifier));
    } else if (command.command == "sync") {
      // The client never got the state these updates apply to: leave the
      // channel (on_leave runs) and tell the client, which may join again.
      sub->second.held = false;
      sub->second.held_frames.clear();
      commands_.push_front({"leave", command.identifier, {}});
      send_reply(protocol::RejectFrame(command.identifier));
    } else if (command.command == "request") {
      send_reply(
          protocol::RequestFailureFrame(command.identifier, command.data, why));
    } else if (stateful && command.command == "message") {
      send_reply(protocol::ErrorFrame(command.identifier, why));
    }
    pump_commands();
    return;
  }

  if (Opens(command.command) &&
      response->status() == internal::v1::STATUS_SUCCESS &&
      !response->subscription_removed()) {
    subscriptions_.try_emplace(command.identifier);
  }
  Subscription* synced = nullptr;
  if (auto it = subscriptions_.find(command.identifier);
      it != subscriptions_.end()) {
    Subscription& sub = it->second;
    if (response->istate_set()) CopyTo(response->istate(), sub.istate);
    if (response->sync_after_streams()) {
      // A join: hold the channel's updates from the moment its stream is
      // live, then ask for the state before anything else the client sent.
      sub.held = true;
      commands_.push_front({"sync", command.identifier, {}});
    }
    // Streams go live before any transmission, so a client that sees
    // confirm_subscription gets every later broadcast.
    apply_streams(command.identifier, sub, *response);
    if (response->timers_set())
      start_timers(command.identifier, sub, *response);
    if (command.command == "sync") synced = &sub;
  }
  if (response->cstate_set()) CopyTo(response->cstate(), cstate_);
  if (response->subscription_removed()) {
    synced = nullptr;
    remove_subscription(command.identifier);
  }
  for (const auto& frame : response->transmissions()) send_reply(frame);
  if (synced != nullptr) {
    release_held(*synced, response->status() == internal::v1::STATUS_SUCCESS
                              ? response->resume_after_revision()
                              : std::numeric_limits<std::uint64_t>::max());
  }
  if (!response->disconnect().reason().empty()) {
    close(ws::kCloseNormal, response->disconnect().reason());
    return;
  }
  pump_commands();
}

void Session::apply_streams(const std::string& identifier, Subscription& sub,
                            const internal::v1::CommandResponse& response) {
  if (response.stop_all_streams()) {
    leave_streams(identifier, sub);
    sub.streams.clear();
  }
  for (const auto& s : response.stopped_streams()) {
    auto it = std::find(sub.streams.begin(), sub.streams.end(), s);
    if (it == sub.streams.end()) continue;
    context_.hub.unsubscribe(s, identifier, this);
    sub.streams.erase(it);
  }
  for (const auto& s : response.streams()) {
    if (std::find(sub.streams.begin(), sub.streams.end(), s) !=
        sub.streams.end()) {
      continue;
    }
    absl::Status st = context_.hub.subscribe(s, identifier, shared_from_this());
    if (!st.ok()) {
      context_.metrics.service_errors.Increment();
      spdlog::error("session {}: stream {} not started: {}", sid_, s,
                    st.ToString());
      continue;
    }
    sub.streams.push_back(s);
  }
}

void Session::start_timers(const std::string& identifier, Subscription& sub,
                           const internal::v1::CommandResponse& response) {
  sub.timers.clear();  // destroying a timer cancels its wait
  for (const auto& timer : response.timers()) {
    if (timer.interval_ms() == 0 || timer.action().empty()) continue;
    auto t = std::make_unique<net::steady_timer>(socket_.get_executor());
    arm_timer(identifier, *t, std::chrono::milliseconds(timer.interval_ms()),
              timer.action());
    sub.timers.push_back(std::move(t));
  }
}

void Session::arm_timer(const std::string& identifier, net::steady_timer& t,
                        std::chrono::milliseconds every, std::string action) {
  t.expires_after(every);
  t.async_wait([self = shared_from_this(), identifier, timer = &t, every,
                action = std::move(action)](beast::error_code ec) mutable {
    if (ec || self->state_ != State::kOpen) return;
    // The timer may have been destroyed after it fired: only touch it if
    // its subscription still owns it.
    auto it = self->subscriptions_.find(identifier);
    if (it == self->subscriptions_.end()) return;
    auto& timers = it->second.timers;
    if (std::none_of(timers.begin(), timers.end(),
                     [&](const auto& p) { return p.get() == timer; })) {
      return;
    }
    // Coalesce: a tick still waiting behind a slow service is enough.
    const bool queued = std::any_of(
        self->commands_.begin(), self->commands_.end(), [&](const auto& c) {
          return c.command == "periodic" && c.identifier == identifier &&
                 c.data == action;
        });
    if (!queued) {
      self->commands_.push_back({"periodic", identifier, action});
      self->pump_commands();
    }
    self->arm_timer(identifier, *timer, every, std::move(action));
  });
}

void Session::remove_subscription(const std::string& identifier) {
  auto it = subscriptions_.find(identifier);
  if (it == subscriptions_.end()) return;
  leave_streams(identifier, it->second);
  subscriptions_.erase(it);
}

void Session::release_held(Subscription& sub, std::uint64_t after_revision) {
  auto held = std::move(sub.held_frames);
  sub.held_frames.clear();
  sub.held = false;
  if (after_revision == std::numeric_limits<std::uint64_t>::max()) return;
  sub.revision = after_revision;
  for (auto& update : held) send_update(sub, std::move(update));
}

void Session::send_update(Subscription& sub, Subscription::Update update) {
  // (Revision 0: a message without one, passed on as it is.)
  if (update.revision != 0 && update.revision <= sub.revision) return;
  if (update.ends_commit) sub.revision = update.revision;
  send(std::move(update.frame));
}

void Session::leave_streams(const std::string& identifier,
                            const Subscription& sub) {
  for (const auto& s : sub.streams) {
    context_.hub.unsubscribe(s, identifier, this);
  }
}

void Session::drop_unwritten() {
  while (write_queue_.size() > (write_offset_ > 0 ? 1u : 0u)) {
    unqueued(write_queue_.back());
    write_queue_.pop_back();
  }
}

void Session::deliver(SharedFrame frame) {
  context_.metrics.broadcasts_received.Increment();
  loop_.deliver(shared_from_this(), std::move(frame));
}

bool Session::queue_broadcast(SharedFrame frame) {
  if (state_ != State::kOpen || !push(std::move(frame), false)) return false;
  if (flush_pending_) return false;
  flush_pending_ = true;
  return true;
}

void Session::flush_broadcasts() {
  flush_pending_ = false;
  write_next();
}

void Session::deliver_state(SharedFrame frame, absl::string_view identifier,
                            std::uint64_t revision, bool ends_commit) {
  context_.metrics.broadcasts_received.Increment();
  net::post(
      socket_.get_executor(),
      [self = shared_from_this(), frame = std::move(frame),
       identifier = std::string(identifier), revision, ends_commit]() mutable {
        if (self->state_ != State::kOpen) return;
        auto it = self->subscriptions_.find(identifier);
        if (it == self->subscriptions_.end()) return;  // left meanwhile
        Subscription& sub = it->second;
        if (!sub.held) {
          self->send_update(sub, {std::move(frame), revision, ends_commit});
          return;
        }
        if (sub.held_frames.size() >= self->context_.options.max_queue_frames) {
          self->disconnect_slow();
          return;
        }
        sub.held_frames.push_back({std::move(frame), revision, ends_commit});
      });
}

void Session::tick(SharedFrame ping) {
  net::post(socket_.get_executor(), [self = shared_from_this(),
                                     ping = std::move(ping)]() mutable {
    const auto now = Clock::now();
    const auto limit = self->context_.options.write_timeout;
    if (self->state_ == State::kClosing && now - self->closing_since_ > limit) {
      self->close_now();
      return;
    }
    if (self->state_ != State::kOpen) return;
    if (self->expires_at_unix_ms_ > 0 &&
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
                .count() >= self->expires_at_unix_ms_) {
      // AnyCable's behaviour: the client must get a new token first.
      self->close(ws::kCloseNormal, "token expired",
                  protocol::DisconnectFrame("token_expired", false));
      return;
    }
    if ((self->writing_ && now - self->write_started_ > limit) ||
        self->stalled(now)) {
      self->disconnect_slow();
      return;
    }
    // A client silent for half the idle period gets a protocol ping (which
    // every WebSocket client answers); one silent for all of it is gone.
    const auto silent = now - self->last_read_;
    const auto idle = IdlePeriod(self->context_.options);
    if (silent > idle) {
      spdlog::info("session {}: nothing received for {} ms, closed", self->sid_,
                   std::chrono::duration_cast<std::chrono::milliseconds>(silent)
                       .count());
      self->close_now();
      return;
    }
    self->send(std::move(ping));
    if (silent > idle / 2) {
      self->enqueue(std::make_shared<const std::string>(
                        ws::EncodeFrame(ws::Opcode::kPing, {})),
                    true);
    }
  });
}

void Session::shutdown() {
  net::post(socket_.get_executor(), [self = shared_from_this()] {
    if (self->state_ == State::kHandshake) {
      self->close_now();
      return;
    }
    self->close(ws::kCloseGoingAway, "server shutting down",
                protocol::DisconnectFrame("server_restart", true));
  });
}

void Session::disconnect_if_matches(
    std::shared_ptr<const v1::DisconnectClientsRequest> request) {
  net::post(socket_.get_executor(), [self = shared_from_this(),
                                     request = std::move(request)] {
    if (self->state_ != State::kOpen) return;
    for (const auto& [name, value] : request->identifiers()) {
      auto it = self->identifiers_.find(name);
      if (it == self->identifiers_.end() || it->second != value) return;
    }
    self->close(ws::kCloseNormal, "remote",
                protocol::DisconnectFrame("remote", request->reconnect()));
  });
}

void Session::transmit(
    std::shared_ptr<const internal::v1::DirectTransmission> transmission) {
  net::post(socket_.get_executor(), [self = shared_from_this(),
                                     transmission = std::move(transmission)] {
    if (self->state_ != State::kOpen) return;
    for (const auto& frame : transmission->frames()) {
      self->send(std::make_shared<const std::string>(ws::TextFrame(frame)));
    }
  });
}

void Session::send_reply(std::string text) {
  enqueue(std::make_shared<const std::string>(ws::TextFrame(text)), true);
}

void Session::send(SharedFrame frame) { enqueue(std::move(frame), false); }

void Session::enqueue(SharedFrame frame, bool reply) {
  if (push(std::move(frame), reply)) write_next();
}

bool Session::push(SharedFrame frame, bool reply) {
  if (state_ == State::kClosing || state_ == State::kClosed) return false;
  const auto& options = context_.options;
  // Each kind of frame has its own byte bound, and one frame may take it
  // past the bound (a multi-megabyte state must get through an empty
  // queue). Replies are bounded apart from broadcasts: a joining client's
  // backlog and state must not count as it being slow.
  std::size_t& bytes = reply ? reply_bytes_ : queued_bytes_;
  const std::size_t limit =
      reply ? options.max_reply_queue_bytes : options.max_queue_bytes;
  if (write_queue_.size() >= options.max_queue_frames ||
      (bytes > 0 && bytes + frame->size() > limit)) {
    disconnect_slow();
    return false;
  }
  bytes += frame->size();
  write_queue_.push_back({std::move(frame), reply});
  return true;
}

void Session::push_unbounded(std::string bytes) {
  reply_bytes_ += bytes.size();
  write_queue_.push_back(
      {std::make_shared<const std::string>(std::move(bytes)), true});
}

void Session::unqueued(const Queued& queued) {
  (queued.reply ? reply_bytes_ : queued_bytes_) -= queued.frame->size();
}

void Session::disconnect_slow() {
  context_.metrics.slow_disconnects.Increment();
  spdlog::info("session {}: too slow ({} frames, {} + {} bytes queued)", sid_,
               write_queue_.size(), queued_bytes_, reply_bytes_);
  close(ws::kClosePolicyViolation, "too slow",
        protocol::DisconnectFrame("too_slow", true));
}

void Session::write_next() {
  if (writing_ || !socket_.is_open()) return;
  // Everything queued (up to kGather frames) in one non-blocking write.
  static constexpr std::size_t kGather = 64;
  // (TLS: a record the socket did not take is flushed even once the queue
  // is empty.)
  while (!write_queue_.empty() || (tls_ && tls_->write_pending())) {
    std::array<net::const_buffer, kGather> buffers;
    std::size_t n = 0;
    std::size_t wanted = 0;
    for (auto it = write_queue_.begin();
         it != write_queue_.end() && n < kGather; ++it, ++n) {
      buffers[n] = net::buffer(*it->frame) + (n == 0 ? write_offset_ : 0);
      wanted += buffers[n].size();
    }
    beast::error_code ec;
    // Over TLS, what was taken may still wait for the socket (blocked).
    std::size_t written =
        write_some(std::span<const net::const_buffer>(buffers.data(), n), ec);
    const bool blocked =
        ec == net::error::would_block || ec == net::error::try_again;
    if (ec && !blocked) {
      close_now();  // the read side sees it and finishes the session
      return;
    }
    written_bytes_ += written;
    const bool all = written == wanted && !blocked;
    while (written > 0) {
      const std::size_t left =
          write_queue_.front().frame->size() - write_offset_;
      if (written < left) {
        write_offset_ += written;
        break;
      }
      written -= left;
      write_offset_ = 0;
      unqueued(write_queue_.front());
      write_queue_.pop_front();
      context_.metrics.frames_sent.Increment();
    }
    if (!all) {
      // The socket's buffer is full: wait until it takes more.
      writing_ = true;
      write_started_ = Clock::now();
      socket_.async_wait(tcp::socket::wait_write,
                         [self = shared_from_this()](beast::error_code ec) {
                           self->writing_ = false;
                           if (!ec) self->write_next();
                         });
      return;
    }
  }
  if (state_ == State::kClosing && !close_sent_) {
    close_sent_ = true;  // the close frame was the last thing queued
    if (close_received_) finish_close();
  }
}

bool Session::stalled(Clock::time_point now) {
  // What the kernel holds for the client and it has not acknowledged; the
  // part it did acknowledge is the client's progress.
  int unacked = 0;
  if (::ioctl(socket_.native_handle(), SIOCOUTQ, &unacked) != 0) return false;
  // (Over TLS the kernel holds records: count what went to it as such.)
  const std::uint64_t sent = tls_ ? tls_->bytes_sent() : written_bytes_;
  const std::uint64_t acked =
      sent - static_cast<std::uint64_t>(std::max(unacked, 0));
  const bool progress = unacked == 0 || acked != acked_bytes_;
  acked_bytes_ = acked;
  if (progress) {
    stalled_since_.reset();
    return false;
  }
  if (!stalled_since_) stalled_since_ = now;
  return now - *stalled_since_ > context_.options.write_timeout;
}

void Session::close(std::uint16_t code, std::string reason,
                    std::string last_message) {
  if (state_ == State::kClosing || state_ == State::kClosed) return;
  state_ = State::kClosing;
  closing_since_ = Clock::now();
  for (auto& [id, sub] : subscriptions_) sub.timers.clear();
  drop_unwritten();
  if (!last_message.empty()) push_unbounded(ws::TextFrame(last_message));
  push_unbounded(ws::CloseFrame(code, reason));
  write_next();
}

void Session::finish_close() {
  if (tls_) tls_->shutdown(socket_);  // close_notify
  beast::error_code ec;
  socket_.shutdown(net::socket_base::shutdown_send, ec);
  socket_.close(ec);
}

void Session::close_now() {
  beast::error_code ec;
  // Cut, don't drain: without this the kernel keeps pushing what is still
  // in the send buffer (megabytes, for a slow client) after close.
  socket_.set_option(net::socket_base::linger(true, 0), ec);
  socket_.shutdown(net::socket_base::shutdown_both, ec);
  socket_.close(ec);
}

void Session::on_closed() {
  if (state_ == State::kClosed) return;
  const bool was_accepted = state_ != State::kHandshake;
  state_ = State::kClosed;
  context_.open_sockets.fetch_sub(1, std::memory_order_relaxed);
  // The streams stay listed: Disconnect reports them to the service.
  for (auto& [identifier, sub] : subscriptions_) {
    sub.timers.clear();
    leave_streams(identifier, sub);
  }
  drop_unwritten();
  commands_.clear();
  if (was_accepted) context_.metrics.connections_active.Decrement();
  release();
}

void Session::release() {
  // A call in flight finishes first (on_connected, on_command_done call
  // back here) so that the service hears about every subscription it made.
  if (connect_pending_ || command_in_flight_) return;
  if (connected_) {
    send_disconnect();
  } else {
    context_.forget(sid_);
  }
}

void Session::send_disconnect() {
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
    for (const auto& s : sub.streams) snapshot->add_streams(s);
  }
  subscriptions_.clear();
  // The session stays in the gateway's registry until the service has run
  // its Disconnect: shutdown waits for that before stopping the service.
  context_.service.disconnect(
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
