#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/string_view.h"
#include "cable/command_kind.h"
#include "cable/gateway/small_queue.h"
#include "cable/protocol.h"

namespace cable::gateway {

// A command on its way to the service: what the client sent, or what the
// gateway adds (periodic timer ticks, the sync after a join, the leave or
// unsubscribe that undoes a failed subscription).
struct Command {
  Command() = default;
  Command(internal::v1::CommandKind kind, std::string identifier,
          std::string data = {},
          std::shared_ptr<const protocol::HistoryRequest> history = nullptr)
      : kind(kind),
        identifier(std::move(identifier)),
        data(std::move(data)),
        history(std::move(history)) {}

  internal::v1::CommandKind kind = internal::v1::COMMAND_KIND_UNSPECIFIED;
  std::string identifier;
  // What the service gets as `data`; on a subscribe, the presence object
  // an extended-protocol client joins once subscribed (not sent).
  std::string data;
  // An extended-protocol client's `history` (on subscribe or history).
  std::shared_ptr<const protocol::HistoryRequest> history;
  // Session restore's: a subscribe the gateway makes again for a client
  // that came back (its confirmation is not sent), or, with kind
  // COMMAND_KIND_UNSPECIFIED, the mark after them (the welcome goes then).
  bool restore = false;
};

// "join" opens a subscription like "subscribe", "leave" closes one like
// "unsubscribe".
bool Opens(internal::v1::CommandKind kind);
bool Closes(internal::v1::CommandKind kind);
// The command that undoes the one that opened a subscription.
internal::v1::CommandKind Undoing(internal::v1::CommandKind opened_by);

// The order in which one connection's commands reach the service: one call
// in flight, the rest queued in the order sent (a `message` never
// overtakes the `subscribe` before it), follow-ups the gateway adds ahead
// of the client's, and a periodic tick never queued twice. Pure: no I/O,
// no clock; the session feeds it and runs what it hands out.
class CommandPipeline final {
 public:
  // At most `max_pending` commands wait behind the one in flight.
  explicit CommandPipeline(std::size_t max_pending)
      : max_pending_(max_pending) {}

  // Queues a client's command; false (nothing queued) when the queue is
  // full: the client is flooding and is closed.
  bool Push(Command command);
  // Queues a follow-up ahead of everything waiting: it runs next.
  void push_front(Command command);
  // Queues a timer's tick unless one for the same (identifier, action)
  // still waits behind a slow service; false if coalesced into it.
  bool PushPeriodic(absl::string_view identifier, absl::string_view action);

  // The next command to send, if none is in flight; it is then in flight
  // until done().
  std::optional<Command> Next();
  // The call in flight answered (or was not made after all).
  void Done() { in_flight_ = false; }

  bool in_flight() const { return in_flight_; }
  std::size_t size() const { return queue_.size(); }
  bool empty() const { return queue_.empty(); }
  // Drops what waits (the socket closed); a call in flight stays so.
  void clear();

 private:
  const std::size_t max_pending_;
  SmallQueue<Command> queue_;
  bool in_flight_ = false;
};

}  // namespace cable::gateway
