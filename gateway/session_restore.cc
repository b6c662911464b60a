// Session: session restore (docs/protocol.md, "Session restore"). An
// extended-protocol connection's plain subscriptions are kept in the
// SessionStore while it lives and for the TTL after; a client that comes
// back with ?sid=<old sid> is connected as usual (the new request's own
// environment: a guessed sid gains nothing), then the gateway subscribes
// again, through the command pipeline, to what the old session had, and
// only then welcomes it with "restored":true and the identifiers it
// confirmed. Live frames of a restored subscription wait in its
// HistoryGate until the client asks for the history it missed.

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_split.h"
#include "cable/control_bus.h"
#include "cable/gateway/metrics.h"
#include "cable/gateway/options.h"
#include "cable/gateway/session.h"
#include "cable/gateway/session_context.h"

namespace cable::gateway {

namespace net = boost::asio;

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The value of the query parameter `name` in a request target
// ("/cable?a=1&sid=..."), percent-decoded; empty when absent or malformed.
std::string QueryParam(absl::string_view target, absl::string_view name) {
  const auto question = target.find('?');
  if (question == absl::string_view::npos) return {};
  for (absl::string_view pair :
       absl::StrSplit(target.substr(question + 1), '&')) {
    const auto eq = pair.find('=');
    if (eq == absl::string_view::npos || pair.substr(0, eq) != name) continue;
    const absl::string_view raw = pair.substr(eq + 1);
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '%') {
        out.push_back(raw[i] == '+' ? ' ' : raw[i]);
        continue;
      }
      if (i + 2 >= raw.size()) return {};
      const int hi = HexValue(raw[i + 1]);
      const int lo = HexValue(raw[i + 2]);
      if (hi < 0 || lo < 0) return {};
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    }
    return out;
  }
  return {};
}

// The service's welcome with the restore's fields added; any other frame
// as it is.
std::string RestoredWelcome(const std::string& frame,
                            const std::vector<std::string>& restored_ids) {
  nlohmann::ordered_json welcome =
      nlohmann::ordered_json::parse(frame, nullptr, /*allow_exceptions=*/false);
  if (!welcome.is_object() || welcome.value("type", "") != "welcome") {
    return frame;
  }
  welcome["restored"] = true;
  welcome["restored_ids"] = restored_ids;
  return welcome.dump();
}

}  // namespace

void Session::ReadRestoreRequest(const Request& request) {
  const auto target = request.target();
  std::string sid =
      QueryParam(absl::string_view(target.data(), target.size()), "sid");
  // A malformed sid is not looked up: the client just gets a new session.
  if (!control::ValidSessionId(sid)) return;
  restore_ = std::make_unique<Restore>();
  restore_->sid = std::move(sid);
}

void Session::LookUpSession() {
  context_.sessions->Load(
      restore_->sid,
      [self = shared_from_this()](
          absl::StatusOr<std::optional<SessionSnapshot>> snapshot) mutable {
        net::post(self->socket_.get_executor(),
                  [self, snapshot = std::move(snapshot)]() mutable {
                    self->OnSessionLoaded(std::move(snapshot));
                  });
      });
}

void Session::OnSessionLoaded(
    absl::StatusOr<std::optional<SessionSnapshot>> snapshot) {
  if (state_ != State::kConnecting) {
    // The client left meanwhile: nothing was connected.
    connect_pending_ = false;
    restore_.reset();
    if (state_ == State::kClosed) Release();
    return;
  }
  if (!snapshot.ok()) {
    spdlog::warn("session {}: session {} not looked up, not restored: {}", sid_,
                 restore_->sid, snapshot.status().ToString());
    restore_.reset();
  } else if (!snapshot->has_value()) {
    spdlog::debug("session {}: no session {} to restore", sid_, restore_->sid);
    restore_.reset();
  } else {
    restore_->snapshot = **std::move(snapshot);
  }
  Connect();
}

void Session::BeginRestore(std::vector<std::string> welcome) {
  restore_->active = true;
  restore_->welcome = std::move(welcome);
  // Ahead of whatever the client sent meanwhile, in the order they were
  // made: the subscribes, then the mark that sends the welcome.
  Command mark;
  mark.restore = true;
  commands_.push_front(std::move(mark));
  const SessionSnapshot& snapshot = restore_->snapshot;
  for (auto it = snapshot.rbegin(); it != snapshot.rend(); ++it) {
    Command subscribe(internal::v1::COMMAND_KIND_SUBSCRIBE, *it);
    subscribe.restore = true;
    commands_.push_front(std::move(subscribe));
  }
  PumpCommands();
}

