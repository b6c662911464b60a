#pragma once
// The records NatsStateStore keeps in JetStream (layout in
// nats_state_store.h): a channel's head record and a multi-key commit's
// intent, encoded and decoded by pure functions. Records are read back
// from NATS, and whoever can write to the store's streams controls their
// bytes: decoding never throws and reports damage as DataLoss
// (tests/fuzz/state_records.cc fuzzes both).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cable::service::nats_state {

// Message headers.
inline constexpr char kTypeHeader[] = "Cable-Type";
inline constexpr char kBlobHeader[] = "Cable-Blob";
inline constexpr char kChunksHeader[] = "Cable-Chunks";

// A fresh id for blobs and intents: 128 random bits, base 62.
std::string UniqueId();

// The text after the last '.' of a subject.
absl::string_view LastToken(absl::string_view subject);

// A channel's head record as stored in P_channels: a JSON header line,
// then the state inline (unless chunked).
struct Head {
  std::uint64_t revision = 0;
  std::uint64_t last_event_id = 0;
  std::string type;
  bool keep_events = true;
  // A chunked state: its blob id and number of chunks; else inline.
  std::string blob;
  std::uint64_t chunks = 0;
  std::string inline_state;
  // The multi-key commit that wrote this head, if any.
  std::string txn;
  // Stream sequence of the message this was read from.
  std::uint64_t seq = 0;
};

// The header line alone (its size decides whether a state goes inline).
std::string HeaderLine(const Head& h);
std::string EncodeHead(const Head& h);
// `seq` is the sequence the record was read at.
absl::StatusOr<Head> DecodeHead(absl::string_view data, std::uint64_t seq);

// A guard count change, fenced by the sequence the writer read: a put
// expects it, a removal purges nothing newer. So a writer that lost its
// lease never overwrites a later holder's count.
struct GuardOp {
  // <ch>.<worker>
  std::string key;
  // nullopt: remove.
  std::optional<std::int64_t> count;
  // The key's sequence when read (0: none).
  std::uint64_t seen = 0;
};

// One channel's part of an intent.
struct IntentPart {
  std::string name;
  // EncodeStreamToken(name); not stored, derived when decoding.
  std::string enc;
  // Head sequence the new head replaces.
  std::uint64_t expected = 0;
  // The new head (EncodeHead).
  std::string head;
  // Blob of the replaced state, purged once the new head is in.
  std::string old_blob;
  std::vector<GuardOp> guards;
};

struct Intent {
  // From the subject, not the body.
  std::string id;
  std::string owner;
  std::vector<IntentPart> parts;
  // The body's blob when it did not fit a message (not in the body).
  std::string blob;
};

// Length-prefixed fields ("<size>:<bytes>"): any bytes, no escaping.
std::string EncodeIntent(const Intent& intent);
absl::StatusOr<Intent> DecodeIntent(absl::string_view in);

// A guard count as stored ("<int>"); nullopt if it is not a number.
std::optional<std::int64_t> DecodeGuardCount(absl::string_view data);

}  // namespace cable::service::nats_state
