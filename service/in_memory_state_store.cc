#include "cable/service/in_memory_state_store.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace cable::service {
namespace {

std::vector<std::string> SortedUnique(absl::Span<const std::string> names) {
  std::vector<std::string> sorted(names.begin(), names.end());
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  return sorted;
}

absl::Status NoSuchChannel(absl::string_view name) {
  return absl::NotFoundError(absl::StrCat("no channel \"", name, "\""));
}

}  // namespace

InMemoryStateStore::InMemoryStateStore(absl::Duration lease, Clock& clock)
    : lease_(lease), clock_(clock) {}

bool InMemoryStateStore::Holds(absl::string_view owner, const std::string& name,
                               absl::Time now) const {
  auto it = locks_.find(name);
  return it != locks_.end() && it->second.owner == owner &&
         it->second.expires > now;
}

absl::StatusOr<bool> InMemoryStateStore::Create(const ChannelSpec& spec) {
  if (absl::Status s = ValidateChannelSpec(spec); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = channels_.try_emplace(spec.name);
  if (!inserted) return false;
  ChannelRecord& r = it->second.record;
  r.name = spec.name;
  r.state = spec.state;
  r.revision = 1;
  r.type = spec.type;
  r.keep_events = spec.keep_events;
  return true;
}

absl::StatusOr<ChannelRecord> InMemoryStateStore::Get(absl::string_view name) {
  absl::ReaderMutexLock lock(&mu_);
  auto it = channels_.find(name);
  if (it == channels_.end()) return NoSuchChannel(name);
  return it->second.record;
}

absl::StatusOr<std::vector<std::string>> InMemoryStateStore::ListChannels(
    std::optional<std::string> type) {
  std::vector<std::string> names;
  {
    absl::ReaderMutexLock lock(&mu_);
    for (const auto& [name, channel] : channels_) {
      if (!type || channel.record.type == *type) names.push_back(name);
    }
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status InMemoryStateStore::Lock(absl::string_view owner,
                                      absl::Span<const std::string> names,
                                      absl::Duration timeout) {
  if (absl::Status s = ValidateOwner(owner); !s.ok()) return s;
  const absl::Time deadline = clock_.Now() + timeout;
  std::vector<std::string> taken;
  absl::MutexLock lock(&mu_);
  auto give_back = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    for (const std::string& name : taken) {
      auto it = locks_.find(name);
      if (it != locks_.end() && it->second.owner == owner) locks_.erase(it);
    }
    released_.SignalAll();
  };
  // Sorted, like every other locker: two lockers of overlapping sets never
  // wait for each other in a cycle.
  for (const std::string& name : SortedUnique(names)) {
    if (!channels_.contains(name)) {
      give_back();
      return NoSuchChannel(name);
    }
    for (;;) {
      const absl::Time now = clock_.Now();
      auto it = locks_.find(name);
      if (it == locks_.end() || it->second.expires <= now ||
          it->second.owner == owner) {
        if (!Holds(owner, name, now)) taken.push_back(name);
        locks_[name] = LockHolder{std::string(owner), now + lease_};
        break;
      }
      if (now >= deadline) {
        give_back();
        return absl::DeadlineExceededError(
            absl::StrCat("timed out after ", absl::FormatDuration(timeout),
                         " waiting for the lock of channel \"", name, "\""));
      }
      // Wakes on a release or when the holder's lease runs out.
      clock_.WaitWithDeadline(&mu_, &released_,
                              std::min(deadline, it->second.expires));
    }
  }
  return absl::OkStatus();
}

void InMemoryStateStore::Unlock(absl::string_view owner,
                                absl::Span<const std::string> names) {
  absl::MutexLock lock(&mu_);
  bool released = false;
  for (const std::string& name : names) {
    auto it = locks_.find(name);
    if (it != locks_.end() && it->second.owner == owner) {
      locks_.erase(it);
      released = true;
    }
  }
  if (released) released_.SignalAll();
}

absl::StatusOr<std::vector<CommitResult>> InMemoryStateStore::Commit(
    absl::string_view owner, absl::Span<const ChannelWrite> writes) {
  if (absl::Status s = ValidateCommit(owner, writes); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  const absl::Time now = clock_.Now();
  // Every check before any change: all or nothing.
  for (const ChannelWrite& w : writes) {
    if (!Holds(owner, w.name, now)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "\"", owner, "\" does not hold the lock of channel \"", w.name,
          "\" (never taken, released, or its lease ran out)"));
    }
    const ChannelRecord& r = channels_.at(w.name).record;
    if (r.revision != w.expected_revision) {
      return absl::FailedPreconditionError(
          absl::StrCat("channel \"", w.name, "\" is at revision ", r.revision,
                       ", the commit expected ", w.expected_revision));
    }
  }
  std::vector<CommitResult> results;
  results.reserve(writes.size());
  for (const ChannelWrite& w : writes) {
    locks_.at(w.name).expires = now + lease_;
    Channel& c = channels_.at(w.name);
    ChannelRecord& r = c.record;
    CommitResult result{.name = w.name};
    if (w.state || !w.events.empty()) ++r.revision;
    if (w.state) r.state = *w.state;
    if (!w.events.empty()) {
      result.first_event_id = r.last_event_id + 1;
      for (const std::string& data : w.events) {
        ++r.last_event_id;
        if (r.keep_events) {
          c.events.push_back(StoredEvent{r.last_event_id, data, now});
        }
      }
    }
    for (const std::string& worker : w.clear_guards_of) c.guards.erase(worker);
    if (w.guard_delta != 0) {
      std::int64_t& count = c.guards[w.worker];
      count = std::max<std::int64_t>(0, count + w.guard_delta);
      if (count == 0) c.guards.erase(w.worker);
    }
    result.revision = r.revision;
    results.push_back(std::move(result));
  }
  return results;
}

absl::StatusOr<std::vector<StoredEvent>> InMemoryStateStore::Events(
    absl::string_view name, std::uint64_t after_id,
    std::optional<std::uint64_t> limit) {
  absl::ReaderMutexLock lock(&mu_);
  auto it = channels_.find(name);
  if (it == channels_.end()) return NoSuchChannel(name);
  const std::deque<StoredEvent>& events = it->second.events;
  std::vector<StoredEvent> out;
  if (events.empty()) return out;
  const EventIdRange range =
      EventsToReturn(after_id, limit, events.front().id, events.back().id);
  if (range.empty()) return out;
  const std::uint64_t first = events.front().id;
  out.assign(
      events.begin() + static_cast<std::ptrdiff_t>(range.from - first),
      events.begin() + static_cast<std::ptrdiff_t>(range.to - first + 1));
  return out;
}

absl::StatusOr<std::uint64_t> InMemoryStateStore::DeleteEvents(
    absl::string_view name, std::optional<std::uint64_t> keep_num,
    std::optional<absl::Duration> keep_duration) {
  if (!keep_num && !keep_duration) {
    return absl::InvalidArgumentError(
        "DeleteEvents needs keep_num or keep_duration");
  }
  absl::MutexLock lock(&mu_);
  auto it = channels_.find(name);
  if (it == channels_.end()) return NoSuchChannel(name);
  std::deque<StoredEvent>& events = it->second.events;
  std::uint64_t keep = 0;
  if (keep_num) keep = std::min<std::uint64_t>(*keep_num, events.size());
  if (keep_duration) {
    const absl::Time cutoff = clock_.Now() - *keep_duration;
    std::uint64_t young = 0;
    for (auto e = events.rbegin(); e != events.rend() && e->time > cutoff;
         ++e) {
      ++young;
    }
    keep = std::max(keep, young);
  }
  const std::uint64_t deleted = events.size() - keep;
  events.erase(events.begin(),
               events.begin() + static_cast<std::ptrdiff_t>(deleted));
  return deleted;
}

absl::StatusOr<std::vector<Guard>> InMemoryStateStore::Guards() {
  std::vector<Guard> guards;
  {
    absl::ReaderMutexLock lock(&mu_);
    for (const auto& [name, channel] : channels_) {
      for (const auto& [worker, count] : channel.guards) {
        guards.push_back(Guard{name, worker, count});
      }
    }
  }
  std::sort(guards.begin(), guards.end(), [](const Guard& a, const Guard& b) {
    return std::tie(a.channel, a.worker) < std::tie(b.channel, b.worker);
  });
  return guards;
}

absl::Status InMemoryStateStore::Heartbeat(absl::string_view worker,
                                           absl::Duration ttl) {
  if (absl::Status s = ValidateWorkerName(worker); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  workers_[worker] = clock_.Now() + ttl;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> InMemoryStateStore::AliveWorkers() {
  absl::MutexLock lock(&mu_);
  return Alive(workers_);
}

absl::Status InMemoryStateStore::ServiceHeartbeat(absl::string_view service,
                                                  absl::Duration ttl) {
  if (absl::Status s = ValidateWorkerName(service); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  services_[service] = clock_.Now() + ttl;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> InMemoryStateStore::AliveServices() {
  absl::MutexLock lock(&mu_);
  return Alive(services_);
}

std::vector<std::string> InMemoryStateStore::Alive(
    absl::btree_map<std::string, absl::Time>& expiries) {
  std::vector<std::string> alive;
  const absl::Time now = clock_.Now();
  for (auto it = expiries.begin(); it != expiries.end();) {
    if (it->second > now) {
      alive.push_back(it->first);
      ++it;
    } else {
      it = expiries.erase(it);  // Nobody asks about dead ones again.
    }
  }
  return alive;
}

}  // namespace cable::service