void Session::FinishRestore() {
  std::unique_ptr<Restore> restore = std::move(restore_);
  // Confirmed: what is still subscribed (a rejected subscribe, or one whose
  // streams failed and was undone, is not).
  std::vector<std::string> restored;
  absl::flat_hash_set<absl::string_view> seen;
  for (const std::string& identifier : restore->snapshot) {
    if (subscriptions_.contains(identifier) && seen.insert(identifier).second) {
      restored.push_back(identifier);
    }
  }
  context_.metrics.sessions_restored.Increment();
  spdlog::debug("session {}: restored {} of {} subscriptions of session {}",
                sid_, restored.size(), restore->snapshot.size(), restore->sid);
  for (const std::string& frame : restore->welcome) {
    SendReply(RestoredWelcome(frame, restored));
  }
  for (auto& [frame, reply] : restore->held) Enqueue(std::move(frame), reply);
  // This session's snapshot, in the old one's order.
  if (snapshot_) {
    snapshot_->saved = std::move(restored);
    ArmRestoreWait();
  }
  SaveSnapshot();
}

void Session::ArmRestoreWait() {
  if (!snapshot_->restore_wait) {
    snapshot_->restore_wait =
        std::make_unique<net::steady_timer>(socket_.get_executor());
  }
  snapshot_->restore_wait->expires_after(context_.options.restore_history_wait);
  snapshot_->restore_wait->async_wait(
      [self = shared_from_this()](boost::system::error_code ec) {
        if (ec || self->state_ != State::kOpen) return;
        self->ReleaseUnaskedHistory();
      });
}

void Session::ReleaseUnaskedHistory() {
  // A history command queued or being replayed may be a restored
  // subscription's: its frames wait for that replay, so look again later.
  if (commands_.in_flight() || !commands_.empty()) {
    ArmRestoreWait();
    return;
  }
  // Nothing queued: a gate still held is a restored subscription whose
  // client asked for no history (a subscribe's own replay is a command).
  snapshot_->restore_wait.reset();
  for (auto& [identifier, sub] : subscriptions_) {
    if (sub.history == nullptr || !sub.history->held()) continue;
    spdlog::debug("session {}: no history asked for {}: live now", sid_,
                  identifier);
    for (auto& frame : sub.history->Release()) Send(std::move(frame));
  }
}

void Session::HoldForRestore(const SharedFrame& frame, bool reply) {
  if (restore_->held.size() >= context_.options.max_queue_frames) {
    restore_->held.clear();
    DisconnectSlow();
    return;
  }
  restore_->held.emplace_back(frame, reply);
}

bool Session::RestoreAnswer(const Command& command, absl::string_view frame) {
  return frame == protocol::ConfirmFrame(command.identifier) ||
         frame == protocol::RejectFrame(command.identifier);
}

bool Session::AwaitsHistory(absl::string_view identifier) {
  const auto* sub = subscriptions_.find(identifier);
  return sub != nullptr && sub->history != nullptr && sub->history->held();
}

void Session::SaveSnapshot() {
  if (!snapshot_ || restoring() || state_ != State::kOpen) return;
  // The plain subscriptions, those saved before in their order, then the
  // new one (commands finish one at a time: at most one is new).
  SessionSnapshot now;
  absl::flat_hash_set<absl::string_view> listed;
  for (const std::string& identifier : snapshot_->saved) {
    const auto* sub = subscriptions_.find(identifier);
    if (sub != nullptr &&
        sub->opened_by == internal::v1::COMMAND_KIND_SUBSCRIBE &&
        listed.insert(identifier).second) {
      now.push_back(identifier);
    }
  }
  for (const auto& [identifier, sub] : subscriptions_) {
    if (sub.opened_by == internal::v1::COMMAND_KIND_SUBSCRIBE &&
        !listed.contains(identifier)) {
      now.push_back(identifier);
    }
  }
  // (Nothing saved yet and nothing to save: a lookup finding nothing is
  // the same as finding no subscriptions.)
  if (now == snapshot_->saved && (snapshot_->written || now.empty())) return;
  snapshot_->saved = now;
  snapshot_->written = true;
  snapshot_->saved_at = context_.clock.now();
  context_.sessions->Save(sid_, std::move(now));
}

void Session::RefreshSnapshot(Clock::time_point now) {
  if (!snapshot_ || !snapshot_->written || snapshot_->saved.empty() ||
      now - snapshot_->saved_at < context_.options.session_ttl / 2) {
    return;
  }
  snapshot_->saved_at = now;
  context_.sessions->Save(sid_, snapshot_->saved);
}

}  // namespace cable::gateway
