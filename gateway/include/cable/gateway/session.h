#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "cable/gateway/close_handshake.h"
#include "cable/gateway/command_pipeline.h"
#include "cable/gateway/frame_sink.h"
#include "cable/gateway/heartbeat.h"
#include "cable/gateway/rate_limiter.h"
#include "cable/gateway/session_store.h"
#include "cable/gateway/subscription_set.h"
#include "cable/gateway/websocket.h"
#include "cable/gateway/write_queue.h"
#include "cable/history.h"
#include "cable/internal/v1/cable.pb.h"
#include "cable/protocol.h"
#include "cable/v1/publisher.pb.h"

namespace cable::gateway {

class EventLoop;
class SessionContext;
class TlsConnection;

// One client's WebSocket connection. Everything it owns is touched only on
// its event loop (gateway/event_loop.h: one thread, so the loop is the
// connection's strand); `deliver`, `ping` and `shutdown` may be called from
// any thread and post onto it.
//
// The WebSocket protocol is spoken here directly over the socket
// (gateway/websocket.h): frames arrive encoded once for every socket, and
// whatever is queued goes out in one gathered, non-blocking write; only a
// socket whose buffer is full waits (for writability). An idle connection
// holds a parked wait for readability and nothing else. Over TLS the same
// happens through a TlsConnection (OpenSSL on the socket's descriptor):
// records in, plaintext out, with the same waits.
//
// Commands take effect in the order sent: one call to the service is in
// flight per connection and the rest wait (CommandPipeline). A command that
// starts streams is finished only once they are live (the Hub says so
// asynchronously, never blocking the loop): its answer, with
// confirm_subscription, goes out then. Outbound frames wait in a bounded
// queue (WriteQueue); a client that lets it overflow is dropped
// ("too_slow") without delaying anyone else.
//
// Session is the glue between its parts, in files: session.cc (the
// connection's life: upgrade, connect, ticks, close, disconnect),
// session_commands.cc (commands, subscriptions, streams, timers),
// session_history.cc (replays), session_restore.cc (session restore) and
// session_socket.cc (the socket and RFC 6455: reads, writes, the close
// handshake).
class Session final : public FrameSink,
                      public std::enable_shared_from_this<Session> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  // `socket` runs on `loop`; `tls` is its TLS session (null: plain).
  Session(boost::asio::ip::tcp::socket&& socket,
          std::unique_ptr<TlsConnection> tls, EventLoop& loop,
          SessionContext& context, std::string sid);
  ~Session() override;

  // Answers the WebSocket handshake of `request` (HttpSession checked it)
  // and starts the session; `early` holds bytes the client sent after the
  // request without waiting for the answer.
  void Run(const Request& request, std::string subprotocol,
           std::string early = {});

  void Deliver(SharedFrame frame) override;
  void DeliverState(SharedFrame frame, absl::string_view identifier,
                    std::uint64_t revision, bool ends_commit) override;
  bool extended() const override { return extended_; }
  void DeliverPositioned(SharedFrame frame, absl::string_view identifier,
                         absl::string_view stream, absl::string_view epoch,
                         std::uint64_t offset) override;
  // Called every ping interval by the gateway: sends the shared `ping`
  // frame once the connection is welcomed, a protocol ping to a client
  // silent for half the idle period (max(10 s, 10 pings)), and cuts a
  // socket whose write (or close) has been stuck longer than the write
  // timeout or whose client stayed silent for the whole idle period.
  void Tick(SharedFrame ping);
  // Sends disconnect{server_restart, reconnect: true} and closes with 1001.
  void Shutdown();
  // Publisher.Disconnect: if this connection carries every identifier in
  // `request`, sends disconnect{remote} and closes with 1000.
  void DisconnectIfMatches(
      std::shared_ptr<const v1::DisconnectClientsRequest> request);
  // Sends frames a service addressed to this connection.
  void Transmit(
      std::shared_ptr<const internal::v1::DirectTransmission> transmission);

  const std::string& sid() const { return sid_; }

  // On the loop, from EventLoop: queues a broadcast frame; true if the
  // socket now needs a flush_broadcasts() (once per batch).
  bool QueueBroadcast(SharedFrame frame);
  void FlushBroadcasts();

