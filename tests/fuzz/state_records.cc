// Fuzzes the JetStream record codecs of the NATS state store
// (service/nats_state_records.h): a channel's head record, a commit's
// intent record, and JetStream's replies as JetStreamClient reads them.
// Records are read back from NATS; whoever can write to the state
// store's streams controls these bytes.
//
// Input: byte 0 picks the record; byte 1 is a stream sequence; the rest:
//   0: a head record;
//   1: an intent record;
//   2: a JetStream reply: header lines "Name: value" up to a NUL, then the
//      body; read as a publish ack, a direct get and a purge reply.
//
// Invariants: a record that decodes encodes to one that decodes the same
// (nothing lost, nothing invented); replies never crash, and a direct get
// that finds a message hands back its body.

#include <nats/nats.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "cable/jetstream_client.h"
#include "fuzz_support.h"
#include "service/nats_state_records.h"

namespace cable::service {
namespace {

using nats_state::DecodeHead;
using nats_state::DecodeIntent;
using nats_state::EncodeHead;
using nats_state::EncodeIntent;
using nats_state::Head;
using nats_state::Intent;
using nats_state::IntentPart;
using nats_state::kChunksHeader;
using nats_state::kTypeHeader;

bool SameHead(const Head& a, const Head& b) {
  return a.revision == b.revision && a.last_event_id == b.last_event_id &&
         a.type == b.type && a.keep_events == b.keep_events &&
         a.blob == b.blob && (a.blob.empty() || a.chunks == b.chunks) &&
         (!a.blob.empty() || a.inline_state == b.inline_state) &&
         a.txn == b.txn && a.seq == b.seq;
}

bool SameIntent(const Intent& a, const Intent& b) {
  if (a.owner != b.owner || a.parts.size() != b.parts.size()) return false;
  for (std::size_t i = 0; i < a.parts.size(); ++i) {
    const IntentPart& p = a.parts[i];
    const IntentPart& q = b.parts[i];
    if (p.name != q.name || p.enc != q.enc || p.expected != q.expected ||
        p.head != q.head || p.old_blob != q.old_blob ||
        p.guards.size() != q.guards.size()) {
      return false;
    }
    for (std::size_t g = 0; g < p.guards.size(); ++g) {
      if (p.guards[g].key != q.guards[g].key ||
          p.guards[g].count != q.guards[g].count ||
          p.guards[g].seen != q.guards[g].seen) {
        return false;
      }
    }
  }
  return true;
}

void FuzzHead(absl::string_view data, std::uint64_t seq) {
  absl::StatusOr<Head> head = DecodeHead(data, seq);
  if (!head.ok()) {
    FUZZ_CHECK(head.status().code() == absl::StatusCode::kDataLoss,
               "a bad head is not DataLoss");
    return;
  }
  absl::StatusOr<Head> again = DecodeHead(EncodeHead(*head), seq);
  FUZZ_CHECK(again.ok() && SameHead(*head, *again),
             "a head record encoded again decodes differently");
}

void FuzzIntent(absl::string_view data) {
  absl::StatusOr<Intent> intent = DecodeIntent(data);
  if (!intent.ok()) {
    FUZZ_CHECK(intent.status().code() == absl::StatusCode::kDataLoss,
               "a bad intent is not DataLoss");
    return;
  }
  for (const IntentPart& p : intent->parts) {
    // The commit recovery decodes each part's head.
    (void)DecodeHead(p.head, 0);
  }
  const std::string encoded = EncodeIntent(*intent);
  absl::StatusOr<Intent> again = DecodeIntent(encoded);
  FUZZ_CHECK(again.ok() && SameIntent(*intent, *again),
             "an intent record encoded again decodes differently");
  FUZZ_CHECK(EncodeIntent(*again) == encoded,
             "an intent's encoding is not stable");
}

NatsMsgPtr Reply(absl::string_view headers, absl::string_view body) {
  natsMsg* raw = nullptr;
  if (natsMsg_Create(&raw, "_INBOX.fuzz", nullptr, body.data(),
                     static_cast<int>(body.size())) != NATS_OK) {
    return nullptr;
  }
  NatsMsgPtr msg(raw);
  for (absl::string_view line : absl::StrSplit(headers, '\n')) {
    const std::size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    const std::string name(line.substr(0, colon));
    const std::string value(
        absl::StripLeadingAsciiWhitespace(line.substr(colon + 1)));
    (void)natsMsgHeader_Add(msg.get(), name.c_str(), value.c_str());
  }
  return msg;
}

void FuzzReply(absl::string_view headers, absl::string_view body) {
  NatsMsgPtr ack = Reply(headers, body);
  if (ack == nullptr) return;
  (void)JetStreamClient::PubAck(ack);
  (void)JetStreamClient::Purged(ack);
  absl::StatusOr<std::optional<StoredMsg>> got =
      JetStreamClient::Got(Reply(headers, body));
  if (got.ok() && got->has_value()) {
    FUZZ_CHECK((*got)->data() == body, "a direct get lost the body");
    (void)(*got)->header(kTypeHeader);
    (void)(*got)->header(kChunksHeader);
  }
}

}  // namespace
}  // namespace cable::service

// Messages are nats.c's: the library must be open, as it is once a
// connection is made.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  nats_Open(-1);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size) {
  cable::fuzz::Input in(data, size);
  const int kind = in.Byte() % 3;
  const std::uint64_t seq = in.Byte();
  switch (kind) {
    case 0:
      cable::service::FuzzHead(in.rest(), seq);
      break;
    case 1:
      cable::service::FuzzIntent(in.rest());
      break;
    default: {
      const absl::string_view headers = in.Until('\0');
      cable::service::FuzzReply(headers, in.rest());
      break;
    }
  }
  return 0;
}
