#include "cable/service/state_channels.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cable/protocol.h"
#include "cable/pubsub.h"
#include "cable/random_hex.h"
#include "state_channels_internal.h"

namespace cable::service {
namespace {

using nlohmann::json;
using state_channels_internal::Dump;
using state_channels_internal::Guarded;

std::size_t Utf8Length(absl::string_view s) {
  std::size_t n = 0;
  for (char c : s) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) ++n;
  }
  return n;
}

}  // namespace

// ---- ChannelPath ----

ChannelPath::ChannelPath(std::initializer_list<Segment> segments) {
  std::vector<std::string> shown;
  for (const Segment& segment : segments) {
    if (const auto* fixed = std::get_if<std::string>(&segment)) {
      for (absl::string_view part : absl::StrSplit(*fixed, ':')) {
        parts_.emplace_back(std::string(part));
      }
      shown.push_back(*fixed);
    } else {
      const auto& pattern = std::get<Pattern>(segment);
      parts_.emplace_back(std::regex(pattern.source, std::regex::ECMAScript));
      shown.push_back(absl::StrCat("/", pattern.source, "/"));
    }
  }
  text_ = absl::StrJoin(shown, ":");
}

bool ChannelPath::Matches(absl::string_view name) const {
  std::vector<absl::string_view> parts = absl::StrSplit(name, ':');
  if (parts.size() != parts_.size()) return false;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (const auto* fixed = std::get_if<std::string>(&parts_[i])) {
      if (parts[i] != *fixed) return false;
    } else {
      const auto& re = std::get<std::regex>(parts_[i]);
      if (!std::regex_search(parts[i].begin(), parts[i].end(), re)) {
        return false;
      }
    }
  }
  return true;
}

// ---- StateClient ----

std::string StateClient::identifier(const std::string& key) const {
  auto it = identifiers_.find(key);
  return it == identifiers_.end() ? std::string() : it->second;
}

absl::Status StateClient::LockState(const std::string& name,
                                    const LockFn& fn) const {
  return channels_->LockState(name, fn, worker_);
}

absl::Status StateClient::LockState(const std::vector<std::string>& names,
                                    const MultiLockFn& fn) const {
  return channels_->LockState(names, fn, worker_);
}

Txn StateClient::begin() const { return channels_->begin(worker_); }

// ---- Txn: in state_channels_txn.cc ----

// ---- StateChannels ----

StateChannels::StateChannels(StateStore& store, PubSub& pubsub,
                             StateChannelsOptions options)
    : store_(store),
      pubsub_(pubsub),
      options_(options),
      instance_(RandomHex(8)),
      cleaner_(options_.clock != nullptr ? *options_.clock : RealClock(),
               options_.cleanup_interval, [this] {
                 absl::StatusOr<int> ran = Cleanup();
                 if (!ran.ok()) {
                   spdlog::warn("state cleanup: {}", ran.status().ToString());
                 }
               }) {}

StateChannels::~StateChannels() = default;

std::string StateChannels::NewOwner() {
  absl::MutexLock lock(&mu_);
  return absl::StrCat(instance_, "-", ++next_owner_);
}

void StateChannels::OnJoin(ChannelPath path, JoinHandler handler) {
  joins_.push_back({std::move(path), "", std::move(handler)});
}
void StateChannels::OnLeave(ChannelPath path, LeaveHandler handler) {
  leaves_.push_back({std::move(path), "", std::move(handler)});
}
void StateChannels::OnAction(ChannelPath path, std::string action,
                             ActionHandler handler) {
  actions_.push_back({std::move(path), std::move(action), std::move(handler)});
}
void StateChannels::OnRequest(ChannelPath path, std::string request,
                              RequestHandler handler) {
  requests_.push_back(
      {std::move(path), std::move(request), std::move(handler)});
}
void StateChannels::OnRequest(ChannelPath path, std::string request,
                              SyncRequestHandler handler) {
  OnRequest(std::move(path), std::move(request),
            [handler = std::move(handler)](const std::string& name,
                                           const StateClient& client,
                                           const json& payload, Reply reply) {
              reply(handler(name, client, payload));
            });
}
void StateChannels::OnCleanup(ChannelPath path, CleanupHandler handler) {
  cleanups_.push_back({std::move(path), "", std::move(handler)});
}

