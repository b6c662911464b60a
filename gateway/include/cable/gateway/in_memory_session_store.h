#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "cable/gateway/clock.h"
#include "cable/gateway/session_store.h"

namespace cable::gateway {

// Snapshots in this process's memory: the embedded server's store (one
// gateway, so nothing to share). Expired snapshots are swept as calls come:
// the TTL is the same for all, so expiry times come in the order of the
// saves, and a queue of them finds the expired ones at its front (each
// call sweeps what expired since the one before, nothing else).
class InMemorySessionStore final : public SessionStore {
 public:
  explicit InMemorySessionStore(std::chrono::milliseconds ttl,
                                const Clock& clock = SteadyClock::Instance())
      : ttl_(ttl), clock_(clock) {}

  void Save(absl::string_view sid, SessionSnapshot snapshot) override;
  // Answers inline.
  void Load(absl::string_view sid, SessionLoadDone done) override;
  std::chrono::milliseconds ttl() const override { return ttl_; }

  // Forgets what expired (also done by every call).
  void Sweep();
  // Snapshots kept (expired ones not yet swept included).
  std::size_t size() const;

 private:
  struct Entry {
    SessionSnapshot snapshot;
    Clock::time_point expires;
  };
  void SweepLocked(Clock::time_point now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::chrono::milliseconds ttl_;
  const Clock& clock_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, Entry> entries_ ABSL_GUARDED_BY(mu_);
  // (expiry, sid) of every save, oldest first: a sid saved again has a
  // later entry too, and only the one matching its expiry removes it.
  std::deque<std::pair<Clock::time_point, std::string>> expiries_
      ABSL_GUARDED_BY(mu_);
};

}  // namespace cable::gateway