 private:
  enum class State { kHandshake, kConnecting, kOpen, kClosing, kClosed };
  // A command's answer waiting for the streams it started to go live.
  struct Answer {
    Command command;
    internal::v1::CommandResponse response;
  };
  // Session restore, from the upgrade until the welcome: the session the
  // client came back from, what the store kept of it, and, once the
  // service connected us, the welcome and every frame that must wait for it
  // while the gateway subscribes again.
  struct Restore {
    std::string sid;
    SessionSnapshot snapshot;
    // Between Connect's success and the welcome.
    bool active = false;
    std::vector<std::string> welcome;
    std::vector<std::pair<SharedFrame, bool>> held;  // (frame, reply)
  };
  // What this session last saved in the SessionStore.
  struct Snapshot {
    SessionSnapshot saved;
    Clock::time_point saved_at;
    bool written = false;
    // After a restore's welcome: when the restored subscriptions stop
    // waiting for the client's history command (null: not armed).
    std::unique_ptr<boost::asio::steady_timer> restore_wait;
  };
  // A `history` command's reads, one page per stream, until all are in.
  struct Replay {
    std::string identifier;
    std::vector<std::string> streams;
    // One per stream; empty: nothing was asked of that stream.
    std::vector<std::optional<absl::StatusOr<HistoryPage>>> pages;
    std::size_t left = 0;
  };

  // session.cc: the connection's life.
  void OnAccept();
  void Connect();
  void OnConnected(absl::StatusOr<internal::v1::ConnectResponse> response);
  void OnTick(const SharedFrame& ping);
  void OnClosed();
  // Once no Connect or command call is pending: sends Disconnect if the
  // service connected us, then leaves the gateway's registry.
  void Release();
  void SendDisconnect();

  // session_commands.cc: what the client asks, and its subscriptions.
  void HandleFrame(absl::string_view text);
  void EnqueueCommand(Command command);
  void PumpCommands();
  bool Precheck(const Command& command);
  void OnCommandDone(Command command,
                     absl::StatusOr<internal::v1::CommandResponse> response);
  // The service could not be reached: tells the client what it waits for.
  void OnCommandFailed(const Command& command, const absl::Status& status);
  // Applies a successful answer's changes to the subscription, starts its
  // new streams and finishes once they are live.
  void Apply(Answer answer);
  void StartStreams(const std::string& identifier,
                    const std::vector<std::string>& streams,
                    std::uint64_t generation);
  void OnStreamStarted(std::uint64_t generation, const std::string& stream,
                       absl::Status status);
  // The answer's streams are live (or one failed): sends its transmissions
  // (or rejects the subscription) and lets the next command go.
  void FinishCommand();
  void StartTimers(const std::string& identifier,
                   SubscriptionSet::Subscription& sub,
                   const internal::v1::CommandResponse& response);
  void StopTimers(SubscriptionSet::Subscription& sub,
                  const std::string& identifier);
  void ArmTimer(const std::string& identifier, std::uint64_t generation,
                std::size_t index);
  void RemoveSubscription(const std::string& identifier);
  // The answer to "sync" (nullopt: it failed): sends the held updates the
  // client's state does not cover, and lets the subscription go live.
  void ReleaseHeld(SubscriptionSet::Subscription& sub,
                   std::optional<std::uint64_t> after_revision);
  void LeaveStreams(const std::string& identifier,
                    const std::vector<std::string>& streams);
  // session_history.cc: the extended protocol's replays. Reads every
  // stream of the subscription from the history (live frames wait in its
  // HistoryGate meanwhile), then sends what the client missed,
  // confirm_history (or reject_history) and the held frames it still needs.
  void StartHistory(const Command& command);
  void OnHistoryPage(std::size_t index, absl::StatusOr<HistoryPage> page);
  void FinishHistory();

  // session_restore.cc: session restore (docs/protocol.md). Notes the
  // `sid` the upgrade request asks to restore (a well-formed one, on the
  // extended protocol, with a store).
  void ReadRestoreRequest(const Request& request);
  // Looks the old session up, then connects.
  void LookUpSession();
  void OnSessionLoaded(absl::StatusOr<std::optional<SessionSnapshot>> snapshot);
  // Connected with a snapshot: queues its subscribes (and the mark after
  // them) ahead of what the client sent; `welcome` is Connect's answer.
  void BeginRestore(std::vector<std::string> welcome);
  // The mark: sends the welcome with restored_ids, then what waited.
  void FinishRestore();
  bool restoring() const { return restore_ != nullptr && restore_->active; }
  // While restoring, outbound frames wait for the welcome (bounded by
  // max_queue_frames, then too_slow).
  void HoldForRestore(const SharedFrame& frame, bool reply);
  // Whether `frame`, a transmission of restore's `command`, is its
  // confirm_subscription or reject_subscription (not sent).
  static bool RestoreAnswer(const Command& command, absl::string_view frame);
  // Whether `identifier` is a subscription whose live frames wait for a
  // history command (a restored one, until the client asks).
  bool AwaitsHistory(absl::string_view identifier);
  // After the welcome: restored subscriptions whose client has not asked
  // for history within restore_history_wait go live.
  void ArmRestoreWait();
  void ReleaseUnaskedHistory();
  // Saves the plain subscriptions' identifiers if they changed; refreshes
  // them every half TTL so that the store keeps them while we live.
  void SaveSnapshot();
  void RefreshSnapshot(Clock::time_point now);

