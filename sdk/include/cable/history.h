#pragma once
// Stream history (issue 14): every broadcast to a stream that keeps history
// gets an offset in that stream (1, 2, 3, ...) under the stream's epoch, so
// that a client that lost its connection can ask for what it missed. The
// epoch is a short random string that changes whenever history was lost (a
// fresh process, a stream that expired entirely): an offset means nothing
// under another epoch, and a client holding one learns it must start over.
//
// This header stays light (pubsub.h includes it): the seam, the policy and
// the pub/sub envelope. Implementations: InMemoryHistory (one process) and
// JetStreamHistory (shared by every process on one NATS), which is why Read
// completes through a callback.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cable {

// Where a message sits in its stream: `offset` counts from 1 within
// `epoch`.
struct StreamPosition {
  std::string epoch;
  std::uint64_t offset = 0;

  friend bool operator==(const StreamPosition&,
                         const StreamPosition&) = default;
};

struct HistoryEntry {
  std::uint64_t offset = 0;
  absl::Time time;  // when it was appended
  std::string data;
};

struct HistoryQuery {
  // Entries with offset > after.offset; after.epoch must be the stream's
  // current epoch.
  std::optional<StreamPosition> after;
  // Used when `after` is empty: entries with time >= since. With neither,
  // every entry kept.
  std::optional<absl::Time> since;
  // At most this many entries, the oldest that match (continue with
  // `after` set to the last one returned); 0: no limit.
  std::size_t limit = 0;
  // Only where the stream stands (epoch and last_offset), no entries; a
  // stream with no history yet is left so (a plain read gives it its
  // epoch) and reads as epoch "" at offset 0. What a gateway asks when a
  // stream goes live on it.
  bool position_only = false;
};

struct HistoryPage {
  std::string epoch;
  std::vector<HistoryEntry> entries;  // oldest first
  // The stream's last offset when read (0: no message yet): a reader that
  // got fewer entries than the stream has knows where live messages resume.
  std::uint64_t last_offset = 0;
};

using HistoryReadDone =
    absl::AnyInvocable<void(absl::StatusOr<HistoryPage>) &&>;

class History {
 public:
  virtual ~History() = default;

  // Keeps `data` as the stream's next message and returns its position.
  // FailedPrecondition for a stream that keeps no history (its policy).
  virtual absl::StatusOr<StreamPosition> Append(absl::string_view stream,
                                                absl::string_view data) = 0;

  // `done` runs once, possibly inline before Read returns, with the page or:
  // - FailedPrecondition "epoch changed ..." when `after` is given and its
  //   epoch is not the stream's (or the stream has no history at all: never
  //   written, or expired, so no epoch to compare with);
  // - OutOfRange "history trimmed ..." when messages after `after.offset`
  //   are no longer kept (the client missed more than history holds), and
  //   OutOfRange when `after.offset` is past the stream's last offset;
  // - FailedPrecondition when the stream keeps no history (its policy).
  // A stream with no history yet (never written, or expired), read with
  // `since` or neither, is an empty page under the epoch its next message
  // will get: implementations may create the stream for that.
  virtual void Read(absl::string_view stream, HistoryQuery query,
                    HistoryReadDone done) = 0;
};

// What history a stream keeps.
struct HistoryLimits {
  std::size_t limit = 0;  // messages kept; 0: no history
  absl::Duration ttl;     // entries older are dropped
};

// The process-wide defaults and their overrides by stream name.
struct HistoryPolicy {
  struct Override {
    std::string pattern;  // a glob: '*' matches any run of bytes
    HistoryLimits limits;
  };

  std::size_t limit = 0;
  absl::Duration ttl;
  std::vector<Override> overrides;  // the first match wins

  // The limits of `stream`. Internal streams (names starting with '$', such
  // as "$state:...") never keep history.
  HistoryLimits For(absl::string_view stream) const;

  // Which entry decides For(stream): 0 the defaults, i + 1 overrides[i];
  // nullopt for internal streams. (JetStreamHistory keeps each entry's
  // streams in a JetStream stream of their own, with that entry's limits.)
  std::optional<std::size_t> EntryOf(absl::string_view stream) const;
  // The limits of entry `entry` (as EntryOf numbers them); no history past
  // the last.
  HistoryLimits EntryLimits(std::size_t entry) const;
};

// Builds the policy from its flags: the default `limit` and `ttl`, and
// `overrides` such as "chat:*=1000/1h;ticker:*=0;logs:*=50/30s" (pattern
// '=' limit ['/' ttl], separated by ';'; whitespace around items and
// their parts is ignored; `N` alone keeps the default ttl; absl::ParseDuration
// syntax). The pattern ends at the last '=' so stream names may hold '='; none
// may hold ';'. A ttl must be positive and finite wherever history is on, so
// that memory stays bounded. InvalidArgument, naming the item, otherwise.
absl::StatusOr<HistoryPolicy> ParseHistoryPolicy(std::size_t limit,
                                                 absl::Duration ttl,
                                                 absl::string_view overrides);

// Whether `name` matches `pattern`, where '*' matches any run of bytes
// (possibly empty) and every other byte itself.
bool GlobMatch(absl::string_view pattern, absl::string_view name);

// The pub/sub payload of a broadcast that has a position: 0xFF, epoch, 0x1F,
// decimal offset, 0x1F, data. Broadcast data is always UTF-8, where 0xFF
// never occurs, so a plain message is never mistaken for one. `pos.epoch`
// must be non-empty and hold no 0x1F (epochs are alphanumeric), and
// `pos.offset` at least 1; otherwise the result may not decode, or decode
// as another position.
std::string EncodeStreamMessage(const StreamPosition& pos,
                                absl::string_view data);

// Reads an envelope that EncodeStreamMessage wrote: true with `*pos` and
// `*data` (a view into `message`) set. False for anything else, a plain
// message or garbage, leaving both untouched.
bool DecodeStreamMessage(absl::string_view message, StreamPosition* pos,
                         absl::string_view* data);

}  // namespace cable
