#pragma once
// Session restore (docs/protocol.md, "Session restore"): what a gateway
// remembers of an extended-protocol connection so that the client, coming
// back with `?sid=<its old sid>` (to this gateway or another), finds its
// subscriptions made again for it.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cable/nats_security.h"

namespace cable::gateway {

// A session's snapshot: the identifiers of its subscriptions opened with a
// plain `subscribe`, in the order they were made, each exactly as the
// client sent it.
using SessionSnapshot = std::vector<std::string>;

// What a lookup finds: the snapshot, nullopt when there is none (never
// saved, or expired), or the store's error.
using SessionLoadDone =
    absl::AnyInvocable<void(absl::StatusOr<std::optional<SessionSnapshot>>) &&>;

// Where sessions' snapshots are kept for a while (the TTL) after their last
// save, also after the connection closed: in the gateway's memory, or in
// JetStream, shared by every gateway. Thread-safe; neither call blocks on
// I/O, so both may be made from an event loop.
class SessionStore {
 public:
  virtual ~SessionStore() = default;

  // Keeps `snapshot` as `sid`'s for the TTL from now, replacing what was
  // kept (the latest call for a sid wins). Writes happen later, in the
  // order of the calls; a failure is logged.
  virtual void Save(absl::string_view sid, SessionSnapshot snapshot) = 0;
  // Looks `sid` up; `done` runs once, on any thread (maybe inline).
  virtual void Load(absl::string_view sid, SessionLoadDone done) = 0;
  // How long a snapshot is kept after its last Save.
  virtual std::chrono::milliseconds ttl() const = 0;
};

// The store a gateway uses: null when `ttl` is zero (restore off); in memory
// when `nats_url` is empty; otherwise a JetStream stream on its own
// connection named `name` (JetStreamSessionStore). A NATS server without
// JetStream turns restore off with a warning (null).
absl::StatusOr<std::unique_ptr<SessionStore>> MakeSessionStore(
    const std::string& nats_url, const std::string& name,
    const NatsSecurity& security, std::chrono::milliseconds ttl);

}  // namespace cable::gateway