  // session_socket.cc: the socket and the WebSocket protocol on it.
  // Waits for the socket to be readable, then reads what is there.
  void Read();
  void OnReadable(boost::beast::error_code ec);
  // Parses what the client sent; false once the socket is closed.
  bool Consume(absl::Span<char> bytes);
  void OnFrame(const ws::Frame& frame);
  // A broadcast (or pushed) frame, bounded by max_queue_bytes.
  void Send(SharedFrame frame);
  // What the service answered to the client's own command (or connect),
  // bounded by max_reply_queue_bytes; `text` is a message, framed here.
  void SendReply(std::string text);
  void Enqueue(SharedFrame frame, bool reply);
  // Queues without writing; false if the queue overflowed (the client is
  // being disconnected).
  bool Push(SharedFrame frame, bool reply);
  // Writes as much of the queue as the socket takes without blocking; if
  // it takes less, waits for writability.
  void WriteNext();
  // Reads into the loop's read buffer / writes `buffers` without blocking,
  // through TLS if the connection has it.
  std::size_t read_some(absl::Span<char> buffer, boost::beast::error_code& ec);
  std::size_t write_some(std::span<const boost::asio::const_buffer> buffers,
                         boost::beast::error_code& ec);
  // What the kernel holds for the client (Heartbeat's stall check).
  std::optional<Heartbeat::SendQueue> SendQueue();
  // Closes the connection: optional last message, then a close frame with
  // `code`, then waits for the client's close frame. A stuck socket is cut
  // after the write timeout.
  void Close(std::uint16_t code, std::string reason,
             std::string last_message = {});
  // Cuts the connection at once, dropping what the kernel still holds.
  void CloseNow();
  // Both close frames went: closes the socket.
  void FinishClose();
  void DisconnectSlow();

  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<TlsConnection> tls_;
  EventLoop& loop_;
  SessionContext& context_;
  const std::string sid_;
  State state_ = State::kHandshake;
  ws::Reader reader_;
  // The cable.internal.v1.Env of the upgrade request, serialized: every
  // call to the service carries it, and the bytes cost an idle connection
  // far less than the parsed maps.
  std::string env_;
  std::map<std::string, std::string> identifiers_;
  std::map<std::string, std::string> cstate_;

  SubscriptionSet subscriptions_;
  // The running timers of each subscription, of its current generation.
  absl::flat_hash_map<std::string,
                      std::vector<std::unique_ptr<boost::asio::steady_timer>>>
      timers_;
  CommandPipeline commands_;
  // On the heap: a CommandResponse is some 400 bytes that an idle
  // connection should not carry (it exists only while streams start).
  std::unique_ptr<Answer> answer_;
  StreamWait stream_wait_;
  // The history replay in flight (it is the pipeline's one call).
  std::unique_ptr<Replay> replay_;
  // A restore asked for and under way (null: none).
  std::unique_ptr<Restore> restore_;
  // Extended-protocol sessions with a SessionStore only.
  std::unique_ptr<Snapshot> snapshot_;

  WriteQueue write_queue_;
  // Waiting for the socket to take more.
  bool writing_ = false;
  // Listed for the loop's flush of this batch.
  bool flush_pending_ = false;
  // Bytes the kernel took from us.
  std::uint64_t written_bytes_ = 0;
  Heartbeat heartbeat_;
  CommandRateLimiter limiter_;
  // When the client's token expires (checked every tick); 0: never.
  std::int64_t expires_at_unix_ms_ = 0;
  CloseHandshake close_handshake_;
  // The service ran `connect` for us: it must hear `Disconnect` once.
  bool connected_ = false;
  bool connect_pending_ = false;
  // The client chose actioncable-v1-ext-json.
  bool extended_ = false;
};

}  // namespace cable::gateway