StateChannels::Handlers StateChannels::find(absl::string_view name) const {
  Handlers out;
  for (const auto& e : joins_) {
    if (e.path.Matches(name)) {
      out.join = &e.handler;
      break;
    }
  }
  for (const auto& e : leaves_) {
    if (e.path.Matches(name)) {
      out.leave = &e.handler;
      break;
    }
  }
  for (const auto& e : cleanups_) {
    if (e.path.Matches(name)) {
      out.cleanup = &e.handler;
      break;
    }
  }
  return out;
}

const ActionHandler* StateChannels::FindAction(absl::string_view name,
                                               absl::string_view action) const {
  for (const auto& e : actions_) {
    if (e.name == action && e.path.Matches(name)) return &e.handler;
  }
  return nullptr;
}

const RequestHandler* StateChannels::FindRequest(
    absl::string_view name, absl::string_view request) const {
  for (const auto& e : requests_) {
    if (e.name == request && e.path.Matches(name)) return &e.handler;
  }
  return nullptr;
}

absl::StatusOr<bool> StateChannels::CreateChannel(const std::string& name,
                                                  const json& state,
                                                  ChannelOptions options) {
  if (name.empty()) {
    return absl::InvalidArgumentError("channel name must not be empty");
  }
  if (name.size() > kMaxChannelNameBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("channel name is over ", kMaxChannelNameBytes, " bytes"));
  }
  if (Utf8Length(options.type) > kMaxChannelTypeChars) {
    return absl::InvalidArgumentError(absl::StrCat(
        "channel type is over ", kMaxChannelTypeChars, " characters"));
  }
  ChannelSpec spec;
  spec.name = name;
  spec.state = Dump(state);
  spec.type = std::move(options.type);
  spec.keep_events = options.keep_events;
  return store_.Create(spec);
}

absl::Status StateChannels::LockState(const std::string& name, const LockFn& fn,
                                      const std::string& worker) {
  Txn txn = begin(worker);
  absl::Status status = txn.LockState(name, fn);
  if (!status.ok()) return status;
  return txn.Commit();
}

absl::Status StateChannels::LockState(const std::vector<std::string>& names,
                                      const MultiLockFn& fn,
                                      const std::string& worker) {
  Txn txn = begin(worker);
  absl::Status status = txn.LockState(names, fn);
  if (!status.ok()) return status;
  return txn.Commit();
}

Txn StateChannels::begin(const std::string& worker) {
  return Txn(*this, worker);
}

absl::StatusOr<std::uint64_t> StateChannels::DeleteEvents(
    const std::string& name, std::optional<std::uint64_t> keep_num,
    std::optional<absl::Duration> keep_duration) {
  if (!keep_num && !keep_duration) {
    return absl::InvalidArgumentError(
        "DeleteEvents needs keep_num, keep_duration or both");
  }
  return store_.DeleteEvents(name, keep_num, keep_duration);
}

absl::StatusOr<CommitResult> StateChannels::UpdateState(
    const std::string& name, std::uint64_t expected_revision,
    std::optional<std::string> state, std::vector<std::string> events) {
  std::optional<json> new_state;
  if (state) {
    json parsed = json::parse(state->begin(), state->end(), nullptr, false);
    if (parsed.is_discarded()) {
      return absl::InvalidArgumentError("state is not valid JSON");
    }
    new_state = std::move(parsed);
  }
  std::vector<json> parsed_events;
  for (std::size_t i = 0; i < events.size(); ++i) {
    json parsed =
        json::parse(events[i].begin(), events[i].end(), nullptr, false);
    if (parsed.is_discarded()) {
      return absl::InvalidArgumentError(
          absl::StrCat("events[", i, "] is not valid JSON"));
    }
    parsed_events.push_back(std::move(parsed));
  }
  // A stale revision fails without waiting for the lock (the check under
  // the lock below is what counts).
  absl::StatusOr<ChannelRecord> current = store_.Get(name);
  if (!current.ok()) return current.status();
  if (current->revision != expected_revision) {
    return absl::FailedPreconditionError(
        absl::StrCat("channel \"", name, "\" is at revision ",
                     current->revision, ", not ", expected_revision));
  }
  Txn txn = begin();
  std::uint64_t revision = 0;
  std::uint64_t last_event_id = 0;
  absl::Status status =
      txn.LockState(name, [&](json& current) -> absl::StatusOr<Change> {
        const Txn::Pending& p = txn.pending_.at(name);
        if (p.revision != expected_revision) {
          return absl::FailedPreconditionError(
              absl::StrCat("channel \"", name, "\" is at revision ", p.revision,
                           ", not ", expected_revision));
        }
        revision = p.revision;
        last_event_id = p.last_event_id;
        if (new_state) current = *new_state;
        return Change{.events = parsed_events};
      });
  if (!status.ok()) return status;
  const bool changes =
      !parsed_events.empty() ||
      txn.pending_.at(name).state != txn.pending_.at(name).before;
  status = txn.Commit();
  if (!status.ok()) return status;
  CommitResult result;
  result.name = name;
  result.revision = changes ? revision + 1 : revision;
  result.first_event_id = parsed_events.empty() ? 0 : last_event_id + 1;
  return result;
}

