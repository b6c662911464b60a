#pragma once
// Presence (docs/protocol.md, "Presence"): who is in a stream, as AnyCable's
// extended protocol has it. An extended-protocol client joins the presence
// set of its subscription's stream with an id and an info; every member is
// one id however many connections share it. Joins and leaves of ids are
// published as events on the stream's presence stream ("$presence:<S>"),
// which the gateways deliver to the extended-protocol subscribers of S.
//
// A connection that closes without leaving stays present for `ttl` (a
// reconnecting client does not flap out and in); one whose gateway dies
// (stops heartbeating) leaves at the next sweep. The sets live in a
// PresenceStore shared by every replica, so any replica answers and the
// sweeps of several replicas publish each leave once.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cable/service/periodic_thread.h"
#include "cable/service/presence_store.h"

namespace cable {
class PubSub;
}

namespace cable::service {

class Clock;

struct PresenceOptions {
  // How long a connection that closed without leaving stays present.
  absl::Duration ttl = absl::Seconds(15);
  // How often the sweep looks for expired presence and dead gateways; zero
  // disables the sweep loop (tests call Sweep).
  absl::Duration sweep_interval = absl::Seconds(1);
  // A session younger than this is never taken for a dead gateway's (its
  // gateway's first heartbeat may not be in yet).
  absl::Duration gateway_grace = absl::Seconds(10);
  // Connections per stream's set; joins beyond are refused.
  std::size_t max_sessions = 10000;
  // Bytes of a presence id and of its info (JSON).
  std::size_t max_id_bytes = 256;
  std::size_t max_info_bytes = 4096;
  // Null: the real clock. Must outlive the Presence.
  Clock* clock = nullptr;
};

struct PresenceMember {
  std::string id;
  // JSON text.
  std::string info;
};

struct PresenceStats {
  std::uint32_t num_clients = 0;
  std::uint32_t num_users = 0;
};

class Presence final {
 public:
  // The gateways alive now (StateStore::AliveWorkers).
  using AliveGateways =
      std::function<absl::StatusOr<std::vector<std::string>>()>;

  // `store` and `pubsub` must outlive the Presence. Starts the sweep loop
  // unless options.sweep_interval is zero.
  Presence(PresenceStore& store, PubSub& pubsub, AliveGateways alive,
           PresenceOptions options = {});
  ~Presence();
  Presence(const Presence&) = delete;
  Presence& operator=(const Presence&) = delete;

  // Connection `sid` joins `stream`'s set as `presence`, the client's JSON
  // object {"id": string or number, "info": any}. A join event goes out
  // when the id was not present. InvalidArgument for a bad object,
  // ResourceExhausted for a full set.
  absl::Status Join(absl::string_view stream, absl::string_view sid,
                    absl::string_view presence);
  // Connection `sid` leaves (unsubscribed, or the client left): a leave
  // event goes out when it was its id's last connection.
  absl::Status Leave(absl::string_view stream, absl::string_view sid);
  // Connection `sid` closed without leaving: it leaves after the ttl.
  absl::Status Detach(absl::string_view stream, absl::string_view sid);

  // The members, sorted by id.
  absl::StatusOr<std::vector<PresenceMember>> Members(absl::string_view stream);
  absl::StatusOr<PresenceStats> Stats(absl::string_view stream);

  // Ends expired presence and that of dead gateways. Returns the leave
  // events published.
  absl::StatusOr<int> Sweep();

  // {"type":"info","total":N,"records":[{"id":…,"info":…},…]}
  static std::string InfoMessage(const std::vector<PresenceMember>& members);

 private:
  absl::Time Now();
  // Applies `edit` and publishes the joins and leaves it made.
  absl::StatusOr<int> Change(absl::string_view stream,
                             const PresenceEdit& edit);

  PresenceStore& store_;
  PubSub& pubsub_;
  AliveGateways alive_;
  const PresenceOptions options_;

  // Runs Sweep every sweep_interval (last: stops first).
  PeriodicThread sweeper_;
};

}  // namespace cable::service
