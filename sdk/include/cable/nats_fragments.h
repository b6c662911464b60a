#pragma once
// Fragmentation of messages over a NATS server's max payload, sans I/O:
// FragmentWriter splits a message into fragments and names their headers,
// FragmentAssembler takes fragments and gives back whole messages, with
// bounded memory and an expiry driven by the time its caller passes in.
// NatsPubSub moves the fragments over NATS (see nats_pubsub.h for the
// behaviour); these classes only compute, so they are tested without a
// server.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cable {

// Wire format of a fragment (one NATS message with headers): the payload is
// a slice of the message, in order; the headers are
//   Cable-Frag-Id:    <publisher nonce, 16 lowercase hex digits>.<sequence>
//                     (the nonce is random per publisher, the sequence
//                     counts its fragmented messages from 1)
//   Cable-Frag-Index: 0-based position of this fragment
//   Cable-Frag-Count: number of fragments of the message
//   Cable-Frag-Size:  total size of the message in bytes
// all in decimal unless stated otherwise.
inline constexpr char kFragmentIdHeader[] = "Cable-Frag-Id";
inline constexpr char kFragmentIndexHeader[] = "Cable-Frag-Index";
inline constexpr char kFragmentCountHeader[] = "Cable-Frag-Count";
inline constexpr char kFragmentSizeHeader[] = "Cable-Frag-Size";
// Bytes of each fragment's max payload left for the headers (their
// encoding takes at most 165).
inline constexpr std::size_t kFragmentHeaderRoom = 256;
// Max payload assumed until the first connection reports the server's.
inline constexpr std::size_t kAssumedMaxPayload = 64 * 1024;

// What one fragment's headers say.
struct FragmentHeader {
  std::uint64_t nonce = 0;
  std::uint64_t sequence = 0;
  std::uint64_t index = 0;
  std::uint64_t count = 0;
  std::uint64_t size = 0;
};

// Parses the four header values as they travel; nullopt when one is
// malformed (or index >= count, or count == 0).
std::optional<FragmentHeader> ParseFragmentHeader(absl::string_view id,
                                                  absl::string_view index,
                                                  absl::string_view count,
                                                  absl::string_view size);

// One message cut into fragments: fragment i carries `parts[i]` (a slice of
// the message given to Split) and the headers id, i, count, size.
struct FragmentedMessage {
  std::string id;
  std::uint64_t count = 0;
  std::uint64_t size = 0;
  std::vector<absl::string_view> parts;
};

// The publisher's side. Not thread-safe: a publisher sends one fragmented
// message after the other (subscribers keep one partial message per
// publisher).
class FragmentWriter final {
 public:
  explicit FragmentWriter(std::uint64_t nonce) : nonce_(nonce) {}

  // Splits `message` into fragments of at most `max_payload` bytes each,
  // headers included, under the next sequence number. FailedPrecondition
  // when `max_payload` is under 2 * kFragmentHeaderRoom.
  absl::StatusOr<FragmentedMessage> Split(absl::string_view message,
                                          std::size_t max_payload);

  std::uint64_t nonce() const { return nonce_; }

 private:
  const std::uint64_t nonce_;
  std::uint64_t next_sequence_ = 1;
};

// The subscriber's side: partial messages per (source, publisher nonce),
// where a source is one independent flow of messages (a subscription).
// Not thread-safe (its owner locks). Logs what it drops.
//
// A partial message is dropped (counted in `dropped`) when the same
// publisher starts another message or sends a fragment out of sequence
// (fragments were lost), when its fragments do not add up to the announced
// size, when it makes no progress for `timeout` (Expire), or at its first
// fragment when it announces more than `max_message_bytes` or does not fit
// `max_bytes` next to the others. Fragments of a message whose first
// fragment never came are skipped silently.
class FragmentAssembler final {
 public:
  struct Limits {
    std::size_t max_message_bytes = std::size_t{64} << 20;
    // Memory reserved (by announced size) for all partial messages.
    std::size_t max_bytes = std::size_t{256} << 20;
    absl::Duration timeout = absl::Seconds(10);
  };
  struct Stats {
    // Partially received messages and the memory reserved for them.
    std::size_t pending = 0;
    std::size_t pending_bytes = 0;
    // Fragmented messages delivered whole.
    std::uint64_t completed = 0;
    // Fragmented messages given up on: incomplete, out of sequence, over a
    // limit, malformed, or stale.
    std::uint64_t dropped = 0;
  };

  // `name` goes into the log lines.
  FragmentAssembler(Limits limits, std::string name)
      : limits_(limits), name_(std::move(name)) {}

  // Takes one fragment of `source` received at `now` (`where` names the
  // subject for logs). The whole message when it was the last one.
  std::optional<std::string> Add(std::uint64_t source,
                                 const FragmentHeader& fragment,
                                 absl::string_view data, absl::Time now,
                                 absl::string_view where);
  // A fragment whose headers did not parse: counted as dropped.
  void AddMalformed(absl::string_view where);
  // Drops the partial messages without progress since `now - timeout`;
  // returns how many.
  std::size_t Expire(absl::Time now);
  // Forgets `source`'s partial messages (it stopped; not counted).
  void Forget(std::uint64_t source);

  const Stats& stats() const { return stats_; }
  // When Expire may next drop something; InfiniteFuture with nothing
  // pending.
  absl::Time next_expiry() const;
  const Limits& limits() const { return limits_; }

 private:
  struct Partial {
    std::uint64_t sequence = 0;
    std::uint64_t count = 0;
    std::uint64_t size = 0;
    std::uint64_t next_index = 0;
    std::string data;
    absl::Time last_progress;
    std::string where;
  };
  using Key = std::pair<std::uint64_t, std::uint64_t>;  // source, nonce

  void Drop(absl::flat_hash_map<Key, Partial>::iterator it, bool count);

  const Limits limits_;
  const std::string name_;
  Stats stats_;
  absl::flat_hash_map<Key, Partial> partials_;
};

}  // namespace cable