absl::Status StateChannels::Heartbeat(const std::string& worker,
                                      absl::Duration interval) {
  if (worker.empty()) return absl::InvalidArgumentError("empty worker id");
  return store_.Heartbeat(worker, interval + options_.heartbeat_timeout);
}

absl::StatusOr<int> StateChannels::Cleanup() {
  absl::StatusOr<std::vector<std::string>> alive_list = store_.AliveWorkers();
  if (!alive_list.ok()) return alive_list.status();
  const std::set<std::string> alive(alive_list->begin(), alive_list->end());
  absl::StatusOr<std::vector<Guard>> guards = store_.Guards();
  if (!guards.ok()) return guards.status();
  std::map<std::string, std::set<std::string>> dead_by_channel;
  for (const Guard& g : *guards) {
    if (g.count > 0 && !alive.contains(g.worker)) {
      dead_by_channel[g.channel].insert(g.worker);
    }
  }
  int ran = 0;
  for (const auto& entry : dead_by_channel) {
    // Named, not a structured binding: a lambda below captures `channel`
    // (Clang 14 cannot capture structured bindings).
    const std::string& channel = entry.first;
    const std::set<std::string>& candidates = entry.second;
    Txn txn = begin();
    absl::Status status = txn.Load({channel});
    if (!status.ok()) {
      spdlog::warn("cleanup of channel {}: {}", channel, status.ToString());
      continue;
    }
    // Another replica may have cleaned up while we waited for the lock.
    absl::StatusOr<std::vector<Guard>> now = store_.Guards();
    if (!now.ok()) continue;
    std::vector<std::string> dead;
    for (const Guard& g : *now) {
      if (g.channel == channel && g.count > 0 && candidates.contains(g.worker))
        dead.push_back(g.worker);
    }
    if (dead.empty()) continue;
    txn.pending_[channel].clear_guards_of = dead;
    const Handlers handlers = find(channel);
    if (handlers.cleanup != nullptr) {
      status = Guarded<bool>("OnCleanup", [&]() -> absl::StatusOr<bool> {
                 absl::Status s = (*handlers.cleanup)(channel, txn, alive);
                 if (!s.ok()) return s;
                 return true;
               }).status();
      if (!status.ok()) {
        spdlog::warn("OnCleanup of channel {} failed: {}", channel,
                     status.ToString());
        continue;  // rolled back; the next pass tries again
      }
    }
    status = txn.Commit();
    if (!status.ok()) {
      spdlog::warn("cleanup of channel {} not committed: {}", channel,
                   status.ToString());
      continue;
    }
    spdlog::info("cleaned up channel {} after dead worker(s) {}", channel,
                 absl::StrJoin(dead, ", "));
    ++ran;
  }
  return ran;
}

std::vector<std::string> StateUpdateMessages(std::uint64_t revision,
                                             std::uint64_t first_event_id,
                                             const std::vector<json>& events,
                                             const json& patch) {
  // "type" then "revision" first: gateways read the revision from the
  // message's start (protocol::StateMessageRevision).
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    out.push_back(absl::StrCat(R"({"type":"event","revision":)", revision,
                               R"(,"event_id":)", first_event_id + i,
                               R"(,"event":)", Dump(events[i]), "}"));
  }
  const bool has_event = !events.empty();
  out.push_back(absl::StrCat(
      R"({"type":"event_patch","revision":)", revision, R"(,"event_id":)",
      has_event ? absl::StrCat(first_event_id + events.size() - 1) : "null",
      R"(,"event":)", has_event ? Dump(events.back()) : "null", R"(,"patch":)",
      patch.is_null() ? "null" : Dump(patch), "}"));
  return out;
}

}  // namespace cable::service
