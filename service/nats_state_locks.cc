#include "nats_state_locks.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "cable/service/state_store.h"
#include "cable/stream_subject.h"

namespace cable::service::nats_state {
namespace {

// Polling a lock another replica holds.
constexpr absl::Duration kMinBackoff = absl::Milliseconds(1);
constexpr absl::Duration kMaxBackoff = absl::Milliseconds(32);

std::chrono::nanoseconds Jittered(absl::Duration d) {
  thread_local std::mt19937 rng{std::random_device{}()};
  const std::int64_t ns = absl::ToInt64Nanoseconds(d);
  std::uniform_int_distribution<std::int64_t> dist(ns / 2, ns);
  return std::chrono::nanoseconds(dist(rng));
}

}  // namespace

Locks::Locks(const StateIo& io, LockTable& table,
             const IntentRecovery& recovery)
    : io_(io), table_(table), recovery_(recovery) {}

void Locks::Release(absl::string_view owner,
                    absl::Span<const std::string> names) {
  const std::vector<LockTable::Entry> held = table_.HeldBy(owner, names);
  if (held.empty()) return;
  std::vector<std::string> held_names;
  std::vector<JsRequest> purges;
  for (const LockTable::Entry& e : held) {
    held_names.push_back(e.name);
    if (e.seq != 0)
      purges.push_back(io_.PurgeLock(EncodeStreamToken(e.name), e.seq));
  }
  absl::StatusOr<std::vector<NatsMsgPtr>> replies = io_.Run(purges);
  if (!replies.ok()) {
    spdlog::warn("state store: releasing locks: {}",
                 std::string(replies.status().message()));
  } else {
    for (const NatsMsgPtr& r : *replies) {
      if (absl::Status s = JetStreamClient::Purged(r); !s.ok()) {
        spdlog::warn("state store: releasing a lock: {}",
                     std::string(s.message()));
      }
    }
  }
  table_.Drop(held_names, owner);
}

absl::StatusOr<std::uint64_t> Locks::AcquireRemote(absl::string_view owner,
                                                   const std::string& name,
                                                   absl::Time deadline,
                                                   absl::Duration timeout,
                                                   NatsMsgPtr* intents) {
  const Layout& layout = io_.layout();
  const std::string enc = EncodeStreamToken(name);
  bool known_channel = table_.Known(name);
  bool checked_owner = false;
  absl::Duration backoff = kMinBackoff;
  for (;;) {
    std::vector<JsRequest> requests = {JetStreamClient::Publish(
        layout.LockSubject(enc), std::string(owner), 0)};
    // Checked in the same round trip as the first attempt.
    if (!known_channel) requests.push_back(io_.ExistsRequest(enc));
    if (intents != nullptr) requests.push_back(io_.FirstIntentRequest(0));
    absl::StatusOr<std::vector<NatsMsgPtr>> replies = io_.Run(requests);
    if (!replies.ok()) return replies.status();
    if (intents != nullptr) *intents = std::move(replies->back());
    absl::StatusOr<std::uint64_t> seq = JetStreamClient::PubAck((*replies)[0]);
    if (!known_channel) {
      absl::StatusOr<bool> exists = io_.Exists((*replies)[1], enc);
      if (!exists.ok() || !*exists) {
        if (seq.ok()) (void)io_.Run({io_.PurgeLock(enc, *seq)});
        if (!exists.ok()) return exists.status();
        return NoSuchChannel(name);
      }
      known_channel = true;
      table_.Remember(name);
    }
    if (seq.ok()) return *seq;
    if (!absl::IsAborted(seq.status())) return seq.status();
    if (!checked_owner) {
      // Taken through another store instance with the same owner?
      checked_owner = true;
      absl::StatusOr<std::vector<NatsMsgPtr>> entry =
          io_.Run({JetStreamClient::GetLast(layout.locks_stream,
                                            layout.LockSubject(enc))});
      if (!entry.ok()) return entry.status();
      absl::StatusOr<std::optional<StoredMsg>> got =
          JetStreamClient::Got(std::move((*entry)[0]));
      if (!got.ok()) return got.status();
      if (*got && (*got)->data() == owner) return (*got)->seq;
    }
    const absl::Time now = table_.clock().Now();
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("timed out after ", absl::FormatDuration(timeout),
                       " waiting for the lock of channel \"", name,
                       "\" (held by another replica)"));
    }
    // Paces the polling of the server in real time; the deadline is the
    // store's clock's.
    std::this_thread::sleep_for(
        std::min(Jittered(backoff), absl::ToChronoNanoseconds(deadline - now)));
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
}

