#include "cable/gateway/in_memory_session_store.h"

#include <optional>
#include <utility>

namespace cable::gateway {

void InMemorySessionStore::Save(absl::string_view sid,
                                SessionSnapshot snapshot) {
  const Clock::time_point now = clock_.now();
  const Clock::time_point expires = now + ttl_;
  absl::MutexLock lock(&mu_);
  SweepLocked(now);
  entries_.insert_or_assign(std::string(sid),
                            Entry{std::move(snapshot), expires});
  expiries_.emplace_back(expires, std::string(sid));
}

void InMemorySessionStore::Load(absl::string_view sid, SessionLoadDone done) {
  std::optional<SessionSnapshot> found;
  {
    const Clock::time_point now = clock_.now();
    absl::MutexLock lock(&mu_);
    SweepLocked(now);
    auto it = entries_.find(sid);
    if (it != entries_.end()) found = it->second.snapshot;
  }
  // Outside the lock: `done` may save.
  std::move(done)(std::move(found));
}

void InMemorySessionStore::Sweep() {
  const Clock::time_point now = clock_.now();
  absl::MutexLock lock(&mu_);
  SweepLocked(now);
}

std::size_t InMemorySessionStore::size() const {
  absl::MutexLock lock(&mu_);
  return entries_.size();
}

void InMemorySessionStore::SweepLocked(Clock::time_point now) {
  while (!expiries_.empty() && expiries_.front().first <= now) {
    auto it = entries_.find(expiries_.front().second);
    // Saved again since: a later expiry of the queue is its.
    if (it != entries_.end() && it->second.expires == expiries_.front().first) {
      entries_.erase(it);
    }
    expiries_.pop_front();
  }
}

}  // namespace cable::gateway
