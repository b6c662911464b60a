#pragma once
// The presence-store seam: what every service replica must share of the
// streams' presence sets (docs/protocol.md, "Presence") — per stream, the
// connections that joined it, each with the id and info it joined with.
//
// Implementations: InMemoryPresenceStore (one process, the embedded
// default) and JetStreamPresenceStore (NATS JetStream, many replicas). The
// logic — events, expiry, dead gateways — is Presence's (presence.h), the
// same over both. All methods are thread-safe.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace cable::service {

// One connection's presence in one stream.
struct PresenceSession {
  // The connection ("<gateway id>.<random>", so its gateway is known).
  std::string sid;
  // What it joined as: the id (one member however many connections share
  // it) and the info, JSON text.
  std::string id;
  std::string info;
  // When it joined.
  absl::Time since;
  // Set when its connection closed without leaving: its presence ends
  // then (reconnecting clients do not flap in and out).
  std::optional<absl::Time> expires;

  bool operator==(const PresenceSession&) const = default;
};

// Changes a set in place; returns whether it changed anything.
using PresenceEdit = std::function<bool(std::vector<PresenceSession>&)>;

struct PresenceUpdate {
  std::vector<PresenceSession> before;
  std::vector<PresenceSession> after;
};

class PresenceStore {
 public:
  virtual ~PresenceStore() = default;

  // Reads `stream`'s set, runs `edit` on it and, if it changed anything,
  // writes it back, all or nothing against every other writer (with
  // another writer in between, `edit` runs again on a fresh read). Returns
  // the set before and after the edit that took effect.
  virtual absl::StatusOr<PresenceUpdate> Update(absl::string_view stream,
                                                const PresenceEdit& edit) = 0;
  // `stream`'s set (empty when nobody joined).
  virtual absl::StatusOr<std::vector<PresenceSession>> Read(
      absl::string_view stream) = 0;
  // The streams whose set is not empty.
  virtual absl::StatusOr<std::vector<std::string>> Streams() = 0;
};

// One process's presence sets.
class InMemoryPresenceStore final : public PresenceStore {
 public:
  absl::StatusOr<PresenceUpdate> Update(absl::string_view stream,
                                        const PresenceEdit& edit) override;
  absl::StatusOr<std::vector<PresenceSession>> Read(
      absl::string_view stream) override;
  absl::StatusOr<std::vector<std::string>> Streams() override;

 private:
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::vector<PresenceSession>> sets_
      ABSL_GUARDED_BY(mu_);
};

// The stored form of a set (JetStreamPresenceStore's values): a JSON array
// of {"sid","id","info","since","expires"} (times in Unix milliseconds).
std::string EncodePresenceSet(const std::vector<PresenceSession>& sessions);
absl::StatusOr<std::vector<PresenceSession>> DecodePresenceSet(
    absl::string_view text);

}  // namespace cable::service