absl::Status Locks::Lock(absl::string_view owner,
                         absl::Span<const std::string> names,
                         absl::Duration timeout) {
  if (absl::Status s = ValidateOwner(owner); !s.ok()) return s;
  Clock& clock = table_.clock();
  const absl::Time deadline = clock.Now() + timeout;
  std::vector<std::string> sorted(names.begin(), names.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  for (const std::string& name : sorted) {
    if (absl::Status s = ValidateChannelName(name); !s.ok()) {
      return absl::NotFoundError(
          absl::StrCat("no channel \"", name, "\": ", s.message()));
    }
  }
  std::vector<std::string> taken;
  NatsMsgPtr intents;
  for (const std::string& name : sorted) {
    absl::StatusOr<LockTable::Reserved> local =
        table_.Reserve(owner, name, deadline, timeout);
    if (!local.ok()) {
      Release(owner, taken);
      return local.status();
    }
    if (*local == LockTable::Reserved::kAlreadyHeld) continue;
    const absl::Time start = clock.Now();
    // The last lock taken also looks for intents in its round trip: a
    // dead writer's intent was written while its lease was still valid,
    // long before this lock could be taken.
    absl::StatusOr<std::uint64_t> seq =
        AcquireRemote(owner, name, deadline, timeout,
                      name == sorted.back() ? &intents : nullptr);
    if (!seq.ok()) {
      table_.Drop({name}, owner);
      Release(owner, taken);
      return seq.status();
    }
    table_.Acquired(name, owner, *seq, start);
    taken.push_back(name);
  }
  if (!taken.empty()) {
    if (absl::Status s = recovery_.Recover(owner, taken, std::move(intents));
        !s.ok()) {
      Release(owner, taken);
      return s;
    }
  }
  return absl::OkStatus();
}

void Locks::Unlock(absl::string_view owner,
                   absl::Span<const std::string> names) {
  std::vector<std::string> unknown;
  for (const std::string& name : table_.Untracked(names)) {
    if (ValidateChannelName(name).ok()) unknown.push_back(name);
  }
  Release(owner, names);
  if (unknown.empty()) return;
  // Locks this process does not know: maybe taken through another store
  // instance with the same owner.
  const Layout& layout = io_.layout();
  std::vector<JsRequest> gets;
  for (const std::string& name : unknown) {
    gets.push_back(JetStreamClient::GetLast(
        layout.locks_stream, layout.LockSubject(EncodeStreamToken(name))));
  }
  absl::StatusOr<std::vector<NatsMsgPtr>> replies = io_.Run(gets);
  if (!replies.ok()) {
    spdlog::warn("state store: unlock: {}",
                 std::string(replies.status().message()));
    return;
  }
  std::vector<JsRequest> purges;
  for (std::size_t i = 0; i < unknown.size(); ++i) {
    absl::StatusOr<std::optional<StoredMsg>> got =
        JetStreamClient::Got(std::move((*replies)[i]));
    if (got.ok() && *got && (*got)->data() == owner) {
      purges.push_back(
          io_.PurgeLock(EncodeStreamToken(unknown[i]), (*got)->seq));
    }
  }
  io_.Send(purges);
}

}  // namespace cable::service::nats_state
