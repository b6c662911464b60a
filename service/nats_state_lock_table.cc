#include "nats_state_lock_table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace cable::service::nats_state {

LockTable::LockTable(Clock& clock, absl::Duration lease)
    : clock_(clock), lease_(lease) {}

absl::StatusOr<LockTable::Reserved> LockTable::Reserve(absl::string_view owner,
                                                       const std::string& name,
                                                       absl::Time deadline,
                                                       absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  for (;;) {
    const absl::Time now = clock_.Now();
    auto it = locks_.find(name);
    if (it == locks_.end()) {
      locks_.emplace(name, Lock{std::string(owner), 0, now});
      return Reserved::kReserved;
    }
    Lock& held = it->second;
    // A lease that ran out by our clock is gone in NATS, or about to be.
    const bool stale = held.seq != 0 && held.renewed + lease_ <= now;
    if (held.owner == owner && held.seq != 0 && !stale) {
      return Reserved::kAlreadyHeld;
    }
    if (stale) {
      held = Lock{std::string(owner), 0, now};
      return Reserved::kReserved;
    }
    if (now >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("timed out after ", absl::FormatDuration(timeout),
                       " waiting for the lock of channel \"", name, "\""));
    }
    clock_.WaitWithDeadline(
        &mu_, &released_,
        held.seq != 0 ? std::min(deadline, held.renewed + lease_) : deadline);
  }
}

void LockTable::Acquired(const std::string& name, absl::string_view owner,
                         std::uint64_t seq, absl::Time renewed) {
  absl::MutexLock lock(&mu_);
  locks_[name] = Lock{std::string(owner), seq, renewed};
}

void LockTable::Renewed(const std::string& name, absl::string_view owner,
                        std::uint64_t seq, absl::Time renewed) {
  absl::MutexLock lock(&mu_);
  auto it = locks_.find(name);
  if (it != locks_.end() && it->second.owner == owner) {
    it->second.seq = seq;
    it->second.renewed = renewed;
  }
}

void LockTable::Drop(absl::Span<const std::string> names,
                     absl::string_view owner) {
  absl::MutexLock lock(&mu_);
  for (const std::string& name : names) {
    auto it = locks_.find(name);
    // Unless taken over meanwhile (the entry had gone stale).
    if (it != locks_.end() && it->second.owner == owner) locks_.erase(it);
  }
  released_.SignalAll();
}

std::vector<LockTable::Entry> LockTable::HeldBy(
    absl::string_view owner, absl::Span<const std::string> names) {
  std::vector<Entry> held;
  absl::MutexLock lock(&mu_);
  for (const std::string& name : names) {
    auto it = locks_.find(name);
    if (it == locks_.end() || it->second.owner != owner) continue;
    held.push_back(Entry{name, it->second.seq});
  }
  return held;
}

LockTable::Lookup LockTable::Find(absl::string_view owner,
                                  const std::string& name) {
  absl::MutexLock lock(&mu_);
  auto it = locks_.find(name);
  if (it == locks_.end()) return Lookup{Holder::kNone, 0};
  if (it->second.owner == owner && it->second.seq != 0) {
    return Lookup{Holder::kOwner, it->second.seq};
  }
  return Lookup{Holder::kOther, 0};
}

std::vector<std::string> LockTable::Untracked(
    absl::Span<const std::string> names) {
  std::vector<std::string> out;
  absl::MutexLock lock(&mu_);
  for (const std::string& name : names) {
    if (!locks_.contains(name)) out.push_back(name);
  }
  return out;
}

bool LockTable::Known(const std::string& name) {
  absl::MutexLock lock(&mu_);
  return known_.contains(name);
}

void LockTable::Remember(const std::string& name) {
  absl::MutexLock lock(&mu_);
  if (known_.size() >= kMaxKnownChannels) known_.clear();
  known_.insert(name);
}

}  // namespace cable::service::nats_state
