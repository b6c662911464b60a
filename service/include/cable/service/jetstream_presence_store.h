#pragma once
// Presence sets in NATS JetStream, shared by every service replica: one
// stream (<PREFIX>_PRESENCE, subjects "<prefix>.presence.<stream token>"),
// one message per presence set (its last), written compare-and-set on the
// subject's last sequence so that concurrent joins and leaves of one
// stream serialise. An emptied set is written empty, then purged.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cable/nats_security.h"
#include "cable/service/presence_store.h"

namespace cable {
class JetStreamClient;
}

namespace cable::service {

struct JetStreamPresenceStoreOptions {
  // The stream's name is <PREFIX>_PRESENCE upper-cased and its subjects
  // "<prefix>.presence.>": [A-Za-z0-9_-], at most 32 bytes.
  std::string prefix = "cable";
  std::string name = "cable-presence";
  NatsSecurity security;
  absl::Duration request_timeout = absl::Seconds(5);
  int replicas = 1;
  bool memory_storage = false;
};

class JetStreamPresenceStore final : public PresenceStore {
 public:
  // FailedPrecondition when the server has no JetStream.
  static absl::StatusOr<std::unique_ptr<JetStreamPresenceStore>> Connect(
      const std::string& nats_url,
      const JetStreamPresenceStoreOptions& options);
  ~JetStreamPresenceStore() override;

  absl::StatusOr<PresenceUpdate> Update(absl::string_view stream,
                                        const PresenceEdit& edit) override;
  absl::StatusOr<std::vector<PresenceSession>> Read(
      absl::string_view stream) override;
  absl::StatusOr<std::vector<std::string>> Streams() override;

 private:
  JetStreamPresenceStore(std::unique_ptr<JetStreamClient> client,
                         std::string stream, std::string subject_prefix);
  struct Stored {
    std::uint64_t seq = 0;  // 0: no message
    std::vector<PresenceSession> sessions;
  };
  absl::StatusOr<std::string> SubjectOf(absl::string_view stream) const;
  absl::StatusOr<Stored> Get(const std::string& subject);

  std::unique_ptr<JetStreamClient> client_;
  const std::string jetstream_;       // the JetStream stream's name
  const std::string subject_prefix_;  // "<prefix>.presence"
};

}  // namespace cable::service
