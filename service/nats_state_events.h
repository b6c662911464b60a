#pragma once
// NatsStateStore's event log reads and deletion (see "Events" in
// nats_state_store.h).

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "cable/service/state_store.h"
#include "nats_state_io.h"

namespace cable::service::nats_state {

class EventLog final {
 public:
  // `io` must outlive this.
  explicit EventLog(const StateIo& io);

  absl::StatusOr<std::vector<StoredEvent>> Events(
      absl::string_view name, std::uint64_t after_id,
      std::optional<std::uint64_t> limit) const;
  // Ages are measured against the server's timestamps, so by the real
  // clock (not the store's Clock).
  absl::StatusOr<std::uint64_t> DeleteEvents(
      absl::string_view name, std::optional<std::uint64_t> keep_num,
      std::optional<absl::Duration> keep_duration) const;

 private:
  // The first stored event's id and sequence, if any.
  absl::StatusOr<std::optional<std::pair<std::uint64_t, std::uint64_t>>>
  FirstEvent(absl::string_view enc) const;
  // The events with ids in [from, to] that are stored (and whole).
  absl::StatusOr<std::vector<StoredEvent>> ReadEvents(absl::string_view enc,
                                                      std::uint64_t from,
                                                      std::uint64_t to) const;

  const StateIo& io_;
};

}  // namespace cable::service::nats_state
