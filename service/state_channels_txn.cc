// Txn, the transaction under StateChannels::LockState: it locks and loads
// the channels it touches, runs the application's LockState functions over
// their states, and on commit writes every change at once to the store,
// then publishes the updates while the channels are still locked (rolling
// back and unlocking on any error). The rest of StateChannels is in
// state_channels.cc.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cable/protocol.h"
#include "cable/pubsub.h"
#include "cable/service/state_channels.h"
#include "state_channels_internal.h"

namespace cable::service {
namespace {

using nlohmann::json;
using state_channels_internal::Dump;
using state_channels_internal::Guarded;

absl::StatusOr<json> ParseState(absl::string_view name,
                                absl::string_view text) {
  json parsed = json::parse(text.begin(), text.end(), nullptr, false);
  if (parsed.is_discarded()) {
    return absl::DataLossError(
        absl::StrCat("stored state of channel \"", name, "\" is not JSON"));
  }
  return parsed;
}

}  // namespace

Txn::Txn(StateChannels& channels, std::string worker)
    : channels_(&channels),
      owner_(channels.NewOwner()),
      worker_(std::move(worker)) {}

Txn::Txn(Txn&& other) noexcept
    : channels_(other.channels_),
      owner_(std::move(other.owner_)),
      worker_(std::move(other.worker_)),
      pending_(std::move(other.pending_)),
      running_(std::move(other.running_)),
      failed_(std::move(other.failed_)),
      done_(other.done_) {
  other.done_ = true;
}

Txn::~Txn() { Rollback(); }

absl::Status Txn::Load(const std::vector<std::string>& names) {
  std::vector<std::string> missing;
  for (const auto& name : names) {
    if (!pending_.contains(name) &&
        std::find(missing.begin(), missing.end(), name) == missing.end()) {
      missing.push_back(name);
    }
  }
  if (missing.empty()) return absl::OkStatus();
  StateStore& store = channels_->store_;
  absl::Status locked =
      store.Lock(owner_, missing, channels_->options_.lock_timeout);
  if (!locked.ok()) return locked;
  for (const auto& name : missing) {
    absl::StatusOr<ChannelRecord> record = store.Get(name);
    absl::StatusOr<json> state = record.ok()
                                     ? ParseState(name, record->state)
                                     : absl::StatusOr<json>(record.status());
    if (!state.ok()) {
      store.Unlock(owner_, missing);
      for (const auto& n : missing) pending_.erase(n);
      return state.status();
    }
    Pending& p = pending_[name];
    p.before = *state;
    p.state = *std::move(state);
    p.revision = record->revision;
    p.last_event_id = record->last_event_id;
  }
  return absl::OkStatus();
}

absl::Status Txn::LockState(const std::string& name, const LockFn& fn) {
  return LockState(
      std::vector<std::string>{name},
      [&fn](std::vector<json>& states) -> absl::StatusOr<std::vector<Change>> {
        absl::StatusOr<Change> change = fn(states[0]);
        if (!change.ok()) return change.status();
        return std::vector<Change>{*std::move(change)};
      });
}

absl::Status Txn::LockState(const std::vector<std::string>& names,
                            const MultiLockFn& fn) {
  if (done_) return absl::FailedPreconditionError("transaction has ended");
  if (!failed_.ok()) return failed_;
  if (names.empty()) {
    failed_ = absl::InvalidArgumentError("LockState: no channel names");
    return failed_;
  }
  for (const auto& name : names) {
    if (running_.contains(name)) {
      // The outer call's function owns this channel's state until it
      // returns; a nested change to it would be overwritten.
      failed_ = absl::FailedPreconditionError(
          absl::StrCat("LockState on channel \"", name,
                       "\" nested inside its own LockState"));
      return failed_;
    }
  }
  absl::Status loaded = Load(names);
  if (!loaded.ok()) {
    failed_ = loaded;
    return failed_;
  }
  std::vector<json> states;
  states.reserve(names.size());
  for (const auto& name : names) states.push_back(pending_[name].state);
  for (const auto& name : names) running_.insert(name);
  absl::StatusOr<std::vector<Change>> changes = Guarded<std::vector<Change>>(
      "LockState function", [&] { return fn(states); });
  for (const auto& name : names) running_.erase(name);
  if (changes.ok() && changes->size() != names.size()) {
    changes = absl::InvalidArgumentError(
        absl::StrCat("LockState function returned ", changes->size(),
                     " changes for ", names.size(), " channels"));
  } else if (changes.ok() && states.size() != names.size()) {
    changes = absl::InvalidArgumentError(
        absl::StrCat("LockState function resized its states to ",
                     states.size(), " for ", names.size(), " channels"));
  }
  // A nested LockState that failed fails this one too, even if `fn`
  // ignored its status.
  if (changes.ok() && !failed_.ok()) changes = failed_;
  if (!changes.ok()) {
    // An error anywhere rolls the whole transaction back.
    failed_ = changes.status();
    return failed_;
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    Pending& p = pending_[names[i]];
    p.state = std::move(states[i]);
    for (auto& event : (*changes)[i].events) {
      p.events.push_back(std::move(event));
    }
    p.guard += (*changes)[i].guard;
  }
  return absl::OkStatus();
}

absl::Status Txn::Commit() {
  if (done_) return absl::FailedPreconditionError("transaction has ended");
  if (!failed_.ok()) {
    absl::Status failed = failed_;
    Rollback();
    return failed;
  }
  StateStore& store = channels_->store_;
  std::vector<ChannelWrite> writes;
  std::vector<const Pending*> written;
  std::vector<std::string> names;
  for (auto& [name, p] : pending_) {
    names.push_back(name);
    const bool changed = p.state != p.before;
    if (!changed && p.events.empty() && p.guard == 0 &&
        p.clear_guards_of.empty()) {
      continue;
    }
    ChannelWrite w;
    w.name = name;
    w.expected_revision = p.revision;
    if (changed) w.state = Dump(p.state);
    for (const auto& event : p.events) w.events.push_back(Dump(event));
    w.guard_delta = p.guard;
    w.worker = worker_;
    w.clear_guards_of = p.clear_guards_of;
    writes.push_back(std::move(w));
    written.push_back(&p);
  }
  if (!writes.empty() &&
      std::any_of(writes.begin(), writes.end(), [](const ChannelWrite& w) {
        return w.guard_delta != 0 && w.worker.empty();
      })) {
    Rollback();
    return absl::InvalidArgumentError(
        "a guard count change needs a worker (LockState through the "
        "client, or pass the worker)");
  }
  absl::Status status;
  if (!writes.empty()) {
    absl::StatusOr<std::vector<CommitResult>> results =
        store.Commit(owner_, writes);
    if (!results.ok()) {
      status = results.status();
    } else {
      // Published while the channels are still locked: the next writer's
      // updates cannot overtake these.
      bool published = false;
      for (std::size_t i = 0; i < writes.size(); ++i) {
        const Pending& p = *written[i];
        const CommitResult& r = (*results)[i];
        if (r.revision == p.revision) continue;  // guard counts only
        const json patch =
            writes[i].state ? json::diff(p.before, p.state) : json();
        for (const auto& message : StateUpdateMessages(
                 r.revision, r.first_event_id, p.events, patch)) {
          absl::Status sent = channels_->pubsub_.Broadcast(
              protocol::StateStream(r.name), message);
          if (!sent.ok()) {
            // The state is written; clients see a revision gap on the next
            // update and fetch the state again.
            spdlog::warn("channel {}: update {} not published: {}", r.name,
                         r.revision, sent.ToString());
          }
          published = true;
        }
      }
      if (published) {
        // Blocking is right here: this runs on a state worker thread, and
        // the channels' locks must be held until the updates are out.
        absl::Status flushed = FlushAndWait(channels_->pubsub_);
        if (!flushed.ok()) {
          spdlog::warn("state updates not flushed: {}", flushed.ToString());
        }
      }
    }
  }
  store.Unlock(owner_, names);
  pending_.clear();
  done_ = true;
  return status;
}

void Txn::Rollback() {
  if (done_) return;
  done_ = true;
  std::vector<std::string> names;
  for (const auto& [name, p] : pending_) names.push_back(name);
  if (!names.empty()) channels_->store_.Unlock(owner_, names);
  pending_.clear();
}

}  // namespace cable::service
